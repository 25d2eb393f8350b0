#!/usr/bin/env bash
# Kills a training run with SIGKILL at the N-th call of each file-system syscall (strace fault
# injection), twice in a row over consecutive checkpoint saves, and checks after every pair that
# the run still loads (`eval`) and then resumes to completion. Prints counts; exits non-zero if
# any run was left unloadable. Needs strace and `npm run build`. Usage: scripts/kill-loop.sh [max N=12]
set -u
cd "$(dirname "$0")/.."
MAX=${1:-12}
BIN="node bin/shareformer.js"
FLAGS="--data synthetic:copy --layers 2 --d-model 32 --heads 2 --context 32 --batch 4 --eval-every 0 --eval-windows 4 --backend js --quiet"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
total=0; killed=0; unloadable=0; unresumable=0
for call in rename unlink unlinkat rmdir mkdir openat fsync; do
  for n in $(seq 1 "$MAX"); do
    m=$(( (n * 7 + ${#call}) % MAX + 1 ))
    dir="$work/$call-$n"
    $BIN train $FLAGS --steps 8 --stop-at 1 --out "$dir" >/dev/null 2>&1 || { echo "setup failed"; exit 2; }
    (strace -f -o /dev/null -e inject="$call":signal=SIGKILL:when="$n" $BIN train --resume "$dir" --stop-at 3 --checkpoint-every 1 --quiet >/dev/null 2>&1) 2>/dev/null
    [ $? -eq 137 ] && killed=$((killed + 1))
    (strace -f -o /dev/null -e inject="$call":signal=SIGKILL:when="$m" $BIN train --resume "$dir" --stop-at 5 --checkpoint-every 1 --quiet >/dev/null 2>&1) 2>/dev/null
    [ $? -eq 137 ] && killed=$((killed + 1))
    total=$((total + 1))
    if ! $BIN eval --checkpoint "$dir" --data synthetic:copy --max-windows 2 --json >/dev/null 2>"$work/err"; then
      unloadable=$((unloadable + 1)); echo "unloadable after $call #$n then #$m: $(head -c 200 "$work/err")"
    elif ! $BIN train --resume "$dir" --quiet >/dev/null 2>"$work/err"; then
      unresumable=$((unresumable + 1)); echo "not resumable after $call #$n then #$m: $(head -c 200 "$work/err")"
    fi
  done
done
echo "{\"pairs\":$total,\"kills\":$killed,\"unloadable\":$unloadable,\"unresumable\":$unresumable}"
[ "$unloadable" -eq 0 ] && [ "$unresumable" -eq 0 ]
