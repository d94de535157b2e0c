#!/usr/bin/env bash
# Runs the fuzz targets one after another, each for a time budget, and prints one
# summary line per target.
#
#   bash fuzz/run.sh [seconds-per-target] [target...]
#
# Defaults: 60 seconds, every target. The corpus grows in fuzz/corpus/<target> (not
# committed), starting from the seeds in fuzz/seeds/<target>; crashes are written to
# fuzz/artifacts/<target>/. One fuzzer runs at a time, on one core.
#
# Targets are built optimised, with debug assertions and overflow checks, and without a
# sanitizer: the readers have no unsafe code (the crate's two unsafe blocks are a call into
# the allocator and a prefetch hint), and Address Sanitizer cuts the executions to about a
# third.
# FUZZ_SANITIZER=address brings it back.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(detect json_lines quick_reader records array tables az_cli csv properties timestamps pipeline render zip avro state_events)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# cargo-fuzz needs nightly flags: the nightly toolchain when there is one, else the
# stable one told to accept them.
if rustup run nightly rustc --version >/dev/null 2>&1; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi

# The longest input worth trying: a reader sees 64 KiB at once for detection, and a
# timestamp is a short string.
max_len() {
  case $1 in
    timestamps) echo 4096 ;;
    properties | render) echo 16384 ;;
    *) echo 65536 ;;
  esac
}

sanitizer=(--sanitizer "${FUZZ_SANITIZER:-none}")
"${fuzz[@]}" build "${sanitizer[@]}"

summary=()
failed=0
for target in "${targets[@]}"; do
  corpus=fuzz/corpus/$target
  mkdir -p "$corpus" "fuzz/artifacts/$target"
  log=fuzz/artifacts/$target/last-run.log
  status=0
  start=$(date +%s)
  # The seeds are read as a second corpus; new inputs go to the first.
  "${fuzz[@]}" run "${sanitizer[@]}" "$target" "$corpus" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -max_len="$(max_len "$target")" \
    -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  # libFuzzer's own clock: the build that `run` may redo is not fuzzing time.
  elapsed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  elapsed=${elapsed:-$(( $(date +%s) - start ))}
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  files=$(find "$corpus" -type f | wc -l)
  crash=$(grep -o 'Test unit written to [^ ]*' "$log" | tail -1 | cut -d' ' -f5 || true)
  if [ "$status" -ne 0 ]; then
    failed=1
    result="FAILED (exit $status) ${crash:-see $log}"
  else
    result="no crash"
  fi
  line="$target: ${runs:-0} executions in ${elapsed} s ($(( ${runs:-0} / (elapsed > 0 ? elapsed : 1) )) exec/s), cov ${cov:-?}, corpus ${files} files, ${result}"
  echo "$line"
  summary+=("$line")
done

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
exit "$failed"
