// Truncated singular value decomposition of a small dense matrix, for conversions (factorized
// embeddings now; low-rank relaxation deltas later): the eigenvectors of the smaller Gram matrix by
// cyclic Jacobi rotations, in float64. Exact enough for initialisation, and O(n³) in the smaller side.

export interface Svd {
  /** rows × k, column-major by singular value: u[i * k + j]. */
  u: Float64Array;
  s: Float64Array;
  /** cols × k: v[i * k + j]. */
  v: Float64Array;
  k: number;
}

/** Eigen-decomposition of a symmetric n×n matrix (row-major); eigenvalues descending, vectors as columns. */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const vec = new Float64Array(n * n);
  for (let i = 0; i < n; i++) vec[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0,
      total = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const x = m[i * n + j]! ** 2;
        total += x;
        if (i !== j) off += x;
      }
    if (off <= 1e-22 * Math.max(total, 1e-300)) break;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1),
          s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p]!,
            mkq = m[k * n + q]!;
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k]!,
            mqk = m[q * n + k]!;
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = vec[k * n + p]!,
            vkq = vec[k * n + q]!;
          vec[k * n + p] = c * vkp - s * vkq;
          vec[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => m[y * n + y]! - m[x * n + x]!);
  const values = Float64Array.from(order, (i) => m[i * n + i]!);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vectors[k * n + dst] = vec[k * n + src]!;
  });
  return { values, vectors };
}

/** The k leading singular triplets of the rows × cols row-major matrix a. */
export function truncatedSvd(a: Float32Array | Float64Array, rows: number, cols: number, k: number): Svd {
  if (k < 1 || k > Math.min(rows, cols))
    throw new Error(`truncatedSvd: rank ${k} must be from 1 to ${Math.min(rows, cols)}`);
  const wide = rows <= cols; // eigen-decompose the smaller Gram matrix
  const n = wide ? rows : cols;
  const gram = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) {
      let s = 0;
      if (wide) for (let t = 0; t < cols; t++) s += a[i * cols + t]! * a[j * cols + t]!;
      else for (let t = 0; t < rows; t++) s += a[t * cols + i]! * a[t * cols + j]!;
      gram[i * n + j] = gram[j * n + i] = s;
    }
  const { values, vectors } = symmetricEigen(gram, n);
  const s = Float64Array.from({ length: k }, (_, j) => Math.sqrt(Math.max(values[j]!, 0)));
  const u = new Float64Array(rows * k),
    v = new Float64Array(cols * k);
  // The known side's singular vectors are the eigenvectors; the other side's are Aᵀu/σ (or Av/σ).
  for (let j = 0; j < k; j++) {
    const sigma = s[j]!;
    if (wide) {
      for (let i = 0; i < rows; i++) u[i * k + j] = vectors[i * n + j]!;
      for (let c = 0; c < cols; c++) {
        let x = 0;
        for (let i = 0; i < rows; i++) x += a[i * cols + c]! * vectors[i * n + j]!;
        v[c * k + j] = sigma > 0 ? x / sigma : 0;
      }
    } else {
      for (let c = 0; c < cols; c++) v[c * k + j] = vectors[c * n + j]!;
      for (let i = 0; i < rows; i++) {
        let x = 0;
        for (let c = 0; c < cols; c++) x += a[i * cols + c]! * vectors[c * n + j]!;
        u[i * k + j] = sigma > 0 ? x / sigma : 0;
      }
    }
  }
  return { u, s, v, k };
}
