// Runs kept across reloads in IndexedDB (idb-keyval): curves, figures and, once a run ends, its
// checkpoint files (kept separately by the Worker, files-store.ts), so a reloaded page can still
// compare and generate.
import { createStore, del, entries, set } from 'idb-keyval';
import type { ModelConfig } from 'shareformer';
import type { Settings } from './fields.js';

export interface RunRecord {
  id: string;
  label: string;
  settings: Settings;
  status: 'training' | 'paused' | 'finished' | 'stopped' | 'failed' | 'opened' | 'interrupted';
  parameters: number;
  kvBytesPerToken: number;
  layers: number;
  /** The model's whole config, as the Worker reports it (opened, converted and trained runs). */
  config?: ModelConfig;
  train: Array<[number, number]>;
  val: Array<[number, number]>;
  steps: number;
  step: number;
  tokensPerS: number;
  valLoss: number | null;
  error?: string;
  /**
   * A converted run: its source's label, the calibration loss before and right after conversion,
   * and the source's steps, where the uptraining curve starts on the chart (it continues the source's).
   */
  conversion?: { from: string; before: number; after: number; startStep?: number };
  /** Its checkpoint files are in IndexedDB (files-store.ts), written by the Worker. */
  kept?: boolean;
  created: number;
}

const store = typeof indexedDB === 'undefined' ? null : createStore('shareformer-playground', 'runs');

export async function loadRuns(): Promise<RunRecord[]> {
  if (!store) return [];
  const all = (await entries<string, RunRecord>(store)).map(([, r]) => r);
  // A run that was training when the page closed did not finish; say so rather than show it live.
  for (const r of all) if (r.status === 'training' || r.status === 'paused') r.status = 'interrupted';
  return all.sort((a, b) => a.created - b.created);
}

export const saveRun = (r: RunRecord): Promise<void> => (store ? set(r.id, r, store) : Promise.resolve());
export const deleteRun = (id: string): Promise<void> => (store ? del(id, store) : Promise.resolve());
