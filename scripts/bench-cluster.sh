#!/usr/bin/env bash
# Cluster mode against standalone, in the same run: an authenticated tenant
# with no limits against plain standalone (target: <= 5% slower), and one
# tenant among 10,000 tenants of 100 keys each against a lone tenant holding
# the same 1,000,000 keys (target: <= 10% slower). Standalone holds those
# keys too, so each comparison measures what tenancy costs, not what a
# bigger dataset costs. GET and SET, 50 clients, pipeline 1 and 16,
# BENCH_ROUNDS alternating rounds, medians.
set -euo pipefail
# Synap in memory, as the redis-server it is compared with (persistence is
# on by default: a log and snapshots in ./data).
export SYNAP_APPENDONLY="${SYNAP_APPENDONLY:-no}" SYNAP_SAVE="${SYNAP_SAVE-}"
cd "$(dirname "$0")/.."

N=${BENCH_N:-200000}
ROUNDS=${BENCH_ROUNDS:-3}
TENANTS=${BENCH_TENANTS:-10000}
KEYS=${BENCH_TENANT_KEYS:-100}
ADMIN=bench-operator-key-0123456789

die() { echo "bench-cluster: $*" >&2; exit 1; }
for tool in redis-benchmark redis-cli go; do
	command -v "$tool" >/dev/null || die "$tool not found (Debian: apt-get install redis-tools)"
done

work=.bench/cluster
mkdir -p "$work"
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT

CGO_ENABLED=0 go build -o "$work/synap" ./cmd/synap
go run ./scripts/gentenants -tenants 1 -file "$work/one.yaml" -keys $((TENANTS * KEYS)) >"$work/fill-one.resp"
go run ./scripts/gentenants -tenants "$TENANTS" -file "$work/many.yaml" -keys "$KEYS" >"$work/fill.resp"

# start NAME ARGS...: a synap on a free port; sets PORT.
start() {
	local name=$1
	shift
	: >"$work/$name.log" # emptied before the job starts: see bench.sh
	"$work/synap" serve --port 0 --http-port off "$@" 2>"$work/$name.log" &
	pids+=($!)
	for _ in $(seq 100); do
		PORT=$(sed -n 's/.*msg="serving RESP" addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/$name.log" | head -n1)
		[ -n "$PORT" ] && return 0
		sleep 0.1
	done
	die "$name did not start: $(cat "$work/$name.log")"
}

start standalone
p_std=$PORT
start one --cluster-mode --tenants-file "$work/one.yaml" --admin-key "$ADMIN"
p_one=$PORT
start many --cluster-mode --tenants-file "$work/many.yaml" --admin-key "$ADMIN"
p_many=$PORT
echo "bench-cluster: filling $TENANTS tenants x $KEYS keys, and one tenant with as many" >&2
redis-cli -p "$p_many" --pipe <"$work/fill.resp" >/dev/null
redis-cli -p "$p_one" --pipe <"$work/fill-one.resp" >/dev/null
# Standalone holds the same keys (its AUTH line is refused, the SETs are not).
redis-cli -p "$p_std" --pipe <"$work/fill-one.resp" >/dev/null || true

results=$(mktemp "$work/results.XXXXXX")
run() { # NAME PORT TEST PIPELINE [AUTH]
	local n=$N out row
	[ "$4" -gt 1 ] && n=$((n * 5))
	out=$(redis-benchmark -p "$2" ${5:+-a "$5"} -c 50 -P "$4" -r 100000 -n "$n" -t "$3" --csv 2>/dev/null)
	row=$(printf '%s\n' "$out" | awk -F, '$1 != "\"test\"" && NF >= 8 { gsub(/"/, ""); split($0, f, ","); print f[2]; exit }')
	[ -n "$row" ] || die "no result for $1 $3 -P $4: $out"
	echo "$3 $4 $1 $row" >>"$results"
	echo "bench-cluster: $1 $3 -P $4: $row" >&2
}
# The servers take turns going first, so none always runs on a warm or a
# cold machine.
order=(standalone one many)
for ((round = 1; round <= ROUNDS; round++)); do
	for pipeline in 1 16; do
		for test in get set; do
			for server in "${order[@]}"; do
				case $server in
				standalone) run standalone "$p_std" $test $pipeline ;;
				one) run one "$p_one" $test $pipeline bench-key-0 ;;
				many) run many "$p_many" $test $pipeline bench-key-0 ;;
				esac
			done
		done
	done
	order=("${order[@]:1}" "${order[0]}")
done
median() {
	awk -v t="$1" -v p="$2" -v s="$3" '$1 == t && $2 == p && $3 == s { print $4 }' "$results" |
		sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
printf '%-8s %8s %12s %12s %8s %14s %8s\n' workload pipeline standalone "1 tenant" ratio "${TENANTS} tenants" ratio
for pipeline in 1 16; do
	for test in get set; do
		s=$(median $test $pipeline standalone)
		o=$(median $test $pipeline one)
		m=$(median $test $pipeline many)
		printf '%-8s %8s %12.0f %12.0f %8.2f %14.0f %8.2f\n' "$(echo $test | tr a-z A-Z)" "$pipeline" "$s" "$o" \
			"$(awk -v a="$o" -v b="$s" 'BEGIN { print a / b }')" "$m" "$(awk -v a="$m" -v b="$o" 'BEGIN { print a / b }')"
	done
done
