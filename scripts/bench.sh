#!/usr/bin/env bash
# make bench: the benchmarks, printed as ratios to a floor measured in the
# same run. MEMBERS=10000 make bench for the larger fan-out.
set -euo pipefail
build=${1:-build}
"$build/bench_release" --members "${MEMBERS:-1000}" --size 65536
if [ -z "${MEMBERS:-}" ]; then
	"$build/bench_release" --members 10000 --size 65536
fi
"$build/bench_policy" --members "${POLICY_MEMBERS:-10000}" --advisories "${POLICY_ADVISORIES:-100}"
"$build/bench_log"
# Release fan-out on PostgreSQL with one and two nodes, as ratios to SQLite;
# says it is skipped unless FW_TEST_PG_URL names a database.
"$build/bench_nodes" --members "${NODES_MEMBERS:-2000}"
"$build/bench_trace" --members "${TRACE_MEMBERS:-10000}" --points "${TRACE_POINTS:-300}"
# Tracing at the size: 100,000 recipients x 2,000 points (< 1 s).
"$build/bench_trace" --members 100000 --points 2000
# The attribution table by simulation (a quick subset, ~1 minute);
# TRACE_SIM=--full for the whole table (c = 2..8, several minutes).
"$build/bench_trace_sim" ${TRACE_SIM:-}
