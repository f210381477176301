#!/usr/bin/env bash
# Playwright against the release build (target/release/kite-agent and target/site, from
# `cargo leptos build --release`): a fresh data dir, TRADER2 registered with the CLI, the server in
# sandbox mode on a free port, then the suite. Arguments go to `playwright test`.
# E2E_LOG=<file> also writes Playwright's output there; E2E_KEEP_DATA=1 keeps the data dir.
set -euo pipefail
cd "$(dirname "$0")/.."

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base_url="http://127.0.0.1:$port"
data_dir=$(mktemp -d)
server_log=$(mktemp)
# Sandbox mode for sure: blank any real credentials a developer may have in the environment.
export KITE_API_KEY= KITE_ACCESS_TOKEN=

# A second trader with their own Kite app; they log in by code and connect Kite in the tests.
./target/release/kite-agent users add TRADER2 --email trader2@sandbox.local \
  --api-key trader2_app --api-secret trader2_secret_value --data-dir "$data_dir"

echo "starting kite-agent on port $port (data dir $data_dir, log $server_log)"
DATA_DIR="$data_dir" scripts/serve-release.sh --port "$port" >"$server_log" 2>&1 &
server_pid=$!
cleanup() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  if [ -z "${E2E_KEEP_DATA:-}" ]; then rm -rf "$data_dir"; fi
}
trap cleanup EXIT
for _ in $(seq 1 150); do
  curl -fsS "$base_url/api/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done
curl -fsS "$base_url/api/health" || { echo "the server did not come up:"; cat "$server_log"; exit 1; }
echo

set +e
(cd end2end && BASE_URL="$base_url" DATA_DIR="$data_dir" npx playwright test "$@") | tee "${E2E_LOG:-/dev/null}"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo "--- server log ($server_log) ---"; tail -80 "$server_log"
fi
# No secret of the run in the server's log: TRADER2's app secret, the saved session cookie, any
# access token in a URL (the sandbox demo user's login codes are printed on purpose).
leaks=0
secrets=(trader2_secret_value)
if [ -f end2end/.auth/demo01.json ]; then
  cookie=$(python3 -c 'import json,sys; print(next((c["value"] for c in json.load(open(sys.argv[1]))["cookies"] if c["name"]=="kta_session"), ""))' end2end/.auth/demo01.json)
  [ -n "$cookie" ] && secrets+=("$cookie")
fi
for s in "${secrets[@]}"; do
  if grep -qF -- "$s" "$server_log"; then echo "SECRET LEAK: a secret appears in the server log"; leaks=1; fi
done
if grep -Eq 'access_token=[A-Za-z0-9]{16,}' "$server_log"; then
  echo "SECRET LEAK: an access token appears in the server log"; leaks=1
fi
[ "$leaks" -eq 0 ] && echo "server log: no secret found ($(wc -l < "$server_log") lines scanned)"
[ "$status" -eq 0 ] && status=$leaks
exit "$status"
