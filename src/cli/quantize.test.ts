import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '../io/safetensors.js';
import { cli, suiteDir } from '../testing/cli.js';

const root = suiteDir('quantize');
const run = join(root, 'fp32'),
  q8 = join(root, 'int8');
const weights = (r: string) => join(r, 'checkpoint', 'model.safetensors');

describe('quantize', () => {
  it('writes int8 weights at about a quarter of the file, keeping shared sets shared', () => {
    const t = cli(
      'train',
      ...['--data', 'synthetic:copy', '--layers', '4', '--d-model', '64', '--heads', '4', '--context', '32'],
      ...['--share-weights', 'cycle:2', '--steps', '30', '--batch', '8', '--quiet', '--out', run],
    );
    expect(t.status, t.stderr).toBe(0);
    const r = cli('quantize', '--checkpoint', run, '--out', q8, '--json');
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.ratio).toBeGreaterThan(0.24);
    expect(s.ratio).toBeLessThan(0.3);
    const file = readSafetensors(readFileSync(weights(q8)), 'int8');
    // cycle:2 over 4 layers: two attention sets, each stored once.
    expect([...file.tensors.keys()].filter((n) => n.endsWith('attn.q.weight'))).toEqual([
      'layers.0.attn.q.weight',
      'layers.1.attn.q.weight',
    ]);
    expect(file.tensors.get('layers.0.attn.q.weight')!.dtype).toBe('I8');
    expect(file.tensors.get('layers.0.attn.q.weight_scale')!.dtype).toBe('F32');
    expect(file.tensors.get('layers.0.norm1.weight')!.dtype).toBe('F32');
    expect(statSync(weights(q8)).size).toBe(s.bytes_after);
  });

  it('evaluates within 1% of the float32 run and generates', () => {
    const loss = (r: string) =>
      JSON.parse(cli('eval', '--checkpoint', r, '--data', 'synthetic:copy', '--json').stdout).loss as number;
    const [a, b] = [loss(run), loss(q8)];
    expect(Math.abs(b - a) / a).toBeLessThan(0.01);
    expect(cli('generate', '--checkpoint', q8, '--prompt', 'abc>', '--max-tokens', '8').status).toBe(0);
  });

  it('train and export refuse an int8 run by name', () => {
    for (const args of [
      ['train', '--resume', q8, '--steps', '40'],
      ['train', '--init-from', q8, '--data', 'synthetic:copy', '--out', join(root, 'ft')],
      ['export', '--checkpoint', q8, '--to', 'onnx', '--out', join(root, 'x.onnx')],
    ]) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(/holds int8 weights \(shareformer quantize\)/);
    }
  });

  it('an int8 tensor without its scale is named', () => {
    const broken = join(root, 'broken');
    expect(cli('quantize', '--checkpoint', run, '--out', broken).status).toBe(0);
    const file = readSafetensors(readFileSync(weights(broken)), 'broken');
    const tensors: Record<string, TensorToWrite> = {};
    for (const [name, t] of file.tensors)
      if (name !== 'layers.1.attn.v.weight_scale') tensors[name] = { shape: t.shape, data: t.data, dtype: t.dtype };
    writeFileSync(weights(broken), writeSafetensors(tensors));
    const r = cli('eval', '--checkpoint', broken, '--data', 'synthetic:copy');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/int8 tensor "layers\.1\.attn\.v\.weight" has no "layers\.1\.attn\.v\.weight_scale"/);
  });
});
