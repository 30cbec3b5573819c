#!/usr/bin/env bash
# forewarn db copy (issue 6): a program that ran on SQLite (members, tokens,
# advisories, encrypted artifacts, a policy, a release with its deliveries,
# reads of a copy, the transparency log) is copied to PostgreSQL; the copy is
# verified; forewarnd then runs on PostgreSQL with the same data directory:
# the old admin token works, the log extends the checkpoint taken on
# SQLite, and a member added afterwards gets copies of the old artifacts
# (so they still decrypt with the keys of the data directory).
# Runs with the PostgreSQL API tests (FW_API_DB set); skipped otherwise.
. "$(dirname "$0")/lib.sh"
if [ -z "${FW_API_DB:-}" ]; then
	echo "skipped: needs a PostgreSQL target: FW_API_DB (the api-pg tests)"
	exit 77
fi
. "$(dirname "$0")/nodes_lib.sh"
PGDB=$FW_API_DB
DATA="$TMP/data"
MEMBERS=40
CLOCK=2025-06-25T00:00:00Z

FW_API_DB="" start_daemon "$DATA" --simulated-clock "$CLOCK"
api_json "$ADMIN" PUT "/api/v1/policy?comment=first" "$(cat "$SRC/examples/policy.fw")"
check "$MEMBERS members added" [ "$(add_members "$MEMBERS")" = "$MEMBERS" ]
auditor_setup
make_advisory old summary poc
api_json "$ADMIN" POST /api/v1/advisories/old/schedule '{}'
WANT=$((MEMBERS * 2))
is_total() { [ "$(total)" = "$WANT" ]; }
check "released on SQLite" wait_for 300 is_total
api "$ADMIN" GET "/api/v1/deliveries/1/copy"
check "a copy was read (a delivery read is recorded)" status_is 200
"$FW" --token-file "$TMP/auditor.token" log checkpoint --log-key "$VKEY" >"$TMP/cp.sqlite"
stop_daemon

# With a password in the URL (the test cluster trusts everyone and ignores
# it), to see that it is never printed.
TARGET=$(FW_API_DB=$PGDB node_db_url "$TMP/target" | sed -E 's|^(postgres(ql)?://[^:@/]+)@|\1:sekrit-pw@|')
check "forewarn db copy copies and verifies" \
	sh -c "'$FW' db copy --from 'sqlite:$DATA/forewarn.db' --to '$TARGET' >'$TMP/copy.out' 2>'$TMP/copy.err'"
cat "$TMP/copy.out"
check "every table has as many rows on both sides" sh -c "! grep -q DIFFERENT '$TMP/copy.out'"
check "the deliveries were copied" grep -Eq "^deliveries +$WANT rows +$WANT rows +equal" "$TMP/copy.out"
check "the log was verified" grep -q 'newest checkpoint (root) equal' "$TMP/copy.out"
check "progress was shown" grep -q 'rows done' "$TMP/copy.err"
check "the URL has a password" grep -q sekrit-pw <<<"$TARGET"
check "a second copy into the same database is refused" \
	sh -c "! '$FW' db copy --from 'sqlite:$DATA/forewarn.db' --to '$TARGET' --quiet >/dev/null 2>'$TMP/again.err'"
check "and says why" grep -q 'already holds a program' "$TMP/again.err"
check "the password is never shown" sh -c "! grep -q sekrit-pw '$TMP/copy.out' '$TMP/copy.err' '$TMP/again.err'"

start_node pg "$DATA" --simulated-clock "$CLOCK" --db "$TARGET"
URL=$NODE_URL
export FOREWARN_URL=$URL
check "the old admin token works on PostgreSQL" [ "$(total)" = "$WANT" ]
api "$ADMIN" GET "/api/v1/deliveries/1/reads"
check "the read of a copy came along" [ "$(jbody '.reads | length')" -ge 1 ]
check "the log extends the checkpoint taken on SQLite" \
	"$FW" --token-file "$TMP/auditor.token" log verify --from "$TMP/cp.sqlite" --log-key "$VKEY"
RCP=$(age-keygen 2>/dev/null | tee "$TMP/new.key" | grep -o 'age1[a-z0-9]*')
api_json "$ADMIN" POST /api/v1/members "{\"id\":\"newcomer\",\"name\":\"n\",\"tier\":\"validate\",\"jurisdiction\":\"DE\",\"age_recipient\":\"$RCP\"}"
check "a member is added on PostgreSQL" status_is 201
newcomer() { api "$ADMIN" GET "/api/v1/deliveries?member=newcomer"; [ "$(jbody '.deliveries | length')" = 2 ]; }
check "the newcomer gets copies of the old artifacts" wait_for 100 newcomer
id=$(jbody '.deliveries[0].id')
api "$ADMIN" GET "/api/v1/deliveries/$id/copy"
cp "$TMP/body" "$TMP/new.age"
check "the newcomer's copy decrypts: the artifacts still open with the data directory's keys" \
	sh -c "age -d -i '$TMP/new.key' '$TMP/new.age' | cmp -s - '$TMP/art.txt'"
finish
