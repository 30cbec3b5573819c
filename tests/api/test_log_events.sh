#!/usr/bin/env bash
# Log entries of operators' acts (issue 5, docs/log.md "Entries"): suspend,
# reinstate, expel, schedule, expedite and trace each add exactly one entry
# of its type, written in the transaction of the change it records; when
# the entry cannot be made, the change is refused whole (400) and neither it
# nor an entry is stored. Entries are read back from the entry bundles the
# log serves (C2SP tlog-tiles), as any auditor reads them.
. "$(dirname "$0")/lib.sh"
SRC=${FW_SRC:-.}

start_daemon "$TMP/data" --simulated-clock 2025-06-20T00:00:00Z
api_json "$ADMIN" PUT /api/v1/policy "$(cat "$SRC/examples/policy.fw")"
check "policy applied" status_is 201

declare -A TOKEN
for m in acme globex; do
	age-keygen -o "$TMP/$m.key" 2>/dev/null
	api_json "$ADMIN" POST /api/v1/members "{\"id\":\"$m\",\"name\":\"$m\",\"tier\":\"validate\",\"jurisdiction\":\"DE\",\"age_recipient\":\"$(age-keygen -y "$TMP/$m.key")\"}"
	api_json "$ADMIN" POST /api/v1/tokens "{\"role\":\"member\",\"member\":\"$m\"}"
	TOKEN[$m]=$(jbody .token)
done
api_json "$ADMIN" POST /api/v1/advisories '{"id":"sp-rce","title":"t","public_at":"2025-07-08T17:00:00Z"}'
echo "summary of sp-rce" | api "$ADMIN" POST /api/v1/advisories/sp-rce/artifacts/summary --data-binary @-
{
	echo '# proof of concept'
	for i in $(seq 1 40); do echo "x_$i = {{ $i | 0x$(printf %x "$i") }}"; done
} >"$TMP/poc.tpl"
api "$ADMIN" POST /api/v1/advisories/sp-rce/artifacts/poc --data-binary "@$TMP/poc.tpl"
check "a fingerprinted poc uploaded" jq -e '.mark.points == 40' "$TMP/body"

# The log's tree size, and its entries one JSON object a line, decoded from
# the entry bundle of the first level-0 tile (each entry: a 2-byte
# big-endian length, then its bytes; entries are ASCII).
log_size() { api "$ADMIN" GET /log/checkpoint; sed -n 2p "$TMP/body"; }
log_has() { [ "$(log_size)" = "$1" ]; }
entries() { # SIZE (1 … 255)
	api "$ADMIN" GET "/log/tile/entries/000.p/$1"
	status_is 200 || return 1
	od -An -v -tu1 "$TMP/body" | awk '
		{ for (i = 1; i <= NF; i++) b[n++] = $i }
		END {
			p = 0
			while (p + 2 <= n) {
				len = b[p] * 256 + b[p + 1]; p += 2; s = ""
				for (i = 0; i < len; i++) s = s sprintf("%c", b[p + i])
				p += len; print s
			}
		}'
}
SIZE=0
# grew_by N: the log grew by exactly N entries since the last call; the
# new ones are in $TMP/new (one JSON object a line).
grew_by() {
	local want=$((SIZE + $1))
	wait_for 50 log_has "$want" || { echo "  log size $(log_size), wanted $want"; return 1; }
	entries "$want" >"$TMP/all" || return 1
	[ "$(wc -l <"$TMP/all")" = "$want" ] || { echo "  bundle has $(wc -l <"$TMP/all") entries"; return 1; }
	tail -n "$1" "$TMP/all" >"$TMP/new"
	SIZE=$want
}
new_is() { # TYPE [STATUS]: the one new entry is of TYPE (and STATUS), a
	# commitment where it records an act on someone (all but a policy)
	[ "$(wc -l <"$TMP/new")" = 1 ] && jq -e --arg t "$1" --arg s "${2:-}" \
		'.type == $t and .v == 1 and ($s == "" or .status == $s) and
		 ($t == "policy" or (.commitment | test("^[0-9a-f]{64}$")))' "$TMP/new" >/dev/null
}
check "the policy version is the first entry" grew_by 1
check "  of type policy" new_is policy

api_json "$ADMIN" POST /api/v1/advisories/sp-rce/schedule '{}'
check "schedule: 200" status_is 200
check "schedule adds exactly one entry" grew_by 1
check "  of type schedule" new_is schedule

api_json "$ADMIN" POST /api/v1/members/globex/suspend '{"reason":"suspected leak"}'
check "suspend: 200" status_is 200
check "suspend adds exactly one entry" grew_by 1
check "  a member entry, status suspended" new_is member suspended

api_json "$ADMIN" POST /api/v1/members/globex/reinstate '{"reason":"cleared"}'
check "reinstate: 200" status_is 200
check "reinstate adds exactly one entry" grew_by 1
check "  a member entry, status active" new_is member active

api_json "$ADMIN" POST /api/v1/advisories/sp-rce/expedite '{"public_at":"2025-07-06T17:00:00Z","reason":"exploited"}'
check "expedite: 200" status_is 200
check "expedite adds exactly one entry" grew_by 1
check "  of type expedite" new_is expedite

# Nothing half-done: an entry that cannot be made (a reason of two lines
# cannot be committed to) refuses the whole change, and logs nothing.
api_json "$ADMIN" POST /api/v1/members/globex/suspend '{"reason":"two\nlines"}'
check "a suspension whose entry cannot be made: 400" status_is 400
api "$ADMIN" GET /api/v1/members/globex
check "  the member stays active" [ "$(jbody .status)" = active ]
api_json "$ADMIN" POST /api/v1/advisories/sp-rce/expedite '{"public_at":"2025-07-05T17:00:00Z","reason":"two\nlines"}'
check "an expedite whose entry cannot be made: 400" status_is 400
api "$ADMIN" GET /api/v1/advisories/sp-rce
check "  T stays where it was" [ "$(jbody .public_at)" = 2025-07-06T17:00:00Z ]
api_json "$ADMIN" POST /api/v1/members/acme/expel '{"reason":"two\nlines"}'
check "an expulsion whose entry cannot be made: 400" status_is 400
api "${TOKEN[acme]}" GET /api/v1/whoami
check "  the member's token still works" status_is 200
sleep 0.3
check "  and the log has no entry of any of them" log_has "$SIZE"

# A scheduled advisory's T: earlier only by expedite (which takes a reason);
# later by an update, recorded like a schedule.
api_json "$ADMIN" PATCH /api/v1/advisories/sp-rce '{"public_at":"2025-07-05T17:00:00Z"}'
check "moving T earlier by an update: 409, pointing to expedite" \
	bash -c "[ $STATUS = 409 ] && jq -r .error.message '$TMP/body' | grep -q 'advisory expedite'"
api "$ADMIN" GET /api/v1/advisories/sp-rce
check "  T stays where it was" [ "$(jbody .public_at)" = 2025-07-06T17:00:00Z ]
api_json "$ADMIN" PATCH /api/v1/advisories/sp-rce '{"public_at":"2025-07-07T17:00:00Z"}'
check "moving T later by an update: 200" status_is 200
check "  adds exactly one entry" grew_by 1
check "  of type schedule" new_is schedule

# Deliveries (T-14d of the expedited T has passed): one entry each.
api_json "$ADMIN" POST /api/v1/clock '{"set":"2025-06-24T17:00:00Z"}'
delivered() { api "$ADMIN" GET /api/v1/deliveries; [ "$(jbody '.deliveries | length')" = 4 ]; }
check "both members get summary and poc" wait_for 150 delivered
check "four deliveries add four entries" grew_by 4
check "  all of type delivery" [ "$(jq -r .type "$TMP/new" | sort -u)" = delivery ]

api_json "$ADMIN" POST /api/v1/advisories/sp-rce/trace '{"kind":"poc","files":[{"name":"x","content":"print(1)"}]}'
check "trace: 200" status_is 200
check "trace adds exactly one entry" grew_by 1
check "  of type trace" new_is trace

api_json "$ADMIN" POST /api/v1/members/acme/expel '{"reason":"leaked poc"}'
check "expel: 200" status_is 200
check "  revokes the member's tokens" [ "$(jbody .tokens_revoked)" = 1 ]
check "expel adds exactly one entry" grew_by 1
check "  a member entry, status expelled" new_is member expelled
api "${TOKEN[acme]}" GET /api/v1/whoami
check "  the expelled member's token is dead" status_is 401

sleep 0.3
check "nothing else was logged" log_has "$SIZE"
check "the log: policy, 2 schedules, 3 member changes, expedite, 4 deliveries, trace" \
	[ "$(jq -r .type "$TMP/all" | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" = \
		"delivery=4 expedite=1 member=3 policy=1 schedule=2 trace=1 " ]
check "no entry names a member, an advisory or a reason" \
	bash -c "! grep -q -e acme -e globex -e sp-rce -e leak -e exploited '$TMP/all'"

finish
