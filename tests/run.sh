#!/bin/bash
# run.sh - run the test suite and end with one summary line:
#   N passed, N failed, N skipped
#
#   tests/run.sh                        unit tests on build/ and build/asan/,
#                                       then integration tests on build/asan/tcpipd
#   tests/run.sh --unit-only DIR        unit tests of one build
#   tests/run.sh --integration-only DIR integration tests with DIR/tcpipd
#   tests/run.sh --long-only DIR        the long tests (tests/long/: soaks of
#                                       an hour) with DIR/tcpipd; make test-long
#   tests/run.sh --fuzz-only DIR        short libFuzzer runs of DIR/fuzz_* on
#                                       their seeds (all mode: build/fuzz, after
#                                       the unit tests); FUZZ_RUNS, default 20000
#   tests/run.sh ... -k PATTERN         only tests whose file name matches
#
# Unit tests are cmocka binaries; their "[  PASSED  ]"/"[  FAILED  ]" lines
# are counted per test case. Integration tests are bash scripts printing
# "ok - what", "not ok - what" or "skip - what" per check.
set -u
cd "$(dirname "$0")/.." || exit 2

mode=all
builds=()
pattern=""
while [ $# -gt 0 ]; do
    case "$1" in
    --unit-only) mode=unit; builds+=("$2"); shift 2 ;;
    --integration-only) mode=integration; builds+=("$2"); shift 2 ;;
    --long-only) mode=long; builds+=("$2"); shift 2 ;;
    --fuzz-only) mode=fuzz; builds+=("$2"); shift 2 ;;
    -k) pattern=$2; shift 2 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

passed=0 failed=0 skipped=0
failures=()
log_dir=$(mktemp -d /tmp/tcpip-tests.XXXXXX)

run_unit() { # build_dir
    local b=$1 t out rc p f
    # tests/sim: the simulated-link tests are cmocka programs too, and so is
    # the packet-script runner (one test per tests/scripts/*.pkt).
    for t in "$b"/tests/unit/test_* "$b"/tests/sim/test_sim_* "$b"/tests/scripts/test_scripts; do
        [ -x "$t" ] || continue
        case "$t" in *.o|*.d) continue ;; esac
        [ -n "$pattern" ] && [[ "$t" != *$pattern* ]] && continue
        out="$log_dir/$(echo "$t" | tr / _).log"
        echo "== unit: $t"
        CMOCKA_MESSAGE_OUTPUT=stdout timeout 300 "$t" >"$out" 2>&1
        rc=$?
        p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
        f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
        p=${p:-0} f=${f:-0}
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            f=1 # crashed, sanitizer report, or timeout
        fi
        passed=$((passed + p)) failed=$((failed + f))
        if [ "$f" -ne 0 ]; then
            failures+=("$t")
            cat "$out"
        else
            echo "   $p passed"
        fi
    done
}

run_integration() { # build_dir [scripts_dir [timeout_s]]
    local b=$1 dir=${2:-tests/integration} limit=${3:-900} s out rc p f k
    for s in "$dir"/test_*.sh; do
        [ -f "$s" ] || continue
        [ -n "$pattern" ] && [[ "$s" != *$pattern* ]] && continue
        out="$log_dir/$(basename "$s").log"
        echo "== integration: $s (tcpipd: $b/tcpipd)"
        TCPIPD="$PWD/$b/tcpipd" timeout "$limit" bash "$s" 2>&1 | tee "$out"
        rc=${PIPESTATUS[0]}
        p=$(grep -c '^ok - ' "$out")
        f=$(grep -c '^not ok - ' "$out")
        k=$(grep -c '^skip - ' "$out")
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            f=1
            echo "not ok - $s exited with status $rc"
        fi
        passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + k))
        [ "$f" -ne 0 ] && failures+=("$s")
    done
}

# Each libFuzzer target counts as one test: FUZZ_RUNS inputs (bounded by
# -max_total_time too) starting from tests/fuzz/corpus/<target>/. New inputs
# go to a scratch dir listed first, so the seed dir is never written.
run_fuzz() { # dir with the fuzz binaries
    local d=$1 runs=${FUZZ_RUNS:-20000} t name out rc scratch len
    for name in fuzz_stack_input fuzz_wire fuzz_config fuzz_ipc fuzz_dhcp4; do
        t=$d/$name
        [ -n "$pattern" ] && [[ "$t" != *$pattern* ]] && continue
        if [ ! -x "$t" ]; then
            echo "skip - fuzz: $name not built (make fuzz-build; needs clang)"
            skipped=$((skipped + 1))
            continue
        fi
        out="$log_dir/$name.log"
        scratch="$log_dir/corpus-$name"
        mkdir -p "$scratch"
        echo "== fuzz: $t"
        case $name in fuzz_config) len=8192 ;; *) len=2048 ;; esac
        timeout 300 "$t" -runs="$runs" -max_total_time=120 -max_len="$len" \
            -artifact_prefix="$log_dir/crash-$name-" \
            "$scratch" "tests/fuzz/corpus/$name" >"$out" 2>&1
        rc=$?
        if [ "$rc" -eq 0 ] && grep -q '^Done [0-9]* runs' "$out"; then
            passed=$((passed + 1))
            echo "ok - fuzz: $name $runs runs clean"
        else
            failed=$((failed + 1))
            failures+=("$t")
            tail -n 60 "$out"
            echo "not ok - fuzz: $name (exit $rc; crash input in $log_dir)"
        fi
    done
}

case $mode in
all)
    run_unit build
    run_unit build/asan
    run_fuzz build/fuzz
    run_integration build/asan
    ;;
unit) run_unit "${builds[0]}" ;;
integration) run_integration "${builds[0]}" ;;
long) run_integration "${builds[0]}" tests/long $(( ${SOAK_SECS:-3600} + 1800 )) ;;
fuzz) run_fuzz "${builds[0]}" ;;
esac

if [ ${#failures[@]} -gt 0 ]; then
    echo "failed: ${failures[*]} (logs in $log_dir)"
else
    rm -rf "$log_dir"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
