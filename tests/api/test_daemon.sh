#!/usr/bin/env bash
# forewarnd as an operator meets it: options and their precedence, first
# start, key file permissions, TLS, graceful stop.
. "$(dirname "$0")/lib.sh"

# --- options -----------------------------------------------------------------
check "--help lists the options" bash -c "'$FWD' --help | grep -q -- '--max-artifact'"
check "--check-config accepts the defaults" "$FWD" --check-config
check "--check-config refuses a bad value" bash -c "! '$FWD' --threads 0 --check-config 2>/dev/null"
check "--check-config refuses an unknown option" bash -c "! '$FWD' --no-such-option 1 --check-config 2>/dev/null"
printf 'threads = 7\nlisten = 127.0.0.1:9999\n# a comment\nmax-artifact = 2M\n' >"$TMP/fw.conf"
dump=$(FOREWARN_LISTEN=127.0.0.1:7777 "$FWD" --config "$TMP/fw.conf" --threads 9 --dump-config)
check "flag beats file" grep -q '^threads = 9$' <<<"$dump"
check "environment beats file" grep -q '^listen = 127.0.0.1:7777$' <<<"$dump"
check "file beats default" grep -q '^max-artifact = 2097152$' <<<"$dump"
dump=$("$FWD" --db 'postgresql://fw:s3cret@db.example/fw' --dump-config)
check "--dump-config redacts passwords" bash -c "grep -q '^db = postgresql://fw:\*\*\*@db.example/fw$' <<<'$dump' && ! grep -q s3cret <<<'$dump'"
printf 'bogus line\n' >"$TMP/bad.conf"
check "a bad config file is refused with its line" bash -c "'$FWD' --config '$TMP/bad.conf' --check-config 2>&1 | grep -q 'bad.conf:1'"

# --- first start -------------------------------------------------------------
start_daemon "$TMP/data"
check "first start prints where the admin token is" grep -q 'admin.token' "$TMP/daemon.out"
for f in admin.token master.key program.key; do
	check "$f is mode 0600" [ "$(stat -c %a "$TMP/data/$f")" = 600 ]
done
check "program.pub is a minisign public key" bash -c "head -n1 '$TMP/data/program.pub' | grep -q 'minisign public key'"
api "$ADMIN" GET /api/v1/whoami
check "the admin token works" bash -c "[ $STATUS = 200 ] && jq -e '.role == \"admin\"' $TMP/body >/dev/null"
api "" GET /api/v1/program
check "the program key is published" bash -c "jq -j .minisign_public_key $TMP/body | diff - '$TMP/data/program.pub'"
grep '"module":"http"' "$TMP/daemon.log" | tail -n 1 >"$TMP/line.json"
check "log lines are JSON with a request id" jq -e '.level and .module and .req and .msg' "$TMP/line.json"
check "no token reaches the log" bash -c "! grep -q '$ADMIN' '$TMP/daemon.log'"
api_json "$ADMIN" POST /api/v1/clock '{"advance":"1d"}'
check "a real clock refuses to move" status_is 409
check "SIGTERM exits 0" stop_daemon
cp "$TMP/data/admin.token" "$TMP/admin.token.1"
start_daemon "$TMP/data"
check "a second start keeps the same admin token" cmp -s "$TMP/data/admin.token" "$TMP/admin.token.1"
stop_daemon

chmod 644 "$TMP/data/program.key"
check "a key file readable by others stops the start" bash -c "! '$FWD' --data '$TMP/data' --listen 127.0.0.1:0 2>'$TMP/err'"
check "and says which file and what to do" grep -q 'chmod 600' "$TMP/err"
chmod 600 "$TMP/data/program.key"

# --- TLS with a self-signed certificate ------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$TMP/tls.key" -out "$TMP/tls.crt" 2>/dev/null
chmod 600 "$TMP/tls.key"
start_daemon "$TMP/data" --tls-cert "$TMP/tls.crt" --tls-key "$TMP/tls.key"
check "TLS: the URL is https" grep -q '^https://' <<<"$URL"
check "TLS: health over HTTPS with the certificate" bash -c "curl -sf --cacert '$TMP/tls.crt' $URL/healthz | grep -q ok"
check "TLS: an untrusted certificate is refused by the client" bash -c "! curl -sf $URL/healthz >/dev/null 2>&1"
check "TLS: the CLI talks HTTPS with --cacert" bash -c "FOREWARN_TOKEN='$ADMIN' '$FW' --cacert '$TMP/tls.crt' whoami | grep -q admin"
stop_daemon

finish
