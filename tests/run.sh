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

# End-to-end files run E2E_JOBS at a time (default 3: most of a file's time
# is waiting on its fleet), each with its own E2E_SLOT of ports; the files in
# E2E_SERIAL load the machine on purpose or time what they see, and run
# alone afterwards. Each file's output is printed when it ends. E2E_FILES
# (names, space-separated) runs only those files.
echo "== end-to-end tests"
E2E_JOBS=${E2E_JOBS:-3}
E2E_SERIAL=${E2E_SERIAL:-test_slowloris.py test_chaos.py test_buyer_chaos.py test_scaling.py}
e2e_dir=$(mktemp -d)
e2e_report() { # $1 = file name: its results, then counted
  local name=$1 rc
  rc=$(cat "$e2e_dir/$name.rc" 2>/dev/null || echo 1)
  echo "-- $name ($(cat "$e2e_dir/$name.time" 2>/dev/null || echo ?)s)"
  grep -E '^  (ok|FAIL)' "$e2e_dir/$name.out" || true
  [ "$rc" -ne 0 ] && cat "$e2e_dir/$name.out"
  count "$e2e_dir/$name.out" "$name" "$rc"
}
e2e_one() { # $1 = test file, $2 = slot
  local name t0
  name=$(basename "$1"); t0=$(date +%s)
  E2E_SLOT=$2 timeout 600 python3 "$1" >"$e2e_dir/$name.out" 2>&1
  echo $? >"$e2e_dir/$name.rc"
  echo $(( $(date +%s) - t0 )) >"$e2e_dir/$name.time"
}
parallel=(); serial=(); slot=0
for t in tests/e2e/test_*.py; do
  if [ -n "${E2E_FILES:-}" ]; then case " $E2E_FILES " in *" $(basename "$t") "*) ;; *) continue ;; esac; fi
  case " $E2E_SERIAL " in *" $(basename "$t") "*) serial+=("$t") ;; *) parallel+=("$t") ;; esac
done
declare -A running=()
for t in "${parallel[@]}"; do
  while [ ${#running[@]} -ge "$E2E_JOBS" ]; do
    sleep 0.5
    for pid in "${!running[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then e2e_report "${running[$pid]}"; unset "running[$pid]"; fi
    done
  done
  e2e_one "$t" $slot & running[$!]=$(basename "$t")
  slot=$((slot + 1))
done
wait
for pid in "${!running[@]}"; do e2e_report "${running[$pid]}"; done
for t in "${serial[@]}"; do
  e2e_one "$t" $slot; e2e_report "$(basename "$t")"
  slot=$((slot + 1))
done
rm -rf "$e2e_dir"
rm -f "$out"
echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
took=$(( $(date +%s) - started ))
printf 'took %dm %02ds\n' $((took / 60)) $((took % 60))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
