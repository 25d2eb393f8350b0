// PyTorch checkpoints are read as byte ranges of their zip archive, without running the pickle:
// every tensor equals the safetensors copy of the same weights, and what a state dict of tensors
// does not hold — strided views, the pre-1.6 format, objects whose pickle calls code — is refused
// by name.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readSafetensors, tensorFromBytes, toFloat32 } from './safetensors.js';
import { readTorchCheckpoint } from './torch-pickle.js';

const fixture = (path: string) =>
  new Uint8Array(readFileSync(fileURLToPath(new URL(`../../fixtures/${path}`, import.meta.url))));
const open = (path: string) => {
  const bytes = fixture(path);
  return { bytes, tensors: readTorchCheckpoint((a, b) => bytes.subarray(a, b), bytes.length, path) };
};

describe('a PyTorch zip checkpoint', () => {
  it.each(['hf/gptj-bin/pytorch_model.bin', 'hf/gptj-bin-zip64/pytorch_model.bin'])(
    '%s: every tensor, mask buffers included, equals the safetensors copy in dtype, shape and values',
    (path) => {
      const { bytes, tensors } = open(path);
      const safe = readSafetensors(fixture('hf/gptj-fp16/model.safetensors')).tensors;
      expect([...tensors.keys()].sort()).toEqual([...safe.keys()].sort());
      for (const [name, e] of tensors) {
        const want = safe.get(name)!;
        expect([e.dtype, e.shape], name).toEqual([want.dtype, want.shape]);
        const got = tensorFromBytes(e, bytes.subarray(e.begin, e.end));
        if (e.dtype === 'BOOL') expect([...got.data], name).toEqual([...want.data]);
        else expect([...toFloat32(got, name)], name).toEqual([...toFloat32(want, name)]);
      }
    },
  );

  it('reads two names saved as one storage (a tied head) as the same bytes', () => {
    const { tensors } = open('hf/falcon-bin/pytorch_model.bin');
    const head = tensors.get('lm_head.weight')!,
      embed = tensors.get('transformer.word_embeddings.weight')!;
    expect([head.begin, head.end]).toEqual([embed.begin, embed.end]);
  });

  it.each([
    [
      'torch/strided.bin',
      /tensor "w" is stored as a strided view \(shape \[4, 3\], strides \[1, 4\]\); re-save it contiguous/,
    ],
    ['torch/legacy.bin', /PyTorch's legacy \(before 1\.6\) serialization, which shareformer does not read/],
    [
      'torch/object.bin',
      /the pickle calls datetime\.date, which a state dict of tensors does not need; shareformer runs no code from checkpoints/,
    ],
    ['hf/gptj-fp16/model.safetensors', /not a zip archive/],
  ])('refuses %s, saying why', (path, message) => {
    expect(() => open(path)).toThrow(message);
  });
});
