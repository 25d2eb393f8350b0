// `shareformer analyze` as a user runs it: the report, --json, --compare, charts, and bad input.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/shareformer.js', import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, 'analyze', ...args], { encoding: 'utf8' });
const root = mkdtempSync(join(tmpdir(), 'shareformer-analyze-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('shareformer analyze', () => {
  it('reports a preset with sharing flags', () => {
    const r = cli('--preset', 'llama-2-7b', '--share-kv', 'cla:2', '--context', '32768', '--dtype', 'fp16');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Parameters: 6,201,544,704 unique/);
    expect(r.stdout).toMatch(/KV cache \(fp16\): 262,144 bytes\/token .* → 8\.00 GiB at 32,768 tokens/);
    expect(r.stdout).toMatch(/attention like T²/);
  });

  it('gives every figure as JSON', () => {
    const a = JSON.parse(cli('--preset', 'albert-base', '--json').stdout);
    expect(a.parameters.total).toBe(11_683_584);
    expect(a.kvCache.bytesPerToken).toBe(12 * 2 * 768 * 4);
    expect(a.scaling.length).toBeGreaterThan(3);
  });

  it('puts plans side by side', () => {
    const r = cli(
      '--preset',
      'llama-2-7b',
      '--compare',
      'none',
      'share-kv=cla:2',
      'kv-heads=8',
      'share-weights=all',
      '--json',
      '--dtype',
      'fp16',
    );
    const plans = JSON.parse(r.stdout).plans as Array<{
      label: string;
      kvCache: { bytesPerToken: number };
      parameters: { total: number };
    }>;
    expect(plans.map((p) => p.label)).toEqual(['none', 'share-kv=cla:2', 'kv-heads=8', 'share-weights=all']);
    expect(plans.map((p) => p.kvCache.bytesPerToken)).toEqual([524288, 262144, 131072, 524288]);
    expect(plans[3]!.parameters.total).toBeLessThan(plans[0]!.parameters.total / 10);
    // The same plans as one list, the way sweep --plans takes them.
    const listed = cli(
      '--preset',
      'llama-2-7b',
      '--compare',
      'none; share-kv=cla:2; kv-heads=8; share-weights=all',
      '--json',
    );
    expect(JSON.parse(listed.stdout).plans.map((p: { label: string }) => p.label)).toEqual(plans.map((p) => p.label));
  });

  it('draws the charts as SVG and PNG', () => {
    const svg = join(root, 'c.svg'),
      png = join(root, 'c.png');
    expect(cli('--preset', 'gpt2', '--chart', svg).status).toBe(0);
    const text = readFileSync(svg, 'utf8');
    expect(text).toMatch(/^<svg/);
    expect(text).toMatch(/KV cache versus context/);
    expect(text).toMatch(/Unique parameters versus depth/);
    expect(cli('--preset', 'gpt2', '--chart', png).status).toBe(0);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
  });

  it.each<[string, string[], RegExp]>([
    ['unknown preset', ['--preset', 'gpt5'], /unknown preset "gpt5" \(known: gpt2, gpt2-medium/],
    [
      'contradictory flags',
      ['--preset', 'gpt2', '--kv-heads', '5'],
      /config\.kvHeads: heads 12 is not divisible by kvHeads 5/,
    ],
    ['non-positive numbers', ['--preset', 'gpt2', '--context', '0'], /option '--context <n>' argument '0' is invalid/],
    ['a bad compare entry', ['--preset', 'gpt2', '--compare', 'cla'], /"cla" is not KEY=VALUE/],
    ['no preset', [], /analyze needs --preset NAME, --config FILE or --checkpoint PATH/],
  ])('%s', (_name, args, message) => {
    const r = cli(...args);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('shareformer analyze --checkpoint on models from elsewhere (config only, no weights read)', () => {
  const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
  const parameters = (path: string) => JSON.parse(cli('--checkpoint', path, '--json').stdout).parameters.total;

  it('a GGUF file and the Hugging Face directory it was converted from are the same model', () => {
    expect(parameters(join(FIXTURES, 'gguf', 'qwen2-bf16.gguf'))).toBe(parameters(join(FIXTURES, 'hf', 'qwen2-bf16')));
  });

  it("compares sharing plans on a GGUF model's own shape", () => {
    const r = cli(
      '--checkpoint',
      join(FIXTURES, 'gguf', 'gemma3-bf16.gguf'),
      '--compare',
      'none; share-kv=cla:2',
      '--context',
      '64',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^share-kv=cla:2 +68,528 .* 384 .* ×0\.75/m);
  });
});
