import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../io/checkpoint.js';
import { cli, suiteDir } from '../testing/cli.js';
import { relativeDiff } from '../verify/fixture.js';

const root = suiteDir('export-onnx');
const run = join(root, 'run');
const TRAIN = [
  'train',
  '--data',
  'synthetic:copy',
  '--layers',
  '4',
  '--d-model',
  '32',
  '--heads',
  '4',
  '--kv-heads',
  '2',
  '--context',
  '32',
  '--share-kv',
  'cla:2',
  '--share-attention',
  'group:2',
  '--steps',
  '3',
  '--batch',
  '2',
  '--quiet',
  '--backend',
  'js',
];

describe('export --to onnx', () => {
  const file = join(root, 'out', 'model.onnx');

  it('writes one file whose cache inputs are the producer layers, and says which', () => {
    expect(cli(...TRAIN, '--out', run).status).toBe(0);
    const r = cli('export', '--checkpoint', run, '--to', 'onnx', '--out', file, '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    // cla:2 → layers 0 and 2 produce K/V; group:2 → layers 1 and 3 reuse probabilities, so compute no K.
    expect(s).toMatchObject({ format: 'onnx', opset: 17, key_layers: [0, 2], value_layers: [0, 2] });
    expect(s.inputs).toEqual([
      'input_ids',
      'attention_mask',
      'position_ids',
      'past_key_values.0.key',
      'past_key_values.0.value',
      'past_key_values.2.key',
      'past_key_values.2.value',
    ]);
    expect(readdirSync(join(root, 'out'))).toEqual(['model.onnx']);
  });

  it('runs in onnxruntime with the logits of the checkpoint it came from', async () => {
    const session = await ort.InferenceSession.create(readFileSync(file));
    const { lm } = loadCheckpoint(run);
    const ids = [3, 1, 4, 1, 5, 9, 2, 6];
    const i64 = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, v.length]);
    const empty = new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 8]);
    const out = await session.run({
      input_ids: i64(ids),
      attention_mask: i64(ids.map(() => 1)),
      position_ids: i64(ids.map((_, i) => i)),
      'past_key_values.0.key': empty,
      'past_key_values.0.value': empty,
      'past_key_values.2.key': empty,
      'past_key_values.2.value': empty,
    });
    expect(relativeDiff(out.logits!.data as Float32Array, lm.forward(Int32Array.from(ids), 1).data)).toBeLessThan(1e-4);
  });

  it('refuses to replace an existing file without --force, and replaces it with --force', () => {
    const r = cli('export', '--checkpoint', run, '--to', 'onnx', '--out', file);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/model\.onnx exists; pass --force to replace it/);
    expect(cli('export', '--checkpoint', run, '--to', 'onnx', '--out', file, '--force').status).toBe(0);
  });

  it('a damaged checkpoint is one clear error and leaves no file behind', () => {
    const damaged = join(root, 'damaged');
    expect(cli(...TRAIN, '--out', damaged).status).toBe(0);
    const weights = join(damaged, 'checkpoint', 'model.safetensors');
    writeFileSync(weights, readFileSync(weights).subarray(0, 200));
    const target = join(root, 'damaged.onnx');
    const r = cli('export', '--checkpoint', damaged, '--to', 'onnx', '--out', target);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/model\.safetensors/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(root).filter((f) => f.startsWith('damaged.onnx'))).toEqual([]);
  });
});
