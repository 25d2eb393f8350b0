// The runs table (figures, status, download / GGUF / remove) and the run pickers (generation, conversion),
// drawn from the page's runs.
import { DEFAULT_CONFIG, fmtBytes, fmtInt, type ModelConfig } from 'shareformer';
import type { Runs } from './runs.js';
import type { RunRecord } from './store.js';

export interface RunActions {
  download(r: RunRecord): void;
  /** The run as a GGUF file for llama.cpp. */
  gguf(r: RunRecord): void;
  remove(r: RunRecord): void;
  toggleDetails(r: RunRecord): void;
}

// Shown for every model, whatever their values; the rest only where they differ from the defaults.
const ALWAYS: ReadonlyArray<keyof ModelConfig> = [
  'vocabSize',
  'layers',
  'dModel',
  'heads',
  'kvHeads',
  'context',
  'ffn',
  'ffnHidden',
  'norm',
  'positions',
];

const show = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

/**
 * A run's whole architecture under its config.json names: what an opened or converted model is,
 * including the fields the plan builder has no input for (rotary base, soft-caps, norms, biases…).
 */
export function configList(config: ModelConfig): HTMLElement {
  const list = document.createElement('div');
  list.className = 'config-list';
  const keys = Object.keys(DEFAULT_CONFIG) as Array<keyof ModelConfig>;
  for (const key of keys) {
    const value = config[key];
    if (!ALWAYS.includes(key) && show(value) === show(DEFAULT_CONFIG[key])) continue;
    const item = document.createElement('div');
    const name = document.createElement('span');
    name.textContent = `${key} `;
    item.append(name, show(value));
    list.append(item);
  }
  return list;
}

export function renderRunsTable(
  table: HTMLTableElement,
  pickers: HTMLSelectElement[],
  runs: Runs,
  active: RunRecord | null,
  actions: RunActions,
): void {
  table.innerHTML =
    '<thead><tr><th>run</th><th>unique params</th><th>KV bytes/token</th><th>val loss</th><th>tokens/s</th><th>status</th><th></th></tr></thead>';
  const body = table.createTBody();
  for (const r of runs.list) {
    const tr = body.insertRow();
    tr.dataset.run = r.id;
    const cells = [
      r.label,
      fmtInt(r.parameters),
      fmtBytes(r.kvBytesPerToken),
      r.valLoss === null ? '–' : r.valLoss.toFixed(4),
      r.tokensPerS ? fmtInt(r.tokensPerS) : '–',
      (r.status === 'training' ? `step ${r.step}/${r.steps}` : r.status) +
        (r.conversion
          ? ` (from ${r.conversion.from}: ${r.conversion.before.toFixed(3)} → ${r.conversion.after.toFixed(3)} converted)`
          : ''),
    ];
    for (const c of cells) tr.insertCell().textContent = c;
    const cell = tr.insertCell();
    if (r.config) cell.append(button('config', () => actions.toggleDetails(r), `details-${r.id}`));
    if (runs.hasModel(r)) {
      cell.append(button('download', () => actions.download(r), `download-${r.id}`));
      cell.append(button('gguf', () => actions.gguf(r), `gguf-${r.id}`));
    }
    if (r !== active) cell.append(button('remove', () => actions.remove(r)));
    if (r.config && runs.expanded.has(r.id)) {
      const details = body.insertRow();
      details.className = 'run-config';
      const td = details.insertCell();
      td.colSpan = 7;
      td.dataset.testid = `config-${r.id}`;
      td.append(configList(r.config));
    }
  }
  for (const picker of pickers) {
    const chosen = picker.value;
    picker.replaceChildren(...runs.list.filter((r) => runs.hasModel(r)).map((r) => new Option(r.label, r.id)));
    if (runs.find(chosen)) picker.value = chosen;
  }
}

function button(text: string, onClick: () => void, testid?: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  if (testid) b.dataset.testid = testid;
  b.addEventListener('click', onClick);
  return b;
}
