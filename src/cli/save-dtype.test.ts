import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../io/safetensors.js';
import { cli, suiteDir } from '../testing/cli.js';

const root = suiteDir('save-dtype');
const MODEL = ['--data', 'synthetic:copy', '--layers', '2', '--d-model', '32', '--heads', '4', '--context', '32'];
const weights = (run: string) => join(run, 'checkpoint', 'model.safetensors');

describe('train --save-dtype', () => {
  const full = join(root, 'fp32'),
    half = join(root, 'fp16');

  it('halves model.safetensors in fp16 and bf16, and the run still evaluates and generates', () => {
    for (const [run, dtype] of [
      [full, 'fp32'],
      [half, 'fp16'],
      [join(root, 'bf16'), 'bf16'],
    ] as const) {
      const r = cli('train', ...MODEL, '--steps', '4', '--batch', '4', '--quiet', '--save-dtype', dtype, '--out', run);
      expect(r.status, r.stderr).toBe(0);
    }
    expect(statSync(weights(half)).size).toBeLessThan(statSync(weights(full)).size * 0.52);
    const tensors = readSafetensors(readFileSync(weights(half)), weights(half)).tensors;
    expect(new Set([...tensors.values()].map((t) => t.dtype))).toEqual(new Set(['F16']));
    expect(
      new Set(
        [...readSafetensors(readFileSync(weights(join(root, 'bf16'))), 'bf16').tensors.values()].map((t) => t.dtype),
      ),
    ).toEqual(new Set(['BF16']));
    const [a, b] = [full, half].map(
      (run) => JSON.parse(cli('eval', '--checkpoint', run, '--data', 'synthetic:copy', '--json').stdout).loss,
    );
    expect(Math.abs(a - b) / a).toBeLessThan(1e-3);
    expect(cli('generate', '--checkpoint', half, '--prompt', 'abc>', '--max-tokens', '5').status).toBe(0);
  });

  it('resumes in float32 from fp16 weights with a notice, and keeps saving fp16', () => {
    const r = cli('train', '--resume', half, '--steps', '8');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/notice: .* stores its weights in fp16; training resumes in float32/);
    const tensors = readSafetensors(readFileSync(weights(half)), weights(half)).tensors;
    expect([...tensors.values()].every((t) => t.dtype === 'F16')).toBe(true);
  });

  it('an unknown dtype names the known ones', () => {
    const r = cli('train', ...MODEL, '--steps', '1', '--save-dtype', 'int8', '--out', join(root, 'x'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(
      /'--save-dtype <dtype>' argument 'int8' is invalid\. Allowed choices are fp32, fp16, bf16/,
    );
  });
});
