#!/usr/bin/env bash
# Benchmarks Synap against a real redis-server started side by side in the
# same run: redis-benchmark alternates between the two servers workload by
# workload, for BENCH_ROUNDS rounds, and the table shows the median of each:
# throughput, p50/p99 latency, and how long each server's threads waited
# for a CPU during the test (runnable, not running: Linux schedstat). On
# shared cores that wait, not the server, makes most of the p99: compare
# tails only between rows whose waits are alike.
#
# Environment:
#   BENCH_N        requests per unpipelined test (default 200000; pipelined
#                  tests run 5x as many, MSET half as many, so each takes a few seconds)
#   BENCH_ROUNDS   alternating rounds (default 3)
#   BENCH_CLIENTS  concurrent clients (default 50)
#   BENCH_TESTS    workloads (default "set get incr mset lpush lpop hset sadd zadd
#                  zrange100 xadd"); zrange100 is ZRANGE 0 99 over a 100-member sorted set,
#                  xadd is XADD to one stream kept near 100k entries (MAXLEN ~)
#   BENCH_PIPELINES pipeline depths (default "1 16")
#   SYNAP_ARGS     extra arguments for synap serve (compare settings, e.g.
#                  "--threads 2")
#   SYNAP_BIN      a synap binary to measure instead of building this tree's
#                  (another commit's, for a before/after)
#   BENCH_OVERWRITE 1: load 1M keys (key:%012d, 16-byte values) into both
#                  servers first, and run every measured test while a second
#                  redis-benchmark (BENCH_OVERWRITE_CLIENTS clients, default
#                  10, unpipelined) keeps overwriting them (SET -r 1000000):
#                  the latency with the collector (Synap) or the allocator
#                  (Redis) under pressure. Both servers are treated the same.
#   BENCH_OPENLOOP workloads (of get and set) whose latency is then measured
#                  open loop at half of Redis's measured peak (the performance
#                  target's p99), by scripts/openloop; "" skips it (default
#                  "get set")
#   BENCH_OPENLOOP_SECS seconds measured per open-loop run (default 5, after 1
#                  of warm-up)
#   BENCH_NICE     niceness of both servers and of redis-benchmark (default -20
#                  when allowed, i.e. as root; "" for none): on shared cores the
#                  measured processes then lose the CPU to other work less often,
#                  and both servers and their client are treated the same.
set -euo pipefail
# Synap in memory, as the redis-server it is compared with (persistence is
# on by default: a log and snapshots in ./data).
export SYNAP_APPENDONLY="${SYNAP_APPENDONLY:-no}" SYNAP_SAVE="${SYNAP_SAVE-}"

cd "$(dirname "$0")/.."

N=${BENCH_N:-200000}
ROUNDS=${BENCH_ROUNDS:-3}
CLIENTS=${BENCH_CLIENTS:-50}
TESTS=${BENCH_TESTS:-set get incr mset lpush lpop hset sadd zadd zrange100 xadd}
PIPELINES=${BENCH_PIPELINES:-1 16}
KEYSPACE=100000
OVERWRITE=${BENCH_OVERWRITE:-0}
OPENLOOP=${BENCH_OPENLOOP-get set}
OPENLOOP_SECS=${BENCH_OPENLOOP_SECS:-5}
OVERWRITE_CLIENTS=${BENCH_OVERWRITE_CLIENTS:-10}
if [ -z "${BENCH_NICE+x}" ]; then
	BENCH_NICE=""
	nice -n -20 true 2>/dev/null && [ "$(nice -n -20 nice)" = -20 ] && BENCH_NICE=-20
fi
NICE=()
[ -n "$BENCH_NICE" ] && NICE=(nice -n "$BENCH_NICE")
# With the scheduler's autogroups (Linux's default for sessions), niceness
# ranks processes only within their session: against another session's
# builds it did nothing (the servers still waited 1.5-3 s for a CPU per
# test at nice -20). So the benchmark runs in a session of its own, and
# that session's group gets the niceness.
if [ -n "$BENCH_NICE" ] && [ -w /proc/self/autogroup ] && [ -z "${BENCH_SESSION:-}" ] &&
	command -v setsid >/dev/null; then
	BENCH_SESSION=1 BENCH_NICE=$BENCH_NICE exec setsid -w "$0" "$@"
fi

die() { echo "bench: $*" >&2; exit 1; }

for tool in redis-benchmark redis-server redis-cli go; do
	command -v "$tool" >/dev/null ||
		die "$tool not found; install it (Debian: apt-get install redis-server redis-tools)"
done

work=.bench
mkdir -p "$work"
results=$(mktemp "$work/results.XXXXXX")
synap_pid=""
redis_pid=""
writer_pid=""

cleanup() {
	local pid
	for pid in "$writer_pid" "$synap_pid" "$redis_pid"; do
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
	rm -f "$results"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_ready PORT PID NAME: until PING answers, or fail if the process died.
wait_ready() {
	local port=$1 pid=$2 name=$3 i
	for ((i = 0; i < 100; i++)); do
		if [ "$(redis-cli -h 127.0.0.1 -p "$port" PING 2>/dev/null)" = PONG ]; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	die "$name on port $port did not answer PING within 10s"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [ -n "${SYNAP_BIN:-}" ]; then
	# A build of another commit, measured with this script (before/after).
	cp "$SYNAP_BIN" "$work/synap"
else
	echo "bench: building synap" >&2
	CGO_ENABLED=0 go build -o "$work/synap" ./cmd/synap
fi
if [ -n "$OPENLOOP" ]; then
	go build -o "$work/openloop" ./scripts/openloop
fi
# The session's priority from here (the build above competes as usual).
if [ -n "${BENCH_SESSION:-}" ]; then
	echo "$BENCH_NICE" >/proc/self/autogroup 2>/dev/null || true
fi

# Synap picks a free port itself (--port 0) and logs it. The log is emptied
# here, not only by the background job's redirection, which may happen after
# the first read below and let it find the port of an earlier run.
: >"$work/synap.log"
"${NICE[@]}" "$work/synap" serve --bind 127.0.0.1 --port 0 --loglevel info ${SYNAP_ARGS:-} 2>"$work/synap.log" &
synap_pid=$!
synap_port=""
for ((i = 0; i < 100; i++)); do
	synap_port=$(sed -n 's/.*msg="serving RESP" addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/synap.log" | head -n1)
	[ -n "$synap_port" ] && break
	kill -0 "$synap_pid" 2>/dev/null || die "synap exited: $(cat "$work/synap.log")"
	sleep 0.1
done
[ -n "$synap_port" ] || die "synap did not report its port; log: $work/synap.log"
wait_ready "$synap_port" "$synap_pid" synap || die "synap exited: $(cat "$work/synap.log")"

# redis-server has no "any free port", so try random unused ones.
redis_port=""
for ((try = 0; try < 10; try++)); do
	port=$((20000 + RANDOM % 20000))
	port_in_use "$port" && continue
	"${NICE[@]}" redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
		--daemonize no --logfile "$work/redis.log" &
	redis_pid=$!
	if wait_ready "$port" "$redis_pid" redis-server; then
		redis_port=$port
		break
	fi
	wait "$redis_pid" 2>/dev/null || true
	redis_pid=""
done
[ -n "$redis_port" ] || die "could not start redis-server; log: $work/redis.log"

echo "bench: synap ${SYNAP_BIN:-$(git describe --always --dirty 2>/dev/null || echo)} on :$synap_port," \
	"redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on :$redis_port;" \
	"$CLIENTS clients, keyspace $KEYSPACE, $ROUNDS rounds, $(nproc) cores, nice ${BENCH_NICE:-none} ($(cat /proc/self/autogroup 2>/dev/null || echo "no autogroup")), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
[ "$OVERWRITE" = 1 ] && echo "bench: under overwrite: 1M keys loaded," \
	"$OVERWRITE_CLIENTS clients overwriting them beside every measured test" >&2

# A workload Synap does not implement yet would measure error replies: skip it.
supported() {
	local reply
	case $1 in
	set) reply=$(redis-cli -h 127.0.0.1 -p "$synap_port" SET bench:probe 1 2>&1) ;;
	get) reply=$(redis-cli -h 127.0.0.1 -p "$synap_port" GET bench:probe 2>&1) ;;
	incr) reply=$(redis-cli -h 127.0.0.1 -p "$synap_port" INCR bench:probe:n 2>&1) ;;
	mset) reply=$(redis-cli -h 127.0.0.1 -p "$synap_port" MSET bench:probe 1 bench:probe:2 2 2>&1) ;;
	lpush | lpop) reply=$(redis-cli -h 127.0.0.1 -p "$synap_port" LPUSH bench:probe:l 1 2>&1) ;;
	hset) reply=$(redis-cli -h 127.0.0.1 -p "$synap_port" HSET bench:probe:h f 1 2>&1) ;;
	sadd) reply=$(redis-cli -h 127.0.0.1 -p "$synap_port" SADD bench:probe:s 1 2>&1) ;;
	zadd | zrange100) reply=$(redis-cli -h 127.0.0.1 -p "$synap_port" ZADD bench:probe:z 1 m 2>&1) ;;
	xadd) reply=$(redis-cli -h 127.0.0.1 -p "$synap_port" XADD bench:probe:x '*' f v 2>&1) ;;
	*) return 0 ;;
	esac
	case $reply in
	ERR* | *"unknown command"* | *WRONGTYPE*) echo "bench: synap: $1 not benchmarked: $reply" >&2; return 1 ;;
	esac
}

# requests TEST PIPELINE: enough for a few seconds of work on 2 cores.
requests() {
	local n=$N
	[ "$2" -gt 1 ] && n=$((n * 5))
	[ "$1" = mset ] && n=$((n / 2))
	[ "$1" = zrange100 ] && n=$((n / 4))
	echo "$n"
}

# seed PORT: the 100-member sorted set zrange100 reads.
seed() {
	local args=() i
	for ((i = 0; i < 100; i++)); do args+=("$i" "member:$i"); done
	redis-cli -h 127.0.0.1 -p "$1" ZADD bench:z "${args[@]}" >/dev/null
}

# load PORT: the 1M keys the overwriting writer (BENCH_OVERWRITE) rewrites,
# named as redis-benchmark -r names them.
load() {
	awk 'BEGIN { for (i = 0; i < 1000000; i++) printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$16\r\n%016d\r\n", i, i }' |
		redis-cli -h 127.0.0.1 -p "$1" --pipe >/dev/null || die "loading 1M keys on port $1 failed"
}

# prefill PORT: the keyspace's keys (as redis-benchmark -r names them, with
# its 3-byte values), so that every round's GET finds its key and SET
# overwrites one, as in a server that has been up for a while: without
# it, the first round's GETs missed and its SETs inserted (the collector
# ran in Synap's SET rows of round 1 only, and Redis allocated).
prefill() {
	awk -v n="$KEYSPACE" 'BEGIN { for (i = 0; i < n; i++) printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$3\r\nxxx\r\n", i }' |
		redis-cli -h 127.0.0.1 -p "$1" --pipe >/dev/null || die "prefilling $KEYSPACE keys on port $1 failed"
}

# writer_start PORT / writer_stop: the overwriting redis-benchmark beside
# the measured one.
writer_start() {
	redis-benchmark -h 127.0.0.1 -p "$1" -c "$OVERWRITE_CLIENTS" -r 1000000 -d 16 -n 1000000000 \
		-t set -q >/dev/null 2>&1 &
	writer_pid=$!
	sleep 0.5 # connected and writing before the measured test starts
}
writer_stop() {
	if [ -n "$writer_pid" ]; then
		kill "$writer_pid" 2>/dev/null || true
		wait "$writer_pid" 2>/dev/null || true
		writer_pid=""
	fi
}

# waited PID: the ms the process's threads have spent runnable but waiting
# for a CPU (Linux schedstat; 0 where it is missing). On shared cores this
# is what decides the tails: a server that waited as long as it ran had
# p99s of 5-17 ms in runs where its p50 was 1 ms.
waited() {
	local f sum=0 run wait rest
	for f in /proc/"$1"/task/*/schedstat; do
		read -r run wait rest <"$f" 2>/dev/null || continue
		sum=$((sum + wait))
	done
	echo $((sum / 1000000))
}

# run SERVER PORT TEST PIPELINE ROUND: one redis-benchmark test into $results.
run() {
	local server=$1 port=$2 test=$3 pipeline=$4 round=$5 out pid=$synap_pid w0
	[ "$server" = redis ] && pid=$redis_pid
	[ "$OVERWRITE" = 1 ] && writer_start "$port"
	w0=$(waited "$pid")
	local what=(-t "$test")
	[ "$test" = zrange100 ] && what=(ZRANGE bench:z 0 99)
	[ "$test" = xadd ] && what=(XADD bench:x MAXLEN '~' 100000 '*' field value)
	out=$("${NICE[@]}" redis-benchmark -h 127.0.0.1 -p "$port" -c "$CLIENTS" -P "$pipeline" -r "$KEYSPACE" \
		-n "$(requests "$test" "$pipeline")" --csv "${what[@]}" 2>&1) ||
		die "redis-benchmark against $server failed: $out"
	writer_stop
	# CSV: "test","rps","avg","min","p50","p95","p99","max"
	local row
	row=$(printf '%s\n' "$out" | awk -F, '$1 != "\"test\"" && NF >= 8 { gsub(/"/, ""); split($0, f, ","); print f[2], f[5], f[7]; exit }')
	[ -n "$row" ] || die "unexpected redis-benchmark output against $server: $out"
	row="$row $(($(waited "$pid") - w0))"
	echo "$test $pipeline $server $round $row" >>"$results"
	echo "bench: round $round $test -P $pipeline $server: $row" >&2
}

declare -a workloads=()
for test in $TESTS; do
	if supported "$test"; then
		workloads+=("$test")
	fi
done
[ ${#workloads[@]} -gt 0 ] || die "synap supports none of the workloads: $TESTS"

seed "$synap_port"
seed "$redis_port"
if [ "$OVERWRITE" = 1 ]; then
	echo "bench: loading 1M keys into each server" >&2
	load "$synap_port"
	load "$redis_port"
else
	prefill "$synap_port"
	prefill "$redis_port"
fi

# both ROUND FN ARGS...: FN SERVER PORT ARGS... for each server, Synap first
# in odd rounds and Redis first in even ones, so neither always gets a
# warm or a cold machine.
both() {
	local round=$1 fn=$2
	shift 2
	if ((round % 2)); then
		"$fn" synap "$synap_port" "$@"
		"$fn" redis "$redis_port" "$@"
	else
		"$fn" redis "$redis_port" "$@"
		"$fn" synap "$synap_port" "$@"
	fi
}

for ((round = 1; round <= ROUNDS; round++)); do
	for pipeline in $PIPELINES; do
		for test in "${workloads[@]}"; do
			both "$round" run "$test" "$pipeline" "$round"
		done
	done
done

kill -0 "$synap_pid" 2>/dev/null || die "synap died during the run; log: $work/synap.log"

# median TEST PIPELINE SERVER FIELD [FILE]: over the rounds of one test,
# pipeline and server in FILE (default: the redis-benchmark results).
median() {
	awk -v t="$1" -v p="$2" -v s="$3" -v f="$4" '$1 == t && $2 == p && $3 == s { print $f }' "${5:-$results}" |
		sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# table: rows of |-separated cells, aligned (the first column to the left).
table() {
	awk -F'|' '
	{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NF }
	END {
		for (r = 1; r <= NR; r++) {
			line = ""
			for (i = 1; i <= n; i++) line = line (i > 1 ? " | " : "") sprintf(i == 1 ? "%-" w[i] "s" : "%" w[i] "s", cell[r, i])
			print line
		}
	}'
}

{
	echo "workload|pipeline|synap ops/s|redis ops/s|ratio|synap p50/p99 ms|redis p50/p99 ms|cpu wait ms s/r"
	for pipeline in $PIPELINES; do
		for test in "${workloads[@]}"; do
			s_rps=$(median "$test" "$pipeline" synap 5)
			r_rps=$(median "$test" "$pipeline" redis 5)
			ratio=$(awk -v a="$s_rps" -v b="$r_rps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
			printf '%s|%s|%.0f|%.0f|%s|%s/%s|%s/%s|%s/%s\n' "$(echo "$test" | tr a-z A-Z)" "$pipeline" \
				"$s_rps" "$r_rps" "$ratio" \
				"$(median "$test" "$pipeline" synap 6)" "$(median "$test" "$pipeline" synap 7)" \
				"$(median "$test" "$pipeline" redis 6)" "$(median "$test" "$pipeline" redis 7)" \
				"$(median "$test" "$pipeline" synap 8)" "$(median "$test" "$pipeline" redis 8)"
		done
	done
} | table

# The target's p99: each server at half of Redis's peak above (the median
# throughput of Redis's rounds), open loop, so that neither is measured
# by the queue that saturating clients build. Rounds alternate servers.
[ -n "$OPENLOOP" ] || exit 0
ol_results="$work/openloop.results"
: >"$ol_results"
# openloop_run SERVER PORT TEST PIPELINE RATE ROUND
openloop_run() {
	local out
	[ "$OVERWRITE" = 1 ] && writer_start "$2"
	out=$("${NICE[@]}" "$work/openloop" -addr "127.0.0.1:$2" -conns "$CLIENTS" -pipeline "$4" -rate "$5" \
		-test "$3" -keyspace "$KEYSPACE" -duration "${OPENLOOP_SECS}s" 2>&1) ||
		die "openloop against $1 failed: $out"
	writer_stop
	echo "$3 $4 $1 $6 $out" >>"$ol_results"
	echo "bench: open loop round $6 $3 -P $4 at $5/s $1: $out" >&2
}
declare -a ol_rows=()
for pipeline in $PIPELINES; do
	for test in $OPENLOOP; do
		case " ${workloads[*]} " in *" $test "*) ;; *) continue ;; esac
		r_rps=$(median "$test" "$pipeline" redis 5)
		rate=$(awk -v r="$r_rps" 'BEGIN { printf "%d", r / 2 }')
		[ "$rate" -gt 0 ] || continue
		ol_rows+=("$test $pipeline $rate")
		for ((round = 1; round <= ROUNDS; round++)); do
			both "$round" openloop_run "$test" "$pipeline" "$rate" "$round"
		done
	done
done
kill -0 "$synap_pid" 2>/dev/null || die "synap died during the open-loop runs; log: $work/synap.log"

# ol_median TEST PIPELINE SERVER FIELD (5 rps, 6 p50, 7 p99, 8 p99.9, 9 max)
ol_median() { median "$@" "$ol_results"; }
# late TEST PIPELINE: the share of batches the client sent over 100 µs late,
# over every round of both servers (its own lag, not a server's).
late() {
	awk -v t="$1" -v p="$2" '$1 == t && $2 == p { split($10, f, "/"); l += f[1]; n += f[2] } END { printf "%.1f%%", n ? 100 * l / n : 0 }' "$ol_results"
}
echo
echo "p99 at half of Redis's peak (open loop, $CLIENTS connections, median of $ROUNDS rounds; target: ratio <= 1.0)"
{
	echo "workload|pipeline|commands/s|synap p50/p99/p99.9 ms|redis p50/p99/p99.9 ms|p99 ratio|client late"
	for row in "${ol_rows[@]}"; do
		read -r test pipeline rate <<<"$row"
		s99=$(ol_median "$test" "$pipeline" synap 7)
		r99=$(ol_median "$test" "$pipeline" redis 7)
		printf '%s|%s|%s|%s/%s/%s|%s/%s/%s|%s|%s\n' "$(echo "$test" | tr a-z A-Z)" "$pipeline" "$rate" \
			"$(ol_median "$test" "$pipeline" synap 6)" "$s99" "$(ol_median "$test" "$pipeline" synap 8)" \
			"$(ol_median "$test" "$pipeline" redis 6)" "$r99" "$(ol_median "$test" "$pipeline" redis 8)" \
			"$(awk -v a="$s99" -v b="$r99" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')" \
			"$(late "$test" "$pipeline")"
	done
} | table
