#!/usr/bin/env bash
# Reproduces the performance figures of docs/benchmarks.md (P1 to P4, the peer) on this machine and
# rewrites that file. Public tools only: bash, GNU time (/usr/bin/time -v), cp, sync, awk, JMH.
#
#   bench/run.sh [--runs N] [--peer-runs N] [--data DIR] [--skip-jmh] [--quick]
#
# It generates a 3.5 GiB BF16 Llama-shaped checkpoint (hidden 4096, intermediate 11008, vocab 32000,
# untied, 8 layers, 2 GiB shards: 2 shards) and one twice as deep, under DIR (default ./bench-data,
# ~11 GiB of disk), then measures, editing each layer's attention and MLP writers (o_proj, down_proj):
#   P1  ortho ablate (SHA-256, and --hash none) vs cp -r of the same directory, each followed by an
#       fsync of the files it wrote, page cache warm, runs alternating (median of N); once more with
#       the cache dropped (when /proc/sys/vm/drop_caches is writable); a 2-part scaled-out run
#       (--shard-group 0/2 and 1/2 side by side, then assemble)
#   P2  peak RSS (/usr/bin/time -v) of the edit, for both checkpoints
#   P3  the kernel (JMH) against memcpy of the same bytes in the same JMH run
#   P4  ortho ablate with --hash sha256 vs --hash none
#   peer  grimjim's sharded_ablate.py on the same checkpoint and writers (bench/peer.sh), when
#       ORTHO_PEER_REPO and ORTHO_PEER_PYTHON are set
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. tools/find-jdk25.sh
ortho_find_jdk25
JAVA="$JAVA_HOME/bin/java"

runs=5; peer_runs=""; data="$root/bench-data"; jmh=1; quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --peer-runs) peer_runs="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --skip-jmh) jmh=0; shift ;;
    --quick) quick=1; runs=3; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$data"
out_md="$root/docs/benchmarks.md"
log="$data/run.log"; : > "$log"

echo "building..." >&2
./mvnw -B -q -DskipTests package >&2
ORTHO="$JAVA --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmn48m -jar $root/editor-cli/target/ortho.jar"
GEN="$JAVA --enable-native-access=ALL-UNNAMED -cp $root/editor-cli/target/ortho.jar:$root/test-fixtures/target/classes dev.ortho.fixtures.LargeCheckpoint"
EDIT="--components attn,mlp"
small="$data/llama-8l"; large="$data/llama-16l"

[ -d "$small" ] || $GEN "$small" 8 >&2
[ -d "$large" ] || $GEN "$large" 16 >&2
if [ ! -f "$data/dir4096.json" ]; then
  awk 'BEGIN { srand(7); printf "["; for (i = 0; i < 4096; i++) printf "%s%.17g", (i ? "," : ""), rand() - 0.5; print "]" }' > "$data/dir4096.json"
fi
size_s=$(du -sb "$small" | cut -f1); size_l=$(du -sb "$large" | cut -f1)
edited_s=$(ls "$small"/*.safetensors | wc -l)

# time_cmd LABEL CMD...: appends "LABEL wall_s maxrss_kb user_s sys_s" to $log
time_cmd() {
  local label="$1"; shift
  /usr/bin/time -f "%e %M %U %S" -o "$data/.t" "$@" >/dev/null 2>>"$data/stderr.log"
  echo "$label $(cat "$data/.t")" >> "$log"
}
# Each command is followed by an fsync of the files it wrote (sync FILE...), not a global sync that
# would also wait for other processes' writes.
# Every timed run starts with no output of any run on disk: a 3.5 GiB output left in the page cache made the
# next run reclaim memory as it wrote, whichever tool it was.
clean() { rm -rf "$data/o-out" "$data/cp-out" "$data/parts" "$data/p-out"; sync; }
ablate() { clean; time_cmd "$1" sh -c "$ORTHO ablate $2 --direction $data/dir4096.json $EDIT --out $data/o-out --no-progress $3 && sync $data/o-out/*"; }
copy() { clean; time_cmd "$1" sh -c "cp -r $2 $data/cp-out && sync $data/cp-out/*"; }
parts() {
  clean; mkdir -p "$data/parts"
  time_cmd "$1" sh -c "( $ORTHO ablate $2 --direction $data/dir4096.json $EDIT --shard-group 0/2 --out $data/parts --no-progress & \
    $ORTHO ablate $2 --direction $data/dir4096.json $EDIT --shard-group 1/2 --out $data/parts --no-progress & wait ) && \
    $ORTHO assemble $data/parts --out $data/p-out && sync $data/p-out/*"
}
warm() { cat "$1"/* > /dev/null; }
median() { sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f", m }'; }
minmax() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f–%.2f", lo, hi }'; }
col() { awk -v l="$1" -v c="$2" '$1 == l { print $c }' "$log"; }

echo "P1/P2/P4 on $small ($runs runs each, alternating)..." >&2
warm "$small"
for i in $(seq "$runs"); do
  copy cp "$small"
  ablate ortho "$small" ""
  ablate nohash "$small" "--hash none"
done
echo "scale-out: 2 parts + assemble..." >&2
for i in $(seq "$(( quick ? 1 : 2 ))"); do parts parts "$small"; done
echo "P2 on $large..." >&2
warm "$large"
copy cpL "$large"
ablate orthoL "$large" ""
cold="not measured: /proc/sys/vm/drop_caches is not writable here"
if ( echo 3 > /proc/sys/vm/drop_caches ) 2>/dev/null; then
  echo "cold cache..." >&2
  for i in $(seq "$(( quick ? 1 : 2 ))"); do
    sync; echo 3 > /proc/sys/vm/drop_caches; copy cpcold "$small"
    sync; echo 3 > /proc/sys/vm/drop_caches; ablate orthocold "$small" ""
  done
  cold="caches dropped before each run (\`echo 3 > /proc/sys/vm/drop_caches\`), $(col cpcold 2 | wc -l) runs each: cp $(col cpcold 2 | median) s, ortho $(col orthocold 2 | median) s, ratio (pairwise median) $(paste <(col orthocold 2) <(col cpcold 2) | awk '{ print $1 / $2 }' | median)"
fi
rm -rf "$data/o-out" "$data/cp-out" "$data/parts" "$data/p-out"

peer_md="(not run: set ORTHO_PEER_REPO to a checkout of github.com/jim-plus/llm-abliteration and ORTHO_PEER_PYTHON to a Python with torch, transformers, safetensors, pyyaml and tqdm)"
if [ -n "${ORTHO_PEER_REPO:-}" ] && [ -n "${ORTHO_PEER_PYTHON:-}" ]; then
  bench/peer.sh --runs "${peer_runs:-$runs}" --model "$small" --direction "$data/dir4096.json" --data "$data" --md "$data/peer.md" >&2
  peer_md=$(cat "$data/peer.md")
fi

ratio() { paste <(col "$1" 2) <(col "$2" 2) | awk '{ print $1 / $2 }'; }
p1_ortho=$(col ortho 2 | median); p1_cp=$(col cp 2 | median); p1_ratio=$(ratio ortho cp | median)
p4_nohash=$(col nohash 2 | median); p4_ratio=$(ratio ortho nohash | median); nohash_ratio=$(ratio nohash cp | median)
parts_wall=$(col parts 2 | median)
rss_s=$(col ortho 3 | sort -n | tail -1); rss_l=$(col orthoL 3 | sort -n | tail -1); rss_n=$(col nohash 3 | sort -n | tail -1)
pl_ortho=$(col orthoL 2 | median); pl_cp=$(col cpL 2 | median)
cpu_of() { awk -v l="$1" '$1 == l { print $4 + $5 }' "$log" | median; }
user_of() { col "$1" 4 | median; }
sys_of() { col "$1" 5 | median; }

jmh_table="(skipped: --skip-jmh)"
if [ "$jmh" = 1 ]; then
  echo "P3: JMH..." >&2
  extra=""; [ "$quick" = 1 ] && extra="-wi 1 -i 2 -w 1 -r 1"
  # The edit's shapes (o_proj 4096x4096 and down_proj 4096x11008 in the COLUMNS layout; 11008x4096
  # ROWS as for up/gate-like rows), BF16 and F16, one kernel thread: the per-thread rate of P3, with
  # memcpy of the same bytes in the same run.
  $JAVA -Djmh.ignoreLock=true -jar bench/target/benchmarks.jar '^dev\.ortho\.bench\.(Projection|Memcpy)Benchmark\.' -rf csv -rff "$data/jmh.csv" -wi 2 -w 1 -i 5 -r 1 \
      -p tensor=4096x4096/COLUMNS,4096x11008/COLUMNS,11008x4096/ROWS -p dtype=BF16,F16 -p threads=1 -p arithmetic=panama \
      $extra > "$data/jmh.log" 2>&1
  jmh_table=$(bench/jmh-table.awk "$data/jmh.csv")
fi

cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
flags=$(grep -m1 -o -w -E 'avx2|avx512f|avx512_bf16|sha_ni|f16c' /proc/cpuinfo | sort -u | tr '\n' ' ')
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
fs=$(df -T "$data" | awk 'NR == 2 { print $2 }')

load=$(cut -d' ' -f1-3 /proc/loadavg)
cat > "$out_md" <<MD
# Benchmarks

Produced by \`bench/run.sh\` on $(date -u +%Y-%m-%d). Every figure is a median of $runs runs with min–max,
and every comparison is a ratio taken side by side in the same run (runs alternate, so drift hits both).

## Machine

$(nproc) cores ($cpu; flags: $flags), $mem memory, output file system $fs, $("$JAVA" -version 2>&1 | head -n 1).
Load average when the run ended: $load (the machine is shared; see the notes in docs/performance.md).

## Checkpoints

Generated BF16 Llama-shaped checkpoints (hidden 4096, intermediate 11008, vocab 32000, untied, 2 GiB shards):
\`llama-8l\` $(awk -v b="$size_s" 'BEGIN { printf "%.2f GiB", b / 2^30 }') (8 layers, $edited_s shards), \`llama-16l\` $(awk -v b="$size_l" 'BEGIN { printf "%.2f GiB", b / 2^30 }') (16 layers).
The edit is \`--components attn,mlp\` (each layer's \`o_proj\` and \`down_proj\`, as the peer edits): 16 (resp. 32)
tensors, 1.0 GB (resp. 2.0 GB); everything else is copied.

## P1: ablate vs cp (targets: SHA-256 ≤ 1.5, \`--hash none\` ≤ 1.15)

| | median wall s | min–max | user s | sys s |
|---|---|---|---|---|
| \`cp -r llama-8l X && sync X/*\` | $p1_cp | $(col cp 2 | minmax) | $(user_of cp) | $(sys_of cp) |
| \`ortho ablate llama-8l ... && sync X/*\` (SHA-256) | $p1_ortho | $(col ortho 2 | minmax) | $(user_of ortho) | $(sys_of ortho) |
| \`ortho ablate ... --hash none && sync X/*\` | $p4_nohash | $(col nohash 2 | minmax) | $(user_of nohash) | $(sys_of nohash) |
| ratio ortho / cp (pairwise median) | **$p1_ratio** | $(ratio ortho cp | minmax) | | |
| ratio ortho \`--hash none\` / cp (pairwise median) | **$nohash_ratio** | $(ratio nohash cp | minmax) | | |

CPU seconds (user + sys, median): ortho $(cpu_of ortho), ortho \`--hash none\` $(cpu_of nohash), cp $(cpu_of cp).

Scale-out, the same edit as 2 parts (\`--shard-group 0/2\` and \`1/2\` side by side on this machine, then
\`ortho assemble\`): $parts_wall s wall (median of $(col parts 2 | wc -l); min–max $(col parts 2 | minmax)), against $p1_ortho s for the single run.

Cold cache: $cold.

## Peer: grimjim's sharded_ablate.py (target: ortho ≥ 3 × faster)

Same checkpoint, same writers (every layer's \`o_proj\` and \`down_proj\`, scale 1), runs alternating (\`bench/peer.sh\`):

$peer_md

## P2: peak RSS (target ≤ 512 MiB, flat in model size)

| checkpoint | peak RSS (max over runs) | ortho wall s | cp wall s |
|---|---|---|---|
| llama-8l | $(awk -v k="$rss_s" 'BEGIN { printf "%.0f MiB", k / 1024 }') (\`--hash none\`: $(awk -v k="$rss_n" 'BEGIN { printf "%.0f MiB", k / 1024 }')) | $p1_ortho | $p1_cp |
| llama-16l | $(awk -v k="$rss_l" 'BEGIN { printf "%.0f MiB", k / 1024 }') | $pl_ortho | $pl_cp |

## P3: kernel vs memcpy (JMH, one thread; target BF16 ≥ 3 GB/s per thread)

$jmh_table

## P4: hashing

| | median wall s |
|---|---|
| \`--hash sha256\` (default) | $p1_ortho |
| \`--hash none\` | $p4_nohash (min–max $(col nohash 2 | minmax)) |
| ratio sha256 / none | **$p4_ratio** |

## Commands

\`\`\`
cp -r DATA/llama-8l DATA/cp-out && sync DATA/cp-out/*
java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmn48m -jar editor-cli/target/ortho.jar \\
    ablate DATA/llama-8l --direction DATA/dir4096.json --components attn,mlp --out DATA/o-out --no-progress [--hash none] \\
    && sync DATA/o-out/*
ortho ablate ... --shard-group 0/2 --out DATA/parts & ortho ablate ... --shard-group 1/2 --out DATA/parts & wait
ortho assemble DATA/parts --out DATA/p-out && sync DATA/p-out/*
/usr/bin/time -f "%e %M %U %S" ...  # wall seconds, peak RSS, user and system CPU seconds
java -jar bench/target/benchmarks.jar '^dev\.ortho\.bench\.(Projection|Memcpy)Benchmark\.' -rf csv -wi 2 -w 1 -i 5 -r 1 -p tensor=... -p dtype=BF16,F16 -p threads=1 -p arithmetic=panama
ORTHO_PEER_REPO=... ORTHO_PEER_PYTHON=... bench/peer.sh --runs N --model DATA/llama-8l --direction DATA/dir4096.json --data DATA
\`\`\`

See docs/performance.md for where the time goes.
MD
# The runtime's and the pipeline's figures are measured by their own scripts and kept in their own files
# (bench/runtime.sh -> docs/benchmarks-runtime.md; the organism stage table of docs/pipeline.md); they are
# copied in here so that this file holds every benchmark of the project.
{
  echo
  sed -e '1s/^# /## /' -e '2,$s/^## /### /' "$root/docs/benchmarks-runtime.md"
  echo
  awk '/^## Wall time and memory/ { on = 1; sub(/^## /, "## Pipeline stages: "); print; next }
       on && /^## / { exit } on { print }' "$root/docs/pipeline.md"
} >> "$out_md"
echo "wrote $out_md" >&2
