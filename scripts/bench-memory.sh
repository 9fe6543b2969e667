#!/usr/bin/env bash
# Memory side by side: each row loads the same data (scripts/memload, through
# redis-cli --pipe) into a fresh redis-server (--save "" --appendonly no) and
# a fresh Synap (in memory, no persistence; cluster mode for the tenants row, with a tenants
# file from scripts/gentenants), lets the process settle (at least
# MEM_SETTLE_MIN seconds, as both return freed memory lazily: jemalloc's
# dirty pages decay over 10 s, Synap releases its spare heap once idle; then
# until its RSS moved less than 1% in 3 s, at most MEM_SETTLE_MAX seconds)
# and reads VmRSS from /proc/<pid>/status. The table goes to
# .bench/memory.md and stdout.
#
# Environment:
#   MEM_ROWS        rows (default "strings ttl hashes lists sets zsets tenants")
#   MEM_SETTLE_MIN  shortest settle per server, seconds (default 8)
#   MEM_SETTLE_MAX  longest settle per server, seconds (default 15)
#   SYNAP_ARGS      extra arguments for synap serve (compare settings)
#   MEM_PURGE       1: send MEMORY PURGE to each server once its load is in,
#                   before the settle (jemalloc's purge for redis-server,
#                   Synap's collection and release), so the rows compare the
#                   data's layout without depending on when each server's
#                   own lazy release happens to run
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${MEM_ROWS:-strings ttl hashes lists sets zsets tenants}
PURGE=${MEM_PURGE:-0}
SETTLE_MIN=${MEM_SETTLE_MIN:-8}
SETTLE_MAX=${MEM_SETTLE_MAX:-15}
ADMIN=bench-operator-key-0123456789

die() { echo "bench-memory: $*" >&2; exit 1; }
for tool in redis-server redis-cli go; do
	command -v "$tool" >/dev/null || die "$tool not found (Debian: apt-get install redis-server redis-tools)"
done

work=.bench/memory
mkdir -p "$work"
pid=""
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Static, as make build builds it: a binary linked to libc maps 1.3 MB more.
CGO_ENABLED=0 go build -o "$work/synap" ./cmd/synap
go build -o "$work/memload" ./scripts/memload
go run ./scripts/gentenants -tenants 10000 -file "$work/tenants.yaml"

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_ping() { # PORT: any reply will do (cluster mode answers NOAUTH)
	for _ in $(seq 100); do
		[ -n "$(redis-cli -p "$1" PING 2>/dev/null)" ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

start_redis() { # sets pid, PORT
	for _ in $(seq 10); do
		PORT=$((20000 + RANDOM % 20000))
		port_in_use "$PORT" && continue
		redis-server --bind 127.0.0.1 --port "$PORT" --save "" --appendonly no \
			--daemonize no --logfile "$work/redis.log" &
		pid=$!
		wait_ping "$PORT" && return 0
		wait "$pid" 2>/dev/null || true
	done
	die "could not start redis-server: $(tail -n 5 "$work/redis.log")"
}

start_synap() { # ARGS...; sets pid, PORT
	: >"$work/synap.log" # emptied before the job starts: see bench.sh
	# In memory, as redis-server runs here, and in an empty directory of
	# its own: persistence is on by default, and a server started in the
	# checkout would log the load and load the last row's snapshot.
	rm -rf "$work/data"
	mkdir -p "$work/data"
	"$work/synap" serve --bind 127.0.0.1 --port 0 --http-port 0 --dir "$work/data" --appendonly no --save "" \
		"$@" ${SYNAP_ARGS:-} 2>"$work/synap.log" &
	pid=$!
	for _ in $(seq 300); do
		PORT=$(sed -n 's/.*msg="serving RESP" addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/synap.log" | head -n1)
		[ -n "$PORT" ] && wait_ping "$PORT" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	die "synap did not start: $(tail -n 5 "$work/synap.log")"
}

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status"; }
# anon_kb: the settled RSS's anonymous part (heap, stacks, runtime); the rest
# is file pages (the executable, and redis-server's shared libraries).
anon_kb() { sed -n 's/^RssAnon:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status"; }

settle() { # prints the settled RSS in kB
	local last now stable=0 i
	last=$(rss_kb)
	for ((i = 0; i < SETTLE_MAX; i++)); do
		sleep 1
		now=$(rss_kb)
		if [ $(((now > last ? now - last : last - now) * 100)) -lt "$last" ]; then
			stable=$((stable + 1))
		else
			stable=0
		fi
		last=$now
		[ "$stable" -ge 3 ] && [ "$i" -ge "$SETTLE_MIN" ] && break
	done
	echo "$last"
}

stop() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=""
}

purge() { # [redis-cli auth arguments...]
	[ "$PURGE" = 1 ] || return 0
	redis-cli -p "$PORT" "$@" MEMORY PURGE >/dev/null
}

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

table=$work/../memory.md
{
	echo "# Memory: RSS after loading$([ "$PURGE" = 1 ] && echo " and MEMORY PURGE"), redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') vs Synap $(git describe --always --dirty 2>/dev/null || echo)"
	echo
	echo "| row | redis RSS MB | synap RSS MB | ratio | redis anon MB | synap anon MB |"
	echo "|---|---:|---:|---:|---:|---:|"
} >"$table"

for row in $ROWS; do
	redis_flag=""
	[ "$row" = tenants ] && redis_flag=-redis
	start_redis
	"$work/memload" -row "$row" $redis_flag | redis-cli -p "$PORT" --pipe >"$work/pipe.log" ||
		die "redis-server load of $row failed: $(cat "$work/pipe.log")"
	purge
	r=$(settle)
	ra=$(anon_kb)
	rkeys=$(redis-cli -p "$PORT" DBSIZE)
	stop

	if [ "$row" = tenants ]; then
		start_synap --cluster-mode --tenants-file "$work/tenants.yaml" --admin-key "$ADMIN"
	else
		start_synap
	fi
	"$work/memload" -row "$row" | redis-cli -p "$PORT" --pipe >"$work/pipe.log" ||
		die "synap load of $row failed: $(cat "$work/pipe.log")"
	if [ "$row" = tenants ]; then
		purge --no-auth-warning -a "$ADMIN"
	else
		purge
	fi
	s=$(settle)
	sa=$(anon_kb)
	stop

	ratio=$(awk -v r="$r" -v s="$s" 'BEGIN { printf "%.2f", s / r }')
	echo "bench-memory: $row: redis $(mb "$r") MB ($rkeys keys), synap $(mb "$s") MB, ratio $ratio" >&2
	echo "| $row | $(mb "$r") | $(mb "$s") | $ratio | $(mb "$ra") | $(mb "$sa") |" >>"$table"
done
cat "$table"
