// Pinned weights on the wasm backend: products read them where they lie in module memory, with the
// same results as copying them in, and generation (which pins a model's weights) is unchanged.
import { describe, expect, it } from 'vitest';
import { generate } from '../../generate/generate.js';
import { TransformerLM } from '../../model/transformer.js';
import { Rng } from '../../tensor/random.js';
import { CharTokenizer } from '../../text/tokenizer.js';
import { backend, registerBackend, setBackend } from '../backend.js';
import { loadWasmBackend } from './index.js';

const wasm = loadWasmBackend().backend!;

describe('wasm backend: pinned arrays', () => {
  it('a product reading a pinned weight equals one that copies it in, before and after release', () => {
    const rng = new Rng(2);
    const [m, n, k] = [3, 40, 24];
    const a = rng.fillNormal(new Float32Array(m * k)),
      w = rng.fillNormal(new Float32Array(n * k));
    const args = {
      m,
      n,
      k,
      batch: 1,
      strideA: 0,
      strideB: 0,
      strideC: 0,
      transA: false,
      transB: true,
      accumulate: false,
    };
    const copied = new Float32Array(m * n),
      pinned = new Float32Array(m * n),
      after = new Float32Array(m * n);
    wasm.gemm(a, w, copied, args);
    const release = wasm.pin!([w]);
    wasm.gemm(a, w, pinned, args);
    expect(() => wasm.pin!([a])).toThrow(/pinned already/);
    release();
    wasm.gemm(a, w, after, args);
    expect([...pinned]).toEqual([...copied]);
    expect([...after]).toEqual([...copied]);
  });

  it('generation pins the weights and gives the same tokens as without', () => {
    const lm = new TransformerLM({ vocabSize: tok.vocabSize, layers: 2, dModel: 32, heads: 4, context: 32 }, 3);
    const { pinned, withPin, withoutPin } = generateWithAndWithoutPin(lm);
    expect(pinned.length).toBe(lm.params.size);
    expect(withPin).toEqual(withoutPin);
  });

  it('pins int8 weights and their scales too: the same tokens as copying them in', () => {
    const lm = new TransformerLM({ vocabSize: tok.vocabSize, layers: 2, dModel: 32, heads: 4, context: 32 }, 4);
    lm.quantizeWeights();
    const { pinned, withPin, withoutPin } = generateWithAndWithoutPin(lm);
    expect(pinned.filter((a) => a instanceof Int8Array).length).toBe(lm.quantized.size);
    expect(withPin).toEqual(withoutPin);
  });
});

const tok = CharTokenizer.fromText('abcdefgh ,.\n');

/** Greedy generation on wasm twice, with pinning (recording what was pinned) and with it switched off. */
function generateWithAndWithoutPin(lm: TransformerLM) {
  const previous = backend().name;
  registerBackend(wasm);
  const be = setBackend('wasm');
  const pin = be.pin!;
  let pinned: ReadonlyArray<Float32Array | Int8Array> = [];
  try {
    be.pin = (arrays) => {
      pinned = arrays;
      return pin(arrays);
    };
    const withPin = generate(lm, tok, 'abc', { maxTokens: 40, temperature: 0 }).ids;
    be.pin = undefined;
    const withoutPin = generate(lm, tok, 'abc', { maxTokens: 40, temperature: 0 }).ids;
    return { pinned, withPin, withoutPin };
  } finally {
    be.pin = pin;
    setBackend(previous);
  }
}
