#!/usr/bin/env bash
# Times Ortho against grimjim's sharded_ablate.py (github.com/jim-plus/llm-abliteration), the
# shard-streaming torch peer, on the same checkpoint and the same writers (each layer's attention
# o_proj and MLP down_proj), alternating runs, and checks that both outputs agree.
#
#   ORTHO_PEER_REPO=/path/to/llm-abliteration ORTHO_PEER_PYTHON=/path/to/venv/bin/python \
#     bench/peer.sh --model DIR --direction FILE.json --data DIR [--runs N] [--md OUT.md]
#
# The peer's code is never part of this repository: point ORTHO_PEER_REPO at a checkout of it and
# ORTHO_PEER_PYTHON at a Python with torch, transformers, safetensors, pyyaml and tqdm. This script
# writes the peer's YAML and its measurement file (torch.save of the same direction for every layer)
# itself. Both tools are followed by an fsync of their output files (`sync FILE...`: Ortho fsyncs
# anyway; the peer does not). The agreement check loads both outputs and reports, for the edited
# tensors, the largest difference in BF16 units in the last place (the peer computes in float32,
# Ortho in float64, each rounds once to BF16; see below for the scale), fails above 1 ulp, and
# requires every other tensor to be bit-identical.
# Needs editor-cli/target/ortho.jar (bench/run.sh builds it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/tools/find-jdk25.sh"
ortho_find_jdk25
JAVA="$JAVA_HOME/bin/java"

runs=5; model=""; dir=""; data=""; md=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --direction) dir="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --md) md="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
: "${ORTHO_PEER_REPO:?set ORTHO_PEER_REPO to a checkout of jim-plus/llm-abliteration}"
: "${ORTHO_PEER_PYTHON:?set ORTHO_PEER_PYTHON to a python with torch, transformers, safetensors, pyyaml, tqdm}"
[ -n "$model" ] && [ -n "$dir" ] && [ -n "$data" ] || { echo "need --model, --direction and --data" >&2; exit 2; }
[ -f "$ORTHO_PEER_REPO/sharded_ablate.py" ] || { echo "$ORTHO_PEER_REPO has no sharded_ablate.py" >&2; exit 2; }
model="$(cd "$model" && pwd)"; dir="$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")"
mkdir -p "$data"; data="$(cd "$data" && pwd)"
work="$data/peer-work"; rm -rf "$work"; mkdir -p "$work"
log="$work/times.log"; : > "$log"
ORTHO="$JAVA --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmn48m -jar $root/editor-cli/target/ortho.jar"
layers=$(sed -n 's/.*"num_hidden_layers": *\([0-9]*\).*/\1/p' "$model/config.json")

# The peer's inputs: a measurement file with refusenorm_L (the direction) and harmless_L (read by
# the peer even when unused) for every layer, and a YAML that ablates every layer with scale 1.
"$ORTHO_PEER_PYTHON" - "$dir" "$layers" "$work/measure.refuse" <<'PY'
import json, sys, torch
d = torch.tensor(json.load(open(sys.argv[1])), dtype=torch.float64)
n = int(sys.argv[2])
m = {}
for l in range(n):
    m[f"refusenorm_{l}"] = d.clone()
    m[f"harmless_{l}"] = torch.zeros_like(d)
torch.save(m, sys.argv[3])
PY
{
  echo "model: $model"
  echo "measurements: $work/measure.refuse"
  echo "output: $work/peer-out"
  echo "ablate:"
  for l in $(seq 0 $((layers - 1))); do
    printf '  - layer: %d\n    measurement: %d\n    scale: 1.0\n    sparsity: 0.0\n' "$l" "$l"
  done
} > "$work/ablate.yml"

time_cmd() {
  local label="$1"; shift
  /usr/bin/time -f "%e %M %U %S" -o "$work/.t" "$@" >>"$work/stdout.log" 2>&1
  echo "$label $(cat "$work/.t")" >> "$log"
}
# Every timed run starts with neither tool's output on disk: a 3.5 GiB output left in the page cache by the
# other tool made the next run reclaim memory as it wrote (measured: Ortho's system time 3.4 → 6.9–9.8 s).
clean() { rm -rf "$work/peer-out" "$work/ortho-out"; sync; }
peer() { clean; time_cmd peer sh -c "cd '$ORTHO_PEER_REPO' && '$ORTHO_PEER_PYTHON' sharded_ablate.py '$work/ablate.yml' && sync '$work'/peer-out/*"; }
ortho() { clean; time_cmd ortho sh -c "$ORTHO ablate '$model' --direction '$dir' --components attn,mlp --out '$work/ortho-out' --no-progress && sync '$work'/ortho-out/*"; }

echo "peer vs ortho on $model ($runs runs each, alternating)..." >&2
cat "$model"/* > /dev/null
for i in $(seq "$runs"); do peer; ortho; done
# The agreement check needs both outputs: the peer's once more, untimed.
mv "$work/ortho-out" "$work/ortho-keep"; clean; mv "$work/ortho-keep" "$work/ortho-out"
(cd "$ORTHO_PEER_REPO" && "$ORTHO_PEER_PYTHON" sharded_ablate.py "$work/ablate.yml" >>"$work/stdout.log" 2>&1)

# Agreement: edited tensors within BF16 rounding, all others bit-identical. Where the edit nearly
# cancels a weight (output ~1e-8 from inputs ~1e-3) the two results are both rounding noise of
# different sizes, so the difference is measured in BF16 ulps of the larger of |input|, |peer|,
# |ortho| for that element: the rounding step of the computation, not of its near-zero result.
agree=$("$ORTHO_PEER_PYTHON" - "$model" "$work/peer-out" "$work/ortho-out" <<'PY'
import glob, os, sys
import torch
from safetensors import safe_open
model, peer, ortho = sys.argv[1:4]
edited = copied = total = same = 0
worst = 0.0; worst_name = ""; worst_abs = 0.0; copied_bad = []
for f in sorted(glob.glob(os.path.join(peer, "*.safetensors"))):
    name = os.path.basename(f)
    with safe_open(f, "pt") as a, safe_open(os.path.join(ortho, name), "pt") as b, \
         safe_open(os.path.join(model, name), "pt") as c:
        assert set(a.keys()) == set(b.keys()), f"tensor names differ in {name}"
        for k in a.keys():
            x, y = a.get_tensor(k), b.get_tensor(k)
            assert x.dtype == torch.bfloat16 and y.dtype == torch.bfloat16 and x.shape == y.shape, k
            if not (k.endswith("o_proj.weight") or k.endswith("down_proj.weight")):
                copied += 1
                if not torch.equal(x.view(torch.int16), y.view(torch.int16)): copied_bad.append(k)
                continue
            edited += 1
            # float32 holds every BF16 value exactly
            w = c.get_tensor(k).float(); x = x.float(); y = y.float()
            d = (x - y).abs()
            m = torch.maximum(w.abs(), torch.maximum(x.abs(), y.abs()))
            _, e = torch.frexp(m)
            ulp = torch.ldexp(torch.ones_like(m), e - 8)  # BF16 keeps 8 significant bits
            r = torch.where(d == 0, torch.zeros_like(d), d / ulp)
            if float(r.max()) > worst: worst, worst_name = float(r.max()), k
            worst_abs = max(worst_abs, float(d.max()))
            total += d.numel(); same += int((d == 0).sum())
ok = worst <= 1.0 and not copied_bad
print(f"{'OK' if ok else 'FAIL'} edited={edited} copied={copied} elements={total} max_ulps={worst:.2f} "
      f"at={worst_name} max_abs={worst_abs:.3g} identical={same} copied_mismatch={len(copied_bad)}")
sys.exit(0 if ok else 1)
PY
) || { echo "peer and ortho disagree: $agree" >&2; exit 1; }
echo "agreement: $agree" >&2

median() { sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f", m }'; }
minmax() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f–%.2f", lo, hi }'; }
col() { awk -v l="$1" -v c="$2" '$1 == l { print $c }' "$log"; }
cpu() { awk -v l="$1" '$1 == l { print $4 + $5 }' "$log" | median; }
rss() { col "$1" 3 | sort -n | tail -1 | awk '{ printf "%.0f MiB", $1 / 1024 }'; }
ratio=$(paste <(col peer 2) <(col ortho 2) | awk '{ print $1 / $2 }' | median)
ratio_mm=$(paste <(col peer 2) <(col ortho 2) | awk '{ print $1 / $2 }' | minmax)
read -r edited copied elements ulps at maxabs same <<< "$(echo "$agree" | tr '=' ' ' | awk '{ print $3, $5, $7, $9, $11, $13, $15 }')"

table=$(cat <<MD
| | median wall s | min–max | CPU s (median) | peak RSS |
|---|---|---|---|---|
| \`sharded_ablate.py ablate.yml && sync\` (torch $("$ORTHO_PEER_PYTHON" -c 'import torch; print(torch.__version__)'), float32) | $(col peer 2 | median) | $(col peer 2 | minmax) | $(cpu peer) | $(rss peer) |
| \`ortho ablate --components attn,mlp && sync\` (float64) | $(col ortho 2 | median) | $(col ortho 2 | minmax) | $(cpu ortho) | $(rss ortho) |
| speed-up peer / ortho (pairwise median) | **$ratio** | $ratio_mm | | |

Agreement ($edited edited tensors, $elements elements): largest difference **$ulps BF16 ulp** of the element's
scale (the larger of |input|, |peer|, |ortho|; at \`$at\`), largest absolute difference $maxabs; $same elements
are bit-identical; the $copied other tensors are bit-identical.
MD
)
echo "$table"
[ -n "$md" ] && echo "$table" > "$md"
rm -rf "$work/peer-out" "$work/ortho-out"
