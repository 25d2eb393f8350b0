// layerNorm and rmsNorm over the last axis, with learned gain (and LayerNorm's optional bias).
import { backend } from '../../backend/backend.js';
import { takeBuffer } from '../pool.js';
import { OpError, type Tensor, expectTensors, formatShape, result } from '../tensor.js';

function checkParam(op: string, x: Tensor, p: Tensor | null, what: string): void {
  const dim = x.shape[x.rank - 1];
  if (p && (p.rank !== 1 || p.shape[0] !== dim)) {
    throw new OpError(
      op,
      `${what} must be [${dim}] to match the last axis of x ${formatShape(x.shape)}, got ${formatShape(p.shape)}`,
    );
  }
}

export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor | null, eps = 1e-5): Tensor {
  expectTensors('layerNorm', { x, gamma, beta });
  if (x.rank < 1 || x.size === 0)
    throw new OpError('layerNorm', `x must be a non-empty tensor, got ${formatShape(x.shape)}`);
  checkParam('layerNorm', x, gamma, 'gamma');
  checkParam('layerNorm', x, beta, 'beta');
  const dim = x.shape[x.rank - 1]!,
    rows = x.size / dim;
  const be = backend();
  const out = takeBuffer(x.size),
    mean = new Float32Array(rows),
    rstd = new Float32Array(rows);
  be.layerNorm(x.data, gamma.data, beta ? beta.data : null, rows, dim, eps, out, mean, rstd);
  const parents = beta ? [x, gamma, beta] : [x, gamma];
  return result(out, x.shape, parents, (g) => {
    be.layerNormBackward(
      x.data,
      gamma.data,
      mean,
      rstd,
      g,
      rows,
      dim,
      x.requiresGrad ? x.gradBuffer() : null,
      gamma.requiresGrad ? gamma.gradBuffer() : null,
      beta?.requiresGrad ? beta.gradBuffer() : null,
    );
  });
}

export function rmsNorm(x: Tensor, gamma: Tensor, eps = 1e-6): Tensor {
  expectTensors('rmsNorm', { x, gamma });
  if (x.rank < 1 || x.size === 0)
    throw new OpError('rmsNorm', `x must be a non-empty tensor, got ${formatShape(x.shape)}`);
  checkParam('rmsNorm', x, gamma, 'gamma');
  const dim = x.shape[x.rank - 1]!,
    rows = x.size / dim;
  const be = backend();
  const out = takeBuffer(x.size),
    rstd = new Float32Array(rows);
  be.rmsNorm(x.data, gamma.data, rows, dim, eps, out, rstd);
  return result(out, x.shape, [x, gamma], (g) => {
    be.rmsNormBackward(
      x.data,
      gamma.data,
      rstd,
      g,
      rows,
      dim,
      x.requiresGrad ? x.gradBuffer() : null,
      gamma.requiresGrad ? gamma.gradBuffer() : null,
    );
  });
}
