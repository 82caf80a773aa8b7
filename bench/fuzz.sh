#!/usr/bin/env bash
# Longer fuzzing than the build's short run: repeats the five Jazzer fuzzing executions (safetensors
# header JSON, whole safetensors files, shard index, .npy, .pt pickle) ROUNDS times. Every round
# starts from the corpus the previous rounds grew (.cifuzz-corpus/ in each module), so ROUNDS x 10 s
# is the fuzzing time per target. A finding fails the round: Jazzer saves the input under
# src/test/resources/.../<Test>Inputs/<method>/ and the regular build then replays it forever.
#
#   bench/fuzz.sh [ROUNDS]        (default 30: about 5 minutes of fuzzing per target)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. tools/find-jdk25.sh
ortho_find_jdk25
rounds="${1:-30}"
log="$root/bench-data/fuzz.log"
mkdir -p "$root/bench-data"
: > "$log"
findings=0
for r in $(seq 1 "$rounds"); do
  # -Dtest=NONE leaves only the fuzzing executions (their test is fixed in the pom) doing work.
  if ! ./mvnw -B -pl formats,editor-core test -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false >>"$log" 2>&1; then
    findings=$((findings + 1))
    echo "round $r: FINDING (see $log and the new files under src/test/resources)" >&2
  fi
  echo "round $r/$rounds done" >&2
done
echo
echo "| fuzzing execution | inputs executed (all rounds) |"
echo "|---|---|"
awk '/surefire:.*:test \(fuzz-/ { match($0, /\(fuzz-[a-z]+\)/); id = substr($0, RSTART + 1, RLENGTH - 2) }
     /^#[0-9]+[[:space:]]+DONE/ { n = substr($1, 2); sum[id] += n; total += n }
     END { for (k in sum) printf "| %s | %d |\n", k, sum[k]; printf "\nTotal: %d executions\n", total }' "$log"
echo "Rounds with a finding: $findings of $rounds"
