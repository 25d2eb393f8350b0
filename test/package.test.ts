// The package as users get it: `npm pack`, installed into a fresh project. The README's library
// example runs there (fewer steps) on the fastest backend the machine has, SHAREFORMER_BACKEND
// picks another, and every shipped command answers --help and does a tiny run from the install.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));
const project = mkdtempSync(join(tmpdir(), 'shareformer-pkg-'));
const installed = join(project, 'node_modules', 'shareformer');
const addon = join(installed, 'build', 'Release', 'shareformer_native.node');
let nativeBuilt = false;
const nativeExpected = (() => {
  try {
    return JSON.parse(readFileSync(join(repo, 'build', 'native-status.json'), 'utf8')).ok === true;
  } catch {
    return false;
  }
})();

const run = (cmd: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(cmd, args, { cwd: project, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 240_000 });
const shareformer = (...args: string[]) => run(process.execPath, [join(installed, 'bin', 'shareformer.js'), ...args]);

beforeAll(() => {
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', project], {
    cwd: repo,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop()!;
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(project, tarball)]);
  if (install.status !== 0) throw new Error(`npm install of the packed tarball failed:\n${install.stderr}`);
  // npm 11 may skip a dependency's install script; the README's documented remedy builds it. Where
  // the repository's own build found OpenBLAS, the installed package must build too.
  if (!existsSync(addon)) {
    const setup = shareformer('setup', 'native');
    if (nativeExpected && setup.status !== 0) throw new Error(`shareformer setup native failed:\n${setup.stderr}`);
  }
  nativeBuilt = existsSync(addon);
}, 300_000);
afterAll(() => rmSync(project, { recursive: true, force: true }), 120_000);

/** The README's Library example, verbatim but for the step count and the text. */
function readmeExample(): string {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const code = /## Library\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!code) throw new Error('README.md has no ```ts block under ## Library');
  expect(code).toMatch(/steps: 500/);
  const text = readFileSync(join(repo, 'src', 'text', 'synthetic.ts'), 'utf8').slice(0, 4000);
  return `${code.replace('steps: 500', 'steps: 30').replace("const text = '...';", `const text = ${JSON.stringify(text)};`)}
import { backend, availableBackends } from 'shareformer';
console.log(JSON.stringify({ backend: backend().name, available: availableBackends() }));
`;
}

describe('the packed tarball installed in a fresh project', () => {
  it('runs the README library example on the fastest backend', () => {
    writeFileSync(join(project, 'example.mjs'), readmeExample());
    // The example is TypeScript only in its fence; the code itself is plain JavaScript.
    const r = run(process.execPath, ['example.mjs']);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(last.backend).toBe(nativeBuilt ? 'native' : 'wasm');
    expect(last.available).toEqual(expect.arrayContaining(['js', 'wasm', ...(nativeBuilt ? ['native'] : [])]));
  });

  it('honours SHAREFORMER_BACKEND, and names what is missing when asked for it', () => {
    const probe = "import { backend } from 'shareformer'; console.log(backend().name);";
    writeFileSync(join(project, 'probe.mjs'), probe);
    expect(run(process.execPath, ['probe.mjs'], { SHAREFORMER_BACKEND: 'js' }).stdout.trim()).toBe('js');
    const bad = run(process.execPath, ['probe.mjs'], { SHAREFORMER_BACKEND: 'cuda' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/backend "cuda" is not available on this machine \(available: .*js/);
  });

  it('ships no test files, sources or profiler logs', () => {
    const files = run('npm', ['pack', '--dry-run', '--json'], {}).stdout;
    expect(files).toBeDefined();
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(installed, 'dist', 'cli', 'train.test.js'))).toBe(false);
    expect(readFileSync(join(installed, 'package.json'), 'utf8')).not.toMatch(/isolate-/);
  });

  it.each([
    'demo',
    'train',
    'eval',
    'generate',
    'analyze',
    'verify',
    'bench',
    'setup',
    'sweep',
    'import',
    'export',
    'quantize',
    'convert',
    'inspect',
  ])('`shareformer %s --help` works from the install', (cmd) => {
    const r = shareformer(cmd, '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Usage: shareformer ${cmd}`));
  });

  it('train, eval, generate, analyze, verify and bench do a tiny run from the install', () => {
    const out = join(project, 'run');
    const train = shareformer(
      'train',
      '--data',
      'synthetic:copy',
      '--layers',
      '1',
      '--d-model',
      '16',
      '--heads',
      '2',
      '--context',
      '16',
      '--batch',
      '2',
      '--steps',
      '2',
      '--eval-windows',
      '2',
      '--quiet',
      '--out',
      out,
    );
    expect(train.stderr).toBe('');
    expect(train.status).toBe(0);
    expect(
      shareformer('eval', '--checkpoint', out, '--data', 'synthetic:copy', '--max-windows', '2', '--json').status,
    ).toBe(0);
    expect(shareformer('generate', '--checkpoint', out, '--prompt', 'ab', '--max-tokens', '3', '--json').status).toBe(
      0,
    );
    expect(shareformer('analyze', '--preset', 'gpt2', '--json').status).toBe(0);
    const verify = shareformer('verify', '--backend', 'js');
    expect(verify.stderr + verify.stdout).not.toMatch(/ENOENT|Cannot find/);
    expect(verify.status).toBe(0);
    const bench = shareformer('bench', '--quick', '--no-tfjs', '--no-pytorch', '--out', join(project, 'bench-out'));
    expect(bench.status).toBe(0);
    expect(existsSync(join(project, 'bench-out', 'results.md'))).toBe(true);
  }, 240_000);
});
