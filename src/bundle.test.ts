// The library entry point must bundle for a browser: no Node built-ins anywhere in its import graph.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('browser bundle', () => {
  it('bundles src/index.ts for the browser platform with no Node-only import', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      metafile: true,
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => p.startsWith('node:') || /\/cli\/|verify\/load/.test(p))).toEqual([]);
    // Executes as a module with only browser globals and trains a parameter.
    const code = result.outputFiles[0]!.text;
    const mod = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
    const w = new mod.Tensor([1, 2], [2], { requiresGrad: true });
    mod.sum(mod.mul(w, w)).backward();
    expect([...w.grad]).toEqual([2, 4]);
  });
});
