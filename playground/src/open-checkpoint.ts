// Opening a checkpoint in the page (a zip or the CLI's files, or a Hugging Face model directory's
// files): validated and loaded (or imported) by the Worker, then listed as a run whose settings are
// read back from its config.
import type { WorkerClient } from 'shareformer';
import { filesFromUpload } from './checkpoint-io.js';
import type { Settings } from './fields.js';
import { settingsOf, type Runs } from './runs.js';
import { saveRun, type RunRecord } from './store.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export function mountOpenCheckpoint(
  client: WorkerClient,
  runs: Runs,
  settings: () => Settings,
  opened: (r: RunRecord) => void,
): void {
  $<HTMLInputElement>('open-files').addEventListener('change', async (ev) => {
    const input = ev.target as HTMLInputElement;
    const error = $('open-error'),
      note = $('open-note');
    error.hidden = true;
    note.hidden = true;
    if (!input.files?.length) return;
    const id = `opened-${Date.now()}`;
    try {
      const { label, files } = await filesFromUpload(input.files);
      const info = await client.open(id, label, files);
      runs.inWorker.add(id);
      if (info.imported?.notes.length) {
        note.hidden = false;
        note.textContent = `${info.imported.architecture}: ${info.imported.notes.join('; ')}`;
      }
      const record: RunRecord = {
        id,
        label: `#${runs.list.length + 1} ${info.imported ? `${info.imported.architecture} (${label})` : label}`,
        settings: settingsOf(info.config, settings()),
        status: 'opened',
        parameters: info.parameters,
        kvBytesPerToken: info.kvBytesPerToken,
        layers: info.config.layers,
        config: info.config,
        train: [],
        val: [],
        steps: info.steps,
        step: info.step,
        tokensPerS: 0,
        valLoss: null,
        created: Date.now(),
      };
      runs.list.push(record);
      void saveRun(record);
      runs.keep(record);
      opened(record);
    } catch (e) {
      error.hidden = false;
      error.textContent = (e as Error).message;
    } finally {
      input.value = '';
    }
  });
}
