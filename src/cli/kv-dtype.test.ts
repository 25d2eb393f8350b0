import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, suiteDir } from '../testing/cli.js';

const root = suiteDir('kv-dtype');
const run = join(root, 'run');

describe('--kv-dtype', () => {
  it('eval measures what each KV precision costs in loss', () => {
    const t = cli(
      'train',
      ...['--data', 'synthetic:copy', '--layers', '2', '--d-model', '32', '--heads', '4', '--context', '32'],
      ...['--share-kv', 'cla:2', '--steps', '40', '--batch', '8', '--quiet', '--out', run],
    );
    expect(t.status, t.stderr).toBe(0);
    const loss = (dtype: string) =>
      JSON.parse(cli('eval', '--checkpoint', run, '--data', 'synthetic:copy', '--kv-dtype', dtype, '--json').stdout);
    const fp32 = loss('fp32');
    for (const dtype of ['fp16', 'bf16', 'int8']) {
      const r = loss(dtype);
      expect(r.kv_dtype).toBe(dtype);
      expect(Math.abs(r.loss - fp32.loss) / fp32.loss, dtype).toBeLessThan(0.01);
    }
    expect(loss('int8').loss).not.toBe(fp32.loss);
  });

  it('generate stores the cache in that precision and reports its bytes against the analyzer', () => {
    const out = (dtype: string) =>
      JSON.parse(
        cli('generate', '--checkpoint', run, '--prompt', 'abc>', '--max-tokens', '20', '--kv-dtype', dtype, '--json')
          .stdout,
      );
    const [fp32, int8] = [out('fp32'), out('int8')];
    expect(int8.kv_cache_bytes).toBe(int8.kv_cache_bytes_analytical);
    // head size 8: 8 int8 values and a 4-byte scale per row against 32 bytes of float32
    expect(int8.kv_cache_bytes / fp32.kv_cache_bytes).toBe(12 / 32);
    const analyzed = JSON.parse(cli('analyze', '--checkpoint', run, '--kv-dtype', 'int8', '--json').stdout);
    expect(analyzed.kvCache.bytesPerToken * int8.kv_cache_positions).toBe(int8.kv_cache_bytes);
  });

  it('an unknown precision names the known ones', () => {
    const r = cli('generate', '--checkpoint', run, '--prompt', 'a', '--kv-dtype', 'fp8');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(
      /'--kv-dtype <dtype>' argument 'fp8' is invalid\. Allowed choices are fp32, fp16, bf16, int8/,
    );
  });
});
