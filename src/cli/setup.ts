// `shareformer setup native`: builds the native backend after installation, for when npm skipped
// install scripts or OpenBLAS was installed later.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';

export function setupCommand(): Command {
  return new Command('setup')
    .description('build optional parts after installation')
    .argument('<what>', 'native: the OpenBLAS backend (needs a C compiler and libopenblas-dev)')
    .action((what: string) => {
      if (what !== 'native') throw new Error(`setup: unknown target "${what}" (known: native)`);
      const script = fileURLToPath(new URL('../../scripts/build-native.mjs', import.meta.url));
      const r = spawnSync(process.execPath, [script, '--strict'], { stdio: 'inherit' });
      process.exitCode = r.status ?? 1;
    });
}
