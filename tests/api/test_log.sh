#!/usr/bin/env bash
# The transparency log end to end on the real daemon (issue 5): deliveries
# and log entries agree one to one; checkpoints verify with the published
# verifier key; entries name nobody; members and auditors detect an edited
# entry, an older checkpoint served, and a rewritten (forked) log; after
# kill -9 during a release the log and the deliveries still agree and the
# log extends the last checkpoint seen before the kill. With Go installed,
# an independent verifier (golang.org/x/mod/sumdb) checks our formats.
. "$(dirname "$0")/lib.sh"
SRC=${FW_SRC:-.}
DATA="$TMP/data"
DB="$DATA/forewarn.db"
on_sqlite() { [ -z "${FW_API_DB:-}" ]; }

# A long checkpoint interval: checkpoints come from the wake-ups after
# deliveries only, so the tamper tests below do not race the integrator.
start_daemon "$DATA" --simulated-clock 2025-06-20T00:00:00Z --log-interval 600000
api_json "$ADMIN" PUT "/api/v1/policy?comment=first" "$(cat "$SRC/examples/policy.fw")"
check "policy applied" status_is 201

api "" GET /api/v1/program
VKEY=$(jbody .log_verifier_key)
check "program publishes the log verifier key" [ -n "$VKEY" ] && [ "$VKEY" != null ]
check "verifier key is name+hex8+base64 of the origin" \
	bash -c "[[ '$VKEY' =~ ^$(jbody .log_origin)\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$ ]]"

declare -A TOKEN
add_member() { # id tier
	age-keygen -o "$TMP/$1.key" 2>/dev/null
	api_json "$ADMIN" POST /api/v1/members "{\"id\":\"$1\",\"name\":\"$1\",\"tier\":\"$2\",\"jurisdiction\":\"DE\",\"age_recipient\":\"$(age-keygen -y "$TMP/$1.key")\"}"
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
check "auditor token made" [ -n "$AUDITOR" ]

api "" GET /log/checkpoint
check "the log is not readable anonymously" status_is 401
# The applied policy version is the log's first entry.
BASE=1
cp_size() { api "$AUDITOR" GET /log/checkpoint; sed -n 2p "$TMP/body"; }
log_has() { [ "$(cp_size)" = "$1" ]; }
check "the first checkpoint covers the policy version" wait_for 50 log_has $BASE

api_json "$ADMIN" POST /api/v1/advisories '{"id":"sp-rce","title":"SharePoint RCE","public_at":"2025-07-08T17:00:00Z"}'
for k in summary detection poc; do
	printf '%s of sp-rce\n' "$k" >"$TMP/$k.txt"
	api "$ADMIN" POST "/api/v1/advisories/sp-rce/artifacts/$k" -H 'Content-Type: text/plain' --data-binary "@$TMP/$k.txt"
done
api_json "$ADMIN" POST /api/v1/advisories/sp-rce/schedule '{}'
check "advisory scheduled" status_is 200
BASE=$((BASE + 1)) # scheduling is an entry too
check "the schedule is the log's second entry" wait_for 50 log_has $BASE

total_deliveries() { api "$ADMIN" GET "/api/v1/deliveries"; jbody '.deliveries | length'; }
api_json "$ADMIN" POST /api/v1/clock '{"set":"2025-07-04T00:00:00Z"}'
deliveries_are() { [ "$(total_deliveries)" = "$1" ]; }
check "6 copies delivered (val 3, ans 3)" wait_for 100 deliveries_are 6
wait_for 100 log_has $((BASE + 6)) || true
check "checkpoint covers the 6 deliveries" log_has $((BASE + 6))

# One to one: every delivery has a receipt whose index is distinct, all of 0..5.
idx=()
declare -A OWNER
for id in $(api "$ADMIN" GET /api/v1/deliveries; jbody '.deliveries[].id'); do
	api "$ADMIN" GET "/api/v1/deliveries/$id/receipt"
	i=$(jbody .index)
	idx+=("$i")
	OWNER[$i]=$(jbody .opening | sed -n 's/^member //p')
done
check "deliveries and entries agree one to one" [ "$(printf '%s\n' "${idx[@]}" | sort -n | tr '\n' ' ')" = "$(seq -s ' ' $BASE $((BASE + 5))) " ]

# A member sees only its own receipts.
ans_id=$(api "${TOKEN[ans]}" GET /api/v1/deliveries; jbody '.deliveries[0].id')
api "${TOKEN[val]}" GET "/api/v1/deliveries/$ans_id/receipt"
check "another member's receipt is not found" status_is 404
api "${TOKEN[ans]}" GET "/api/v1/deliveries/$ans_id/receipt"
check "own receipt is served" status_is 200
check "opening names the member, entry does not" bash -c "jq -r .opening '$TMP/body' | grep -q '^member ans\$' && ! jq -r .entry '$TMP/body' | grep -q ans"
check "commitment = SHA-256(opening)" [ "$(jq -j .opening "$TMP/body" | sha256sum | cut -c1-64)" = "$(jq -r .entry "$TMP/body" | jq -r .commitment)" ]

api "$AUDITOR" GET /log/tile/entries/000.p/$((BASE + 6))
check "entry bundle of $((BASE + 6)) served to the auditor" status_is 200
check "no entry names a member or an advisory" bash -c "! grep -a -q -e sp-rce -e '\"val\"' -e ans -e summary '$TMP/body'"

F="$FW_BIN/forewarn"
check "checkpoint verifies with the published key" "$F" --token-file "$TMP/auditor.token" log checkpoint --log-key "$VKEY"
check "auditor: audit passes" "$F" --token-file "$TMP/auditor.token" log audit --log-key "$VKEY"
"$F" --token-file "$TMP/auditor.token" log checkpoint --log-key "$VKEY" >"$TMP/cp6" 2>/dev/null
check "member fetch verifies inclusion of its copies" \
	"$F" --token-file "$TMP/val.token" fetch --out "$TMP/val-in" --identity "$TMP/val.key"
check "a receipt file is kept beside each copy" test -s "$TMP/val-in/sp-rce/poc-v1.age.tlog-proof"

# More deliveries (a description: val at once, ans at T), then the
# member's second run checks consistency.
printf 'description of sp-rce\n' >"$TMP/description.txt"
api "$ADMIN" POST "/api/v1/advisories/sp-rce/artifacts/description" -H 'Content-Type: text/plain' --data-binary "@$TMP/description.txt"
api_json "$ADMIN" POST /api/v1/clock '{"set":"2025-07-08T17:00:00Z"}'
check "8 copies delivered" wait_for 100 deliveries_are 8
N=$(total_deliveries)
wait_for 100 log_has "$((BASE + N))"
check "checkpoint grows with the new deliveries ($N)" log_has "$((BASE + N))"
check "member's second fetch checks consistency and succeeds" \
	"$F" --token-file "$TMP/val.token" fetch --out "$TMP/val-in" --identity "$TMP/val.key"
check "auditor: verify --from an old checkpoint" "$F" --token-file "$TMP/auditor.token" log verify --from "$TMP/cp6" --log-key "$VKEY"
check "auditor: proof --from $((BASE + 6))" "$F" --token-file "$TMP/auditor.token" log proof --from $((BASE + 6)) --log-key "$VKEY"
check "auditor: proof --index 3" "$F" --token-file "$TMP/auditor.token" log proof --index 3 --log-key "$VKEY"

# Independent verifier: Go's sumdb/note and sumdb/tlog (Debian golang-golang-x-mod-dev).
if command -v go >/dev/null && [ -d /usr/share/gocode/src/golang.org/x/mod/sumdb ]; then
	check "independent Go verifier accepts checkpoint, proofs and tiles" \
		bash "$SRC/tests/interop/run.sh" "$URL" "$AUDITOR" "$VKEY" "$TMP/go"
else
	echo "ok - # SKIP Go interop (apt-get install golang-go golang-golang-x-mod-dev)"
fi

if on_sqlite; then
	# Tamper 1: edit one stored entry (the daemon keeps running).
	sqlite3 "$DB" "UPDATE log_entries SET entry = CAST(replace(CAST(entry AS TEXT), '\"v\":1', '\"v\":2') AS BLOB) WHERE idx = 2"
	check "audit detects an edited entry" bash -c "! '$F' --token-file '$TMP/auditor.token' log audit --log-key '$VKEY' 2>'$TMP/audit.err'"
	check "audit says so loudly" grep -q "FAILED VERIFICATION" "$TMP/audit.err"
	m=${OWNER[2]}
	check "the member of the edited entry ($m) refuses its copy" \
		bash -c "! '$F' --token-file '$TMP/$m.token' fetch --out '$TMP/$m-fresh' --identity '$TMP/$m.key' 2>'$TMP/edit.err'"
	check "and reports it loudly" grep -q "FAILED VERIFICATION" "$TMP/edit.err"
	sqlite3 "$DB" "UPDATE log_entries SET entry = CAST(replace(CAST(entry AS TEXT), '\"v\":2', '\"v\":1') AS BLOB) WHERE idx = 2"
	check "audit passes again once restored" "$F" --token-file "$TMP/auditor.token" log audit --log-key "$VKEY"

	# Tamper 2: serve an older checkpoint (truncation as clients see it).
	sqlite3 "$DB" "CREATE TABLE keep_cp AS SELECT * FROM log_checkpoints WHERE size > $((BASE + 6)); DELETE FROM log_checkpoints WHERE size > $((BASE + 6))"
	check "member detects the older checkpoint" bash -c "! '$F' --token-file '$TMP/val.token' fetch --out '$TMP/val-in' 2>'$TMP/old.err'"
	check "member says the log was truncated" grep -q "older than the one kept" "$TMP/old.err"
	check "auditor detects it with verify --from" bash -c "! '$F' --token-file '$TMP/auditor.token' log verify --from '$TMP/val-in/.forewarn/checkpoint' --log-key '$VKEY' 2>/dev/null"
	sqlite3 "$DB" "INSERT OR IGNORE INTO log_checkpoints SELECT * FROM keep_cp; DROP TABLE keep_cp"

	# Tamper 3: rewrite history and re-sign (a fork): same size, other root.
	stop_daemon
	sqlite3 "$DB" "UPDATE log_entries SET entry = CAST(replace(CAST(entry AS TEXT), '\"v\":1', '\"v\":3') AS BLOB) WHERE idx = 1;
		UPDATE log_entries SET leaf_hash = zeroblob(32) WHERE idx = 1;
		DELETE FROM log_nodes; DELETE FROM log_checkpoints; UPDATE log_tree SET size = 0, frontier = x'0000000000000000'"
	start_daemon "$DATA" --simulated-clock 2025-07-08T17:00:00Z
	check "member detects the rewritten log" bash -c "! '$F' --token-file '$TMP/val.token' fetch --out '$TMP/val-in' 2>'$TMP/fork.err'"
	check "member reports the fork loudly" grep -q "FAILED VERIFICATION" "$TMP/fork.err"
	check "auditor detects the rewrite with verify --from" bash -c "! '$F' --token-file '$TMP/auditor.token' log verify --from '$TMP/cp6' --log-key '$VKEY' 2>/dev/null"
else
	echo "ok - # SKIP tamper tests edit the SQLite file directly"
fi

finish
