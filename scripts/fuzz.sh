#!/usr/bin/env bash
# make fuzz: runs each libFuzzer target over its corpus for FUZZ_SECONDS
# (default 60) and fails on any crash.
set -euo pipefail
build=${1:-build-fuzz}
secs=${FUZZ_SECONDS:-60}
for f in "$build"/fuzz_*; do
	name=$(basename "$f")
	corpus="fuzz/corpus/${name#fuzz_}"
	mkdir -p "$corpus"
	work=$(mktemp -d)
	echo "fuzz: $name for ${secs}s over $corpus"
	"$f" -max_total_time="$secs" -print_final_stats=1 "$work" "$corpus" 2>&1 | tail -n 5
	rm -rf "$work"
done
