#!/usr/bin/env bash
# Witness cosignatures of the log's checkpoints on the real daemon (issue 5,
# "Witnesses"): forewarnd --witness refuses keys that are not cosignature
# keys; `forewarn log witness` checks the log and hands in its line, which
# GET /log/checkpoint then carries after the log's own, so a verifier's
# quorum counts it; lines by an unconfigured key, over another checkpoint
# text, dated in the future, or handed in by a member are refused and
# change nothing; a line for size N stays with size N as the log grows; a
# witness removed from the configuration is no longer served.
. "$(dirname "$0")/lib.sh"
SRC=${FW_SRC:-.}
DATA="$TMP/data"
F="$FW_BIN/forewarn"

# Three witness keys; w1 and w2 are configured, w3 is not.
for w in w1 w2 w3; do
	"$F" log witness-keygen --name "witness.test/$w" --out "$TMP/$w.key" >"$TMP/$w.vkey" 2>/dev/null
done
W1=$(cat "$TMP/w1.vkey") W2=$(cat "$TMP/w2.vkey") W3=$(cat "$TMP/w3.vkey")
check "witness-keygen prints a type 0x04 verifier key" bash -c "[[ '$W1' =~ ^witness\.test/w1\+[0-9a-f]{8}\+B[A-P][A-Za-z0-9+/]{42}$ ]]"
check "the witness key file is readable by its owner only" [ "$(stat -c %a "$TMP/w1.key")" = 600 ]
check "witness-keygen does not overwrite a key file" bash -c "! '$F' log witness-keygen --name x --out '$TMP/w1.key' 2>/dev/null"
check "the secret key file is not the verifier key" bash -c "grep -q '^PRIVATE+KEY+witness.test/w1+' '$TMP/w1.key' && ! grep -q '$W1' '$TMP/w1.key'"

# The option: checked, listed, repeatable, comma lists, env < flag.
check "--check-config accepts two witness keys" "$FWD" --data "$TMP/cfg" --witness "$W1" --witness "$W2" --check-config
check "--check-config refuses a key that is not a key" bash -c "! '$FWD' --data '$TMP/cfg' --witness nonsense --check-config 2>'$TMP/cfg.err'"
check "and says what is wrong" grep -q "not a witness verifier key" "$TMP/cfg.err"
check "--check-config refuses a key given twice" bash -c "! '$FWD' --data '$TMP/cfg' --witness '$W1,$W1' --check-config 2>/dev/null"
"$FWD" --data "$TMP/cfg" --witness "$W1,$W2" --dump-config >"$TMP/dump"
check "--dump-config lists a comma list" grep -qx "witness = $W1,$W2" "$TMP/dump"
FOREWARN_WITNESS="$W3" "$FWD" --data "$TMP/cfg" --witness "$W1" --witness "$W2" --dump-config >"$TMP/dump"
check "flags replace the environment's list" grep -qx "witness = $W1,$W2" "$TMP/dump"
printf 'witness = %s\nwitness = %s\n' "$W1" "$W2" >"$TMP/fw.conf"
FOREWARN_WITNESS="$W3" "$FWD" --data "$TMP/cfg" --config "$TMP/fw.conf" --dump-config >"$TMP/dump"
check "the environment replaces the file's list" grep -qx "witness = $W3" "$TMP/dump"
"$FWD" --data "$TMP/cfg" --config "$TMP/fw.conf" --dump-config >"$TMP/dump"
check "repeated lines in a config file make a list" grep -qx "witness = $W1,$W2" "$TMP/dump"

start_daemon "$DATA" --witness "$W1" --witness "$W2" --log-interval 600000
api "" GET /api/v1/program
VKEY=$(jbody .log_verifier_key)
ORIGIN=$(jbody .log_origin)
check "the log's verifier key (type 0x01) is refused as a witness" \
	bash -c "! '$FWD' --data '$TMP/cfg' --witness '$VKEY' --check-config 2>/dev/null"
check "program lists the witness verifier keys" [ "$(jbody '.witness_verifier_keys | join(" ")')" = "$W1 $W2" ]

api_json "$ADMIN" POST /api/v1/tokens '{"role":"auditor"}'
printf '%s' "$(jbody .token)" >"$TMP/auditor.token"
AUDITOR=$(cat "$TMP/auditor.token")
age-keygen -o "$TMP/m.key" 2>/dev/null
api_json "$ADMIN" POST /api/v1/members "{\"id\":\"m\",\"name\":\"M\",\"tier\":\"validate\",\"jurisdiction\":\"DE\",\"age_recipient\":\"$(age-keygen -y "$TMP/m.key")\"}"
api_json "$ADMIN" POST /api/v1/tokens '{"role":"member","member":"m"}'
MEMBER=$(jbody .token)
check "auditor and member tokens made" [ -n "$AUDITOR" ] && [ -n "$MEMBER" ]

cp_size() { api "$AUDITOR" GET /log/checkpoint; sed -n 2p "$TMP/body"; }
log_has() { [ "$(cp_size)" = "$1" ]; }
api_json "$ADMIN" PUT "/api/v1/policy?comment=first" "$(cat "$SRC/examples/policy.fw")"
check "policy applied" status_is 201
check "checkpoint 1 (the policy version)" wait_for 50 log_has 1

AS_AUDITOR=("$F" --token-file "$TMP/auditor.token")
check "w1 witnesses checkpoint 1" "${AS_AUDITOR[@]}" log witness --key "$TMP/w1.key" --state "$TMP/w1.state" --log-key "$VKEY"
check "and keeps it in its state file (mode 600)" [ "$(stat -c %a "$TMP/w1.state")" = 600 ]
api "$AUDITOR" GET /log/checkpoint
cp "$TMP/body" "$TMP/cp1"
check "GET /log/checkpoint carries w1's line" grep -q "^— witness.test/w1 " "$TMP/cp1"
check "after the log's own line" bash -c "sed -n 5p '$TMP/cp1' | grep -q '^— $ORIGIN ' && sed -n 6p '$TMP/cp1' | grep -q '^— witness.test/w1 '"
check "a witness's line is served once" [ "$(grep -c '^— witness.test/w1 ' "$TMP/cp1")" = 1 ]
check "verifies with quorum 1 of w1, w2" "${AS_AUDITOR[@]}" log checkpoint --log-key "$VKEY" --witness "$W1" --witness "$W2" --quorum 1
check "but not with quorum 2" bash -c "! '$F' --token-file '$TMP/auditor.token' log checkpoint --log-key '$VKEY' --witness '$W1' --witness '$W2' --quorum 2 2>'$TMP/q2.err'"
check "which says cosignatures are missing, not that the log is forked" \
	bash -c "grep -q 'not cosigned by 2' '$TMP/q2.err' && ! grep -q 'FAILED VERIFICATION' '$TMP/q2.err'"
check "all given witnesses by default" bash -c "! '$F' --token-file '$TMP/auditor.token' log checkpoint --log-key '$VKEY' --witness '$W1' --witness '$W2' 2>/dev/null"
check "log verify --quorum 1 passes" "${AS_AUDITOR[@]}" log verify --from "$TMP/cp1" --log-key "$VKEY" --witness "$W1" --witness "$W2" --quorum 1
check "log verify --quorum 2 fails" bash -c "! '$F' --token-file '$TMP/auditor.token' log verify --from '$TMP/cp1' --log-key '$VKEY' --witness '$W1' --witness '$W2' --quorum 2 2>/dev/null"
check "a --witness key of type 0x01 is refused" bash -c "! '$F' --token-file '$TMP/auditor.token' log checkpoint --log-key '$VKEY' --witness '$VKEY' 2>/dev/null"

# Handing in lines by hand (the body of POST /api/v1/log/cosignatures).
post() { # TOKEN SIZE FILE
	api "$1" POST "/api/v1/log/cosignatures?size=$2" -H 'Content-Type: text/plain' --data-binary "@$3"
}
check "w3 (not configured) is refused by the CLI" bash -c "! '$F' --token-file '$TMP/auditor.token' log witness --key '$TMP/w3.key' --log-key '$VKEY' 2>'$TMP/w3.err'"
check "which says w3 is no witness of this log" grep -q "not a witness key of this log" "$TMP/w3.err"
"$F" log cosign --key "$TMP/w3.key" "$TMP/cp1" >"$TMP/w3.line"
post "$AUDITOR" 1 "$TMP/w3.line"
check "w3's line is refused with 403" status_is 403
# A tampered checkpoint text: another root, cosigned by a configured witness.
awk 'NR == 3 { $0 = (substr($0, 1, 1) == "A" ? "B" : "A") substr($0, 2) } { print }' "$TMP/cp1" >"$TMP/cp1.tampered"
check "the tampered checkpoint differs" bash -c "! cmp -s '$TMP/cp1' '$TMP/cp1.tampered'"
"$F" log cosign --key "$TMP/w2.key" "$TMP/cp1.tampered" >"$TMP/w2.tampered"
post "$AUDITOR" 1 "$TMP/w2.tampered"
check "a line over another checkpoint text is refused (400 crypto_error)" bash -c "[ $STATUS = 400 ] && jq -e '.error.code == \"crypto_error\"' '$TMP/body' >/dev/null"
"$F" log cosign --key "$TMP/w2.key" --time $(($(date +%s) + 3600)) "$TMP/cp1" >"$TMP/w2.future"
post "$AUDITOR" 1 "$TMP/w2.future"
check "a line dated an hour ahead is refused" status_is 400
"$F" log cosign --key "$TMP/w2.key" "$TMP/cp1" >"$TMP/w2.line"
post "$MEMBER" 1 "$TMP/w2.line"
check "a member's token cannot hand in lines" status_is 403
cat "$TMP/w2.line" "$TMP/w3.line" >"$TMP/mixed"
post "$AUDITOR" 1 "$TMP/mixed"
check "a good line with a bad one: all refused" status_is 403
post "$AUDITOR" 999 "$TMP/w2.line"
check "a size the log never signed: 404" status_is 404
api "$AUDITOR" POST /api/v1/log/cosignatures -H 'Content-Type: text/plain' --data-binary "@$TMP/w2.line"
check "no size: 400" status_is 400
api "$AUDITOR" GET /log/checkpoint
check "nothing refused was stored" bash -c "! grep -q 'witness.test/w[23]' '$TMP/body'"
post "$AUDITOR" 1 "$TMP/w2.line"
check "w2's good line is stored (201)" bash -c "[ $STATUS = 201 ] && jq -e '.cosignatures[0].stored and .cosignatures[0].witness == \"witness.test/w2\"' '$TMP/body' >/dev/null"
post "$AUDITOR" 1 "$TMP/w2.line"
check "handed in again: 200, not stored twice" bash -c "[ $STATUS = 200 ] && jq -e '.cosignatures[0].stored == false' '$TMP/body' >/dev/null"
api "$AUDITOR" GET /log/checkpoint
cp "$TMP/body" "$TMP/cp1b"
check "checkpoint 1 now verifies with quorum 2" "${AS_AUDITOR[@]}" log checkpoint --log-key "$VKEY" --witness "$W1" --witness "$W2" --quorum 2
check "and the lines are in key-name order" bash -c "[ \"\$(grep '^— witness' '$TMP/cp1b' | cut -d' ' -f2 | tr '\n' ' ')\" = 'witness.test/w1 witness.test/w2 ' ]"

# The log grows: cosignatures stay with the size they signed.
api_json "$ADMIN" PUT "/api/v1/policy?comment=second" "$(cat "$SRC/examples/policy.fw")
# a second version"
check "second policy version applied" status_is 201
check "checkpoint 2" wait_for 50 log_has 2
api "$AUDITOR" GET /log/checkpoint
check "checkpoint 2 carries no line made for checkpoint 1" bash -c "! grep -q '^— witness' '$TMP/body'"
api "$AUDITOR" GET "/api/v1/log/proof/consistency?from=1&to=2"
check "checkpoint 1 (with a proof) still carries both lines" bash -c "[ \"\$(jq -r .from_checkpoint '$TMP/body' | grep -c '^— witness')\" = 2 ]"
check "log verify with quorum 1 fails until a witness comes by" \
	bash -c "! '$F' --token-file '$TMP/auditor.token' log verify --from '$TMP/cp1' --log-key '$VKEY' --witness '$W1' --quorum 1 2>/dev/null"
check "w1 checks 1 -> 2 against its state and cosigns 2" "${AS_AUDITOR[@]}" log witness --key "$TMP/w1.key" --state "$TMP/w1.state" --log-key "$VKEY"
check "the state file moved on to checkpoint 2" [ "$(sed -n 2p "$TMP/w1.state")" = 2 ]
check "log verify --from checkpoint 1 with quorum 1 now passes" \
	"${AS_AUDITOR[@]}" log verify --from "$TMP/cp1" --log-key "$VKEY" --witness "$W1" --witness "$W2" --quorum 1
check "an admin token may hand in lines too" "$F" --token-file "$DATA/admin.token" log witness --key "$TMP/w2.key" --log-key "$VKEY"
check "checkpoint 2 verifies with quorum 2" "${AS_AUDITOR[@]}" log checkpoint --log-key "$VKEY" --witness "$W1" --witness "$W2" --quorum 2
printf 'not a checkpoint\n' >"$TMP/bad.state"
check "a witness refuses a state it cannot verify" bash -c "! '$F' --token-file '$TMP/auditor.token' log witness --key '$TMP/w1.key' --state '$TMP/bad.state' --log-key '$VKEY' 2>'$TMP/bad.err'"
check "loudly" grep -q "FAILED VERIFICATION" "$TMP/bad.err"
chmod 644 "$TMP/w1.key"
check "a witness needs --log-key (it never trusts the key the server names)" \
	bash -c "'$F' --token-file '$TMP/auditor.token' log witness --key '$TMP/w2.key' 2>/dev/null; [ \$? = 2 ]"
check "a witness key readable by others is refused" bash -c "! '$F' --token-file '$TMP/auditor.token' log witness --key '$TMP/w1.key' --log-key '$VKEY' 2>/dev/null"
chmod 600 "$TMP/w1.key"

# Go's note.Open (which predates cosignatures) still reads the cosigned note.
if command -v go >/dev/null && [ -d /usr/share/gocode/src/golang.org/x/mod/sumdb ]; then
	check "independent Go verifier accepts the cosigned checkpoint" \
		bash "$SRC/tests/interop/run.sh" "$URL" "$AUDITOR" "$VKEY" "$TMP/go"
else
	echo "ok - # SKIP Go interop (apt-get install golang-go golang-golang-x-mod-dev)"
fi

# A member's fetch requires the witnesses it is given: the newest
# checkpoint, against which it checks each copy's inclusion and the
# consistency from the one it kept, must carry the quorum, else nothing is
# accepted and nothing written. The witnesses cosign only once the copies
# fetched are in the log (a receipt asked for integrates them).
printf '%s' "$MEMBER" >"$TMP/m.token"
api_json "$ADMIN" POST /api/v1/advisories "{\"id\":\"wx\",\"title\":\"Witnessed\",\"public_at\":\"$(date -u -d '+10 days' +%Y-%m-%dT%H:%M:%SZ)\"}"
for k in summary poc; do
	printf '%s of wx\n' "$k" >"$TMP/$k.txt"
	api "$ADMIN" POST "/api/v1/advisories/wx/artifacts/$k" -H 'Content-Type: text/plain' --data-binary "@$TMP/$k.txt"
done
api_json "$ADMIN" POST /api/v1/advisories/wx/schedule '{}'
check "advisory wx scheduled (T-14d is past)" status_is 200
m_copies() { api "$MEMBER" GET /api/v1/deliveries; [ "$(jbody '.deliveries | length')" = "$1" ]; }
in_log() { # every copy of m has a receipt: its entry is in a checkpoint
	local id
	for id in $(api "$MEMBER" GET /api/v1/deliveries; jbody '.deliveries[].id'); do
		api "$MEMBER" GET "/api/v1/deliveries/$id/receipt"
		status_is 200 || return 1
	done
}
check "m's two copies delivered" wait_for 100 m_copies 2
check "and in the log" wait_for 50 in_log
check "w1 cosigns the checkpoint that holds them" "${AS_AUDITOR[@]}" log witness --key "$TMP/w1.key" --state "$TMP/w1.state" --log-key "$VKEY"
IN="$TMP/inbox"
check "fetch --witness w1 --witness w2 --quorum 2 refuses (only w1 cosigned)" \
	bash -c "! '$F' --token-file '$TMP/m.token' fetch --out '$IN' --identity '$TMP/m.key' --witness '$W1' --witness '$W2' --quorum 2 >'$TMP/f1.out' 2>'$TMP/f1.err'"
check "saying how many of how many cosigned" \
	bash -c "grep -q 'not cosigned by 2 of the 2 witnesses given (checkpoint has 1 of 2 cosignatures)' '$TMP/f1.err'"
check "not that the log is forked" bash -c "! grep -q 'FAILED VERIFICATION' '$TMP/f1.err'"
check "and writes nothing: no copy, no pinned key, no state" [ "$(find "$IN" -type f | wc -l)" = 0 ]
check "a --witness key of type 0x01 is a usage error" \
	bash -c "'$F' --token-file '$TMP/m.token' fetch --out '$IN' --witness '$VKEY' 2>/dev/null; [ \$? = 2 ]"
check "--quorum without --witness is a usage error" \
	bash -c "'$F' --token-file '$TMP/m.token' fetch --out '$IN' --quorum 1 2>/dev/null; [ \$? = 2 ]"
check "fetch --witness w1 --quorum 1 accepts both copies" \
	bash -c "'$F' --token-file '$TMP/m.token' fetch --out '$IN' --identity '$TMP/m.key' --witness '$W1' --quorum 1 | grep -q '2 new copies, 2 verified, 0 failed'"
check "the copies are saved and decrypted" cmp -s "$IN/wx/poc-v1.txt" "$TMP/poc.txt"
check "the checkpoint kept is the one w1 cosigned" grep -q "^— witness.test/w1 " "$IN/.forewarn/checkpoint"
check "the witnesses are remembered" \
	bash -c "jq -e --arg w '$W1' '.witnesses == [\$w] and .quorum == 1' '$IN/.forewarn/witnesses.json' >/dev/null"

# More copies: the newest checkpoint is not cosigned until w1 comes by.
printf 'detection of wx\n' >"$TMP/detection.txt"
api "$ADMIN" POST "/api/v1/advisories/wx/artifacts/detection" -H 'Content-Type: text/plain' --data-binary "@$TMP/detection.txt"
check "a third copy delivered" wait_for 100 m_copies 3
check "and in the log" wait_for 50 in_log
touch "$TMP/mark"
cp "$IN/.forewarn/state.json" "$TMP/state.before"
check "fetch with the remembered witness refuses the new checkpoint" \
	bash -c "! '$F' --token-file '$TMP/m.token' fetch --out '$IN' --identity '$TMP/m.key' 2>'$TMP/f2.err'"
check "saying the witnesses are the remembered ones" \
	bash -c "grep -q 'not cosigned by 1 of the 1 witnesses given' '$TMP/f2.err' && grep -q 'remembered in' '$TMP/f2.err'"
check "w1 cosigns it" "${AS_AUDITOR[@]}" log witness --key "$TMP/w1.key" --state "$TMP/w1.state" --log-key "$VKEY"
check "fetch --witness w1 --witness w2 --quorum 2 still refuses" \
	bash -c "! '$F' --token-file '$TMP/m.token' fetch --out '$IN' --identity '$TMP/m.key' --witness '$W1' --witness '$W2' --quorum 2 2>'$TMP/f3.err'"
check "with the count" grep -q "checkpoint has 1 of 2 cosignatures" "$TMP/f3.err"
check "no file was written by the refused runs" bash -c "[ \$(find '$IN' -newer '$TMP/mark' -type f | wc -l) = 0 ] && [ ! -e '$IN/wx/detection-v1.age' ]"
check "the state and the remembered witnesses are unchanged" \
	bash -c "cmp -s '$IN/.forewarn/state.json' '$TMP/state.before' && jq -e '.quorum == 1 and (.witnesses | length) == 1' '$IN/.forewarn/witnesses.json' >/dev/null"
check "fetch with the remembered witness now accepts the third copy" \
	bash -c "'$F' --token-file '$TMP/m.token' fetch --out '$IN' --identity '$TMP/m.key' | grep -q '1 new copy, 1 verified, 0 failed'"
check "which is saved" cmp -s "$IN/wx/detection-v1.txt" "$TMP/detection.txt"
printf '{"witnesses": ["nonsense"], "quorum": 1}' >"$IN/.forewarn/witnesses.json"
check "a damaged witnesses.json is refused, not ignored" \
	bash -c "! '$F' --token-file '$TMP/m.token' fetch --out '$IN' 2>'$TMP/f4.err' && grep -q 'witnesses.json is damaged' '$TMP/f4.err'"

# w2 is no longer a witness: its lines stay stored but are not served.
stop_daemon
start_daemon "$DATA" --witness "$W1" --log-interval 600000
api "$AUDITOR" GET /log/checkpoint
check "after a restart without w2, its line is not served" bash -c "grep -q '^— witness.test/w1 ' '$TMP/body' && ! grep -q 'witness.test/w2' '$TMP/body'"
post "$AUDITOR" 2 "$TMP/w2.line"
check "nor is w2 accepted any more" status_is 403
api "" GET /api/v1/program
check "program lists w1 only" [ "$(jbody '.witness_verifier_keys | join(" ")')" = "$W1" ]
stop_daemon
start_daemon "$DATA"
post "$AUDITOR" 2 "$TMP/w2.line"
check "a server without witnesses refuses lines (409)" status_is 409

finish
