// The command-line entry: one commander program, one file per command under cli/.
// Errors from bad input end as one line on stderr and a non-zero exit, never a stack trace.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { analyzeCommand } from './analyze.js';
import { benchCommand } from './bench.js';
import { convertCommand } from './convert.js';
import { demoCommand } from './demo.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { generateCommand } from './generate.js';
import { importCommand } from './import.js';
import { inspectCommand } from './inspect.js';
import { quantizeCommand } from './quantize.js';
import { setupCommand } from './setup.js';
import { sweepCommand } from './sweep.js';
import { trainCommand } from './train.js';
import { verifyCommand } from './verify.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
  description: string;
};

export async function run(argv: string[]): Promise<number> {
  const program = new Command('shareformer')
    .description(pkg.description)
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addCommand(demoCommand());
  program.addCommand(trainCommand());
  program.addCommand(evalCommand());
  program.addCommand(generateCommand());
  program.addCommand(importCommand());
  program.addCommand(exportCommand());
  program.addCommand(quantizeCommand());
  program.addCommand(inspectCommand());
  program.addCommand(convertCommand());
  program.addCommand(analyzeCommand());
  program.addCommand(sweepCommand());
  program.addCommand(verifyCommand());
  program.addCommand(benchCommand());
  program.addCommand(setupCommand());
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode; // commander already printed help or the error
    console.error(`shareformer: ${(e as Error).message}`);
    if (process.env.SHAREFORMER_DEBUG) console.error((e as Error).stack);
    return 1;
  }
}
