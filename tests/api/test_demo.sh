#!/usr/bin/env bash
# `forewarn demo` tells the ToolShell story against its own server and
# checks every step; it must end well and say so in plain words.
# The demo always starts its own server (SQLite): nothing to run on PostgreSQL.
[ -n "${FW_API_DB:-}" ] && exit 77
. "$(dirname "$0")/lib.sh"
unset FOREWARN_TOKEN FOREWARN_TOKEN_FILE
"$FW" demo >"$TMP/demo.out" 2>&1
rc=$?
check "forewarn demo succeeds" [ "$rc" = 0 ]
check "it narrates the waves" grep -q '2025-07-03, T-5d' "$TMP/demo.out"
check "it shows the diff before applying" grep -q 'already disclosed' "$TMP/demo.out"
check "explain names the restriction" grep -q 'restriction mandatory-reporting withholds poc' "$TMP/demo.out"
check "the member verifies and decrypts" grep -q '3 new copies, 3 verified, 0 failed' "$TMP/demo.out"
check "the poc is a template with enough points" grep -qE 'a template: [0-9]{3} variation points' "$TMP/demo.out"
check "capacity: 2 colluders among 6" grep -q 'names up to [2-9] colluders among 6 recipients' "$TMP/demo.out"
check "a mixed copy appears on a forum" grep -q 'appears on a forum' "$TMP/demo.out"
check "the trace accuses fabrikam or contoso" grep -qE '^ +(fabrikam|contoso) +score .* ACCUSED$' "$TMP/demo.out"
check "the trace accuses nobody else" bash -c "! grep -E ' ACCUSED\$' '$TMP/demo.out' | grep -vqE '^ +(fabrikam|contoso) '"
check "the auditor's audit of the log passes" grep -q '^audit passed: [0-9]* entries' "$TMP/demo.out"
check "the log's verifier key is shown" grep -qE 'log verifier key: .+\+[0-9a-f]{8}\+' "$TMP/demo.out"
check "northwind is scored, not accused" grep -qE '^ +northwind +score .* not accused$' "$TMP/demo.out"
# Its own server, by its data directory (other tests may run demos too).
demo_dir=$(sed -n 's/.*(data in \(\/[^)]*\)).*/\1/p' "$TMP/demo.out")
demo_dir=${demo_dir%%$'\n'*} # the first one (no pipe into head: SIGPIPE under pipefail)
check "it names its data directory" [ -n "$demo_dir" ]
check "it stops its server" bash -c "! pgrep -f -- '--data $demo_dir/serve[r]' >/dev/null"
check "it removes its data directory" [ ! -e "$demo_dir" ]
[ "$FAILED" -eq 0 ] || cat "$TMP/demo.out"
finish
