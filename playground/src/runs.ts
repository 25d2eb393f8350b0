// The page's runs: their records (persisted in IndexedDB, store.ts), which models the Worker holds,
// and where a run's checkpoint files are (in the Worker, or stored by it for after a reload).
import type { ModelConfig, WorkerClient } from 'shareformer';
import { FIELDS, type Settings } from './fields.js';
import { deleteFiles, getFiles } from './files-store.js';
import { deleteRun, type RunRecord } from './store.js';

const SHARING_FLAGS = FIELDS.filter((f) => f.group === 'sharing' || f.group === 'embeddings').map((f) => f.flag);

/** "#n" and the sharing settings that differ from the defaults, or "no sharing". */
export function labelOf(s: Settings, n: number): string {
  const plan = SHARING_FLAGS.filter((f) => {
    const field = FIELDS.find((x) => x.flag === f)!;
    return s[f] !== field.default && !(f === 'kv-heads' && s[f] === s.heads);
  }).map((f) => `${f}=${s[f]}`);
  return `#${n} ${plan.length ? plan.join(', ') : 'no sharing'}`;
}

const toFlag = (v: unknown) => (Array.isArray(v) ? JSON.stringify(v) : v === 0 ? '' : String(v));

/** The plan builder's settings for a model the Worker reports (an opened or converted run). */
export function settingsOf(config: ModelConfig, base: Settings): Settings {
  const settings = { ...base };
  for (const f of FIELDS) if (f.model) settings[f.flag] = toFlag(config[f.model]);
  return settings;
}

export class Runs {
  readonly list: RunRecord[] = [];
  /** Runs whose model the Worker holds (others are opened from their stored files). */
  readonly inWorker = new Set<string>();
  /** Runs whose architecture the table shows (kept across redraws). */
  readonly expanded = new Set<string>();

  constructor(private readonly client: WorkerClient) {}

  find(id: string): RunRecord | undefined {
    return this.list.find((r) => r.id === id);
  }

  /** Whether the run has a model to generate from or download (held by the Worker, or stored). */
  hasModel(r: RunRecord): boolean {
    return Boolean(r.kept) || this.inWorker.has(r.id);
  }

  /** The run's checkpoint files: saved by the Worker if it holds the model, else from storage. */
  async files(r: RunRecord): Promise<Array<[string, Uint8Array]>> {
    if (this.inWorker.has(r.id)) return this.client.save(r.id);
    const files = await getFiles(r.id);
    if (!files) throw new Error(`${r.label}: its checkpoint is no longer in this browser's storage`);
    return files;
  }

  /** Makes sure the Worker holds the run's model (after a reload only its files are kept). */
  async ensureInWorker(r: RunRecord): Promise<void> {
    if (this.inWorker.has(r.id)) return;
    await this.client.open(r.id, r.label, await this.files(r));
    this.inWorker.add(r.id);
  }

  /** Asks the Worker to store the run's checkpoint in IndexedDB itself (the weights stay off the page's thread). */
  keep(r: RunRecord): void {
    this.client.send({ type: 'keep', run: r.id } as never);
  }

  async remove(r: RunRecord): Promise<void> {
    this.list.splice(this.list.indexOf(r), 1);
    if (this.inWorker.delete(r.id)) this.client.send({ type: 'dispose', run: r.id });
    await Promise.all([deleteRun(r.id), deleteFiles(r.id)]);
  }
}
