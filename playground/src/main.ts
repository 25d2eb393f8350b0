// The playground page: wires the plan builder, the live analyzer, the compute Worker (training,
// generation, checkpoints), the loss chart, the runs table and the URL together. The main thread
// only draws; every tensor lives in the Worker.
import { buildTokenizer, fmtInt, syntheticText, WorkerClient, type WorkerEvent } from 'shareformer';
import shakespeare from '../../data/shakespeare-excerpt.txt?raw';
import { renderAnalysis, renderDiagram } from './analysis-panel.js';
import { LossChart } from './chart.js';
import { downloadBytes, downloadZip } from './checkpoint-io.js';
import { queryFromSettings, settingsFromQuery, type Settings } from './fields.js';
import { mountGeneration } from './generation.js';
import { mountOpenCheckpoint } from './open-checkpoint.js';
import { buildForm, showErrors, validate, type Validated } from './plan-form.js';
import { mountRealModel } from './real-model.js';
import { labelOf, Runs, settingsOf } from './runs.js';
import { renderRunsTable } from './runs-table.js';
import { loadRuns, saveRun, type RunRecord } from './store.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const query = new URLSearchParams(location.search);
const initial = settingsFromQuery(location.search);
let settings: Settings = initial.settings;
const vocabCache = new Map<string, number>();
/** The vocabulary the run will have, so the figures match the model that trains (pasted text and files: a guess until read). */
function vocabFor(s: Settings): number {
  const kind = s.tokenizer === 'byte' ? 'byte' : 'char';
  const data = s.data ?? 'shakespeare';
  if (data !== 'shakespeare' && !data.startsWith('synthetic:')) return kind === 'byte' ? 256 : 65;
  const key = `${kind} ${data}`;
  if (!vocabCache.has(key)) {
    const text = data === 'shakespeare' ? shakespeare : syntheticText(data.slice(10), 200_000);
    vocabCache.set(key, buildTokenizer(kind, text).vocabSize);
  }
  return vocabCache.get(key)!;
}
let current: Validated = validate(settings, vocabFor(settings));
let active: RunRecord | null = null;
const chart = new LossChart($('chart'));
const client = new WorkerClient(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }));
const runs = new Runs(client);

// ---- plan builder and analyzer -------------------------------------------------------------
function onSettings(next: Settings): void {
  settings = next;
  current = validate(settings, vocabFor(settings));
  showErrors($('plan-form'), $('plan-error') as HTMLElement, current);
  if (current.ok) renderDiagram($('diagram'), renderAnalysis($('analysis'), current.config));
  const q = queryFromSettings(settings);
  history.replaceState(null, '', q ? `?${q}` : location.pathname);
  $<HTMLButtonElement>('train').disabled = !current.ok || active !== null || !ready;
  $<HTMLButtonElement>('convert').disabled = !current.ok || active !== null || !ready;
}
buildForm($('plan-form'), settings, onSettings);
if (initial.unknown.length) console.warn(`playground: ignored unknown URL parameters ${initial.unknown.join(', ')}`);

// ---- runs: table, chart, persistence --------------------------------------------------------
function redraw(): void {
  chart.update(runs.list.map((r) => ({ label: r.label, train: r.train, val: r.val })));
  renderRunsTable($('runs'), [$('gen-run'), $('convert-from')], runs, active, {
    download: (r) =>
      void runs.files(r).then((files) => downloadZip(r.label.replace(/^#(\d+) .*/, 'shareformer-run-$1'), files)),
    gguf: (r) => void ggufDownload(r),
    remove: (r) => void runs.remove(r).then(redraw),
    toggleDetails: (r) => {
      if (!runs.expanded.delete(r.id)) runs.expanded.add(r.id);
      redraw();
    },
  });
}

/** The run as an F16 GGUF file for llama.cpp, or why it cannot be one (a char tokenizer, a layout llama.cpp lacks). */
async function ggufDownload(r: RunRecord): Promise<void> {
  const error = $('export-error'),
    note = $('export-note');
  error.hidden = note.hidden = true;
  try {
    await runs.ensureInWorker(r);
    const out = await client.gguf(r.id, 'F16');
    downloadBytes(`${r.label.replace(/^#(\d+) .*/, 'shareformer-run-$1')}-f16.gguf`, out.bytes);
    note.hidden = false;
    note.textContent = `GGUF: ${(out.bytes.length / 1e6).toFixed(2)} MB (${out.types.join(', ')})${out.notes.length ? `; ${out.notes.join('; ')}` : ''}`;
  } catch (e) {
    error.hidden = false;
    error.textContent = `GGUF: ${(e as Error).message}`;
  }
}

// ---- training -------------------------------------------------------------------------------
let ready = false;

async function trainingText(): Promise<{ text: string; source: string }> {
  const data = settings.data ?? 'shakespeare';
  if (data === 'shakespeare') return { text: shakespeare, source: 'shakespeare-excerpt' };
  if (data.startsWith('synthetic:')) return { text: syntheticText(data.slice(10), 200_000), source: data };
  if (data === 'pasted') {
    const text = ($('plan-form') as HTMLFormElement).querySelector<HTMLTextAreaElement>('[name=pasted-text]')!.value;
    return { text, source: 'pasted text' };
  }
  const file = ($('plan-form') as HTMLFormElement).querySelector<HTMLInputElement>('[name=text-file]')!.files?.[0];
  if (!file) throw new Error('data: choose a text file first (or pick another text)');
  return { text: await file.text(), source: file.name };
}

/** The training text, or null after showing why there is none. */
async function textOrError(): Promise<{ text: string; source: string } | null> {
  try {
    return await trainingText();
  } catch (e) {
    showErrors($('plan-form'), $('plan-error'), { ok: false, flag: 'data', message: (e as Error).message });
    return null;
  }
}

/** Adds a run that is about to train (or uptrain) and makes it the active one. */
function begin(label: string, runSettings: Settings, steps: number, extra: Partial<RunRecord> = {}): RunRecord {
  const record: RunRecord = {
    id: `run-${Date.now()}`,
    label,
    settings: runSettings,
    status: 'training',
    parameters: 0,
    kvBytesPerToken: 0,
    layers: current.ok ? current.config.layers : 0,
    train: [],
    val: [],
    steps,
    step: 0,
    tokensPerS: 0,
    valLoss: null,
    created: Date.now(),
    ...extra,
  };
  runs.list.push(record);
  active = record;
  $('val-loss').textContent = '–';
  for (const id of ['train', 'convert']) $<HTMLButtonElement>(id).disabled = true;
  $<HTMLButtonElement>('pause').disabled = false;
  $<HTMLButtonElement>('stop').disabled = false;
  $<HTMLButtonElement>('pause').textContent = 'Pause';
  return record;
}

async function startRun(): Promise<void> {
  if (!current.ok || active) return;
  const data = await textOrError();
  if (!data) return;
  const record = begin(labelOf(settings, runs.list.length + 1), { ...settings }, current.train.steps ?? 300);
  client.send({
    type: 'train',
    run: record.id,
    model: current.model,
    train: current.train,
    text: data.text,
    source: data.source,
    tokenizer: settings.tokenizer === 'byte' ? 'byte' : 'char',
  });
  redraw();
}

/** Converts the chosen run to the plan's sharing fields on the chosen text, then uptrains it. */
async function startConversion(): Promise<void> {
  const from = runs.find($<HTMLSelectElement>('convert-from').value);
  if (!current.ok || active || !from) return;
  const data = await textOrError();
  if (!data) return;
  try {
    await runs.ensureInWorker(from);
  } catch (e) {
    showErrors($('plan-form'), $('plan-error'), { ok: false, flag: null, message: (e as Error).message });
    return;
  }
  const steps = Math.max(0, Math.floor(Number($<HTMLInputElement>('convert-steps').value) || 0));
  const n = runs.list.length + 1;
  const record = begin(`${labelOf(settings, n)} ← ${from.label.split(' ')[0]}`, { ...from.settings }, steps);
  client.send({
    type: 'convert',
    run: record.id,
    from: from.id,
    model: current.model,
    text: data.text,
    source: data.source,
    uptrain: steps,
  });
  redraw();
}

function onEvent(e: WorkerEvent): void {
  if (e.type === 'ready') return;
  const kept = e as unknown as { type: string; run: string };
  if (kept.type === 'kept') {
    const r = runs.find(kept.run);
    if (r) {
      r.kept = true;
      void saveRun(r);
    }
    return;
  }
  const r = 'run' in e && e.run ? runs.find(e.run) : undefined;
  if (e.type === 'error') {
    if (r && r === active && (e.request === 'train' || e.request === 'convert')) {
      r.status = 'failed';
      r.error = e.message;
      endRun(r);
      showErrors($('plan-form'), $('plan-error'), { ok: false, flag: null, message: e.message });
    }
    if (e.request !== 'open' && e.request !== 'generate') console.warn(`playground: ${e.request}: ${e.message}`);
    return;
  }
  if (!r) return;
  switch (e.type) {
    case 'converted': {
      const source = runs.find(e.from);
      r.conversion = {
        from: source?.label.split(' ')[0] ?? e.from,
        before: e.lossBefore,
        after: e.lossConverted,
        startStep: source?.step ?? 0,
      };
      $('status').textContent =
        `${r.label}: calibration loss ${e.lossBefore.toFixed(4)} before, ${e.lossConverted.toFixed(4)} right after conversion`;
      break;
    }
    case 'started':
      runs.inWorker.add(r.id);
      r.config = e.config;
      if (r.conversion) {
        r.settings = settingsOf(e.config, r.settings);
        r.layers = e.config.layers;
      }
      r.parameters = e.parameters;
      r.kvBytesPerToken = e.kvBytesPerToken;
      r.steps = e.steps;
      break;
    case 'step':
      r.train.push([e.step + (r.conversion?.startStep ?? 0), e.loss]);
      r.step = e.step;
      r.tokensPerS = e.tokensPerS;
      status(r, e.seconds);
      break;
    case 'eval':
      r.val.push([e.step + (r.conversion?.startStep ?? 0), e.valLoss]);
      break;
    case 'paused':
    case 'resumed':
      r.status = e.type === 'paused' ? 'paused' : 'training';
      $('status').textContent = `${r.label}: ${r.status} at step ${e.step}`;
      break;
    case 'finished':
      r.valLoss = e.valLoss;
      r.tokensPerS = e.tokensPerS;
      r.status = e.stopped ? 'stopped' : 'finished';
      $('val-loss').textContent = e.valLoss.toFixed(4);
      $('val-loss').dataset.initial = String(r.val[0]?.[1] ?? '');
      $('status').textContent =
        `${r.label}: ${r.status} at step ${e.step}, validation loss ${e.valLoss.toFixed(4)} (${e.bitsPerChar.toFixed(3)} bits/char), ${fmtInt(e.tokensPerS)} tokens/s`;
      endRun(r);
      runs.keep(r);
      break;
  }
  redraw();
}

function status(r: RunRecord, seconds: number): void {
  const rate = r.step / Math.max(seconds, 1e-9);
  const eta = (r.steps - r.step) / rate;
  $('status').textContent =
    `${r.label}: step ${r.step}/${r.steps}, loss ${r.train.at(-1)![1].toFixed(3)}, ${fmtInt(r.tokensPerS)} tokens/s, ETA ${eta < 60 ? `${eta.toFixed(0)} s` : `${(eta / 60).toFixed(1)} min`}`;
}

function endRun(r: RunRecord): void {
  if (active === r) active = null;
  $<HTMLButtonElement>('pause').disabled = true;
  $<HTMLButtonElement>('stop').disabled = true;
  $<HTMLButtonElement>('train').disabled = !current.ok;
  $<HTMLButtonElement>('convert').disabled = !current.ok;
  void saveRun(r);
}

client.on(onEvent);
$('train').addEventListener('click', () => void startRun());
$('convert').addEventListener('click', () => void startConversion());
$('pause').addEventListener('click', () => {
  if (!active) return;
  const pausing = active.status === 'training';
  client.send({ type: pausing ? 'pause' : 'resume', run: active.id });
  $('pause').textContent = pausing ? 'Resume' : 'Pause';
});
$('stop').addEventListener('click', () => active && client.send({ type: 'stop', run: active.id }));

// ---- generation and opened checkpoints -----------------------------------------------------
mountGeneration(client, runs);
mountOpenCheckpoint(
  client,
  runs,
  () => settings,
  (r) => {
    redraw();
    $<HTMLSelectElement>('gen-run').value = r.id;
  },
);

// ---- tabs, start-up -------------------------------------------------------------------------
for (const tab of document.querySelectorAll<HTMLButtonElement>('.tab')) {
  tab.addEventListener('click', () => {
    for (const t of document.querySelectorAll('.tab')) t.classList.toggle('active', t === tab);
    for (const page of document.querySelectorAll<HTMLElement>('.tab-page')) page.hidden = page.id !== tab.dataset.tab;
    if (tab.dataset.tab === 'real') redrawRealModel();
  });
}
const redrawRealModel = mountRealModel($('real-model'), query);
if (query.get('mode') === 'analyze') (document.querySelector('[data-tab=real]') as HTMLButtonElement).click();

onSettings(settings);
void (async () => {
  runs.list.push(...(await loadRuns()));
  redraw();
  const threads = query.has('threads') ? Number(query.get('threads')) : undefined;
  const info = await client.init(threads);
  ready = true;
  $('backend').textContent = `${info.backend} backend, ${info.threads} thread${info.threads > 1 ? 's' : ''}${
    info.notice ? ` — ${info.notice}` : crossOriginIsolated ? ' (cross-origin isolated)' : ''
  }`;
  $('backend').dataset.threads = String(info.threads);
  onSettings(settings);
  if (initial.autostart) void startRun();
})();
