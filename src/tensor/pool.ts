// The buffer pool: op outputs and gradients come from here, and backward() gives them back once the
// tape no longer needs them, so a training step reuses the previous step's memory instead of
// asking the system for fresh zeroed pages (page faults cost more than the kernels that fill them).
// Only buffers the pool handed out are ever recycled: parameters, KV caches, user data and anything
// pinned (kept, detached) never are.

/** Buffers below this many elements are cheap to allocate; pooling them would only add lookups. */
const MIN_POOLED = 4096;

const free = new Map<number, Float32Array[]>();
/** Handed out and not given back; a WeakSet so buffers nobody returns are simply collected. */
const owned = new WeakSet<Float32Array>();
let freeBytes = 0;
let maxFreeBytes = 1 << 30;
let poison = false;

export interface PoolOptions {
  /** Free buffers kept for reuse, at most; beyond it given-back buffers are left to the collector. */
  maxFreeBytes?: number;
  /** Fill output buffers with NaN, so a kernel that fails to write every element shows (tests). */
  poison?: boolean;
}

export function setPoolOptions(options: PoolOptions): void {
  if (options.maxFreeBytes !== undefined) maxFreeBytes = options.maxFreeBytes;
  if (options.poison !== undefined) poison = options.poison;
  trim();
}

/** A buffer of n floats whose contents are unspecified: for outputs a kernel overwrites entirely. */
export function takeBuffer(n: number): Float32Array {
  return take(n, false);
}

/** A buffer of n zeros: for gradients, which kernels add into. */
export function takeZeroed(n: number): Float32Array {
  return take(n, true);
}

// Small buffers are carved out of a shared slab: a view of a fresh (zeroed) ArrayBuffer costs a
// fraction of allocating an ArrayBuffer per buffer, which dominates decoding's per-token overhead.
// A slab region is never handed out twice; the slab is collected once no view of it is alive.
const SLAB_BYTES = 1 << 18;
let slab = new ArrayBuffer(0);
let slabUsed = 0;

function fromSlab(n: number): Float32Array {
  const bytes = (n * 4 + 15) & ~15;
  if (slabUsed + bytes > slab.byteLength) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const view = new Float32Array(slab, slabUsed, n);
  slabUsed += bytes;
  return view;
}

function take(n: number, zeroed: boolean): Float32Array {
  // With poison on (tests), every unspecified buffer starts as NaN, fresh or reused, small or
  // large: a kernel that leaves an element unwritten then fails the comparisons with PyTorch
  // instead of passing on a zero it happened to find.
  if (n < MIN_POOLED) {
    const small = fromSlab(n);
    if (poison && !zeroed) small.fill(NaN);
    return small;
  }
  const reused = free.get(n)?.pop();
  if (!reused) {
    const fresh = new Float32Array(n);
    owned.add(fresh);
    if (poison && !zeroed) fresh.fill(NaN);
    return fresh;
  }
  freeBytes -= reused.byteLength;
  owned.add(reused);
  if (zeroed) reused.fill(0);
  else if (poison) reused.fill(NaN);
  return reused;
}

/** Returns a buffer for reuse; true if it was the pool's and is now free (false: not ours, or already back). */
export function giveBack(buf: Float32Array): boolean {
  if (!owned.has(buf)) return false;
  owned.delete(buf);
  if (freeBytes + buf.byteLength > maxFreeBytes) return true;
  let list = free.get(buf.length);
  if (!list) {
    list = [];
    free.set(buf.length, list);
  }
  list.push(buf);
  freeBytes += buf.byteLength;
  return true;
}

/** The buffer will never be recycled (someone outside the tape holds it). */
export function pin(buf: Float32Array): void {
  owned.delete(buf);
}

/** Drops every free buffer (memory goes back to the collector). */
export function clearPool(): void {
  free.clear();
  freeBytes = 0;
}

export function poolStats(): { freeBytes: number; freeBuffers: number } {
  let freeBuffers = 0;
  for (const list of free.values()) freeBuffers += list.length;
  return { freeBytes, freeBuffers };
}

function trim(): void {
  for (const [n, list] of free) {
    while (freeBytes > maxFreeBytes && list.length > 0) freeBytes -= list.pop()!.byteLength;
    if (list.length === 0) free.delete(n);
  }
}
