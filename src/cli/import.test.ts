import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli, suiteDir } from '../testing/cli.js';
import { tokenizerFromHfJson } from '../text/hf-bpe.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/hf/', import.meta.url));
const root = suiteDir('import');

const text = join(root, 'text.txt');
writeFileSync(text, 'To be, or not to be, that is the question: whether tis nobler in the mind to suffer. '.repeat(60));

describe('import', () => {
  const run = join(root, 'gpt2');

  it('writes a run and says what it imported', () => {
    const r = cli('import', '--from', join(FIXTURES, 'gpt2-sharded-bf16'), '--out', run, '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({
      architecture: 'GPT2LMHeadModel',
      layers: 2,
      parameters: 35840,
      dtypes: ['BF16'],
      tokenizer: 'byte-level',
    });
    expect(existsSync(join(run, 'checkpoint', 'model.safetensors'))).toBe(true);
    expect(JSON.parse(readFileSync(join(run, 'checkpoint', 'config.json'), 'utf8')).origin.architecture).toBe(
      'GPT2LMHeadModel',
    );
  });

  it.each([
    [
      'qwen2-bf16',
      /^Qwen2ForCausalLM: .*2 KV heads, Q\/K\/V biases, context 64,/m,
      /^tokenizer: byte-level BPE \(its own split, NFC\), 300 tokens$/m,
    ],
    [
      'qwen3-bf16',
      /^Qwen3ForCausalLM: 2 layers, d 32, 4 heads of 16 \/ 2 KV heads, query\/key head norms, context 64,/m,
      /^tokenizer: byte-level BPE \(its own split, NFC\), 300 tokens$/m,
    ],
    [
      'phi3-bf16',
      /^Phi3ForCausalLM: .*2 KV heads, sliding window 16, context 64, .*\nnote: vocab_size 400 exceeds the tokenizer's 384 tokens/m,
      /^tokenizer: sentencepiece BPE, 400 tokens$/m, // 384 and the 16 placeholders
    ],
    [
      'internlm2-bf16',
      /^InternLM2ForCausalLM: 2 layers, d 32, 4 heads \/ 2 KV heads, context 64, .*\nnote: rope scaling "dynamic" changes the rotary base only past 64 positions/m,
      /^tokenizer: sentencepiece BPE, 384 tokens$/m, // from tokenizer.model alone
    ],
    [
      'gemma3-bf16',
      /^Gemma3ForCausalLM: 6 layers, d 32, 4 heads of 16 \/ 1 KV heads, query\/key head norms, sliding window 8 \(every 6th layer full\), scaled embeddings, norms after attention and FFN, context 64,/m,
      /^tokenizer: sentencepiece BPE \(no dummy prefix\), 384 tokens$/m,
    ],
    [
      'gemma2-bf16',
      /^Gemma2ForCausalLM: 4 layers, d 32, 4 heads of 16 \/ 2 KV heads, sliding window 8 \(every other layer full\), scaled embeddings, norms after attention and FFN, scores scaled by 1\/√24, soft-capped scores at 2 and logits at 3, context 64,/m,
      /^tokenizer: sentencepiece BPE \(no dummy prefix\), 384 tokens$/m,
    ],
    [
      'gemma-bf16',
      /^GemmaForCausalLM: 3 layers, d 32, 4 heads of 16 \/ 1 KV heads, scaled embeddings, context 64,/m,
      /^tokenizer: sentencepiece BPE \(no dummy prefix\), 384 tokens$/m,
    ],
    [
      'neox-fp16',
      /^GPTNeoXForCausalLM: 3 layers, d 32, 2 heads \/ 2 KV heads, RoPE on 4 of 16 head dimensions, attention and FFN in parallel, exact GELU, context 24,.*\n.*\nignored 9 tensors that are not parameters \(gpt_neox\.layers\.0\.attention\.bias, gpt_neox\.layers\.0\.attention\.masked_bias, \.\.\.\)/m,
      /^tokenizer: byte-level BPE \(NFC, 3 added tokens found in text\), 304 tokens$/m,
    ],
    [
      'gptneo-tinystories',
      /^GPTNeoForCausalLM: 4 layers, d 32, 4 heads \/ 4 KV heads, sliding window 5 \(every other layer full, from the first\), scores unscaled, no Q\/K\/V biases, context 24,/m,
      /^tokenizer: byte-level BPE, 300 tokens$/m,
    ],
    [
      'opt-bin',
      /^OPTForCausalLM: 2 layers, d 32, 4 heads \/ 4 KV heads, a ReLU MLP, context 24, vocabulary 304; 31,808 parameters \(F16 → F32\) from pytorch_model\.bin\n.*\nnote: embed_positions' first 2 rows/m,
      /^tokenizer: byte-level BPE, 304 tokens$/m,
    ],
    [
      'phi2-bf16',
      /^PhiForCausalLM: 2 layers, d 40, 2 heads \/ 2 KV heads, RoPE on 8 of 20 head dimensions, attention and FFN in parallel, a biased output head, context 24,/m,
      /^tokenizer: byte-level BPE, 304 tokens$/m,
    ],
    [
      'llama31-rope-scaled',
      /^LlamaForCausalLM: .*context 1,024, RoPE rescaled as Llama 3\.1 \(×8 beyond 512\),/m,
      /^tokenizer: byte-level BPE \(its own split\), 300 tokens$/m,
    ],
  ])('says what %s is: its layout and its tokenizer', (fixture, model, tokenizer) => {
    const r = cli('import', '--from', join(FIXTURES, fixture), '--out', join(root, fixture));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(model);
    expect(r.stdout).toMatch(tokenizer);
  });

  it('an imported Qwen3 converts to MQA with cross-layer K/V and keeps its head width', () => {
    const from = join(root, 'qwen3-bf16');
    const out = join(root, 'qwen3-mqa-cla');
    const r = cli(
      'convert',
      '--checkpoint',
      from,
      '--out',
      out,
      '--data',
      text,
      '--kv-heads',
      '1',
      '--share-kv',
      'cla:2',
    );
    expect(r.status, r.stderr).toBe(0);
    const an = JSON.parse(cli('analyze', '--checkpoint', out, '--json').stdout);
    // One producer layer of two, one K/V head of 16: K and V rows of 16 float32 values.
    expect(an.kvCache.bytesPerToken).toBe(1 * 2 * 16 * 4);
  });

  it("an imported Gemma 3's windowed layers hold their window and a stride while generating", () => {
    const r = cli(
      'generate',
      '--checkpoint',
      join(root, 'gemma3-bf16'),
      '--prompt',
      'ROMEO',
      '--max-tokens',
      '30',
      '--json',
    );
    expect(r.status, r.stderr).toBe(0);
    const g = JSON.parse(r.stdout);
    // Window 8 and a stride of 1 on layers 0–4; layer 5 attends to the whole text.
    expect(g.kv_cache_layer_positions).toEqual([9, 9, 9, 9, 9, 64]);
    expect(g.kv_cache_bytes).toBe(g.kv_cache_bytes_analytical);
    expect(g.kv_cache_bytes).toBe((5 * 9 + 64) * 2 * 16 * 4);
  });

  it('refuses to overwrite without --force', () => {
    const r = cli('import', '--from', join(FIXTURES, 'gpt2-hub'), '--out', run);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/already holds a checkpoint; pass --force/);
  });

  it('eval, generate and analyze use the imported run', () => {
    const ev = cli('eval', '--checkpoint', run, '--data', text, '--json');
    expect(ev.status).toBe(0);
    expect(Number.isFinite(JSON.parse(ev.stdout).loss)).toBe(true);
    const gen = cli('generate', '--checkpoint', run, '--prompt', 'To be', '--max-tokens', '5', '--json');
    expect(gen.status).toBe(0);
    expect(JSON.parse(gen.stdout).new_tokens).toBeLessThanOrEqual(5);
    const an = cli('analyze', '--checkpoint', run, '--json');
    expect(an.status).toBe(0);
    expect(JSON.parse(an.stdout).parameters.total).toBe(35840);
  });

  it('fine-tunes with train --init-from: a new optimizer, and the loss falls', () => {
    const out = join(root, 'finetuned');
    const r = cli(
      'train',
      '--init-from',
      run,
      '--data',
      text,
      '--steps',
      '25',
      '--batch',
      '8',
      '--lr',
      '3e-3',
      '--eval-every',
      '0',
      '--quiet',
      '--json',
      '--out',
      out,
    );
    expect(r.status).toBe(0);
    const log = readFileSync(join(out, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((x) => x.type === 'step');
    expect(log).toHaveLength(25);
    expect(log[24].loss).toBeLessThan(log[0].loss * 0.8);
  });

  it('--init-from keeps the model: a model flag is refused', () => {
    const r = cli('train', '--init-from', run, '--data', text, '--layers', '4', '--out', join(root, 'x'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--init-from keeps the checkpoint's model and sharing plan; drop "layers"/);
  });

  it('--init-from with a shorter --context fine-tunes on shorter windows, keeping the first learned positions', async () => {
    const { loadCheckpoint } = await import('../io/checkpoint.js');
    const source = loadCheckpoint(run).lm;
    const out = join(root, 'short');
    const r = cli(
      'train',
      '--init-from',
      run,
      '--context',
      '16',
      '--data',
      text,
      '--steps',
      '2',
      '--lr',
      '1e-9',
      '--eval-every',
      '0',
      '--quiet',
      '--out',
      out,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const tuned = loadCheckpoint(out).lm;
    expect(tuned.config.context).toBe(16);
    expect(source.config.context).toBeGreaterThan(16);
    const d = tuned.config.dModel;
    const diff = tuned.params
      .get('pos.weight')!
      .data.reduce((m, v, i) => Math.max(m, Math.abs(v - source.params.get('pos.weight')!.data[i]!)), 0);
    expect(diff).toBeLessThan(1e-4); // two steps at lr 1e-9 leave the first 16 rows as they were
    expect(tuned.params.get('pos.weight')!.data.length).toBe(16 * d);
    const longer = cli('train', '--init-from', run, '--context', '4096', '--data', text, '--out', join(root, 'y'));
    expect(longer.status).not.toBe(0);
    expect(longer.stderr).toMatch(
      /--context 4096: .* was trained with a context of \d+; a fine-tune can use shorter windows/,
    );
  });

  it('export --to hf writes a directory that imports back to the same model', () => {
    const hf = join(root, 'exported');
    const r = cli('export', '--checkpoint', run, '--to', 'hf', '--out', hf, '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).files).toEqual(
      expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.json', 'merges.txt']),
    );
    const again = cli('import', '--from', hf, '--out', join(root, 'reimported'), '--json');
    expect(again.status).toBe(0);
    const e1 = JSON.parse(cli('eval', '--checkpoint', run, '--data', text, '--json').stdout);
    const e2 = JSON.parse(cli('eval', '--checkpoint', join(root, 'reimported'), '--data', text, '--json').stdout);
    expect(e2.loss).toBe(e1.loss);
  });

  it('a Llama model gets its <s> first when generating', () => {
    const llama = join(root, 'llama');
    expect(cli('import', '--from', join(FIXTURES, 'llama'), '--out', llama).status).toBe(0);
    const gen = cli('generate', '--checkpoint', llama, '--prompt', 'ROMEO:', '--max-tokens', '3', '--json');
    expect(gen.status).toBe(0);
    const tokenizer = tokenizerFromHfJson(
      JSON.parse(readFileSync(join(FIXTURES, 'llama', 'tokenizer.json'), 'utf8')),
      'llama',
    );
    expect(JSON.parse(gen.stdout).prompt_tokens).toBe(1 + tokenizer.encode('ROMEO:').length);
  });
});

describe('import of a GGUF file (llama.cpp)', () => {
  const GGUF = fileURLToPath(new URL('../../fixtures/gguf/', import.meta.url));
  const run = join(root, 'gguf-qwen2');

  it('writes a run that evaluates as the Hugging Face directory it was converted from', () => {
    const r = cli('import', '--from', join(GGUF, 'qwen2-bf16.gguf'), '--out', run, '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({
      architecture: 'Qwen2ForCausalLM',
      dtypes: ['BF16 ×15', 'F32 ×11'],
      files: ['qwen2-bf16.gguf'],
    });
    expect(s.notes[0]).toMatch(/^read from GGUF \(qwen2\): BF16 ×15, F32 ×11, dequantized to float32$/);
    expect(JSON.parse(readFileSync(join(run, 'checkpoint', 'config.json'), 'utf8')).origin.format).toBe('gguf');
    const hf = join(root, 'gguf-qwen2-hf');
    expect(cli('import', '--from', join(FIXTURES, 'qwen2-bf16'), '--out', hf).status).toBe(0);
    const e1 = JSON.parse(cli('eval', '--checkpoint', run, '--data', text, '--json').stdout);
    const e2 = JSON.parse(cli('eval', '--checkpoint', hf, '--data', text, '--json').stdout);
    expect(e1.loss).toBe(e2.loss);
  });

  it('exports to Hugging Face again: GGUF in, safetensors out', () => {
    const out = join(root, 'gguf-qwen2-exported');
    expect(cli('export', '--checkpoint', run, '--to', 'hf', '--out', out).status).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).architectures).toEqual(['Qwen2ForCausalLM']);
  });

  it('says what is wrong with a file that is not a GGUF model', () => {
    const r = cli('import', '--from', text, '--out', join(root, 'gguf-bad'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/text\.txt: a file, but not a \.gguf one/);
    expect(cli('import', '--from', join(root, 'missing.gguf'), '--out', join(root, 'gguf-bad')).stderr).toMatch(
      /^shareformer: .*missing\.gguf: no such file$/m,
    );
    const fake = join(root, 'fake.gguf');
    writeFileSync(fake, 'not a model at all, but long enough to hold a header');
    const f = cli('import', '--from', fake, '--out', join(root, 'gguf-bad'));
    expect(f.stderr).toMatch(/^shareformer: .*fake\.gguf: not a GGUF file \(it does not start with "GGUF"\)$/m);
  });
});

describe('export --to gguf', () => {
  const GGUF = fileURLToPath(new URL('../../fixtures/gguf/', import.meta.url));

  it('writes a GGUF file that imports back to the same model, in the type asked for', () => {
    const run = join(root, 'gguf-llama');
    expect(cli('import', '--from', join(GGUF, 'llama-spm.gguf'), '--out', run).status).toBe(0);
    const file = join(root, 'llama-q8_0.gguf');
    const r = cli('export', '--checkpoint', run, '--to', 'gguf', '--gguf-type', 'q8_0', '--out', file, '--json');
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({
      format: 'gguf',
      architecture: 'llama',
      types: ['Q8_0 ×14', 'F32 ×5', 'F16 ×2'],
    });
    // Q4_K_M on rows of 64: the k-quants' blocks of 256 do not fit, and the command says what it did instead.
    const q4km = cli(
      ...['export', '--checkpoint', run, '--to', 'gguf', '--gguf-type', 'q4_k_m'],
      '--out',
      file,
      '--force',
    );
    expect(q4km.status).toBe(0);
    expect(q4km.stdout).toMatch(
      /note: matrices whose rows do not hold whole blocks fall back as llama-quantize's do: Q4_K → Q5_0 ×\d+/,
    );
    const f32 = join(root, 'llama-f32.gguf');
    expect(cli('export', '--checkpoint', run, '--to', 'gguf', '--gguf-type', 'f32', '--out', f32).status).toBe(0);
    const back = join(root, 'gguf-llama-back');
    expect(cli('import', '--from', f32, '--out', back).status).toBe(0);
    const e1 = JSON.parse(cli('eval', '--checkpoint', run, '--data', text, '--json').stdout);
    const e2 = JSON.parse(cli('eval', '--checkpoint', back, '--data', text, '--json').stdout);
    expect(e2.loss).toBe(e1.loss);
  });

  it("refuses a model llama.cpp's architectures cannot hold, saying why", () => {
    const run = join(root, 'gpt2');
    const r = cli('export', '--checkpoint', run, '--to', 'gguf', '--out', join(root, 'gpt2.gguf'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(
      /^shareformer: GGUF export writes llama\.cpp's llama, qwen2, qwen3, gemma, gemma2, gemma3, smollm3 architectures; this model's layout is GPT-2's$/m,
    );
  });
});
