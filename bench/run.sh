#!/usr/bin/env bash
# Throughput, scaling and memory of `iothub-triage analyze --format json` on fleets made by
# the seeded generator, against the jq baseline, with the output checked for correctness.
#
#   bash bench/run.sh            # 100 MB and 1 GB of PT1H.json, other shapes, scaling, start-up
#   SIZES="100" bash bench/run.sh  # a quicker run
#   BASELINE_BIN=/path/to/older/iothub-triage SIZES=100 bash bench/run.sh
#                                  # also: what this build costs against an older one
#
# Needs hyperfine and jq (installed with apt-get when missing) and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES="${SIZES:-100 1000}"
RUNS="${RUNS:-10}"
RSS_RUNS="${RSS_RUNS:-7}"
DIR="${BENCH_DIR:-target/bench}"
mkdir -p "$DIR"

for tool in hyperfine jq; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq "$tool"
  fi
done
if [ ! -x /usr/bin/time ]; then
  apt-get update -qq && apt-get install -y -qq time
fi

cargo build --release --locked --quiet
BIN="$PWD/target/release/iothub-triage"
JQ_FILTER='select(.category=="Connections" and .level=="Error") | [(.properties|fromjson|.deviceId), .resultType] | @tsv'

# A day of a fleet of about $1 MB: 100 MB is 3,730 devices over 24 hours.
generate() {
  local mb="$1" shape="$2" file="$3"
  "$BIN" generate --seed 42 --devices $((mb * 3730 / 100)) --hours 24 --shape "$shape" \
    --truth "$file.truth.json" >"$file"
}

median() { # hyperfine JSON export -> median seconds
  jq -r '.results[0].median' "$1"
}

# The fastest and slowest of the runs: on a shared machine they can be a quarter apart.
spread() { # hyperfine JSON export -> "min-max s"
  jq -r '.results[0] | "\(.min * 1000 | round / 1000)-\(.max * 1000 | round / 1000) s"' "$1"
}

# Peak memory varies between runs of the same command (the threads' timing decides how
# much is freed before the next allocation), so it is measured $RSS_RUNS times: the
# median, and the highest seen.
peak_rss_mib() { # command... -> "N MiB (max M)"
  local run
  for ((run = 0; run < RSS_RUNS; run++)); do
    /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -n 1
  done | sort -n | awk '{ kib[NR] = $1 }
    END { printf "%.0f MiB (max %.0f)", kib[int((NR + 1) / 2)] / 1024, kib[NR] / 1024 }'
}

# The tool's per device+code counts must equal jq's on the same file, and its record
# count the generator's truth.
check() {
  local file="$1" report="$DIR/report.json"
  "$BIN" analyze "$file" --format json >"$report"
  local analyzed truth
  analyzed=$(jq '.summary.records_analyzed' "$report")
  truth=$(jq '.records' "$file.truth.json")
  if [ "$analyzed" != "$truth" ]; then
    echo "MISMATCH: analyzed $analyzed records, the generator wrote $truth" >&2
    exit 1
  fi
  jq -r '.devices[] | .device_id as $d | .codes[] | "\(.count) \($d) \(.code)"' "$report" | sort >"$DIR/tool.txt"
  jq -r "$JQ_FILTER" "$file" | sort | uniq -c | awk '{ print $1, $2, $3 }' | sort >"$DIR/jq.txt"
  if ! cmp -s "$DIR/tool.txt" "$DIR/jq.txt"; then
    echo "MISMATCH: per device and code counts differ from jq's (see $DIR/tool.txt and $DIR/jq.txt)" >&2
    exit 1
  fi
  echo "  output checked: $analyzed records as the generator wrote, $(wc -l <"$DIR/tool.txt") device+code counts equal to jq's"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sm)"
echo "tool:    $("$BIN" --version)"
echo

# Times the tool and the jq baseline on one JSON Lines file (its truth beside it), after
# checking the tool's output, and prints one line of figures.
measure_lines() {
  local file="$1" bytes records tool baseline rss
  bytes=$(stat -c %s "$file")
  records=$(jq '.records' "$file.truth.json")
  check "$file"
  hyperfine --style none --warmup 2 --runs "$RUNS" --export-json "$DIR/tool.json" \
    "$BIN analyze $file --format json" >/dev/null
  hyperfine --style none --runs 3 --export-json "$DIR/jq.json" \
    "jq -r '$JQ_FILTER' $file | sort | uniq -c" >/dev/null
  tool=$(median "$DIR/tool.json")
  baseline=$(median "$DIR/jq.json")
  rss=$(peak_rss_mib "$BIN" analyze "$file" --format json)
  awk -v b="$bytes" -v r="$records" -v t="$tool" -v j="$baseline" -v m="$rss" -v s="$(spread "$DIR/tool.json")" 'BEGIN {
    printf "  %6.0f MB, %9d records: median %.3f s (runs %s) = %4.0f MB/s, %5.2f M records/s; peak RSS %s; jq %.2f s; %.1fx jq\n",
      b / 1e6, r, t, s, b / 1e6 / t, r / 1e6 / t, m, j, j / t }'
}

echo "== JSON Lines (PT1H.json), full diagnosis, --format json > /dev/null"
for mb in $SIZES; do
  file="$DIR/fleet-${mb}mb.json"
  [ -s "$file" ] || generate "$mb" json-lines "$file"
  measure_lines "$file"
done

echo
echo "== A large hub: 20,000 devices over 18 hours (about 400 MB, 660k records)"
file="$DIR/hub-20k.json"
[ -s "$file" ] || "$BIN" generate --seed 42 --devices 20000 --hours 18 --truth "$file.truth.json" >"$file"
measure_lines "$file"

# Against an older build, in the same run: both binaries alternate within one hyperfine
# run per file, so that the machine's other load falls on both alike.
if [ -n "${BASELINE_BIN:-}" ]; then
  echo
  echo "== This build against $BASELINE_BIN ($("$BASELINE_BIN" --version)), --format json"
  for file in "$DIR/fleet-100mb.json" "$DIR/hub-20k.json"; do
    [ -s "$file" ] || continue
    hyperfine --style none --warmup 2 --runs "$RUNS" --export-json "$DIR/versus.json" \
      "$BASELINE_BIN analyze $file --format json" "$BIN analyze $file --format json" >/dev/null
    jq -r --arg f "$(basename "$file")" '.results as $r
      | "  \($f): baseline median \($r[0].median * 1000 | round) ms, this build \($r[1].median * 1000 | round) ms: \((($r[1].median / $r[0].median - 1) * 1000 | round) / 10) %"' \
      "$DIR/versus.json"
  done
fi

# The hub the targets speak of has 100,000 devices: a third of a day of it, in the full
# run only.
if [[ " $SIZES " == *" 1000 "* ]]; then
  echo
  echo "== A very large hub: 100,000 devices over 8 hours (about 930 MB, 1.5 M records)"
  file="$DIR/hub-100k.json"
  [ -s "$file" ] || "$BIN" generate --seed 42 --devices 100000 --hours 8 --truth "$file.truth.json" >"$file"
  measure_lines "$file"
fi

# Times the tool alone on one file and prints one line: the label, size, median,
# throughput and peak memory.
measure_file() {
  local label="$1" file="$2" runs="$3" bytes tool rss
  bytes=$(du -sb "$file" | cut -f 1)
  hyperfine --style none --warmup 1 --runs "$runs" --export-json "$DIR/file.json" \
    "$BIN analyze $file --format json" >/dev/null
  tool=$(median "$DIR/file.json")
  rss=$(peak_rss_mib "$BIN" analyze "$file" --format json)
  awk -v l="$label" -v b="$bytes" -v t="$tool" -v m="$rss" 'BEGIN {
    printf "  %-10s %5.0f MB: median %.3f s = %4.0f MB/s; peak RSS %s\n", l, b / 1e6, t, b / 1e6 / t, m }'
}

echo
echo "== Other shapes (100 MB of the same fleet)"
for shape in records json-array tables az-cli csv; do
  file="$DIR/fleet-100mb.$shape"
  [ -s "$file" ] || generate 100 "$shape" "$file"
  measure_file "$shape" "$file" "$RUNS"
done

echo
echo "== Many small files: the 100 MB of JSON Lines as 100 files of 1 MB (a directory)"
file="$DIR/fleet-100mb.json"
[ -s "$file" ] || generate 100 json-lines "$file"
dir="$DIR/fleet-100mb-split"
if [ ! -d "$dir" ]; then
  mkdir -p "$dir"
  split -n l/100 -d -a 3 --additional-suffix=.json "$file" "$dir/PT1H-"
fi
# The same records as the one file, and the same per device+code counts.
"$BIN" analyze "$file" --format json | jq -c '[.summary.records_analyzed, [.devices[] | [.device_id, [.codes[] | [.code, .count]]]]]' >"$DIR/whole.txt"
"$BIN" analyze "$dir" --format json | jq -c '[.summary.records_analyzed, [.devices[] | [.device_id, [.codes[] | [.code, .count]]]]]' >"$DIR/split.txt"
if ! cmp -s "$DIR/whole.txt" "$DIR/split.txt"; then
  echo "MISMATCH: the 100 files and the one file give different counts" >&2
  exit 1
fi
echo "  output checked: the same records and per device+code counts as the one file"
measure_file "100 files" "$dir" "$RUNS"

echo
echo "== Scaling: the same 3,730 devices over 1, 2, 4 and 8 days"
for days in 1 2 4 8; do
  file="$DIR/scale-${days}d.json"
  [ -s "$file" ] || "$BIN" generate --seed 42 --devices 3730 --hours $((24 * days)) >"$file"
  measure_file "${days}x" "$file" 3
done

echo
echo "== Start-up on a small file (fixtures/shapes/PT1H.json)"
hyperfine --style none --warmup 3 --runs 30 --export-json "$DIR/small.json" -N \
  "$BIN analyze fixtures/shapes/PT1H.json --format json" >/dev/null
awk -v t="$(median "$DIR/small.json")" 'BEGIN { printf "  median %.1f ms\n", t * 1000 }'
