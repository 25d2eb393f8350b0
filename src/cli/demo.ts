// `shareformer demo` (the README's first command): trains a baseline and shared models briefly on
// a built-in corpus and shows what each kind of sharing buys and costs.
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { generate } from '../generate/generate.js';
import type { ModelConfig } from '../model/config.js';
import { kvBytesPerToken } from '../model/parameters.js';
import { TransformerLM } from '../model/transformer.js';
import { splitTokens } from '../train/data.js';
import { SYNTHETIC, syntheticText } from '../text/synthetic.js';
import { CharTokenizer } from '../text/tokenizer.js';
import { DEFAULT_TRAIN, Trainer } from '../train/trainer.js';
import { addBackendOption, int, selectBackend } from './options.js';

const PLANS: Array<[string, Partial<ModelConfig>]> = [
  ['baseline (no sharing)', {}],
  ['weights all (ALBERT)', { shareWeights: 'all' }],
  ['weights cycle:2', { shareWeights: 'cycle:2' }],
  ['cla:2 + 2 KV heads', { shareKv: 'cla:2', kvHeads: 2 }],
  ['attention group:2', { shareAttention: 'group:2' }],
];

export function demoCommand(): Command {
  const cmd = new Command('demo')
    .description(
      'train a baseline and shared models briefly on a built-in corpus; compare size, KV cache, loss and samples',
    )
    .option('--corpus <name>', `built-in corpus: ${Object.keys(SYNTHETIC).join(', ')}`, 'addition')
    .option('--steps <n>', 'training steps per model', int(1), 300)
    .option('--json', 'print one JSON object per model instead of the table');
  addBackendOption(cmd);
  return cmd.action((opts: { corpus: string; steps: number; json?: boolean; backend?: string }) => {
    selectBackend(opts.backend, Boolean(opts.json));
    const corpus = SYNTHETIC[opts.corpus];
    if (!corpus) throw new Error(`unknown corpus "${opts.corpus}" (known: ${Object.keys(SYNTHETIC).join(', ')})`);
    const text = syntheticText(opts.corpus, 200_000);
    const tokenizer = CharTokenizer.fromText(text);
    const tokens = tokenizer.encode(text);
    const base: Partial<ModelConfig> = { vocabSize: tokenizer.vocabSize, layers: 4, dModel: 96, heads: 4, context: 64 };
    const train = {
      ...DEFAULT_TRAIN,
      steps: opts.steps,
      batch: 16,
      lr: 3e-3,
      minLr: 3e-4,
      warmup: Math.min(30, Math.floor(opts.steps / 10)),
      evalEvery: 0,
      evalWindows: 128,
    };
    const prompt = opts.corpus === 'addition' ? '\n358+274=' : opts.corpus === 'copy' ? '\nhelloabc>' : '\n([{';
    if (!opts.json) {
      console.log(`shareformer demo: ${opts.corpus} — ${corpus.description}`);
      console.log(
        `every model: 4 layers, d 96, 4 heads, context 64, ${opts.steps} steps of 16 × 64 tokens, seed ${train.seed}\n`,
      );
    }
    const rows: Array<Record<string, unknown>> = [];
    for (const [name, plan] of PLANS) {
      const lm = new TransformerLM({ ...base, ...plan }, train.seed);
      const split = splitTokens(tokens, lm.config.context, { seed: train.seed, source: opts.corpus });
      const trainer = new Trainer(lm, split, train);
      const bar =
        opts.json || !process.stderr.isTTY
          ? null
          : new cliProgress.SingleBar(
              {
                format: `${name.padEnd(24)} |{bar}| {value}/{total} loss {loss}`,
                hideCursor: true,
                stream: process.stderr,
                clearOnComplete: true,
              },
              cliProgress.Presets.shades_classic,
            );
      bar?.start(train.steps, 0, { loss: '-' });
      const started = performance.now();
      while (!trainer.done) {
        const { loss } = trainer.trainStep();
        bar?.update(trainer.step, { loss: loss.toFixed(3) });
      }
      bar?.stop();
      const seconds = (performance.now() - started) / 1000;
      const ev = trainer.evaluate();
      const sample = generate(lm, tokenizer, prompt, { maxTokens: 24, temperature: 0 }).text;
      rows.push({
        plan: name,
        parameters: lm.parameterCount().total,
        kv_bytes_per_token: kvBytesPerToken(lm.config),
        val_loss: ev.loss,
        tokens_per_s: trainer.tokensSeen / seconds,
        sample: (prompt + sample).trim(),
      });
      if (opts.json) console.log(JSON.stringify(rows[rows.length - 1]));
    }
    if (opts.json) return;
    const header = ['plan', 'parameters', 'KV bytes/token', 'val loss', 'tokens/s'];
    const table = rows.map((r) => [
      String(r.plan),
      Number(r.parameters).toLocaleString('en'),
      Number(r.kv_bytes_per_token).toLocaleString('en'),
      Number(r.val_loss).toFixed(3),
      Math.round(Number(r.tokens_per_s)).toLocaleString('en'),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
    const fmt = (cells: string[]) =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ');
    console.log(fmt(header));
    for (const r of table) console.log(fmt(r));
    console.log(`\ngreedy samples after the prompt ${JSON.stringify(prompt.trim())}:`);
    for (const r of rows)
      console.log(
        `  ${String(r.plan).padEnd(widths[0]!)}  ${JSON.stringify(String(r.sample).split('\n').slice(0, 3).join(' ⏎ '))}`,
      );
    console.log(
      '\nNext: shareformer train --help (your own text, any sharing plan), shareformer verify (agreement with PyTorch).',
    );
  });
}
