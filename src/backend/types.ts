// The kernel interface every backend implements. Kernels work on flat Float32Arrays with sizes
// passed explicitly; backward kernels ADD into their gradient outputs, so a tensor used several
// times accumulates the gradient of every use. Types only: the registry is backend.ts.

/** Strided, batched matrix product C = op(A)·op(B) (+ C when `accumulate`). */
export interface GemmArgs {
  batch: number;
  m: number;
  n: number;
  k: number;
  /** A is stored [k, m] and used transposed. */
  transA: boolean;
  /** B is stored [n, k] and used transposed. */
  transB: boolean;
  /** Element distance between consecutive batch items; 0 broadcasts one matrix to every batch item. */
  strideA: number;
  strideB: number;
  strideC: number;
  /** Add into C instead of overwriting it (every batch item adds into C when strideC is 0). */
  accumulate: boolean;
}

/** Shapes of grouped-query attention: H query heads share G key/value heads (H % G === 0). */
export interface AttentionDims {
  batch: number;
  heads: number;
  kvHeads: number;
  /** Query positions. */
  tq: number;
  /** Key positions; queries are the last `tq` of the `tk` positions when causal. */
  tk: number;
  /** Positions allocated per K/V head (≥ tk): a KV cache holds `capacity` rows of which `tk` are filled. */
  kvStride: number;
  headDim: number;
  scale: number;
  causal: boolean;
  /**
   * A sliding window (Mistral 7B v0.1, Phi-3): each query sees only the newest `window` keys up to
   * its own position, itself included; 0 or absent: every key the causal mask allows. Only the
   * probabilities' kernels read it: outside the window they write exact zeros, which attendValues
   * and every backward pass then treat as masked.
   */
  window?: number;
  /**
   * Soft-capping (Gemma 2): each score x = scale·q·k becomes softcap·tanh(x / softcap) before the
   * mask and softmax, bounding it to ±softcap; 0 or absent: none. The backward kernel recomputes
   * q·k to take the cap's derivative 1 − tanh².
   */
  softcap?: number;
  /**
   * ALiBi (Press et al. 2022; BLOOM, MPT): one slope m per query head; query t's score for key s
   * gains m·(s − p), p = tk − tq + t its position, after any cap and before the mask and softmax.
   * Absent: none. A constant per row to the softmax, so no backward kernel reads it.
   */
  alibi?: Float32Array;
}

export interface AdamWArgs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count after this update, for bias correction. */
  step: number;
}

export type BinaryOp = 'add' | 'sub' | 'mul';
export type GeluApproximation = 'tanh' | 'none';

export interface Backend {
  readonly name: string;

  gemm(a: Float32Array, b: Float32Array, c: Float32Array, args: GemmArgs): void;

  /**
   * Keeps these arrays (weights) where the backend computes — the wasm module's memory — until the
   * returned release is called, so products reading them copy nothing per call. The arrays must not
   * change meanwhile (generation pins a model's weights; training never does). Optional.
   */
  pin?(arrays: ReadonlyArray<Float32Array | Int8Array>): () => void;

  /**
   * out[r, o] (+)= scales[o] · Σ_j x[r, j] · q[o, j] for x [rows, k] and int8 weight rows q [n, k]
   * (a linear layer whose weight stays int8; widened in registers, never as a float32 copy).
   */
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

  /**
   * Widens int8 rows with one scale each: for each of `outer` blocks of `stride` rows, the first
   * `count` rows of `width` values (an int8 KV cache read back for attention).
   */
  dequantRows(
    q: Int8Array,
    scales: Float32Array,
    out: Float32Array,
    outer: number,
    stride: number,
    count: number,
    width: number,
  ): void;

  /** attentionProbs reading keys stored as int8 rows with one scale per head and position (no backward). */
  attentionProbsInt8(
    q: Float32Array,
    kq: Int8Array,
    kScales: Float32Array,
    dims: AttentionDims,
    probs: Float32Array,
  ): void;
  /** attendValues reading values stored as int8 rows with one scale per head and position (no backward). */
  attendValuesInt8(
    probs: Float32Array,
    vq: Int8Array,
    vScales: Float32Array,
    dims: AttentionDims,
    out: Float32Array,
  ): void;

  /** out[i] = a[i mod aLen] op b[i mod bLen] for i < out.length (broadcast over leading dimensions). */
  binary(op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** Backward of `binary` for one operand: dx[i mod dx.length] += ∂(a op b)/∂x · g[i]. */
  binaryBackward(
    op: BinaryOp,
    which: 'a' | 'b',
    a: Float32Array,
    b: Float32Array,
    g: Float32Array,
    dx: Float32Array,
  ): void;
  /** out = x · s; with `accumulate`, out += x · s. */
  scale(x: Float32Array, s: number, out: Float32Array, accumulate: boolean): void;

  /** Copies a block [outer, len, inner] between tensors that differ only along one axis. */
  copyAxis(
    src: Float32Array,
    srcAxis: number,
    srcStart: number,
    dst: Float32Array,
    dstAxis: number,
    dstStart: number,
    outer: number,
    len: number,
    inner: number,
    accumulate: boolean,
  ): void;
  /** out = x permuted; `shape` is x's shape, out's axis i is x's axis perm[i]. */
  permute(
    x: Float32Array,
    shape: readonly number[],
    perm: readonly number[],
    out: Float32Array,
    accumulate: boolean,
  ): void;

  embedding(weight: Float32Array, dim: number, ids: Int32Array, out: Float32Array): void;
  embeddingBackward(g: Float32Array, dim: number, ids: Int32Array, dWeight: Float32Array): void;

  /** Normalises `rows` rows of `dim`; fills mean and rstd (one per row) for the backward pass. */
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

  gelu(x: Float32Array, approximate: GeluApproximation, out: Float32Array): void;
  geluBackward(x: Float32Array, approximate: GeluApproximation, g: Float32Array, dx: Float32Array): void;
  silu(x: Float32Array, out: Float32Array): void;
  siluBackward(x: Float32Array, g: Float32Array, dx: Float32Array): void;

  /** Softmax over the last axis of `rows` rows of `dim`. */
  softmax(x: Float32Array, rows: number, dim: number, out: Float32Array): void;
  softmaxBackward(y: Float32Array, g: Float32Array, rows: number, dim: number, dx: Float32Array): void;

  /** P[b,h,t,s] = softmax_s(scale · q[b,h,t]·k[b,h/(H/G),s]) with the causal mask; q [B,H,Tq,D], k [B,G,Tk,D]. */
  attentionProbs(q: Float32Array, k: Float32Array, dims: AttentionDims, probs: Float32Array): void;
  attentionProbsBackward(
    q: Float32Array,
    k: Float32Array,
    probs: Float32Array,
    g: Float32Array,
    dims: AttentionDims,
    dq: Float32Array | null,
    dk: Float32Array | null,
  ): void;
  /** out[b,h,t] = Σ_s P[b,h,t,s] · v[b,h/(H/G),s]; v [B,G,Tk,Dv]. `dims.headDim` is Dv here. */
  attendValues(probs: Float32Array, v: Float32Array, dims: AttentionDims, out: Float32Array): void;
  attendValuesBackward(
    probs: Float32Array,
    v: Float32Array,
    g: Float32Array,
    dims: AttentionDims,
    dProbs: Float32Array | null,
    dv: Float32Array | null,
  ): void;

  /**
   * Rotary embedding (rotate-half convention) on x [rows = B·H, T, D] at positions offset..
   * offset+T-1; pair i turns by position · invFreq[i] (D/2 inverse frequencies).
   */
  rope(
    x: Float32Array,
    rows: number,
    t: number,
    dim: number,
    offset: number,
    invFreq: Float64Array,
    out: Float32Array,
  ): void;
  ropeBackward(
    g: Float32Array,
    rows: number,
    t: number,
    dim: number,
    offset: number,
    invFreq: Float64Array,
    dx: Float32Array,
  ): void;

  /** Mean cross-entropy over rows whose target is not `ignoreIndex`; returns the loss. */
  crossEntropy(logits: Float32Array, targets: Int32Array, rows: number, vocab: number, ignoreIndex: number): number;
  crossEntropyBackward(
    logits: Float32Array,
    targets: Int32Array,
    rows: number,
    vocab: number,
    ignoreIndex: number,
    g: number,
    dLogits: Float32Array,
  ): void;

  /** Σ over the middle axis of a [outer, len, inner] block: out[o, i] (+)= Σ_l x[o, l, i]. */
  sumAxis(x: Float32Array, outer: number, len: number, inner: number, out: Float32Array, accumulate: boolean): void;
  /** Backward of sumAxis: dx[o, l, i] += s · g[o, i]. */
  broadcastAxis(g: Float32Array, outer: number, len: number, inner: number, s: number, dx: Float32Array): void;

  /** Sum of squares (for gradient-norm clipping), accumulated in float64. */
  sumSquares(x: Float32Array): number;
  /** One AdamW update in place, exactly as torch.optim.AdamW (decoupled decay, bias correction). */
  adamw(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, args: AdamWArgs): void;
}
