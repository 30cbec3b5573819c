#!/usr/bin/env bash
# Several nodes, kill -9 (issue 6), with a real release to 2,000 members.
#
# On PostgreSQL (FW_API_DB set): two forewarnd nodes on one database. The
# advisory is scheduled on node A; node B, asleep on its timer, is woken by
# A's notification and releases too (claims keep them apart). A is killed
# with -9 mid-release; B finishes, taking over A's expired claims. On SQLite:
# one node, killed with -9 mid-release and restarted.
# Either way: every entitled member has exactly one copy of each kind, the
# log has exactly one entry per copy, and it extends a checkpoint taken
# before the kill.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nodes_lib.sh"
DATA="$TMP/data"
MEMBERS=${FW_NODES_MEMBERS:-2000}
CLOCK=2025-06-25T00:00:00Z # every validate grant (T-14d) is due
LEASE=3

start_daemon "$DATA" --simulated-clock "$CLOCK" --claim-lease "$LEASE" ${FW_NODES_FLAGS:-}
api_json "$ADMIN" PUT "/api/v1/policy?comment=first" "$(cat "$SRC/examples/policy.fw")"
check "policy applied" status_is 201
t0=$SECONDS
check "$MEMBERS members added, each with its own age key" [ "$(add_members "$MEMBERS")" = "$MEMBERS" ]
echo "  members added in $((SECONDS - t0)) s"
auditor_setup
make_advisory big summary poc
WANT=$((MEMBERS * 2))
BASE=$(cp_size)

if [ -n "${FW_API_DB:-}" ]; then
	start_node b "$DATA" --simulated-clock "$CLOCK" --claim-lease "$LEASE"
	PID_B=$NODE_PID
	URL_B=$NODE_URL
	check "node B serves the same program" \
		sh -c "curl -sf -H 'Authorization: Bearer $ADMIN' $URL_B/api/v1/members/m00001 >/dev/null"
fi

api_json "$ADMIN" POST /api/v1/advisories/big/schedule '{}'
check "advisory scheduled on node A" status_is 200
t0=$SECONDS
check "a checkpoint was taken mid-release" checkpoint_mid_release "$BASE" "$WANT"
before=$(total)
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
PID=""
echo "  node A killed with $before of $WANT copies delivered, checkpoint of $(sed -n 2p "$TMP/cp.before")"

if [ -n "${FW_API_DB:-}" ]; then
	URL=$URL_B
	export FOREWARN_URL=$URL_B
	check_release "$WANT" "$BASE" "$DATA"
	echo "  release finished $((SECONDS - t0)) s after scheduling"
	b_copies=$(grep -o 'scheduler pass delivered [0-9]*' "$TMP/b.log" | awk '{s += $4} END {print s + 0}')
	echo "  node B delivered $b_copies copies"
	check "node B was woken by node A's notification and released" [ "$b_copies" -gt 0 ]
	check "no claim is left" [ "$(node_sql "$DATA" "SELECT count(*) FROM release_claims")" = 0 ]
	check "B's checkpoints are consistent with A's" \
		"$FW" --url "$URL_B" --token-file "$TMP/auditor.token" log audit --from "$TMP/cp.before" --log-key "$VKEY"
	kill -TERM "$PID_B"
	check "node B stops cleanly" wait "$PID_B"
else
	start_daemon "$DATA" --simulated-clock "$CLOCK"
	check_release "$WANT" "$BASE" "$DATA"
	echo "  release finished $((SECONDS - t0)) s after scheduling"
	check "audit of the whole log passes, from that checkpoint" \
		"$FW" --token-file "$TMP/auditor.token" log audit --from "$TMP/cp.before" --log-key "$VKEY"
fi
finish
