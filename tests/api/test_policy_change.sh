#!/usr/bin/env bash
# Policy changes as an operator makes them: explain, diff (applies nothing,
# counts pending changes and what was already disclosed), apply (at once,
# also for advisories already scheduled), rollback by applying an old version.
. "$(dirname "$0")/lib.sh"
SRC=${FW_SRC:-.}

start_daemon "$TMP/data" --simulated-clock 2025-06-20T00:00:00Z
export FOREWARN_TOKEN_FILE="$TMP/data/admin.token"
"$FW" policy apply "$SRC/examples/policy.fw" --comment v1 >/dev/null
add() {
	age-keygen -o "$TMP/$1.key" 2>/dev/null
	"$FW" member add --id "$1" --name "$1" --tier "$2" --jurisdiction "$3" --age-recipient "$(age-keygen -y "$TMP/$1.key")" >/dev/null
}
add val validate US
add ans ans DE
add ent entry CN
"$FW" advisory create --id adv --title t --public-at 2025-07-08T17:00:00Z >/dev/null
for k in summary description detection poc; do echo "$k" >"$TMP/$k"; "$FW" artifact add adv --kind $k --file "$TMP/$k" >/dev/null; done
"$FW" advisory schedule adv >/dev/null

check "explain names the rule and its line" \
	bash -c "'$FW' policy explain --member ans --advisory adv --kind poc | grep -q 'tier ans grants poc at T-5d'"
check "explain --json gives a release time" \
	bash -c "'$FW' policy explain --member ans --advisory adv --json | jq -e '.decisions[] | select(.kind==\"poc\") | .release_at == \"2025-07-03T17:00:00Z\"' >/dev/null"

# val has everything at T-14d; then a stricter policy is considered.
"$FW" clock set 2025-06-25T00:00:00Z >/dev/null
four() { [ "$("$FW" deliveries --json | jq '.deliveries | length')" = 4 ]; }
check "val got its four copies" wait_for 100 four
cat >"$TMP/v2.fw" <<'POL'
tier validate { grant summary, description, detection at T-14d }
tier ans { grant summary, detection at T-5d }
tier entry { grant summary at T-2d }
public { grant summary, description, mitigation at T }
POL
"$FW" policy diff "$TMP/v2.fw" --json >"$TMP/diff.json"
check "diff: ans loses the poc (pending)" \
	jq -e '[.changes[] | select(.member=="ans" and .kind=="poc" and .after=="withheld" and (.already_disclosed|not))] | length == 1' "$TMP/diff.json"
check "diff: entry's summary moves to T-2d" \
	jq -e '[.changes[] | select(.member=="ent" and .kind=="summary" and .after_at=="2025-07-06T17:00:00Z")] | length == 1' "$TMP/diff.json"
check "diff: val's poc is already disclosed" \
	jq -e '[.changes[] | select(.member=="val" and .kind=="poc" and .already_disclosed)] | length == 1' "$TMP/diff.json"
check "diff: counts add up" jq -e '.summary.changed == (.changes|length) and .summary.already_disclosed == 1' "$TMP/diff.json"
check "diff applies nothing" bash -c "'$FW' policy explain --member ans --advisory adv --kind poc | grep -q release"
check "diff prints a readable report" bash -c "'$FW' policy diff '$TMP/v2.fw' | grep -q 'already disclosed'"

check "apply v2" "$FW" policy apply "$TMP/v2.fw" --comment "no poc for ans"
check "the scheduled advisory follows v2 at once" \
	bash -c "'$FW' policy explain --member ans --advisory adv --kind poc | grep -q withheld"
"$FW" clock set 2025-07-04T00:00:00Z >/dev/null
six() { [ "$("$FW" deliveries --json | jq '.deliveries | length')" = 6 ]; }
check "ans gets summary and detection, not the poc" wait_for 100 six
check "ans has no poc" bash -c "[ \$('$FW' deliveries --member ans --json | jq '[.deliveries[] | select(.kind==\"poc\")] | length') = 0 ]"
"$FW" policy show --version 1 >"$TMP/v1.fw"
check "an old version is readable" cmp -s "$TMP/v1.fw" "$SRC/examples/policy.fw"
check "rollback: apply the old version" "$FW" policy apply "$TMP/v1.fw" --comment "rollback to v1"
seven() { [ "$("$FW" deliveries --json | jq '.deliveries | length')" = 7 ]; }
check "after rollback ans gets its poc at once (T-5d has passed)" wait_for 100 seven
check "three versions kept" bash -c "[ \$('$FW' policy versions --json | jq '.versions | length') = 3 ]"

# max_embargo: a policy that would tell anyone too early is refused whole.
printf 'max_embargo 7d\ntier validate { grant all at T-14d }\n' >"$TMP/long.fw"
check "a policy breaking max_embargo is refused" bash -c "! '$FW' policy apply '$TMP/long.fw' --comment too-early >'$TMP/out' 2>&1"
check "the refusal names the member, the rule and max_embargo" \
	bash -c "grep -q 'member val would get .* at T-14d, more than max_embargo 7d' '$TMP/out'"
check "nothing was stored" bash -c "[ \$('$FW' policy versions --json | jq '.versions | length') = 3 ]"
check "explain lists the rules in order" \
	bash -c "'$FW' policy explain --member ent --advisory adv --kind summary | grep -q 'line'"

finish
