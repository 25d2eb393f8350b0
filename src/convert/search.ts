// A training-free search for which layers should read another layer's K/V (KVSharer, Yang et al.
// 2024) or attention weights (Xiao et al. 2019): rank layer pairs by how alike their activations
// are, then greedily let a layer read an earlier producer's while the calibration loss stays within
// a tolerance of the unconverted model's, until only the asked-for fraction of producers is left.
// Both orders are tried — most alike first, and least alike first (KVSharer found dissimilar pairs
// often worked better) — and the better result is kept.
import type { ModelConfig } from '../model/config.js';
import type { TransformerLM } from '../model/transformer.js';
import { ConvertError, convertModel } from './convert.js';
import type { PairMatrix } from './inspect.js';

export type SearchKind = 'kv' | 'attention';
export type SearchOrder = 'similar-first' | 'dissimilar-first';

export interface SearchStep {
  /** The layer that now reads `producer`'s K/V (or attention), with every layer that read it. */
  consumer: number;
  producer: number;
  loss: number;
  /** Accepted although above the tolerance: no candidate stayed within it, and the budget asks for fewer producers. */
  forced: boolean;
}

export interface SearchResult {
  kind: SearchKind;
  keep: number;
  map: number[];
  order: SearchOrder;
  baseLoss: number;
  loss: number;
  steps: SearchStep[];
  /** The other order's outcome, for the record. */
  other: { order: SearchOrder; loss: number; map: number[] };
}

export interface SearchOptions {
  /** Fraction of layers that keep their own K/V (or attention), 0 < keep ≤ 1. */
  keep: number;
  /** Higher = more alike, per layer pair (K CKA for kv; negative JS divergence for attention). */
  similarity: PairMatrix;
  /** Calibration loss of a model (lower is better). */
  loss: (lm: TransformerLM) => number;
  /** Accepted increase of the calibration loss, relative to the source's (default 0.05 = 5%). */
  tolerance?: number;
  /** Other plan changes applied with the searched map (e.g. kv-heads). */
  base?: Partial<ModelConfig>;
}

const FIELD = { kv: 'shareKv', attention: 'shareAttention' } as const;

export function searchSharing(source: TransformerLM, kind: SearchKind, o: SearchOptions): SearchResult {
  if (!(o.keep > 0 && o.keep <= 1))
    throw new ConvertError(
      `${FIELD[kind]}: search:B needs 0 < B ≤ 1 (the fraction of layers keeping their own), got ${o.keep}`,
    );
  const baseLoss = o.loss(convertModel(source, o.base ?? {}).lm);
  const runs = (['similar-first', 'dissimilar-first'] as const).map((order) =>
    greedy(source, kind, order, baseLoss, o),
  );
  const [best, other] = runs[0]!.loss <= runs[1]!.loss ? [runs[0]!, runs[1]!] : [runs[1]!, runs[0]!];
  return {
    kind,
    keep: o.keep,
    ...best,
    baseLoss,
    other: { order: other.order, loss: other.loss, map: other.map },
  };
}

function greedy(
  source: TransformerLM,
  kind: SearchKind,
  order: SearchOrder,
  baseLoss: number,
  o: SearchOptions,
): { order: SearchOrder; map: number[]; loss: number; steps: SearchStep[] } {
  const L = source.config.layers;
  let map = [...(kind === 'kv' ? source.plan.kv : source.plan.attention)];
  const target = Math.max(1, Math.round(o.keep * L));
  const limit = baseLoss * (1 + (o.tolerance ?? 0.05));
  const steps: SearchStep[] = [];
  let loss = baseLoss;
  const producers = () => map.filter((p, l) => p === l).length;
  while (producers() > target) {
    const candidates = ranked(map, o.similarity, order);
    let best: { map: number[]; loss: number; consumer: number; producer: number } | null = null;
    let accepted = false;
    for (const [consumer, producer] of candidates) {
      const next = map.map((p) => (p === consumer ? producer : p));
      const trial = tryLoss(source, kind, next, o);
      if (trial === null) continue;
      if (!best || trial < best.loss) best = { map: next, loss: trial, consumer, producer };
      if (trial <= limit) {
        best = { map: next, loss: trial, consumer, producer };
        accepted = true;
        break;
      }
    }
    if (!best) break; // no replacement forms a valid plan
    map = best.map;
    loss = best.loss;
    steps.push({ consumer: best.consumer, producer: best.producer, loss, forced: !accepted });
  }
  return { order, map, loss, steps };
}

/** Producer pairs (consumer l, earlier producer p), most alike first or least alike first. */
function ranked(map: number[], similarity: PairMatrix, order: SearchOrder): Array<[number, number]> {
  const out: Array<[number, number, number]> = [];
  for (let l = 1; l < map.length; l++) {
    if (map[l] !== l) continue;
    for (let p = 0; p < l; p++) {
      if (map[p] !== p) continue;
      const s = similarity[l]?.[p];
      out.push([l, p, s === null || s === undefined ? -Infinity : s]);
    }
  }
  out.sort((a, b) => (order === 'similar-first' ? b[2] - a[2] : a[2] - b[2]));
  return out.map(([l, p]) => [l, p]);
}

function tryLoss(source: TransformerLM, kind: SearchKind, map: number[], o: SearchOptions): number | null {
  try {
    return o.loss(convertModel(source, { ...o.base, [FIELD[kind]]: map }).lm);
  } catch (e) {
    if (e instanceof ConvertError) return null; // e.g. a K/V map into a layer that no longer computes keys
    throw e;
  }
}
