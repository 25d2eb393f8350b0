import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, startCli, suiteDir, TINY_RUN } from '../testing/cli.js';

const root = suiteDir('sweep');
const TINY = [...TINY_RUN, '--eval-windows', '4', '--decode-tokens', '8', '--backend', 'js'];
/** The sweep most tests share: two plans, two seeds, six steps. */
const TWO_PLANS = [...TINY, '--plans', 'none; share-kv=cla:2', '--seeds', '2', '--steps', '6'];

describe('sweep', () => {
  const out = join(root, 'a');

  it('runs every plan and seed and writes the reports', () => {
    const r = cli('sweep', ...TWO_PLANS, '--eval-every', '3', '--out', out);
    expect(r.status).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.runs).toHaveLength(4);
    expect(results.runs.map((x: { seed: number }) => x.seed)).toEqual([1, 1, 2, 2]); // seed-major
    expect(results.runs[0].curve.map((p: { step: number }) => p.step)).toEqual([3, 6]);
    for (const run of results.runs) expect(run.decodeTokensPerS).toBeGreaterThan(0);
    // The final loss is the whole validation split's, not the 4 windows the curve reads.
    for (const run of results.runs) expect(run.valWindows).toBeGreaterThan(4);
    expect(results.plans.map((p: { plan: string }) => p.plan)).toEqual(['none', 'share-kv=cla:2']);
    const cla = results.plans[1];
    expect(cla.vsBaseline.kvBytes).toBe(0.5);
    expect(cla.valLoss.n).toBe(2);
    expect(typeof cla.vsBaseline.beyondSpread).toBe('boolean');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(
      /\| share-kv=cla:2 \| 32 × 2 \| [\d,]+ \| 0\.\d\d× \| 256 \| 0\.50× \|/,
    );
    const csv = readFileSync(join(out, 'runs.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(
      'plan,seed,layers,d_model,parameters,kv_bytes_per_token,val_loss,val_bpc,val_windows,train_tokens_per_s,decode_tokens_per_s,steps,seconds',
    );
    expect(csv).toHaveLength(5);
    expect(csv[2]!.split(',').slice(0, 2)).toEqual(['share-kv=cla:2', '1']);
    expect(Number(csv[2]!.split(',')[6])).toBe(results.runs[1].valLoss);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/Baseline validation loss from step 3 to 6: .* nats/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html.match(/<svg/g)).toHaveLength(4);
    expect(readFileSync(join(out, 'charts', 'validation-curves.svg'), 'utf8')).toMatch(/^<svg/);
    expect(html).not.toMatch(/<script src=|https?:\/\/(?!www\.w3\.org)/);
  });

  it("each run's validation loss is its whole held-out split, as convert's calibration reads it", async () => {
    const { loadCheckpoint } = await import('../io/checkpoint.js');
    const { calibrationData, calibrationEval } = await import('../convert/uptrain.js');
    const { readCorpus } = await import('../io/corpus.js');
    const run = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).runs[2];
    const { lm, tokenizer, meta } = loadCheckpoint(run.dir);
    const text = readCorpus('synthetic:copy').text;
    const split = calibrationData(tokenizer.encode(text), text.length, lm.config.context, meta, {
      label: 'synthetic:copy',
      windows: Number.MAX_SAFE_INTEGER,
    });
    expect(split.windows).toBe(run.valWindows);
    expect(calibrationEval(lm, split).loss).toBeCloseTo(run.valLoss, 6);
  });

  it('skips completed runs when rerun', () => {
    const before = readFileSync(join(out, 'results.json'), 'utf8');
    const started = performance.now();
    const r = cli('sweep', ...TWO_PLANS, '--out', out);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/sweep: 4 runs \(2 plans × 2 seeds\) in .*: 4 done, 0 to train; 1 at a time/);
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).runs).toEqual(JSON.parse(before).runs);
    expect(performance.now() - started).toBeLessThan(8_000);
  });

  it('records a run that finished training after its sweep was killed, with the speed it trained at', () => {
    const before = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).runs[1];
    // The trainer outlived the sweep: its checkpoint is complete, the sweep wrote nothing for it.
    rmSync(join(before.dir, 'sweep-result.json'));
    rmSync(join(before.dir, 'sweep-trained.json'), { force: true });
    const r = cli('sweep', ...TWO_PLANS, '--out', out);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/3 done, 1 to resume, 0 to train/);
    const after = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).runs[1];
    expect(after.valLoss).toBe(before.valLoss);
    expect(after.trainTokensPerS).toBeGreaterThan(0);
  });

  it('--jobs 2 trains two runs at once and gets the same runs as one at a time', () => {
    const jobs = join(root, 'jobs');
    const r = cli('sweep', ...TWO_PLANS, '--eval-every', '3', '--jobs', '2', '--out', jobs);
    expect(r.status).toBe(0);
    const parallel = JSON.parse(readFileSync(join(jobs, 'results.json'), 'utf8'));
    const serial = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const key = (x: { plan: string; seed: number; valLoss: number; curve: unknown }) => [
      x.plan,
      x.seed,
      x.valLoss,
      x.curve,
    ];
    expect(parallel.runs.map(key)).toEqual(serial.runs.map(key));
    for (const run of parallel.runs) expect(run.decodeTokensPerS).toBeGreaterThan(0);
    expect(parallel.setup).toMatch(/2 runs trained at once/);
    // Each run was evaluated as soon as it was trained (report.md showed it while others trained).
    for (const run of parallel.runs)
      expect(JSON.parse(readFileSync(join(run.dir, 'sweep-trained.json'), 'utf8')).validation).toEqual({
        loss: run.valLoss,
        bitsPerChar: run.valBpc,
        windows: run.valWindows,
      });
    expect(r.stderr).toMatch(/sweep: 1\/4 none seed 1: val loss \d\.\d{4} \(decoding timed when no run trains\)/);
    expect(readFileSync(join(jobs, 'report.md'), 'utf8')).not.toMatch(/in progress/);
  });

  it('reports runs kept as records only (no checkpoint), timing their decoding on a fresh model of the plan', () => {
    const kept = join(root, 'records');
    cpSync(join(root, 'jobs'), kept, { recursive: true });
    for (const run of readdirSync(join(kept, 'runs'))) {
      // What a study keeps in a repository: the trained summary with its validation, and the log.
      rmSync(join(kept, 'runs', run, 'checkpoint'), { recursive: true, force: true });
      rmSync(join(kept, 'runs', run, 'sweep-result.json'));
    }
    const r = cli('sweep', ...TWO_PLANS, '--eval-every', '3', '--jobs', '2', '--out', kept);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/4 trained \(decoding still to time\), 0 to train/);
    const fresh = JSON.parse(readFileSync(join(kept, 'results.json'), 'utf8')).runs;
    const trained = JSON.parse(readFileSync(join(root, 'jobs', 'results.json'), 'utf8')).runs;
    const key = (x: { plan: string; seed: number; valLoss: number; curve: unknown }) => [
      x.plan,
      x.seed,
      x.valLoss,
      x.curve,
    ];
    expect(fresh.map(key)).toEqual(trained.map(key));
    for (const run of fresh) expect(run.decodeTokensPerS).toBeGreaterThan(0);
  });

  it('--shard i/n splits the runs across machines; gathered, they report as one sweep would', () => {
    const [a, b] = [join(root, 'shard-a'), join(root, 'shard-b')];
    const oneSeed = [...TWO_PLANS, '--seeds', '1', '--eval-every', '3'];
    const first = cli('sweep', ...oneSeed, '--shard', '1/2', '--out', a);
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(/sweep: 2 runs \(2 plans × 1 seed\), shard 1\/2: 1 of them in .*: 1 to train/);
    expect(first.stderr).toMatch(
      /gather the runs\/ directories in one --out and run the same command there without --shard/,
    );
    // A shard evaluates its runs and says what it has; the sweep's report waits for the gathering.
    const partial = readFileSync(join(a, 'report.md'), 'utf8');
    expect(partial).toMatch(/^# shareformer sweep \(in progress\)/);
    expect(partial).toMatch(/In progress: 1 of the 1 runs of shard 1\/2 \(2 in the sweep\) trained and evaluated/);
    expect(partial).toMatch(/\| none \| 32 × 2 \| [\d,]+ \| 1\.00× \| 512 \| 1\.00× \| \d\.\d{4} \|.*\| — \|$/m);
    expect(existsSync(join(a, 'results.json'))).toBe(false);
    expect(cli('sweep', ...oneSeed, '--shard', '2/2', '--out', b).status).toBe(0);
    const other = readFileSync(join(b, 'report.md'), 'utf8');
    expect(other).toMatch(/No run of the baseline \(none\) is evaluated yet, so nothing is compared/);
    expect(other).toMatch(/\| share-kv=cla:2 \| 32 × 2 \| [\d,]+ \| — \| 256 \| — \| \d\.\d{4} \|/);
    expect(readdirSync(join(a, 'runs'))).toEqual(['none-seed1']);
    expect(readdirSync(join(b, 'runs'))).toEqual(['share-kv-cla-2-seed1']);
    cpSync(join(b, 'runs'), join(a, 'runs'), { recursive: true });
    const merged = cli('sweep', ...oneSeed, '--out', a);
    expect(merged.status).toBe(0);
    expect(merged.stderr).toMatch(/2 trained \(decoding still to time\), 0 to train/);
    expect(readFileSync(join(a, 'report.md'), 'utf8')).toMatch(/^# shareformer sweep\n/);
    const key = (x: { plan: string; seed: number; valLoss: number; curve: unknown }) => [
      x.plan,
      x.seed,
      x.valLoss,
      x.curve,
    ];
    const gathered = JSON.parse(readFileSync(join(a, 'results.json'), 'utf8')).runs;
    const serial = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).runs.filter(
      (r: { seed: number }) => r.seed === 1,
    );
    expect(gathered.map(key)).toEqual(serial.map(key));
    expect(cli('sweep', ...oneSeed, '--shard', '3/2', '--out', a).stderr).toMatch(/expected i\/n with 1 ≤ i ≤ n/);
  });

  it('Ctrl-C stops every run in progress with a checkpoint saved; rerunning resumes them', async () => {
    const dir = join(root, 'interrupted');
    const args = [
      ...TINY,
      '--plans',
      'none; kv-heads=1',
      '--seeds',
      '1',
      '--steps',
      '200',
      '--jobs',
      '2',
      '--out',
      dir,
    ];
    const p = startCli('sweep', ...args);
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
    const log = (plan: string) => join(dir, 'runs', `${plan}-seed1`, 'log.jsonl');
    const steps = (plan: string) =>
      existsSync(log(plan))
        ? readFileSync(log(plan), 'utf8')
            .split('\n')
            .filter((l) => l.includes('"step"')).length
        : 0;
    while (steps('none') < 5 || steps('kv-heads-1') < 5) await new Promise((r) => setTimeout(r, 50));
    p.kill('SIGINT'); // the sweep alone: it passes the signal on to its runs
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/rerun the same command to resume/);
    // Both runs stopped (their logs no longer grow) with a checkpoint at the step they reached.
    const stopped = [steps('none'), steps('kv-heads-1')];
    await new Promise((r) => setTimeout(r, 1500));
    expect([steps('none'), steps('kv-heads-1')]).toEqual(stopped);
    expect(stopped.every((n) => n < 200)).toBe(true);
    for (const plan of ['none', 'kv-heads-1'])
      expect(existsSync(join(dir, 'runs', `${plan}-seed1`, 'checkpoint', 'model.safetensors'))).toBe(true);
    const again = cli('sweep', ...args);
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/2 to resume/);
    const runs = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).runs;
    expect(runs.map((r: { steps: number }) => r.steps)).toEqual([200, 200]);
  }, 120_000);

  it("--match params gives every plan about the baseline's unique parameters", () => {
    const m = join(root, 'match');
    const r = cli(
      'sweep',
      ...TINY,
      '--plans',
      'none; share-weights=all',
      '--match',
      'params',
      '--seeds',
      '1',
      '--steps',
      '2',
      '--out',
      m,
    );
    expect(r.status).toBe(0);
    const [base, all] = JSON.parse(readFileSync(join(m, 'results.json'), 'utf8')).plans;
    expect(all.dModel).toBeGreaterThan(base.dModel);
    expect(Math.abs(all.parameters / base.parameters - 1)).toBeLessThan(0.15);
  });

  it('a malformed plan list is one clear error', () => {
    const r = cli('sweep', ...TINY, '--plans', 'none; share-kv', '--out', join(root, 'bad'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--plans: "share-kv" is not KEY=VALUE/);
  });
});
