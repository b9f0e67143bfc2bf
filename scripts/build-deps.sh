#!/usr/bin/env bash
# Debian packages that `pip install` needs to build unmask's dependencies from source:
# PyICU (needed by followthemoney's name normalisation) ships only as source and builds against the system ICU.
set -euo pipefail
PY="${PY:-python3}"
missing=()
command -v g++ >/dev/null || missing+=(g++)
command -v pkg-config >/dev/null || missing+=(pkg-config)
pkg-config --exists icu-uc 2>/dev/null || missing+=(libicu-dev)
inc="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
[ -f "$inc/Python.h" ] || missing+=(python3-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-deps: installing ${missing[*]} from Debian packages" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
    echo "build-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
