#!/usr/bin/env bash
# The mixture-of-experts dispatch benchmark of docs/benchmarks-runtime.md: a generated Mixtral-shaped
# BF16 checkpoint (8 experts, top-2; 4 layers, hidden 512, expert intermediate 1408, vocab 8000) run
# through the ONNX Runtime forward pass, prefill and KV-cache generation, with this build's top-k
# dispatch and, when a baseline jar is given, with that build (e.g. one from before the dispatch,
# which ran every expert on every token).
#
#   bench/runtime-moe.sh [--runs N] [--data DIR] [--baseline-jar JAR]
#
# Phases and the driver (dev.ortho.cli.RuntimeBench) are those of bench/runtime.sh; raw output goes
# to DIR/runtime-moe.log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. tools/find-jdk25.sh
ortho_find_jdk25
JAVA="$JAVA_HOME/bin/java"

runs=5; data="$root/bench-data"; baseline=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --baseline-jar) baseline="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$data"
log="$data/runtime-moe.log"; : > "$log"

echo "building..." >&2
./mvnw -B -q -DskipTests package -pl editor-cli -am >&2
FLAGS="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -XX:+UseSerialGC -Xmn48m"
CP="$root/editor-cli/target/ortho.jar:$root/test-fixtures/target/classes"
model="$data/mixtral-8x-82m"
[ -f "$model/config.json" ] || $JAVA $FLAGS -cp "$CP" dev.ortho.fixtures.MoeCheckpoint "$model" 4 512 1408 8 2 8000 >&2
cat "$model"/*.safetensors > /dev/null   # page cache warm

run() { # label classpath phase
  echo "== $1 $3" >> "$log"
  /usr/bin/time -v $JAVA $FLAGS -cp "$2" dev.ortho.cli.RuntimeBench "$model" "$3" "$runs" 16 64 >> "$log" 2> "$data/time-moe.txt"
  grep -E "Maximum resident set size" "$data/time-moe.txt" | sed 's/^\s*/    /' >> "$log"
}
for p in prefill generate; do
  run dispatch "$CP" "$p"
  [ -z "$baseline" ] || run baseline "$baseline" "$p"
done
cat "$log"
