# Helpers of the several-nodes fault tests (issue 6), sourced after lib.sh:
# a program with many members, more forewarnd nodes on one database, and the
# checks that a release ended exactly once with a consistent log.
SRC=${FW_SRC:-.}
NODE_PIDS=()

nodes_cleanup() {
	for p in "${NODE_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	[ -z "${FW_NODES_KEEP:-}" ] || cp -r "$TMP" "$FW_NODES_KEEP" # for debugging
	cleanup
}
trap nodes_cleanup EXIT

# The database URL a node of DATA uses (start_daemon's schema rule), or "".
node_db_url() {
	local data=$1 schema sep="?"
	[ -n "${FW_API_DB:-}" ] || return 0
	schema="t_$(printf '%s' "$data" | sha256sum | cut -c1-16)"
	case "$FW_API_DB" in *\?*) sep="&" ;; esac
	printf '%s%soptions=-csearch_path%%3D%s' "$FW_API_DB" "$sep" "$schema"
}

# psql on the test schema of DATA: prints the one value of a query.
node_sql() {
	local data=$1 schema
	shift
	schema="t_$(printf '%s' "$data" | sha256sum | cut -c1-16)"
	PGOPTIONS="-csearch_path=$schema" psql -X -A -t -q "$FW_API_DB" -c "$*"
}

# start_node NAME DATA [flags…]: one more forewarnd on DATA's database and
# keys; sets NODE_PID and NODE_URL; logs in $TMP/NAME.log.
start_node() {
	local name=$1 data=$2
	shift 2
	local db=()
	[ -z "${FW_API_DB:-}" ] || db=(--db "$(node_db_url "$data")")
	"$FWD" --data "$data" --listen 127.0.0.1:0 "${db[@]}" "$@" >"$TMP/$name.out" 2>>"$TMP/$name.log" &
	NODE_PID=$!
	NODE_PIDS+=("$NODE_PID")
	for _ in $(seq 1 100); do
		grep -q 'listening on' "$TMP/$name.out" 2>/dev/null && break
		kill -0 "$NODE_PID" 2>/dev/null || { tail -n 20 "$TMP/$name.log"; return 1; }
		sleep 0.1
	done
	NODE_URL=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$TMP/$name.out" | tail -n 1)
	[ -n "$NODE_URL" ]
}

# add_members N: N members of tier validate, each with an age key of its
# own (age-keygen, in parallel), added over HTTP by one curl.
add_members() {
	local n=$1 i=0
	seq 1 "$n" | xargs -P 4 -I{} sh -c 'age-keygen 2>/dev/null | grep -o "age1[a-z0-9]*"' >"$TMP/recipients"
	mkdir -p "$TMP/m"
	: >"$TMP/members.curl"
	while read -r rcp; do
		i=$((i + 1))
		printf '{"id":"m%05d","name":"member %d","tier":"validate","jurisdiction":"DE","age_recipient":"%s"}' \
			"$i" "$i" "$rcp" >"$TMP/m/$i.json"
		printf 'url = "%s/api/v1/members"\nrequest = "POST"\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\ndata-binary = "@%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
			"$URL" "$ADMIN" "$TMP/m/$i.json" >>"$TMP/members.curl"
		[ "$i" -ge "$n" ] || echo next >>"$TMP/members.curl"
	done <"$TMP/recipients"
	curl -s -K "$TMP/members.curl" | grep -c '^201$'
}

# An advisory with small artifacts of KINDS (summary and poc by default).
make_advisory() {
	local id=$1
	shift
	api_json "$ADMIN" POST /api/v1/advisories "{\"id\":\"$id\",\"title\":\"$id\",\"public_at\":\"2025-07-08T17:00:00Z\"}"
	head -c 3000 /dev/urandom | base64 >"$TMP/art.txt"
	for k in "$@"; do
		api "$ADMIN" POST "/api/v1/advisories/$id/artifacts/$k" -H 'Content-Type: text/plain' \
			--data-binary "@$TMP/art.txt"
	done
}

auditor_setup() {
	api_json "$ADMIN" POST /api/v1/tokens '{"role":"auditor"}'
	printf '%s' "$(jbody .token)" >"$TMP/auditor.token"
	api "" GET /api/v1/program
	VKEY=$(jbody .log_verifier_key)
}
cp_size() { api "$(cat "$TMP/auditor.token")" GET /log/checkpoint; sed -n 2p "$TMP/body"; }
deliveries_json() { api "$ADMIN" GET "/api/v1/deliveries?limit=100000"; cp "$TMP/body" "$TMP/deliveries.json"; }
total() { deliveries_json; jq '.deliveries | length' "$TMP/deliveries.json"; }

# Keeps the newest checkpoint with more than MIN entries in $TMP/cp.before,
# until some but not all WANT copies are delivered, some of them by the node
# that logs to $TMP/daemon.log; then returns.
checkpoint_mid_release() {
	local min=$1 want=$2 n
	for _ in $(seq 1 600); do
		if "$FW" --token-file "$TMP/auditor.token" log checkpoint --log-key "$VKEY" >"$TMP/cp.new" 2>/dev/null &&
			[ "$(sed -n 2p "$TMP/cp.new")" -gt "$min" ]; then
			mv "$TMP/cp.new" "$TMP/cp.before"
			n=$(total)
			# Mid-release, preferably with copies of the node to kill
			# among them (under load the other node may get ahead).
			if [ "$n" -gt 0 ] && [ "$n" -lt "$want" ]; then
				grep -q '"delivered ' "$TMP/daemon.log" && return 0
				[ "$n" -lt "$((want / 2))" ] || return 0
			fi
			[ "$n" -ge "$want" ] && return 1
		fi
		sleep 0.02
	done
	return 1
}

# The checks of a finished release, WANT copies delivered in all, against the
# node at $URL. (BASE, the log's size before, is for the caller's checkpoint.)
check_release() {
	local want=$1 data=$3
	is_total() { [ "$(total)" = "$want" ]; }
	# Each look lists every delivery: look twice a second, not ten times.
	wait_total() {
		for _ in $(seq 1 240); do
			is_total && return 0
			sleep 0.5
		done
		return 1
	}
	check "all $want copies are delivered" wait_total
	check "each (member, kind, version) exactly once" \
		[ "$(jq '[.deliveries[] | "\(.member)/\(.advisory)/\(.kind)/\(.version)"] | unique | length' "$TMP/deliveries.json")" = "$want" ]
	# Entries other than deliveries (policy versions, schedules) come and
	# go with the story: count the delivery entries, and check that the
	# signed tree covers every entry there is, without gaps.

	if [ -n "${FW_API_DB:-}" ]; then sql() { node_sql "$data" "$1"; }; else sql() { sqlite3 "$data/forewarn.db" "$1"; }; fi
	entries() { sql "SELECT count(*) FROM log_entries"; }
	log_covers() { local n; n=$(entries); [ "$(cp_size)" = "$n" ]; }
	check "the log's tree covers every entry" wait_for 300 log_covers
	check "the log has exactly one entry per copy" \
		[ "$(sql "SELECT count(*) FROM log_entries WHERE delivery_id IS NOT NULL")" = "$want" ]
	check "no delivery without its entry" \
		[ "$(sql "SELECT count(*) FROM deliveries d LEFT JOIN log_entries e ON e.delivery_id = d.id WHERE e.idx IS NULL")" = 0 ]
	check "entries are numbered 0..n-1 without gaps" \
		[ "$(sql "SELECT count(*) - 1 - max(idx) FROM log_entries")" = 0 ]
	check "the log extends the checkpoint taken before the fault" \
		"$FW" --url "$URL" --token-file "$TMP/auditor.token" log verify --from "$TMP/cp.before" --log-key "$VKEY"
}
