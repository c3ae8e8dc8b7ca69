#!/usr/bin/env bash
# Verification matrix of the Rust kernel (crates/budgetkernel), as its
# security model lists it:
#
#   - 4 builds and 4 test runs: {default, no_std} x {MaybeUninit map, safe-map}
#     (unit tests, proptest properties and doctests)
#   - clippy -D warnings: --all-features (the safe-map build), plus the
#     default and --no-default-features builds, the only ones in which the
#     unsafe map is compiled and therefore linted
#   - no `unsafe` outside src/fixed_map.rs (the compiler enforces it too)
#   - cargo fmt --all --check
#   - cargo doc --no-deps with and without default features, warnings denied
#   - memory checks of the unsafe map (the summary says what each covers):
#       * the compile-time proof run (src/const_check.rs) under rustc's const
#         evaluator, Miri's engine: any read of an uninitialized slot on the
#         driven paths, even one whose result is discarded before the
#         presence check, is a compile error (E0080). Stable, always runs;
#       * `cargo +nightly miri test --lib` when Miri is installed;
#       * otherwise the library's unit-test binary, built with optimizations,
#         under valgrind memcheck (a debug build can materialize the
#         uninitialized slots as zeros, hiding a read of an absent slot; the
#         optimized one keeps them uninitialized);
#       * MemorySanitizer and AddressSanitizer on nightly when a nightly
#         toolchain exists.
#
# Usage (from anywhere; it changes to the repository root):
#   bash scripts/verify-kernel.sh                # everything
#   bash scripts/verify-kernel.sh --memory-only  # just the memory checks
# Environment:
#   BUDGETKERNEL_NIGHTLY=nightly-YYYY-MM-DD  the nightly toolchain for Miri
#       and the sanitizers (default: nightly).
#   BUDGETKERNEL_ALLOW_MISSING_VALGRIND=1  report a missing valgrind as
#       UNAVAILABLE instead of failing (only when Miri is unavailable too).
#
# Every check ends up in the summary table as PASS, FAIL or UNAVAILABLE; a
# check that did not run is never reported as passed. Exit status is 1 if
# any check failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MEMORY_ONLY=0
case "${1:-}" in
  "") ;;
  --memory-only) MEMORY_ONLY=1 ;;
  -h | --help)
    sed -n '2,37p' "$0"
    exit 0
    ;;
  *)
    echo "unknown argument: $1 (try --help)" >&2
    exit 2
    ;;
esac

PKG=(-p budgetkernel)
# The nightly for Miri and the sanitizers (CI pins a dated one).
NIGHTLY="${BUDGETKERNEL_NIGHTLY:-nightly}"
KERNEL_DIR="crates/budgetkernel"
LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/verify-kernel.XXXXXX")"
trap 'rm -rf "$LOG_DIR"' EXIT

NAMES=()
STATUSES=()
SECONDS_TAKEN=()
NOTES=()
# What each memory check can catch, by check name (printed in the summary).
declare -A COVERS=()
FAILED=0
STARTED_AT=$(date +%s)

record() { # name status seconds note
  NAMES+=("$1")
  STATUSES+=("$2")
  SECONDS_TAKEN+=("$3")
  NOTES+=("$4")
  if [[ "$2" == FAIL ]]; then FAILED=1; fi
}

# run "name" command... : runs the command with its output in a log; on
# failure prints the last lines of the log. Records PASS or FAIL.
run() {
  local name="$1"
  shift
  local log="$LOG_DIR/${#NAMES[@]}.log"
  local start end
  start=$(date +%s)
  printf '==> %-44s ' "$name"
  if "$@" >"$log" 2>&1; then
    end=$(date +%s)
    echo "PASS ($((end - start))s)"
    record "$name" PASS "$((end - start))" ""
  else
    end=$(date +%s)
    echo "FAIL ($((end - start))s)"
    echo "---- last 40 lines of: $*"
    tail -n 40 "$log" | sed 's/^/    /'
    # Memory-checker reports can be far from the end of the log.
    if grep -qE 'Conditional jump|Use of uninitialised|Invalid (read|write)|ERROR: AddressSanitizer|WARNING: MemorySanitizer|error\[E0080\]' "$log"; then
      echo "---- first memory error report:"
      grep -m 1 -A 10 -E 'Conditional jump|Use of uninitialised|Invalid (read|write)|ERROR: AddressSanitizer|WARNING: MemorySanitizer|error\[E0080\]' "$log" |
        sed 's/^/    /'
    fi
    echo "----"
    record "$name" FAIL "$((end - start))" "exit status non-zero"
  fi
}

unavailable() { # name note
  printf '==> %-44s UNAVAILABLE (%s)\n' "$1" "$2"
  record "$1" UNAVAILABLE "-" "$2"
}

FEATURE_SETS=(
  "default|"
  "no_std|--no-default-features"
  "safe-map|--features safe-map"
  "no_std+safe-map|--no-default-features --features safe-map"
)

no_unsafe_outside_fixed_map() {
  # Comments and docs may mention the word; code may not use it.
  local hits
  hits=$(grep -rnE '(^|[^_[:alnum:]])unsafe[[:space:]]*(\{|fn|impl|trait|extern)' \
    "$KERNEL_DIR/src" | grep -v "^$KERNEL_DIR/src/fixed_map.rs:" || true)
  if [[ -n "$hits" ]]; then
    echo "unsafe code outside src/fixed_map.rs:"
    echo "$hits"
    return 1
  fi
  echo "no unsafe outside src/fixed_map.rs"
}

# Prints the path of the library's unit-test binary for the given cargo
# profile flags (for example --release).
lib_test_binary() {
  cargo test "${PKG[@]}" --lib --no-run --message-format=json "$@" 2>/dev/null |
    grep '"reason":"compiler-artifact"' |
    grep '"test":true' |
    grep -o '"executable":"[^"]*"' |
    cut -d'"' -f4 |
    tail -n 1
}

# A subshell, so the profile overrides below stay local to this check.
valgrind_release_tests() (
  # Still the optimized release profile (opt-level 3, LTO); only keep line
  # tables and symbols so a memcheck report names the offending source line
  # instead of `???` (the workspace release profile strips symbols).
  export CARGO_PROFILE_RELEASE_DEBUG=line-tables-only
  export CARGO_PROFILE_RELEASE_STRIP=none
  cargo test "${PKG[@]}" --lib --release --no-run
  local bin
  bin=$(lib_test_binary --release)
  if [[ -z "$bin" || ! -x "$bin" ]]; then
    echo "could not locate the release unit-test binary"
    return 1
  fi
  echo "binary: $bin"
  # Single-threaded: keeps the report readable and valgrind fast.
  valgrind --error-exitcode=1 --track-origins=yes \
    --errors-for-leak-kinds=definite --leak-check=full \
    "$bin" --test-threads=1
)

# MemorySanitizer on the optimized unit tests, with an uninstrumented std
# (an instrumented one needs -Zbuild-std and a std source this machine does
# not have), so the ABI-mismatch check is waived. In a debug build MSan
# misses an absent-slot read, like valgrind. With std uninstrumented, memory
# that std writes keeps a stale "uninitialized" shadow, which gives false
# reports in two places, handled as follows:
#   - libtest compares its command-line strings with memcmp/bcmp:
#     intercept_memcmp=0 stops MSan from checking inside that interceptor
#     (our code never calls memcmp on map slots: slots are u64 compares);
#   - the three tests that compare text formatted by std (`Debug`/`Display`
#     output) are skipped here; valgrind, which sees all code, runs them.
MSAN_SKIPS=(
  budget::tests::debug_output_names_declared_dimensions_only
  error::tests::every_message_names_its_dimension
  fixed_map::tests::debug_lists_only_present_entries
)
msan_tests() (
  export CARGO_PROFILE_RELEASE_DEBUG=line-tables-only
  export CARGO_PROFILE_RELEASE_STRIP=none
  export RUSTFLAGS="-Zsanitizer=memory -Zsanitizer-memory-track-origins -Cunsafe-allow-abi-mismatch=sanitizer"
  export MSAN_OPTIONS="intercept_memcmp=0"
  local skips=()
  for test in "${MSAN_SKIPS[@]}"; do skips+=(--skip "$test"); done
  cargo "+$NIGHTLY" test "${PKG[@]}" --lib --release \
    --target x86_64-unknown-linux-gnu --target-dir "${CARGO_TARGET_DIR:-target}/msan" \
    -- --test-threads=1 --exact "${skips[@]}"
)

# The compile-time proof run, outside test builds (no dev-dependencies), in
# its own target directory so the cfg flag does not invalidate other builds.
const_eval() {
  RUSTFLAGS="--cfg budgetkernel_const_check" \
    cargo check "${PKG[@]}" --lib --target-dir "${CARGO_TARGET_DIR:-target}/const-check" "$@"
}

asan_tests() {
  RUSTFLAGS="-Zsanitizer=address" \
    cargo "+$NIGHTLY" test "${PKG[@]}" --lib \
    --target x86_64-unknown-linux-gnu --target-dir "${CARGO_TARGET_DIR:-target}/asan"
}

CONST_DEFAULT="const-eval: no uninit read in fixed_map"
CONST_SAFE="const-eval: map+budget = model [safe-map]"
MIRI="miri"
VALGRIND="valgrind: release lib tests (memcheck)"
MSAN="msan: nightly release lib tests"
ASAN="asan: nightly lib tests"
COVERS["$CONST_DEFAULT"]="any uninit read on the driven paths, incl. a discarded read before the presence check (bugs a+b); map and budget vs models"
COVERS["$CONST_SAFE"]="the safe-map variant agrees with the same models (no uninit memory there)"
COVERS["$MIRI"]="all UB Miri models (uninit, aliasing, bounds, provenance) over the lib tests; GitHub CI only"
COVERS["$VALGRIND"]="an uninit value that decides a branch or is output (bug a), heap errors, leaks; misses bug b"
COVERS["$MSAN"]="an uninit value used in instrumented code (bug a); misses bug b; std uninstrumented"
COVERS["$ASAN"]="out-of-bounds and use-after-free on stack/heap; does not track initialization"

memory_checks() {
  run "$CONST_DEFAULT" const_eval
  run "$CONST_SAFE" const_eval --features safe-map
  if cargo "+$NIGHTLY" miri --version >/dev/null 2>&1; then
    run "$MIRI" cargo "+$NIGHTLY" miri test "${PKG[@]}" --lib
  else
    unavailable "$MIRI" "cargo +$NIGHTLY miri is not installed"
    if command -v valgrind >/dev/null 2>&1; then
      run "$VALGRIND" valgrind_release_tests
    elif [[ "${BUDGETKERNEL_ALLOW_MISSING_VALGRIND:-0}" == 1 ]]; then
      unavailable "$VALGRIND" \
        "valgrind not installed; allowed by BUDGETKERNEL_ALLOW_MISSING_VALGRIND=1"
    else
      echo "valgrind is not installed and Miri is unavailable: the unsafe map would go unchecked." >&2
      echo "Install valgrind, or set BUDGETKERNEL_ALLOW_MISSING_VALGRIND=1 to accept that." >&2
      record "$VALGRIND" FAIL "-" "valgrind not installed"
    fi
  fi
  if [[ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]]; then
    unavailable "$MSAN" "only wired up for x86_64 Linux"
    unavailable "$ASAN" "only wired up for x86_64 Linux"
  elif rustup toolchain list 2>/dev/null | grep -q "^$NIGHTLY"; then
    run "$MSAN" msan_tests
    run "$ASAN" asan_tests
  else
    unavailable "$MSAN" "no nightly toolchain"
    unavailable "$ASAN" "no nightly toolchain"
  fi
}

if [[ "$MEMORY_ONLY" == 0 ]]; then
  for entry in "${FEATURE_SETS[@]}"; do
    label="${entry%%|*}"
    read -r -a flags <<<"${entry#*|}"
    run "build [$label]" cargo build "${PKG[@]}" "${flags[@]}"
  done
  for entry in "${FEATURE_SETS[@]}"; do
    label="${entry%%|*}"
    read -r -a flags <<<"${entry#*|}"
    run "test [$label]" cargo test "${PKG[@]}" "${flags[@]}"
  done
  run "clippy --all-targets --all-features" \
    cargo clippy "${PKG[@]}" --all-targets --all-features -- -D warnings
  run "clippy --all-targets [default]" \
    cargo clippy "${PKG[@]}" --all-targets -- -D warnings
  run "clippy --all-targets [no_std]" \
    cargo clippy "${PKG[@]}" --all-targets --no-default-features -- -D warnings
  run "no unsafe outside fixed_map.rs" no_unsafe_outside_fixed_map
  run "cargo fmt --all --check" cargo fmt --all --check
  run "doc --no-deps [default]" \
    env RUSTDOCFLAGS="-D warnings" cargo doc "${PKG[@]}" --no-deps
  run "doc --no-deps [no-default-features]" \
    env RUSTDOCFLAGS="-D warnings" cargo doc "${PKG[@]}" --no-deps --no-default-features
fi
memory_checks

TOTAL=$(($(date +%s) - STARTED_AT))
echo
echo "budgetkernel verification summary"
printf '%-44s  %-11s  %6s  %s\n' "check" "status" "secs" "note"
printf '%-44s  %-11s  %6s  %s\n' "--------------------------------------------" "-----------" "------" "----"
for i in "${!NAMES[@]}"; do
  printf '%-44s  %-11s  %6s  %s\n' "${NAMES[$i]}" "${STATUSES[$i]}" "${SECONDS_TAKEN[$i]}" "${NOTES[$i]}"
done
echo
echo "memory checks: what each one covers, and whether it ran"
for i in "${!NAMES[@]}"; do
  name="${NAMES[$i]}"
  [[ -n "${COVERS[$name]:-}" ]] || continue
  case "${STATUSES[$i]}" in
    PASS) ran="ran, PASS" ;;
    FAIL) ran="ran, FAIL" ;;
    *) ran="did NOT run" ;;
  esac
  printf '  %-44s  %-11s  %s\n' "$name" "$ran" "${COVERS[$name]}"
done
echo "  (valgrind, MSan or ASan passing is not Miri passing: see what each covers)"
echo "total: ${TOTAL}s"
if [[ "$FAILED" == 1 ]]; then
  echo "RESULT: FAIL"
  exit 1
fi
echo "RESULT: PASS (UNAVAILABLE rows did not run and are not counted as passed)"
