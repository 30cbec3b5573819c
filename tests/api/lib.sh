# Helpers for API tests: start the real forewarnd on 127.0.0.1:0 with a
# temporary data directory, talk HTTP with curl, count checks.
# Sourced by tests/api/test_*.sh; FW_BIN is the build directory.
set -euo pipefail

FW_BIN=${FW_BIN:-build}
FWD="$FW_BIN/forewarnd"
FW="$FW_BIN/forewarn"
TMP=$(mktemp -d /tmp/fwtest.XXXXXX)
PASSED=0
FAILED=0
PID=""

cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	if [ "$FAILED" -ne 0 ] && [ -f "$TMP/daemon.log" ]; then
		echo "--- last daemon log lines ---"
		tail -n 30 "$TMP/daemon.log"
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
check() { # check "description" command...
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

# start_daemon DATA_DIR [extra forewarnd flags…]: sets PID, URL, ADMIN.
start_daemon() {
	local data=$1
	shift
	local db=()
	if [ -n "${FW_API_DB:-}" ]; then
		# The same data directory always gets the same schema, so a restart
		# finds its database again; another directory starts empty.
		local schema sep="?"
		schema="t_$(printf '%s' "$data" | sha256sum | cut -c1-16)"
		case "$FW_API_DB" in *\?*) sep="&" ;; esac
		db=(--db "${FW_API_DB}${sep}options=-csearch_path%3D${schema}")
	fi
	# Emptied here, not by the background job's redirection: that runs
	# after the fork, and the loop below could read a stopped daemon's
	# "listening on" line first.
	: >"$TMP/daemon.out"
	"$FWD" --data "$data" --listen 127.0.0.1:0 "${db[@]}" "$@" >>"$TMP/daemon.out" 2>>"$TMP/daemon.log" &
	PID=$!
	for _ in $(seq 1 100); do
		grep -q 'listening on' "$TMP/daemon.out" 2>/dev/null && break
		kill -0 "$PID" 2>/dev/null || { cat "$TMP/daemon.log"; echo "forewarnd died"; return 1; }
		sleep 0.1
	done
	URL=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$TMP/daemon.out" | tail -n 1)
	[ -n "$URL" ] || { echo "forewarnd did not start"; return 1; }
	ADMIN=$(cat "$data/admin.token")
	export FOREWARN_URL=$URL
}

stop_daemon() {
	kill -TERM "$PID"
	local rc=0
	wait "$PID" || rc=$?
	PID=""
	return $rc
}

# api TOKEN METHOD PATH [curl args…]: sets STATUS; the body is in $TMP/body.
api() {
	local token=$1 method=$2 path=$3
	shift 3
	local auth=()
	[ -n "$token" ] && auth=(-H "Authorization: Bearer $token")
	STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X "$method" "${auth[@]}" "$@" "$URL$path")
}
body() { cat "$TMP/body"; }
jbody() { jq -r "$1" "$TMP/body"; }
status_is() { [ "$STATUS" = "$1" ] || { echo "  status $STATUS, body: $(head -c 300 "$TMP/body")"; return 1; }; }

# api_json TOKEN METHOD PATH JSON
api_json() {
	api "$1" "$2" "$3" -H 'Content-Type: application/json' --data-binary "$4"
}

# wait_for N CMD…: retries CMD for up to N tenths of a second (the
# scheduler delivers asynchronously after a clock move).
wait_for() {
	local n=$1
	shift
	for _ in $(seq 1 "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}
