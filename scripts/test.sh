#!/usr/bin/env bash
# Runs every test tier and ends with one line "N passed, N failed":
# unit tests (optimised and ASan+UBSan builds), API tests against a real
# server (both builds), fuzz corpus replay, browser tests in Chromium.
set -u
cd "$(dirname "$0")/.."
scripts/deps.sh test >/dev/null
export RELATIO_PWHASH=fast
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=23}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
passed=0; failed=0
log=build/test-logs; mkdir -p "$log"

count() { # tier name, passed, failed, seconds
  printf '%-22s %5d passed %5d failed  %4ds\n' "$1" "$2" "$3" "$4"
  passed=$((passed + $2)); failed=$((failed + $3))
}

unit_tier() { # name, dir [, file pattern]
  local p=0 f=0 t0=$SECONDS
  for t in "$2"/${3:-test_*}; do
    [ -x "$t" ] || continue
    local out="$log/$1-$(basename "$t").log"
    if "$t" >"$out" 2>&1; then :; else
      echo "FAILED: $t (see $out)"; tail -20 "$out"
    fi
    local pp ff
    pp=$(grep -oE '\[  PASSED  \] [0-9]+' "$out" | grep -oE '[0-9]+$' | tail -1)
    ff=$(grep -oE '\[  FAILED  \] [0-9]+' "$out" | grep -oE '[0-9]+$' | tail -1)
    # a crash before the summary counts as one failure
    if [ -z "$pp$ff" ]; then ff=1; fi
    p=$((p + ${pp:-0})); f=$((f + ${ff:-0}))
  done
  count "$1" "$p" "$f" $((SECONDS - t0))
}

node_tier() { # name, log file, command...
  local name=$1 out="$log/$2.log" t0=$SECONDS; shift 2
  "$@" >"$out" 2>&1; local rc=$?
  local p f
  p=$(grep -E '^# pass [0-9]+' "$out" | grep -oE '[0-9]+' | tail -1)
  f=$(grep -E '^# fail [0-9]+' "$out" | grep -oE '[0-9]+' | tail -1)
  p=${p:-0}; f=${f:-0}
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  if [ "$f" != 0 ]; then echo "FAILED: $name (see $out)"; grep -E '^not ok|^# Subtest|error|Error' "$out" | head -40; fi
  count "$name" "$p" "$f" $((SECONDS - t0))
}

unit_tier "unit" build/rel/tests
unit_tier "unit (asan+ubsan)" build/asan/tests
node_tier "api" api env RELATIO_BIN=build/rel/relatio node --test --test-concurrency=2 tests/api/
node_tier "api (asan+ubsan)" api-asan env RELATIO_BIN=build/asan/relatio node --test --test-concurrency=2 tests/api/
# The PostgreSQL pass: a private cluster (scripts/pg.sh), the store's unit
# tests and the API tests against it (each test server gets a database of its
# own, tests/api/harness.mjs), then the cluster stops.
pg_pass() {
  local env rc=0
  env=$(scripts/pg.sh start 2>"$log/pg-start.log") || rc=$?
  if [ "$rc" = 3 ]; then echo "skipped: no postgresql (scripts/deps.sh test installs it)"; return; fi
  if [ "$rc" != 0 ]; then echo "FAILED: PostgreSQL cluster did not start (see $log/pg-start.log)"
    count "postgres" 0 1 0; return; fi
  eval "$env"
  trap 'scripts/pg.sh stop "$PG_DIR" 2>/dev/null' EXIT
  RELATIO_TEST_PG=$RELATIO_TEST_PG unit_tier "unit (postgres)" build/rel/tests test_store
  # The API test files that pass on PostgreSQL. Left out for now, because
  # their services still hold SQLite-only SQL (json_extract, SUM of a
  # comparison, booleans added, text bound to integer columns...; see
  # docs/postgres.md, "What is left"): activity, analytics, badbodies,
  # badinput, campaign_crash, campaigns, crash, cti, customers (the timeline's
  # json_extract), forms, journeys, kb, kpis, loyalty, mail, mining, portal,
  # privacy, quality, queries, rules, sales, tickets; and any file added after
  # this list (a new file joins it once it passes on PostgreSQL).
  local pg_files="access auth cli geo postgres rules_messages"
  local files=() f
  for f in $pg_files; do [ -f "tests/api/$f.test.mjs" ] && files+=("tests/api/$f.test.mjs"); done
  node_tier "api (postgres)" api-pg env RELATIO_TEST_PG="$RELATIO_TEST_PG" RELATIO_BIN=build/rel/relatio \
    node --test --test-concurrency=2 "${files[@]}"
  scripts/pg.sh stop "$PG_DIR"
  trap - EXIT
  unset RELATIO_TEST_PG PG_DIR
}
pg_pass
if [ -x scripts/fuzz.sh ]; then
  t0=$SECONDS
  out="$log/fuzz-replay.log"
  scripts/fuzz.sh --replay >"$out" 2>&1
  line=$(grep -E '^fuzz-replay: [0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
  if [ -n "$line" ]; then
    fp=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
    ff=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
  else fp=0; ff=1; echo "FAILED: fuzz replay (see $out)"; tail -20 "$out"; fi
  count "fuzz replay" "$fp" "$ff" $((SECONDS - t0))
fi
if [ -d tests/browser ] && ls tests/browser/*.test.mjs >/dev/null 2>&1; then
  node_tier "browser" browser node --test --test-concurrency=1 tests/browser/
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
