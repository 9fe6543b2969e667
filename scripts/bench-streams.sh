#!/usr/bin/env bash
# Streams against redis-server side by side: XADD, and XREADGROUP COUNT n
# + XACK by consumers of one group draining a pre-filled stream. Builds
# Synap from this checkout and runs scripts/streambench (its flags may be
# passed on). Environment: STREAMS_N messages per workload and round
# (default 200000), BENCH_CLIENTS (default 50), BENCH_ROUNDS (default 3).
set -euo pipefail
# Synap in memory, as the redis-server it is compared with (persistence is
# on by default: a log and snapshots in ./data).
export SYNAP_APPENDONLY="${SYNAP_APPENDONLY:-no}" SYNAP_SAVE="${SYNAP_SAVE-}"
cd "$(dirname "$0")/.."
command -v redis-server >/dev/null || { echo "bench-streams: redis-server not found (Debian: apt-get install redis-server)" >&2; exit 1; }
mkdir -p .bench
echo "bench-streams: building synap and the benchmark" >&2
CGO_ENABLED=0 go build -o .bench/synap ./cmd/synap
go build -o .bench/streambench ./scripts/streambench
exec .bench/streambench -synap .bench/synap -n "${STREAMS_N:-200000}" \
	-clients "${BENCH_CLIENTS:-50}" -rounds "${BENCH_ROUNDS:-3}" "$@"
