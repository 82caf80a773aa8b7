#!/usr/bin/env bash
# Prefill throughput of Ortho's runtime next to HuggingFace transformers (eager attention, CPU), in the same
# run, on the same token ids and the same thread count (docs/benchmarks-runtime.md, "Against transformers").
#
#   ORTHO_PYTHON=/path/to/venv/bin/python bench/runtime-vs-transformers.sh [--runs N] [--data DIR]
#       [--threads N] [--batch B] [--tokens T] [--models small,3.6g]
#
# ORTHO_PYTHON: a Python with torch and transformers (e.g. a venv with `pip install torch transformers`).
# Without it only Ortho's side runs, and the script says so. Checkpoints are generated with test-fixtures'
# LargeCheckpoint into DIR (default $ORTHO_BENCH_DATA, else ./bench-data):
#   small  Llama, 12 layers, hidden 768, 6 heads, intermediate 2048, vocab 32000, untied, F32 (134 M parameters, 0.5 GB)
#   3.6g   Llama, 8 layers, hidden 4096, 32 heads, intermediate 11008, vocab 32000, untied, BF16 (1.88 B parameters, 3.5 GiB)
# Each engine/setting runs in its own process: one warm-up forward excluded, then the median of N forwards of
# B sequences x T tokens (seeded random ids written to DIR/ids-BxT.txt, read by both), last-position logits only
# (transformers: logits_to_keep=1), timing only the forward calls. Ortho runs with its stored-dtype weights
# (default) and with --weights-f32's arena; transformers in the checkpoint's dtype and, where memory allows
# (ORTHO_BENCH_F32_MIN_GB of available memory, default 12), upcast to float32. Peak RSS from /usr/bin/time -v.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. tools/find-jdk25.sh
ortho_find_jdk25
JAVA="$JAVA_HOME/bin/java"

runs=5; data="${ORTHO_BENCH_DATA:-$root/bench-data}"; threads="$(nproc)"; batch=4; tokens=64; models="small,3.6g"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --tokens) tokens="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$data"
log="$data/runtime-vs-transformers.log"; : > "$log"
say() { echo "$*" | tee -a "$log"; }

py="${ORTHO_PYTHON:-}"
if [ -z "$py" ]; then
  say "ORTHO_PYTHON is not set: transformers is not measured (point it at a Python with torch and transformers)."
elif ! "$py" -c "import torch, transformers" 2>/dev/null; then
  say "ORTHO_PYTHON=$py cannot import torch and transformers: transformers is not measured."
  py=""
else
  say "transformers: $("$py" -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)')"
fi

echo "building..." >&2
./mvnw -B -q -DskipTests package -pl editor-cli -am >&2
CP="$root/editor-cli/target/ortho.jar:$root/test-fixtures/target/classes"
RUN="$JAVA --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -XX:+UseSerialGC -Xmn48m -cp $CP"

gen() {  # name, LargeCheckpoint arguments
  [ -f "$data/$1/config.json" ] || $RUN dev.ortho.fixtures.LargeCheckpoint "$data/$1" "${@:2}" >&2
}

ids="$data/ids-${batch}x${tokens}.txt"
awk -v b="$batch" -v t="$tokens" 'BEGIN { srand(42); for (i = 0; i < b; i++) { s = ""; for (j = 0; j < t; j++) s = s (j ? "," : "") (1 + int(rand() * 31999)); print s } }' > "$ids"

driver="$data/hf_prefill.py"
cat > "$driver" <<'PY'
# Times transformers' forward pass only (model loading excluded): one warm-up, then the median of RUNS.
import statistics, sys, time
import torch
from transformers import AutoModelForCausalLM
model_dir, dtype, threads, runs, ids_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
torch.set_num_threads(threads)
rows = [[int(x) for x in line.split(",")] for line in open(ids_file) if line.strip()]
ids = torch.tensor(rows, dtype=torch.long)
mask = torch.ones_like(ids)
t0 = time.perf_counter()
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=getattr(torch, dtype), attn_implementation="eager")
model.eval()
print(f"load_s={time.perf_counter() - t0:.3f}")
times = []
with torch.inference_mode():
    for i in range(runs + 1):
        s = time.perf_counter()
        model(input_ids=ids, attention_mask=mask, logits_to_keep=1, use_cache=False)
        if i:
            times.append(time.perf_counter() - s)
        else:
            print(f"warmup_s={time.perf_counter() - s:.3f}")
med = statistics.median(times)
n = ids.numel()
print(f"prefill batch={ids.shape[0]} tokens={ids.shape[1]} runs={runs} median_s={med:.4f} min_s={min(times):.4f} "
      f"max_s={max(times):.4f} tokens_per_s={n / med:.1f} threads={torch.get_num_threads()} dtype={dtype}")
PY

measure() {  # label, command...
  local label="$1"; shift
  local t="$data/time-vs-$label.txt"
  if /usr/bin/time -v "$@" > "$data/out-vs-$label.txt" 2> "$t"; then
    say "$label: $(grep -E '^prefill' "$data/out-vs-$label.txt")  peak_rss_kb=$(awk -F': ' '/Maximum resident/ {print $2}' "$t")"
  else
    say "$label: failed (see $t)"; tail -5 "$t" | tee -a "$log"
  fi
}

avail_gb() { awk '/MemAvailable/ {print int($2 / 1048576)}' /proc/meminfo; }

say "threads=$threads batch=$batch tokens=$tokens runs=$runs load=$(cut -d' ' -f1-3 /proc/loadavg) nproc=$(nproc)"
IFS=, read -ra wanted <<< "$models"
for m in "${wanted[@]}"; do
  case "$m" in
    small) name=llama-134m-f32; gen "$name" 12 768 2048 32000 2 6 F32; stored=float32 ;;
    3.6g) name=llama-3.6g; gen "$name" 8 4096 11008 32000 2; stored=bfloat16 ;;
    *) echo "unknown model $m" >&2; exit 2 ;;
  esac
  cat "$data/$name"/*.safetensors > /dev/null   # page cache warm: not disk-bound
  say "== $name ($(du -shL "$data/$name" | cut -f1))"
  measure "$name-ortho" $RUN dev.ortho.cli.RuntimeBench "$data/$name" prefill "$runs" "threads=$threads" "ids=$ids"
  if [ "$stored" = bfloat16 ]; then
    measure "$name-ortho-f32arena" $RUN dev.ortho.cli.RuntimeBench "$data/$name" prefill "$runs" "threads=$threads" "f32=true" "ids=$ids"
  fi
  if [ -n "$py" ]; then
    measure "$name-hf-$stored" "$py" "$driver" "$data/$name" "$stored" "$threads" "$runs" "$ids"
    if [ "$stored" != float32 ]; then
      if [ "$(avail_gb)" -ge "${ORTHO_BENCH_F32_MIN_GB:-12}" ]; then
        measure "$name-hf-float32" "$py" "$driver" "$data/$name" float32 "$threads" "$runs" "$ids"
      else
        say "$name-hf-float32: skipped, $(avail_gb) GB available"
      fi
    fi
  fi
done
