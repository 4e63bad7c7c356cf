#!/usr/bin/env bash
# Builds the before/after harness against two mpkit checkouts and runs it in
# alternating pairs. Usage: run.sh BEFORE_CHECKOUT AFTER_CHECKOUT [PAIRS] [RUNS]
# e.g.  git worktree add /tmp/mpkit-before 98f01d4
#       docs/bench/before-after/run.sh /tmp/mpkit-before . 6 25
set -euo pipefail
before=$(realpath "$1"); after=$(realpath "$2"); pairs=${3:-6}; runs=${4:-25}
here=$(cd "$(dirname "$0")" && pwd)
work=${BENCH_WORK:-/tmp/mpkit-before-after}
mkdir -p "$work/before" "$work/after"
for side in before after; do
  # BENCH_BEFORE_FEATURES=after when the before side is itself after the view moved.
  if [ $side = before ]; then src=$before; feat="${BENCH_BEFORE_FEATURES:-}"; else src=$after; feat="after"; fi
  cat > "$work/$side/Cargo.toml" <<TOML
[package]
name = "bench-$side"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
mpkit-host = { path = "$src/host" }
rustix = { version = "1", features = ["time"] }

[features]
after = []

[[bin]]
name = "bench-$side"
path = "$here/main.rs"

[profile.release]
debug = "line-tables-only"

[workspace]
TOML
  cp "$src/Cargo.lock" "$work/$side/Cargo.lock"
  (cd "$work/$side" && CARGO_TARGET_DIR="$work/target" cargo build --release --quiet ${feat:+--features $feat})
done
# The program both sides launch: the after side's sample, or BENCH_SAMPLE (e.g. the
# first wave's Coffee Club, which both sides can read).
sample=${BENCH_SAMPLE:-$after/sample-app/miniprogram}
: > "$work/pairs.txt"
for i in $(seq 1 "$pairs"); do
  if [ $((i % 2)) = 0 ]; then order="after before"; else order="before after"; fi
  for side in $order; do
    "$work/target/release/bench-$side" "$sample" "$runs" 2>/dev/null | sed "s/^/$side /" >> "$work/pairs.txt"
  done
done
python3 - "$work/pairs.txt" <<'PY'
import re, sys, collections
d = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(sys.argv[1]):
    side, rest = line.split(' ', 1)
    m = re.match(r'\s*(.*?): ([0-9.]+) (ms|MiB)', rest)
    if m:
        d[m.group(1)][side].append(float(m.group(2)))
print("| what | before (range, median) | after (range, median) | after / before |")
print("|---|---|---|---|")
for k, v in d.items():
    b, a = sorted(v['before']), sorted(v['after'])
    mb, ma = b[len(b) // 2], a[len(a) // 2]
    print(f"| {k} | {b[0]:.3f}–{b[-1]:.3f}, {mb:.3f} | {a[0]:.3f}–{a[-1]:.3f}, {ma:.3f} | {ma / mb:.2f} |")
PY
