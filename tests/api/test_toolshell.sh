#!/usr/bin/env bash
# The ToolShell story (2025) on a simulated clock, told independently of
# `forewarn demo`: three tiers, six members (two in CN), one advisory; on
# 2025-07-01 a restriction for mandatory-reporting jurisdictions is diffed,
# then applied, and the diff lists exactly the changes that then happen.
. "$(dirname "$0")/lib.sh"

start_daemon "$TMP/data" --simulated-clock 2025-06-20T00:00:00Z
cat >"$TMP/tiers.fw" <<'POL'
tier validate { grant all at T-14d }
tier ans { grant summary, detection, poc at T-5d }
tier entry { grant summary at T-1d }
POL
{ cat "$TMP/tiers.fw"; cat <<'POL'
set mandatory_reporting = [CN]
restrict mandatory-reporting when member.jurisdiction in mandatory_reporting {
  withhold poc
  delay all until T
}
POL
} >"$TMP/restricted.fw"
api "$ADMIN" PUT /api/v1/policy --data-binary "@$TMP/tiers.fw"
check "tiers applied" status_is 201
while read -r id tier cc; do
	age-keygen -o "$TMP/$id.key" 2>/dev/null
	api_json "$ADMIN" POST /api/v1/members "{\"id\":\"$id\",\"name\":\"$id\",\"tier\":\"$tier\",\"jurisdiction\":\"$cc\",\"age_recipient\":\"$(age-keygen -y "$TMP/$id.key")\"}"
	status_is 201 || echo "  could not add $id"
done <<'M'
contoso validate US
fabrikam validate CN
northwind ans DE
tailspin ans CN
adatum entry GB
litware entry FR
M
api_json "$ADMIN" POST /api/v1/advisories '{"id":"toolshell","title":"SharePoint remote code execution",
  "cves":["CVE-2025-53770"],"cvss_vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","public_at":"2025-07-08T17:00:00Z"}'
check "advisory with CVSS 9.8" [ "$(jbody .cvss_score)" = 9.8 ]
for k in summary description detection poc; do
	echo "$k of toolshell" | api "$ADMIN" POST "/api/v1/advisories/toolshell/artifacts/$k" --data-binary @-
done
api_json "$ADMIN" POST /api/v1/advisories/toolshell/schedule '{}'
check "scheduled" status_is 200

held() { # member -> sorted kinds
	api "$ADMIN" GET "/api/v1/deliveries?member=$1"
	jbody '[.deliveries[].kind] | sort | join(",")'
}
state() { for m in contoso fabrikam northwind tailspin adatum litware; do printf '%s=%s ' "$m" "$(held $m)"; done; }
want_state() { [ "$(state)" = "$1" ]; }
wave() { # time expected-state
	api_json "$ADMIN" POST /api/v1/clock "{\"set\":\"$1\"}"
	wait_for 150 want_state "$2" || { echo "  have: $(state)"; echo "  want: $2"; return 1; }
}
ALL=description,detection,poc,summary
check "wave 2025-06-24 (T-14d): validate gets everything" \
	wave 2025-06-24T17:00:00Z "contoso=$ALL fabrikam=$ALL northwind= tailspin= adatum= litware= "

# 2025-07-01: diff, then apply.
api_json "$ADMIN" POST /api/v1/clock '{"set":"2025-07-01T09:00:00Z"}'
api "$ADMIN" POST /api/v1/policy/diff --data-binary "@$TMP/restricted.fw"
cp "$TMP/body" "$TMP/diff.json"
check "the diff touches only the CN members" \
	jq -e '[.changes[].member] | unique == ["fabrikam","tailspin"]' "$TMP/diff.json"
check "the diff: tailspin's poc withheld, summary and detection delayed to T" \
	jq -e '([.changes[] | select(.member=="tailspin" and .kind=="poc" and .after=="withheld")] | length == 1)
	   and ([.changes[] | select(.member=="tailspin" and (.kind=="summary" or .kind=="detection") and .after_at=="2025-07-08T17:00:00Z")] | length == 2)' "$TMP/diff.json"
check "the diff: fabrikam's four copies are already disclosed" \
	jq -e '[.changes[] | select(.member=="fabrikam" and .already_disclosed)] | length == 4' "$TMP/diff.json"
api "$ADMIN" GET /api/v1/advisories/toolshell/plan
cp "$TMP/body" "$TMP/plan-before.json"
api "$ADMIN" PUT "/api/v1/policy?comment=withhold+poc+from+mandatory_reporting" --data-binary "@$TMP/restricted.fw"
check "restriction applied" status_is 201
api "$ADMIN" GET /api/v1/advisories/toolshell/plan
cp "$TMP/body" "$TMP/plan-after.json"
# What changed in the plan is exactly what the diff listed (pending ones).
jq -S '[.plan[] | {m:.member,k:.kind,d:.decision,t:.release_at}]' "$TMP/plan-before.json" >"$TMP/b"
jq -S '[.plan[] | {m:.member,k:.kind,d:.decision,t:.release_at}]' "$TMP/plan-after.json" >"$TMP/a"
changed=$(jq -n --slurpfile b "$TMP/b" --slurpfile a "$TMP/a" \
	'[$a[0][] as $x | select(($b[0] | index($x)) == null) | "\($x.m)/\($x.k)"] | sort | join(",")')
listed=$(jq -r '[.changes[] | "\(.member)/\(.kind)"] | sort | join(",")' "$TMP/diff.json")
check "the plan changed exactly where the diff said" [ "$changed" = "\"$listed\"" ]

check "wave 2025-07-03 (T-5d): northwind told; tailspin (CN) waits" \
	wave 2025-07-03T17:00:00Z "contoso=$ALL fabrikam=$ALL northwind=detection,poc,summary tailspin= adatum= litware= "
check "wave 2025-07-07 (T-1d): entry gets the summary" \
	wave 2025-07-07T17:00:00Z "contoso=$ALL fabrikam=$ALL northwind=detection,poc,summary tailspin= adatum=summary litware=summary "
check "T: tailspin gets summary and detection only at T, never the poc" \
	wave 2025-07-08T17:00:00Z "contoso=$ALL fabrikam=$ALL northwind=detection,poc,summary tailspin=detection,summary adatum=summary litware=summary "
api "$ADMIN" GET "/api/v1/deliveries?member=tailspin"
check "tailspin's copies are made at T, not before" \
	bash -c "jq -e '[.deliveries[].created_at] | all(. == \"2025-07-08T17:00:00Z\")' $TMP/body >/dev/null"
api "$ADMIN" GET "/api/v1/policy/explain?member=tailspin&advisory=toolshell&kind=poc"
check "explain names the restriction and its line" \
	bash -c "jq -e '.decisions[0].decision == \"withheld\" and (.decisions[0].reason | test(\"mandatory-reporting.*line 6\"))' $TMP/body >/dev/null"

finish
