#!/usr/bin/env bash
# Reproduces the performance figures of docs/benchmarks.md (P1 to P4) on this machine and rewrites
# that file. Public tools only: bash, GNU time (/usr/bin/time -v), cp, sync, awk, JMH.
#
#   bench/run.sh [--runs N] [--data DIR] [--skip-jmh] [--quick]
#
# It generates a >= 4 GiB BF16 Llama-shaped checkpoint (hidden 4096, intermediate 11008, 2 GiB
# shards) and one twice as large, under DIR (default ./bench-data, ~14 GiB of disk), then measures:
#   P1  ortho ablate vs cp -r of the same directory, each followed by sync, page cache warm (median of N)
#       and once with the cache dropped (when /proc/sys/vm/drop_caches is writable)
#   P2  peak RSS (/usr/bin/time -v) of the edit, for both checkpoints
#   P3  the kernel (JMH) against memcpy of the same bytes in the same JMH run
#   P4  ortho ablate with --hash sha256 vs --hash none
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. tools/find-jdk25.sh
ortho_find_jdk25
JAVA="$JAVA_HOME/bin/java"

runs=5; data="$root/bench-data"; jmh=1; quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
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

[ -d "$data/llama-4g" ] || $GEN "$data/llama-4g" 10 >&2
[ -d "$data/llama-8g" ] || $GEN "$data/llama-8g" 21 >&2
if [ ! -f "$data/dir4096.json" ]; then
  awk 'BEGIN { srand(7); printf "["; for (i = 0; i < 4096; i++) printf "%s%.17g", (i ? "," : ""), rand() - 0.5; print "]" }' > "$data/dir4096.json"
fi
size4=$(du -sb "$data/llama-4g" | cut -f1); size8=$(du -sb "$data/llama-8g" | cut -f1)

# time_cmd LABEL CMD...: appends "LABEL wall_s maxrss_kb" to $log
time_cmd() {
  local label="$1"; shift
  /usr/bin/time -f "%e %M %U %S" -o "$data/.t" "$@" >/dev/null 2>>"$data/stderr.log"
  echo "$label $(cat "$data/.t")" >> "$log"
}
ablate() { rm -rf "$data/o-out"; sync; time_cmd "$1" sh -c "$ORTHO ablate $2 --direction $data/dir4096.json --out $data/o-out --no-progress $3 && sync"; }
copy() { rm -rf "$data/cp-out"; sync; time_cmd "$1" sh -c "cp -r $2 $data/cp-out && sync"; }
warm() { cat "$1"/* > /dev/null; }
median() { sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f", m }'; }
minmax() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f–%.2f", lo, hi }'; }
col() { awk -v l="$1" -v c="$2" '$1 == l { print $c }' "$log"; }

echo "P1/P2/P4 on $data/llama-4g ($runs runs each, alternating)..." >&2
warm "$data/llama-4g"
for i in $(seq "$runs"); do
  copy cp4 "$data/llama-4g"
  ablate ortho4 "$data/llama-4g" ""
  ablate nohash4 "$data/llama-4g" "--hash none"
done
echo "P2 on $data/llama-8g..." >&2
warm "$data/llama-8g"
for i in $(seq "$(( quick ? 1 : 3 ))"); do
  copy cp8 "$data/llama-8g"
  ablate ortho8 "$data/llama-8g" ""
done
cold="not measured: /proc/sys/vm/drop_caches is not writable here"
if ( echo 3 > /proc/sys/vm/drop_caches ) 2>/dev/null; then
  sync; echo 3 > /proc/sys/vm/drop_caches; copy cpcold "$data/llama-4g"
  sync; echo 3 > /proc/sys/vm/drop_caches; ablate orthocold "$data/llama-4g" ""
  cold="cp $(col cpcold 2) s, ortho $(col orthocold 2) s, ratio $(awk -v a="$(col orthocold 2)" -v b="$(col cpcold 2)" 'BEGIN { printf "%.2f", a / b }')"
fi
rm -rf "$data/o-out" "$data/cp-out"

ratio() { paste <(col "$1" 2) <(col "$2" 2) | awk '{ print $1 / $2 }'; }
p1_ortho=$(col ortho4 2 | median); p1_cp=$(col cp4 2 | median); p1_ratio=$(ratio ortho4 cp4 | median)
p4_nohash=$(col nohash4 2 | median); p4_ratio=$(ratio ortho4 nohash4 | median)
rss4=$(col ortho4 3 | sort -n | tail -1); rss8=$(col ortho8 3 | sort -n | tail -1)
p8_ortho=$(col ortho8 2 | median); p8_cp=$(col cp8 2 | median)
cpu_of() { awk -v l="$1" '$1 == l { print $4 + $5 }' "$log" | median; }
p1_cpu=$(cpu_of ortho4); p4_cpu=$(cpu_of nohash4); cp_cpu=$(cpu_of cp4)

jmh_table="(skipped: --skip-jmh)"
if [ "$jmh" = 1 ]; then
  echo "P3: JMH (several minutes)..." >&2
  extra=""; [ "$quick" = 1 ] && extra="-wi 1 -i 2 -w 1 -r 1"
  # Every case of the issue: BF16, F16, F32; 4096x4096 in both layouts, 4096x11008, 11008x4096 and the
  # 151936x4096 embedding; 1 and 2 threads; the Vector API kernel and the scalar fallback; memcpy of the
  # same bytes in the same run. One 1 s warm-up and three 1 s measurements per case keep it near 10 min.
  $JAVA -jar bench/target/benchmarks.jar -rf csv -rff "$data/jmh.csv" -wi 1 -w 1 -i 3 -r 1 $extra > "$data/jmh.log" 2>&1
  jmh_table=$(bench/jmh-table.awk "$data/jmh.csv")
fi

cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
flags=$(grep -m1 -o -w -E 'avx2|avx512f|avx512_bf16|sha_ni|f16c' /proc/cpuinfo | sort -u | tr '\n' ' ')
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
fs=$(df -T "$data" | awk 'NR == 2 { print $2 }')

cat > "$out_md" <<MD
# Benchmarks

Produced by \`bench/run.sh\` on $(date -u +%Y-%m-%d). Every figure is a median of $runs runs with min–max,
and every comparison is a ratio taken side by side in the same run (runs alternate, so drift hits both).

## Machine

$(nproc) cores ($cpu; flags: $flags), $mem memory, output file system $fs, $("$JAVA" -version 2>&1 | head -n 1).

## Checkpoints

Generated BF16 Llama-shaped checkpoints (hidden 4096, intermediate 11008, vocab 32000, untied, 2 GiB shards):
\`llama-4g\` $(awk -v b="$size4" 'BEGIN { printf "%.2f GiB", b / 2^30 }') (10 layers), \`llama-8g\` $(awk -v b="$size8" 'BEGIN { printf "%.2f GiB", b / 2^30 }') (21 layers).
The edit touches 21 (resp. 43) tensors; everything else is copied.

## P1: ablate vs cp (target ≤ 1.15)

| | median wall s | min–max |
|---|---|---|
| \`cp -r llama-4g X && sync\` | $p1_cp | $(col cp4 2 | minmax) |
| \`ortho ablate llama-4g ... && sync\` | $p1_ortho | $(col ortho4 2 | minmax) |
| ratio (pairwise median) | **$p1_ratio** | $(ratio ortho4 cp4 | minmax) |

CPU seconds (user + sys, median): ortho $p1_cpu, ortho \`--hash none\` $p4_cpu, cp $cp_cpu.

Cold cache: $cold.

## P2: peak RSS (target ≤ 512 MiB, flat in model size)

| checkpoint | peak RSS (max over runs) | ortho wall s | cp wall s |
|---|---|---|---|
| llama-4g | $(awk -v k="$rss4" 'BEGIN { printf "%.0f MiB", k / 1024 }') | $p1_ortho | $p1_cp |
| llama-8g | $(awk -v k="$rss8" 'BEGIN { printf "%.0f MiB", k / 1024 }') | $p8_ortho | $p8_cp |

## P3: kernel vs memcpy (JMH, target ≥ 80 %)

$jmh_table

## P4: hashing (target ≤ 10 % of P1)

| | median wall s |
|---|---|
| \`--hash sha256\` (default) | $p1_ortho |
| \`--hash none\` | $p4_nohash (min–max $(col nohash4 2 | minmax)) |
| ratio sha256 / none | **$p4_ratio** |

## Commands

\`\`\`
cp -r DATA/llama-4g DATA/cp-out && sync
java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmn48m -jar editor-cli/target/ortho.jar \\
    ablate DATA/llama-4g --direction DATA/dir4096.json --out DATA/o-out --no-progress [--hash none] && sync
/usr/bin/time -f "%e %M %U %S" ...  # wall seconds, peak RSS, user and system CPU seconds
java -jar bench/target/benchmarks.jar -rf csv -wi 1 -w 1 -i 3 -r 1
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
