// The registry that picks the active backend. The reference js backend is always present;
// faster ones register themselves when they load (backend/node.ts in Node, loadWasmBackend in
// browsers). The interface itself is in types.ts, so kernels never import the registry.
import { jsBackend } from './js/index.js';
import type { Backend } from './types.js';

export type { AdamWArgs, AttentionDims, Backend, BinaryOp, GeluApproximation, GemmArgs } from './types.js';

// The reference backend is always present; faster ones register themselves when they load.
const registry = new Map<string, Backend>([[jsBackend.name, jsBackend]]);
let active: Backend = jsBackend;

export function registerBackend(backend: Backend): void {
  registry.set(backend.name, backend);
}

export function availableBackends(): string[] {
  return [...registry.keys()];
}

/** Selects the backend every op uses from now on. */
export function setBackend(name: string): Backend {
  const b = registry.get(name);
  if (!b) throw new Error(`unknown backend "${name}"; available: ${availableBackends().join(', ')}`);
  active = b;
  return b;
}

export function backend(): Backend {
  return active;
}
