#!/usr/bin/env bash
# Fuzzing of the parsers: every tests/fuzz/fuzz_NAME.c driver is built against
# all of src/util/*.c, with seeds in tests/fuzz/corpus/NAME/ (and a libFuzzer
# dictionary in tests/fuzz/NAME.dict when there is one).
#   scripts/fuzz.sh           libFuzzer (clang -fsanitize=fuzzer,address,undefined),
#                             FUZZ_SECONDS (default 60) per driver; prints executions
#                             and crashes per driver; new inputs go to build/fuzz/corpus/NAME,
#                             crashes to build/fuzz/artifacts/NAME/. Exit 1 on a crash.
#   scripts/fuzz.sh --replay  no libFuzzer: each corpus file is run once through the
#                             driver built with tests/fuzz/replay_main.c under ASan+UBSan
#                             (gcc, or REPLAY_CC); ends with "fuzz-replay: N passed, M failed",
#                             one count per corpus file. Exit 1 on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

out=build/fuzz
mkdir -p "$out"
pkgs=$(sed -n 's/^PKGS *:= *//p' Makefile)
# shellcheck disable=SC2086
pkg_cflags=$(pkg-config --cflags $pkgs 2>/dev/null || true)
# shellcheck disable=SC2086
pkg_libs="$(pkg-config --libs $pkgs 2>/dev/null || true) -lstemmer -lm -lpthread"
# pure parsers outside util/ that drivers exercise
srcs=(src/util/*.c src/channels/template.c)
srcs+=(src/analytics/segexpr.c) # the segment language
srcs+=(src/channels/imap.c)     # e-mail messages (MIME, RFC 2047)
srcs+=(src/app/collect.c)       # web tracking batches (/t/collect)
srcs+=(src/app/cti_event.c)     # telephony call events and their signature
srcs+=(src/analytics/textmine.c) # text mining: tokeniser, stop words, stems
flags="-std=c11 -D_GNU_SOURCE -Isrc -g -O1 -fno-omit-frame-pointer"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

drivers=(tests/fuzz/fuzz_*.c)
if [ ! -e "${drivers[0]}" ]; then
  echo "fuzz: no drivers in tests/fuzz" >&2
  exit 0
fi

if [ "${1:-}" = "--replay" ]; then
  cc=${REPLAY_CC:-$(command -v gcc || command -v clang)}
  passed=0 failed=0
  for drv in "${drivers[@]}"; do
    name=$(basename "$drv" .c)
    short=${name#fuzz_}
    bin=$out/replay_$short
    # shellcheck disable=SC2086
    "$cc" $flags $pkg_cflags -fsanitize=address,undefined -fno-sanitize-recover=undefined \
      -o "$bin" "$drv" tests/fuzz/replay_main.c "${srcs[@]}" $pkg_libs
    mapfile -t files < <(find "tests/fuzz/corpus/$short" -maxdepth 1 -type f | sort)
    # one process for many files: it prints "replay-ok FILE" after each, so a
    # crash points at the next file; the run goes on after it
    i=0
    while [ "$i" -lt "${#files[@]}" ]; do
      rc=0
      "$bin" "${files[@]:i}" > "$out/replay_$short.out" 2> "$out/replay_$short.log" || rc=$?
      ok=$(grep -c '^replay-ok ' "$out/replay_$short.out" || true)
      if [ "$rc" -ne 0 ] && [ $((i + ok)) -ge "${#files[@]}" ]; then
        # every input ran but the exit failed (a leak): one process per file
        for f in "${files[@]:i}"; do
          if "$bin" "$f" > /dev/null 2> "$out/replay_$short.log"; then
            passed=$((passed + 1))
          else
            failed=$((failed + 1))
            echo "fuzz-replay: FAIL $name $f" >&2
            tail -n 30 "$out/replay_$short.log" >&2
          fi
        done
        break
      fi
      passed=$((passed + ok))
      i=$((i + ok))
      if [ "$rc" -ne 0 ]; then
        failed=$((failed + 1))
        echo "fuzz-replay: FAIL $name ${files[i]}" >&2
        tail -n 30 "$out/replay_$short.log" >&2
        i=$((i + 1))
      fi
    done
  done
  echo "fuzz-replay: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
fi

seconds=${FUZZ_SECONDS:-60}
clang=${FUZZ_CC:-clang}
status=0
for drv in "${drivers[@]}"; do
  name=$(basename "$drv" .c)
  short=${name#fuzz_}
  bin=$out/$name
  work=$out/corpus/$short
  art=$out/artifacts/$short
  mkdir -p "$work" "$art" "tests/fuzz/corpus/$short"
  # shellcheck disable=SC2086
  "$clang" $flags $pkg_cflags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -o "$bin" "$drv" "${srcs[@]}" $pkg_libs
  before=$(find "$art" -type f | wc -l)
  log=$out/$name.log
  echo "fuzz: $name for ${seconds}s" >&2
  dict=()
  [ -f "tests/fuzz/$short.dict" ] && dict=(-dict="tests/fuzz/$short.dict")
  "$bin" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$art/" \
    -max_len="${FUZZ_MAX_LEN:-16384}" -timeout="${FUZZ_TIMEOUT:-10}" "${dict[@]}" \
    "$work" "tests/fuzz/corpus/$short" > "$log" 2>&1 || true
  after=$(find "$art" -type f | wc -l)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  crashes=$((after - before))
  echo "fuzz: $short: ${execs:-?} executions, $crashes crashes (log $log, artifacts $art/)"
  if [ "$crashes" -gt 0 ]; then
    status=1
    grep -E "^(==[0-9]+==ERROR|SUMMARY)|runtime error" "$log" | head -n 5 >&2 || true
  fi
done
exit $status
