// Token streams for training: a seeded train/validation split into blocks, random batches of
// windows for training, and a fixed set of windows for evaluation so numbers are comparable.
import { Rng } from '../tensor/random.js';

export interface Split {
  train: Int32Array[];
  val: Int32Array[];
}

export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/**
 * Cuts the tokens into blocks of 8 windows (context + 1 tokens each) and sends a seeded random
 * `valFraction` of the blocks (at least one) to validation. Windows never cross blocks.
 */
export function splitTokens(
  tokens: Int32Array,
  context: number,
  options: { valFraction?: number; seed?: number; source?: string } = {},
): Split {
  const valFraction = options.valFraction ?? 0.1,
    source = options.source ?? 'data';
  const window = context + 1;
  if (tokens.length < 2 * window) {
    throw new DataError(
      `${source}: ${tokens.length} tokens is too short for context ${context}; a training and a validation window need at least ${2 * window}`,
    );
  }
  const blockLen = Math.min(8 * window, Math.floor(tokens.length / 2));
  const blocks: Int32Array[] = [];
  for (let s = 0; s + window <= tokens.length; s += blockLen) {
    const b = tokens.subarray(s, Math.min(s + blockLen, tokens.length));
    if (b.length >= window) blocks.push(b);
  }
  const rng = new Rng(options.seed ?? 0);
  const order = blocks.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nVal = Math.max(1, Math.round(blocks.length * valFraction));
  const valSet = new Set(order.slice(0, nVal));
  return { train: blocks.filter((_, i) => !valSet.has(i)), val: blocks.filter((_, i) => valSet.has(i)) };
}

export interface Batch {
  ids: Int32Array;
  targets: Int32Array;
  batch: number;
}

/** Uniformly random windows over every valid start position of the blocks. */
export function sampleBatch(blocks: readonly Int32Array[], context: number, batch: number, rng: Rng): Batch {
  const starts = blocks.map((b) => b.length - context);
  const total = starts.reduce((a, b) => a + b, 0);
  const ids = new Int32Array(batch * context),
    targets = new Int32Array(batch * context);
  for (let r = 0; r < batch; r++) {
    let k = rng.int(total),
      bi = 0;
    while (k >= starts[bi]!) k -= starts[bi++]!;
    const b = blocks[bi]!;
    ids.set(b.subarray(k, k + context), r * context);
    targets.set(b.subarray(k + 1, k + 1 + context), r * context);
  }
  return { ids, targets, batch };
}

/** Non-overlapping windows from the start of each block, up to maxWindows, grouped into batches. */
export function evalBatches(
  blocks: readonly Int32Array[],
  context: number,
  batch: number,
  maxWindows: number,
): Batch[] {
  const windows: Array<[Int32Array, number]> = [];
  for (const b of blocks)
    for (let s = 0; s + context + 1 <= b.length && windows.length < maxWindows; s += context) windows.push([b, s]);
  const out: Batch[] = [];
  for (let i = 0; i < windows.length; i += batch) {
    const group = windows.slice(i, i + batch);
    const ids = new Int32Array(group.length * context),
      targets = new Int32Array(group.length * context);
    group.forEach(([b, s], r) => {
      ids.set(b.subarray(s, s + context), r * context);
      targets.set(b.subarray(s + 1, s + 1 + context), r * context);
    });
    out.push({ ids, targets, batch: group.length });
  }
  return out;
}
