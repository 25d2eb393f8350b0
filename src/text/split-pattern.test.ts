// tokenizer.json split regexes in JavaScript: Oniguruma's meaning kept (Unicode \s and \d,
// case-insensitive groups, a dot that stops only at \n), "Isolated" pieces covering the whole
// text, and syntax without a faithful translation refused by name and offset. Whole tokenizers
// are compared with Hugging Face's in hf-bpe.test.ts.
import { describe, expect, it } from 'vitest';
import { compilePattern, isolatedPieces, translatePattern } from './split-pattern.js';

const split = (pattern: string, text: string) => [...isolatedPieces(text, compilePattern(pattern))];

describe('split patterns', () => {
  it('matches whitespace and digits as Unicode does (NEL is a space, Arabic-Indic digits are digits)', () => {
    expect(split(String.raw`\s+`, 'a\u0085b\u3000c')).toEqual(['a', '\u0085', 'b', '\u3000', 'c']);
    expect(split(String.raw`\d+`, 'x٣٤y')).toEqual(['x', '٣٤', 'y']);
  });

  it('folds case inside (?i:...) only', () => {
    expect(split("(?i:'s)|'t", "IT'S IT'T it't")).toEqual(['IT', "'S", " IT'T it", "'t"]);
    expect(translatePattern("(?i:'s|x)[a]")).toBe("(?:'[sS]|[xX])[a]");
  });

  it('keeps the text between matches as pieces (behavior Isolated), so the pieces are the text', () => {
    expect(split(String.raw`\p{N}{1,3}`, 'ab12345cd')).toEqual(['ab', '123', '45', 'cd']);
    const text = "It's 2025, isn't it?\r\n  Yes.";
    expect(split(String.raw`\p{L}+`, text).join('')).toBe(text);
  });

  it("reads a class inside a class as Oniguruma does, as their union (BLOOM's pattern): ( and | are literals there", () => {
    const bloom = ' ?[^(\\s|[.,!?…。，、।۔،])]+';
    expect(translatePattern(bloom)).toBe(' ?[^(\\p{White_Space}|.,!?…。，、।۔،)]+');
    expect(split(bloom, 'Hello, world! f(x)|y 你好。')).toEqual([
      'Hello',
      ',',
      ' world',
      '!',
      ' f',
      '(',
      'x',
      ')|',
      'y',
      ' 你好',
      '。',
    ]);
  });

  it('lets the dot cross \\r but not \\n, as Oniguruma does', () => {
    expect(split('a.', 'a\rxa\n')).toEqual(['a\r', 'xa\n']);
  });

  it.each([
    ['the anchor "^"', '^\\s+'],
    ['the escape "\\b"', String.raw`\bword`],
    ['the group "(?<n"', '(?<name>a)'],
    ['the possessive quantifier "++"', String.raw`\p{L}++`],
    ['a negated nested character class', '[a[^b]]'],
    ['class intersection "&&"', '[a-z&&[^x]]'],
    ['a letter range inside (?i:...)', '(?i:[a-z])'],
    ['an unclosed group', '(a|b'],
  ])('refuses %s, naming it', (what, pattern) => {
    expect(() => compilePattern(pattern)).toThrow(what);
    expect(() => compilePattern(pattern)).toThrow(/is not supported \(it could split text differently/);
  });
});
