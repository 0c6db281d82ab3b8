#!/usr/bin/env bash
# make check: the unit tests and the API tests under valgrind (memcheck,
# definite leaks are errors). Slower than make test; not part of CI.
set -u
cd "$(dirname "$0")/.."
scripts/deps.sh test >/dev/null
export RELATIO_PWHASH=fast
VG="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite"
fail=0
for t in build/rel/tests/test_*; do
  [ -x "$t" ] || continue
  if $VG "$t" >/dev/null 2>build/check-$(basename "$t").log; then echo "valgrind ok   $t"
  else echo "valgrind FAIL $t (build/check-$(basename "$t").log)"; fail=1; fi
done
wrapper=$(mktemp /tmp/relatio-vg.XXXXXX)
printf '#!/bin/sh\nexec %s %s "$@"\n' "$VG" "$PWD/build/rel/relatio" > "$wrapper"
chmod +x "$wrapper"
if RELATIO_BIN="$wrapper" node --test --test-concurrency=1 --test-timeout=600000 tests/api/ >build/check-api.log 2>&1; then
  echo "valgrind ok   API tests ($(grep -E '^# pass' build/check-api.log))"
else
  echo "valgrind FAIL API tests (build/check-api.log)"; fail=1
fi
rm -f "$wrapper"
exit $fail
