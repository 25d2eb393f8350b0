// Node-only: the native backend. Matrix products and attention go to OpenBLAS through a Node-API
// addon (native/*.c, built at install time), with C loops for the hottest pointwise kernels
// (GPT's and Llama's blocks alike: norms, GELU, SiLU, the rotary embedding, softmax, the loss,
// AdamW), all spread over the addon's own thread pool; the rest are the reference kernels.
// Loading never throws (except for a malformed SHAREFORMER_THREADS): it reports why not.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AttentionDims, Backend, BinaryOp, GemmArgs } from '../types.js';
import { jsBackend } from '../js/index.js';
import { threadsFromEnv } from '../threads-env.js';

interface Addon {
  gemm(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    batch: number,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    strideA: number,
    strideB: number,
    strideC: number,
    accumulate: boolean,
  ): void;
  threads(n?: number): number;
  attentionProbs(...args: AttnArgs): void;
  attentionProbsBackward(...args: AttnArgs): void;
  attendValues(...args: AttnArgs): void;
  attendValuesBackward(...args: AttnArgs): void;
  geluTanh(x: Float32Array, out: Float32Array): void;
  geluTanhBackward(x: Float32Array, g: Float32Array, dx: Float32Array): void;
  geluErf(x: Float32Array, out: Float32Array): void;
  geluErfBackward(x: Float32Array, g: Float32Array, dx: Float32Array): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array): void;
  swap12(x: Float32Array, a: number, b: number, c: number, d: number, out: Float32Array, accumulate: boolean): void;
  scale(x: Float32Array, s: number, out: Float32Array, accumulate: boolean): void;
  layerNorm(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array | null,
    rows: number,
    dim: number,
    eps: number,
    out: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
  ): void;
  layerNormBackward(
    x: Float32Array,
    gamma: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    g: Float32Array,
    rows: number,
    dim: number,
    dx: Float32Array | null,
    dGamma: Float32Array | null,
    dBeta: Float32Array | null,
  ): void;
  softmax(x: Float32Array, rows: number, dim: number, out: Float32Array): void;
  crossEntropy(
    logits: Float32Array,
    targets: Int32Array,
    rows: number,
    vocab: number,
    ignore: number,
    dLogits: Float32Array | null,
    g: number,
  ): number;
  adamw(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    step: number,
  ): void;
  binaryBackward(op: number, which: number, a: Float32Array, b: Float32Array, g: Float32Array, dx: Float32Array): void;
  sumSquares(x: Float32Array): number;
  attentionProbsInt8(
    ...args: [...ReturnType<typeof dimsOf>, Float32Array, Int8Array, Float32Array, Float32Array]
  ): void;
  attendValuesInt8(...args: [...ReturnType<typeof dimsOf>, Float32Array, Int8Array, Float32Array, Float32Array]): void;
  dequantRows(
    q: Int8Array,
    scales: Float32Array,
    out: Float32Array,
    outer: number,
    stride: number,
    count: number,
    width: number,
  ): void;
  gemmInt8(
    x: Float32Array,
    q: Int8Array,
    scales: Float32Array,
    out: Float32Array,
    rows: number,
    n: number,
    k: number,
    accumulate: boolean,
  ): void;
  sumAxis(x: Float32Array, outer: number, len: number, inner: number, out: Float32Array, accumulate: boolean): void;
  rmsNorm(
    x: Float32Array,
    gamma: Float32Array,
    rows: number,
    dim: number,
    eps: number,
    out: Float32Array,
    rstd: Float32Array,
  ): void;
  rmsNormBackward(
    x: Float32Array,
    gamma: Float32Array,
    rstd: Float32Array,
    g: Float32Array,
    rows: number,
    dim: number,
    dx: Float32Array | null,
    dGamma: Float32Array | null,
  ): void;
  silu(x: Float32Array, out: Float32Array): void;
  siluBackward(x: Float32Array, g: Float32Array, dx: Float32Array): void;
  rope(
    x: Float32Array,
    rows: number,
    t: number,
    dim: number,
    offset: number,
    invFreq: Float64Array,
    out: Float32Array,
    sign: number,
    accumulate: boolean,
  ): void;
}

type AttnArgs = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  boolean,
  number,
  number,
  Float32Array | null,
  ...Array<Float32Array | null>,
];
const dimsOf = (
  d: AttentionDims,
): [number, number, number, number, number, number, number, number, boolean, number, number, Float32Array | null] => [
  d.batch,
  d.heads,
  d.kvHeads,
  d.tq,
  d.tk,
  d.kvStride,
  d.headDim,
  d.scale,
  d.causal,
  d.window ?? 0,
  d.softcap ?? 0,
  d.alibi ?? null,
];
const OPS: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2 };

const ADDON = fileURLToPath(new URL('../../../build/Release/shareformer_native.node', import.meta.url));
const STATUS = fileURLToPath(new URL('../../../build/native-status.json', import.meta.url));

export type NativeLoad = { backend: Backend; addon: Addon } | { backend: null; reason: string };

let cached: NativeLoad | null = null;

export function loadNativeBackend(): NativeLoad {
  if (cached) return cached;
  if (!existsSync(ADDON)) {
    let reason = 'the addon was not built at install time (npm may have skipped install scripts)';
    try {
      const s = JSON.parse(readFileSync(STATUS, 'utf8')) as { ok: boolean; reason: string | null };
      if (!s.ok && s.reason) reason = s.reason;
    } catch {
      /* no status file: the install script did not run */
    }
    cached = { backend: null, reason };
    return cached;
  }
  const threads = threadsFromEnv(); // a malformed value is the user's error to see, not a reason to fall back
  try {
    const addon = createRequire(import.meta.url)(ADDON) as Addon;
    addon.threads(threads);
    const gemm = (a: Float32Array, b: Float32Array, c: Float32Array, p: GemmArgs) => {
      addon.gemm(a, b, c, p.batch, p.m, p.n, p.k, p.transA, p.transB, p.strideA, p.strideB, p.strideC, p.accumulate);
    };
    const backend: Backend = {
      ...jsBackend,
      name: 'native',
      gemm,
      attentionProbs: (q, k, d, probs) => addon.attentionProbs(...dimsOf(d), q, k, probs),
      attentionProbsBackward: (q, k, probs, g, d, dq, dk) =>
        addon.attentionProbsBackward(...dimsOf(d), q, k, probs, g, dq, dk),
      attendValues: (probs, v, d, out) => addon.attendValues(...dimsOf(d), probs, v, out),
      attendValuesBackward: (probs, v, g, d, dp, dv) => addon.attendValuesBackward(...dimsOf(d), probs, v, g, dp, dv),
      gelu: (x, approximate, out) => (approximate === 'tanh' ? addon.geluTanh(x, out) : addon.geluErf(x, out)),
      geluBackward: (x, approximate, g, dx) =>
        approximate === 'tanh' ? addon.geluTanhBackward(x, g, dx) : addon.geluErfBackward(x, g, dx),
      binary: (op, a, b, out) => addon.binary(OPS[op], a, b, out),
      binaryBackward: (op, which, a, b, g, dx) => addon.binaryBackward(OPS[op], which === 'a' ? 0 : 1, a, b, g, dx),
      scale: (x, s, out, accumulate) => addon.scale(x, s, out, accumulate),
      layerNorm: (x, gamma, beta, rows, dim, eps, out, mean, rstd) =>
        addon.layerNorm(x, gamma, beta, rows, dim, eps, out, mean, rstd),
      layerNormBackward: (x, gamma, mean, rstd, g, rows, dim, dx, dGamma, dBeta) =>
        addon.layerNormBackward(x, gamma, mean, rstd, g, rows, dim, dx, dGamma, dBeta),
      rmsNorm: (x, gamma, rows, dim, eps, out, rstd) => addon.rmsNorm(x, gamma, rows, dim, eps, out, rstd),
      rmsNormBackward: (x, gamma, rstd, g, rows, dim, dx, dGamma) =>
        addon.rmsNormBackward(x, gamma, rstd, g, rows, dim, dx, dGamma),
      silu: (x, out) => addon.silu(x, out),
      siluBackward: (x, g, dx) => addon.siluBackward(x, g, dx),
      rope: (x, rows, t, dim, offset, inv, out) => addon.rope(x, rows, t, dim, offset, inv, out, 1, false),
      ropeBackward: (g, rows, t, dim, offset, inv, dx) => addon.rope(g, rows, t, dim, offset, inv, dx, -1, true),
      softmax: (x, rows, dim, out) => addon.softmax(x, rows, dim, out),
      crossEntropy: (logits, targets, rows, vocab, ignore) =>
        addon.crossEntropy(logits, targets, rows, vocab, ignore, null, 0),
      crossEntropyBackward: (logits, targets, rows, vocab, ignore, g, dLogits) => {
        addon.crossEntropy(logits, targets, rows, vocab, ignore, dLogits, g);
      },
      sumSquares: (x) => addon.sumSquares(x),
      attentionProbsInt8: (q, k, scales, d, probs) => addon.attentionProbsInt8(...dimsOf(d), q, k, scales, probs),
      attendValuesInt8: (probs, v, scales, d, out) => addon.attendValuesInt8(...dimsOf(d), probs, v, scales, out),
      dequantRows: (q, scales, out, outer, stride, count, width) =>
        addon.dequantRows(q, scales, out, outer, stride, count, width),
      gemmInt8: (x, q, scales, out, rows, n, k, accumulate) =>
        addon.gemmInt8(x, q, scales, out, rows, n, k, accumulate),
      sumAxis: (x, outer, len, inner, out, accumulate) => addon.sumAxis(x, outer, len, inner, out, accumulate),
      adamw: (p, g, m, v, a) => addon.adamw(p, g, m, v, a.lr, a.beta1, a.beta2, a.eps, a.weightDecay, a.step),
      // Swapping axes 1 and 2 of a rank-4 tensor (splitting and merging heads) is the hot permute.
      permute: (x, shape, perm, out, accumulate) => {
        if (shape.length === 4 && perm[0] === 0 && perm[1] === 2 && perm[2] === 1 && perm[3] === 3)
          addon.swap12(x, shape[0]!, shape[1]!, shape[2]!, shape[3]!, out, accumulate);
        else jsBackend.permute(x, shape, perm, out, accumulate);
      },
    };
    cached = { backend, addon };
    return cached;
  } catch (e) {
    cached = { backend: null, reason: `the addon failed to load (${(e as Error).message.split('\n')[0]})` };
    return cached;
  }
}
