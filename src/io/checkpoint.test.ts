// Checkpoints: a round trip restores the model exactly, shared tensors are stored once, a save
// interrupted mid-way leaves the previous checkpoint loadable, and damaged files are named.
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { TransformerLM } from '../model/transformer.js';
import type { ModelConfig } from '../model/config.js';
import { noGrad } from '../tensor/tensor.js';
import { CharTokenizer } from '../text/tokenizer.js';
import { DEFAULT_TRAIN } from '../train/trainer.js';
import { SimulatedKill } from './atomic-dir.js';
import { CheckpointError, loadCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint.js';
import { exactDtype } from './checkpoint-files.js';
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

  it('takes the weights in place: every parameter lives in the one buffer read from model.safetensors', () => {
    const dir = join(root, 'in-place');
    saveCheckpoint(dir, make());
    const b = loadCheckpoint(dir);
    const buffers = new Set([...b.lm.params.values()].map((t) => t.data.buffer));
    expect(buffers.size).toBe(1);
    expect([...buffers][0]!.byteLength).toBeGreaterThanOrEqual(statSync(join(dir, 'model.safetensors')).size);
    // Still an ordinary model: it trains, and the next save writes what it learned.
    const w = b.lm.params.get('norm.weight')!;
    w.data[0] = 7;
    saveCheckpoint(dir, b);
    expect(loadCheckpoint(dir).lm.params.get('norm.weight')!.data[0]).toBe(7);
  });

  it('stores each shared tensor once, so the file shrinks with weight sharing', () => {
    saveCheckpoint(join(root, 'none'), make());
    saveCheckpoint(join(root, 'all'), make({ shareWeights: 'all' }));
    const file = (d: string) => readSafetensors(new Uint8Array(readFileSync(join(root, d, 'model.safetensors'))));
    const shared = make({ shareWeights: 'all' }).lm;
    expect(file('all').tensors.size).toBe(shared.params.size);
    expect(
      [...file('all').tensors.keys()].filter((n) => n.startsWith('layers.')).every((n) => n.startsWith('layers.0.')),
    ).toBe(true);
    const size = (d: string) => statSync(join(root, d, 'model.safetensors')).size;
    expect(size('all')).toBeLessThan(size('none') * 0.45);
    // Loaded back, every layer of the shared model still reads the one stored set.
    const back = loadCheckpoint(join(root, 'all'));
    expect(back.lm.parameterCount().total).toBe(shared.parameterCount().total);
  });
});

describe('exactDtype: the narrowest precision that keeps every value', () => {
  it('bf16 for values a bf16 file held, fp16 for what half precision holds, float32 otherwise', () => {
    // 3.140625 has 7 fraction bits; 0x71490000 is a large value with the low 16 bits clear.
    const bf16 = Float32Array.from([1, -0.5, 3.140625, 0, new Float32Array(new Uint32Array([0x7149_0000]).buffer)[0]!]);
    expect(exactDtype(bf16)).toBe('bf16');
    expect(exactDtype(Float32Array.from([1.0009765625, 65504, -2.5]))).toBe('fp16'); // 1 + 2⁻¹⁰: fp16, not bf16
    expect(exactDtype(Float32Array.from([0.1]))).toBe('fp32');
    expect(exactDtype(Float32Array.from([1e5]))).toBe('fp32'); // beyond fp16's range, not bf16-exact
  });
});

describe('a zip of a checkpoint (what the playground downloads)', () => {
  const zipOf = (name: string, entries: Record<string, Uint8Array>) => {
    const path = join(root, name);
    writeFileSync(path, zipSync(entries));
    return path;
  };
  const filesOf = (dir: string, prefix: string) =>
    Object.fromEntries(readdirSync(dir).map((f) => [`${prefix}${f}`, new Uint8Array(readFileSync(join(dir, f)))]));

  it('loads from the top of the archive or from one folder in it, to the same logits', () => {
    const dir = join(root, 'to-zip');
    const a = make({ shareWeights: 'cycle:2' });
    saveCheckpoint(dir, a);
    for (const prefix of ['', 'shareformer-run-1/']) {
      const b = loadCheckpoint(zipOf(`top${prefix.length}.zip`, filesOf(dir, prefix)));
      expect([...logits(b)]).toEqual([...logits(a)]);
    }
  });

  it('names the archive when it holds no checkpoint, two, or a damaged file', () => {
    const dir = join(root, 'to-zip');
    expect(() => loadCheckpoint(zipOf('empty.zip', { 'notes.txt': new Uint8Array(1) }))).toThrow(
      /empty\.zip: no config\.json at the top of the archive or in one folder/,
    );
    expect(() => loadCheckpoint(zipOf('two.zip', { ...filesOf(dir, 'a/'), ...filesOf(dir, 'b/') }))).toThrow(
      /two\.zip: 2 checkpoints in one archive/,
    );
    const damaged = { ...filesOf(dir, 'run/'), 'run/model.safetensors': new Uint8Array(12) };
    expect(() => loadCheckpoint(zipOf('damaged.zip', damaged))).toThrow(
      /damaged\.zip:run\/model\.safetensors: .*damaged/,
    );
    writeFileSync(join(root, 'not.zip'), 'plain text');
    expect(() => loadCheckpoint(join(root, 'not.zip'))).toThrow(/not\.zip: not a readable zip archive/);
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
    [
      'missing model file',
      (d) => rmSync(join(d, 'model.safetensors')),
      /model\.safetensors: cannot read \(ENOENT\); the checkpoint is incomplete/,
    ],
    [
      'truncated model file',
      (d) => writeFileSync(join(d, 'model.safetensors'), readFileSync(join(d, 'model.safetensors')).subarray(0, 500)),
      /model\.safetensors: .*(runs past the end|belong to no tensor|lie outside)/,
    ],
    ['corrupt config', (d) => writeFileSync(join(d, 'config.json'), '{"format": '), /config\.json: not valid JSON/],
    [
      'invalid model config',
      (d) => {
        const c = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
        c.model.kvHeads = 3;
        writeFileSync(join(d, 'config.json'), JSON.stringify(c));
      },
      /config\.json: model: config\.kvHeads: heads 2 is not divisible by kvHeads 3/,
    ],
    [
      'config that no longer matches the weights',
      (d) => {
        const c = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
        c.model.shareWeights = 'all';
        writeFileSync(join(d, 'config.json'), JSON.stringify(c));
      },
      /config\.json: plan\.attnSet is \[0,1,2,3\] but the model fields define \[0,0,0,0\]; the file was edited or is corrupt/,
    ],
    [
      'tokenizer of another size',
      (d) => writeFileSync(join(d, 'tokenizer.json'), JSON.stringify({ kind: 'char', chars: ['a', 'b'] })),
      /tokenizer\.json: the tokenizer has 2 tokens but .*config\.json says vocabSize 11/,
    ],
  ])('%s', (name, damage, message) => {
    const load = broken(name.replace(/\W+/g, '-'), damage);
    expect(load).toThrow(CheckpointError);
    expect(load).toThrow(message);
  });

  it('a directory that is not a checkpoint', () => {
    expect(() => loadCheckpoint(root)).toThrow(
      /no config\.json here or in .*checkpoint \(is this a shareformer run or checkpoint directory\?\)/,
    );
  });
});

describe('any sequence of kills leaves the newest complete checkpoint loadable', () => {
  /** A save killed before its n-th file-system step; says whether it got far enough to be complete. */
  const saveKilledAt = (dir: string, ckpt: Checkpoint, n: number): boolean => {
    const done: string[] = [];
    try {
      saveCheckpoint(dir, ckpt, {
        onStep: (step) => {
          if (done.length === n) throw new SimulatedKill(step);
          done.push(step);
        },
      });
      return true;
    } catch (e) {
      expect(e).toBeInstanceOf(SimulatedKill);
      // A version is complete from the moment it is renamed to <dir>.new.
      return done.includes('rename temporary to .new');
    }
  };
  const versions = [make({}, 1), make({}, 2), make({}, 3)];
  const expected = versions.map((v) => [...logits(v)]);

  it('a kill before any step of two consecutive saves (the second one recovering from the first)', () => {
    let cases = 0;
    for (let first = 0; first <= 14; first++) {
      for (let second = 0; second <= 18; second++) {
        const dir = join(root, 'kills', `${first}-${second}`);
        saveCheckpoint(dir, versions[0]!);
        let newest = saveKilledAt(dir, versions[1]!, first) ? 1 : 0;
        expect([...logits(loadCheckpoint(dir))]).toEqual(expected[newest]);
        if (saveKilledAt(dir, versions[2]!, second)) newest = 2;
        expect([...logits(loadCheckpoint(dir))]).toEqual(expected[newest]);
        cases++;
      }
    }
    expect(cases).toBe(15 * 19);
  });

  it('a save removes temporary directories left by killed saves', () => {
    const dir = join(root, 'stale');
    saveCheckpoint(dir, versions[0]!);
    cpSync(dir, `${dir}.tmp-4242`, { recursive: true });
    saveCheckpoint(dir, versions[1]!);
    expect(existsSync(`${dir}.tmp-4242`)).toBe(false);
    expect(existsSync(`${dir}.new`) || existsSync(`${dir}.old`)).toBe(false);
  });

  it('a full disk names the file, removes the partial directory and keeps the previous checkpoint', () => {
    const dir = join(root, 'full');
    saveCheckpoint(dir, versions[0]!);
    const full = (step: string) => {
      if (step === 'write model.safetensors')
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    // The hook throws where writeDurable would; the save turns it into the same message.
    expect(() => saveCheckpoint(dir, versions[1]!, { onStep: full })).toThrow(CheckpointError);
    expect([...logits(loadCheckpoint(dir))]).toEqual(expected[0]);
    expect(readdirSync(root).filter((f) => f.startsWith('full.'))).toEqual([]);
  });
});

describe('the trainer state is read only to resume, and checked when it is', () => {
  const trained = (name: string): string => {
    const dir = join(root, name);
    const c = make();
    const trainer = {
      step: 3,
      tokensSeen: 30,
      sampler: { s: [1, 2, 3, 4] as [number, number, number, number], spare: null },
      dropout: { s: [5, 6, 7, 8] as [number, number, number, number], spare: null },
      optimizer: {
        names: [...c.lm.params.keys()],
        steps: [...c.lm.params.keys()].map(() => 3),
        m: c.lm.parameters().map((p) => new Float32Array(p.size)),
        v: c.lm.parameters().map((p) => new Float32Array(p.size)),
      },
    };
    saveCheckpoint(dir, { ...c, trainer });
    return dir;
  };

  it('an optimizer tensor relabelled I32 does not stop eval, and resuming names the file and tensor', () => {
    const dir = trained('opt-i32');
    const path = join(dir, 'optimizer.safetensors');
    const bytes = readFileSync(path);
    const headerLen = Number(bytes.readBigUInt64LE(0));
    const header = bytes
      .subarray(8, 8 + headerLen)
      .toString('utf8')
      .replace('"dtype":"F32"', '"dtype":"I32"');
    writeFileSync(path, Buffer.concat([bytes.subarray(0, 8), Buffer.from(header), bytes.subarray(8 + headerLen)]));
    expect(() => loadCheckpoint(dir)).not.toThrow();
    expect(() => loadCheckpoint(dir, { trainer: true })).toThrow(
      /optimizer\.safetensors: tensor "[mv]\.[\w.]+" has dtype I32, expected F32/,
    );
  });

  it.each<[string, (t: Record<string, unknown>) => void, RegExp]>([
    ['a missing sampler', (t) => delete t.sampler, /trainer\.json: sampler: expected object, got nothing/],
    [
      'a dead all-zero sampler state',
      (t) => (t.sampler = { s: [0, 0, 0, 0], spare: null }),
      /trainer\.json: sampler\.s must be four 32-bit unsigned integers, not all zero, got \[0,0,0,0\]/,
    ],
    ['a step given as a string', (t) => (t.step = '3'), /trainer\.json: step: expected number, got "3"/],
  ])('trainer.json with %s', (_name, damage, message) => {
    const dir = trained(`trainer-${_name.replace(/\W+/g, '-')}`);
    const path = join(dir, 'trainer.json');
    const t = JSON.parse(readFileSync(path, 'utf8'));
    damage(t);
    writeFileSync(path, JSON.stringify(t));
    expect(() => loadCheckpoint(dir, { trainer: true })).toThrow(message);
  });

  it('config.json that is null', () => {
    const dir = trained('config-null');
    writeFileSync(join(dir, 'config.json'), 'null');
    expect(() => loadCheckpoint(dir)).toThrow(/config\.json: expected object, got null/);
  });
});
