#!/usr/bin/env bash
# Reproduces the runtime figures of docs/benchmarks-runtime.md: a ~106M-parameter Llama-shaped BF16
# checkpoint (8 layers, hidden 768, intermediate 2048, vocab 32000, no tokenizer) run through the ONNX
# Runtime forward pass on this machine's CPU. Public tools only: bash, GNU time (/usr/bin/time -v), awk.
#
#   bench/runtime.sh [--runs N] [--data DIR]
#
# Each phase runs in its own JVM under /usr/bin/time -v (peak RSS = "Maximum resident set size"):
#   open      ModelRuntime.open + the first 1-token forward (builds the session; BF16 stays BF16 unless f32=true)
#   prefill   batch 16 x 64 tokens, last-position logits; 1 warm-up excluded, median of N
#   generate  greedy KV-cache decoding of 64 new tokens after a 16-token prompt, batch 1 and batch 16;
#             1 warm-up excluded, median of N
# The driver is dev.ortho.cli.RuntimeBench (editor-cli); raw output goes to DIR/runtime.log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. tools/find-jdk25.sh
ortho_find_jdk25
JAVA="$JAVA_HOME/bin/java"

runs=5; data="$root/bench-data"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$data"
log="$data/runtime.log"; : > "$log"

echo "building..." >&2
./mvnw -B -q -DskipTests package -pl editor-cli -am >&2
CP="$root/editor-cli/target/ortho.jar:$root/test-fixtures/target/classes"
# The same JVM flags as the ortho launcher script.
RUN="$JAVA --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -XX:+UseSerialGC -Xmn48m -cp $CP"
model="$data/llama-106m"
[ -f "$model/config.json" ] || $RUN dev.ortho.fixtures.LargeCheckpoint "$model" 8 768 2048 32000 >&2

phase() {
  echo "== $1" >> "$log"
  /usr/bin/time -v $RUN dev.ortho.cli.RuntimeBench "$model" "$1" "$runs" 16 64 >> "$log" 2> "$data/time-$1.txt"
  grep -E "Maximum resident set size|Elapsed \(wall clock\)" "$data/time-$1.txt" | sed 's/^\s*/    /' >> "$log"
}
cat "$model"/*.safetensors > /dev/null   # page cache warm: the figures are not disk-bound
for p in open prefill generate; do phase "$p"; done
# The open phase once more, to show its spread (session creation is a one-off per process).
for i in 2 3; do phase open; done
cat "$log"
