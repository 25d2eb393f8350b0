// The KV cache: K and V buffers allocated only for the layers that compute them (producers in the
// sharing plan), kvHeads wide, stored in float32, fp16, bf16 or int8 (one scale per head and
// position), so its measured bytes equal kvCacheBytesPerToken(dtype) × allocated positions × batch.
// It allocates in chunks as the sequence grows (up to its capacity, at most the context), and can
// drop its oldest positions (a sliding window) while absolute positions keep counting. Attention
// reads an int8 cache in place (int8 kernels); fp16/bf16 layers are widened into one float32
// scratch per kind on each read.
import { backend } from '../backend/backend.js';
import {
  bf16ToFloat,
  floatToBf16,
  floatToHalf,
  halfToFloat,
  quantizeRows,
  type StorageDtype,
} from '../tensor/precision.js';
import { Tensor } from '../tensor/tensor.js';
import { everyLayerWindowed, headSize, type ModelConfig } from './config.js';
import type { SharingPlan } from './plan.js';

/**
 * Positions a generation's cache holds for a text of `context` positions: all of them, or for a
 * sliding-window RoPE model its window and an eighth more (it drops a stride of positions the
 * window will never read again, at once); learned positions are indexed by cache slot, so such
 * models keep the whole context, as do models with some full-attention layers (one buffer serves all).
 */
export function cachePositions(config: ModelConfig, context: number): { positions: number; stride: number } {
  const w = config.slidingWindow;
  // One buffer serves every layer: a model with some full-attention layers (Gemma 3) keeps them all.
  const bounded = config.positions === 'rope' && everyLayerWindowed(config) && w < context;
  const stride = Math.max(1, Math.floor((bounded ? w : context) / 8));
  return { positions: bounded ? w + stride : context, stride };
}

/** Positions added at a time when the cache grows (or the whole remaining capacity, if less). */
export const CACHE_CHUNK = 64;

export interface CacheOptions {
  /** Positions to allocate up front (default: the whole capacity); more are added in chunks. */
  initial?: number;
  /** Storage precision of keys and values (default fp32). */
  dtype?: StorageDtype;
}

type Store = Float32Array | Uint16Array | Int8Array;

/** Keys or values stored as int8 rows with one float32 scale per head and position. */
export interface Int8Rows {
  q: Int8Array;
  scales: Float32Array;
  shape: [number, number, number, number];
}

export class KVCache {
  /** Filled positions. */
  length = 0;
  /** Absolute position of the next token: length plus every position the window has dropped. */
  position = 0;
  /** Allocated positions (≤ capacity). */
  allocated: number;
  /** Per layer: [batch, kvHeads, allocated, headDim] buffers, or null where the plan computes none. */
  readonly keys: Array<Store | null>;
  readonly values: Array<Store | null>;
  /** int8 only: per layer, one scale per [batch, kvHeads, allocated] row. */
  readonly keyScales: Array<Float32Array | null>;
  readonly valueScales: Array<Float32Array | null>;
  readonly dtype: StorageDtype;
  private readonly scratch = { keys: new Float32Array(0), values: new Float32Array(0) };
  private readonly kvHeads: number;
  private readonly headDim: number;

  constructor(
    config: ModelConfig,
    plan: SharingPlan,
    readonly batch: number,
    readonly capacity: number,
    options: CacheOptions = {},
  ) {
    if (!Number.isInteger(batch) || batch <= 0)
      throw new Error(`KVCache: batch must be a positive integer, got ${batch}`);
    if (!Number.isInteger(capacity) || capacity <= 0 || capacity > config.context) {
      throw new Error(`KVCache: capacity must be between 1 and the model's context ${config.context}, got ${capacity}`);
    }
    const initial = options.initial ?? capacity;
    if (!Number.isInteger(initial) || initial <= 0)
      throw new Error(`KVCache: initial positions must be a positive integer, got ${initial}`);
    this.allocated = Math.min(initial, capacity);
    this.dtype = options.dtype ?? 'fp32';
    this.kvHeads = config.kvHeads;
    this.headDim = headSize(config);
    const store = () => this.newStore(this.allocated);
    const scales = () => (this.dtype === 'int8' ? new Float32Array(this.batch * this.kvHeads * this.allocated) : null);
    this.keys = plan.computesK.map((k) => (k ? store() : null));
    this.values = plan.computesV.map((v) => (v ? store() : null));
    this.keyScales = plan.computesK.map((k) => (k ? scales() : null));
    this.valueScales = plan.computesV.map((v) => (v ? scales() : null));
  }

  private newStore(positions: number): Store {
    const n = this.batch * this.kvHeads * positions * this.headDim;
    return this.dtype === 'fp32' ? new Float32Array(n) : this.dtype === 'int8' ? new Int8Array(n) : new Uint16Array(n);
  }

  /** Bytes actually allocated for cache entries (and int8 scales; not the float32 read scratch). */
  bytes(): number {
    let n = 0;
    for (const b of [...this.keys, ...this.values, ...this.keyScales, ...this.valueScales]) if (b) n += b.byteLength;
    return n;
  }

  /** Bytes allocated per layer for its own keys and values (int8 scales included); 0 where it borrows. */
  layerBytes(): Array<{ keys: number; values: number }> {
    const size = (b: { byteLength: number } | null) => (b ? b.byteLength : 0);
    return this.keys.map((k, i) => ({
      keys: size(k) + size(this.keyScales[i] ?? null),
      values: size(this.values[i] ?? null) + size(this.valueScales[i] ?? null),
    }));
  }

  /** Layers that own an entry (K and/or V). */
  entryCount(): { keys: number; values: number } {
    return { keys: this.keys.filter(Boolean).length, values: this.values.filter(Boolean).length };
  }

  /**
   * Makes room for `positions` in total, in whole chunks up to the capacity, growing by at least a
   * quarter so a long sequence is copied a bounded number of times (and over-allocates ≤ 25%).
   */
  private reserve(positions: number): void {
    if (positions <= this.allocated) return;
    const wanted = Math.max(positions, this.allocated + Math.max(CACHE_CHUNK, this.allocated >> 2));
    const next = Math.min(this.capacity, Math.ceil(wanted / CACHE_CHUNK) * CACHE_CHUNK);
    const outer = this.batch * this.kvHeads;
    const grow = <T extends Store | Float32Array>(buf: T, width: number, make: (n: number) => T): T => {
      const grown = make(outer * next * width);
      for (let blk = 0; blk < outer; blk++)
        grown.set(
          buf.subarray(blk * this.allocated * width, (blk * this.allocated + this.length) * width),
          blk * next * width,
        );
      return grown;
    };
    for (const list of [this.keys, this.values])
      list.forEach((buf, layer) => {
        if (buf) list[layer] = grow(buf, this.headDim, (n) => this.newStore(n / (outer * this.headDim)));
      });
    for (const list of [this.keyScales, this.valueScales])
      list.forEach((buf, layer) => {
        if (buf) list[layer] = grow(buf, 1, (n) => new Float32Array(n));
      });
    this.allocated = next;
  }

  /**
   * Drops the oldest `n` positions (a sliding window). Absolute positions keep counting, so RoPE
   * keys keep their rotation and attention stays relative.
   */
  dropOldest(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.length)
      throw new Error(`KVCache: cannot drop ${n} of ${this.length} cached positions`);
    const shift = (buf: Store | Float32Array | null, row: number) => {
      if (!buf) return;
      for (let blk = 0; blk < this.batch * this.kvHeads; blk++) {
        const base = blk * this.allocated * row;
        buf.copyWithin(base, base + n * row, base + this.length * row);
      }
    };
    for (const buf of [...this.keys, ...this.values]) shift(buf, this.headDim);
    for (const buf of [...this.keyScales, ...this.valueScales]) shift(buf, 1);
    this.length -= n;
  }

  /** Empties the cache (absolute positions start again at 0). */
  reset(): void {
    this.length = 0;
    this.position = 0;
  }

  /**
   * Stores new rows t [batch, kvHeads, T, headDim] at the current length (in the cache's dtype) and
   * returns the layer's first length + T positions as a float32 tensor (see `read`).
   */
  write(kind: 'keys' | 'values', layer: number, t: Tensor): Tensor {
    this.store(kind, layer, t);
    return this.read(kind, layer, this.length + t.shape[2]!);
  }

  /** Stores new rows t [batch, kvHeads, T, headDim] at the current length, in the cache's dtype. */
  store(kind: 'keys' | 'values', layer: number, t: Tensor): void {
    if (!this[kind][layer]) throw new Error(`KVCache: layer ${layer} has no ${kind} entry under this sharing plan`);
    const T = t.shape[2]!;
    if (this.length + T > this.capacity) {
      throw new Error(`KVCache: ${this.length} cached + ${T} new positions exceed the capacity of ${this.capacity}`);
    }
    this.reserve(this.length + T);
    const buf = this[kind][layer]!,
      outer = this.batch * this.kvHeads,
      hd = this.headDim;
    if (buf instanceof Float32Array) {
      backend().copyAxis(t.data, T, 0, buf, this.allocated, this.length, outer, T, hd, false);
    } else {
      for (let blk = 0; blk < outer; blk++) {
        const src = blk * T * hd,
          row = blk * this.allocated + this.length;
        if (buf instanceof Int8Array) {
          const scales = (kind === 'keys' ? this.keyScales : this.valueScales)[layer]!;
          quantizeRows(t.data, src, T, hd, buf, row * hd, scales, row);
        } else {
          const narrow = this.dtype === 'fp16' ? floatToHalf : floatToBf16;
          for (let j = 0; j < T * hd; j++) buf[row * hd + j] = narrow(t.data[src + j]!);
        }
      }
    }
  }

  /** An int8 cache's rows of one layer as stored: values, scales and [batch, kvHeads, allocated, headDim]. */
  int8Rows(kind: 'keys' | 'values', layer: number): Int8Rows {
    const q = this[kind][layer],
      scales = (kind === 'keys' ? this.keyScales : this.valueScales)[layer];
    if (!(q instanceof Int8Array) || !scales)
      throw new Error(`KVCache: layer ${layer} has no int8 ${kind} (dtype ${this.dtype})`);
    return { q, scales, shape: [this.batch, this.kvHeads, this.allocated, this.headDim] };
  }

  /**
   * A layer's keys or values as a float32 [batch, kvHeads, allocated, headDim] tensor whose first
   * `positions` rows are filled: the buffer itself for fp32, otherwise widened into this kind's
   * scratch (valid until the next read of the same kind).
   */
  read(kind: 'keys' | 'values', layer: number, positions = this.length): Tensor {
    const buf = this[kind][layer];
    if (!buf) throw new Error(`KVCache: layer ${layer} has no ${kind} entry under this sharing plan`);
    const shape = [this.batch, this.kvHeads, this.allocated, this.headDim];
    if (buf instanceof Float32Array) return new Tensor(buf, shape);
    const outer = this.batch * this.kvHeads,
      hd = this.headDim;
    if (this.scratch[kind].length !== buf.length) this.scratch[kind] = new Float32Array(buf.length);
    const out = this.scratch[kind];
    const scales = (kind === 'keys' ? this.keyScales : this.valueScales)[layer];
    if (scales) {
      backend().dequantRows(buf as Int8Array, scales, out, outer, this.allocated, positions, hd);
      return new Tensor(out, shape);
    }
    const widen = this.dtype === 'fp16' ? halfToFloat : bf16ToFloat;
    for (let blk = 0; blk < outer; blk++) {
      const base = blk * this.allocated;
      for (let p = 0; p < positions; p++) {
        const o = (base + p) * hd;
        for (let j = 0; j < hd; j++) out[o + j] = widen(buf[o + j]!);
      }
    }
    return new Tensor(out, shape);
  }

  /** Called by the model after a forward pass has written T positions to every producer. */
  advance(T: number): void {
    this.length += T;
    this.position += T;
  }
}
