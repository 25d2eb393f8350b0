// Every model field a flag names is a flag the commands register, and the flags land in the config:
// a field mapped here without its option (as --norm-bias once was) is a flag users are told about
// in the README but cannot pass.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addModelOptions, MODEL_FLAGS, modelConfigFrom } from './options.js';

// exitOverride: a bad flag throws; configureOutput: its message is the error's, not also stderr's.
const command = () =>
  addModelOptions(
    new Command('train').exitOverride().configureOutput({
      writeErr: () => {},
      writeOut: () => {},
    }),
  );

describe('model flags', () => {
  it('each field mapped from a flag has its option', () => {
    const registered = new Set(command().options.map((o) => o.attributeName()));
    const missing = Object.keys(MODEL_FLAGS).filter((flag) => !registered.has(flag));
    expect(missing).toEqual([]);
  });

  it('the layout flags of imported families reach the config', () => {
    const cmd = command().parse(
      ['--no-bias', '--norm-bias', '--logit-scale', '0.0625', '--parallel-blocks', '--head-bias'],
      { from: 'user' },
    );
    expect(modelConfigFrom(cmd.opts())).toMatchObject({
      bias: false,
      normBias: true,
      logitScale: 0.0625,
      parallelBlocks: true,
      headBias: true,
    });
    expect(modelConfigFrom(command().parse(['--no-attention-bias'], { from: 'user' }).opts())).toMatchObject({
      attentionBias: false,
    });
    expect(
      modelConfigFrom(command().parse(['--no-pre-norms', '--qk-norm', '--qk-norm-full'], { from: 'user' }).opts()),
    ).toMatchObject({ preNorms: false, qkNorm: true, qkNormFull: true });
  });

  it('refuses a logit scale that is not a positive number, naming the flag', () => {
    expect(() => command().parse(['--logit-scale', '-1'], { from: 'user' })).toThrow(/--logit-scale.*positive number/);
  });
});
