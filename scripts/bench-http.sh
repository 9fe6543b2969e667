#!/usr/bin/env bash
# REST GET/SET beside RESP GET/SET on one Synap, in the same run: a Go load
# generator (scripts/httpbench), 50 clients, unpipelined, with p50/p99.
# Usage: scripts/bench-http.sh [DURATION]   (default 5s per workload)
set -euo pipefail
# Synap in memory, as the redis-server it is compared with (persistence is
# on by default: a log and snapshots in ./data).
export SYNAP_APPENDONLY="${SYNAP_APPENDONLY:-no}" SYNAP_SAVE="${SYNAP_SAVE-}"
cd "$(dirname "$0")/.."
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
CGO_ENABLED=0 go build -o "$work/synap" ./cmd/synap
go build -o "$work/httpbench" ./scripts/httpbench
"$work/synap" serve --bind 127.0.0.1 --port 0 --http-port 0 --loglevel info 2>"$work/synap.log" &
pid=$!
resp="" http=""
for ((i = 0; i < 100; i++)); do
	resp=$(sed -n 's/.*msg="serving RESP" addr=\([^ ]*\).*/\1/p' "$work/synap.log" | head -n1)
	http=$(sed -n 's/.*msg="serving HTTP" addr=\([^ ]*\).*/\1/p' "$work/synap.log" | head -n1)
	[ -n "$resp" ] && [ -n "$http" ] && break
	sleep 0.1
done
[ -n "$resp" ] && [ -n "$http" ] || { echo "bench-http: synap did not start: $(cat "$work/synap.log")" >&2; exit 1; }
echo "bench-http: synap RESP $resp, HTTP $http; 50 clients, ${1:-5s} per workload, $(nproc) cores" >&2
"$work/httpbench" -resp "$resp" -http "http://$http" -clients 50 -duration "${1:-5s}"
