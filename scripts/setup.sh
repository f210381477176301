#!/usr/bin/env bash
# Installs what is missing on this machine, skipping whatever is already there, so a second run is fast.
#   scripts/setup.sh run   - what building and running the app needs
#   scripts/setup.sh test  - that, plus Chromium and the Playwright driver for the end-to-end tests
# Nothing here downloads from GitHub: tools come from crates.io, npm and Debian's packages.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.0   # 0.3.1+ needs a newer rustc than this machine's
BINARYEN_VERSION=132
want="${1:-run}"

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32 target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q " ${CARGO_LEPTOS_VERSION}\$"; then
  log "installing cargo-leptos ${CARGO_LEPTOS_VERSION} (about 20 minutes on 2 cores, once)"
  cargo install cargo-leptos --version "${CARGO_LEPTOS_VERSION}" --locked
fi

# wasm-bindgen's CLI must match the wasm-bindgen crate in Cargo.lock exactly.
WBG_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${WBG_VERSION}\$"; then
  log "installing wasm-bindgen-cli ${WBG_VERSION}"
  # Not --locked: one of its locked dependencies is missing from the registry here.
  cargo install wasm-bindgen-cli --version "${WBG_VERSION}" --force
fi

if ! wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION}"; then
  log "installing wasm-opt (npm binaryen@${BINARYEN_VERSION})"
  npm install -g --no-fund --no-audit "binaryen@${BINARYEN_VERSION}"
fi

if [ "$want" = "test" ]; then
  if ! command -v chromium >/dev/null 2>&1; then
    log "installing Chromium from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
  fi
  # Zerodha's official Python client, for crates/kite-sim/tests/python_client.rs (PyPI, pinned).
  KITECONNECT_VERSION=$(sed -n 's/^kiteconnect==//p' scripts/python_client/requirements.txt)
  if ! python3 -c "from kiteconnect.__version__ import __version__ as v; assert v == '${KITECONNECT_VERSION}'" 2>/dev/null; then
    log "installing the kiteconnect Python client ${KITECONNECT_VERSION} (pip)"
    python3 -m pip install -q -r scripts/python_client/requirements.txt
  fi
  if [ ! -d end2end/node_modules/@playwright/test ]; then
    log "installing the Playwright driver (no browser download)"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-fund --no-audit)
  fi
fi
log "ready"
