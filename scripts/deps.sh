#!/usr/bin/env bash
# Installs what relatio needs when it is missing: Debian packages (apt-get)
# and the web app's npm packages. Idempotent: does nothing when all is there.
#   scripts/deps.sh          build and run
#   scripts/deps.sh test     also what the tests need (Chromium, SMTP server…)
#   scripts/deps.sh bench    also what the benchmarks need (wrk, hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."

build_pkgs="build-essential pkg-config libsqlite3-dev libmicrohttpd-dev libjansson-dev
  libsodium-dev libutf8proc-dev libstemmer-dev libcurl4-openssl-dev libgsl-dev libcmocka-dev zlib1g-dev libpq-dev nodejs npm"
test_pkgs="chromium python3 python3-aiosmtpd dovecot-imapd sqlite3 clang libclang-rt-14-dev valgrind curl postgresql postgresql-contrib"
bench_pkgs="wrk hyperfine sqlite3 time bc"

want="$build_pkgs"
case "${1:-}" in
  test) want="$want $test_pkgs" ;;
  bench) want="$want $test_pkgs $bench_pkgs" ;;
esac

missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# node and npm may come from outside Debian (already on PATH): then skip them
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=$(echo "$missing" | tr ' ' '\n' | grep -vxE 'nodejs|npm' | tr '\n' ' ')
fi
if [ -n "${missing// /}" ]; then
  echo "deps: installing$missing" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >&2
  # shellcheck disable=SC2086
  $sudo apt-get install -y -qq --no-install-recommends $missing >&2
fi

# npm packages of the web app and the browser tests, from the lock file
if [ -f web/package-lock.json ]; then
  stamp=web/node_modules/.relatio-stamp
  if [ ! -f "$stamp" ] || [ web/package-lock.json -nt "$stamp" ]; then
    echo "deps: npm ci (web)" >&2
    (cd web && npm ci --no-audit --no-fund --loglevel=error >&2)
    touch "$stamp"
  fi
fi
