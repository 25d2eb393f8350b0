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
import { everyLayerWindowed, headSize, layerWindow, planOf, type ModelConfig } from './config.js';
import { kvCacheBytesPerLayer } from './parameters.js';
import type { SharingPlan } from './plan.js';

/**
 * Positions a generation's cache holds for a text of `context` positions: all of them, or for a
 * sliding-window RoPE model its window and an eighth more (it drops a stride of positions the
 * window will never read again, at once); learned positions are indexed by cache slot, so such
 * models keep the whole context. With full-attention layers among windowed ones (Gemma 3) the
 * cache holds the whole text and layerLimits bounds the layers only windowed layers read.
 */
export function cachePositions(config: ModelConfig, context: number): { positions: number; stride: number } {
  const w = config.slidingWindow;
  const bounded = config.positions === 'rope' && everyLayerWindowed(config) && w < context;
  const stride = Math.max(1, Math.floor((bounded ? w : context) / 8));
  return { positions: bounded ? w + stride : context, stride };
}

/**
 * Bytes a generation cache of `config` holds once `allocated` positions are allocated: each
 * layer's own entries for those positions, or for a layer bounded by its readers' windows at most
 * its limit. The analyzer's figure at the context, and the playground's gauge for any model's cache
 * at the positions a real one holds (equal to KVCache.bytes()).
 */
export function kvCacheBytesHeld(
  config: ModelConfig,
  dtype: StorageDtype,
  allocated: number,
  plan: SharingPlan = planOf(config),
  batch = 1,
): number {
  const limits = layerLimits(config, Number.POSITIVE_INFINITY, plan);
  return (
    kvCacheBytesPerLayer(config, dtype, plan).reduce(
      (n, perPosition, i) => n + perPosition * Math.min(allocated, limits[i]?.limit ?? allocated),
      0,
    ) * batch
  );
}

/** Per layer: what a layer holds, and drops down to, when only windowed layers read its K/V. */
export interface LayerLimit {
  /** Positions it holds at most (its readers' widest window and a stride). */
  limit: number;
  /** Positions dropped at a time when it is full (an eighth of the window). */
  stride: number;
  /** Its readers' widest window: the positions a new query still needs. */
  window: number;
}

/** The layers a cache can bound below the context (none for learned positions, indexed by slot). */
export function layerLimits(
  config: ModelConfig,
  context: number,
  plan: SharingPlan = planOf(config),
): Array<LayerLimit | null> {
  const widest = new Array<number>(config.layers).fill(-1);
  plan.kv.forEach((src, i) => {
    const w = layerWindow(config, i);
    widest[src] = widest[src] === 0 || w === 0 ? 0 : Math.max(widest[src]!, w);
  });
  return widest.map((w) => {
    if (config.positions !== 'rope' || w <= 0 || w >= context) return null;
    const stride = Math.max(1, Math.floor(w / 8));
    return w + stride < context ? { limit: w + stride, stride, window: w } : null;
  });
}

/** Positions added at a time when the cache grows (or the whole remaining capacity, if less). */
export const CACHE_CHUNK = 64;

export interface CacheOptions {
  /** Positions to allocate up front (default: the whole capacity); more are added in chunks. */
  initial?: number;
  /** Storage precision of keys and values (default fp32). */
  dtype?: StorageDtype;
  /**
   * Layers that hold fewer positions than the cache (only windowed layers read them): each keeps
   * at most its limit, dropping its oldest positions by strides as new ones arrive.
   */
  layerLimits?: Array<LayerLimit | null>;
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
  /** Allocated positions (≤ capacity) of the layers that hold the whole cache. */
  allocated: number;
  /** Per layer: positions allocated (a bounded layer's stay near its limit). */
  private readonly rows: number[];
  /** Per layer: how many of the `length` positions, the oldest, a bounded layer no longer holds. */
  private readonly dropped: number[];
  private readonly limits: Array<LayerLimit | null>;
  /** Per layer: [batch, kvHeads, layerAllocated(layer), headDim] buffers, or null where the plan computes none. */
  readonly keys: Array<Store | null>;
  readonly values: Array<Store | null>;
  /** int8 only: per layer, one scale per [batch, kvHeads, layerAllocated(layer)] row. */
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
    this.limits = plan.kv.map((_, i) => options.layerLimits?.[i] ?? null);
    this.rows = this.limits.map((l) => Math.min(this.allocated, l?.limit ?? this.allocated));
    this.dropped = this.rows.map(() => 0);
    const store = (i: number) => this.newStore(this.rows[i]!);
    const scales = (i: number) =>
      this.dtype === 'int8' ? new Float32Array(this.batch * this.kvHeads * this.rows[i]!) : null;
    this.keys = plan.computesK.map((k, i) => (k ? store(i) : null));
    this.values = plan.computesV.map((v, i) => (v ? store(i) : null));
    this.keyScales = plan.computesK.map((k, i) => (k ? scales(i) : null));
    this.valueScales = plan.computesV.map((v, i) => (v ? scales(i) : null));
  }

  /** Positions layer `layer`'s entries hold (the cache's length, or fewer for a bounded layer). */
  held(layer: number): number {
    return this.length - this.dropped[layer]!;
  }

  /** Positions allocated for layer `layer`'s entries. */
  layerAllocated(layer: number): number {
    return this.rows[layer]!;
  }

  /**
   * Before a forward pass of T new positions: each bounded layer that would exceed its limit drops
   * its oldest positions — a stride at a time, never those its window still needs.
   */
  prepare(T: number): void {
    this.limits.forEach((l, layer) => {
      if (!l || this.held(layer) + T <= l.limit) return;
      const keep = Math.max(l.window - 1, l.limit - l.stride - T + 1);
      const n = this.held(layer) - keep;
      if (n > 0) this.shiftLayer(layer, n);
    });
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
  private reserve(layer: number, positions: number): void {
    const have = this.rows[layer]!;
    if (positions <= have) return;
    const cap = Math.max(positions, this.limits[layer]?.limit ?? this.capacity);
    const wanted = Math.max(positions, have + Math.max(CACHE_CHUNK, have >> 2));
    const next = Math.min(cap, Math.ceil(wanted / CACHE_CHUNK) * CACHE_CHUNK);
    const outer = this.batch * this.kvHeads,
      filled = this.held(layer);
    const grow = <T extends Store | Float32Array>(buf: T, width: number, make: (n: number) => T): T => {
      const grown = make(outer * next * width);
      for (let blk = 0; blk < outer; blk++)
        grown.set(buf.subarray(blk * have * width, (blk * have + filled) * width), blk * next * width);
      return grown;
    };
    for (const list of [this.keys, this.values]) {
      const buf = list[layer];
      if (buf) list[layer] = grow(buf, this.headDim, (n) => this.newStore(n / (outer * this.headDim)));
    }
    for (const list of [this.keyScales, this.valueScales]) {
      const buf = list[layer];
      if (buf) list[layer] = grow(buf, 1, (n) => new Float32Array(n));
    }
    this.rows[layer] = next;
    if (!this.limits[layer]) this.allocated = Math.max(this.allocated, next);
  }

  /** Drops layer `layer`'s oldest n positions (its K, V and int8 scales alike). */
  private shiftLayer(layer: number, n: number): void {
    const have = this.rows[layer]!,
      filled = this.held(layer);
    const shift = (buf: Store | Float32Array | null, row: number) => {
      if (!buf) return;
      for (let blk = 0; blk < this.batch * this.kvHeads; blk++) {
        const base = blk * have * row;
        buf.copyWithin(base, base + n * row, base + filled * row);
      }
    };
    shift(this.keys[layer] ?? null, this.headDim);
    shift(this.values[layer] ?? null, this.headDim);
    shift(this.keyScales[layer] ?? null, 1);
    shift(this.valueScales[layer] ?? null, 1);
    this.dropped[layer]! += n;
  }

  /**
   * Drops the oldest `n` positions (a sliding window). Absolute positions keep counting, so RoPE
   * keys keep their rotation and attention stays relative.
   */
  dropOldest(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.length)
      throw new Error(`KVCache: cannot drop ${n} of ${this.length} cached positions`);
    // A bounded layer may have dropped some of them already.
    this.dropped.forEach((d, layer) => {
      if (n > d) this.shiftLayer(layer, n - d);
      this.dropped[layer] = Math.max(0, this.dropped[layer]! - n);
    });
    this.length -= n;
  }

  /** Empties the cache (absolute positions start again at 0). */
  reset(): void {
    this.length = 0;
    this.position = 0;
    this.dropped.fill(0);
  }

  /**
   * Stores new rows t [batch, kvHeads, T, headDim] at the current length (in the cache's dtype) and
   * returns the layer's first length + T positions as a float32 tensor (see `read`).
   */
  write(kind: 'keys' | 'values', layer: number, t: Tensor): Tensor {
    this.store(kind, layer, t);
    return this.read(kind, layer, this.held(layer) + t.shape[2]!);
  }

  /** Stores new rows t [batch, kvHeads, T, headDim] at the current length, in the cache's dtype. */
  store(kind: 'keys' | 'values', layer: number, t: Tensor): void {
    if (!this[kind][layer]) throw new Error(`KVCache: layer ${layer} has no ${kind} entry under this sharing plan`);
    const T = t.shape[2]!;
    if (this.length + T > this.capacity) {
      throw new Error(`KVCache: ${this.length} cached + ${T} new positions exceed the capacity of ${this.capacity}`);
    }
    const at = this.held(layer);
    this.reserve(layer, at + T);
    const buf = this[kind][layer]!,
      rows = this.rows[layer]!,
      outer = this.batch * this.kvHeads,
      hd = this.headDim;
    if (buf instanceof Float32Array) {
      backend().copyAxis(t.data, T, 0, buf, rows, at, outer, T, hd, false);
    } else {
      for (let blk = 0; blk < outer; blk++) {
        const src = blk * T * hd,
          row = blk * rows + at;
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

  /** An int8 cache's rows of one layer as stored: values, scales and [batch, kvHeads, layerAllocated(layer), headDim]. */
  int8Rows(kind: 'keys' | 'values', layer: number): Int8Rows {
    const q = this[kind][layer],
      scales = (kind === 'keys' ? this.keyScales : this.valueScales)[layer];
    if (!(q instanceof Int8Array) || !scales)
      throw new Error(`KVCache: layer ${layer} has no int8 ${kind} (dtype ${this.dtype})`);
    return { q, scales, shape: [this.batch, this.kvHeads, this.rows[layer]!, this.headDim] };
  }

  /**
   * A layer's keys or values as a float32 [batch, kvHeads, layerAllocated(layer), headDim] tensor whose first
   * `positions` rows are filled: the buffer itself for fp32, otherwise widened into this kind's
   * scratch (valid until the next read of the same kind).
   */
  read(kind: 'keys' | 'values', layer: number, positions = this.held(layer)): Tensor {
    const buf = this[kind][layer];
    if (!buf) throw new Error(`KVCache: layer ${layer} has no ${kind} entry under this sharing plan`);
    const rows = this.rows[layer]!;
    const shape = [this.batch, this.kvHeads, rows, this.headDim];
    if (buf instanceof Float32Array) return new Tensor(buf, shape);
    const outer = this.batch * this.kvHeads,
      hd = this.headDim;
    // One scratch per kind, as large as the largest layer read (bounded layers read a prefix of it).
    if (this.scratch[kind].length < buf.length) this.scratch[kind] = new Float32Array(buf.length);
    const out = this.scratch[kind].subarray(0, buf.length);
    const scales = (kind === 'keys' ? this.keyScales : this.valueScales)[layer];
    if (scales) {
      backend().dequantRows(buf as Int8Array, scales, out, outer, rows, positions, hd);
      return new Tensor(out, shape);
    }
    const widen = this.dtype === 'fp16' ? halfToFloat : bf16ToFloat;
    for (let blk = 0; blk < outer; blk++) {
      const base = blk * rows;
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
