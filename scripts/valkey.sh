#!/usr/bin/env bash
# Unpacks valkey-server 8.0.1 (Debian bookworm-backports; a Redis 7.2.4 fork
# with WAITAOF, which Debian 12's redis-server 7.0 lacks) into
# ~/.cache/budgetkernel/valkey-8.0.1, for the `{ aof: true }` tests
# (__test__/redis-waitaof.spec.ts), which start it on loopback. dpkg-deb -x,
# not an install: no service is registered or started. Its libraries
# (libjemalloc2, liblzf1, libssl3, libsystemd0) are redis-server's. Skips
# when it is already there. Used by .ci/run and the CI workflow (glibc Linux).
set -euo pipefail
dir="$HOME/.cache/budgetkernel/valkey-8.0.1"
if [ ! -x "$dir/usr/bin/valkey-server" ]; then
  arch="$(dpkg --print-architecture)"
  debs="$(mktemp -d)"
  mkdir -p "$dir"
  for pkg in valkey-tools valkey-server; do
    curl -fsSL -o "$debs/$pkg.deb" "http://deb.debian.org/debian/pool/main/v/valkey/${pkg}_8.0.1+dfsg1-1~bpo12+1_${arch}.deb"
    dpkg-deb -x "$debs/$pkg.deb" "$dir"
  done
  rm -rf "$debs"
fi
"$dir/usr/bin/valkey-server" --version
