// The Worker's behaviour, driven directly: what a page sees when it trains, pauses, stops,
// generates, saves and opens runs.
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, memorySource } from '../io/checkpoint-files.js';
import { readSafetensors } from '../io/safetensors.js';
import { readFileSync } from 'node:fs';
import { generate } from '../generate/generate.js';
import { importHuggingFace } from '../io/hf/import.js';
import { kvCacheBytesHeld } from '../model/kvcache.js';
import { noGrad } from '../tensor/tensor.js';
import type { WorkerEvent, WorkerRequest } from './protocol.js';
import { Session } from './session.js';

const TEXT = readFileSync(new URL('../../data/shakespeare-excerpt.txt', import.meta.url), 'utf8');
const MODEL = { layers: 2, dModel: 32, heads: 2, context: 32, shareKv: 'cla:2' };

function harness() {
  const events: WorkerEvent[] = [];
  const session = new Session((e) => events.push(e));
  const of = <T extends WorkerEvent['type']>(type: T) =>
    events.filter((e): e is WorkerEvent & { type: T } => e.type === type);
  return { events, session, of, send: (r: WorkerRequest) => session.handle(r) };
}

/** A Hugging Face fixture directory's files, as the page uploads them. */
const hfFiles = (fixture: string): Array<[string, Uint8Array]> =>
  ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].map((f) => [
    f,
    new Uint8Array(readFileSync(new URL(`../../fixtures/hf/${fixture}/${f}`, import.meta.url))),
  ]);

const trainReq = (run: string, steps = 30): WorkerRequest => ({
  type: 'train',
  run,
  model: MODEL,
  train: { steps, batch: 8, lr: 1e-2, evalEvery: 10, evalWindows: 8 },
  text: TEXT,
  source: 'shakespeare-excerpt',
});

describe('the shareformer worker session', () => {
  it('says which backend it chose and why it is single-threaded where workers are missing', async () => {
    const h = harness();
    await h.send({ type: 'init', threads: 2 });
    const ready = h.of('ready')[0]!;
    expect(ready.backend).toBe('wasm');
    expect(ready.threads).toBe(1);
    expect(ready.notice).toMatch(/single-threaded: .*(Worker|cross-origin)/);
  });

  it('trains 30 steps: the validation loss falls from the untrained model’s, with live steps and evaluations', async () => {
    const h = harness();
    await h.send(trainReq('a'));
    const started = h.of('started')[0]!;
    expect(started.plan.kv).toEqual([0, 0]);
    expect(started.kvBytesPerToken).toBe(2 * 32 * 4); // one producer layer of K and V, float32
    expect(h.of('step').map((s) => s.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const evals = h.of('eval');
    expect(evals.map((e) => e.step)).toEqual([0, 10, 20, 30]);
    const done = h.of('finished')[0]!;
    expect(done.stopped).toBe(false);
    expect(done.valLoss).toBeLessThan(evals[0]!.valLoss - 0.5); // from ln 65 ≈ 4.2 nats
    expect(h.of('step').at(-1)!.tokensPerS).toBeGreaterThan(0);
  });

  it('pauses between steps, resumes where it was, and stops early with a final evaluation', async () => {
    const h = harness();
    const running = h.send(trainReq('p', 500));
    while (h.of('step').length < 3) await new Promise((r) => setTimeout(r, 1));
    await h.send({ type: 'pause', run: 'p' });
    while (h.of('paused').length === 0) await new Promise((r) => setTimeout(r, 1));
    const at = h.of('paused')[0]!.step;
    await new Promise((r) => setTimeout(r, 50));
    expect(h.of('step').at(-1)!.step).toBe(at); // nothing trains while paused
    await h.send({ type: 'resume', run: 'p' });
    while (h.of('step').at(-1)!.step < at + 3) await new Promise((r) => setTimeout(r, 1));
    await h.send({ type: 'stop', run: 'p' });
    await running;
    const done = h.of('finished')[0]!;
    expect(done.stopped).toBe(true);
    expect(done.step).toBeLessThan(500);
    expect(h.of('resumed')[0]!.step).toBe(at);
  });

  it('generates, streaming text with a KV gauge whose borrowing layers hold no bytes', async () => {
    const h = harness();
    await h.send(trainReq('g', 20));
    await h.send({ type: 'generate', run: 'g', prompt: 'ROMEO', maxTokens: 12, temperature: 0 });
    const tokens = h.of('token');
    const result = h.of('generated')[0]!;
    expect(tokens.map((t) => t.text).join('')).toBe(result.text);
    const last = tokens.at(-1)!.kv;
    expect(last.length).toBe(5 + 11); // the prompt and every token but the last, which is not fed back
    expect(last.layers[1]).toEqual({ keys: 0, values: 0, positions: 0, reads: 0 }); // cla:2: layer 1 reads layer 0's
    expect(last.layers[0]!.keys).toBe(last.allocated * 32 * 4);
    expect(last.bytes).toBe(result.stats.cacheBytes);
    expect(last.baselineBytes).toBe(2 * last.bytes); // cla:2 keeps one layer's entries of two
  });

  it('saves a run as the CLI’s checkpoint files and opens them again to the same model', async () => {
    const h = harness();
    await h.send(trainReq('s', 10));
    await h.send({ type: 'save', run: 's' });
    const files = h.of('checkpoint')[0]!.files;
    expect(files.map(([f]) => f)).toEqual([
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'optimizer.safetensors',
      'trainer.json',
    ]);
    const ckpt = decodeCheckpoint(memorySource(new Map(files), 'download'), { trainer: true });
    expect(ckpt.trainer?.step).toBe(10);
    // Trained weights need every bit: float32.
    const stored = readSafetensors(new Map(files).get('model.safetensors')!);
    expect(new Set([...stored.tensors.values()].map((t) => t.dtype))).toEqual(new Set(['F32']));
    await h.send({ type: 'open', run: 'copy', label: 'download', files });
    expect(h.of('opened')[0]!.parameters).toBe(h.of('started')[0]!.parameters);
    await h.send({ type: 'generate', run: 's', prompt: 'KING', maxTokens: 8, temperature: 0 });
    await h.send({ type: 'generate', run: 'copy', prompt: 'KING', maxTokens: 8, temperature: 0 });
    const [a, b] = h.of('generated');
    expect(b!.text).toBe(a!.text);
    noGrad(() => expect(ckpt.lm.config).toEqual(h.of('started')[0]!.config));
  });

  it('converts a trained run to another plan: calibration loss before and right after, then uptraining lowers it', async () => {
    const h = harness();
    await h.send({
      ...(trainReq('src', 60) as Extract<WorkerRequest, { type: 'train' }>),
      model: { ...MODEL, shareKv: 'none' },
    });
    const convert = (run: string, model: object, uptrain: number): WorkerRequest => ({
      type: 'convert',
      run,
      from: 'src',
      model: { ...MODEL, layers: 99, ...model }, // only the sharing fields count: the size stays the source's
      text: TEXT,
      source: 'shakespeare-excerpt',
      uptrain,
    });
    await h.send(convert('mqa', { shareKv: 'none', kvHeads: 1 }, 30));
    const c = h.of('converted')[0]!;
    expect(c.changes).toEqual({ kvHeads: 1 });
    expect(c.lossConverted).toBeGreaterThan(c.lossBefore); // pooling K/V heads costs something before uptraining
    const started = h.of('started').find((e) => e.run === 'mqa')!;
    expect(started.config.layers).toBe(2);
    expect(started.kvBytesPerToken).toBe(h.of('started')[0]!.kvBytesPerToken / 2);
    const evals = h.of('eval').filter((e) => e.run === 'mqa');
    expect(evals[0]!.step).toBe(0);
    const done = h.of('finished').find((e) => e.run === 'mqa')!;
    expect(done.step).toBe(30);
    expect(done.valLoss).toBeLessThan(evals[0]!.valLoss);
    await h.send(convert('cla', { shareKv: 'cla:2' }, 0)); // no uptraining: finished at step 0
    expect(h.of('finished').find((e) => e.run === 'cla')!.valLoss).toBe(h.of('converted')[1]!.lossConverted);
    await h.send({ type: 'generate', run: 'cla', prompt: 'KING', maxTokens: 8, temperature: 0 });
    expect(h.of('generated')[0]!.text.length).toBeGreaterThan(4);
    await h.send(convert('same', { shareKv: 'none' }, 0));
    expect(h.of('error').map((e) => [e.request, e.run, e.message])).toEqual([
      ['convert', 'same', expect.stringMatching(/sharing fields .* are those of run "src" already/)],
    ]);
  });

  it('opens a Hugging Face model directory as an imported run, which generates and saves like any run', async () => {
    const files = hfFiles('phi3-bf16');
    const h = harness();
    await h.send({ type: 'open', run: 'phi', label: 'phi3-bf16', files });
    const opened = h.of('opened')[0]!;
    expect(opened.imported).toEqual({
      architecture: 'Phi3ForCausalLM',
      notes: [expect.stringMatching(/^vocab_size 400 exceeds the tokenizer's 384 tokens/)],
    });
    expect(opened.source).toBe('huggingface:phi3-bf16');
    const direct = importHuggingFace(Object.fromEntries(files));
    const greedy = generate(direct.lm, direct.tokenizer, 'ROMEO', { maxTokens: 6, temperature: 0 }).text;
    await h.send({ type: 'generate', run: 'phi', prompt: 'ROMEO', maxTokens: 6, temperature: 0 });
    expect(h.of('generated')[0]!.text).toBe(greedy);
    // Saved, it is what `shareformer import` writes: the CLI's checkpoint, with where it came from.
    await h.send({ type: 'save', run: 'phi' });
    const saved = h.of('checkpoint')[0]!.files;
    const ckpt = decodeCheckpoint(memorySource(new Map(saved), 'download'));
    expect(ckpt.origin).toEqual({
      format: 'huggingface',
      architecture: 'Phi3ForCausalLM',
      path: 'phi3-bf16',
      dtypes: ['BF16'],
    });
    await h.send({ type: 'open', run: 'again', label: 'download', files: saved });
    expect(h.of('opened')[1]!.imported).toEqual({ architecture: 'Phi3ForCausalLM', notes: [] });
    // And it converts like a trained run: MQA with K/V shared by pairs of layers, uptrained a little.
    await h.send({
      type: 'convert',
      run: 'phi-mqa',
      from: 'phi',
      model: { kvHeads: 1, shareKv: 'cla:2' },
      text: TEXT,
      source: 'shakespeare-excerpt',
      uptrain: 3,
    });
    expect(h.of('error')).toEqual([]);
    const converted = h.of('converted')[0]!;
    expect(converted.changes).toMatchObject({ kvHeads: 1, shareKv: 'cla:2' });
    expect(h.of('finished').at(-1)!.run).toBe('phi-mqa');
  });

  it('opens Gemma 3 (no dummy prefix, windowed layers among global ones) and generates what the library does', async () => {
    const files = hfFiles('gemma3-bf16');
    const h = harness();
    await h.send({ type: 'open', run: 'gemma', label: 'gemma3-bf16', files });
    expect(h.of('opened')[0]!.imported).toEqual({ architecture: 'Gemma3ForCausalLM', notes: [] });
    const direct = importHuggingFace(Object.fromEntries(files));
    const prompt = ' soft, what light';
    const greedy = generate(direct.lm, direct.tokenizer, prompt, { maxTokens: 20, temperature: 0 }).text;
    await h.send({ type: 'generate', run: 'gemma', prompt, maxTokens: 20, temperature: 0 });
    expect(h.of('error')).toEqual([]);
    expect(h.of('generated')[0]!.text).toBe(greedy);
    // The gauge: the five windowed layers hold their window of 8 and a stride, the global one every
    // position, and the bytes are what the analyzer's rule gives for that allocation.
    const kv = h.of('token').at(-1)!.kv;
    expect(kv.layers.map((l) => l.positions)).toEqual([9, 9, 9, 9, 9, kv.allocated]);
    expect(kv.allocated).toBeGreaterThan(9);
    expect(kv.bytes).toBe(kvCacheBytesHeld(direct.lm.config, 'fp32', kv.allocated));
    expect(kv.bytes).toBeLessThan(
      kvCacheBytesHeld({ ...direct.lm.config, slidingWindow: 0 }, 'fp32', kv.allocated) / 2,
    );
    // Without MQA (4 KV heads for its 1) the same layers are bounded alike: 4× the bytes.
    expect(kv.baselineBytes).toBe(4 * kv.bytes);
    // Saved and reopened, its tokenizer still puts no ▁ before the text. Its matrices, bf16 in the
    // file and untouched since, are saved as bf16, exactly; its norm gains (1 + the stored weight)
    // keep the precision they need (float32 or fp16), so nothing is rounded.
    await h.send({ type: 'save', run: 'gemma' });
    const saved = new Map(h.of('checkpoint')[0]!.files);
    const weights = readSafetensors(saved.get('model.safetensors')!);
    const dtypeOf = (name: string) => weights.tensors.get(name)!.dtype;
    expect([dtypeOf('embed.weight'), dtypeOf('layers.0.attn.q.weight'), dtypeOf('layers.5.ffn.down.weight')]).toEqual([
      'BF16',
      'BF16',
      'BF16',
    ]);
    expect(saved.get('model.safetensors')!.length).toBeLessThan(0.6 * 4 * direct.lm.parameterCount().total);
    const reopened = decodeCheckpoint(memorySource(saved, 'download'));
    for (const [name, t] of direct.lm.params)
      expect([...reopened.lm.params.get(name)!.data], name).toEqual([...t.data]);
    await h.send({ type: 'open', run: 'again', label: 'download', files: h.of('checkpoint')[0]!.files });
    await h.send({ type: 'generate', run: 'again', prompt, maxTokens: 20, temperature: 0 });
    expect(h.of('generated')[1]!.text).toBe(greedy);
  });

  it('opens Gemma 2 (soft-capped scores and logits) and generates what the library does', async () => {
    const files = hfFiles('gemma2-bf16');
    const h = harness();
    await h.send({ type: 'open', run: 'gemma2', label: 'gemma2-bf16', files });
    expect(h.of('opened')[0]!.imported).toEqual({ architecture: 'Gemma2ForCausalLM', notes: [] });
    expect(h.of('opened')[0]!.config).toMatchObject({ attentionSoftcap: 2, logitSoftcap: 3 });
    const direct = importHuggingFace(Object.fromEntries(files));
    const prompt = ' soft, what light';
    const greedy = generate(direct.lm, direct.tokenizer, prompt, { maxTokens: 20, temperature: 0 }).text;
    await h.send({ type: 'generate', run: 'gemma2', prompt, maxTokens: 20, temperature: 0 });
    expect(h.of('error')).toEqual([]);
    expect(h.of('generated')[0]!.text).toBe(greedy);
    // Its windowed layers (0 and 2) hold 9 positions; 2 KV heads for 4: half the unshared bytes.
    const kv = h.of('token').at(-1)!.kv;
    expect(kv.layers.map((l) => l.positions)).toEqual([9, kv.allocated, 9, kv.allocated]);
    expect(kv.baselineBytes).toBe(2 * kv.bytes);
  });

  it('reports bad requests as errors naming the request, the run and the file', async () => {
    const h = harness();
    await h.send({ type: 'generate', run: 'nope', prompt: 'x' });
    await h.send({
      ...(trainReq('bad') as Extract<WorkerRequest, { type: 'train' }>),
      model: { ...MODEL, shareKv: 'cla:3', layers: 2, heads: 3 },
    });
    await h.send({ type: 'open', run: 'o', label: 'upload', files: [['config.json', new TextEncoder().encode('{')]] });
    const errors = h.of('error');
    expect(errors.map((e) => [e.request, e.run])).toEqual([
      ['generate', 'nope'],
      ['train', 'bad'],
      ['open', 'o'],
    ]);
    expect(errors[0]!.message).toMatch(/no run "nope"/);
    expect(errors[1]!.message).toMatch(/heads|dModel|divisible/);
    expect(errors[2]!.message).toMatch(/^upload\/config\.json: not valid JSON/);
  });
});
