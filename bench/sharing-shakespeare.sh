#!/usr/bin/env bash
# Trains the same 6-layer model on tinyshakespeare under six sharing plans, same budget and seed,
# and writes a table of parameters, KV bytes per token, validation loss and tokens/s.
# Usage: bash bench/sharing-shakespeare.sh [steps] [out-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-400}
OUT=${2:-runs/sharing}
DATA=${SHAREFORMER_DATA:-../shared/data/tinyshakespeare.txt}
[ -f "$DATA" ] || { echo "no $DATA: set SHAREFORMER_DATA to a text file" >&2; exit 1; }
COMMON=(--data "$DATA" --layers 6 --d-model 192 --heads 6 --context 128 --batch 16 --steps "$STEPS" --lr 3e-3 --warmup 40 --eval-every 0 --eval-windows 256 --seed 1337 --json --quiet)
declare -A PLANS=(
  [none]=""
  [weights-all]="--share-weights all"
  [weights-cycle3]="--share-weights cycle:3"
  [kv-heads-2]="--kv-heads 2"
  [cla2]="--share-kv cla:2"
  [attention-group2]="--share-attention group:2"
)
mkdir -p "$OUT"
for name in none weights-all weights-cycle3 kv-heads-2 cla2 attention-group2; do
  # shellcheck disable=SC2086
  node bin/shareformer.js train "${COMMON[@]}" ${PLANS[$name]} --out "$OUT/$name" > "$OUT/$name.json"
  echo "$name: $(cat "$OUT/$name.json")" >&2
done
node -e '
const fs = require("fs"); const out = process.argv[1];
const rows = ["none","weights-all","weights-cycle3","kv-heads-2","cla2","attention-group2"].map((n) => [n, JSON.parse(fs.readFileSync(`${out}/${n}.json`, "utf8"))]);
const lines = ["| plan | parameters | KV bytes/token | val loss | val bits/char | tokens/s |", "|---|---:|---:|---:|---:|---:|"];
for (const [n, r] of rows) lines.push(`| ${n} | ${r.parameters.toLocaleString("en")} | ${r.kv_bytes_per_token.toLocaleString("en")} | ${r.final_val_loss.toFixed(4)} | ${r.val_bpc.toFixed(3)} | ${Math.round(r.tokens_per_s).toLocaleString("en")} |`);
fs.writeFileSync(`${out}/table.md`, lines.join("\n") + "\n"); console.log(lines.join("\n"));
' "$OUT"
