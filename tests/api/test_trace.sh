#!/usr/bin/env bash
# Fingerprinted copies and leak tracing through the API: every member gets
# its own copy of a templated poc (each opens with age and verifies with
# minisign), and leaked copies — re-indented and cut in half, or mixed from
# two members' copies — name the right member(s) and nobody innocent. Only
# an admin may trace; nothing of a copy ever shows in an answer or error.
. "$(dirname "$0")/lib.sh"

start_daemon "$TMP/data" --simulated-clock 2025-06-20T00:00:00Z
printf 'tier everyone { grant all at T-14d }\n' >"$TMP/policy.fw"
api "$ADMIN" PUT /api/v1/policy --data-binary "@$TMP/policy.fw"
check "policy applied" status_is 201
MEMBERS="m1 m2 m3 m4 m5 m6 m7 m8"
declare -A TOKEN
for m in $MEMBERS; do
	age-keygen -o "$TMP/$m.key" 2>/dev/null
	api_json "$ADMIN" POST /api/v1/members "{\"id\":\"$m\",\"name\":\"$m\",\"tier\":\"everyone\",\"jurisdiction\":\"DE\",\"age_recipient\":\"$(age-keygen -y "$TMP/$m.key")\"}"
	status_is 201 || echo "  could not add $m"
	api_json "$ADMIN" POST /api/v1/tokens "{\"role\":\"member\",\"member\":\"$m\"}"
	TOKEN[$m]=$(jbody .token)
done
api_json "$ADMIN" POST /api/v1/advisories '{"id":"adv","title":"a bug","public_at":"2025-07-08T17:00:00Z"}'

# A poc template: 240 points with 2 to 4 alternatives, a renamed identifier.
{
	echo '#!/usr/bin/env python3'
	echo '# proof of concept: {{ heap overflow | heap overrun }} in the request parser'
	echo 'import {{sock: socket | socket as net}}'
	for i in $(seq 1 240); do
		case $((i % 3)) in
		0) echo "field_$i = {{ $i | 0x$(printf %x "$i") }}" ;;
		1) echo "field_$i = {{ $i | 0x$(printf %x "$i") | 0o$(printf %o "$i") }}  # offset $i" ;;
		2) echo "send(field_$((i - 1)), {{ 'A' | \"A\" | chr(65) | '\\x41' }}, tag=$i)" ;;
		esac
	done
	echo 'print("done")'
} >"$TMP/poc.tpl"

api "$ADMIN" POST /api/v1/advisories/adv/artifacts/poc --data-binary "@$TMP/poc.tpl"
check "upload of a template: 201" status_is 201
check "upload reports the points and their alphabet sizes" \
	jq -e '.mark.markable and .mark.points == 242 and (.mark.alphabet | length) == 242 and (.mark.alphabet | max) == 4' "$TMP/body"
printf 'x = {{ 1 | 2 }}\ny = {{ 3 \n' >"$TMP/bad.tpl"
api "$ADMIN" POST /api/v1/advisories/adv/artifacts/detection --data-binary "@$TMP/bad.tpl"
check "a markable kind whose template does not parse: 400" status_is 400
check "the error says line:column" bash -c "jq -r .error.message '$TMP/body' | grep -q 'line 2:5'"
printf 'rule: no points here\n' >"$TMP/det.txt"
api "$ADMIN" POST /api/v1/advisories/adv/artifacts/detection --data-binary "@$TMP/det.txt"
check "a markable kind without points is stored, with a warning" \
	jq -e '.version == 1 and .mark.points == 0 and (.mark.warnings[0] | test("no variation points"))' "$TMP/body"
printf 'summary with {{ braces | that are not points }}\n' >"$TMP/sum.txt"
api "$ADMIN" POST /api/v1/advisories/adv/artifacts/summary --data-binary "@$TMP/sum.txt"
check "a kind that is not markable is stored as is" jq -e '.mark.markable == false' "$TMP/body"

api_json "$ADMIN" POST /api/v1/advisories/adv/schedule '{}'
check "scheduled" status_is 200
check "schedule warns about the detection without points" \
	jq -e '[.warnings[] | select(test("detection v1 has no variation points"))] | length == 1' "$TMP/body"
check "schedule does not warn about the poc" jq -e '[.warnings[] | select(test("^poc"))] | length == 0' "$TMP/body"
api "$ADMIN" GET /api/v1/advisories/adv/artifacts/poc/capacity
cp "$TMP/body" "$TMP/cap.json"
check "capacity: the poc names at least 2 colluders among 8" \
	jq -e '.points == 242 and .recipients == 8 and .colluders >= 2 and .single_leaker' "$TMP/body"

api_json "$ADMIN" POST /api/v1/clock '{"set":"2025-06-24T17:00:00Z"}'
delivered() { api "$ADMIN" GET "/api/v1/deliveries?advisory=adv"; [ "$(jbody '[.deliveries[] | select(.kind=="poc")] | length')" = 8 ]; }
check "every member is delivered a poc" wait_for 150 delivered

# Every member's copy: verify, decrypt; no markers; all differ.
curl -s "$URL/api/v1/program" | jq -j .minisign_public_key >"$TMP/program.pub"
fetch_poc() { # member
	local m=$1 id
	api "${TOKEN[$m]}" GET "/api/v1/deliveries?advisory=adv"
	id=$(jbody '.deliveries[] | select(.kind=="poc") | .id')
	curl -sf -H "Authorization: Bearer ${TOKEN[$m]}" "$URL/api/v1/deliveries/$id/copy" -o "$TMP/$m.age" || return 1
	curl -sf -H "Authorization: Bearer ${TOKEN[$m]}" "$URL/api/v1/deliveries/$id/minisig" -o "$TMP/$m.age.minisig" || return 1
	minisign -Vm "$TMP/$m.age" -p "$TMP/program.pub" >/dev/null || { echo "  minisign rejected $m"; return 1; }
	age -d -i "$TMP/$m.key" -o "$TMP/$m.py" "$TMP/$m.age" || { echo "  age could not open $m's copy"; return 1; }
	! grep -q '{{\|}}' "$TMP/$m.py" || { echo "  markers in $m's copy"; return 1; }
	[ "$(sha256sum <"$TMP/$m.py" | cut -c1-64)" = "$(jbody ".deliveries[] | select(.kind==\"poc\") | .sha256_plain // empty")" ] ||
		[ -z "$(jbody ".deliveries[] | select(.kind==\"poc\") | .sha256_plain // empty")" ]
}
for m in $MEMBERS; do check "$m's poc verifies with minisign and opens with age" fetch_poc "$m"; done
distinct=$(for m in $MEMBERS; do sha256sum <"$TMP/$m.py"; done | sort -u | wc -l)
check "the eight copies are eight different texts" [ "$distinct" = 8 ]
check "the copies have the template's shape" [ "$(wc -l <"$TMP/m1.py")" = "$(wc -l <"$TMP/poc.tpl")" ]

trace() { # out files…
	local out=$1 files="" f
	shift
	for f in "$@"; do
		files="$files${files:+,}{\"name\":\"$(basename "$f")\",\"content_base64\":\"$(base64 -w0 "$f")\"}"
	done
	api_json "$ADMIN" POST /api/v1/advisories/adv/trace "{\"kind\":\"poc\",\"files\":[$files]}"
	cp "$TMP/body" "$out"
}

# One member's copy, re-indented and with its second half cut off.
n=$(wc -l <"$TMP/m1.py")
head -n $((n / 2)) "$TMP/m1.py" | sed 's/^/    /' >"$TMP/partial.py" # head first: no SIGPIPE under pipefail
trace "$TMP/t1.json" "$TMP/partial.py"
check "trace of a re-indented half copy: 200" status_is 200
check "it names m1 and nobody else" jq -e '[.accused[].member] == ["m1"]' "$TMP/t1.json"
check "it read about half the points, erased the rest" \
	jq -e '.files[0].version == 1 and .points_read > 60 and .points_erased > 60 and .members_scored == 8' "$TMP/t1.json"
check "others are shown for context, not accused" \
	jq -e '(.others | length) == 5 and all(.others[]; .accused == false and .score < .threshold)' "$TMP/t1.json"

# Two members mix their copies line by line where they differ.
paste -d '\n' "$TMP/m2.py" "$TMP/m3.py" | awk 'NR % 4 == 1 || NR % 4 == 0' >"$TMP/mix.py"
trace "$TMP/t2.json" "$TMP/mix.py"
check "trace of a two-member mix names at least one of them" \
	jq -e '[.accused[].member] | length >= 1' "$TMP/t2.json"
check "and nobody innocent" jq -e 'all(.accused[].member; . == "m2" or . == "m3")' "$TMP/t2.json"

# Two leaked files of the same version are merged.
trace "$TMP/t3.json" "$TMP/partial.py" <(tail -n $((n / 2)) "$TMP/m1.py")
check "two files of one version are traced together" \
	jq -e '[.accused[].member] == ["m1"] and (.leaks | length) == 1 and (.files | length) == 2' "$TMP/t3.json"

# A file that is no copy reads as no version; nobody is accused.
printf 'print("hello")\n' >"$TMP/other.py"
trace "$TMP/t4.json" "$TMP/other.py"
check "an unrelated file accuses nobody" jq -e '.files[0].version == null and (.accused | length) == 0' "$TMP/t4.json"
check "trace ids grow: every run is stored" jq -e --slurpfile a "$TMP/t1.json" '.trace_id > $a[0].trace_id' "$TMP/t4.json"

# Members may not trace nor see capacity; nothing of any copy is echoed.
marker=$(sed -n 10p "$TMP/m2.py")
api_json "${TOKEN[m1]}" POST /api/v1/advisories/adv/trace "{\"kind\":\"poc\",\"files\":[{\"name\":\"x\",\"content_base64\":\"$(base64 -w0 "$TMP/mix.py")\"}]}"
check "a member may not trace: 403" status_is 403
check "the refusal carries nothing of the file" bash -c "! grep -qF -- '$marker' '$TMP/body'"
api "${TOKEN[m1]}" GET /api/v1/advisories/adv/artifacts/poc/capacity
check "a member may not ask for capacity: 403" status_is 403
check "no trace answer carries copy text" bash -c "! grep -qF -- '$marker' '$TMP/t2.json' '$TMP/t1.json'"
api_json "$ADMIN" POST /api/v1/advisories/adv/trace '{"kind":"poc","files":[{"name":"x","content_base64":"not base64!"}]}'
check "bad base64: 400" status_is 400
api_json "$ADMIN" POST /api/v1/advisories/adv/trace '{"kind":"poc","epsilon":2,"files":[{"name":"x","content":"y"}]}'
check "epsilon out of range: 400" status_is 400
api_json "$ADMIN" POST /api/v1/advisories/adv/trace '{"kind":"indicators","files":[{"name":"x","content":"y"}]}'
check "a kind with nothing fingerprinted: 409" status_is 409

# The CLI prints the table and --json.
FOREWARN_TOKEN=$ADMIN "$FW" trace adv --kind poc --file "$TMP/partial.py" >"$TMP/cli.out" 2>&1
check "forewarn trace prints the accused" grep -qE '^m1 +[0-9.]+ +[0-9.]+ +1e-?[0-9]+ +ACCUSED' "$TMP/cli.out"
FOREWARN_TOKEN=$ADMIN "$FW" trace adv --kind poc --file "$TMP/partial.py" --json >"$TMP/cli.json"
check "forewarn trace --json" jq -e '[.accused[].member] == ["m1"]' "$TMP/cli.json"
FOREWARN_TOKEN=$ADMIN "$FW" artifact capacity adv poc >"$TMP/cap.out" 2>&1
check "forewarn artifact capacity" grep -q 'traces up to [0-9]* colluders' "$TMP/cap.out"
[ "$FAILED" -eq 0 ] || { cat "$TMP/cap.json" "$TMP/cli.out"; jq -c '{accused, others}' "$TMP/t2.json"; }
finish
