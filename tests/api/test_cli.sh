#!/usr/bin/env bash
# The README's walkthrough with the forewarn CLI, operator and member side,
# against the real daemon on a simulated clock; then the member's fetch
# against a tampering server must refuse the copy.
. "$(dirname "$0")/lib.sh"
SRC=${FW_SRC:-.}
F=$FW

start_daemon "$TMP/data" --simulated-clock 2026-12-01T00:00:00Z
export FOREWARN_TOKEN_FILE="$TMP/data/admin.token"
cd "$TMP"

check "policy check accepts the example" "$F" policy check "$SRC/examples/policy.fw"
printf 'tier x {\n  grant pocc at T-1d\n}\n' >bad.fw
check "policy check points at line:col of an error" bash -c "'$F' policy check bad.fw 2>&1 | grep -q 'bad.fw:2:'"
check "policy check fails on errors" bash -c "! '$F' policy check bad.fw >/dev/null 2>&1"
check "policy apply" "$F" policy apply "$SRC/examples/policy.fw" --comment "tiers validate, ans, entry"
age-keygen -o acme.key 2>/dev/null
check "member add" "$F" member add --id acme --name "ACME Security" --tier ans --jurisdiction DE \
	--age-recipient "$(age-keygen -y acme.key)"
check "member add refuses a bad jurisdiction with a message" \
	bash -c "'$F' member add --id x --name X --tier ans --jurisdiction ZZ --age-recipient '$(age-keygen -y acme.key)' 2>&1 | grep -qi jurisdiction"
check "token create prints the token alone" bash -c "'$F' token create --role member --member acme --label fetcher >acme.token 2>/dev/null && grep -qx 'fwt_[0-9a-f]\{64\}' acme.token"
printf '# Summary\nSharePoint RCE\n' >summary.md
printf 'print("poc")\n' >poc.py
check "advisory create" "$F" advisory create --id sp-rce --title "SharePoint remote code execution" \
	--cve CVE-2025-53770 --cvss CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H --public-at 2026-12-20T17:00:00Z
check "artifact add summary" "$F" artifact add sp-rce --kind summary --file summary.md
check "artifact add poc" "$F" artifact add sp-rce --kind poc --file poc.py
check "advisory schedule" "$F" advisory schedule sp-rce
check "plan explains each decision with its rule" bash -c "'$F' plan sp-rce | grep -q 'tier ans grants poc at T-5d'"
check "plan --json is JSON" bash -c "'$F' plan sp-rce --json | jq -e '.plan | length == 6' >/dev/null"
check "nothing to fetch before T-5d" bash -c "FOREWARN_TOKEN_FILE=acme.token '$F' fetch --out inbox --identity acme.key | grep -q '0 new copies'"
check "clock advance" "$F" clock advance 15d
wait_copies() { [ "$("$F" deliveries --advisory sp-rce --json | jq '.deliveries | length')" = 2 ]; }
check "two copies made at T-5d" wait_for 100 wait_copies
check "member fetch verifies and decrypts" bash -c "FOREWARN_TOKEN_FILE=acme.token '$F' fetch --out inbox --identity acme.key | grep -q '2 new copies, 2 verified, 0 failed'"
check "the decrypted poc is the artifact" cmp -s inbox/sp-rce/poc-v1.txt poc.py
check "the standard tools agree" bash -c "curl -s $URL/api/v1/program | jq -j .minisign_public_key >program.pub && minisign -Vqm inbox/sp-rce/poc-v1.age -p program.pub && age -d -i acme.key inbox/sp-rce/poc-v1.age | cmp -s - poc.py"
check "a second fetch finds nothing new" bash -c "FOREWARN_TOKEN_FILE=acme.token '$F' fetch --out inbox --identity acme.key | grep -q '0 new copies'"
check "a member token cannot list members" bash -c "! FOREWARN_TOKEN_FILE=acme.token '$F' member list >/dev/null 2>&1"
check "--help on a command" bash -c "'$F' fetch --help | grep -q -- '--identity'"
check "a bad token is reported clearly" bash -c "FOREWARN_TOKEN=fwt_$(printf '0%.0s' $(seq 64)) '$F' whoami 2>&1 | grep -qi token"

# A server with another program key (a swapped or impostor server) is
# refused: the member pinned the key on first use.
stop_daemon
check "an unreachable server is reported clearly" bash -c "FOREWARN_TOKEN_FILE=acme.token '$F' fetch --out inbox 2>&1 | grep -qi 'cannot reach'"
start_daemon "$TMP/impostor" --simulated-clock 2026-12-01T00:00:00Z
check "a changed program key is refused loudly" bash -c "! FOREWARN_TOKEN_FILE=acme.token '$F' fetch --out inbox >out 2>&1 && grep -qi 'key' out"
check "nothing new was written" bash -c "[ \$(find inbox -newer out -type f | wc -l) = 0 ]"

finish
