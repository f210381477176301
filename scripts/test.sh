#!/usr/bin/env bash
# Every test: formatting and lints, the Rust tests, then Playwright in Debian's Chromium against a
# release build served on a free port. Prints a closing "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
start=$(date +%s)
log() { printf '\033[1;34m[test %4ss]\033[0m %s\n' "$(( $(date +%s) - start ))" "$*"; }

scripts/setup.sh test

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy (server side and WASM side)"
cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
cargo clippy -p frontend -p app --target wasm32-unknown-unknown -- -D warnings

log "cargo test"
cargo_out=$(mktemp)
cargo test --workspace --exclude frontend 2>&1 | tee "$cargo_out"
rust_passed=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) if ($i ~ /^passed;?$/) s += $(i-1) } END { print s+0 }' "$cargo_out")

log "cargo leptos build --release"
cargo leptos build --release

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log "starting kite-agent on port $port"
server_log=$(mktemp)
data_dir=$(mktemp -d)
# Sandbox mode for sure: blank any real credentials a developer may have in the environment.
KITE_API_KEY= KITE_ACCESS_TOKEN= DATA_DIR="$data_dir" scripts/serve-release.sh --port "$port" >"$server_log" 2>&1 &
server_pid=$!
cleanup() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/api/status" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/api/status" || { cat "$server_log"; exit 1; }
echo

log "Playwright (Chromium from Debian)"
set +e
(cd end2end && BASE_URL="http://127.0.0.1:$port" npx playwright test --reporter=list) | tee /tmp/e2e-$$.log
e2e_status=${PIPESTATUS[0]}
set -e
# A count that is absent (no failures) is 0, not an error.
e2e_passed=$( (grep -Eo '^ +[0-9]+ passed' /tmp/e2e-$$.log || true) | grep -Eo '[0-9]+' | tail -1 || true)
e2e_failed=$( (grep -Eo '^ +[0-9]+ failed' /tmp/e2e-$$.log || true) | grep -Eo '[0-9]+' | tail -1 || true)
if [ "$e2e_status" -ne 0 ]; then
  echo "--- server log ---"; tail -50 "$server_log"
fi
log "done in $(( $(date +%s) - start ))s"
echo "tests: $(( rust_passed + ${e2e_passed:-0} )) passed, ${e2e_failed:-0} failed"
exit "$e2e_status"
