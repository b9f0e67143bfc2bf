#!/usr/bin/env bash
# Install (from Debian packages) and start the real servers the tests talk to, on loopback only.
#   scripts/test-services.sh start|stop
# PostgreSQL: a throw-away cluster on 127.0.0.1:$PG_PORT (trust auth, no fsync), data in $PG_DIR.
# Chromium: Debian's headless browser for the report's browser tests (tests/report/test_report_browser.py)
# and the evidence replay test (tests/evidence/test_serve.py).
# OpenSSL: `openssl ts` is the evidence tests' local timestamp authority and independent token checker.
# apksigner and dexdump: independent checks of the APK analysis (tests/apps/test_apk.py).
# pango and DejaVu fonts: what WeasyPrint needs to write the report as PDF; poppler-utils: pdftotext and
# pdfinfo, with which the report's PDF tests read the PDF back.
# Knot DNS (knotd) and nginx: installed only; the infra tests start their own throw-away servers on
# loopback ports (tests/helpers/dns_server.py, tests/helpers/nginx_server.py) and rewrite their zones.
# redis-server: installed only; the distributed census tests start a throw-away one per test on a loopback
# port, nothing kept on disk (tests/helpers/redis_server.py).
set -euo pipefail

PG_PORT="${PG_PORT:-54329}"
PG_DIR="${PG_DIR:-/tmp/unmask-test-pg-$PG_PORT}"
APT_PACKAGES=(postgresql chromium knot nginx openssl apksigner dexdump libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
  poppler-utils redis-server)

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "test-services: need root (or sudo) to install: ${APT_PACKAGES[*]}" >&2; exit 1; fi
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

install_packages() {
  local missing=()
  [ -n "$(pg_bin)" ] || missing+=(postgresql)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v knotd >/dev/null || [ -x /usr/sbin/knotd ] || missing+=(knot)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  command -v openssl >/dev/null || missing+=(openssl)  # the tests' local TSA and token checks (tests/helpers/tsa.py)
  command -v apksigner >/dev/null || missing+=(apksigner)
  command -v dexdump >/dev/null || missing+=(dexdump)
  command -v pdftotext >/dev/null || missing+=(poppler-utils)
  command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
  ldconfig -p 2>/dev/null | grep libpangoft2-1.0 >/dev/null || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "test-services: installing ${missing[*]} from Debian packages" >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Run a PostgreSQL tool as an unprivileged user (initdb refuses root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_pg() {
  local bin; bin="$(pg_bin)"
  if [ ! -f "$PG_DIR/PG_VERSION" ]; then
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR"
    as_pg "$bin/initdb" -D "$PG_DIR" -A trust -U postgres -E UTF8 >/dev/null
  fi
  if ! as_pg "$bin/pg_ctl" -D "$PG_DIR" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/server.log" -w -t 60 start \
      -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
  fi
  echo "test-services: PostgreSQL on 127.0.0.1:$PG_PORT" >&2
}

stop_pg() {
  local bin; bin="$(pg_bin)"
  [ -n "$bin" ] && [ -f "$PG_DIR/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$PG_DIR" -m fast stop >/dev/null 2>&1 || true
}

# pywb (a real web-archive server for the history tests) lives in its own venv: it pins brotlipy and an
# old cryptography, which must not leak into unmask's environment.
PYWB_VENV="${PYWB_VENV:-$(cd "$(dirname "$0")/.." && pwd)/.venv-pywb}"
install_pywb() {
  if [ ! -x "$PYWB_VENV/bin/wayback" ]; then
    echo "test-services: installing pywb into $PYWB_VENV" >&2
    "${PY:-python3}" -m venv "$PYWB_VENV"
    "$PYWB_VENV/bin/python" -m pip install -q --upgrade pip
    "$PYWB_VENV/bin/python" -m pip install -q "pywb>=2.8"
  fi
}

case "${1:-start}" in
  start) install_packages; install_pywb; start_pg ;;
  stop) stop_pg ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
