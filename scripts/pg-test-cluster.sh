#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the storage tests, from the Debian
# packages (postgresql). Nothing of the system's own clusters is touched.
#
#   url=$(scripts/pg-test-cluster.sh start)   # prints postgresql://forewarn@127.0.0.1:PORT/forewarn
#   FW_TEST_PG_URL=$url make test
#   scripts/pg-test-cluster.sh stop "$url"    # or: stop DIR
#   scripts/pg-test-cluster.sh restart "$url" [fast|immediate]   # fault tests
#
# The cluster lives in a new directory under ${FW_PG_TMPDIR:-/tmp}, listens on
# a free port of 127.0.0.1 (and a unix socket in that directory only) and
# trusts every local connection: it is for tests, never for data. PostgreSQL
# refuses to run as root, so as root the server runs as the `postgres` system
# user, or else as a `forewarn-ci` system user created for the purpose.
set -euo pipefail

me=pg-test-cluster
die() {
	echo "$me: $*" >&2
	exit 1
}

bindir() {
	if [ -n "${FW_PG_BIN:-}" ]; then
		echo "$FW_PG_BIN"
		return
	fi
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] ||
		die "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql)"
	echo "$d"
}

# The unprivileged user the server runs as ("" when we are not root).
run_user() {
	[ "$(id -u)" -eq 0 ] || return 0
	if id -u postgres >/dev/null 2>&1; then
		echo postgres
		return
	fi
	if ! id -u forewarn-ci >/dev/null 2>&1; then
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin forewarn-ci ||
			die "cannot create the user forewarn-ci"
	fi
	echo forewarn-ci
}

as_user() {
	local user=$1
	shift
	if [ -n "$user" ]; then
		runuser -u "$user" -- "$@"
	else
		"$@"
	fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
	local bin user dir port="" started=""
	bin=$(bindir)
	user=$(run_user)
	dir=$(mktemp -d "${FW_PG_TMPDIR:-/tmp}/fw-pg.XXXXXX")
	# Undo everything if any step fails.
	trap 'if [ -n "$started" ]; then as_user "$user" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; fi; rm -rf "$dir"' EXIT
	[ -z "$user" ] || chown "$user:" "$dir"
	chmod 700 "$dir"

	# An ICU default collation where the server has it: a query that forgets
	# COLLATE "C" then sorts differently from SQLite and a test notices.
	local locale=(--locale=C.UTF-8)
	if "$bin/initdb" --help | grep -q -- '--locale-provider'; then
		locale+=(--locale-provider=icu --icu-locale=en)
	fi
	as_user "$user" "$bin/initdb" -D "$dir/data" -U forewarn -A trust -E UTF8 "${locale[@]}" --no-sync \
		>"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		die "initdb failed"
	}

	local try
	for try in $(seq 1 20); do
		port=$((20000 + RANDOM % 40000))
		port_in_use "$port" && continue
		if as_user "$user" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200" \
			start >/dev/null 2>&1; then
			started=1
			break
		fi
		# Someone took the port between the check and the bind: try another.
		grep -q -e 'could not bind' -e 'already in use' "$dir/server.log" 2>/dev/null || {
			cat "$dir/server.log" >&2 2>/dev/null || true
			die "the server did not start"
		}
		: >"$dir/server.log"
	done
	[ -n "$started" ] || die "no free port found"
	as_user "$user" "$bin/createdb" -h "$dir" -p "$port" -U forewarn forewarn ||
		die "createdb failed"
	echo "$port" >"$dir/port"
	echo "$bin" >"$dir/bin"
	trap - EXIT
	echo "$me: started in $dir" >&2
	echo "postgresql://forewarn@127.0.0.1:$port/forewarn"
}

# A cluster directory from a directory or from the URL start printed.
find_dir() {
	local arg=$1 port f
	if [ -d "$arg" ]; then
		[ -f "$arg/port" ] || die "$arg is not a cluster of this script"
		echo "$arg"
		return
	fi
	port=$(printf '%s\n' "$arg" | sed -nE 's|^postgres(ql)?://[^/]*:([0-9]+)(/.*)?$|\2|p')
	[ -n "$port" ] || die "cannot tell the port of $arg"
	for f in "${FW_PG_TMPDIR:-/tmp}"/fw-pg.*/port; do
		[ -f "$f" ] && [ "$(cat "$f")" = "$port" ] && {
			dirname "$f"
			return
		}
	done
	die "no cluster of this script listens on port $port"
}

stop() {
	[ $# -eq 1 ] || die "usage: $0 stop URL|DIR"
	local dir user bin
	dir=$(find_dir "$1")
	user=""
	[ "$(id -u)" -ne 0 ] || user=$(stat -c %U "$dir")
	bin=$(cat "$dir/bin")
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_user "$user" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null ||
			as_user "$user" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null || true
	fi
	rm -rf "$dir"
	echo "$me: stopped and removed $dir" >&2
}

# Restarts the server of a cluster (fault tests: clients must reconnect).
# MODE is pg_ctl's shutdown mode: fast (default) or immediate (a crash).
restart() {
	[ $# -ge 1 ] || die "usage: $0 restart URL|DIR [fast|immediate]"
	local dir user bin mode=${2:-fast}
	dir=$(find_dir "$1")
	user=""
	[ "$(id -u)" -ne 0 ] || user=$(stat -c %U "$dir")
	bin=$(cat "$dir/bin")
	as_user "$user" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m "$mode" -w -t 60 restart >/dev/null ||
		die "restart failed"
	echo "$me: restarted $dir" >&2
}

case "${1:-}" in
start) start ;;
restart)
	shift
	restart "$@"
	;;
stop)
	shift
	stop "$@"
	;;
*) die "usage: $0 start | stop URL|DIR | restart URL|DIR [fast|immediate]" ;;
esac
