// Reference normalisation kernels: LayerNorm, RMSNorm and softmax over the last axis, with gradients.
// Statistics are accumulated in float64.

export function layerNorm(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array | null,
  rows: number,
  dim: number,
  eps: number,
  out: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) s += x[o + j]!;
    const mu = s / dim;
    let v = 0;
    for (let j = 0; j < dim; j++) {
      const d = x[o + j]! - mu;
      v += d * d;
    }
    const rs = 1 / Math.sqrt(v / dim + eps);
    mean[r] = mu;
    rstd[r] = rs;
    for (let j = 0; j < dim; j++) out[o + j] = (x[o + j]! - mu) * rs * gamma[j]! + (beta ? beta[j]! : 0);
  }
}

export function layerNormBackward(
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
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * dim,
      mu = mean[r]!,
      rs = rstd[r]!;
    // dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)) with ĝ = g · γ.
    let sg = 0,
      sgx = 0;
    for (let j = 0; j < dim; j++) {
      const xh = (x[o + j]! - mu) * rs;
      const gh = g[o + j]! * gamma[j]!;
      sg += gh;
      sgx += gh * xh;
      if (dGamma) dGamma[j]! += g[o + j]! * xh;
      if (dBeta) dBeta[j]! += g[o + j]!;
    }
    if (!dx) continue;
    sg /= dim;
    sgx /= dim;
    for (let j = 0; j < dim; j++) {
      const xh = (x[o + j]! - mu) * rs;
      dx[o + j]! += rs * (g[o + j]! * gamma[j]! - sg - xh * sgx);
    }
  }
}

export function rmsNorm(
  x: Float32Array,
  gamma: Float32Array,
  rows: number,
  dim: number,
  eps: number,
  out: Float32Array,
  rstd: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) s += x[o + j]! * x[o + j]!;
    const rs = 1 / Math.sqrt(s / dim + eps);
    rstd[r] = rs;
    for (let j = 0; j < dim; j++) out[o + j] = x[o + j]! * rs * gamma[j]!;
  }
}

export function rmsNormBackward(
  x: Float32Array,
  gamma: Float32Array,
  rstd: Float32Array,
  g: Float32Array,
  rows: number,
  dim: number,
  dx: Float32Array | null,
  dGamma: Float32Array | null,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * dim,
      rs = rstd[r]!;
    // dx = rstd · (ĝ − x̂ · mean(ĝ · x̂)) with x̂ = x · rstd, ĝ = g · γ.
    let sgx = 0;
    for (let j = 0; j < dim; j++) {
      const xh = x[o + j]! * rs;
      sgx += g[o + j]! * gamma[j]! * xh;
      if (dGamma) dGamma[j]! += g[o + j]! * xh;
    }
    if (!dx) continue;
    sgx /= dim;
    for (let j = 0; j < dim; j++) dx[o + j]! += rs * (g[o + j]! * gamma[j]! - x[o + j]! * rs * sgx);
  }
}

export function softmax(x: Float32Array, rows: number, dim: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let max = -Infinity;
    for (let j = 0; j < dim; j++) if (x[o + j]! > max) max = x[o + j]!;
    let s = 0;
    for (let j = 0; j < dim; j++) s += Math.exp(x[o + j]! - max);
    for (let j = 0; j < dim; j++) out[o + j] = Math.exp(x[o + j]! - max) / s;
  }
}

export function softmaxBackward(y: Float32Array, g: Float32Array, rows: number, dim: number, dx: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += y[o + j]! * g[o + j]!;
    for (let j = 0; j < dim; j++) dx[o + j]! += y[o + j]! * (g[o + j]! - dot);
  }
}
