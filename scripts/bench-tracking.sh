#!/usr/bin/env bash
# Client-side caching against redis-server side by side: 50 RESP3
# connections read random keys, pipelined 16 deep, with CLIENT TRACKING ON
# (so the server remembers every read) while two connections write 20,000
# keys a second among them (so it sends invalidations); then the same
# reads without tracking. BENCH_ROUNDS alternating rounds (default 3),
# each server first in turn; the table shows each row's median.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v redis-server >/dev/null || { echo "bench-tracking: redis-server not found (Debian: apt-get install redis-server)" >&2; exit 1; }
mkdir -p .bench
echo "bench-tracking: building synap and the benchmark" >&2
CGO_ENABLED=0 go build -o .bench/synap ./cmd/synap
go build -o .bench/trackbench ./scripts/trackbench
ROUNDS=${BENCH_ROUNDS:-3}
dir=$(mktemp -d)
spid="" rpid=""
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sport=$(free_port) rport=$(free_port)
SYNAP_APPENDONLY=no SYNAP_SAVE="" .bench/synap serve --bind 127.0.0.1 --port "$sport" --http-port off --dir "$dir/synap" >"$dir/synap.log" 2>&1 &
spid=$!
redis-server --bind 127.0.0.1 --port "$rport" --save "" --appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 &
rpid=$!
for port in "$sport" "$rport"; do
	for _ in $(seq 100); do redis-cli -p "$port" PING >/dev/null 2>&1 && break; sleep 0.1; done
done
declare -A out
for ((r = 1; r <= ROUNDS; r++)); do
	order=("synap $sport" "redis $rport")
	((r % 2)) || order=("redis $rport" "synap $sport")
	for mode in on off; do
		for s in "${order[@]}"; do
			set -- $s
			res=$(.bench/trackbench -addr "127.0.0.1:$2" -duration 4s -tracking=$([ $mode = on ] && echo true || echo false))
			echo "bench-tracking: round $r tracking $mode $1: $res (reads/s, pushes/s)" >&2
			out[$1,$mode]+="${res%% *} "
		done
	done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "tracking | synap reads/s | redis reads/s | ratio"
echo "---|---|---|---"
for mode in on off; do
	s=$(median "${out[synap,$mode]}") r=$(median "${out[redis,$mode]}")
	echo "$mode | $s | $r | $(awk -v a="$s" -v b="$r" 'BEGIN {printf "%.2f", a/b}')"
done
