// tokenizer.model files read as transformers' LlamaConverter reads them: the ids SentencePiece itself
// gives (python/hf_fixtures.py spm), and refusals that name the field.
import { readFileSync } from 'node:fs';
import { Tokenizer as HfTokenizersJs } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { hfTokenizerFiles } from '../io/hf/tokenizer-files.js';
import { tokenizerFromHfJson } from './hf-bpe.js';
import { tokenizerFromSentencePiece } from './sentencepiece-model.js';

const HF = new URL('../../fixtures/hf/', import.meta.url);
const OWN = new URL('../../fixtures/sentencepiece/', import.meta.url);
const bytes = (url: URL) => new Uint8Array(readFileSync(url));

describe("Llama's tokenizer.model (the model llama/tokenizer.json was converted from)", () => {
  const spm = tokenizerFromSentencePiece(bytes(new URL('llama-spm/tokenizer.model', HF)), 'llama-spm/tokenizer.model', {
    bos: '<s>',
    eos: '</s>',
  });
  const converted = tokenizerFromHfJson(
    JSON.parse(readFileSync(new URL('llama/tokenizer.json', HF), 'utf8')),
    'llama/tokenizer.json',
    { bos: '<s>', eos: '</s>' },
  );
  const cases = JSON.parse(readFileSync(new URL('sentencepiece-ids.json', HF), 'utf8')) as Array<{
    text: string;
    ids: number[];
  }>;

  it('has the vocabulary, merges and special tokens transformers converts it to', () => {
    const a = spm.toJSON(),
      b = converted.toJSON();
    expect(a.vocab).toEqual(b.vocab);
    expect(a.merges).toEqual(b.merges);
    expect([a.bosId, a.eosId, a.unkId, a.special]).toEqual([1, 2, 0, [0, 1, 2]]);
    expect(spm.describe()).toBe('sentencepiece BPE');
  });

  it.each(cases.map((c) => [JSON.stringify(c.text.slice(0, 30)), c] as const))(
    '%s: the ids SentencePiece gave, and back',
    (_name, c) => {
      expect([...spm.encode(c.text)]).toEqual(c.ids);
      expect(spm.decode(c.ids)).toBe(c.text);
    },
  );
});

describe('a BPE model without byte fallback or dummy prefix, with user-defined symbols', () => {
  const fixture = JSON.parse(readFileSync(new URL('plain-ids.json', OWN), 'utf8')) as {
    pieces: Array<{ piece: string; score: number; control: boolean }>;
    cases: Array<{ text: string; ids: number[]; decoded: string }>;
  };
  const plain = tokenizerFromSentencePiece(bytes(new URL('plain.model', OWN)), 'plain.model');

  it("reads every piece in SentencePiece's order, its control tokens special", () => {
    const j = plain.toJSON();
    expect(j.vocab).toEqual(fixture.pieces.map((p) => p.piece));
    expect(j.special).toEqual(fixture.pieces.flatMap((p, i) => (p.control || i === j.unkId ? [i] : [])));
    expect([j.bosId, j.eosId, j.unkId]).toEqual([1, 2, 0]);
    expect(j.added?.map((t) => t.content)).toEqual(['<|im_start|>', '<|im_end|>']);
    expect(plain.describe()).toBe(
      'sentencepiece BPE (no dummy prefix, no byte fallback, 2 added tokens found in text)',
    );
  });

  it.each(fixture.cases.map((c) => [JSON.stringify(c.text.slice(0, 30)), c] as const))(
    '%s: the ids SentencePiece gives',
    (_name, c) => {
      expect([...plain.encode(c.text)]).toEqual(c.ids);
      if (!c.decoded.includes('⁇')) expect(plain.decode(c.ids)).toBe(c.decoded);
    },
  );

  it("exports a tokenizer.json that Hugging Face's tokenizers (tokenizers.js) encode alike, and that reads back the same", () => {
    const files = hfTokenizerFiles(plain.toJSON());
    const json = JSON.parse(files['tokenizer.json']!);
    const back = tokenizerFromHfJson(json, 'tokenizer.json', { bos: '<s>', eos: '</s>' });
    expect(back.toJSON()).toEqual(plain.toJSON());
    const reference = new HfTokenizersJs(json, {});
    for (const c of fixture.cases)
      expect(reference.encode(c.text, { add_special_tokens: false }).ids, c.text).toEqual(c.ids);
  });

  it('gives a run of characters it has no piece for one unknown token', () => {
    const j = plain.toJSON();
    const ids = [...plain.encode('a漢字b')];
    expect(ids.filter((i) => i === j.unkId)).toHaveLength(1);
  });
});

describe('what it refuses, naming the field', () => {
  it('a unigram model', () => {
    expect(() => tokenizerFromSentencePiece(bytes(new URL('unigram.model', OWN)), 'unigram.model')).toThrow(
      /^unigram\.model: trainer_spec\.model_type is UNIGRAM: only BPE models/,
    );
  });

  it('a normalizer that collapses spaces', () => {
    // A second normalizer_spec (field 3) replaces the first: remove_extra_whitespaces (field 4) true.
    const model = bytes(new URL('plain.model', OWN));
    const edited = new Uint8Array([...model, 0x1a, 0x02, 0x20, 0x01]);
    expect(() => tokenizerFromSentencePiece(edited, 'x.model')).toThrow(
      /^x\.model: normalizer_spec\.remove_extra_whitespaces is true/,
    );
  });

  it('a piece whose score is NaN (the merges would have no order)', () => {
    // One more piece (field 1): piece "zz" (field 1), score NaN (field 2, float 0x7fc00000).
    const model = bytes(new URL('plain.model', OWN));
    const nan = [0x0a, 0x09, 0x0a, 0x02, 0x7a, 0x7a, 0x15, 0x00, 0x00, 0xc0, 0x7f];
    expect(() => tokenizerFromSentencePiece(new Uint8Array([...model, ...nan]), 'x.model')).toThrow(
      /^x\.model: pieces\[\d+\] \("zz"\) has score NaN: merges are ordered by score$/,
    );
  });

  it('bytes that are not a SentencePiece model', () => {
    expect(() => tokenizerFromSentencePiece(new Uint8Array([0x0a, 0xff, 0x01]), 'x.model')).toThrow(
      /^x\.model: not a SentencePiece model, or a damaged one \(protobuf: /,
    );
    expect(() => tokenizerFromSentencePiece(new TextEncoder().encode('{"a": 1}'), 'x.model')).toThrow(
      /^x\.model: not a SentencePiece model/,
    );
  });
});
