#!/usr/bin/env bash
# Runs the release build of kite-agent from the repository root, where it finds Leptos.toml and the
# compiled site under target/site. Arguments go to kite-agent (e.g. --port 5001).
set -euo pipefail
cd "$(dirname "$0")/.."
export LEPTOS_OUTPUT_NAME=kite-agent LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg
exec ./target/release/kite-agent "$@"
