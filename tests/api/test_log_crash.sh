#!/usr/bin/env bash
# Crash test of the transparency log (issue 5): kill -9 forewarnd while a
# release of 600 copies is being sealed and stored; after a restart the
# deliveries and the log entries agree one to one, the log's tree covers
# every delivery, and the log extends the last checkpoint seen before the
# kill (consistency proof) - checked by `forewarn log verify` and `audit`.
. "$(dirname "$0")/lib.sh"
SRC=${FW_SRC:-.}
DATA="$TMP/data"
F="$FW_BIN/forewarn"
MEMBERS=${FW_CRASH_MEMBERS:-150}

start_daemon "$DATA" --simulated-clock 2025-06-20T00:00:00Z
api_json "$ADMIN" PUT "/api/v1/policy?comment=first" "$(cat "$SRC/examples/policy.fw")"
check "policy applied" status_is 201
age-keygen -o "$TMP/k.key" 2>/dev/null
RCP=$(age-keygen -y "$TMP/k.key")
added=0
for i in $(seq 1 "$MEMBERS"); do
	api_json "$ADMIN" POST /api/v1/members "{\"id\":\"m$i\",\"name\":\"m$i\",\"tier\":\"validate\",\"jurisdiction\":\"DE\",\"age_recipient\":\"$RCP\"}"
	[ "$STATUS" = 201 ] && added=$((added + 1))
done
check "$MEMBERS members added" [ "$added" = "$MEMBERS" ]
api_json "$ADMIN" POST /api/v1/tokens '{"role":"auditor"}'
printf '%s' "$(jbody .token)" >"$TMP/auditor.token"
api "" GET /api/v1/program
VKEY=$(jbody .log_verifier_key)
api_json "$ADMIN" POST /api/v1/advisories '{"id":"big","title":"big","public_at":"2025-07-08T17:00:00Z"}'
head -c 200000 /dev/urandom | base64 >"$TMP/art.txt"
for k in summary description detection poc; do
	api "$ADMIN" POST "/api/v1/advisories/big/artifacts/$k" -H 'Content-Type: text/plain' --data-binary "@$TMP/art.txt"
done
api_json "$ADMIN" POST /api/v1/advisories/big/schedule '{}'
check "advisory scheduled" status_is 200
WANT=$((MEMBERS * 4))

cp_size() { api "$(cat "$TMP/auditor.token")" GET /log/checkpoint; sed -n 2p "$TMP/body"; }
total() { api "$ADMIN" GET "/api/v1/deliveries?limit=100000"; jbody '.deliveries | length'; }

# Release, keep the newest checkpoint while it runs, and kill -9 mid-way.
api_json "$ADMIN" POST /api/v1/clock '{"set":"2025-06-25T00:00:00Z"}'
for _ in $(seq 1 200); do
	"$F" --token-file "$TMP/auditor.token" log checkpoint --log-key "$VKEY" >"$TMP/cp.new" 2>/dev/null &&
		[ "$(sed -n 2p "$TMP/cp.new")" -gt 2 ] && mv "$TMP/cp.new" "$TMP/cp.before" && break
	sleep 0.02
done
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
PID=""
check "a checkpoint was seen before the kill" test -s "$TMP/cp.before"
echo "  killed with a checkpoint of $(sed -n 2p "$TMP/cp.before") entries seen"

start_daemon "$DATA" --simulated-clock 2025-06-25T00:00:00Z
is_total() { [ "$(total)" = "$WANT" ]; }
check "after restart all $WANT copies are delivered" wait_for 600 is_total
# The applied policy version and the schedule are two more entries.
log_covers() { [ "$(cp_size)" = "$((WANT + 2))" ]; }
check "the log's tree covers every delivery" wait_for 100 log_covers
if [ -z "${FW_API_DB:-}" ]; then
	DB="$DATA/forewarn.db"
	check "no delivery without its entry" [ "$(sqlite3 "$DB" "SELECT count(*) FROM deliveries d LEFT JOIN log_entries e ON e.delivery_id = d.id WHERE e.idx IS NULL")" = 0 ]
	check "no delivery entry without its delivery" [ "$(sqlite3 "$DB" "SELECT count(*) FROM log_entries e LEFT JOIN deliveries d ON d.id = e.delivery_id WHERE e.delivery_id IS NOT NULL AND d.id IS NULL")" = 0 ]
	check "entries are numbered 0..n-1 without gaps" [ "$(sqlite3 "$DB" "SELECT count(*) || ':' || min(idx) || ':' || max(idx) FROM log_entries")" = "$((WANT + 2)):0:$((WANT + 1))" ]
fi
check "the log extends the checkpoint seen before the kill" \
	"$F" --token-file "$TMP/auditor.token" log verify --from "$TMP/cp.before" --log-key "$VKEY"
check "audit of the whole log passes, from that checkpoint" \
	"$F" --token-file "$TMP/auditor.token" log audit --from "$TMP/cp.before" --log-key "$VKEY"
finish
