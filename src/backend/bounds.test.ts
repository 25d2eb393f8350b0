// Kernels that trust their sizes (native C, WebAssembly memory) refuse sizes their arrays do not
// cover: a lying call throws a RangeError naming the kernel and the array, instead of crashing,
// corrupting the heap, or returning values left in module memory by the previous call.
import { describe, expect, it } from 'vitest';
import type { AttentionDims, Backend } from './backend.js';
import { loadNativeBackend } from './native/index.js';
import { loadWasmBackend } from './wasm/index.js';

const f = (n: number) => new Float32Array(n);
const native = loadNativeBackend();
const wasm = loadWasmBackend();
const gemmArgs = (m: number, n: number, k: number, batch = 1) => ({
  batch,
  m,
  n,
  k,
  transA: false,
  transB: false,
  strideA: m * k,
  strideB: k * n,
  strideC: m * n,
  accumulate: false,
});
const dims = (over: Partial<AttentionDims> = {}): AttentionDims => ({
  batch: 1,
  heads: 2,
  kvHeads: 1,
  tq: 4,
  tk: 4,
  kvStride: 4,
  headDim: 8,
  scale: 0.3,
  causal: true,
  ...over,
});

describe.each([
  ['native', native.backend, native.backend ? '' : `not built: ${(native as { reason: string }).reason}`],
  ['wasm', wasm.backend, wasm.backend ? '' : `unavailable: ${(wasm as { reason: string }).reason}`],
] as Array<[string, Backend | null, string]>)('%s backend bounds', (name, b, why) => {
  it.skipIf(!b)(`gemm with sizes larger than its arrays throws${why ? ` (skipped: ${name} ${why})` : ''}`, () => {
    expect(() => b!.gemm(f(4), f(4), f(4), gemmArgs(4096, 4096, 4096))).toThrow(
      /gemm.*a has 4 elements, the sizes need 16777216/,
    );
    expect(() => b!.gemm(f(16), f(16), f(15), gemmArgs(4, 4, 4))).toThrow(/c has 15 elements, the sizes need 16/);
    expect(() => b!.gemm(f(32), f(16), f(32), gemmArgs(4, 4, 4, 2))).toThrow(/b has 16 elements, the sizes need 32/);
  });

  it.skipIf(!b)(
    `a product computed right after a refused one uses only its own operands${why ? ` (skipped: ${name} ${why})` : ''}`,
    () => {
      const c = f(4);
      b!.gemm(Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 0, 0, 1), c, gemmArgs(2, 2, 2));
      expect([...c]).toEqual([1, 2, 3, 4]);
      expect(() => b!.gemm(f(1), f(1), c, gemmArgs(2, 2, 2))).toThrow(RangeError);
    },
  );

  it.skipIf(!b)(
    `attention, normalisation, softmax, loss, optimizer and reductions check their arrays${why ? ` (skipped: ${name} ${why})` : ''}`,
    () => {
      const d = dims();
      expect(() => b!.attentionProbs(f(8), f(32), d, f(32))).toThrow(/q has 8 elements, the sizes need 64/);
      expect(() => b!.attentionProbs(f(64), f(32), dims({ kvStride: 1 << 20 }), f(32))).toThrow(RangeError);
      expect(() => b!.attendValues(f(32), f(32), d, f(8))).toThrow(/out has 8 elements, the sizes need 64/);
      expect(() => b!.attendValuesBackward(f(32), f(32), f(64), d, null, f(4))).toThrow(
        /dv has 4 elements, the sizes need 32/,
      );
      if (name === 'native') {
        // The pointwise kernels below are native C; the wasm backend runs the reference ones.
        expect(() => b!.layerNorm(f(4), f(4), null, 1000, 4, 1e-5, f(4000), f(1000), f(1000))).toThrow(
          /layerNorm: x has 4 elements, the sizes need 4000/,
        );
        expect(() => b!.softmax(f(4), 1000, 1000, f(4))).toThrow(/softmax: x has 4 elements, the sizes need 1000000/);
        expect(() => b!.crossEntropy(f(4), Int32Array.of(0, 1), 2, 2, -1)).not.toThrow();
        expect(() => b!.crossEntropy(f(4), Int32Array.of(0, 7), 2, 2, -1)).toThrow(
          /target 7 of row 1 is outside the vocabulary of 2/,
        );
        expect(() => b!.crossEntropy(f(4), Int32Array.of(0), 2, 2, -1)).toThrow(
          /targets has 1 elements, the sizes need 2/,
        );
        const args = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 1 };
        expect(() => b!.adamw(f(1000), f(4), f(1000), f(1000), args)).toThrow(
          /adamw: grad has 4 elements, the sizes need 1000/,
        );
        expect(() => b!.sumAxis(f(4), 100, 100, 100, f(4), false)).toThrow(
          /sumAxis: x has 4 elements, the sizes need 1000000/,
        );
        expect(() => b!.sumAxis(f(4), -1, 2, 2, f(4), false)).toThrow(/sizes must be non-negative/);
        expect(() => b!.binary('add', f(3), f(4), f(8))).toThrow(/each operand's length must divide the output's/);
        expect(() => b!.layerNormBackward(f(8), f(4), f(2), f(2), f(8), 2, 4, f(8), f(2), null)).toThrow(
          /dGamma has 2 elements, the sizes need 4/,
        );
        expect(() => b!.rmsNorm(f(8), f(4), 1000, 4, 1e-6, f(4000), f(1000))).toThrow(
          /rmsNorm: x has 8 elements, the sizes need 4000/,
        );
        expect(() => b!.rmsNormBackward(f(8), f(4), f(2), f(8), 2, 4, null, f(2))).toThrow(
          /rmsNormBackward: dGamma has 2 elements, the sizes need 4/,
        );
        expect(() => b!.silu(f(1000), f(10))).toThrow(/silu: out has 10 elements, the sizes need 1000/);
        expect(() => b!.siluBackward(f(1000), f(1000), f(10))).toThrow(/dx has 10 elements, the sizes need 1000/);
        const inv = (n: number) => new Float64Array(n).fill(0.5);
        expect(() => b!.rope(f(128), 2, 4, 16, 0, inv(8), f(32))).toThrow(
          /rope: out has 32 elements, the sizes need 128/,
        );
        // Fewer pairs than the head holds rotate its first dimensions (partial rotary); more cannot.
        expect(() => b!.rope(f(128), 2, 4, 16, 0, inv(9), f(128))).toThrow(/invFreq must hold 1 to head size \/ 2/);
        expect(() => b!.ropeBackward(f(64), 1 << 30, 1 << 30, 1 << 30, 0, inv(8), f(64))).toThrow(RangeError);
      }
    },
  );
});
