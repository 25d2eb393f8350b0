// `shareformer verify`: re-runs the PyTorch comparisons shipped in fixtures/ on this machine and
// backend, and prints how close every op, gradient and training step comes.
import { Command, Option } from 'commander';
import { backend } from '../backend/backend.js';
import { BACKEND_NAMES, selectBackend } from './options.js';
import { passes, type Check } from '../verify/fixture.js';
import { loadFixture } from '../verify/load.js';
import { opCases, verifyOpCase } from '../verify/ops.js';
import { verifyModelForward, verifyModelTraining } from '../verify/models.js';
import { formatChecks } from '../verify/report.js';
import { REFERENCE_MODELS, SHARING_MODES } from '../verify/catalog.js';

export function verifyCommand(): Command {
  return new Command('verify')
    .description('compare every op, gradient and a 10-step training run against PyTorch float64 reference fixtures')
    .addOption(
      new Option('--backend <name>', 'kernel backend to check (default: native if built, else wasm, else js)').choices(
        BACKEND_NAMES,
      ),
    )
    .option('--verbose', 'print every check, not only a summary per group')
    .option('--json', 'print one JSON object with every check')
    .action((opts: { backend?: string; verbose?: boolean; json?: boolean }) => {
      selectBackend(opts.backend, true);
      const backendName = backend().name;
      const started = performance.now();
      const groups: Array<[string, Check[]]> = [];
      const ops = loadFixture('ops.safetensors');
      groups.push([
        `ops (${opCases(ops).length} cases: outputs and input gradients)`,
        opCases(ops).flatMap((c) => verifyOpCase(ops, c)),
      ]);
      for (const [name, title] of Object.entries(REFERENCE_MODELS)) {
        const fx = loadFixture(`${name}.safetensors`);
        groups.push([title, [...verifyModelForward(fx, name), ...verifyModelTraining(fx, name)]]);
      }
      const sharing = Object.keys(SHARING_MODES).flatMap((mode) => {
        const fx = loadFixture(`sharing/${mode}.safetensors`);
        return [...verifyModelForward(fx, mode), ...verifyModelTraining(fx, mode)].map((c) => ({
          ...c,
          check: `${mode}: ${c.check}`,
        }));
      });
      groups.push([
        `sharing plans (${Object.keys(SHARING_MODES).length} modes: ${Object.keys(SHARING_MODES).join(', ')})`,
        sharing,
      ]);
      const all = groups.flatMap(([, checks]) => checks);
      const failed = all.filter((c) => !passes(c));
      const seconds = (performance.now() - started) / 1000;
      if (opts.json) {
        console.log(JSON.stringify({ backend: backendName, passed: failed.length === 0, checks: all, seconds }));
      } else {
        console.log(
          `shareformer verify: backend ${backendName}; reference: ${ops.file.metadata.generator ?? 'PyTorch'}`,
        );
        console.log('difference = max |ours − PyTorch| / max |PyTorch| per tensor\n');
        for (const [title, checks] of groups) {
          if (opts.verbose) console.log(`${formatChecks(title, checks)}\n`);
          else {
            const worst = checks.reduce((w, c) => (c.diff / c.tolerance > w.diff / w.tolerance ? c : w));
            const bad = checks.filter((c) => !passes(c)).length;
            console.log(
              `${bad === 0 ? 'ok  ' : 'FAIL'}  ${title}\n      ${checks.length} checks, closest to its tolerance: ${worst.check} ${worst.diff.toExponential(2)} (tolerance ${worst.tolerance.toExponential(0)})`,
            );
          }
        }
        for (const c of failed)
          console.log(`FAIL  ${c.group}: ${c.check} ${c.diff.toExponential(2)} > ${c.tolerance.toExponential(0)}`);
        console.log(`\n${all.length - failed.length}/${all.length} checks passed in ${seconds.toFixed(1)} s`);
      }
      process.exitCode = failed.length === 0 ? 0 : 1;
    });
}
