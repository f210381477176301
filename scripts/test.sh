#!/usr/bin/env bash
# Every test: formatting and lints, the Rust tests, then Playwright in Debian's Chromium against a
# release build served on a free port. Prints a closing "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# A fresh clone gains nothing from incremental caches; they only take disk (gigabytes here).
export CARGO_INCREMENTAL=0
start=$(date +%s)
log() { printf '\033[1;34m[test %4ss]\033[0m %s\n' "$(( $(date +%s) - start ))" "$*"; }

scripts/setup.sh test
log "disk: $(df -Ph . | awk 'NR == 2 { print $4 }') free"

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy (server side and WASM side)"
cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
cargo clippy -p frontend -p app --target wasm32-unknown-unknown -- -D warnings

log "cargo test"
cargo_out=$(mktemp)
cargo test --workspace --exclude frontend 2>&1 | tee "$cargo_out"
rust_passed=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) if ($i ~ /^passed;?$/) s += $(i-1) } END { print s+0 }' "$cargo_out")

# The release build below needs a few GB of its own. Where the disk is short (CI machines vary), the
# debug build's outputs, no longer needed, make room for it.
free_kb=$(df -Pk target | awk 'NR == 2 { print $4 }')
log "disk: $(( free_kb / 1024 / 1024 )) GB free, target/ holds $(du -sh target | cut -f1)"
if [ "$free_kb" -lt $(( 8 * 1024 * 1024 )) ]; then
  log "less than 8 GB free: removing target/debug before the release build"
  rm -rf target/debug
fi

log "cargo leptos build --release"
cargo leptos build --release

log "Playwright (Chromium from Debian) against the release build"
# end2end/run.sh registers TRADER2 with the CLI, starts the server on a free port with a fresh
# DATA_DIR (whose outbox holds the login mails), waits on /api/health and runs the suite.
e2e_log=$(mktemp)
set +e
E2E_LOG="$e2e_log" end2end/run.sh --reporter=list
e2e_status=$?
set -e
# A count that is absent (no failures) is 0, not an error.
e2e_passed=$( (grep -Eo '^ +[0-9]+ passed' "$e2e_log" || true) | grep -Eo '[0-9]+' | tail -1 || true)
e2e_failed=$( (grep -Eo '^ +[0-9]+ failed' "$e2e_log" || true) | grep -Eo '[0-9]+' | tail -1 || true)
log "done in $(( $(date +%s) - start ))s"
echo "tests: $(( rust_passed + ${e2e_passed:-0} )) passed, ${e2e_failed:-0} failed"
exit "$e2e_status"
