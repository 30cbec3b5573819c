#!/usr/bin/env bash
# Installs the Debian packages forewarn builds and tests with, when missing.
# Safe to run again: it does nothing when everything is there.
set -euo pipefail
pkgs=(build-essential cmake pkg-config clang
      libmicrohttpd-dev libjansson-dev libsodium-dev libsqlite3-dev libpq-dev libcurl4-openssl-dev
      libcmocka-dev age minisign openssl curl jq postgresql
      # Tests only: the sqlite3 shell edits a database in the log's tamper tests;
      sqlite3
      # Go's sumdb/note and sumdb/tlog are the independent reference
      # verifier of the transparency log's checkpoints, proofs and tiles
      # (tests/interop, built by tests/api/test_log.sh; nothing shipped uses Go).
      golang-go golang-golang-x-mod-dev)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "forewarn: installing Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
