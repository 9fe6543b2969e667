#!/usr/bin/env bash
# Synap's queues: QPUBLISH + QCONSUME + QACK messages/s and delivery
# latency (scripts/queuebench), with redis-server's LPUSH + BRPOP in the
# same run as a reference (Redis has no acknowledgment queue). Prints a
# markdown table and writes it to .bench/queues.md.
#
# Environment:
#   QBENCH_N        messages per run (default 100000)
#   QBENCH_ROUNDS   alternating rounds, median shown (default 3)
set -euo pipefail
# Synap in memory, as the redis-server it is compared with (persistence is
# on by default: a log and snapshots in ./data).
export SYNAP_APPENDONLY="${SYNAP_APPENDONLY:-no}" SYNAP_SAVE="${SYNAP_SAVE-}"
cd "$(dirname "$0")/.."

for tool in redis-server redis-cli go; do
	command -v "$tool" >/dev/null || { echo "bench-queues: $tool not found" >&2; exit 1; }
done
work=.bench/queues
mkdir -p "$work"
synap_pid="" redis_pid=""
cleanup() {
	for pid in "$synap_pid" "$redis_pid"; do
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
}
trap cleanup EXIT

echo "bench-queues: building synap and the benchmark" >&2
CGO_ENABLED=0 go build -o "$work/synap" ./cmd/synap
go build -o "$work/queuebench" ./scripts/queuebench

"$work/synap" serve --bind 127.0.0.1 --port 0 --loglevel info 2>"$work/synap.log" &
synap_pid=$!
synap_port=""
for ((i = 0; i < 100; i++)); do
	synap_port=$(sed -n 's/.*msg="serving RESP" addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/synap.log" | head -n1)
	[ -n "$synap_port" ] && break
	sleep 0.1
done
[ -n "$synap_port" ] || { echo "bench-queues: synap did not start: $(cat "$work/synap.log")" >&2; exit 1; }

redis_port=""
for ((try = 0; try < 10; try++)); do
	port=$((20000 + RANDOM % 20000))
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
	redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --daemonize no \
		--logfile "$work/redis.log" &
	redis_pid=$!
	for ((i = 0; i < 100; i++)); do
		[ "$(redis-cli -p "$port" PING 2>/dev/null)" = PONG ] && { redis_port=$port; break; }
		sleep 0.1
	done
	[ -n "$redis_port" ] && break
	kill "$redis_pid" 2>/dev/null || true
	redis_pid=""
done
[ -n "$redis_port" ] || { echo "bench-queues: could not start redis-server" >&2; exit 1; }

"$work/queuebench" -synap "127.0.0.1:$synap_port" -redis "127.0.0.1:$redis_port" \
	-n "${QBENCH_N:-100000}" -rounds "${QBENCH_ROUNDS:-3}" | tee .bench/queues.md
