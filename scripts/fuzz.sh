#!/usr/bin/env bash
# Runs every Go fuzz target of the module, one after the other, for FUZZTIME
# each (go test -fuzz takes one target of one package at a time). Targets are
# found in the sources, so a new Fuzz* function is fuzzed without editing this.
set -euo pipefail

cd "$(dirname "$0")/.."

# An execution count ("300000x") rather than a duration: see the Makefile.
FUZZTIME=${FUZZTIME:-3000000x}

# Targets that build a whole server for every input (a crash then reproduces
# from its minimised input alone), or load a snapshot file into one with
# the allocation measured, run ten to a hundred times slower than the
# parsers: they get a share of the budget, so `make test` stays in its time
# (measured on 2 cores: FuzzSession about 370 executions a second,
# FuzzCommands about 3,700, the parsers 10,000 to 100,000).
declare -A divisor=([FuzzSession]=20 [FuzzLoad]=10 [FuzzLoadRecords]=10 [FuzzCommands]=3)
budget() { # NAME: the -fuzztime for the target
	local n=${FUZZTIME%x} d=${divisor[$1]:-1}
	if [[ "$d" -gt 1 && "$FUZZTIME" == *x && "$n" =~ ^[0-9]+$ ]]; then
		echo "$((n / d))x"
	else
		echo "$FUZZTIME"
	fi
}

found=0
while IFS= read -r dir; do
	while IFS= read -r name; do
		found=$((found + 1))
		t=$(budget "$name")
		echo "fuzz: $name in ./$dir for $t"
		# Minimizing each new corpus entry may take the default 60 s with
		# no executions counted: FuzzRoundTrip spent 4 of its 4.2 minutes so
		# (11k executions a second either way). Entries are kept less
		# trimmed; what is executed is the same.
		go test -run '^$' -fuzz "^${name}\$" -fuzztime "$t" -fuzzminimizetime 5s "./$dir"
	done < <(grep -ho '^func Fuzz[A-Za-z0-9_]*(' "$dir"/*_test.go | sed 's/^func \(.*\)(/\1/' | sort -u)
done < <(grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '/testdata/' | xargs -r -n1 dirname | sed 's|^\./||' | sort -u)

if [ "$found" -eq 0 ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi
echo "fuzz: $found targets passed"
