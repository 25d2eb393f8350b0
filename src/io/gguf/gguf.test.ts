// GGUF files read as llama.cpp writes them: every ggml type dequantized to ggml's own values bit
// for bit, the container read as Hugging Face's GGUF parser reads it, and models converted as
// convert_hf_to_gguf.py converts them computing the PyTorch logits of the Hugging Face fixture
// they came from, with its tokenizer's ids — and llama.cpp's own ids and probabilities for the same
// files. Fixtures: python/gguf_fixtures.py, scripts/llamacpp-reference.mjs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gguf as hfGguf } from '@huggingface/gguf';
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../model/config.js';
import { TransformerLM } from '../../model/transformer.js';
import { noGrad } from '../../tensor/tensor.js';
import { relativeDiff } from '../../verify/fixture.js';
import { directoryReader } from '../hf/files-node.js';
import { fromBuffers, openHfModel, type HfModel } from '../hf/model.js';
import { readSafetensors } from '../safetensors.js';
import { dequantize, ggmlTypeName } from './dequantize.js';
import { readGgufHeader } from './gguf-file.js';
import { openGgufModel } from './gguf-model.js';

const GGUF = fileURLToPath(new URL('../../../fixtures/gguf/', import.meta.url));
const HF = fileURLToPath(new URL('../../../fixtures/hf/', import.meta.url));
const bytes = (file: string) => new Uint8Array(readFileSync(`${GGUF}${file}`));
const header = (b: Uint8Array, source = 'x.gguf') => readGgufHeader((s, e) => b.slice(s, e), b.length, source);
const open = (b: Uint8Array) => openGgufModel(fromBuffers({ 'm.gguf': b }, 'dir'), 'm.gguf');

const expected = (dir: string) => {
  const f = readSafetensors(new Uint8Array(readFileSync(`${HF}${dir}/expected.safetensors`)));
  return { ids: f.tensors.get('input_ids')!.data as Int32Array, logits: f.tensors.get('logits')!.data as Float64Array };
};

/** A copy of `b` with its bytes from `at` replaced. */
function patched(b: Uint8Array, at: number, put: number[]): Uint8Array {
  const out = b.slice();
  out.set(put, at);
  return out;
}

/** The byte offset of the first occurrence of `text` in `b`. */
function offsetOf(b: Uint8Array, text: string): number {
  const at = Buffer.from(b).indexOf(text);
  if (at < 0) throw new Error(`"${text}" not in the file`);
  return at;
}

/** The logits an opened model (a GGUF or Hugging Face import) gives for `ids`. */
function logitsOf(model: HfModel, ids: ArrayLike<number>, over: Partial<ModelConfig> = {}): Float32Array {
  const lm = new TransformerLM({ ...model.config, ...over }, null);
  lm.loadWeights(new Map(model.plan.params.map((p) => [p.name, model.read(p.name)])));
  return noGrad(() => lm.forward(Int32Array.from(ids), 1)).data;
}

/** The largest gap between our next-token probabilities and llama.cpp's top ones, over all positions. */
function worstGap(logits: Float32Array, V: number, tops: Array<Array<[number, number]>>): number {
  let worst = 0;
  tops.forEach((top, pos) => {
    const row = logits.subarray(pos * V, (pos + 1) * V);
    const max = Math.max(...row);
    const z = row.reduce((s, v) => s + Math.exp(v - max), 0);
    for (const [id, p] of top) worst = Math.max(worst, Math.abs(Math.exp(row[id]! - max) / z - p));
  });
  return worst;
}

describe('dequantization, against ggml itself', () => {
  const file = bytes('quants.gguf');
  // One matrix per type; the "wide-" ones are for the export's quantizers (gguf-export.test.ts).
  const tensors = [...header(file).tensors.values()].filter((t) => !t.name.startsWith('wide-'));
  const want = readSafetensors(bytes('quants-expected.safetensors')).tensors;

  it.each(tensors.map((t) => [ggmlTypeName(t.type), t] as const))(
    '%s gives the values ggml_get_type_traits(type)->to_float gives, bit for bit',
    (_, t) => {
      const got = dequantize(t.type, file.subarray(t.start, t.end), t.shape[0]! * t.shape[1]!);
      const ref = want.get(t.name)!.data as Float32Array;
      expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(ref.buffer, ref.byteOffset, ref.length));
    },
  );

  it('covers the 13 types of the common presets (Q4_K_M is Q4_K + Q6_K; Q5_K_M Q5_K + Q6_K)', () => {
    expect(tensors.map((t) => ggmlTypeName(t.type))).toEqual([
      'F32',
      'F16',
      'Q4_0',
      'Q4_1',
      'Q5_0',
      'Q5_1',
      'Q8_0',
      'Q2_K',
      'Q3_K',
      'Q4_K',
      'Q5_K',
      'Q6_K',
      'BF16',
    ]);
  });
});

describe("the container, as Hugging Face's GGUF parser (@huggingface/gguf) reads it", () => {
  it.each(['quants.gguf', 'llama-spm.gguf', 'llama31-rope-scaled.gguf'])(
    '%s: metadata and tensor infos',
    async (name) => {
      const ours = header(bytes(name));
      const theirs = await hfGguf(`${GGUF}${name}`, { allowLocalFile: true });
      const { version, tensor_count, kv_count, ...metadata } = theirs.metadata as Record<string, unknown>;
      expect(ours.version).toBe(version);
      expect(ours.tensors.size).toBe(Number(tensor_count));
      expect(ours.metadata.size).toBe(Number(kv_count));
      for (const [k, v] of Object.entries(metadata)) expect(ours.metadata.get(k), k).toEqual(v);
      for (const t of theirs.tensorInfos) {
        const mine = ours.tensors.get(t.name)!;
        expect(mine.shape, t.name).toEqual(t.shape.map(Number).reverse());
        expect(mine.type, t.name).toBe(t.dtype);
        expect(mine.start, t.name).toBe(Number(theirs.tensorDataOffset) + Number(t.offset));
      }
    },
  );
});

describe('models converted by convert_hf_to_gguf.py compute their Hugging Face logits', () => {
  it.each([
    ['llama-spm', 'Llama, SentencePiece vocabulary, query/key rows in rotary pairs'],
    ['qwen2-bf16', 'Qwen2, bf16, Q/K/V biases, tied head'],
    ['qwen3-bf16', 'Qwen3, bf16, query/key norms, head size 16 over d 32'],
    ['llama31-rope-scaled', "Llama 3.1's rope scaling as rope_freqs factors, byte-level BPE"],
    ['phi3-bf16', 'Phi-3: fused Q/K/V and gate/up, a sliding window of 16 over 24 positions'],
    ['phi35-longrope-bf16', "Phi-3.5's LongRoPE factor tensors and attention factor"],
    ['phi4-mini-bf16', 'Phi-4-mini: LongRoPE on the first 75% of each head'],
    ['smollm3-bf16', "SmolLM3: Llama's layout, every fourth layer without RoPE"],
  ])('%s (%s)', (fixture) => {
    const model = open(bytes(`${fixture}.gguf`));
    const { ids, logits } = expected(fixture);
    expect(relativeDiff(logitsOf(model, ids), Float32Array.from(logits))).toBeLessThan(1e-5);
  });

  it("each conversion step matters: Llama's query/key rows are stored paired, and rope_freqs moves the logits", () => {
    const file = bytes('llama-spm.gguf');
    const hf = openHfModel(directoryReader(`${HF}llama-spm`));
    const q = hf.plan.params.find((p) => p.recipe.from === 'model.layers.0.self_attn.q_proj.weight')!;
    const stored = header(file).tensors.get('blk.0.attn_q.weight')!;
    const raw = dequantize(stored.type, file.subarray(stored.start, stored.end), 32 * 32);
    expect(raw).not.toEqual(hf.read(q.name));
    expect(open(file).read(q.name)).toEqual(hf.read(q.name));

    const model = open(bytes('llama31-rope-scaled.gguf'));
    expect(model.config.ropeScaling).toMatchObject({ type: 'longrope' });
    const { ids, logits } = expected('llama31-rope-scaled');
    const unscaled = logitsOf(model, ids, { ropeScaling: null });
    expect(relativeDiff(unscaled, Float32Array.from(logits))).toBeGreaterThan(1e-3);
  });
});

describe('what llama.cpp itself makes of the same files (scripts/llamacpp-reference.mjs)', () => {
  const reference = JSON.parse(readFileSync(`${GGUF}llamacpp.json`, 'utf8')) as {
    texts: string[];
    models: Record<string, { tokens: number[][]; ids: number[]; top: Array<Array<[number, number]>> }>;
  };
  // llama.cpp keeps keys and values in f16 and, against bf16 weights, rounds activations to bf16,
  // against Q4_0 ones to Q8_0.
  it.each([
    ['llama-spm.gguf', 1e-3],
    ['llama-spm-q4_0.gguf', 1e-2],
    ['qwen2-bf16.gguf', 1e-2],
    ['qwen3-bf16.gguf', 1e-2],
    ['llama31-rope-scaled.gguf', 1e-3],
    ['exported-shared.gguf', 1e-3],
    ['bpe-gpt-2.gguf', 1e-2],
    ['bpe-smollm.gguf', 1e-2],
    ['gemma-bf16.gguf', 1e-2],
    ['gemma2-bf16.gguf', 1e-2],
    ['gemma3-bf16.gguf', 1e-2],
    ['phi3-bf16.gguf', 1e-2],
    ['smollm3-bf16.gguf', 1e-2],
  ])('%s: the same token ids, and next-token probabilities within %s', (file, tolerance) => {
    const ref = reference.models[file]!;
    const model = open(bytes(file));
    reference.texts.forEach((t, i) => {
      expect([...model.tokenizer.encode(t)], t).toEqual(ref.tokens[i]);
    });
    expect(worstGap(logitsOf(model, ref.ids), model.config.vocabSize, ref.top)).toBeLessThan(tolerance);
  });

  it("Q4_0: what is matched is the quantized model — the float one's probabilities are ten times further off", () => {
    const ref = reference.models['llama-spm-q4_0.gguf']!;
    const float = open(bytes('llama-spm.gguf'));
    expect(worstGap(logitsOf(float, ref.ids), float.config.vocabSize, ref.top)).toBeGreaterThan(5e-2);
  });
});

describe('the tokenizer from tokenizer.ggml.*, as the Hugging Face fixture tokenizes', () => {
  const texts = ['Hello world', 'To be, or not to be: that is the question.', "  it's 2024\n\nok ", 'naïve café 漢字'];
  it.each(['llama-spm', 'qwen2-bf16', 'llama31-rope-scaled', 'phi3-bf16'])(
    '%s, as its Hugging Face directory',
    (fixture) => {
      const ours = open(bytes(`${fixture}.gguf`)).tokenizer;
      const theirs = openHfModel(directoryReader(`${HF}${fixture}`)).tokenizer;
      for (const t of texts) expect([...ours.encode(t)], t).toEqual([...theirs.encode(t)]);
      expect(ours.bosId).toBe(theirs.bosId);
      expect(ours.eosId).toBe(theirs.eosId);
    },
  );
});

describe('what it refuses, naming the file and the key or tensor', () => {
  const llama = bytes('llama-spm.gguf');
  it('a file that is not GGUF, or a version it does not read', () => {
    expect(() => header(new TextEncoder().encode('{"not": "gguf", "padding": 123456789}'))).toThrow(
      /^x\.gguf: not a GGUF file \(it does not start with "GGUF"\)$/,
    );
    expect(() => header(patched(llama, 4, [1, 0, 0, 0]))).toThrow(
      /^x\.gguf: GGUF version 1; versions 2 and 3 are read/,
    );
  });

  it('a file cut short, inside the metadata or the tensor data', () => {
    expect(() => header(llama.slice(0, 5000))).toThrow(/^x\.gguf: ends at byte 5000 inside "tokenizer\.ggml\./);
    expect(() => header(llama.slice(0, llama.length - 100))).toThrow(
      /^x\.gguf: tensor "[a-z_.0-9]+" needs bytes \d+ to \d+, but the file has \d+$/,
    );
  });

  it('an architecture, a pre-tokenizer or a tensor type it does not read', () => {
    const arch = offsetOf(llama, 'llama\x0c'); // general.architecture's value "llama" precedes the next key's length
    expect(() => open(patched(llama, arch, [...Buffer.from('mamba')]))).toThrow(
      /^dir\/m\.gguf: general\.architecture is "mamba": the architectures read are llama, qwen2, qwen3, gemma, gemma2, gemma3, phi3, smollm3$/,
    );
    const qwen = bytes('qwen2-bf16.gguf');
    const pre = offsetOf(qwen, 'qwen2\x15'); // tokenizer.ggml.pre's value
    expect(() => open(patched(qwen, pre, [...Buffer.from('tekkn')]))).toThrow(
      /tokenizer\.ggml\.pre is "tekkn": the pre-tokenizers read are gpt-2, phi-2, mpt, olmo, llama-bpe, /,
    );
    const quants = bytes('quants.gguf');
    const info = offsetOf(quants, 'q4_k') + 4 + 4 + 16; // name, dimension count, two dimensions: the type
    expect(() => header(patched(quants, info, [23, 0, 0, 0]))).toThrow(
      /^x\.gguf: tensor "q4_k" has ggml type IQ4_XS \(23\), which is not read$/,
    );
  });

  it('a tensor that is not part of the architecture (mixture-of-experts layers)', () => {
    const at = offsetOf(llama, 'blk.0.ffn_gate.weight');
    expect(() => open(patched(llama, at, [...Buffer.from('blk.0.ffn_exps.weight')]))).toThrow(
      /tensor "blk\.0\.ffn_exps\.weight" is not one this import reads \(mixture-of-experts layers are not supported\)/,
    );
  });
});

describe('damaged files: a clear error, never a crash from deep inside', () => {
  // Bytes of the header flipped at random (seeded): every outcome is a model or an error that names
  // the file — never a RangeError or TypeError from the parser's internals.
  it.each(['llama-spm.gguf', 'qwen2-bf16.gguf', 'quants.gguf'])('%s, 300 random corruptions of its header', (name) => {
    const original = bytes(name);
    const headerEnd = Math.min(...[...header(original).tensors.values()].map((t) => t.start));
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const outcomes = new Map<string, number>();
    for (let trial = 0; trial < 300; trial++) {
      const b = original.slice();
      for (let k = 0; k < 1 + Math.floor(random() * 3); k++)
        b[Math.floor(random() * headerEnd)] = Math.floor(random() * 256);
      try {
        if (name === 'quants.gguf') header(b);
        else open(b);
        outcomes.set('read', (outcomes.get('read') ?? 0) + 1);
      } catch (e) {
        const err = e as Error;
        expect(
          ['GgufError', 'HfImportError', 'TokenizerError', 'ConfigError', 'SafetensorsError'],
          err.message,
        ).toContain(err.name);
        expect(err.message).toMatch(/^(dir\/m\.gguf|x\.gguf|m\.gguf)|tokenizer|config/);
        outcomes.set(err.name, (outcomes.get(err.name) ?? 0) + 1);
      }
    }
    expect(outcomes.get('GgufError')).toBeGreaterThan(0);
  });
});
