// One matrix product in module memory: a single row is a streaming matrix-vector product
// (decoding); larger products split their rows into bands across the worker threads, which run
// the same kernel on the shared memory and report back through the control block.
import { PARALLEL_WORK, SHARED_PAGES, SLOT, type Kernels } from './kernels.js';
import type { ModuleMemory } from './module-memory.js';

/** C (+)= op(A)·op(B) with A m×depth, B depth×n, C m×n at byte addresses a, b, c. */
export type Product = (
  a: number,
  b: number,
  c: number,
  m: number,
  n: number,
  depth: number,
  tA: boolean,
  tB: boolean,
  add: boolean,
) => void;

export function makeProduct(kernels: Kernels, memory: ModuleMemory, control: Int32Array, workers: number): Product {
  let generation = 0;
  const run = (
    a: number,
    b: number,
    c: number,
    m: number,
    n: number,
    depth: number,
    lda: number,
    ldb: number,
    tA: boolean,
    tB: boolean,
    add: boolean,
  ) => kernels.gemmStrided(a, b, c, m, n, depth, lda, ldb, n, tA ? 1 : 0, tB ? 1 : 0, add ? 1 : 0);

  /** Hands rows r0..r1 to a worker; returns its slot. */
  const dispatch = (slot: number, args: number[]) => {
    control.set(args, slot + 2);
    Atomics.store(control, slot, generation);
    Atomics.notify(control, slot);
  };
  const join = (slot: number) => {
    // Wait on the value just checked: re-reading it for wait() could miss the worker's store.
    for (let done = Atomics.load(control, slot + 1); done !== generation; done = Atomics.load(control, slot + 1)) {
      Atomics.wait(control, slot + 1, done);
    }
    if (Atomics.load(control, slot + 14) !== 0)
      throw new Error('wasm backend: a worker thread failed inside the matrix kernel');
  };

  return (a, b, c, m, n, depth, tA, tB, add) => {
    if (m === 1) {
      // One row (decoding; A is contiguous either way): read the weight once instead of packing it
      // for a quarter-used tile.
      if (tB) kernels.gemvRows(b, a, c, n, depth, add ? 1 : 0);
      else kernels.gemvCols(b, a, c, depth, n, add ? 1 : 0);
      return;
    }
    const lda = tA ? m : depth,
      ldb = tB ? depth : n;
    const shareable = memory.byteLength <= SHARED_PAGES * 65536;
    const bands =
      workers > 0 && shareable && m * n * depth >= PARALLEL_WORK ? Math.min(workers + 1, Math.floor(m / 8)) : 1;
    if (bands <= 1) return run(a, b, c, m, n, depth, lda, ldb, tA, tB, add);
    const rows = Math.ceil(m / bands / 4) * 4;
    generation++;
    const used: number[] = [];
    for (let t = 1; t < bands; t++) {
      const r0 = t * rows,
        r1 = Math.min(m, r0 + rows);
      if (r0 >= r1) break;
      const slot = (t - 1) * SLOT;
      dispatch(slot, [
        tA ? a + r0 * 4 : a + r0 * lda * 4,
        b,
        c + r0 * n * 4,
        r1 - r0,
        n,
        depth,
        lda,
        ldb,
        n,
        tA ? 1 : 0,
        tB ? 1 : 0,
        add ? 1 : 0,
      ]);
      used.push(slot);
    }
    run(a, b, c, Math.min(rows, m), n, depth, lda, ldb, tA, tB, add);
    for (const slot of used) join(slot);
  };
}
