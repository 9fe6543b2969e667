#!/usr/bin/env bash
# System calls, context switches and CPU per request of Synap and of a
# redis-server under redis-benchmark (perf stat on the server's process):
# figures that, unlike latency, do not depend on how loaded the machine is.
#
#   scripts/bench-syscalls.sh [TEST [PIPELINE [N]]]   (default: get 1 400000)
#
# Environment: SYNAP_BIN (a prebuilt binary instead of building this tree),
# BENCH_CLIENTS (default 50). Needs perf with tracepoint access (root).
set -euo pipefail
cd "$(dirname "$0")/.."
TEST=${1:-get} PIPELINE=${2:-1} N=${3:-400000} CLIENTS=${BENCH_CLIENTS:-50}
export SYNAP_APPENDONLY=no SYNAP_SAVE=""
for tool in perf redis-benchmark redis-server redis-cli go; do
	command -v "$tool" >/dev/null || { echo "bench-syscalls: $tool not found" >&2; exit 1; }
done
work=.bench
mkdir -p "$work"
if [ -n "${SYNAP_BIN:-}" ]; then
	cp "$SYNAP_BIN" "$work/synap-sys"
else
	CGO_ENABLED=0 go build -o "$work/synap-sys" ./cmd/synap
fi
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; true' EXIT

# free_port: one below the ephemeral range, which redis-benchmark's own
# connections use.
free_port() {
	local p
	for ((;;)); do
		p=$((20000 + RANDOM % 10000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

measure() {
	local server=$1 port
	port=$(free_port)
	if [ "$server" = redis ]; then
		redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --logfile /dev/null &
	else
		"$work/synap-sys" serve --bind 127.0.0.1 --port "$port" --loglevel warn 2>/dev/null &
	fi
	pid=$!
	for ((i = 0; i < 100; i++)); do
		redis-cli -p "$port" PING >/dev/null 2>&1 && break
		sleep 0.1
	done
	# The keyspace redis-benchmark -r 100000 uses, so GET hits and SET overwrites.
	awk 'BEGIN { for (i = 0; i < 100000; i++) printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$3\r\nxxx\r\n", i }' |
		redis-cli -p "$port" --pipe >/dev/null
	local events=raw_syscalls:sys_enter,syscalls:sys_enter_read,syscalls:sys_enter_recvmsg,syscalls:sys_enter_write
	events+=,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,context-switches,task-clock
	perf stat -x, -e "$events" -p "$pid" -o "$work/perf.txt" &
	local perf=$!
	sleep 0.3
	redis-benchmark -p "$port" -c "$CLIENTS" -P "$PIPELINE" -r 100000 -n "$N" -t "$TEST" -q >/dev/null
	kill -INT "$perf"
	wait "$perf" 2>/dev/null || true
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=""
	# task-clock is in ms: printed as µs of CPU per request.
	awk -F, -v s="$server" -v n="$N" '$1 ~ /^[0-9.]+$/ {
		if ($3 == "task-clock") printf "%-6s %-32s %10.4f us of CPU per request\n", s, $3, $1 * 1000 / n
		else printf "%-6s %-32s %10.4f per request\n", s, $3, $1 / n }' "$work/perf.txt"
}

echo "bench-syscalls: $TEST -P $PIPELINE, $N requests, $CLIENTS clients" >&2
measure synap
measure redis
