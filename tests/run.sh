#!/usr/bin/env bash
# run.sh - every test: the cmocka unit tests (each common module and worker
# family), then the end-to-end tests (real fleet on loopback). Prints how
# long the whole run took, then one closing line "N passed, N failed"
# counting test cases (always the last line).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
export BUILD ONDC_BIN="$top/$BUILD/bin"
passed=0; failed=0; failed_names=()
started=$(date +%s)

count() { # $1 = output file, $2 = name, $3 = exit code
  local p f
  p=$(grep -Eo '^\[  PASSED  \] [0-9]+' "$1" | awk '{s+=$4} END {print s+0}')
  f=$(grep -Eo '^\[  FAILED  \] [0-9]+ test' "$1" | awk '{s+=$4} END {print s+0}')
  if grep -Eq '^[0-9]+ passed, [0-9]+ failed' "$1"; then
    p=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n1 | awk '{print $1}')
    f=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n1 | awk '{print $3}')
  fi
  if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
  [ "$f" -gt 0 ] && failed_names+=("$2")
  return 0
}

out=$(mktemp)
echo "== unit tests"
for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  if [ "${VALGRIND:-0}" = 1 ]; then
    valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=3 "$t" >"$out" 2>&1
  else
    "$t" >"$out" 2>&1
  fi
  rc=$?
  count "$out" "$name" $rc
  if [ $rc -ne 0 ]; then cat "$out"; fi
  printf '  %-28s %s\n' "$name" "$(grep -E '^\[  (PASSED|FAILED)  \]' "$out" | tr '\n' ' ')"
done

if [ "$BUILD" = build ] && command -v clang >/dev/null; then
  # the fuzz harnesses (ASan+UBSan builds of their own) replay their seed
  # corpora and every input a finding left in tests/fuzz/regress/
  echo "== fuzz regression"
  make --no-print-directory fuzz-regress >"$out" 2>&1
  rc=$?
  cat "$out" | grep -E '^  fuzz_' || cat "$out"
  if [ $rc -eq 0 ]; then passed=$((passed + $(grep -c ' inputs ok' "$out"))); else failed=$((failed + 1)); failed_names+=(fuzz-regress); fi
fi

if [ "$BUILD" = build ] && command -v cppcheck >/dev/null && command -v clang-tidy >/dev/null; then
  echo "== static analysis (cppcheck, clang-tidy: .cppcheck-suppressions, .clang-tidy)"
  if make --no-print-directory lint >"$out" 2>&1; then
    echo "  lint clean"; passed=$((passed + 1))
  else
    grep -E "error|warning:" "$out" | head -40; failed=$((failed + 1)); failed_names+=(lint)
  fi
fi

echo "== end-to-end tests"
for t in tests/e2e/test_*.py; do
  name=$(basename "$t")
  echo "-- $name"
  timeout 600 python3 "$t" >"$out" 2>&1
  rc=$?
  cat "$out" | grep -E '^  (ok|FAIL)' || true
  [ $rc -ne 0 ] && cat "$out"
  count "$out" "$name" $rc
done
rm -f "$out"
echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
took=$(( $(date +%s) - started ))
printf 'took %dm %02ds\n' $((took / 60)) $((took % 60))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
