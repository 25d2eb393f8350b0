// Node-only: refuses work whose estimated memory exceeds what this machine can give, before
// anything is allocated, with the estimate in the message.
import { freemem } from 'node:os';

export class MemoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MemoryError';
  }
}

/** Memory this process can still use (cgroup limits included where Node knows them). */
export function availableMemory(): number {
  const p = process as NodeJS.Process & { availableMemory?: () => number };
  return typeof p.availableMemory === 'function' ? p.availableMemory() : freemem();
}

export const formatBytes = (n: number): string =>
  n >= 2 ** 30
    ? `${(n / 2 ** 30).toFixed(1)} GiB`
    : n >= 2 ** 20
      ? `${(n / 2 ** 20).toFixed(1)} MiB`
      : `${Math.ceil(n / 1024)} KiB`;

export function ensureMemory(bytes: number, what: string, hint = ''): void {
  const available = availableMemory();
  if (bytes > available) {
    throw new MemoryError(
      `${what} needs about ${formatBytes(bytes)}, but only ${formatBytes(available)} is available${hint ? `; ${hint}` : ''}`,
    );
  }
}
