#!/usr/bin/env bash
# The early-warning flow end to end on the real daemon with a simulated clock:
# three members in three tiers; before each tier's time nothing of that tier
# is reachable, after it exactly the granted kinds are; the real `age` and
# `minisign` tools open and verify every copy.
. "$(dirname "$0")/lib.sh"
SRC=${FW_SRC:-.}

start_daemon "$TMP/data" --simulated-clock 2025-06-20T00:00:00Z
api_json "$ADMIN" PUT "/api/v1/policy?comment=first" "$(cat "$SRC/examples/policy.fw")"
check "policy applied" status_is 201

# Members with keys made by the real age-keygen.
declare -A TOKEN
add_member() { # id tier jurisdiction
	age-keygen -o "$TMP/$1.key" 2>/dev/null
	local rcp
	rcp=$(age-keygen -y "$TMP/$1.key")
	api_json "$ADMIN" POST /api/v1/members \
		"{\"id\":\"$1\",\"name\":\"$1 Security\",\"tier\":\"$2\",\"jurisdiction\":\"$3\",\"age_recipient\":\"$rcp\"}"
	status_is 201 || return 1
	api_json "$ADMIN" POST /api/v1/tokens "{\"role\":\"member\",\"member\":\"$1\"}"
	status_is 201 || return 1
	TOKEN[$1]=$(jbody .token)
}
check "member val (validate) added" add_member val validate US
check "member ans (ans) added" add_member ans ans DE
check "member ent (entry) added" add_member ent entry CN

api_json "$ADMIN" POST /api/v1/advisories '{"id":"sp-rce","title":"SharePoint remote code execution",
  "cves":["CVE-2025-53770"],"products":["SharePoint Server 2019"],
  "cvss_vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","public_at":"2025-07-08T17:00:00Z"}'
check "advisory created" status_is 201
check "CVSS 9.8 critical computed" [ "$(jbody .cvss_score)/$(jbody .severity)" = "9.8/critical" ]

for k in summary description detection poc; do
	printf '%s of sp-rce\nline two of the %s\n' "$k" "$k" >"$TMP/$k.txt"
	api "$ADMIN" POST "/api/v1/advisories/sp-rce/artifacts/$k" -H 'Content-Type: text/plain' --data-binary "@$TMP/$k.txt"
	check "artifact $k uploaded" status_is 201
done
api_json "$ADMIN" POST /api/v1/advisories/sp-rce/schedule '{}'
check "advisory scheduled" status_is 200
# validate: 6 kinds; ans: 3 + description, mitigation at T; entry: summary + description, mitigation
check "plan: 3 members x 6 kinds, 14 releases planned, 4 withheld" [ "$(jbody .planned)/$(jbody .withheld)" = 14/4 ]

kinds_of() { # member -> sorted kinds it can list
	api "${TOKEN[$1]}" GET /api/v1/deliveries
	jbody '[.deliveries[].kind] | sort | join(",")'
}
expect_kinds() { # member expected
	[ "$(kinds_of "$1")" = "$2" ] || { echo "  $1 has [$(kinds_of "$1")], want [$2]"; return 1; }
}
total_deliveries() {
	api "$ADMIN" GET /api/v1/deliveries
	jbody '.deliveries | length'
}
total_is() { [ "$(total_deliveries)" = "$1" ]; }
advance_to() { # time expected-total
	api_json "$ADMIN" POST /api/v1/clock "{\"set\":\"$1\"}"
	status_is 200 && wait_for 100 total_is "$2" || { echo "  $(total_deliveries) copies, want $2"; return 1; }
}

# Nothing before the first tier's time.
check "nothing delivered before T-14d" [ "$(total_deliveries)" = 0 ]
for m in val ans ent; do check "$m sees no copy before T-14d" expect_kinds $m ""; done
api "${TOKEN[val]}" GET /api/v1/advisories/sp-rce
check "the advisory itself is invisible to members before their time" status_is 404

check "T-14d: 4 copies" advance_to 2025-06-24T17:00:00Z 4
check "val got every kind at T-14d" expect_kinds val "description,detection,poc,summary"
check "ans got nothing yet" expect_kinds ans ""
check "ent got nothing yet" expect_kinds ent ""
check "one second before T-5d nothing new" advance_to 2025-07-03T16:59:59Z 4

check "T-5d: 7 copies" advance_to 2025-07-03T17:00:00Z 7
check "ans got summary, detection, poc at T-5d" expect_kinds ans "detection,poc,summary"
check "ent still has nothing" expect_kinds ent ""

check "T-1d: 8 copies" advance_to 2025-07-07T17:00:00Z 8
check "ent got the summary at T-1d" expect_kinds ent "summary"

check "T: 10 copies (public block adds descriptions)" advance_to 2025-07-08T17:00:00Z 10
check "ans got the description at T" expect_kinds ans "description,detection,poc,summary"
check "ent got the description at T, never the poc" expect_kinds ent "description,summary"
api "$ADMIN" GET /api/v1/advisories/sp-rce
check "advisory is public at T" [ "$(jbody .status)" = public ]

# Every copy opens with the real age and verifies with the real minisign.
curl -s "$URL/api/v1/program" | jq -j .minisign_public_key >"$TMP/program.pub"
verify_copies() { # member
	local m=$1 id kind
	api "${TOKEN[$m]}" GET /api/v1/deliveries
	for row in $(jbody '.deliveries[] | "\(.id):\(.kind)"'); do
		id=${row%%:*}
		kind=${row#*:}
		curl -sf -H "Authorization: Bearer ${TOKEN[$m]}" "$URL/api/v1/deliveries/$id/copy" -o "$TMP/$m-$id.age" || return 1
		curl -sf -H "Authorization: Bearer ${TOKEN[$m]}" "$URL/api/v1/deliveries/$id/minisig" -o "$TMP/$m-$id.age.minisig" || return 1
		minisign -Vm "$TMP/$m-$id.age" -p "$TMP/program.pub" >"$TMP/verify.out" || { echo "  minisign rejected $m/$kind"; return 1; }
		grep -q "Trusted comment: forewarn advisory=sp-rce kind=$kind version=1 member=$m sha256=" "$TMP/verify.out" ||
			{ echo "  bad trusted comment: $(cat "$TMP/verify.out")"; return 1; }
		age -d -i "$TMP/$m.key" -o "$TMP/$m-$id.txt" "$TMP/$m-$id.age" || { echo "  age could not open $m/$kind"; return 1; }
		cmp -s "$TMP/$m-$id.txt" "$TMP/$kind.txt" || { echo "  $m/$kind differs from the artifact"; return 1; }
		# another member's key must not open it
		local other=val
		[ "$m" = val ] && other=ent
		if age -d -i "$TMP/$other.key" "$TMP/$m-$id.age" >/dev/null 2>&1; then echo "  $other opened $m's copy"; return 1; fi
	done
}
for m in val ans ent; do check "$m: age -d opens and minisign -V verifies every copy" verify_copies $m; done

# Every read is recorded: who, which token, when, from where.
api "${TOKEN[ent]}" GET /api/v1/deliveries
eid=$(jbody '.deliveries[0].id')
api "$ADMIN" GET "/api/v1/deliveries/$eid/reads"
check "reads of a copy are recorded with token and address" \
	[ "$(jbody '[.reads[] | select(.what=="copy" and .member=="ent" and .remote=="127.0.0.1")] | length')" = 1 ]
check "first_read_at is set after the first download" \
	bash -c "curl -s -H 'Authorization: Bearer $ADMIN' $URL/api/v1/deliveries/$eid | jq -e '.first_read_at != null' >/dev/null"

# Exactly once: a restart and more clock moves never duplicate a copy.
check "SIGTERM stops the daemon with status 0" stop_daemon
start_daemon "$TMP/data" --simulated-clock 2025-07-09T00:00:00Z
check "after restart still exactly 10 copies" advance_to 2025-07-20T00:00:00Z 10
api "$ADMIN" GET /api/v1/deliveries
check "no (member, kind, version) delivered twice" \
	[ "$(jbody '[.deliveries[] | "\(.member)/\(.kind)/\(.version)"] | unique | length')" = 10 ]

# A new version of an artifact after T goes to those already entitled.
printf 'poc v2\n' >"$TMP/poc2.txt"
api "$ADMIN" POST /api/v1/advisories/sp-rce/artifacts/poc -H 'Content-Type: text/plain' --data-binary "@$TMP/poc2.txt"
check "poc v2 uploaded" [ "$(jbody .version)" = 2 ]
check "poc v2 delivered to val and ans only" wait_for 100 total_is 12
api "${TOKEN[ent]}" GET /api/v1/deliveries
check "ent never gets any poc version" [ "$(jbody '[.deliveries[] | select(.kind=="poc")] | length')" = 0 ]

finish
