// The playground page: wires the plan builder, the live analyzer, the compute Worker (training,
// generation, checkpoints), the loss chart, the runs table and the URL together. The main thread
// only draws; every tensor lives in the Worker.
import { buildTokenizer, fmtBytes, fmtInt, syntheticText, WorkerClient, type WorkerEvent } from 'shareformer';
import shakespeare from '../../data/shakespeare-excerpt.txt?raw';
import { baselineOf, renderAnalysis, renderDiagram } from './analysis-panel.js';
import { LossChart } from './chart.js';
import { downloadZip, filesFromUpload } from './checkpoint-io.js';
import { FIELDS, queryFromSettings, settingsFromQuery, type Settings } from './fields.js';
import { renderGauge } from './kv-gauge.js';
import { buildForm, showErrors, validate, type Validated } from './plan-form.js';
import { mountRealModel } from './real-model.js';
import { deleteFiles, getFiles } from './files-store.js';
import { deleteRun, loadRuns, saveRun, type RunRecord } from './store.js';
import { analyze } from 'shareformer';

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
const runs: RunRecord[] = [];
let active: RunRecord | null = null;
const inWorker = new Set<string>(); // runs whose model the Worker holds (others are opened from their files)
const chart = new LossChart($('chart'));
const client = new WorkerClient(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }));

// ---- plan builder and analyzer -------------------------------------------------------------
function onSettings(next: Settings): void {
  settings = next;
  current = validate(settings, vocabFor(settings));
  showErrors($('plan-form'), $('plan-error') as HTMLElement, current);
  if (current.ok) renderDiagram($('diagram'), renderAnalysis($('analysis'), current.config));
  const q = queryFromSettings(settings);
  history.replaceState(null, '', q ? `?${q}` : location.pathname);
  $<HTMLButtonElement>('train').disabled = !current.ok || active !== null || !ready;
}
buildForm($('plan-form'), settings, onSettings);
if (initial.unknown.length) console.warn(`playground: ignored unknown URL parameters ${initial.unknown.join(', ')}`);

// ---- runs: table, chart, persistence --------------------------------------------------------
const SHARING_FLAGS = FIELDS.filter((f) => f.group === 'sharing' || f.group === 'embeddings').map((f) => f.flag);

function labelOf(s: Settings, n: number): string {
  const plan = SHARING_FLAGS.filter((f) => {
    const field = FIELDS.find((x) => x.flag === f)!;
    return s[f] !== field.default && !(f === 'kv-heads' && s[f] === s.heads);
  }).map((f) => `${f}=${s[f]}`);
  return `#${n} ${plan.length ? plan.join(', ') : 'no sharing'}`;
}

function redraw(): void {
  chart.update(runs.map((r) => ({ label: r.label, train: r.train, val: r.val })));
  const table = $<HTMLTableElement>('runs');
  table.innerHTML =
    '<thead><tr><th>run</th><th>unique params</th><th>KV bytes/token</th><th>val loss</th><th>tokens/s</th><th>status</th><th></th></tr></thead>';
  const body = table.createTBody();
  for (const r of runs) {
    const tr = body.insertRow();
    tr.dataset.run = r.id;
    const cells = [
      r.label,
      fmtInt(r.parameters),
      fmtBytes(r.kvBytesPerToken),
      r.valLoss === null ? '–' : r.valLoss.toFixed(4),
      r.tokensPerS ? fmtInt(r.tokensPerS) : '–',
      r.status === 'training' ? `step ${r.step}/${r.steps}` : r.status,
    ];
    for (const c of cells) tr.insertCell().textContent = c;
    const actions = tr.insertCell();
    if (r.kept || inWorker.has(r.id)) actions.append(button('download', () => void download(r), `download-${r.id}`));
    if (r !== active) actions.append(button('remove', () => void remove(r)));
  }
  const select = $<HTMLSelectElement>('gen-run');
  const chosen = select.value;
  select.replaceChildren(
    ...runs.filter((r) => r.kept || inWorker.has(r.id)).map((r) => new Option(r.label, r.id)),
  );
  if (runs.some((r) => r.id === chosen)) select.value = chosen;
}

function button(text: string, onClick: () => void, testid?: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  if (testid) b.dataset.testid = testid;
  b.addEventListener('click', onClick);
  return b;
}

async function remove(r: RunRecord): Promise<void> {
  runs.splice(runs.indexOf(r), 1);
  if (inWorker.delete(r.id)) client.send({ type: 'dispose', run: r.id });
  await Promise.all([deleteRun(r.id), deleteFiles(r.id)]);
  redraw();
}

async function download(r: RunRecord): Promise<void> {
  const files = inWorker.has(r.id) ? await client.save(r.id) : await storedFiles(r);
  downloadZip(r.label.replace(/^#(\d+) .*/, 'shareformer-run-$1'), files);
}

async function storedFiles(r: RunRecord): Promise<Array<[string, Uint8Array]>> {
  const files = await getFiles(r.id);
  if (!files) throw new Error(`${r.label}: its checkpoint is no longer in this browser's storage`);
  return files;
}

/** Makes sure the Worker holds the run's model (after a reload only its files are kept). */
async function ensureInWorker(r: RunRecord): Promise<void> {
  if (inWorker.has(r.id)) return;
  await client.open(r.id, r.label, await storedFiles(r));
  inWorker.add(r.id);
}

/** Asks the Worker to store the run's checkpoint in IndexedDB itself (the weights stay off this thread). */
const keep = (r: RunRecord) => client.send({ type: 'keep', run: r.id } as never);

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

async function startRun(): Promise<void> {
  if (!current.ok || active) return;
  let data: { text: string; source: string };
  try {
    data = await trainingText();
  } catch (e) {
    showErrors($('plan-form'), $('plan-error'), { ok: false, flag: 'data', message: (e as Error).message });
    return;
  }
  const id = `run-${Date.now()}`;
  const record: RunRecord = {
    id,
    label: labelOf(settings, runs.length + 1),
    settings: { ...settings },
    status: 'training',
    parameters: 0,
    kvBytesPerToken: 0,
    layers: current.config.layers,
    train: [],
    val: [],
    steps: current.train.steps ?? 300,
    step: 0,
    tokensPerS: 0,
    valLoss: null,
    created: Date.now(),
  };
  runs.push(record);
  active = record;
  $('val-loss').textContent = '–';
  $<HTMLButtonElement>('train').disabled = true;
  $<HTMLButtonElement>('pause').disabled = false;
  $<HTMLButtonElement>('stop').disabled = false;
  $<HTMLButtonElement>('pause').textContent = 'Pause';
  client.send({
    type: 'train',
    run: id,
    model: current.model,
    train: current.train,
    text: data.text,
    source: data.source,
    tokenizer: settings.tokenizer === 'byte' ? 'byte' : 'char',
  });
  redraw();
}

function onEvent(e: WorkerEvent): void {
  if (e.type === 'ready') return;
  const kept = e as unknown as { type: string; run: string };
  if (kept.type === 'kept') {
    const r = runs.find((x) => x.id === kept.run);
    if (r) {
      r.kept = true;
      void saveRun(r);
    }
    return;
  }
  const r = 'run' in e ? runs.find((x) => x.id === e.run) : undefined;
  if (e.type === 'error') {
    if (r && r === active && e.request === 'train') {
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
    case 'started':
      inWorker.add(r.id);
      r.parameters = e.parameters;
      r.kvBytesPerToken = e.kvBytesPerToken;
      r.steps = e.steps;
      break;
    case 'step':
      r.train.push([e.step, e.loss]);
      r.step = e.step;
      r.tokensPerS = e.tokensPerS;
      status(r, e.seconds);
      break;
    case 'eval':
      r.val.push([e.step, e.valLoss]);
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
      $('status').textContent = `${r.label}: ${r.status} at step ${e.step}, validation loss ${e.valLoss.toFixed(4)} (${e.bitsPerChar.toFixed(3)} bits/char), ${fmtInt(e.tokensPerS)} tokens/s`;
      endRun(r);
      keep(r);
      break;
  }
  redraw();
}

function status(r: RunRecord, seconds: number): void {
  const rate = r.step / Math.max(seconds, 1e-9);
  const eta = (r.steps - r.step) / rate;
  $('status').textContent = `${r.label}: step ${r.step}/${r.steps}, loss ${r.train.at(-1)![1].toFixed(3)}, ${fmtInt(r.tokensPerS)} tokens/s, ETA ${eta < 60 ? `${eta.toFixed(0)} s` : `${(eta / 60).toFixed(1)} min`}`;
}

function endRun(r: RunRecord): void {
  if (active === r) active = null;
  $<HTMLButtonElement>('pause').disabled = true;
  $<HTMLButtonElement>('stop').disabled = true;
  $<HTMLButtonElement>('train').disabled = !current.ok;
  void saveRun(r);
}

client.on(onEvent);
$('train').addEventListener('click', () => void startRun());
$('pause').addEventListener('click', () => {
  if (!active) return;
  const pausing = active.status === 'training';
  client.send({ type: pausing ? 'pause' : 'resume', run: active.id });
  $('pause').textContent = pausing ? 'Resume' : 'Pause';
});
$('stop').addEventListener('click', () => active && client.send({ type: 'stop', run: active.id }));

// ---- generation -----------------------------------------------------------------------------
$('generate').addEventListener('click', async () => {
  const r = runs.find((x) => x.id === $<HTMLSelectElement>('gen-run').value);
  const out = $('gen-output');
  if (!r) {
    out.textContent = 'train a run or open a checkpoint first';
    return;
  }
  const num = (id: string) => Number($<HTMLInputElement>(id).value);
  out.textContent = $<HTMLInputElement>('gen-prompt').value;
  delete out.dataset.done;
  $<HTMLButtonElement>('generate').disabled = true;
  try {
    await ensureInWorker(r);
    const config = validate(r.settings);
    const kv = config.ok ? analyze(config.config).plan.kv : [];
    const baseline = config.ok ? analyze(baselineOf(config.config)).kvCache.bytesPerToken : r.kvBytesPerToken;
    const off = client.on((e) => {
      if (e.type !== 'token' || e.run !== r.id) return;
      out.textContent += e.text;
      renderGauge($('kv-gauge'), e.kv, kv, baseline);
    });
    const result = await client
      .generate({
        run: r.id,
        prompt: $<HTMLInputElement>('gen-prompt').value,
        maxTokens: num('gen-tokens'),
        temperature: num('gen-temperature'),
        topK: num('gen-top-k'),
        topP: num('gen-top-p'),
        seed: Date.now() % 1_000_000,
      })
      .finally(off);
    out.dataset.done = 'true';
    out.title = `${result.stats.newTokens} tokens at ${fmtInt(result.stats.tokensPerS)} tokens/s`;
  } catch (e) {
    out.textContent = `generation failed: ${(e as Error).message}`;
  } finally {
    $<HTMLButtonElement>('generate').disabled = false;
  }
});

// ---- opening checkpoints --------------------------------------------------------------------
$<HTMLInputElement>('open-files').addEventListener('change', async (ev) => {
  const input = ev.target as HTMLInputElement;
  const error = $('open-error');
  error.hidden = true;
  if (!input.files?.length) return;
  const id = `opened-${Date.now()}`;
  try {
    const { label, files } = await filesFromUpload(input.files);
    const info = await client.open(id, label, files);
    inWorker.add(id);
    const record: RunRecord = {
      id,
      label: `#${runs.length + 1} ${label}`,
      settings: { ...settings },
      status: 'opened',
      parameters: info.parameters,
      kvBytesPerToken: info.kvBytesPerToken,
      layers: info.config.layers,
      train: [],
      val: [],
      steps: info.steps,
      step: info.step,
      tokensPerS: 0,
      valLoss: null,
      created: Date.now(),
    };
    for (const f of FIELDS) if (f.model) record.settings[f.flag] = toFlag(info.config[f.model]);
    runs.push(record);
    void saveRun(record);
    keep(record);
    redraw();
    $<HTMLSelectElement>('gen-run').value = id;
  } catch (e) {
    error.hidden = false;
    error.textContent = (e as Error).message;
  } finally {
    input.value = '';
  }
});

const toFlag = (v: unknown) => (Array.isArray(v) ? JSON.stringify(v) : v === 0 ? '' : String(v));

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
  runs.push(...(await loadRuns()));
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
