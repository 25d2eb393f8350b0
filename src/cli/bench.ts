// `shareformer bench` (npm run bench): matmul GFLOP/s, training and decoding tokens/s for every
// backend, against PyTorch, TensorFlow.js and onnxruntime measured in the same run; writes results.json and
// results.md, ending with the targets of the kernels issue. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE
// are unset for this command only. On a Node whose WebAssembly lacks relaxed SIMD by default
// (Node 20), the command re-runs itself with the V8 flag that enables it, so both wasm builds are
// measured: relaxed (what browsers and Node 22+ run) and plain.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { hasRelaxedSimd } from '../backend/wasm/index.js';
import { markdownReport } from '../bench/report.js';
import { runBench } from '../bench/run.js';

const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

interface BenchOpts {
  out: string;
  quick?: boolean;
  pytorch: boolean;
  tfjs: boolean;
  onnxruntime: boolean;
}

export function benchCommand(): Command {
  return new Command('bench')
    .description(
      'benchmark backends against PyTorch, TensorFlow.js and onnxruntime in the same run (writes results.json and results.md)',
    )
    .option('--out <dir>', 'where to write results.json and results.md', 'bench')
    .option('--quick', 'smaller sizes and fewer steps (a smoke test, not for reporting)')
    .option('--no-pytorch', 'skip the PyTorch baseline')
    .option('--no-tfjs', 'skip the TensorFlow.js baseline')
    .option('--no-onnxruntime', 'skip the onnxruntime-node decoding baseline')
    .action(async (opts: BenchOpts) => {
      // The output directory is checked before minutes of measuring, not after.
      try {
        mkdirSync(opts.out, { recursive: true });
      } catch (e) {
        throw new Error(`--out ${opts.out}: cannot create the results directory (${(e as Error).message})`);
      }
      if (rerunWithRelaxedSimd()) return;
      unsetOpenBlasOverrides();
      const results = await runBench({
        quick: Boolean(opts.quick),
        pytorch: opts.pytorch,
        tfjs: opts.tfjs,
        onnxruntime: opts.onnxruntime,
      });
      const md = markdownReport(results);
      writeFileSync(join(opts.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
      writeFileSync(join(opts.out, 'results.md'), md);
      console.log(md);
    });
}

/** On Node 20, runs this command again with relaxed SIMD enabled; true if it did. */
function rerunWithRelaxedSimd(): boolean {
  if (hasRelaxedSimd() || process.env.SHAREFORMER_BENCH_RELAXED) return false;
  if (spawnSync(process.execPath, [RELAXED_FLAG, '-e', '0']).status !== 0) return false;
  console.error(
    `bench: re-running with ${RELAXED_FLAG} so the relaxed-SIMD wasm build (browsers, Node 22+) is measured too`,
  );
  const child = spawnSync(process.execPath, [RELAXED_FLAG, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, SHAREFORMER_BENCH_RELAXED: '1' },
  });
  process.exitCode = child.status ?? 1;
  return true;
}

function unsetOpenBlasOverrides(): void {
  const unset = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'].filter((k) => process.env[k] !== undefined);
  for (const k of unset) delete process.env[k];
  if (unset.length) console.error(`bench: unset ${unset.join(', ')} for this run (they skew OpenBLAS's kernel choice)`);
}
