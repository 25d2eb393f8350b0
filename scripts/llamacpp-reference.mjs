// Writes fixtures/gguf/llamacpp.json: what llama.cpp itself makes of the GGUF model fixtures — the
// token ids its tokenizer gives for sample texts, and its next-token probabilities (the 20 largest
// at each position) for the first 16 ids of one of them — so the GGUF import is checked against the
// program the format belongs to, not only against the PyTorch logits of the models it came from.
//
// It first writes fixtures/gguf/exported-shared.gguf with shareformer itself (npm run build first):
// llama-spm.gguf imported, converted to one set of weights for both layers and one K/V head
// (--share-weights all --kv-heads 1, no uptraining), and exported with --to gguf --gguf-type f32 —
// so llama.cpp is also asked what it makes of a model shareformer made share.
//
// llama.cpp comes from node-llama-cpp (3.22.1, its prebuilt CPU build), which is not a dependency
// of shareformer. Install it apart, then run from the repository root:
//   mkdir -p /tmp/nlc && (cd /tmp/nlc && npm init -y >/dev/null && npm i node-llama-cpp@3.22.1)
//   NODE_LLAMA_CPP=/tmp/nlc/node_modules/node-llama-cpp node scripts/llamacpp-reference.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = resolve('fixtures/gguf');
const MODELS = [
  'llama-spm.gguf',
  'llama-spm-q4_0.gguf',
  'qwen2-bf16.gguf',
  'qwen3-bf16.gguf',
  'llama31-rope-scaled.gguf',
  'exported-shared.gguf',
  'bpe-gpt-2.gguf',
  'bpe-smollm.gguf',
  'gemma-bf16.gguf',
  'gemma2-bf16.gguf',
  'gemma3-bf16.gguf',
  // Phi-3 without LongRoPE only: with it llama.cpp takes the long factors once its context (256 at
  // least here) passes the original one, where the import reads the short ones.
  'phi3-bf16.gguf',
];
const TEXTS = [
  'Hello world',
  'To be, or not to be: that is the question.',
  "  it's 2024\n\nok ",
  'naïve café 漢字',
  "We'LL pay 12345 ducats,\tsir!!  \n  Done?",
];
const TOP = 20;
const POSITIONS = 16;

function writeExportedShared() {
  const tmp = mkdtempSync(join(tmpdir(), 'llamacpp-reference-'));
  const cli = (...args) => execFileSync(process.execPath, ['bin/shareformer.js', ...args], { stdio: 'inherit' });
  try {
    writeFileSync(join(tmp, 'calibration.txt'), 'To be, or not to be, that is the question. '.repeat(200));
    cli('import', '--from', join(dir, 'llama-spm.gguf'), '--out', join(tmp, 'imported'));
    cli(
      'convert',
      ...['--checkpoint', join(tmp, 'imported'), '--out', join(tmp, 'shared'), '--data', join(tmp, 'calibration.txt')],
      ...['--share-weights', 'all', '--kv-heads', '1'],
    );
    const out = ['--out', join(dir, 'exported-shared.gguf'), '--force'];
    cli('export', '--checkpoint', join(tmp, 'shared'), '--to', 'gguf', '--gguf-type', 'f32', ...out);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const where = process.env.NODE_LLAMA_CPP;
if (!where) {
  console.error('set NODE_LLAMA_CPP to an installed node-llama-cpp 3.22.1 (see this script header)');
  process.exit(1);
}
const { getLlama, LlamaLogLevel } = await import(pathToFileURL(join(where, 'dist/index.js')).href);
writeExportedShared();
const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
const out = { llamaCpp: 'node-llama-cpp 3.22.1 (prebuilt CPU build)', texts: TEXTS, models: {} };
for (const file of MODELS) {
  const model = await llama.loadModel({ modelPath: join(dir, file) });
  const tokens = TEXTS.map((t) => [...model.tokenize(t)]);
  const ids = tokens[1].slice(0, POSITIONS);
  const context = await model.createContext({ contextSize: 64, sequences: 1 });
  const evaluated = await context
    .getSequence()
    .controlledEvaluate(ids.map((t) => [t, { generateNext: { probabilities: true } }]));
  const top = evaluated.map((r) =>
    [...r.next.probabilities.entries()].slice(0, TOP).map(([id, p]) => [id, Number(p.toPrecision(7))]),
  );
  out.models[file] = { tokens, ids, top };
  await context.dispose();
  await model.dispose();
  console.log(`${file}: ${ids.length} positions`);
}
writeFileSync(join(dir, 'llamacpp.json'), `${JSON.stringify(out)}\n`);
console.log(`wrote ${join('fixtures/gguf', 'llamacpp.json')}`);
