#!/usr/bin/env bash
# Coverage-guided fuzzing of what the Kite client reads from the network (cargo-fuzz, libFuzzer).
# Needs a nightly toolchain (`rustup toolchain install nightly`); installs cargo-fuzz when missing.
# Each target runs FUZZ_SECS seconds (default 60) from the committed corpus; new inputs that reach new
# code are added to fuzz/corpus/<target> (commit them). `make test` runs the same targets on stable
# for a few seconds each (crates/kite/tests/fuzz_smoke.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
secs="${FUZZ_SECS:-60}"
rustup run nightly rustc --version >/dev/null 2>&1 || { echo "needs nightly: rustup toolchain install nightly" >&2; exit 1; }
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
for t in ticker_frame rest_envelope instruments_csv; do
  echo "== $t ($secs s)"
  (cd fuzz && cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 2>&1 | grep -E '^(#[0-9]+.*(DONE|pulse)|Done|==[0-9]+==|SUMMARY|INFO: seed)' | tail -3)
done
