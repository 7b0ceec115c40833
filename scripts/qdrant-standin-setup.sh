#!/usr/bin/env bash
# Installs what the Qdrant tier's tests need when no Qdrant server is at hand: the official Python
# qdrant-client (its local mode is the stand-in's engine, see test/qdrant-standin/server.py) in a
# virtualenv. Idempotent: a no-op when the pinned version is already there.
#   VGENT_QDRANT_STANDIN_VENV  where the venv lives (default ~/.cache/vgent/qdrant-standin-venv)
#   QDRANT_CLIENT_VERSION      the qdrant-client version to install (default: the one tested)
set -euo pipefail
VENV="${VGENT_QDRANT_STANDIN_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/vgent/qdrant-standin-venv}"
VERSION="${QDRANT_CLIENT_VERSION:-1.20.0}"

if "$VENV/bin/python" -c "import sys, qdrant_client, importlib.metadata as m; sys.exit(m.version('qdrant-client') != '$VERSION')" 2>/dev/null; then
  echo "qdrant stand-in: qdrant-client $VERSION already in $VENV"
  exit 0
fi

if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  # Debian ships venv/ensurepip separately.
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
  else
    echo "qdrant stand-in: needs python3 (>= 3.10) with the venv module" >&2
    exit 1
  fi
fi

python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "qdrant-client==$VERSION"
"$VENV/bin/python" -c "import qdrant_client, importlib.metadata as m; print('qdrant stand-in: qdrant-client', m.version('qdrant-client'), 'installed in $VENV')"
