#!/usr/bin/env bash
# Database faults under two nodes (issue 6), with real releases to 2,000
# members, on a PostgreSQL cluster of the test's own (it is restarted and
# made read-only, which would disturb other tests sharing FW_API_DB):
#  (3) PostgreSQL restarted (immediate: a crash) mid-release: both nodes
#      reconnect and finish, without duplicates, with a consistent log;
#  (4) the database refuses writes mid-release: the API says so clearly
#      (503 unavailable), no delivery is visible without its log entry, and
#      the release finishes once the database is writable again.
# Runs with the PostgreSQL API tests (FW_API_DB set); skipped otherwise.
. "$(dirname "$0")/lib.sh"
if [ -z "${FW_API_DB:-}" ]; then
	echo "skipped: PostgreSQL faults need FW_API_DB (the api-pg tests)"
	exit 77
fi
. "$(dirname "$0")/nodes_lib.sh"
CLUSTER=$("$SRC/scripts/pg-test-cluster.sh" start 2>/dev/null)
FW_API_DB=$CLUSTER
faults_cleanup() {
	nodes_cleanup
	"$SRC/scripts/pg-test-cluster.sh" stop "$CLUSTER" 2>/dev/null || true
}
trap faults_cleanup EXIT
DATA="$TMP/data"
MEMBERS=${FW_NODES_MEMBERS:-2000}
CLOCK=2025-06-25T00:00:00Z
LEASE=3
DBNAME=$(printf '%s' "$CLUSTER" | sed -E 's|.*/([^/?]+)(\?.*)?$|\1|')
admin_sql() { psql -X -A -t -q "$CLUSTER" -c "SET default_transaction_read_only = off" -c "$1"; }
kick_sessions() { # every session of the database starts again, under the new setting
	admin_sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$DBNAME' AND pid <> pg_backend_pid()" >/dev/null
}

start_daemon "$DATA" --simulated-clock "$CLOCK" --claim-lease "$LEASE"
api_json "$ADMIN" PUT "/api/v1/policy?comment=first" "$(cat "$SRC/examples/policy.fw")"
check "$MEMBERS members added" [ "$(add_members "$MEMBERS")" = "$MEMBERS" ]
auditor_setup
start_node b "$DATA" --simulated-clock "$CLOCK" --claim-lease "$LEASE"
PID_B=$NODE_PID
URL_B=$NODE_URL
WANT=$((MEMBERS * 2))

# --- (3) PostgreSQL restarted mid-release --------------------------------
make_advisory one summary poc
BASE=$(cp_size)
api_json "$ADMIN" POST /api/v1/advisories/one/schedule '{}'
check "advisory one scheduled" status_is 200
check "a checkpoint was taken mid-release" checkpoint_mid_release "$BASE" "$WANT"
before=$(total)
"$SRC/scripts/pg-test-cluster.sh" restart "$CLUSTER" immediate 2>/dev/null
echo "  PostgreSQL restarted (immediate) with $before of $WANT copies delivered"
check "node A is still running" kill -0 "$PID"
check "node B is still running" kill -0 "$PID_B"
check_release "$WANT" "$BASE" "$DATA"
check "node A reconnected" grep -q 'reconnecting\|connection to the database was lost' "$TMP/daemon.log"
check "node B serves requests after the restart" \
	sh -c "curl -sf -H 'Authorization: Bearer $ADMIN' $URL_B/api/v1/members/m00001 >/dev/null"

# --- (4) the database refuses writes mid-release -------------------------
make_advisory two summary poc
BASE=$(cp_size)
api_json "$ADMIN" POST /api/v1/advisories/two/schedule '{}'
check "advisory two scheduled" status_is 200
check "a checkpoint was taken mid-release" checkpoint_mid_release "$((BASE + WANT / 10))" "$((2 * WANT))"
admin_sql "ALTER DATABASE \"$DBNAME\" SET default_transaction_read_only = on" >/dev/null
kick_sessions
sleep 1
ro_count=$(total)
echo "  database read-only with $((ro_count - WANT)) of $WANT copies of advisory two delivered"
api_json "$ADMIN" POST /api/v1/members '{"id":"late","name":"late","tier":"validate","jurisdiction":"DE","age_recipient":"age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"}'
check "a write is refused with 503 unavailable" status_is 503
check "the error is a stable code" [ "$(jbody .error.code)" = unavailable ]
check "the operator's log says the database is read-only" grep -q 'read-only' "$TMP/daemon.log" "$TMP/b.log"
sleep 3
check "no copy is delivered while the database refuses writes" [ "$(total)" = "$ro_count" ]
check "no delivery is visible without its log entry" \
	[ "$(node_sql "$DATA" "SELECT count(*) FROM deliveries d LEFT JOIN log_entries e ON e.delivery_id = d.id WHERE e.idx IS NULL")" = 0 ]
check "reads still work: the deliveries are listed" [ "$ro_count" -ge "$WANT" ]
admin_sql "ALTER DATABASE \"$DBNAME\" RESET default_transaction_read_only" >/dev/null
kick_sessions
echo "  database writable again"
check_release "$((2 * WANT))" "$((BASE - WANT))" "$DATA"
check "no claim is left" [ "$(node_sql "$DATA" "SELECT count(*) FROM release_claims")" = 0 ]
finish
