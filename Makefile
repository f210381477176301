# The two commands: `make run` (install what is missing, run on the sandbox) and `make test` (every test).
.PHONY: run test build lint bench fuzz

PORT ?= 5000

run:
	scripts/setup.sh run
	cargo leptos build --release
	scripts/serve-release.sh --port $(PORT)

test:
	scripts/test.sh

build:
	cargo leptos build --release

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --exclude frontend --all-targets -- -D warnings

bench:
	cargo bench -p kite --bench parse
	cargo bench -p quant
	cargo bench -p kite-sim --bench history
	cargo bench -p kite-sim --bench stream
	cargo bench -p engine --bench scanner
	cargo bench -p engine --bench backtest
	cargo bench -p engine --bench signal_latency

fuzz:
	scripts/fuzz.sh
