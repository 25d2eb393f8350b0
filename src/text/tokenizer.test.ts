// Tokenizers: exact round trips, streaming decode of multi-byte characters, BPE compression,
// serialisation, and a clear error for text the vocabulary cannot encode.
import { describe, expect, it } from 'vitest';
import {
  BpeTokenizer,
  ByteTokenizer,
  CharTokenizer,
  TokenizerError,
  buildTokenizer,
  tokenizerFromJSON,
} from './tokenizer.js';
import { syntheticText } from './synthetic.js';

const text = 'To be, or not to be: that is the question.\nWhether ’tis nobler — in the mind — to suffer 🎭\n';

describe.each([
  ['char', () => CharTokenizer.fromText(text)],
  ['byte', () => new ByteTokenizer()],
  ['bpe', () => BpeTokenizer.train(text.repeat(3), 300)],
])('%s tokenizer', (_kind, make) => {
  it('decodes what it encodes, exactly', () => {
    const tok = make();
    const ids = tok.encode(text);
    expect(ids.every((id) => id >= 0 && id < tok.vocabSize)).toBe(true);
    expect(tok.decode(ids)).toBe(text);
  });

  it('streams the same text one token at a time, multi-byte characters included', () => {
    const tok = make();
    const dec = tok.streamDecoder();
    expect(Array.from(tok.encode(text), (id) => dec(id)).join('')).toBe(text);
  });

  it('survives a JSON round trip', () => {
    const tok = make();
    const back = tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(back.vocabSize).toBe(tok.vocabSize);
    expect([...back.encode(text)]).toEqual([...tok.encode(text)]);
  });
});

describe('char tokenizer', () => {
  it('is the sorted set of characters of its text', () => {
    expect(CharTokenizer.fromText('banana').chars).toEqual(['a', 'b', 'n']);
  });

  it('maps characters it has never seen to a final unknown token', () => {
    const tok = CharTokenizer.fromText('abc');
    expect(tok.vocabSize).toBe(4);
    expect([...tok.encode('abx')]).toEqual([0, 1, 3]);
    expect(tok.decode([0, 3])).toBe('a\uFFFD');
    expect(tokenizerFromJSON(tok.toJSON()).vocabSize).toBe(4);
  });

  it('without an unknown token (older checkpoints), names a character it has never seen and where it is', () => {
    const tok = new CharTokenizer(['a', 'b', 'c']);
    expect(() => tok.encode('abx')).toThrow(TokenizerError);
    expect(() => tok.encode('abx')).toThrow(
      /character "x" at position 2 is not in the vocabulary of this char tokenizer \(3 characters/,
    );
    expect(() => tok.encode('a\tb')).toThrow(/character U\+0009 at position 1/);
  });
});

describe('BPE tokenizer', () => {
  const corpus = syntheticText('brackets', 50_000);

  it('learns merges up to the vocabulary size and compresses the text', () => {
    const tok = BpeTokenizer.train(corpus, 320);
    expect(tok.vocabSize).toBe(320);
    expect(tok.encode(corpus).length).toBeLessThan(corpus.length * 0.6);
  });

  it('is deterministic', () => {
    expect(BpeTokenizer.train(corpus, 280).merges).toEqual(BpeTokenizer.train(corpus, 280).merges);
  });

  it('rejects impossible sizes and malformed merges', () => {
    expect(() => buildTokenizer('bpe', corpus, 100)).toThrow(/vocabulary size must be an integer above 256/);
    expect(() => tokenizerFromJSON({ kind: 'bpe', merges: [[300, 1]] })).toThrow(
      /merge 0 is \[300,1\]; it must join two earlier tokens \(ids below 256\)/,
    );
    expect(() => tokenizerFromJSON({ kind: 'words' }, 'tokenizer.json')).toThrow(
      /tokenizer\.json: kind: Invalid discriminator value\. Expected 'char' \| 'byte' \| 'bpe', got "words"/,
    );
    expect(() => tokenizerFromJSON({ kind: 'bpe', merges: [null] }, 't.json')).toThrow(
      /t\.json: merges\.0: expected tuple, got null/,
    );
    expect(() => tokenizerFromJSON(null, 't.json')).toThrow(/t\.json: expected object, got null/);
  });

  it('refuses merges whose pieces grow without bound before building any piece', () => {
    // 40 merges that each double the piece: 2^40 bytes if built.
    const merges = Array.from({ length: 40 }, (_, r) => (r === 0 ? [97, 97] : [255 + r, 255 + r]));
    const started = performance.now();
    expect(() => tokenizerFromJSON({ kind: 'bpe', merges }, 'tokenizer.json')).toThrow(
      /tokenizer\.json: bpe tokenizer: merge 10 makes a piece of 2048 bytes, longer than the limit of 1024/,
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
