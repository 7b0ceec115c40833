#!/usr/bin/env bash
# The packed package is what users get: pack the main package and this host's platform package the
# way the release workflow publishes them, install the two tarballs into a fresh project outside the
# repository (no dev dependencies, no cargo or rustc on the PATH) and use them as a user would:
# the README's example, the `vgent` command's main job, ESM import, CommonJS require and a strict
# TypeScript check. A second project installs the main tarball alone (the optional platform package
# missing, as when a lockfile drops it) and must still work, on the TypeScript core.
#
# Needs a built tree (`npm run build`). Leaves the work tree untouched: everything happens in a temp dir.
#   VGENT_SMOKE_FALLBACK=require (default) the main-only project must work with nativeInfo().native false
#   VGENT_SMOKE_FALLBACK=report            run that check and print its outcome, but do not fail on it
#   VGENT_SMOKE_LIBCHECK=require (default) tsc without skipLibCheck, the optional peers absent, must pass
#   VGENT_SMOKE_LIBCHECK=report            run that check and print its outcome, but do not fail on it
#   VGENT_SMOKE_KEEP=1                     keep the temp dir for inspection
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
smoke="$repo/scripts/pack-smoke"
fallback_mode="${VGENT_SMOKE_FALLBACK:-require}"
libcheck_mode="${VGENT_SMOKE_LIBCHECK:-require}"
max_platform_bytes=$((3 * 1024 * 1024))

# This host's napi platform (the name napi gives the binary and the npm/<platform> package).
host="$(node -p "
  const { platform: p, arch: a } = process
  p === 'linux' ? 'linux-' + a + (process.report.getReport().header.glibcVersionRuntime ? '-gnu' : '-musl')
    : p === 'win32' ? 'win32-' + a + '-msvc' : p + '-' + a")"
binary="$repo/vgent.$host.node"
[ -f "$binary" ] || { echo "pack-smoke: $binary is missing; run npm run build first" >&2; exit 1; }
[ -d "$repo/npm/$host" ] || { echo "pack-smoke: no npm/$host package for this host" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/vgent-pack-smoke.XXXXXX")"
case "$work" in "$repo"/*) echo "pack-smoke: the temp dir must be outside the repository" >&2; exit 1 ;; esac
if [ "${VGENT_SMOKE_KEEP:-}" = 1 ]; then echo "pack-smoke: keeping $work"; else trap 'rm -rf "$work"' EXIT; fi
quiet() { "$@" 2> >(grep -v 'Unknown user config' >&2); }

echo "== pack-smoke: the published files ($host)"
# The main package exactly as `npm publish` packs it (its `files`), plus the optionalDependencies that
# `napi prepublish` writes at release time (here only this host's platform package: the others are not
# built here and must not be looked up in the registry).
version="$(node -p "require('$repo/package.json').version")"
mkdir -p "$work/raw" "$work/tarballs"
(cd "$repo" && quiet npm pack --silent --pack-destination "$work/raw" >/dev/null)
tar -xzf "$work/raw/vgent-$version.tgz" -C "$work/raw"
(cd "$work/raw/package" && quiet npm pkg set "optionalDependencies.vgent-$host=$version" &&
  quiet npm pack --silent --pack-destination "$work/tarballs" >/dev/null)
# The platform package: npm/<platform> from git plus the built binary (what `napi artifacts` does).
cp -R "$repo/npm/$host" "$work/platform"
cp "$binary" "$work/platform/"
(cd "$work/platform" && quiet npm pack --silent --pack-destination "$work/tarballs" >/dev/null)
main_tgz="$work/tarballs/vgent-$version.tgz"
platform_tgz="$work/tarballs/vgent-$host-$version.tgz"

# What the tarballs hold: runtime files only.
main_list="$(tar -tzf "$main_tgz")"
if grep -Eq '\.node$|\.map$|^package/(test|benchmark|src|crates|scripts|examples|npm)/|\.tgz$' <<<"$main_list"; then
  echo "pack-smoke: the main tarball holds files users do not run:" >&2
  grep -E '\.node$|\.map$|^package/(test|benchmark|src|crates|scripts|examples|npm)/|\.tgz$' <<<"$main_list" >&2
  exit 1
fi
for f in package/dist/index.js package/dist/index.mjs package/dist/index.d.ts package/index.js package/bin/vgent.js package/corpus/durability.md; do
  grep -qx "$f" <<<"$main_list" || { echo "pack-smoke: the main tarball lacks $f" >&2; exit 1; }
done
platform_list="$(tar -tzf "$platform_tgz" | sort | tr '\n' ' ')"
[ "$platform_list" = "package/README.md package/package.json package/vgent.$host.node " ] ||
  { echo "pack-smoke: unexpected platform tarball contents: $platform_list" >&2; exit 1; }

# A consumer's PATH: node and npm, no Rust toolchain.
consumer_path="$(tr ':' '\n' <<<"$PATH" | while read -r d; do
  [ -n "$d" ] && [ ! -x "$d/cargo" ] && [ ! -x "$d/rustc" ] && printf '%s:' "$d"; done)"
consumer_path="${consumer_path%:}"
consumer() { env PATH="$consumer_path" CARGO=/nonexistent RUSTC=/nonexistent HOME="$work/home" \
  KGENTS_DATA_ROOT="$work/data" KGENTS_VGENT_BACKEND='' KGENTS_POSTGRES_URL='' KGENTS_QDRANT_URL='' \
  npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false "$@"; }
mkdir -p "$work/home"
cp "$HOME/.npmrc" "$work/home/.npmrc" 2>/dev/null || true # registry and CA settings, if any
consumer bash -c '! command -v cargo && ! command -v rustc' >/dev/null ||
  { echo "pack-smoke: could not hide cargo/rustc from the consumer PATH" >&2; exit 1; }

new_project() { mkdir -p "$1" && (cd "$1" && printf '{ "name": "%s", "version": "1.0.0", "private": true }\n' "$(basename "$1")" >package.json); }

echo "== pack-smoke: install both tarballs into a fresh project (offline: nothing comes from a registry)"
app="$work/app"
new_project "$app"
cd "$app"
quiet consumer npm install --offline --no-package-lock "$main_tgz" "$platform_tgz" >/dev/null
[ -f "node_modules/vgent-$host/vgent.$host.node" ] || { echo "pack-smoke: the platform package was not installed" >&2; exit 1; }
cp "$smoke"/* .
# The same consumer once more as an ES module (.mts), for node16/nodenext resolution.
cp types.ts types.mts

echo "== pack-smoke: the README example, require, import"
consumer node readme-example.cjs native
consumer node consumer.cjs
consumer node consumer.mjs

echo "== pack-smoke: the vgent command's main job (index the shipped corpus, search it)"
quiet consumer npx --no-install vgent index node_modules/vgent/corpus --namespace demo
out="$(quiet consumer npx --no-install vgent search "how does a crash lose nothing" --namespace demo -k 3)"
echo "$out"
grep -q 'durability.md' <<<"$out" || { echo "pack-smoke: vgent search did not find the durability paragraph" >&2; exit 1; }

echo "== pack-smoke: TypeScript (strict) against the installed types"
quiet consumer npm install --prefer-offline --no-package-lock --no-save typescript @types/node@20 >/dev/null
# skipLibCheck on, as `tsc --init` writes it; then off, which also checks vgent's own .d.ts files
# with the optional peers (pg, @qdrant/js-client-rest, openai) not installed, as many users have it:
# no public declaration file may import them (scripts/check-dts-peers.js is the quick check).
tsc=(consumer node node_modules/typescript/bin/tsc --noEmit --strict --types node --target es2022)
"${tsc[@]}" --skipLibCheck --module nodenext --moduleResolution nodenext types.ts types.mts
"${tsc[@]}" --skipLibCheck --module node16 --moduleResolution node16 types.ts types.mts
"${tsc[@]}" --skipLibCheck --module esnext --moduleResolution bundler types.ts
echo "tsc --strict --skipLibCheck: ok (nodenext, node16, bundler)"
for peer in pg @types/pg pgvector @qdrant/js-client-rest openai; do
  [ ! -e "node_modules/$peer" ] || { echo "pack-smoke: $peer is installed in the consumer project; the libcheck needs it absent" >&2; exit 1; }
done
if "${tsc[@]}" --module nodenext --moduleResolution nodenext types.ts types.mts >"$work/libcheck.log" 2>&1; then
  echo "tsc --strict without skipLibCheck, no optional peers installed: ok"
elif [ "$libcheck_mode" = report ]; then
  echo "pack-smoke: WARNING: vgent's .d.ts files do not type-check without the optional peers (VGENT_SMOKE_LIBCHECK=report: not failing the run):" >&2
  grep -o 'dist/[^(]*([0-9,]*): error TS[0-9]*: .*' "$work/libcheck.log" | sed 's/^/  /' >&2
else
  echo "pack-smoke: vgent's .d.ts files do not type-check without the optional peers (tsc --strict, no skipLibCheck):" >&2
  cat "$work/libcheck.log" >&2
  exit 1
fi

echo "== pack-smoke: sizes"
size() { du -sb "$1" | cut -f1; }
main_installed="$(size node_modules/vgent)"
platform_installed="$(size "node_modules/vgent-$host")"
printf '%-34s %10s bytes packed, %10s bytes installed\n' \
  "vgent" "$(size "$main_tgz")" "$main_installed" \
  "vgent-$host" "$(size "$platform_tgz")" "$platform_installed"
if [ "$platform_installed" -gt "$max_platform_bytes" ]; then
  echo "pack-smoke: vgent-$host is $platform_installed bytes installed, over the 3 MiB budget" >&2
  exit 1
fi

echo "== pack-smoke: the main tarball alone (no platform package: the TypeScript fallback)"
solo="$work/solo"
new_project "$solo"
cd "$solo"
quiet consumer npm install --offline --no-package-lock --omit=optional "$main_tgz" >/dev/null
[ ! -e "node_modules/vgent-$host" ] || { echo "pack-smoke: the platform package came in anyway" >&2; exit 1; }
cp "$smoke/readme-example.cjs" .
if consumer node readme-example.cjs fallback >"$work/solo.log" 2>&1; then
  cat "$work/solo.log"
  # The fallback says so once, as a process warning with its own code.
  warned=$(grep -c 'VGENT_FALLBACK' "$work/solo.log" || true)
  [ "$warned" = 1 ] || { echo "pack-smoke: expected one VGENT_FALLBACK warning, saw $warned" >&2; exit 1; }
  echo "main tarball alone: ok (one VGENT_FALLBACK warning)"
  # The CLI's main job on the TypeScript core too (a persisted D-gent store, written in TypeScript).
  out="$(VGENT_NATIVE=0 quiet consumer npx --no-install vgent index node_modules/vgent/corpus --namespace demo-ts && VGENT_NATIVE=0 quiet consumer npx --no-install vgent search "how does a crash lose nothing" --namespace demo-ts -k 3)"
  grep -q 'durability.md' <<<"$out" || { echo "pack-smoke: on the fallback, vgent search did not find the durability paragraph" >&2; exit 1; }
  echo "the vgent command on the TypeScript core: ok"
else
  head -n 3 "$work/solo.log" >&2
  if [ "$fallback_mode" = report ]; then
    echo "pack-smoke: main tarball alone FAILED (VGENT_SMOKE_FALLBACK=report: not failing the run)" >&2
    fallback_note=" (but the main tarball alone failed)"
  else
    echo "pack-smoke: main tarball alone FAILED: without its platform package vgent must run on the TypeScript core" >&2
    exit 1
  fi
fi
echo "pack-smoke: ok${fallback_note:-}"
