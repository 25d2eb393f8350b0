// The KV cache: K and V buffers allocated only for the layers that compute them (producers in the
// sharing plan), kvHeads wide, so its measured bytes equal kvBytesPerToken × allocated positions ×
// batch. It allocates in chunks as the sequence grows (up to its capacity, at most the context),
// and can drop its oldest positions (a sliding window) while absolute positions keep counting.
import { backend } from '../backend/backend.js';
import { Tensor } from '../tensor/tensor.js';
import type { ModelConfig } from './config.js';
import type { SharingPlan } from './plan.js';

/** Positions added at a time when the cache grows (or the whole remaining capacity, if less). */
export const CACHE_CHUNK = 64;

export interface CacheOptions {
  /** Positions to allocate up front (default: the whole capacity); more are added in chunks. */
  initial?: number;
}

export class KVCache {
  /** Filled positions. */
  length = 0;
  /** Absolute position of the next token: length plus every position the window has dropped. */
  position = 0;
  /** Allocated positions (≤ capacity). */
  allocated: number;
  /** Per layer: [batch, kvHeads, allocated, headDim] buffers, or null where the plan computes none. */
  readonly keys: Array<Float32Array | null>;
  readonly values: Array<Float32Array | null>;
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
    this.kvHeads = config.kvHeads;
    this.headDim = config.dModel / config.heads;
    const size = this.rowsPerPosition() * this.allocated;
    this.keys = plan.computesK.map((k) => (k ? new Float32Array(size) : null));
    this.values = plan.computesV.map((v) => (v ? new Float32Array(size) : null));
  }

  private rowsPerPosition(): number {
    return this.batch * this.kvHeads * this.headDim;
  }

  /** Bytes actually allocated for cache entries. */
  bytes(): number {
    let n = 0;
    for (const b of [...this.keys, ...this.values]) if (b) n += b.byteLength;
    return n;
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
    const be = backend();
    const outer = this.batch * this.kvHeads;
    for (const list of [this.keys, this.values]) {
      list.forEach((buf, layer) => {
        if (!buf) return;
        const grown = new Float32Array(outer * next * this.headDim);
        if (this.length > 0)
          be.copyAxis(buf, this.allocated, 0, grown, next, 0, outer, this.length, this.headDim, false);
        list[layer] = grown;
      });
    }
    this.allocated = next;
  }

  /**
   * Drops the oldest `n` positions (a sliding window). Absolute positions keep counting, so RoPE
   * keys keep their rotation and attention stays relative.
   */
  dropOldest(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.length)
      throw new Error(`KVCache: cannot drop ${n} of ${this.length} cached positions`);
    const row = this.headDim;
    for (const buf of [...this.keys, ...this.values]) {
      if (!buf) continue;
      for (let blk = 0; blk < this.batch * this.kvHeads; blk++) {
        const base = blk * this.allocated * row;
        buf.copyWithin(base, base + n * row, base + this.length * row);
      }
    }
    this.length -= n;
  }

  /** Empties the cache (absolute positions start again at 0). */
  reset(): void {
    this.length = 0;
    this.position = 0;
  }

  /**
   * Copies new rows t [batch, kvHeads, T, headDim] into a layer's buffer at the current length and
   * returns the whole buffer as a tensor (attention reads its first length + T rows).
   */
  write(kind: 'keys' | 'values', layer: number, t: Tensor): Tensor {
    if (!this[kind][layer]) throw new Error(`KVCache: layer ${layer} has no ${kind} entry under this sharing plan`);
    const T = t.shape[2]!;
    if (this.length + T > this.capacity) {
      throw new Error(`KVCache: ${this.length} cached + ${T} new positions exceed the capacity of ${this.capacity}`);
    }
    this.reserve(this.length + T);
    const buf = this[kind][layer]!;
    backend().copyAxis(
      t.data,
      T,
      0,
      buf,
      this.allocated,
      this.length,
      this.batch * this.kvHeads,
      T,
      this.headDim,
      false,
    );
    return new Tensor(buf, [this.batch, this.kvHeads, this.allocated, this.headDim]);
  }

  /** Called by the model after a forward pass has written T positions to every producer. */
  advance(T: number): void {
    this.length += T;
    this.position += T;
  }
}
