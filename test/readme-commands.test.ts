// The README's command-line walkthrough, run as a user would type it: every command of its
// "Command line" block goes through `sh` in one scratch directory, in order, so each must exist,
// parse and finish, and the later ones must accept what the earlier ones wrote. Only sizes are
// scaled down (SCALED below, applied where the README's text appears verbatim), so the whole
// walkthrough takes seconds instead of hours.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(repo, 'bin', 'shareformer.js');
const scratch = mkdtempSync(join(tmpdir(), 'shareformer-readme-'));

/** README text → what the walkthrough runs instead: smaller models, fewer steps. */
const SCALED: [string, string][] = [
  ['--preset medium', '--preset medium --d-model 32 --heads 4 --context 32 --batch 4'],
  ['--steps 2000 --out runs/', '--steps 6 --out runs/'],
  ['--seeds 3 --steps 2000', '--seeds 1 --steps 3 --d-model 32 --heads 4 --context 32 --batch 4 --eval-windows 2'],
  ['--max-tokens 300', '--max-tokens 20'],
  ['--context 256', '--context 16'], // the stand-in GPT-2 has 24 positions
  ['--batch 4 --out runs/gpt2-ft', '--batch 4 --steps 6 --out runs/gpt2-ft'],
  ['--uptrain 100', '--uptrain 2'],
];

/** Commands whose run is someone else's test, with where; the walkthrough only checks they are these. */
const RUN_ELSEWHERE: Record<string, string> = {
  demo: 'src/cli/cli.test.ts runs the demo and checks every model learns',
  verify: 'src/cli/cli.test.ts runs verify against every PyTorch fixture',
  bench: 'test/package.test.ts runs bench --quick from the installed package (the full bench takes minutes)',
  setup: 'test/package.test.ts runs setup native in a fresh install (it rebuilds the addon)',
};

/** The "## Command line" block's lines, comments kept (sh drops them). */
function readmeCommands(): string[] {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const block = /## Command line\n\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no ```sh block under ## Command line');
  return block.split('\n').filter((l) => l.trim() !== '');
}

const subcommand = (line: string) => /^npx shareformer (\S+)/.exec(line)?.[1] ?? '';

function scaled(line: string): string {
  let out = line;
  for (const [from, to] of SCALED) out = out.replace(from, to);
  return out.replace(/^npx shareformer /, `"${process.execPath}" "${BIN}" `);
}

beforeAll(() => {
  // The files the README takes for granted: the user's text, held-out text, a baseline run, a
  // Hugging Face GPT-2 directory (a 2-layer one with GPT-2's layout and tokenizer files) and a
  // downloaded Qwen2.5 GGUF (a 2-layer qwen2 one with a byte-level vocabulary).
  const text = readFileSync(join(repo, 'data', 'shakespeare-excerpt.txt'), 'utf8');
  writeFileSync(join(scratch, 'input.txt'), text.slice(0, 30_000));
  writeFileSync(join(scratch, 'other.txt'), text.slice(30_000, 36_000));
  cpSync(join(repo, 'fixtures', 'hf', 'gpt2-hub'), join(scratch, 'gpt2'), { recursive: true });
  cpSync(join(repo, 'fixtures', 'gguf', 'qwen2-bf16.gguf'), join(scratch, 'qwen2.5-0.5b-instruct-q4_k_m.gguf'));
  mkdirSync(join(scratch, 'runs'));
  const base = sh(scaled('npx shareformer train --data input.txt --preset medium --steps 2000 --out runs/base'));
  if (base.status !== 0) throw new Error(`training the walkthrough's baseline failed:\n${base.stderr}`);
}, 120_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function sh(command: string) {
  return spawnSync('sh', ['-c', command], {
    cwd: scratch,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
}

describe('the README command-line walkthrough', () => {
  const lines = readmeCommands();

  it('is a list of shareformer commands, each run here or by a named test', () => {
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) expect(line, line).toMatch(/^npx shareformer \S+/);
    const elsewhere = lines.map(subcommand).filter((c) => c in RUN_ELSEWHERE);
    expect(new Set(elsewhere)).toEqual(new Set(Object.keys(RUN_ELSEWHERE)));
  });

  it('runs every other command in order, as written but for the sizes', () => {
    const used = new Set<string>();
    for (const line of lines) {
      if (subcommand(line) in RUN_ELSEWHERE) continue;
      const command = scaled(line);
      for (const [from] of SCALED) if (line.includes(from)) used.add(from);
      const r = sh(command);
      expect(r.status, `${line}\n${r.stderr}`).toBe(0);
      expect(r.stderr, line).not.toMatch(/\n\s+at /); // never a stack trace
    }
    // Each scaling still matches README text: a README edit cannot silently make a step full size.
    expect([...used].sort()).toEqual(SCALED.map(([from]) => from).sort());
    for (const made of [
      'runs/cycle3/checkpoint',
      'plans.png',
      'sweeps/a/report.md',
      'sweeps/a/report.html',
      'runs/gpt2/checkpoint',
      'runs/gpt2-ft/checkpoint',
      'gpt2-ft/config.json',
      'gpt2-ft/model.safetensors',
      'cycle3.onnx',
      'runs/cycle3-int8/checkpoint',
      'layers.png',
      'runs/base-cla/checkpoint',
    ])
      expect(existsSync(join(scratch, made)), made).toBe(true);
  }, 600_000);
});
