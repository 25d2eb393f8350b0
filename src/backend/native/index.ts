// Node-only: the native backend. Matrix products go to OpenBLAS through a Node-API addon
// (native/shareformer.c, built at install time); every other kernel is the reference one until
// it has a native version. Loading never throws: it reports why the addon is unavailable.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Backend, GemmArgs } from '../backend.js';
import { jsBackend } from '../js/index.js';

interface Addon {
  gemm(a: Float32Array, b: Float32Array, c: Float32Array, batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, strideA: number, strideB: number, strideC: number, accumulate: boolean): void;
  threads(n?: number): number;
}

const ADDON = fileURLToPath(new URL('../../../build/Release/shareformer_native.node', import.meta.url));
const STATUS = fileURLToPath(new URL('../../../build/native-status.json', import.meta.url));

export type NativeLoad = { backend: Backend; addon: Addon } | { backend: null; reason: string };

let cached: NativeLoad | null = null;

export function loadNativeBackend(): NativeLoad {
  if (cached) return cached;
  if (!existsSync(ADDON)) {
    let reason = 'the addon was not built at install time (npm may have skipped install scripts)';
    try {
      const s = JSON.parse(readFileSync(STATUS, 'utf8')) as { ok: boolean; reason: string | null };
      if (!s.ok && s.reason) reason = s.reason;
    } catch { /* no status file: the install script did not run */ }
    return (cached = { backend: null, reason });
  }
  try {
    const addon = createRequire(import.meta.url)(ADDON) as Addon;
    const gemm = (a: Float32Array, b: Float32Array, c: Float32Array, p: GemmArgs) => {
      addon.gemm(a, b, c, p.batch, p.m, p.n, p.k, p.transA, p.transB, p.strideA, p.strideB, p.strideC, p.accumulate);
    };
    return (cached = { backend: { ...jsBackend, name: 'native', gemm }, addon });
  } catch (e) {
    return (cached = { backend: null, reason: `the addon failed to load (${(e as Error).message.split('\n')[0]})` });
  }
}
