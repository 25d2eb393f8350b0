// Checkpoints: a round trip restores the model exactly, shared tensors are stored once, a save
// interrupted mid-way leaves the previous checkpoint loadable, and damaged files are named.
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TransformerLM } from '../model/transformer.js';
import type { ModelConfig } from '../model/config.js';
import { noGrad } from '../tensor/tensor.js';
import { CharTokenizer } from '../text/tokenizer.js';
import { DEFAULT_TRAIN } from '../train/trainer.js';
import { CheckpointError, loadCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint.js';
import { readSafetensors } from './safetensors.js';

const root = mkdtempSync(join(tmpdir(), 'shareformer-ckpt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const tokenizer = CharTokenizer.fromText('abcdefgh \n');
const make = (over: Partial<ModelConfig> = {}, seed = 1): Checkpoint => ({
  lm: new TransformerLM({ vocabSize: tokenizer.vocabSize, layers: 4, dModel: 16, heads: 2, context: 8, ...over }, seed),
  tokenizer,
  meta: { data: { source: 'test', tokenizer: 'char', charsPerToken: 1, valFraction: 0.1 }, train: DEFAULT_TRAIN },
});
const logits = (c: Checkpoint) => noGrad(() => c.lm.forward(Int32Array.from([1, 2, 3, 4]), 1)).data;

describe('checkpoint round trip', () => {
  it('restores a model that computes the same logits, bit for bit', () => {
    const dir = join(root, 'plain');
    const a = make({ shareKv: 'cla:2', kvHeads: 1, embedDim: 8, tieEmbeddings: true });
    saveCheckpoint(dir, a);
    const b = loadCheckpoint(dir);
    expect(b.lm.config).toEqual(a.lm.config);
    expect([...logits(b)]).toEqual([...logits(a)]);
  });

  it('stores each shared tensor once, so the file shrinks with weight sharing', () => {
    saveCheckpoint(join(root, 'none'), make());
    saveCheckpoint(join(root, 'all'), make({ shareWeights: 'all' }));
    const file = (d: string) => readSafetensors(new Uint8Array(readFileSync(join(root, d, 'model.safetensors'))));
    const shared = make({ shareWeights: 'all' }).lm;
    expect(file('all').tensors.size).toBe(shared.params.size);
    expect([...file('all').tensors.keys()].filter((n) => n.startsWith('layers.')).every((n) => n.startsWith('layers.0.'))).toBe(true);
    const size = (d: string) => statSync(join(root, d, 'model.safetensors')).size;
    expect(size('all')).toBeLessThan(size('none') * 0.45);
    // Loaded back, every layer of the shared model still reads the one stored set.
    const back = loadCheckpoint(join(root, 'all'));
    expect(back.lm.parameterCount().total).toBe(shared.parameterCount().total);
  });
});

describe('a save interrupted part-way', () => {
  it('leaves the previous checkpoint loadable while the new one is being written', () => {
    const dir = join(root, 'crash1');
    const first = make({}, 1);
    saveCheckpoint(dir, first);
    // Killed while writing: a half-written temporary directory sits beside the checkpoint.
    cpSync(dir, `${dir}.tmp-999`, { recursive: true });
    writeFileSync(join(`${dir}.tmp-999`, 'model.safetensors'), 'partial');
    expect([...logits(loadCheckpoint(dir))]).toEqual([...logits(first)]);
  });

  it('and between its two renames (only <dir>.old exists)', () => {
    const dir = join(root, 'crash2');
    const first = make({}, 1);
    saveCheckpoint(dir, first);
    renameSync(dir, `${dir}.old`);
    expect([...logits(loadCheckpoint(dir))]).toEqual([...logits(first)]);
  });

  it('a completed save replaces the old checkpoint and leaves no temporary files', () => {
    const dir = join(root, 'crash3');
    saveCheckpoint(dir, make({}, 1));
    const second = make({}, 2);
    saveCheckpoint(dir, second);
    expect([...logits(loadCheckpoint(dir))]).toEqual([...logits(second)]);
    expect(existsSync(`${dir}.old`)).toBe(false);
  });
});

describe('damaged checkpoints are refused with the file and the problem', () => {
  const broken = (name: string, damage: (dir: string) => void) => {
    const dir = join(root, `broken-${name}`);
    saveCheckpoint(dir, make());
    damage(dir);
    return () => loadCheckpoint(dir);
  };
  it.each<[string, (dir: string) => void, RegExp]>([
    ['missing directory', (d) => rmSync(d, { recursive: true }), /no such directory/],
    ['missing model file', (d) => rmSync(join(d, 'model.safetensors')), /model\.safetensors: cannot read \(ENOENT\); the checkpoint is incomplete/],
    ['truncated model file', (d) => writeFileSync(join(d, 'model.safetensors'), readFileSync(join(d, 'model.safetensors')).subarray(0, 500)), /model\.safetensors: .*(runs past the end|belong to no tensor|lie outside)/],
    ['corrupt config', (d) => writeFileSync(join(d, 'config.json'), '{"format": '), /config\.json: not valid JSON/],
    ['invalid model config', (d) => {
      const c = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
      c.model.kvHeads = 3;
      writeFileSync(join(d, 'config.json'), JSON.stringify(c));
    }, /config\.json: model: config\.kvHeads: heads 2 is not divisible by kvHeads 3/],
    ['config that no longer matches the weights', (d) => {
      const c = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
      c.model.shareWeights = 'all';
      writeFileSync(join(d, 'config.json'), JSON.stringify(c));
    }, /config\.json: plan\.attnSet is \[0,1,2,3\] but the model fields define \[0,0,0,0\]; the file was edited or is corrupt/],
    ['tokenizer of another size', (d) => writeFileSync(join(d, 'tokenizer.json'), JSON.stringify({ kind: 'char', chars: ['a', 'b'] })), /tokenizer\.json: the tokenizer has 2 tokens but .*config\.json says vocabSize 11/],
  ])('%s', (name, damage, message) => {
    const load = broken(name.replace(/\W+/g, '-'), damage);
    expect(load).toThrow(CheckpointError);
    expect(load).toThrow(message);
  });

  it('a directory that is not a checkpoint', () => {
    expect(() => loadCheckpoint(root)).toThrow(/no config\.json here or in .*checkpoint \(is this a shareformer run or checkpoint directory\?\)/);
  });
});
