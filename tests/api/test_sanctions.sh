#!/usr/bin/env bash
# Suspend, reinstate, expel: effective at once, with a reason; a suspended
# member cannot download even what it already had; an expelled member's
# tokens stop working.
. "$(dirname "$0")/lib.sh"
SRC=${FW_SRC:-.}

start_daemon "$TMP/data" --simulated-clock 2025-06-20T00:00:00Z
export FOREWARN_TOKEN_FILE="$TMP/data/admin.token"
api_json "$ADMIN" PUT /api/v1/policy "$(cat "$SRC/examples/policy.fw")"
declare -A TOKEN
for m in a b; do
	age-keygen -o "$TMP/$m.key" 2>/dev/null
	api_json "$ADMIN" POST /api/v1/members "{\"id\":\"$m\",\"name\":\"$m\",\"tier\":\"validate\",\"jurisdiction\":\"DE\",\"age_recipient\":\"$(age-keygen -y "$TMP/$m.key")\"}"
	api_json "$ADMIN" POST /api/v1/tokens "{\"role\":\"member\",\"member\":\"$m\"}"
	TOKEN[$m]=$(jbody .token)
done
api_json "$ADMIN" POST /api/v1/advisories '{"id":"adv","title":"t","public_at":"2025-07-08T17:00:00Z"}'
for k in summary poc; do
	echo "$k" | api "$ADMIN" POST "/api/v1/advisories/adv/artifacts/$k" --data-binary @-
done
api_json "$ADMIN" POST /api/v1/advisories/adv/schedule '{}'
check "scheduled" status_is 200
count() { api "$ADMIN" GET "/api/v1/deliveries?member=$1"; jbody '.deliveries | length'; }

# a's summary is due at T-14d; suspend b just before.
api_json "$ADMIN" POST /api/v1/members/b/suspend '{}'
check "suspension needs a reason" status_is 400
check "the CLI suspends with a reason" bash -c "'$FW' member suspend b --reason 'suspected leak' | grep -q 'now suspended'"
api_json "$ADMIN" PATCH /api/v1/members/b '{"status":"active"}'
check "PATCH cannot lift a suspension without a reason" status_is 400
api "$ADMIN" GET "/api/v1/advisories/adv/plan?member=b"
check "the plan withholds everything from a suspended member, at once" \
	[ "$(jbody '[.plan[] | select(.decision == "release")] | length')" = 0 ]
api_json "$ADMIN" POST /api/v1/clock '{"set":"2025-06-24T17:00:00Z"}'
a_has_two() { [ "$(count a)" = 2 ]; }
check "a gets its copies at T-14d" wait_for 100 a_has_two
check "b, suspended, gets nothing" [ "$(count b)" = 0 ]

check "reinstate" bash -c "'$FW' member reinstate b --reason 'cleared' | grep -q 'now active'"
b_has_two() { [ "$(count b)" = 2 ]; }
check "a reinstated member gets what is due at once" wait_for 100 b_has_two

# Suspension blocks downloads of copies already delivered.
api "${TOKEN[b]}" GET /api/v1/deliveries
BID=$(jbody '.deliveries[0].id')
api "${TOKEN[b]}" GET "/api/v1/deliveries/$BID/copy"
check "b can download while active" status_is 200
"$FW" member suspend b --reason "again" >/dev/null
api "${TOKEN[b]}" GET "/api/v1/deliveries/$BID/copy"
check "a suspended member cannot download a copy it already had" status_is 403
api "${TOKEN[b]}" GET "/api/v1/deliveries/$BID/minisig"
check "nor its signature" status_is 403
api "${TOKEN[b]}" GET /api/v1/whoami
check "its token still says who it is" status_is 200

# Expulsion revokes every token and is final; it is an entry of the log.
log_size() { curl -s -H "Authorization: Bearer $ADMIN" "$URL/log/checkpoint" | sed -n 2p; }
size_before=$(wait_for 30 log_size >/dev/null; log_size)
out=$("$FW" member expel a --reason "leaked poc")
check "expel reports revoked tokens" grep -q '1 tokens revoked' <<<"$out"
api "${TOKEN[a]}" GET /api/v1/deliveries
check "an expelled member's token is 401" status_is 401
api_json "$ADMIN" POST /api/v1/members/a/reinstate '{"reason":"oops"}'
check "expulsion is final" status_is 409
grown() { [ "$(log_size)" -gt "$size_before" ]; }
check "the expulsion was recorded in the transparency log" wait_for 50 grown
check "the log entry names no member and no reason" \
	bash -c "! curl -s -H 'Authorization: Bearer $ADMIN' '$URL/log/tile/entries/000.p/'\$(log_size) | grep -a -q -e 'leaked poc' -e '\"a\"'"
api "$ADMIN" GET "/api/v1/advisories/adv/plan?member=a"
check "the expelled member's plan withholds everything" \
	[ "$(jbody '[.plan[] | select(.decision == "release")] | length')" = 0 ]

finish
