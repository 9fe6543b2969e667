#!/usr/bin/env bash
# Pub/sub fan-out: PUBLISH to 1 and to 50 subscribers on Synap and on a
# real redis-server side by side (scripts/pubsubbench): messages delivered
# per second, the ratio, and p99 delivery latency. Writes the table to
# .bench/pubsub.md as well.
#
# Environment: PUBSUB_ROUNDS (default 3), PUBSUB_DURATION per run (default 4s),
# PUBSUB_SUBS subscriber counts (default "1 50"); extra arguments go to the tool.
set -euo pipefail
# Synap in memory, as the redis-server it is compared with (persistence is
# on by default: a log and snapshots in ./data).
export SYNAP_APPENDONLY="${SYNAP_APPENDONLY:-no}" SYNAP_SAVE="${SYNAP_SAVE-}"
cd "$(dirname "$0")/.."
for tool in redis-server go; do
	command -v "$tool" >/dev/null || { echo "bench-pubsub: $tool not found" >&2; exit 1; }
done
work=.bench
mkdir -p "$work"
echo "bench-pubsub: building synap and the benchmark" >&2
CGO_ENABLED=0 go build -o "$work/synap" ./cmd/synap
go build -o "$work/pubsubbench" ./scripts/pubsubbench
"$work/pubsubbench" -synap "$work/synap" -rounds "${PUBSUB_ROUNDS:-3}" \
	-duration "${PUBSUB_DURATION:-4s}" -subs "${PUBSUB_SUBS:-1 50}" "$@" | tee "$work/pubsub.md"
