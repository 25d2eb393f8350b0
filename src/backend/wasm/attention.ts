// Attention in the wasm backend: each head's products and row kernels (masked softmax, its
// gradient, masking) run in module memory. Per K/V head its keys and values are copied in once,
// per query head its rows; the probabilities never make a round trip through JavaScript between
// the two. Every array is checked against the sizes before anything is copied.
import type { AttentionDims, Backend } from '../types.js';
import { checkAttentionDims, covers } from '../bounds.js';
import type { Kernels } from './kernels.js';
import type { ModuleMemory } from './module-memory.js';
import type { Product } from './product.js';

type Arrays = Partial<
  Record<'q' | 'k' | 'v' | 'probs' | 'gProbs' | 'gOut' | 'out' | 'dq' | 'dk' | 'dProbs' | 'dv', Float32Array | null>
>;

/** Each array against the element count its role needs under these dims. */
function check(kernel: string, d: AttentionDims, arrays: Arrays): void {
  const n = checkAttentionDims(kernel, d);
  const need = {
    q: n.q,
    out: n.q,
    dq: n.q,
    gOut: n.q,
    k: n.kv,
    v: n.kv,
    dk: n.kv,
    dv: n.kv,
    probs: n.probs,
    gProbs: n.probs,
    dProbs: n.probs,
  };
  for (const [name, a] of Object.entries(arrays)) covers(kernel, name, a ?? null, need[name as keyof typeof need]);
}

/** Scaled, soft-capped (Gemma 2), ALiBi-biased (head h's slope), windowed softmax of `rows` rows of
 * products at byte offset p: each step scales what it reads, then hands on scale 1. */
function scoreSoftmax(kernels: Kernels, p: number, d: AttentionDims, rows: number, from: number, h: number): void {
  const causal = d.causal ? 1 : 0,
    window = d.window ?? 0;
  let scale = d.scale;
  if (d.softcap) {
    kernels.softcapRows(p, rows, d.tk, d.tk, from, causal, scale, window, d.softcap);
    scale = 1;
  }
  if (d.alibi) {
    kernels.alibiRows(p, rows, d.tk, d.tk, from, causal, scale, window, d.alibi[h]!);
    scale = 1;
  }
  kernels.softmaxRows(p, rows, d.tk, d.tk, from, causal, scale, window);
}

export function attentionInModule(
  kernels: Kernels,
  mem: ModuleMemory,
  product: Product,
): Pick<Backend, 'attentionProbs' | 'attentionProbsBackward' | 'attendValues' | 'attendValuesBackward'> {
  /** Per K/V head (offset of its rows): perGroup, then perHead for each query head reading it
   * (offsets of its q/out rows and its probability rows), then endGroup. */
  const groups = (
    d: AttentionDims,
    perGroup: (kvo: number) => void,
    perHead: (qo: number, po: number, h: number) => void,
    endGroup: (kvo: number) => void,
  ) => {
    const group = d.heads / d.kvHeads;
    for (let b = 0; b < d.batch; b++)
      for (let g = 0; g < d.kvHeads; g++) {
        const kvo = (b * d.kvHeads + g) * d.kvStride * d.headDim;
        perGroup(kvo);
        for (let h = g * group; h < (g + 1) * group; h++)
          perHead((b * d.heads + h) * d.tq * d.headDim, (b * d.heads + h) * d.tq * d.tk, h);
        endGroup(kvo);
      }
  };
  const first = (d: AttentionDims) => d.tk - d.tq;
  return {
    attentionProbs: (q, keys, d, probs) => {
      check('attentionProbs', d, { q, k: keys, probs });
      const D = d.headDim,
        [oK, oQ, oP] = mem.regions(d.tk * D, d.tq * D, d.tq * d.tk) as [number, number, number];
      groups(
        d,
        (kvo) => mem.copyIn(keys, kvo, d.tk * D, oK),
        (qo, po, h) => {
          mem.copyIn(q, qo, d.tq * D, oQ);
          product(oQ * 4, oK * 4, oP * 4, d.tq, d.tk, D, false, true, false);
          scoreSoftmax(kernels, oP * 4, d, d.tq, first(d), h);
          mem.copyOut(probs, po, d.tq * d.tk, oP);
        },
        () => {},
      );
    },
    attentionProbsBackward: (q, keys, probs, g, d, dq, dk) => {
      check('attentionProbsBackward', d, { q, k: keys, probs, gProbs: g, dq, dk });
      const D = d.headDim;
      const [oK, odK, oQ, odQ, oP, oG, oX] = mem.regions(
        d.tk * D,
        d.tk * D,
        d.tq * D,
        d.tq * D,
        d.tq * d.tk,
        d.tq * d.tk,
        d.softcap ? d.tq * d.tk : 0,
      ) as number[] as [number, number, number, number, number, number, number];
      groups(
        d,
        (kvo) => {
          mem.copyIn(keys, kvo, d.tk * D, oK);
          if (dk) mem.copyIn(dk, kvo, d.tk * D, odK);
        },
        (qo, po) => {
          mem.copyIn(probs, po, d.tq * d.tk, oP);
          mem.copyIn(g, po, d.tq * d.tk, oG);
          kernels.softmaxBackwardRows(oP * 4, oG * 4, oG * 4, d.tq, d.tk, d.tk, first(d), d.causal ? 1 : 0, d.scale); // dS over G
          if (d.softcap || dk) mem.copyIn(q, qo, d.tq * D, oQ);
          if (d.softcap) {
            // The cap's derivative needs the raw products q·k again.
            product(oQ * 4, oK * 4, oX * 4, d.tq, d.tk, D, false, true, false);
            kernels.softcapBackwardRows(
              oG * 4,
              oX * 4,
              d.tq,
              d.tk,
              d.tk,
              first(d),
              d.causal ? 1 : 0,
              d.scale,
              d.softcap,
            );
          }
          if (dq) {
            mem.copyIn(dq, qo, d.tq * D, odQ);
            product(oG * 4, oK * 4, odQ * 4, d.tq, D, d.tk, false, false, true);
            mem.copyOut(dq, qo, d.tq * D, odQ);
          }
          if (dk) {
            product(oG * 4, oQ * 4, odK * 4, d.tk, D, d.tq, true, false, true);
          }
        },
        (kvo) => {
          if (dk) mem.copyOut(dk, kvo, d.tk * D, odK);
        },
      );
    },
    attendValues: (probs, v, d, out) => {
      check('attendValues', d, { probs, v, out });
      const D = d.headDim,
        [oV, oP, oO] = mem.regions(d.tk * D, d.tq * d.tk, d.tq * D) as [number, number, number];
      groups(
        d,
        (kvo) => mem.copyIn(v, kvo, d.tk * D, oV),
        (qo, po) => {
          mem.copyIn(probs, po, d.tq * d.tk, oP);
          if (d.causal) kernels.maskRows(oP * 4, d.tq, d.tk, d.tk, first(d));
          product(oP * 4, oV * 4, oO * 4, d.tq, D, d.tk, false, false, false);
          mem.copyOut(out, qo, d.tq * D, oO);
        },
        () => {},
      );
    },
    attendValuesBackward: (probs, v, g, d, dProbs, dv) => {
      check('attendValuesBackward', d, { probs, v, gOut: g, dProbs, dv });
      const D = d.headDim;
      const [oV, odV, oG, oP, odP, oT] = mem.regions(
        d.tk * D,
        d.tk * D,
        d.tq * D,
        d.tq * d.tk,
        d.tq * d.tk,
        d.tq * d.tk,
      ) as number[] as [number, number, number, number, number, number];
      groups(
        d,
        (kvo) => {
          mem.copyIn(v, kvo, d.tk * D, oV);
          if (dv) mem.copyIn(dv, kvo, d.tk * D, odV);
        },
        (qo, po) => {
          mem.copyIn(g, qo, d.tq * D, oG);
          if (dProbs) {
            mem.copyIn(dProbs, po, d.tq * d.tk, odP);
            product(oG * 4, oV * 4, oT * 4, d.tq, d.tk, D, false, true, false);
            kernels.addRows(odP * 4, oT * 4, d.tq, d.tk, d.tk, first(d), d.causal ? 1 : 0);
            mem.copyOut(dProbs, po, d.tq * d.tk, odP);
          }
          if (dv) {
            mem.copyIn(probs, po, d.tq * d.tk, oP);
            if (d.causal) kernels.maskRows(oP * 4, d.tq, d.tk, d.tk, first(d));
            product(oP * 4, oG * 4, odV * 4, d.tk, D, d.tq, true, false, true);
          }
        },
        (kvo) => {
          if (dv) mem.copyOut(dv, kvo, d.tk * D, odV);
        },
      );
    },
  };
}

/**
 * Attention over an int8 KV cache (decoding): per K/V head its int8 rows and scales are copied in
 * as stored (a quarter of float32) and widened in registers by the int8 one-row kernels.
 */
export function int8AttentionInModule(
  kernels: Kernels,
  mem: ModuleMemory,
): Pick<Backend, 'attentionProbsInt8' | 'attendValuesInt8'> {
  const check8 = (kernel: string, d: AttentionDims, rows: Int8Array, scales: Float32Array) => {
    const n = checkAttentionDims(kernel, d);
    covers(kernel, 'int8 rows', rows, n.kv);
    covers(kernel, 'scales', scales, n.kv / d.headDim);
    return n;
  };
  /** Per K/V head: its first tk rows and scales copied in, then fn for each query head reading it. */
  const perGroup = (
    d: AttentionDims,
    rows: Int8Array,
    scales: Float32Array,
    oR: number,
    oS: number,
    fn: (h: number) => void,
  ) => {
    const group = d.heads / d.kvHeads;
    for (let b = 0; b < d.batch; b++)
      for (let g = 0; g < d.kvHeads; g++) {
        const row0 = (b * d.kvHeads + g) * d.kvStride;
        mem.copyInt8In(rows, row0 * d.headDim, d.tk * d.headDim, oR, 'int8 rows');
        mem.copyIn(scales, row0, d.tk, oS, 'scales');
        for (let h = g * group; h < (g + 1) * group; h++) fn(b * d.heads + h);
      }
  };
  return {
    attentionProbsInt8: (q, kq, kScales, d, probs) => {
      const n = check8('attentionProbsInt8', d, kq, kScales);
      covers('attentionProbsInt8', 'q', q, n.q);
      covers('attentionProbsInt8', 'probs', probs, n.probs);
      const D = d.headDim,
        [oK, oS, oQ, oP] = mem.regions(Math.ceil((d.tk * D) / 4), d.tk, d.tq * D, d.tq * d.tk) as number[];
      perGroup(d, kq, kScales, oK!, oS!, (bh) => {
        mem.copyIn(q, bh * d.tq * D, d.tq * D, oQ!);
        for (let t = 0; t < d.tq; t++)
          kernels.gemvRowsInt8(oK! * 4, oS! * 4, (oQ! + t * D) * 4, (oP! + t * d.tk) * 4, d.tk, D, 0);
        scoreSoftmax(kernels, oP! * 4, d, d.tq, d.tk - d.tq, bh % d.heads);
        mem.copyOut(probs, bh * d.tq * d.tk, d.tq * d.tk, oP!);
      });
    },
    attendValuesInt8: (probs, vq, vScales, d, out) => {
      const n = check8('attendValuesInt8', d, vq, vScales);
      covers('attendValuesInt8', 'probs', probs, n.probs);
      covers('attendValuesInt8', 'out', out, n.q);
      const D = d.headDim,
        [oV, oS, oP, oO] = mem.regions(Math.ceil((d.tk * D) / 4), d.tk, d.tq * d.tk, d.tq * D) as number[];
      perGroup(d, vq, vScales, oV!, oS!, (bh) => {
        mem.copyIn(probs, bh * d.tq * d.tk, d.tq * d.tk, oP!);
        for (let t = 0; t < d.tq; t++) {
          const keys = d.causal ? d.tk - d.tq + t + 1 : d.tk; // query t sees keys up to tk - tq + t
          kernels.gemvColsInt8(oV! * 4, oS! * 4, (oP! + t * d.tk) * 4, (oO! + t * D) * 4, keys, D, 0);
        }
        mem.copyOut(out, bh * d.tq * D, d.tq * D, oO!);
      });
    },
  };
}
