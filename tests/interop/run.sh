#!/usr/bin/env bash
# Builds tests/interop/verify.go against Debian's golang-golang-x-mod-dev
# (GOPATH mode, offline) and runs it: run.sh URL TOKEN VKEY WORKDIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$4
mkdir -p "$work"
GO111MODULE=off GOPATH="$work/gopath:/usr/share/gocode" GOCACHE="$work/cache" GOFLAGS= \
	go build -o "$work/verify" "$here/verify.go"
"$work/verify" "$1" "$2" "$3"
