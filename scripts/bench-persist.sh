#!/usr/bin/env bash
# Persistence: SET and LPUSH throughput with the append-only log on, Synap
# against redis-server with appendonly yes and the same appendfsync, in the
# same run (alternating, median of the rounds); then start-up time for 1M
# keys, each server replaying its own log. Prints a markdown table and
# writes it to .bench/persist.md.
#
# Bars (issue 14): ratio >= 0.9 with everysec, >= 1.0 with always (group
# commit answers a pipeline of waiting clients with one fsync; Redis fsyncs
# before each event-loop reply batch too).
#
# Environment:
#   PBENCH_N        requests per test (default 100000; always runs a fifth)
#   PBENCH_ROUNDS   alternating rounds (default 3)
#   PBENCH_CLIENTS  concurrent clients (default 50)
#   PBENCH_KEYS     keys for the start-up test (default 1000000; 0 skips it)
#   PBENCH_POLICIES appendfsync policies (default "everysec always")
#   SYNAP_BIN       a synap binary to measure instead of building this tree's
#                   (another commit's, for a before/after)
set -euo pipefail
cd "$(dirname "$0")/.."

N=${PBENCH_N:-100000}
ROUNDS=${PBENCH_ROUNDS:-3}
CLIENTS=${PBENCH_CLIENTS:-50}
KEYS=${PBENCH_KEYS:-1000000}
POLICIES=${PBENCH_POLICIES:-everysec always}

die() { echo "bench-persist: $*" >&2; exit 1; }
for tool in redis-benchmark redis-server redis-cli go; do
	command -v "$tool" >/dev/null || die "$tool not found"
done
work=.bench/persist
rm -rf "$work"
mkdir -p "$work"
results="$work/results"
: >"$results"
synap_pid="" redis_pid=""
stop() {
	local pid
	for pid in "$synap_pid" "$redis_pid"; do
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
	synap_pid="" redis_pid=""
}
trap stop EXIT
trap 'exit 130' INT TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		port_in_use "$p" || { echo "$p"; return; }
	done
}
wait_ping() {
	local port=$1 pid=$2 i
	for ((i = 0; i < 6000; i++)); do
		[ "$(redis-cli -p "$port" PING 2>/dev/null)" = PONG ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}

# start_synap DIR FSYNC: on a free port it picks itself (--port 0) and logs.
start_synap() {
	local seen i
	: >>"$1.log"
	seen=$(grep -c 'msg="serving RESP"' "$1.log" || true)
	"$work/synap" serve --bind 127.0.0.1 --port 0 --http-port off --dir "$1" \
		--appendonly yes --appendfsync "$2" --save "" 2>>"$1.log" &
	synap_pid=$!
	synap_port=""
	for ((i = 0; i < 60000; i++)); do
		synap_port=$(sed -n 's/.*msg="serving RESP" addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1.log" | sed -n "$((${seen:-0} + 1))p")
		[ -n "$synap_port" ] && break
		kill -0 "$synap_pid" 2>/dev/null || die "synap did not start: $(cat "$1.log")"
		sleep 0.01
	done
	wait_ping "$synap_port" "$synap_pid" || die "synap did not start: $(cat "$1.log")"
}
# start_redis DIR FSYNC: on a random free port (redis-server has no port 0).
start_redis() {
	local try
	mkdir -p "$1"
	for ((try = 0; try < 10; try++)); do
		redis_port=$(free_port)
		redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$PWD/$1" --appendonly yes \
			--appendfsync "$2" --save "" --daemonize no --logfile "$PWD/$1.log" &
		redis_pid=$!
		wait_ping "$redis_port" "$redis_pid" && return 0
		wait "$redis_pid" 2>/dev/null || true # lost the port to another process: try another
	done
	die "redis-server did not start: $(tail -n 3 "$1.log")"
}

if [ -n "${SYNAP_BIN:-}" ]; then
	cp "$SYNAP_BIN" "$work/synap"
else
	echo "bench-persist: building synap" >&2
	CGO_ENABLED=0 go build -o "$work/synap" ./cmd/synap
fi

run() { # SERVER PORT TEST FSYNC ROUND
	local n=$N out row
	[ "$4" = always ] && n=$((N / 5))
	out=$(redis-benchmark -h 127.0.0.1 -p "$2" -c "$CLIENTS" -r 100000 -n "$n" --csv -t "$3" 2>&1) ||
		die "redis-benchmark against $1: $out"
	row=$(printf '%s\n' "$out" | awk -F, '$1 != "\"test\"" && NF >= 8 { gsub(/"/, ""); split($0, f, ","); print f[2], f[5], f[7]; exit }')
	[ -n "$row" ] || die "unexpected redis-benchmark output: $out"
	echo "$3 $4 $1 $5 $row" >>"$results"
	echo "bench-persist: $4 round $5 $3 $1: $row" >&2
}

for fsync in $POLICIES; do
	start_synap "$work/synap-$fsync" "$fsync"
	start_redis "$work/redis-$fsync" "$fsync"
	for ((round = 1; round <= ROUNDS; round++)); do
		for test in set lpush; do
			if ((round % 2)); then
				run synap "$synap_port" "$test" "$fsync" "$round"
				run redis "$redis_port" "$test" "$fsync" "$round"
			else
				run redis "$redis_port" "$test" "$fsync" "$round"
				run synap "$synap_port" "$test" "$fsync" "$round"
			fi
		done
	done
	stop
done

median() { # TEST FSYNC SERVER FIELD
	awk -v t="$1" -v p="$2" -v s="$3" -v f="$4" '$1 == t && $2 == p && $3 == s { print $f }' "$results" |
		sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

synap_keys=- synap_start=- synap_said=skipped redis_keys=- redis_start=- redis_said=skipped
if [ "$KEYS" -gt 0 ]; then
# Start-up: KEYS keys written through each server's log, then each
# restarted on its own files; the time until it answers PING, and what it
# logs about the load.
echo "bench-persist: writing $KEYS keys to each server's log" >&2
gen() { awk -v n="$KEYS" 'BEGIN { for (i = 0; i < n; i++) { k = "key:" i; v = "value:" i; printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v } }'; }
start_synap "$work/synap-load" everysec
start_redis "$work/redis-load" everysec
gen | redis-cli -p "$synap_port" --pipe >/dev/null
gen | redis-cli -p "$redis_port" --pipe >/dev/null
[ "$(redis-cli -p "$synap_port" DBSIZE)" = "$KEYS" ] || die "synap holds $(redis-cli -p "$synap_port" DBSIZE) keys"
stop
t0=$(date +%s.%N)
start_synap "$work/synap-load" everysec
synap_start=$(echo "$(date +%s.%N) - $t0" | bc)
synap_keys=$(redis-cli -p "$synap_port" DBSIZE)
t0=$(date +%s.%N)
start_redis "$work/redis-load" everysec
redis_start=$(echo "$(date +%s.%N) - $t0" | bc)
redis_keys=$(redis-cli -p "$redis_port" DBSIZE)
stop
synap_said=$(sed -n 's/.*msg="data loaded" keys=\([0-9]*\) seconds=\([0-9.]*\).*/\1 keys in \2 s/p' "$work/synap-load.log" | tail -n1)
redis_said=$(grep -o 'DB loaded from[^:]*: [0-9.]* seconds' "$work/redis-load.log" | tail -n1 || true)
fi

{
	echo "## Persistence ($(nproc) cores; $CLIENTS clients, median of $ROUNDS alternating rounds)"
	echo
	echo "appendfsync|workload|synap ops/s|redis ops/s|ratio|bar|synap p50/p99 ms|redis p50/p99 ms"
	echo "---|---|---|---|---|---|---|---"
	for fsync in $POLICIES; do
		bar=0.9
		[ "$fsync" = always ] && bar=1.0
		for test in set lpush; do
			s=$(median "$test" "$fsync" synap 5)
			r=$(median "$test" "$fsync" redis 5)
			ratio=$(awk -v s="$s" -v r="$r" 'BEGIN { printf "%.2f", s / r }')
			ok=$(awk -v x="$ratio" -v b="$bar" 'BEGIN { print (x >= b) ? "met" : "MISSED" }')
			echo "$fsync|$test|$s|$r|$ratio|>= $bar $ok|$(median "$test" "$fsync" synap 6)/$(median "$test" "$fsync" synap 7)|$(median "$test" "$fsync" redis 6)/$(median "$test" "$fsync" redis 7)"
		done
	done
	echo
	echo "start-up from the log|keys|seconds to answer PING|the server's own figure"
	echo "---|---|---|---"
	echo "synap|$synap_keys|$synap_start|$synap_said"
	echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')|$redis_keys|$redis_start|$redis_said"
} | tee .bench/persist.md
