#!/usr/bin/env bash
# Coverage-guided fuzzing of every input surface, with cargo-fuzz (libFuzzer,
# AddressSanitizer, debug assertions and overflow checks on):
#
#   kernel       arbitrary builds, charge, charge_many, spent, remaining,
#                reset and clone against a plain model (fuzz/fuzz_targets/kernel.rs)
#   trace        the crosscheck trace parser/replayer on arbitrary bytes as
#                lines: no panic, one JSON output line per non-blank line,
#                ours == published 0.1.2 (fuzz/fuzz_targets/trace.rs)
#   conversions  the addon's boundary conversions (convert.rs, compiled as
#                is): f64 and bigint-word amounts, handles, charge_few's
#                packed fields; no panic, accepted values round-trip
#
# Usage: bash scripts/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  per target (default 60); TARGET defaults to all three.
# Each target starts from its committed seeds (fuzz/seeds/TARGET, plus the
# crosscheck fixtures for `trace`) and a working corpus in fuzz/corpus/TARGET
# (not committed, kept between runs). A crash leaves its input in
# fuzz/artifacts/TARGET/ and makes the script exit 1.
#
# Needs a nightly toolchain (`rustup toolchain install nightly`; another
# one with BUDGETKERNEL_NIGHTLY=nightly-YYYY-MM-DD) and cargo-fuzz 0.13.1
# (`cargo install cargo-fuzz --version 0.13.1 --locked`); exits 2 if either
# is missing. Prints a table: executions, coverage
# (libFuzzer's `cov` edges and `ft` features), corpus size and crashes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT/fuzz"

case "${1:-}" in
  -h | --help)
    sed -n '2,25p' "$0"
    exit 0
    ;;
esac
SECS="${1:-60}"
if [[ $# -gt 0 ]]; then shift; fi
if ! [[ "$SECS" =~ ^[0-9]+$ ]] || [[ "$SECS" -lt 1 ]]; then
  echo "SECONDS must be a positive integer, got: $SECS (try --help)" >&2
  exit 2
fi
ALL_TARGETS=(kernel trace conversions)
TARGETS=("$@")
if [[ ${#TARGETS[@]} -eq 0 ]]; then TARGETS=("${ALL_TARGETS[@]}"); fi
for target in "${TARGETS[@]}"; do
  if [[ ! -f "fuzz_targets/$target.rs" ]]; then
    echo "unknown fuzz target: $target (targets: ${ALL_TARGETS[*]})" >&2
    exit 2
  fi
done

NIGHTLY="${BUDGETKERNEL_NIGHTLY:-nightly}"
if ! rustup toolchain list 2>/dev/null | grep -q "^$NIGHTLY"; then
  echo "fuzz: no $NIGHTLY toolchain (cargo-fuzz needs a nightly)" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: cargo-fuzz is not installed (cargo install cargo-fuzz --version 0.13.1 --locked)" >&2
  exit 2
fi

start=$(date +%s)
# One build for every target (they share the crate).
if ! cargo "+$NIGHTLY" fuzz build >"${TMPDIR:-/tmp}/fuzz-build.$$.log" 2>&1; then
  tail -n 40 "${TMPDIR:-/tmp}/fuzz-build.$$.log" >&2
  rm -f "${TMPDIR:-/tmp}/fuzz-build.$$.log"
  echo "fuzz: build failed" >&2
  exit 1
fi
rm -f "${TMPDIR:-/tmp}/fuzz-build.$$.log"
echo "fuzz: build took $(($(date +%s) - start))s"

LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/fuzz.XXXXXX")"
trap 'rm -rf "$LOG_DIR"' EXIT
ROWS=()
FAILED=0
for target in "${TARGETS[@]}"; do
  mkdir -p "corpus/$target" "seeds/$target"
  seeds=("seeds/$target")
  if [[ "$target" == trace ]]; then seeds+=("../crates/crosscheck/tests/fixtures"); fi
  log="$LOG_DIR/$target.log"
  echo "==> fuzz $target for ${SECS}s"
  t0=$(date +%s)
  status=0
  cargo "+$NIGHTLY" fuzz run "$target" "corpus/$target" "${seeds[@]}" -- \
    -max_total_time="$SECS" -print_final_stats=1 >"$log" 2>&1 || status=$?
  took=$(($(date +%s) - t0))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)
  ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)
  corp=$(grep -o 'corp: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)
  if [[ "$status" == 0 ]]; then
    result="0"
  else
    FAILED=1
    artifact=$(grep -o 'artifacts/[^ ]*' "$log" | head -n 1 || true)
    result="1 (${artifact:-exit $status})"
    echo "---- last 30 lines of the $target run:"
    tail -n 30 "$log" | sed 's/^/    /'
  fi
  ROWS+=("$(printf '%-12s %6ss %12s %7s %7s %7s  %s' "$target" "$took" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result")")
done

echo
echo "fuzz summary (${SECS}s per target)"
printf '%-12s %7s %12s %7s %7s %7s  %s\n' target time executions cov ft corpus crashes
for row in "${ROWS[@]}"; do echo "$row"; done
if [[ "$FAILED" == 1 ]]; then
  echo "fuzz: FAIL (a crash input is in fuzz/artifacts/; reproduce with cargo +nightly fuzz run TARGET FILE)"
  exit 1
fi
echo "fuzz: PASS (no crash)"
