// Node-only: SHAREFORMER_THREADS, the thread count of the native and wasm backends (default: one
// per CPU). A value that is not a whole number ≥ 1 is an error, not silently the default.
import { availableParallelism } from 'node:os';

export function threadsFromEnv(): number {
  const raw = process.env.SHAREFORMER_THREADS;
  if (raw === undefined || raw.trim() === '') return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new Error(`SHAREFORMER_THREADS=${raw}: expected a whole number of threads from 1 to 64`);
  return n;
}
