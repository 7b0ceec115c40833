#!/usr/bin/env bash
# Runs the Qdrant tier's tests (test/qdrant.test.mjs, against the stand-in) with vgent loading older
# @qdrant/js-client-rest releases: the oldest of the supported range (>= 1.10) and one in between.
# 1.19 needs Node 22, so on Node 20 the project's own dev copy (1.18) is the newest that installs;
# `npx ava test/qdrant.test.mjs` covers it.
#   QDRANT_JS_CLIENT_VERSIONS  versions to run (default "1.10.0 1.14.1")
# Each version is installed once into ~/.cache/vgent/qdrant-js-clients/<version> (npm, not node_modules).
# Needs the built dist/ (npm run build:ts) and the stand-in (scripts/qdrant-standin-setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSIONS="${QDRANT_JS_CLIENT_VERSIONS:-1.10.0 1.14.1}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/vgent/qdrant-js-clients"
HOOK="$PWD/test/qdrant-standin/client-version.cjs"

for v in $VERSIONS; do
  dir="$CACHE/$v"
  if [ ! -f "$dir/node_modules/@qdrant/js-client-rest/package.json" ]; then
    mkdir -p "$dir"
    [ -f "$dir/package.json" ] || echo '{ "private": true }' >"$dir/package.json"
    (cd "$dir" && npm install --no-audit --no-fund --silent "@qdrant/js-client-rest@$v")
  fi
  loaded="$(VGENT_QDRANT_CLIENT_DIR="$dir" node -r "$HOOK" -p "require(require.resolve('@qdrant/js-client-rest').replace(/dist[\\\\/].*$/, 'package.json')).version")"
  [ "$loaded" = "$v" ] || { echo "qdrant-client-compat: expected @qdrant/js-client-rest $v, loaded $loaded" >&2; exit 1; }
  echo "== test/qdrant.test.mjs with @qdrant/js-client-rest $loaded"
  VGENT_QDRANT_CLIENT_DIR="$dir" VGENT_NO_SKIP=1 npx ava test/qdrant.test.mjs --node-arguments="--require $HOOK"
done
