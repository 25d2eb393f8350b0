// Tokenizers: exact round trips, streaming decode of multi-byte characters, BPE compression,
// serialisation, and a clear error for text the vocabulary cannot encode.
import { describe, expect, it } from 'vitest';
import { BpeTokenizer, ByteTokenizer, CharTokenizer, TokenizerError, buildTokenizer, tokenizerFromJSON } from './tokenizer.js';
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

  it('names a character it has never seen and where it is', () => {
    const tok = CharTokenizer.fromText('abc');
    expect(() => tok.encode('abx')).toThrow(TokenizerError);
    expect(() => tok.encode('abx')).toThrow(/character "x" at position 2 is not in the vocabulary of this char tokenizer \(3 characters/);
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
    expect(() => tokenizerFromJSON({ kind: 'bpe', merges: [[300, 1]] })).toThrow(/merge 0 refers to unknown tokens \[300, 1\]/);
    expect(() => tokenizerFromJSON({ kind: 'words' }, 'tokenizer.json')).toThrow(/tokenizer\.json: unknown or malformed tokenizer \(kind "words"\)/);
  });
});
