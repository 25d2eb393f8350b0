// The KV cache: K and V buffers allocated only for the layers that compute them (producers in the
// sharing plan), kvHeads wide, so its measured bytes equal kvBytesPerToken × capacity × batch.
import { backend } from '../backend/backend.js';
import { Tensor } from '../tensor/tensor.js';
import type { ModelConfig } from './config.js';
import type { SharingPlan } from './plan.js';

export class KVCache {
  /** Filled positions. */
  length = 0;
  /** Per layer: [batch, kvHeads, capacity, headDim] buffers, or null where the plan computes none. */
  readonly keys: Array<Float32Array | null>;
  readonly values: Array<Float32Array | null>;
  private readonly kvHeads: number;
  private readonly headDim: number;

  constructor(
    config: ModelConfig,
    plan: SharingPlan,
    readonly batch: number,
    readonly capacity: number,
  ) {
    if (!Number.isInteger(batch) || batch <= 0)
      throw new Error(`KVCache: batch must be a positive integer, got ${batch}`);
    if (!Number.isInteger(capacity) || capacity <= 0 || capacity > config.context) {
      throw new Error(`KVCache: capacity must be between 1 and the model's context ${config.context}, got ${capacity}`);
    }
    this.kvHeads = config.kvHeads;
    this.headDim = config.dModel / config.heads;
    const size = batch * this.kvHeads * capacity * this.headDim;
    this.keys = plan.computesK.map((k) => (k ? new Float32Array(size) : null));
    this.values = plan.computesV.map((v) => (v ? new Float32Array(size) : null));
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
   * Copies new rows t [batch, kvHeads, T, headDim] into a layer's buffer at the current length and
   * returns the whole buffer as a tensor (attention reads its first length + T rows).
   */
  write(kind: 'keys' | 'values', layer: number, t: Tensor): Tensor {
    const buf = this[kind][layer];
    if (!buf) throw new Error(`KVCache: layer ${layer} has no ${kind} entry under this sharing plan`);
    const T = t.shape[2]!;
    if (this.length + T > this.capacity) {
      throw new Error(`KVCache: ${this.length} cached + ${T} new positions exceed the capacity of ${this.capacity}`);
    }
    backend().copyAxis(
      t.data,
      T,
      0,
      buf,
      this.capacity,
      this.length,
      this.batch * this.kvHeads,
      T,
      this.headDim,
      false,
    );
    return new Tensor(buf, [this.batch, this.kvHeads, this.capacity, this.headDim]);
  }
}
