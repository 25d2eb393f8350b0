// The pre-tokenization regexes of Hugging Face tokenizer.json files (a Split pre-tokenizer's
// pattern, written for the Oniguruma engine the Rust tokenizers use) as JavaScript RegExps, and
// the "Isolated" split they drive. Only the syntax those patterns use is translated (Llama 3's,
// Qwen2's, BLOOM's, GPT-4-style ones): anything else is refused by name rather than approximated, since a
// regex that matches differently would give other token ids without any error.
import { TokenizerError } from './errors.js';

/** Oniguruma escapes whose JavaScript spelling differs (Unicode-aware, as the Rust side is). */
const ESCAPES: Record<string, string> = {
  s: '\\p{White_Space}',
  S: '\\P{White_Space}',
  d: '\\p{Nd}',
  D: '\\P{Nd}',
  r: '\\r',
  n: '\\n',
  t: '\\t',
  f: '\\f',
  v: '\\v',
};
/** Characters JavaScript's "u" mode lets a backslash escape ("-" only inside a class). */
const SYNTAX = new Set([...'\\^$.|?*+()[]{}/']);

function refuse(pattern: string, at: number, what: string): never {
  throw new TokenizerError(
    `pre-tokenizer pattern ${JSON.stringify(pattern)}: ${what} at offset ${at} is not supported (it could split text differently from Hugging Face's tokenizers)`,
  );
}

/** `\p{...}` / `\P{...}` starting at i (the backslash): the escape and where it ends. */
function property(pattern: string, i: number): [string, number] {
  const close = pattern.indexOf('}', i);
  if (pattern[i + 2] !== '{' || close < 0) refuse(pattern, i, `"${pattern.slice(i, i + 3)}"`);
  return [pattern.slice(i, close + 1), close + 1];
}

/** One escape (outside or inside a class): its JavaScript form and the index after it. */
function escapeAt(pattern: string, i: number, inClass: boolean): [string, number] {
  const c = pattern[i + 1];
  if (c === undefined) refuse(pattern, i, 'a trailing backslash');
  if (c === 'p' || c === 'P') return property(pattern, i);
  if (c in ESCAPES) return [ESCAPES[c]!, i + 2];
  if (SYNTAX.has(c) || (inClass && c === '-')) return [`\\${c}`, i + 2];
  if (!/[\p{L}\p{N}]/u.test(c)) return [c, i + 2];
  return refuse(pattern, i, `the escape "\\${c}"`);
}

/** A character class from its "[" : escapes rewritten, letters doubled when case-folding. */
function charClass(pattern: string, start: number, fold: boolean): [string, number] {
  let out = '[';
  let i = start + 1;
  if (pattern[i] === '^') {
    out += '^';
    i++;
  }
  for (; i < pattern.length && pattern[i] !== ']'; ) {
    const c = pattern[i]!;
    if (c === '[') {
      // Oniguruma reads a class inside a class as their union (BLOOM's split pattern has one); a
      // negated one would need JavaScript's "v" mode.
      if (pattern[i + 1] === '^') refuse(pattern, i, 'a negated nested character class');
      const [inner, next] = charClass(pattern, i, fold);
      out += inner.slice(1, -1);
      i = next;
      continue;
    }
    if (c === '&' && pattern[i + 1] === '&') refuse(pattern, i, 'class intersection "&&"');
    if (c === '\\') {
      const [js, next] = escapeAt(pattern, i, true);
      out += js;
      i = next;
      continue;
    }
    if (fold && /[A-Za-z]/.test(c)) {
      if (pattern[i + 1] === '-') refuse(pattern, i, 'a letter range inside (?i:...)');
      out += c.toLowerCase() + c.toUpperCase();
    } else out += c;
    i++;
  }
  if (pattern[i] !== ']') refuse(pattern, start, 'an unclosed character class');
  return [`${out}]`, i + 1];
}

/** The JavaScript source of an Oniguruma pattern (to compile with the "gu" flags). */
export function translatePattern(pattern: string): string {
  let out = '';
  const folds: boolean[] = []; // per open group: was case-folding on before it
  let fold = false;
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === '\\') {
      const [js, next] = escapeAt(pattern, i, false);
      out += js;
      i = next;
    } else if (c === '[') {
      const [js, next] = charClass(pattern, i, fold);
      out += js;
      i = next;
    } else if (c === '(') {
      const group = /^\((\?i:|\?:|\?=|\?!|\?<=|\?<!)?/.exec(pattern.slice(i))![0];
      if (pattern[i + 1] === '?' && group === '(') refuse(pattern, i, `the group "${pattern.slice(i, i + 4)}"`);
      folds.push(fold);
      if (group === '(?i:') fold = true;
      out += group === '(?i:' ? '(?:' : group;
      i += group.length;
    } else if (c === ')') {
      if (folds.length === 0) refuse(pattern, i, 'an unbalanced ")"');
      fold = folds.pop()!;
      out += c;
      i++;
    } else if (c === '^' || c === '$') {
      refuse(pattern, i, `the anchor "${c}"`);
    } else if (c === '.') {
      out += '[^\\n]'; // Oniguruma's dot stops only at a newline
      i++;
    } else if ('?*+}'.includes(c) && pattern[i + 1] === '+') {
      refuse(pattern, i, `the possessive quantifier "${c}+"`);
    } else {
      out += fold && /[A-Za-z]/.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c;
      i++;
    }
  }
  if (folds.length > 0) refuse(pattern, pattern.length, 'an unclosed group');
  return out;
}

/** Compiles a tokenizer.json Split pattern; errors name the pattern. */
export function compilePattern(pattern: string): RegExp {
  const source = translatePattern(pattern);
  try {
    return new RegExp(source, 'gu');
  } catch (e) {
    throw new TokenizerError(`pre-tokenizer pattern ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
}

/** Split with behavior "Isolated": every match is a piece, and so is the text between matches. */
export function* isolatedPieces(text: string, re: RegExp): Generator<string> {
  let at = 0;
  for (const m of text.matchAll(re)) {
    if (m[0] === '') continue;
    if (m.index > at) yield text.slice(at, m.index);
    yield m[0];
    at = m.index + m[0].length;
  }
  if (at < text.length) yield text.slice(at);
}
