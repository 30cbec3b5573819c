#!/usr/bin/env bash
# Expedite: exploitation in the wild moves T earlier; every release moves
# with T and what is now due goes out at once.
. "$(dirname "$0")/lib.sh"
SRC=${FW_SRC:-.}

start_daemon "$TMP/data" --simulated-clock 2025-06-20T00:00:00Z
export FOREWARN_TOKEN_FILE="$TMP/data/admin.token"
api_json "$ADMIN" PUT /api/v1/policy "$(cat "$SRC/examples/policy.fw")"
add() {
	age-keygen -o "$TMP/$1.key" 2>/dev/null
	api_json "$ADMIN" POST /api/v1/members "{\"id\":\"$1\",\"name\":\"$1\",\"tier\":\"$2\",\"jurisdiction\":\"DE\",\"age_recipient\":\"$(age-keygen -y "$TMP/$1.key")\"}"
}
add v validate
add e entry
api_json "$ADMIN" POST /api/v1/advisories '{"id":"adv","title":"t","public_at":"2025-07-08T17:00:00Z"}'
for k in summary description poc; do
	echo "$k" | api "$ADMIN" POST "/api/v1/advisories/adv/artifacts/$k" --data-binary @-
done
check "expediting a draft is refused" bash -c "! '$FW' advisory expedite adv --public-at now --reason x 2>/dev/null"
api_json "$ADMIN" POST /api/v1/advisories/adv/schedule '{}'
total() { api "$ADMIN" GET /api/v1/deliveries; jbody '.deliveries | length'; }
check "nothing released three weeks before T" [ "$(total)" = 0 ]
api_json "$ADMIN" POST /api/v1/advisories/adv/expedite '{"public_at":"now"}'
check "expedite needs a reason" status_is 400
api_json "$ADMIN" POST /api/v1/advisories/adv/expedite '{"public_at":"2025-08-01T00:00:00Z","reason":"x"}'
check "expedite cannot move T later" status_is 400
check "expedite T to 2025-06-25: validate's T-14d is now past" \
	bash -c "'$FW' advisory expedite adv --public-at 2025-06-25T00:00:00Z --reason 'exploited in the wild' | grep -q expedited"
four() { [ "$(total)" = 3 ]; }
check "validate's three kinds go out at once" wait_for 100 four
api "$ADMIN" GET "/api/v1/advisories/adv/plan?member=e"
check "entry's summary moved with T to T-1d" \
	[ "$(jbody '.plan[] | select(.kind=="summary") | .release_at')" = 2025-06-24T00:00:00Z ]
check "expedite to now" bash -c "'$FW' advisory expedite adv --public-at now --reason 'mass exploitation' >/dev/null"
five() { [ "$(total)" = 5 ]; }
check "entry's summary and description go out at once" wait_for 100 five
api "$ADMIN" GET /api/v1/advisories/adv
check "the advisory is public" [ "$(jbody .status)" = public ]
api "$ADMIN" GET "/api/v1/deliveries?member=e"
check "entry never gets the poc" [ "$(jbody '[.deliveries[] | select(.kind=="poc")] | length')" = 0 ]
check "the expedite and its reason are in the log" grep -q 'expedited .*mass exploitation' "$TMP/daemon.log"

finish
