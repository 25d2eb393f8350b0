// Reference data-movement kernels: axis slices (split/concat), permutations, embedding gather/scatter,
// and reductions along one axis.

export function copyAxis(
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
): void {
  const block = len * inner;
  for (let o = 0; o < outer; o++) {
    const s = (o * srcAxis + srcStart) * inner;
    const d = (o * dstAxis + dstStart) * inner;
    if (accumulate) for (let i = 0; i < block; i++) dst[d + i]! += src[s + i]!;
    else dst.set(src.subarray(s, s + block), d);
  }
}

export function permute(
  x: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
  out: Float32Array,
  accumulate: boolean,
): void {
  const rank = shape.length;
  // When the last axis stays last, whole contiguous rows move at once (splitting and merging
  // attention heads); otherwise single elements do.
  if (rank > 1 && perm[rank - 1] === rank - 1)
    permuteRuns(x, shape.slice(0, -1), perm.slice(0, -1), shape[rank - 1]!, out, accumulate);
  else permuteRuns(x, shape, perm, 1, out, accumulate);
}

/** Moves runs of `run` contiguous values; `shape` and `perm` describe the axes above the run. */
function permuteRuns(
  x: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
  run: number,
  out: Float32Array,
  accumulate: boolean,
): void {
  const rank = shape.length;
  const inStrides = new Array<number>(rank);
  let s = run;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i]!;
  }
  const outShape = perm.map((p) => shape[p]!);
  const strides = perm.map((p) => inStrides[p]!); // input stride for each output axis
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < x.length; o += run) {
    if (run === 1) {
      if (accumulate) out[o]! += x[src]!;
      else out[o] = x[src]!;
    } else if (accumulate) for (let j = 0; j < run; j++) out[o + j]! += x[src + j]!;
    else out.set(x.subarray(src, src + run), o);
    // Odometer increment over the output's index, tracking the matching input offset.
    for (let ax = rank - 1; ax >= 0; ax--) {
      idx[ax]!++;
      src += strides[ax]!;
      if (idx[ax]! < outShape[ax]!) break;
      src -= strides[ax]! * outShape[ax]!;
      idx[ax] = 0;
    }
  }
}

export function embedding(weight: Float32Array, dim: number, ids: Int32Array, out: Float32Array): void {
  for (let i = 0; i < ids.length; i++) {
    const r = ids[i]! * dim;
    out.set(weight.subarray(r, r + dim), i * dim);
  }
}

export function embeddingBackward(g: Float32Array, dim: number, ids: Int32Array, dWeight: Float32Array): void {
  for (let i = 0; i < ids.length; i++) {
    const r = ids[i]! * dim,
      o = i * dim;
    for (let j = 0; j < dim; j++) dWeight[r + j]! += g[o + j]!;
  }
}

export function sumAxis(
  x: Float32Array,
  outer: number,
  len: number,
  inner: number,
  out: Float32Array,
  accumulate: boolean,
): void {
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    for (let l = 0; l < len; l++) {
      const base = (o * len + l) * inner;
      for (let i = 0; i < inner; i++) acc[i]! += x[base + i]!;
    }
    const ob = o * inner;
    if (accumulate) for (let i = 0; i < inner; i++) out[ob + i]! += acc[i]!;
    else for (let i = 0; i < inner; i++) out[ob + i] = acc[i]!;
  }
}

export function broadcastAxis(
  g: Float32Array,
  outer: number,
  len: number,
  inner: number,
  s: number,
  dx: Float32Array,
): void {
  for (let o = 0; o < outer; o++) {
    for (let l = 0; l < len; l++) {
      const base = (o * len + l) * inner;
      for (let i = 0; i < inner; i++) dx[base + i]! += s * g[o * inner + i]!;
    }
  }
}
