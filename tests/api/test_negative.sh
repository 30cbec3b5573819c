#!/usr/bin/env bash
# What must be refused, with a clear 4xx, while the server keeps serving.
. "$(dirname "$0")/lib.sh"
SRC=${FW_SRC:-.}

start_daemon "$TMP/data" --simulated-clock 2025-06-20T00:00:00Z --max-body 4096 --max-artifact 65536
api_json "$ADMIN" PUT /api/v1/policy "$(cat "$SRC/examples/policy.fw")"
age-keygen -o "$TMP/a.key" 2>/dev/null
age-keygen -o "$TMP/b.key" 2>/dev/null
RA=$(age-keygen -y "$TMP/a.key")
RB=$(age-keygen -y "$TMP/b.key")
api_json "$ADMIN" POST /api/v1/members "{\"id\":\"alpha\",\"name\":\"Alpha\",\"tier\":\"validate\",\"jurisdiction\":\"US\",\"age_recipient\":\"$RA\"}"
api_json "$ADMIN" POST /api/v1/members "{\"id\":\"beta\",\"name\":\"Beta\",\"tier\":\"validate\",\"jurisdiction\":\"FR\",\"age_recipient\":\"$RB\"}"
api_json "$ADMIN" POST /api/v1/tokens '{"role":"member","member":"alpha"}'
TA=$(jbody .token)
api_json "$ADMIN" POST /api/v1/tokens '{"role":"member","member":"beta"}'
TB=$(jbody .token)
api_json "$ADMIN" POST /api/v1/advisories '{"id":"adv1","title":"t","public_at":"2025-07-08T17:00:00Z"}'
echo "poc" >"$TMP/poc.txt"
api "$ADMIN" POST /api/v1/advisories/adv1/artifacts/poc --data-binary "@$TMP/poc.txt"
api_json "$ADMIN" POST /api/v1/advisories/adv1/schedule '{}'
check "scheduled" status_is 200

# --- not yet due: unreachable by every route --------------------------------
api "$TA" GET /api/v1/deliveries
check "not-yet-due: member delivery list is empty" [ "$(jbody '.deliveries | length')" = 0 ]
api "$TA" GET /api/v1/advisories
check "not-yet-due: member advisory list is empty" [ "$(jbody '.advisories | length')" = 0 ]
api "$TA" GET /api/v1/advisories/adv1
check "not-yet-due: advisory is 404 for the member" status_is 404
for p in /api/v1/advisories/adv1/plan /api/v1/advisories/adv1/artifacts; do
	api "$TA" GET "$p"
	check "not-yet-due: $p is refused to a member" status_is 403
done
for p in /api/v1/deliveries/1 /api/v1/deliveries/1/copy /api/v1/deliveries/1/minisig; do
	api "$TA" GET "$p"
	check "not-yet-due: $p is 404" status_is 404
done

api_json "$ADMIN" POST /api/v1/clock '{"advance":"14d"}'
two_copies() { api "$ADMIN" GET /api/v1/deliveries; [ "$(jbody '.deliveries | length')" = 2 ]; }
check "both members' copies are made at T-14d" wait_for 100 two_copies
api "$TA" GET /api/v1/deliveries
AID=$(jbody '.deliveries[0].id')
api "$TB" GET /api/v1/deliveries
BID=$(jbody '.deliveries[0].id')
check "each member has its own copy" [ -n "$AID" ] && [ -n "$BID" ] && [ "$AID" != "$BID" ]

# --- another member's things are 404, word for word as missing ones ---------
api "$TA" GET "/api/v1/deliveries/99999/copy"
missing=$(body)
for p in "/api/v1/deliveries/$BID" "/api/v1/deliveries/$BID/copy" "/api/v1/deliveries/$BID/minisig"; do
	api "$TA" GET "$p"
	check "another member's $p is 404" status_is 404
done
api "$TA" GET "/api/v1/deliveries/$BID/copy"
check "another member's copy reads exactly like a missing one" [ "$(body | sed "s/$BID/N/")" = "$(echo "$missing" | sed 's/99999/N/')" ]
api "$TA" GET /api/v1/members/beta
check "another member's record is 404" status_is 404
api "$TA" GET /api/v1/members/alpha
check "a member sees its own record" status_is 200
api "$TA" GET "/api/v1/deliveries?member=beta"
check "a member cannot list another member's deliveries" [ "$(jbody '[.deliveries[] | select(.member != "alpha")] | length')" = 0 ]

# --- bad input: 4xx with a clear message --------------------------------------
api_json "$ADMIN" POST /api/v1/members '{"id":"x",'
check "malformed JSON is 400" status_is 400
check "malformed JSON says so" bash -c "jq -e '.error.code == \"invalid_argument\" and (.error.message | test(\"JSON\"))' $TMP/body >/dev/null"
api_json "$ADMIN" POST /api/v1/members '{"id":"gamma","name":7,"tier":"entry","jurisdiction":"DE","age_recipient":"'"$RA"'"}'
check "wrong type is 400 naming the field" bash -c "[ $STATUS = 400 ] && jq -e '.error.message | test(\"name\")' $TMP/body >/dev/null"
api_json "$ADMIN" POST /api/v1/members '{"id":"gamma","name":"G","tier":"entry","jurisdiction":"DE","age_recipient":"age1notarealkey"}'
check "invalid age recipient is 400" status_is 400
check "invalid age recipient message names the field" bash -c "jq -e '.error.message | test(\"age_recipient\")' $TMP/body >/dev/null"
api_json "$ADMIN" POST /api/v1/members '{"id":"gamma","name":"G","tier":"entry","jurisdiction":"XX","age_recipient":"'"$RA"'"}'
check "unknown jurisdiction is 400" status_is 400
api_json "$ADMIN" POST /api/v1/members "{\"id\":\"alpha\",\"name\":\"A\",\"tier\":\"entry\",\"jurisdiction\":\"DE\",\"age_recipient\":\"$RA\"}"
check "duplicate member is 409" status_is 409
api "$ADMIN" GET /api/v1/advisories/nope
check "unknown advisory is 404" status_is 404
api "$ADMIN" POST /api/v1/advisories/nope/artifacts/poc --data-binary x
check "artifact for unknown advisory is 404" status_is 404
api "$ADMIN" POST /api/v1/advisories/adv1/artifacts/exploit --data-binary x
check "unknown artifact kind is 400" status_is 400
api_json "$ADMIN" POST /api/v1/advisories '{"id":"adv2","title":"t","cvss_vector":"CVSS:3.1/AV:X"}'
check "bad CVSS vector is 400" status_is 400
api_json "$ADMIN" POST /api/v1/advisories '{"id":"adv2","title":"t","cves":["CVE-25-1"]}'
check "bad CVE id is 400" status_is 400
head -c 5000 /dev/zero | tr '\0' 'a' >"$TMP/big.json"
api "$ADMIN" POST /api/v1/members -H 'Content-Type: application/json' --data-binary "@$TMP/big.json"
check "oversized JSON body is 413" status_is 413
head -c 70000 /dev/urandom >"$TMP/big.bin"
api "$ADMIN" POST /api/v1/advisories/adv1/artifacts/poc --data-binary "@$TMP/big.bin"
check "oversized artifact is 413" status_is 413
api "$ADMIN" POST /api/v1/advisories/adv1/artifacts/poc -H 'Transfer-Encoding: chunked' --data-binary "@$TMP/big.bin"
check "oversized chunked artifact is 413" status_is 413
api_json "$ADMIN" PUT /api/v1/policy 'tier x { grant nothing at T }'
check "invalid policy is 400 with line:col" bash -c "[ $STATUS = 400 ] && jq -e '.error.message | test(\"line 1:\")' $TMP/body >/dev/null"
api "$ADMIN" DELETE /api/v1/members
check "wrong method is 405" status_is 405
api "$ADMIN" GET /api/v1/nothing-here
check "unknown path is 404" status_is 404
api "" GET /healthz
check "the server is still serving" status_is 200

# --- tokens: missing, wrong, revoked, expired, wrong role -------------------
api "" GET /api/v1/deliveries
check "no token is 401" status_is 401
api "fwt_$(printf '0%.0s' $(seq 64))" GET /api/v1/deliveries
check "unknown token is 401" status_is 401
api "$TA" GET /api/v1/members
check "a member token on an admin route is 403" status_is 403
api_json "$ADMIN" POST /api/v1/tokens '{"role":"member","member":"alpha","expires_in":"1d"}'
TEXP=$(jbody .token)
api "$TEXP" GET /api/v1/whoami
check "a fresh expiring token works" status_is 200
api_json "$ADMIN" POST /api/v1/clock '{"advance":"2d"}'
api "$TEXP" GET /api/v1/whoami
check "an expired token is 401" status_is 401
api "$ADMIN" GET "/api/v1/tokens?member=beta"
BTOK=$(jbody '.tokens[0].id')
api "$ADMIN" DELETE "/api/v1/tokens/$BTOK"
check "revoking a token" status_is 200
api "$TB" GET /api/v1/deliveries
check "a revoked token is 401" status_is 401
api "$ADMIN" GET /api/v1/tokens
check "no token listing holds a secret" bash -c "! grep -q fwt_ $TMP/body"

finish
