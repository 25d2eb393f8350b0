// matmul: batched matrix product with optionally transposed operands; B may be one matrix shared by
// every batch item (a weight), in which case its gradient sums over the batch. linear: x·Wᵀ + b.
import { backend } from '../../backend/backend.js';
import { takeBuffer } from '../pool.js';
import { OpError, type Tensor, expectTensors, formatShape, result, sizeOf } from '../tensor.js';

export interface MatmulOptions {
  /** Use the last two axes of `a` transposed. */
  transA?: boolean;
  /** Use the last two axes of `b` transposed (PyTorch Linear weights are [out, in]: x·Wᵀ). */
  transB?: boolean;
}

/** a [...batch, m, k] · b [...batch, k, n] or b [k, n] → [...batch, m, n]. */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  expectTensors('matmul', { a, b });
  const transA = options.transA ?? false,
    transB = options.transB ?? false;
  const what = () => `a ${formatShape(a.shape)}${transA ? 'ᵀ' : ''} · b ${formatShape(b.shape)}${transB ? 'ᵀ' : ''}`;
  if (a.rank < 2 || b.rank < 2) throw new OpError('matmul', `operands need at least 2 dimensions: ${what()}`);
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const m = transA ? ac : ar,
    k = transA ? ar : ac;
  const kb = transB ? bc : br,
    n = transB ? br : bc;
  if (k !== kb) throw new OpError('matmul', `inner dimensions differ (${k} vs ${kb}): ${what()}`);
  const batchShape = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const shared = bBatch.length === 0;
  if (!shared && (bBatch.length !== batchShape.length || bBatch.some((d, i) => d !== batchShape[i]))) {
    throw new OpError('matmul', `batch dimensions differ: ${what()}`);
  }
  if (shared && !transA && batchShape.length > 0) {
    // A weight applied to every row: one [batch·m, k] product instead of `batch` small ones, and
    // its gradient one product over all rows instead of a sum of per-item products.
    const rows = sizeOf(batchShape) * m;
    const out = takeBuffer(rows * n);
    return result(out, [...batchShape, m, n], [a, b], weightProduct(a, b, rows, k, n, transB, out, false));
  }
  const be = backend();
  const batch = sizeOf(batchShape);
  const sa = m * k,
    sb = shared ? 0 : k * n,
    sc = m * n;
  const out = takeBuffer(batch * sc);
  be.gemm(a.data, b.data, out, {
    batch,
    m,
    n,
    k,
    transA,
    transB,
    strideA: sa,
    strideB: sb,
    strideC: sc,
    accumulate: false,
  });
  return result(out, [...batchShape, m, n], [a, b], (g) => {
    if (a.requiresGrad) {
      // dA = dC·op(B)ᵀ, or stored transposed: op(B)·dCᵀ.
      if (!transA)
        be.gemm(g, b.data, a.gradBuffer(), {
          batch,
          m,
          n: k,
          k: n,
          transA: false,
          transB: !transB,
          strideA: sc,
          strideB: sb,
          strideC: sa,
          accumulate: true,
        });
      else
        be.gemm(b.data, g, a.gradBuffer(), {
          batch,
          m: k,
          n: m,
          k: n,
          transA: transB,
          transB: true,
          strideA: sb,
          strideB: sc,
          strideC: sa,
          accumulate: true,
        });
    }
    if (b.requiresGrad) {
      // dB = op(A)ᵀ·dC, or stored transposed: dCᵀ·op(A). A shared B (stride 0) sums every batch item.
      if (!transB)
        be.gemm(a.data, g, b.gradBuffer(), {
          batch,
          m: k,
          n,
          k: m,
          transA: !transA,
          transB: false,
          strideA: sa,
          strideB: sc,
          strideC: sb,
          accumulate: true,
        });
      else
        be.gemm(g, a.data, b.gradBuffer(), {
          batch,
          m: n,
          n: k,
          k: m,
          transA: true,
          transB: transA,
          strideA: sc,
          strideB: sa,
          strideC: sb,
          accumulate: true,
        });
    }
  });
}

/**
 * A fully connected layer, x·Wᵀ + b, as PyTorch's F.linear: x [..., in], weight [out, in], bias
 * [out] or null. The bias is written into the output before the product accumulates onto it, so
 * there is no separate broadcast pass (and, when decoding, one op per layer fewer).
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  expectTensors('linear', { x, weight, bias });
  const what = () =>
    `x ${formatShape(x.shape)}, weight ${formatShape(weight.shape)}${bias ? `, bias ${formatShape(bias.shape)}` : ''}`;
  if (x.rank < 1 || weight.rank !== 2)
    throw new OpError('linear', `x needs at least 1 dimension and weight must be [out, in]: ${what()}`);
  const [n, k] = weight.shape as [number, number];
  if (x.shape[x.rank - 1] !== k)
    throw new OpError('linear', `x's last dimension must equal weight's in-features (${k}): ${what()}`);
  if (bias && (bias.rank !== 1 || bias.shape[0] !== n)) throw new OpError('linear', `bias must be [${n}]: ${what()}`);
  const rows = x.size / k;
  const out = takeBuffer(rows * n);
  if (bias && rows > 0) {
    // Every row starts as the bias: written once, then doubled (log₂ rows copies, not one per row).
    out.set(bias.data, 0);
    const total = rows * n;
    for (let filled = n; filled < total; filled *= 2) out.copyWithin(filled, 0, Math.min(filled, total - filled));
  }
  const backward = weightProduct(x, weight, rows, k, n, true, out, bias !== null);
  return result(out, [...x.shape.slice(0, -1), n], bias ? [x, weight, bias] : [x, weight], (g) => {
    backward(g);
    if (bias?.requiresGrad) backend().sumAxis(g, 1, rows, n, bias.gradBuffer(), true);
  });
}

/**
 * out (+)= x·op(W) for x [rows, k] and one weight W ([n, k] when transW, else [k, n]); returns the
 * backward pass that adds into x's and W's gradients. Shared by matmul's weight case and linear.
 */
function weightProduct(
  x: Tensor,
  w: Tensor,
  rows: number,
  k: number,
  n: number,
  transW: boolean,
  out: Float32Array,
  accumulate: boolean,
): (g: Float32Array) => void {
  const be = backend();
  const one = { batch: 1, strideA: 0, strideB: 0, strideC: 0 };
  be.gemm(x.data, w.data, out, { ...one, m: rows, n, k, transA: false, transB: transW, accumulate });
  return (g) => {
    if (x.requiresGrad)
      be.gemm(g, w.data, x.gradBuffer(), {
        ...one,
        m: rows,
        n: k,
        k: n,
        transA: false,
        transB: !transW,
        accumulate: true,
      });
    if (!w.requiresGrad) return;
    // dW = xᵀ·g, or stored transposed: gᵀ·x — one product summing over every row.
    if (transW)
      be.gemm(g, x.data, w.gradBuffer(), {
        ...one,
        m: n,
        n: k,
        k: rows,
        transA: true,
        transB: false,
        accumulate: true,
      });
    else
      be.gemm(x.data, g, w.gradBuffer(), { ...one, m: k, n, k: rows, transA: true, transB: false, accumulate: true });
  };
}
