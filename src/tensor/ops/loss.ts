// crossEntropy: mean negative log-likelihood of integer targets under softmax(logits).
import { backend } from '../../backend/backend.js';
import { OpError, type Tensor, expectInt32, expectTensors, formatShape, result } from '../tensor.js';

export interface CrossEntropyOptions {
  /** Targets equal to this are left out of the mean (padding). */
  ignoreIndex?: number;
}

/** logits [..., V], targets one per row → scalar mean loss. */
export function crossEntropy(logits: Tensor, targets: Int32Array, options: CrossEntropyOptions = {}): Tensor {
  expectTensors('crossEntropy', { logits });
  expectInt32('crossEntropy', 'targets', targets);
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (logits.rank < 1)
    throw new OpError('crossEntropy', `logits must be [..., vocab], got ${formatShape(logits.shape)}`);
  const vocab = logits.shape[logits.rank - 1]!;
  const rows = vocab === 0 ? 0 : logits.size / vocab;
  if (rows === 0) throw new OpError('crossEntropy', `logits are empty: ${formatShape(logits.shape)}`);
  if (targets.length !== rows)
    throw new OpError(
      'crossEntropy',
      `${targets.length} targets for ${rows} rows of logits ${formatShape(logits.shape)}`,
    );
  let counted = 0;
  for (let i = 0; i < rows; i++) {
    const t = targets[i]!;
    if (t === ignoreIndex) continue;
    if (t < 0 || t >= vocab)
      throw new OpError('crossEntropy', `target ${t} at row ${i} is outside the vocabulary [0, ${vocab})`);
    counted++;
  }
  if (counted === 0) throw new OpError('crossEntropy', 'every target is ignored; the mean is undefined');
  const be = backend();
  const loss = be.crossEntropy(logits.data, targets, rows, vocab, ignoreIndex);
  return result(Float32Array.of(loss), [], [logits], (g) => {
    be.crossEntropyBackward(logits.data, targets, rows, vocab, ignoreIndex, g[0]!, logits.gradBuffer());
  });
}
