// The plan builder: one input per setting (named by its CLI flag), grouped, with each field's own
// error beside it. It validates through the library, so the page and the CLI refuse the same plans.
import { resolveConfig, type ModelConfig, type TrainConfig } from 'shareformer';
import { configsFrom, FIELDS, FieldError, flagOfError, type Group, type Settings } from './fields.js';

const GROUPS: Array<[Group, string]> = [
  ['shape', 'Shape'],
  ['sharing', 'Sharing'],
  ['embeddings', 'Embeddings'],
  ['training', 'Training'],
  ['data', 'Data'],
];

export type Validated =
  | { ok: true; config: ModelConfig; model: Partial<ModelConfig>; train: Partial<TrainConfig> }
  | { ok: false; flag: string | null; message: string };

/** Parses and validates settings as the library would (vocabulary size: the char tokenizer's guess). */
export function validate(settings: Settings, vocabSize = 65): Validated {
  try {
    const { model, train } = configsFrom(settings);
    const config = resolveConfig({ ...model, vocabSize });
    return { ok: true, config, model, train };
  } catch (e) {
    const message = (e as Error).message;
    return { ok: false, flag: e instanceof FieldError ? e.flag : flagOfError(message), message };
  }
}

export function buildForm(form: HTMLFormElement, settings: Settings, onChange: (s: Settings) => void): void {
  form.replaceChildren();
  for (const [group, title] of GROUPS) {
    const set = document.createElement('fieldset');
    set.innerHTML = `<legend>${title}</legend>`;
    for (const f of FIELDS.filter((x) => x.group === group)) set.append(fieldRow(f.flag, settings));
    if (group === 'data') set.append(dataInputs());
    form.append(set);
  }
  const read = () => {
    const s: Settings = { ...settings };
    for (const f of FIELDS) {
      const el = form.elements.namedItem(f.flag) as HTMLInputElement | HTMLSelectElement | null;
      if (el) s[f.flag] = el instanceof HTMLInputElement && el.type === 'checkbox' ? String(el.checked) : el.value;
    }
    return s;
  };
  form.addEventListener('input', () => onChange(read()));
  form.addEventListener('change', () => onChange(read()));
  form.addEventListener('submit', (e) => e.preventDefault());
}

function fieldRow(flag: string, settings: Settings): HTMLElement {
  const f = FIELDS.find((x) => x.flag === flag)!;
  const row = document.createElement('label');
  row.className = 'field';
  row.title = `--${f.flag}: ${f.help}`;
  const name = document.createElement('span');
  name.textContent = f.label;
  let input: HTMLInputElement | HTMLSelectElement;
  if (f.kind === 'choice') {
    input = document.createElement('select');
    for (const c of f.choices!) input.append(new Option(c, c));
  } else {
    input = document.createElement('input');
    if (f.kind === 'bool') input.type = 'checkbox';
    else if (f.kind === 'int' || f.kind === 'number') {
      input.type = 'text';
      input.inputMode = 'decimal';
    }
    if (f.examples) {
      const list = document.createElement('datalist');
      list.id = `examples-${f.flag}`;
      for (const x of f.examples) list.append(new Option(x));
      row.append(list);
      input.setAttribute('list', list.id);
    }
    input.placeholder = f.kind === 'bool' ? '' : f.help;
  }
  input.name = f.flag;
  input.dataset.testid = `field-${f.flag}`;
  const value = settings[f.flag] ?? f.default;
  if (input instanceof HTMLInputElement && input.type === 'checkbox') input.checked = value === 'true';
  else input.value = value;
  const error = document.createElement('small');
  error.className = 'field-error';
  error.dataset.errorFor = f.flag;
  row.append(name, input, error);
  return row;
}

function dataInputs(): HTMLElement {
  const box = document.createElement('div');
  box.className = 'data-inputs';
  box.innerHTML = `
    <textarea name="pasted-text" data-testid="pasted-text" rows="4" placeholder="paste text here, then choose text: pasted"></textarea>
    <input type="file" name="text-file" data-testid="text-file" accept=".txt,.md,text/*" />`;
  return box;
}

/** Shows the error beside its field (or above the figures when no field owns it). */
export function showErrors(form: HTMLFormElement, general: HTMLElement, v: Validated): void {
  for (const el of form.querySelectorAll<HTMLElement>('.field-error')) el.textContent = '';
  for (const el of form.querySelectorAll('.invalid')) el.classList.remove('invalid');
  general.hidden = v.ok;
  if (v.ok) return;
  general.textContent = v.message;
  const slot = v.flag ? form.querySelector<HTMLElement>(`[data-error-for="${v.flag}"]`) : null;
  if (slot) {
    slot.textContent = v.message;
    slot.parentElement?.classList.add('invalid');
  }
}
