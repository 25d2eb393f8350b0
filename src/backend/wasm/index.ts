// The wasm backend: matrix products (and the attention products built on them) run in a
// WebAssembly SIMD kernel (assembly/gemm.ts); other kernels are the reference ones. Works in Node
// and browsers: the module is embedded and compiled synchronously. Operands are copied into the
// module's memory per call, which costs O(n²) against the product's O(n³).
import type { AttentionDims, Backend, GemmArgs } from '../backend.js';
import { jsBackend } from '../js/index.js';
import { GEMM_WASM_BASE64 } from './binary.js';

interface Kernels {
  memory: WebAssembly.Memory;
  gemm(a: number, b: number, c: number, m: number, n: number, k: number, transA: number, transB: number, accumulate: number): void;
  setScratch(a: number, b: number, e: number): void;
  scratchBytes(): number;
  ensureMemory(bytes: number): number;
}

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  if (typeof atob === 'function') return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  throw new Error('no base64 decoder in this runtime');
}

export type WasmLoad = { backend: Backend } | { backend: null; reason: string };

export function loadWasmBackend(): WasmLoad {
  let k: Kernels;
  try {
    const module = new WebAssembly.Module(decodeBase64(GEMM_WASM_BASE64));
    k = new WebAssembly.Instance(module, {}).exports as unknown as Kernels;
  } catch (e) {
    return { backend: null, reason: `WebAssembly SIMD is not available here (${(e as Error).message})` };
  }
  // Memory layout: [scratch | A | B | C], grown on demand.
  // Scratch: packed A (MC×KC = 64×256 floats), packed B (KC×NC = 256×512), one 4×8 edge tile.
  const packA = 64, packB = packA + 64 * 256 * 4, edge = packB + 256 * 512 * 4;
  const base = packA + k.scratchBytes() + 64;
  k.ensureMemory(base);
  k.setScratch(packA, packB, edge);
  let heap = new Float32Array(k.memory.buffer);
  const reserve = (bytes: number) => {
    if (base + bytes > k.memory.buffer.byteLength) k.ensureMemory(base + bytes);
    if (heap.buffer !== k.memory.buffer) heap = new Float32Array(k.memory.buffer);
  };

  const gemm = (a: Float32Array, b: Float32Array, c: Float32Array, p: GemmArgs) => {
    const sizeA = p.m * p.k, sizeB = p.k * p.n, sizeC = p.m * p.n;
    reserve(4 * (sizeA + sizeB + sizeC));
    const offA = base / 4, offB = offA + sizeA, offC = offB + sizeB;
    for (let i = 0; i < p.batch; i++) {
      heap.set(a.subarray(i * p.strideA, i * p.strideA + sizeA), offA);
      if (i === 0 || p.strideB !== 0) heap.set(b.subarray(i * p.strideB, i * p.strideB + sizeB), offB);
      const add = p.accumulate || (p.strideC === 0 && i > 0);
      const cView = c.subarray(i * p.strideC, i * p.strideC + sizeC);
      if (add) heap.set(cView, offC);
      k.gemm(offA * 4, offB * 4, offC * 4, p.m, p.n, p.k, p.transA ? 1 : 0, p.transB ? 1 : 0, add ? 1 : 0);
      cView.set(heap.subarray(offC, offC + sizeC));
    }
  };

  return { backend: { ...jsBackend, name: 'wasm', gemm, ...attentionOnGemm(gemm) } };
}

/**
 * Attention as per-head matrix products plus masking loops, for backends whose matmul is fast
 * but whose scalar loops are not: S = scale·QKᵀ, P = softmax(mask(S)); O = P·V; and the backward
 * products dQ = dS·K, dK = dSᵀ·Q, dP = dO·Vᵀ, dV = Pᵀ·dO.
 */
export function attentionOnGemm(gemm: (a: Float32Array, b: Float32Array, c: Float32Array, p: GemmArgs) => void): Pick<Backend,
  'attentionProbs' | 'attentionProbsBackward' | 'attendValues' | 'attendValuesBackward'> {
  const one = (m: number, n: number, k: number, transA: boolean, transB: boolean, accumulate: boolean): GemmArgs =>
    ({ batch: 1, m, n, k, transA, transB, strideA: 0, strideB: 0, strideC: 0, accumulate });
  const last = (d: AttentionDims, t: number) => (d.causal ? d.tk - d.tq + t : d.tk - 1);
  const heads = (d: AttentionDims, fn: (qo: number, kvo: number, po: number) => void) => {
    const group = d.heads / d.kvHeads;
    for (let b = 0; b < d.batch; b++) for (let h = 0; h < d.heads; h++) {
      fn((b * d.heads + h) * d.tq * d.headDim, (b * d.kvHeads + Math.floor(h / group)) * d.kvStride * d.headDim, (b * d.heads + h) * d.tq * d.tk);
    }
  };
  let tmp = new Float32Array(0);
  const scratch = (n: number) => (tmp.length >= n ? tmp : (tmp = new Float32Array(n)));
  /** One head's probabilities with masked entries zeroed (they are the mask, not data). */
  const masked = (d: AttentionDims, probs: Float32Array, po: number): Float32Array => {
    const p = scratch(d.tq * d.tk);
    for (let t = 0; t < d.tq; t++) {
      const end = last(d, t) + 1;
      p.set(probs.subarray(po + t * d.tk, po + t * d.tk + end), t * d.tk);
      p.fill(0, t * d.tk + end, (t + 1) * d.tk);
    }
    return p;
  };
  return {
    attentionProbs: (q, k, d, probs) => heads(d, (qo, kvo, po) => {
      const P = probs.subarray(po, po + d.tq * d.tk);
      gemm(q.subarray(qo, qo + d.tq * d.headDim), k.subarray(kvo, kvo + d.tk * d.headDim), P, one(d.tq, d.tk, d.headDim, false, true, false));
      for (let t = 0; t < d.tq; t++) {
        const row = t * d.tk, end = last(d, t) + 1;
        let max = -Infinity, sum = 0;
        for (let s = 0; s < end; s++) { P[row + s] = P[row + s]! * d.scale; if (P[row + s]! > max) max = P[row + s]!; }
        for (let s = 0; s < end; s++) { const e = Math.exp(P[row + s]! - max); P[row + s] = e; sum += e; }
        for (let s = 0; s < end; s++) P[row + s] = P[row + s]! / sum;
        P.fill(0, row + end, row + d.tk);
      }
    }),
    attentionProbsBackward: (q, k, probs, g, d, dq, dk) => heads(d, (qo, kvo, po) => {
      const dS = scratch(d.tq * d.tk);
      for (let t = 0; t < d.tq; t++) {
        const row = po + t * d.tk, end = last(d, t) + 1;
        let dot = 0;
        for (let s = 0; s < end; s++) dot += probs[row + s]! * g[row + s]!;
        for (let s = 0; s < end; s++) dS[t * d.tk + s] = probs[row + s]! * (g[row + s]! - dot) * d.scale;
        dS.fill(0, t * d.tk + end, (t + 1) * d.tk);
      }
      const D = d.headDim;
      if (dq) gemm(dS, k.subarray(kvo, kvo + d.tk * D), dq.subarray(qo, qo + d.tq * D), one(d.tq, D, d.tk, false, false, true));
      if (dk) gemm(dS, q.subarray(qo, qo + d.tq * D), dk.subarray(kvo, kvo + d.tk * D), one(d.tk, D, d.tq, true, false, true));
    }),
    attendValues: (probs, v, d, out) => heads(d, (qo, kvo, po) => {
      const D = d.headDim;
      gemm(masked(d, probs, po), v.subarray(kvo, kvo + d.tk * D), out.subarray(qo, qo + d.tq * D), one(d.tq, D, d.tk, false, false, false));
    }),
    attendValuesBackward: (probs, v, g, d, dProbs, dv) => heads(d, (qo, kvo, po) => {
      const D = d.headDim, gq = g.subarray(qo, qo + d.tq * D);
      if (dProbs) {
        const dP = new Float32Array(d.tq * d.tk);
        gemm(gq, v.subarray(kvo, kvo + d.tk * D), dP, one(d.tq, d.tk, D, false, true, false));
        for (let t = 0; t < d.tq; t++) {
          const end = last(d, t) + 1;
          for (let s = 0; s < end; s++) dProbs[po + t * d.tk + s]! += dP[t * d.tk + s]!;
        }
      }
      if (dv) gemm(masked(d, probs, po), gq, dv.subarray(kvo, kvo + d.tk * D), one(d.tk, D, d.tq, true, false, true));
    }),
  };
}
