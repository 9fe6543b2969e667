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
exec "$work/noisy" -synap "$work/synap" -dir "$work" -out .bench/noisy.md \
	-window "${NOISY_WINDOW:-6s}" -rate "${NOISY_RATE:-2000}" \
	-vmem-mib "${NOISY_VMEM_MIB:-4096}" -keys "${NOISY_KEYS:-1000000}" "$@"
