// The generation tab: streams a run's tokens from the Worker into the output and draws the KV
// gauge per token (the Worker measures it and the same model's figure without sharing).
import { fmtInt, type WorkerClient } from 'shareformer';
import { renderGauge } from './kv-gauge.js';
import type { Runs } from './runs.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export function mountGeneration(client: WorkerClient, runs: Runs): void {
  $('generate').addEventListener('click', () => void generate(client, runs));
}

async function generate(client: WorkerClient, runs: Runs): Promise<void> {
  const r = runs.find($<HTMLSelectElement>('gen-run').value);
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
    await runs.ensureInWorker(r);
    const off = client.on((e) => {
      if (e.type !== 'token' || e.run !== r.id) return;
      out.textContent += e.text;
      renderGauge($('kv-gauge'), e.kv);
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
}
