#!/usr/bin/env bash
# Peak memory and wall time of the runtime on a Llama-3-8B-shaped BF16 checkpoint (docs/benchmarks-runtime.md,
# "Real-size checkpoints"): hidden 4096, intermediate 14336, 32 layers, 32 heads / 8 KV heads, vocab 128256,
# untied, BF16, in ~5 GB shards (16 GB in all), generated with test-fixtures' LargeCheckpoint.
#
#   ORTHO_BENCH_8B_DIR=/big/disk bench/runtime-8b.sh [--shape 8b|3.6g] [--weights-f32] [--force]
#
# ORTHO_BENCH_8B_DIR (required): where the checkpoint, its ablated edit (another 16 GB) and the logs go.
# --shape 3.6g runs the same steps on the 3.6 GiB Llama of issue 10 (hidden 4096, intermediate 11008, 8 layers,
# vocab 32000, untied, BF16). --weights-f32 runs the runtime with its float32 arena (needs 4 bytes a parameter).
# Steps, each under /usr/bin/time -v (wall time and "Maximum resident set size", page-cache pages of the
# mapping included):
#   1. ortho logits MODEL --ids (64 tokens; 8 for 3.6g, as in the issue)
#   2. ortho ablate MODEL --direction (a seeded random direction) --out EDIT --hash none
#   3. ortho compare MODEL EDIT --ids-file (4 prompts of 32 tokens)
# and checks each runtime step's peak against 1.25 x checkpoint bytes + 1.5 GiB.
# The 8B steps need most of a 23 GiB machine: the script refuses to generate without 60 GB free disk, or to run
# with less than 20 GB of available memory (ORTHO_BENCH_MIN_AVAIL_GB, default 20), unless --force.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. tools/find-jdk25.sh
ortho_find_jdk25
JAVA="$JAVA_HOME/bin/java"

shape=8b; f32=""; force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --shape) shape="$2"; shift 2 ;;
    --weights-f32) f32="--weights-f32"; shift ;;
    --force) force=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
dir="${ORTHO_BENCH_8B_DIR:-}"
[ -n "$dir" ] || { echo "set ORTHO_BENCH_8B_DIR to a directory with room for two checkpoints (32 GB for 8b)" >&2; exit 2; }
mkdir -p "$dir"
case "$shape" in
  8b) name=llama3-8b-shape; gen_args=(32 4096 14336 128256 5 8 BF16); logit_tokens=64; need_disk=60; need_mem="${ORTHO_BENCH_MIN_AVAIL_GB:-20}" ;;
  3.6g) name=llama-3.6g; gen_args=(8 4096 11008 32000 2); logit_tokens=8; need_disk=10; need_mem="${ORTHO_BENCH_MIN_AVAIL_GB:-8}" ;;
  *) echo "unknown shape $shape (8b, 3.6g)" >&2; exit 2 ;;
esac
model="$dir/$name"; edit="$dir/$name-ablated"
log="$dir/runtime-$shape${f32:+-f32}.log"; : > "$log"
say() { echo "$*" | tee -a "$log"; }
avail_gb() { awk '/MemAvailable/ {print int($2 / 1048576)}' /proc/meminfo; }
free_disk_gb() { df -P -B1G "$dir" | awk 'NR == 2 {print $4}'; }

echo "building..." >&2
./mvnw -B -q -DskipTests package -pl editor-cli -am >&2
CP="$root/editor-cli/target/ortho.jar:$root/test-fixtures/target/classes"

if [ ! -f "$model/config.json" ]; then
  if [ "$(free_disk_gb)" -le "$need_disk" ] && [ "$force" = 0 ]; then
    say "not generating $model: $(free_disk_gb) GB free on $dir, need > $need_disk GB (--force overrides)"; exit 3
  fi
  "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$CP" dev.ortho.fixtures.LargeCheckpoint "$model" "${gen_args[@]}" | tee -a "$log"
fi
if [ "$(avail_gb)" -lt "$need_mem" ] && [ "$force" = 0 ]; then
  say "not running: $(avail_gb) GB of memory available, the $shape steps need $need_mem GB (--force overrides)"; exit 3
fi

bytes=$(cat "$model"/*.safetensors | wc -c)
bound_kb=$(( (bytes * 5 / 4 + 3 * (1 << 29)) / 1024 ))
hidden=$(grep -o '"hidden_size": *[0-9]*' "$model/config.json" | grep -o '[0-9]*$')
vocab=$(grep -o '"vocab_size": *[0-9]*' "$model/config.json" | grep -o '[0-9]*$')
say "$name: $bytes bytes of safetensors; bound 1.25 x bytes + 1.5 GiB = $bound_kb kB; load $(cut -d' ' -f1-3 /proc/loadavg); $(avail_gb) GB available"

# Seeded inputs: 64 (or 8) ids for logits, 4 prompts of 32 for compare, a random unit-free direction (ablate normalizes).
ids=$(awk -v n="$logit_tokens" -v v="$vocab" 'BEGIN { srand(7); for (j = 0; j < n; j++) printf "%s%d", (j ? "," : ""), 1 + int(rand() * (v - 1)) }')
awk -v v="$vocab" 'BEGIN { srand(11); for (i = 0; i < 4; i++) { s = ""; for (j = 0; j < 32; j++) s = s (j ? "," : "") (1 + int(rand() * (v - 1))); print s } }' > "$dir/ids-4x32.txt"
awk -v h="$hidden" 'BEGIN { srand(13); printf "["; for (i = 0; i < h; i++) printf "%s%.6f", (i ? "," : ""), rand() - 0.5; print "]" }' > "$dir/direction.json"

step() {  # label, check-bound (1/0), command...
  local label="$1" check="$2"; shift 2
  local t="$dir/time-$shape-$label${f32:+-f32}.txt"
  if /usr/bin/time -v "$@" > "$dir/out-$shape-$label.txt" 2> "$t"; then
    local rss wall
    rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$t"); wall=$(awk -F': ' '/Elapsed \(wall/ {print $2}' "$t")
    local verdict=""
    if [ "$check" = 1 ]; then
      if [ "$rss" -le "$bound_kb" ]; then verdict=" (within the bound)"; else verdict=" (OVER the bound of $bound_kb kB)"; fi
    fi
    say "$label: wall $wall, peak RSS $rss kB$verdict"
  else
    say "$label: FAILED (see $t)"; tail -5 "$t" | tee -a "$log"; return 1
  fi
}

step logits 1 ./ortho logits "$model" --ids "$ids" $f32
step ablate 0 ./ortho ablate "$model" --direction "$dir/direction.json" --out "$edit" --force --hash none --no-progress
step compare 1 ./ortho compare "$model" "$edit" --ids-file "$dir/ids-4x32.txt" $f32
tail -4 "$dir/out-$shape-compare.txt" | tee -a "$log"
