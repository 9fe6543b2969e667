#!/usr/bin/env bash
# Noisy neighbours: tenant B's GET/SET latency on a cluster-mode Synap while
# tenant A attacks it (long walks, huge replies and arguments, transient
# allocations), one attack at a time. Builds Synap from this checkout, runs
# scripts/noisy against it, prints the markdown table and writes it to
# .bench/noisy.md. Takes about 3 minutes on 2 cores.
#
# Environment (each also a flag of scripts/noisy; extra arguments are passed on):
#   NOISY_WINDOW    how long B is measured alone and under each attack (default 6s)
#   NOISY_RATE      B's requests per second (default 2000)
#   NOISY_VMEM_MIB  the server's address-space limit, ulimit -v (default 4096)
#   NOISY_KEYS      tenant A's keys for the walks (default 1000000)
#   NOISY_PIN       1 (default, with taskset and 2 or more CPUs): the server on
#                   CPU 0, both tenants' clients on the others, as if the
#                   clients were other machines; 0: everything shares every CPU.
#                   Unpinned on 2 cores, B's client waits for a CPU about
#                   twice as long under an attack as alone (the report's
#                   "B's client waited" column), and six rows pass 3x (README,
#                   "Noisy neighbours", round 11).
set -euo pipefail
# Synap in memory, as the redis-server it is compared with (persistence is
# on by default: a log and snapshots in ./data).
export SYNAP_APPENDONLY="${SYNAP_APPENDONLY:-no}" SYNAP_SAVE="${SYNAP_SAVE-}"
cd "$(dirname "$0")/.."

command -v go >/dev/null || { echo "bench-noisy: go not found" >&2; exit 1; }
work=.bench/noisy
mkdir -p "$work"
echo "bench-noisy: building synap and the benchmark" >&2
CGO_ENABLED=0 go build -o "$work/synap" ./cmd/synap
go build -o "$work/noisy" ./scripts/noisy
synap="$work/synap" pin=() placement=""
cpus=$(nproc)
if [ "${NOISY_PIN:-1}" = 1 ] && [ "$cpus" -ge 2 ] && command -v taskset >/dev/null; then
	# The server (every thread it starts) on CPU 0, under the ulimit the
	# benchmark sets: a wrapper it execs.
	printf '#!/bin/sh\nexec taskset -c 0 "%s" "$@"\n' "$PWD/$work/synap" >"$work/synap-pinned"
	chmod +x "$work/synap-pinned"
	synap="$work/synap-pinned"
	pin=(taskset -c "1-$((cpus - 1))")
	placement="pinned: the server on CPU 0, both tenants' clients on CPUs 1-$((cpus - 1)) of $cpus (NOISY_PIN=0: not pinned)"
fi
exec "${pin[@]}" "$work/noisy" -synap "$synap" -placement "$placement" -dir "$work" -out .bench/noisy.md \
	-window "${NOISY_WINDOW:-6s}" -rate "${NOISY_RATE:-2000}" \
	-vmem-mib "${NOISY_VMEM_MIB:-4096}" -keys "${NOISY_KEYS:-1000000}" "$@"
