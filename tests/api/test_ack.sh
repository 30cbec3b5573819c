#!/usr/bin/env bash
# Member-signed receipts (issue 5, "receipt" entries) on the real daemon:
# a member acknowledges copies with its own minisign key - signed by
# `forewarn ack --minisign-key`, by the real `minisign -S` (--signature),
# and by `forewarn fetch --ack`; each acknowledgement is one "receipt"
# entry of the log that names nobody; the operator checks statement and
# signature with `minisign -V` alone. Refused, with nothing stored and the
# log unchanged: another key's signature, a tampered statement, a legacy
# signature, another signature of an acknowledged copy, another member's
# copy (404, as a missing one), a member without a registered key (a clear
# message). A replay changes nothing.
. "$(dirname "$0")/lib.sh"
SRC=${FW_SRC:-.}
DATA="$TMP/data"
F="$FW_BIN/forewarn"

# The integrator runs every 200 ms: an entry written by mistake would show
# in the checkpoint within a second.
start_daemon "$DATA" --simulated-clock 2025-06-20T00:00:00Z --log-interval 200
api "$ADMIN" PUT "/api/v1/policy?comment=first" -H 'Content-Type: text/plain' --data-binary "@$SRC/examples/policy.fw"
check "policy applied" status_is 201

declare -A TOKEN
add_member() { # id tier
	age-keygen -o "$TMP/$1.age" 2>/dev/null
	api_json "$ADMIN" POST /api/v1/members "{\"id\":\"$1\",\"name\":\"$1\",\"tier\":\"$2\",\"jurisdiction\":\"DE\",\"age_recipient\":\"$(age-keygen -y "$TMP/$1.age")\"}"
	status_is 201 || return 1
	api_json "$ADMIN" POST /api/v1/tokens "{\"role\":\"member\",\"member\":\"$1\"}"
	status_is 201 || return 1
	TOKEN[$1]=$(jbody .token)
	printf '%s' "${TOKEN[$1]}" >"$TMP/$1.token"
}
check "member val added" add_member val validate
check "member ans added" add_member ans ans
api_json "$ADMIN" POST /api/v1/tokens '{"role":"auditor"}'
AUDITOR=$(jbody .token)
printf '%s' "$AUDITOR" >"$TMP/auditor.token"
printf '%s' "$ADMIN" >"$TMP/admin.token"

# val's key pair, made by the real minisign, registered by the operator.
minisign -G -W -p "$TMP/val.pub" -s "$TMP/val.key" >/dev/null
minisign -G -W -p "$TMP/other.pub" -s "$TMP/other.key" >/dev/null
register() { "$F" --token-file "$TMP/admin.token" member update val --minisign-key "$TMP/val.pub" >/dev/null; }
check "operator registers val's minisign key" register

api_json "$ADMIN" POST /api/v1/advisories '{"id":"sp-rce","title":"SharePoint RCE","public_at":"2025-07-08T17:00:00Z"}'
for k in summary detection poc; do
	printf '%s of sp-rce\n' "$k" >"$TMP/$k.txt"
	api "$ADMIN" POST "/api/v1/advisories/sp-rce/artifacts/$k" -H 'Content-Type: text/plain' --data-binary "@$TMP/$k.txt"
done
api_json "$ADMIN" POST /api/v1/advisories/sp-rce/schedule '{}'
check "advisory scheduled" status_is 200
api_json "$ADMIN" POST /api/v1/clock '{"set":"2025-07-04T00:00:00Z"}'
total_deliveries() { api "$ADMIN" GET /api/v1/deliveries; jbody '.deliveries | length'; }
deliveries_are() { [ "$(total_deliveries)" = "$1" ]; }
check "6 copies delivered (val 3, ans 3)" wait_for 100 deliveries_are 6

seqd() { api "$AUDITOR" GET /log/checkpoint; sed -n 2p "$TMP/body"; }
# The log size once it has settled (two equal readings 0.5 s apart).
settled() {
	local a b
	a=$(seqd)
	for _ in $(seq 1 20); do
		sleep 0.5
		b=$(seqd)
		[ "$a" = "$b" ] && { echo "$a"; return; }
		a=$b
	done
	echo "$a"
}
mapfile -t VAL < <(api "${TOKEN[val]}" GET /api/v1/deliveries; jbody '.deliveries[].id')
mapfile -t ANS < <(api "${TOKEN[ans]}" GET /api/v1/deliveries; jbody '.deliveries[].id')
D1=${VAL[0]} D2=${VAL[1]} D3=${VAL[2]}
SIZE=$(settled)
check "the log holds the deliveries ($SIZE entries)" [ "$SIZE" -ge 8 ]

# --- the statement ----------------------------------------------------------
api "${TOKEN[val]}" GET "/api/v1/deliveries/$D1/ack"
check "a member gets its copy's statement" status_is 200
jq -j .statement "$TMP/body" >"$TMP/st1.txt"
api "${TOKEN[val]}" GET "/api/v1/deliveries/$D1/receipt"
IDX1=$(jbody .index)
ORIGIN=$(api "" GET /api/v1/program; jbody .log_origin)
api "${TOKEN[val]}" GET "/api/v1/deliveries/$D1"
printf 'forewarn/ack/v1\nlog %s\ndelivery %s\nmember val\nadvisory sp-rce\nkind %s\nversion 1\nsealed-sha256 %s\nplain-sha256 %s\nlog-index %s\n' \
	"$ORIGIN" "$D1" "$(jbody .kind)" "$(jbody .sha256_sealed)" "$(jbody .sha256_plain)" "$IDX1" >"$TMP/st1.want"
check "the statement names log, copy and its log index (docs/log.md)" cmp -s "$TMP/st1.txt" "$TMP/st1.want"
check "not acknowledged yet: acked_at is null" [ "$(jbody .acked_at)" = null ]

# --- forewarn ack --minisign-key ------------------------------------------------
"$F" --token-file "$TMP/val.token" ack "$D1" --minisign-key "$TMP/val.key" >"$TMP/ack1.out"
check "forewarn ack --minisign-key acknowledges" grep -q "acknowledged at .*receipt entry at log index $SIZE\$" "$TMP/ack1.out"
R1=$SIZE
log_is() { [ "$(seqd)" = "$1" ]; }
check "the log grows by one entry" wait_for 50 log_is $((SIZE + 1))
SIZE=$((SIZE + 1))
api "$AUDITOR" GET "/log/tile/entries/000.p/$SIZE"
cp "$TMP/body" "$TMP/bundle"
api "$AUDITOR" GET "/api/v1/deliveries/$D1/ack"
check "an auditor's token reads the log only, not statements (403)" status_is 403
api "$ADMIN" GET "/api/v1/deliveries/$D1/ack"
check "the operator gets statement and signature" status_is 200
ENTRY=$(jbody .entry)
check "the entry is a receipt entry at the index printed" \
	bash -c "[ \"\$(jq -r .receipt_index '$TMP/body')\" = $R1 ] && [ \"\$(jq -r .type <<<'$ENTRY')\" = receipt ] && [ \"\$(jq -r .delivery_index <<<'$ENTRY')\" = $IDX1 ]"
check "the entry is in the log's entry bundle" grep -qaF "$ENTRY" "$TMP/bundle"
check "the entry names no member, advisory or kind" bash -c "! grep -q -e val -e sp-rce -e summary -e poc <<<'$ENTRY'"
jq -j .statement "$TMP/body" >"$TMP/a1.txt"
jq -j .signature "$TMP/body" >"$TMP/a1.txt.minisig"
PK=$(jbody .public_key)
check "the operator's copy: minisign -V -H accepts statement and signature" \
	minisign -V -H -q -P "$PK" -m "$TMP/a1.txt" -x "$TMP/a1.txt.minisig"
check "the key is val's registered one" [ "$PK" = "$(sed -n 2p "$TMP/val.pub")" ]
check "entry: signature_sha256 is the signature file's" \
	[ "$(sha256sum <"$TMP/a1.txt.minisig" | cut -c1-64)" = "$(jq -r .signature_sha256 <<<"$ENTRY")" ]
check "entry: commitment = SHA-256(opening), which names the member and the statement" \
	bash -c "[ \"\$(jq -j .opening '$TMP/body' | sha256sum | cut -c1-64)\" = \"\$(jq -r .commitment <<<'$ENTRY')\" ] &&
		jq -r .opening '$TMP/body' | grep -qx 'member val' &&
		jq -r .opening '$TMP/body' | grep -qx \"statement-sha256 \$(sha256sum <'$TMP/a1.txt' | cut -c1-64)\""
VKEY=$(api "" GET /api/v1/program; jbody .log_verifier_key)
check "auditor: the log with the receipt entry audits" \
	bash -c "'$F' --token-file '$TMP/auditor.token' log audit --log-key '$VKEY' >/dev/null"

# --- the real minisign: --statement-out, minisign -S, --signature ---------------
check "forewarn ack --statement-out writes the statement" \
	bash -c "'$F' --token-file '$TMP/val.token' ack '$D2' --statement-out '$TMP/st2.txt' 2>/dev/null"
check "the statement is the server's" bash -c "cmp -s '$TMP/st2.txt' <(curl -s -H 'Authorization: Bearer ${TOKEN[val]}' '$URL/api/v1/deliveries/$D2/ack' | jq -j .statement)"
minisign -S -s "$TMP/val.key" -m "$TMP/st2.txt" >/dev/null
"$F" --token-file "$TMP/val.token" ack "$D2" --signature "$TMP/st2.txt.minisig" >"$TMP/ack2.out"
check "forewarn ack --signature (made by minisign -S) acknowledges" grep -q "receipt entry at log index $SIZE\$" "$TMP/ack2.out"
check "the log grows by one entry" wait_for 50 log_is $((SIZE + 1))
SIZE=$((SIZE + 1))

# --- replay: idempotent, no second entry ----------------------------------------
api "${TOKEN[val]}" POST "/api/v1/deliveries/$D2/ack" -H 'Content-Type: text/plain' --data-binary "@$TMP/st2.txt.minisig"
check "a replay is answered 200 (not 201)" status_is 200
check "with the first receipt entry" [ "$(jbody .receipt_index)" = $((SIZE - 1)) ]
check "forewarn ack again says so" bash -c "'$F' --token-file '$TMP/val.token' ack '$D1' --minisign-key '$TMP/val.key' | grep -q 'was acknowledged already'"
check "a replay writes no entry" [ "$(settled)" = "$SIZE" ]

# --- refused: nothing stored, log unchanged --------------------------------------
jq -j .statement <(curl -s -H "Authorization: Bearer ${TOKEN[val]}" "$URL/api/v1/deliveries/$D3/ack") >"$TMP/st3.txt"
minisign -S -s "$TMP/other.key" -m "$TMP/st3.txt" -x "$TMP/st3.other.minisig" >/dev/null
check "another key's signature is refused" \
	bash -c "! '$F' --token-file '$TMP/val.token' ack '$D3' --signature '$TMP/st3.other.minisig' 2>'$TMP/e1'"
check "saying whose signature it is not" grep -q "not member val's signature" "$TMP/e1"
api "${TOKEN[val]}" POST "/api/v1/deliveries/$D3/ack" -H 'Content-Type: text/plain' --data-binary "@$TMP/st3.other.minisig"
check "(400 crypto_error over the API)" bash -c "[ $STATUS = 400 ] && [ \"\$(jq -r .error.code '$TMP/body')\" = crypto_error ]"

sed 's/^version 1$/version 2/' "$TMP/st3.txt" >"$TMP/st3.tampered"
check "(the tampered statement differs)" bash -c "! cmp -s '$TMP/st3.txt' '$TMP/st3.tampered'"
minisign -S -s "$TMP/val.key" -m "$TMP/st3.tampered" >/dev/null
api "${TOKEN[val]}" POST "/api/v1/deliveries/$D3/ack" -H 'Content-Type: text/plain' --data-binary "@$TMP/st3.tampered.minisig"
check "a signature of a tampered statement is refused" status_is 400

# A valid signature whose untrusted comment is not UTF-8: the signature
# checks (the comment is not signed), but it is not stored as text.
minisign -S -s "$TMP/val.key" -m "$TMP/st3.txt" -x "$TMP/st3.good.minisig" >/dev/null
{ printf 'untrusted comment: \377\376\n'; tail -n +2 "$TMP/st3.good.minisig"; } >"$TMP/st3.latin.minisig"
api "${TOKEN[val]}" POST "/api/v1/deliveries/$D3/ack" -H 'Content-Type: text/plain' --data-binary "@$TMP/st3.latin.minisig"
check "a signature file that is not UTF-8 text: 400" status_is 400

minisign -S -l -s "$TMP/val.key" -m "$TMP/st3.txt" -x "$TMP/st3.legacy.minisig" >/dev/null
api "${TOKEN[val]}" POST "/api/v1/deliveries/$D3/ack" -H 'Content-Type: text/plain' --data-binary "@$TMP/st3.legacy.minisig"
check "a legacy (minisign -l) signature is refused, saying why" \
	bash -c "[ $STATUS = 400 ] && jq -r .error.message '$TMP/body' | grep -q legacy"

minisign -S -s "$TMP/val.key" -m "$TMP/st1.txt" -t "another comment" -x "$TMP/st1.again.minisig" >/dev/null
api "${TOKEN[val]}" POST "/api/v1/deliveries/$D1/ack" -H 'Content-Type: text/plain' --data-binary "@$TMP/st1.again.minisig"
check "another signature of an acknowledged copy is refused (409)" status_is 409

api "${TOKEN[val]}" POST "/api/v1/deliveries/${ANS[0]}/ack" -H 'Content-Type: text/plain' --data-binary "@$TMP/st3.other.minisig"
S_OTHER=$STATUS M_OTHER=$(jbody .error.message | sed "s/${ANS[0]}/ID/")
api "${TOKEN[val]}" POST "/api/v1/deliveries/99999/ack" -H 'Content-Type: text/plain' --data-binary "@$TMP/st1.again.minisig"
S_NONE=$STATUS M_NONE=$(jbody .error.message | sed "s/99999/ID/")
check "another member's copy: 404, as a missing one" bash -c "[ $S_OTHER = 404 ] && [ $S_NONE = 404 ] && [ '$M_OTHER' = '$M_NONE' ]"
api "${TOKEN[val]}" GET "/api/v1/deliveries/${ANS[0]}/ack"
check "another member's statement: 404" status_is 404

check "no registered key: forewarn ack refuses" \
	bash -c "! '$F' --token-file '$TMP/ans.token' ack '${ANS[0]}' --minisign-key '$TMP/other.key' 2>'$TMP/e2'"
check "saying how to register one" grep -q "no minisign public key registered.*forewarn member update ans --minisign-key" "$TMP/e2"
jq -j .statement <(curl -s -H "Authorization: Bearer ${TOKEN[ans]}" "$URL/api/v1/deliveries/${ANS[0]}/ack") >"$TMP/sta.txt"
minisign -S -s "$TMP/other.key" -m "$TMP/sta.txt" >/dev/null
api "${TOKEN[ans]}" POST "/api/v1/deliveries/${ANS[0]}/ack" -H 'Content-Type: text/plain' --data-binary "@$TMP/sta.txt.minisig"
check "(409 over the API, with the same advice)" \
	bash -c "[ $STATUS = 409 ] && jq -r .error.message '$TMP/body' | grep -q 'no minisign public key registered'"

api "$ADMIN" POST "/api/v1/deliveries/$D3/ack" -H 'Content-Type: text/plain' --data-binary "@$TMP/st3.other.minisig"
check "an admin cannot acknowledge for a member" status_is 403
api "$AUDITOR" GET "/api/v1/deliveries/$D3/ack"
check "an auditor sees no statement of an unacknowledged copy either" status_is 403
check "nothing refused was stored" bash -c "[ \"\$(curl -s -H 'Authorization: Bearer ${TOKEN[val]}' '$URL/api/v1/deliveries/$D3/ack' | jq -r .acked)\" = false ] &&
	[ \"\$(curl -s -H 'Authorization: Bearer ${TOKEN[ans]}' '$URL/api/v1/deliveries/${ANS[0]}/ack' | jq -r .acked)\" = false ]"
check "and nothing refused reached the log" [ "$(settled)" = "$SIZE" ]

# --- who got what: acknowledged or not ------------------------------------------
api "$ADMIN" GET "/api/v1/deliveries?member=val"
check "the operator's list shows D1 and D2 acknowledged, D3 not" \
	bash -c "[ \"\$(jq -r '.deliveries[] | \"\(.id) \(.acked_at != null)\"' '$TMP/body' | tr '\n' ' ')\" = '$D1 true $D2 true $D3 false ' ]"
api "$ADMIN" GET "/api/v1/deliveries/$D1"
check "and one delivery's acked_at is the simulated clock's time" [ "$(jbody .acked_at)" = 2025-07-04T00:00:00Z ]

# --- forewarn fetch --ack ----------------------------------------------------------
check "fetch --ack without a key is a usage error" \
	bash -c "'$F' --token-file '$TMP/val.token' fetch --out '$TMP/val-in' --ack 2>/dev/null; [ \$? = 2 ]"
"$F" --token-file "$TMP/val.token" fetch --out "$TMP/val-in" --identity "$TMP/val.age" \
	--ack --minisign-key "$TMP/val.key" >"$TMP/fetch.out"
check "fetch --ack verifies and acknowledges every new copy" grep -q "3 new copies, 3 verified, 0 failed, 3 acknowledged" "$TMP/fetch.out"
check "D3 (not acknowledged before) now is" bash -c "[ \"\$(curl -s -H 'Authorization: Bearer ${TOKEN[val]}' '$URL/api/v1/deliveries/$D3/ack' | jq -r .acked)\" = true ]"
check "one entry more: only D3's" wait_for 50 log_is $((SIZE + 1))

finish
