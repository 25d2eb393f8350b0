// The BPE tokenizers of Hugging Face models: GPT-2's byte-level BPE (vocab.json + merges.txt, or
// tokenizer.json), the byte-level BPEs that split text their own way first (Llama 3, Qwen2: a
// regex Split, maybe NFC normalization; SmolLM2: single digits, then GPT-2's split) and Llama's SentencePiece-style BPE
// (tokenizer.json: the ▁ space marker, byte fallback to <0xNN> tokens). Both produce the ids Hugging Face's tokenizers produce, without
// special tokens; `bosId` says which id a model expects first (Llama's <s>).
import { z } from 'zod';
import { parseWith } from '../schema/validate.js';
import { compilePattern, isolatedPieces } from './split-pattern.js';
import { TokenizerError } from './errors.js';
import type { Tokenizer } from './tokenizer.js';

export type HfBpeMode = 'byte-level' | 'sentencepiece' | 'chars';

/** What a shareformer checkpoint stores for a Hugging Face tokenizer (kind "hf-bpe"). */
export interface HfBpeJSON {
  kind: 'hf-bpe';
  mode: HfBpeMode;
  /** Token strings by id (special tokens included). */
  vocab: string[];
  /** Merges in priority order, as pairs of token strings. */
  merges: Array<[string, string]>;
  /** Ids that are special (never produced by encoding text; skipped when decoding). */
  special: number[];
  bosId: number | null;
  eosId: number | null;
  /** chars mode: the id characters outside the vocabulary get. */
  unkId?: number | null;
  /**
   * byte-level mode: the pre-tokenizer's stages instead of GPT-2's split, as Oniguruma regexes
   * (tokenizer.json's syntax); each cuts every piece further, keeping matches and the text between
   * them (Split "Isolated"; Digits is `\p{N}` or `\p{N}+`; ByteLevel's own regex is GPT2_SPLIT).
   */
  splits?: string[];
  /**
   * byte-level mode: stages after ByteLevel (Falcon's Digits and three-digit Split), which cut the
   * byte-mapped text of each piece, so a byte whose mapped character is a digit (the ½ in C2 BD)
   * splits inside a character, as Hugging Face's tokenizers do.
   */
  mappedSplits?: string[];
  /** byte-level mode: Unicode normalization applied before splitting. */
  normalizer?: 'NFC';
  /** byte-level mode: a piece that is itself a token is that token, whatever the merges say (Llama 3). */
  ignoreMerges?: boolean;
  /**
   * sentencepiece mode: false when the normalizer only turns spaces into ▁ (Gemma), without
   * SentencePiece's dummy prefix: no ▁ is put before the text, and no leading space is dropped when decoding.
   */
  dummyPrefix?: false;
  /**
   * sentencepiece mode: false for a model without byte pieces (SentencePiece trained without
   * byte_fallback): a character no piece covers becomes the unknown token, a run of them one
   * unknown token (Hugging Face's fuse_unk).
   */
  byteFallback?: false;
  /**
   * Added tokens that are not special (Qwen2.5's <tool_call>, say): Hugging Face finds them in the
   * text before anything else and gives each its id; lstrip / rstrip absorb the whitespace beside
   * them, singleWord matches only where no letter, digit or underscore touches them.
   */
  added?: AddedToken[];
}

export interface AddedToken {
  id: number;
  content: string;
  lstrip?: boolean;
  rstrip?: boolean;
  singleWord?: boolean;
}

/** More pre-tokenizer stages, and longer patterns, than any published tokenizer has. */
const MAX_SPLITS = 64;
const MAX_PATTERN = 10_000;

export const hfBpeSchema = z.strictObject({
  kind: z.literal('hf-bpe'),
  mode: z.enum(['byte-level', 'sentencepiece', 'chars']),
  vocab: z
    .array(z.string())
    .min(1)
    .max(1 << 21),
  merges: z.array(z.tuple([z.string(), z.string()])).max(1 << 21),
  special: z.array(z.number().int().min(0)),
  bosId: z.number().int().min(0).nullable(),
  eosId: z.number().int().min(0).nullable(),
  unkId: z.number().int().min(0).nullable().optional(),
  splits: z.array(z.string().max(MAX_PATTERN)).min(1).max(MAX_SPLITS).optional(),
  mappedSplits: z.array(z.string().max(MAX_PATTERN)).min(1).max(MAX_SPLITS).optional(),
  ignoreMerges: z.boolean().optional(),
  dummyPrefix: z.literal(false).optional(),
  byteFallback: z.literal(false).optional(),
  normalizer: z.literal('NFC').optional(),
  added: z
    .array(
      z.strictObject({
        id: z.number().int().min(0),
        content: z.string().min(1),
        lstrip: z.boolean().optional(),
        rstrip: z.boolean().optional(),
        singleWord: z.boolean().optional(),
      }),
    )
    .optional(),
});

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One alternative per added token, longest first, each token's text in its own capture group. */
function addedTokenPattern(added: readonly AddedToken[]): RegExp | null {
  if (added.length === 0) return null;
  const word = '[\\p{L}\\p{N}_]';
  const alternatives = added.map((t) => {
    let core = `(${escapeRegExp(t.content)})`;
    if (t.singleWord) core = `(?<!${word})${core}(?!${word})`;
    return `${t.lstrip ? '\\p{White_Space}*' : ''}${core}${t.rstrip ? '\\p{White_Space}*' : ''}`;
  });
  return new RegExp(alternatives.join('|'), 'gu');
}

/**
 * GPT-2's pre-tokenization (ByteLevel's regex: contractions, letters, digits, other symbols,
 * whitespace), compiled like any tokenizer.json pattern so that \s is Unicode White_Space, as in
 * Hugging Face's Rust tokenizers (JavaScript's own \s differs at U+0085 and U+FEFF).
 */
/** GPT-2's ByteLevel split, as tokenizer.json's Oniguruma syntax writes it. */
export const GPT2_SPLIT = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;
const GPT2_PATTERN = compilePattern(GPT2_SPLIT);

/** GPT-2's reversible map from bytes to printable characters (so BPE never sees raw bytes). */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const map = new Array<string>(256);
  for (const b of bs) map[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (map[b] === undefined) map[b] = String.fromCodePoint(256 + n++);
  return map;
}
const BYTE_CHAR = bytesToUnicode();
const CHAR_BYTE = new Map(BYTE_CHAR.map((c, b) => [c, b]));
const utf8 = new TextEncoder();

/** A binary min-heap of [rank, position] pairs. */
class PairHeap {
  private readonly items: Array<[number, number]> = [];
  get size(): number {
    return this.items.length;
  }
  push(rank: number, pos: number): void {
    const a = this.items;
    a.push([rank, pos]);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): [number, number] {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1,
          r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
const less = (x: [number, number], y: [number, number]) => x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]);

export class HfBpeTokenizer implements Tokenizer {
  readonly kind = 'hf-bpe';
  private readonly ids: Map<string, number>;
  private readonly ranks = new Map<string, number>();
  private readonly specialSet: Set<number>;
  private readonly cache = new Map<string, number[]>();
  private readonly byteIds: number[] = [];
  private readonly splits: RegExp[] | null;
  private readonly mappedSplits: RegExp[];
  private readonly addedTokens: AddedToken[];
  private readonly addedPattern: RegExp | null;

  constructor(readonly json: HfBpeJSON) {
    this.splits = json.splits?.map(compilePattern) ?? null;
    this.mappedSplits = json.mappedSplits?.map(compilePattern) ?? [];
    // Longest first, so "<tool_call>" is not cut short by a token that is its prefix.
    this.addedTokens = [...(json.added ?? [])].sort((a, b) => b.content.length - a.content.length);
    this.addedPattern = addedTokenPattern(this.addedTokens);
    this.ids = new Map(json.vocab.map((t, i) => [t, i]));
    json.merges.forEach(([a, b], r) => {
      const key = `${a} ${b}`;
      if (!this.ranks.has(key)) this.ranks.set(key, r);
    });
    this.specialSet = new Set(json.special);
    if (json.mode === 'sentencepiece' && json.byteFallback === false) {
      if (json.unkId === null || json.unkId === undefined)
        throw new TokenizerError('hf-bpe tokenizer: sentencepiece mode without byte fallback needs an unknown token');
    } else if (json.mode === 'sentencepiece') {
      for (let b = 0; b < 256; b++) {
        const id = this.ids.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
        if (id === undefined)
          throw new TokenizerError(
            `hf-bpe tokenizer: sentencepiece mode needs the byte-fallback token <0x${b.toString(16).toUpperCase().padStart(2, '0')}>`,
          );
        this.byteIds.push(id);
      }
    }
  }

  get vocabSize(): number {
    return this.json.vocab.length;
  }
  get bosId(): number | null {
    return this.json.bosId;
  }
  get eosId(): number | null {
    return this.json.eosId;
  }

  /** Merges symbols by rank (lowest first, leftmost on ties) over a doubly linked list. */
  private bpe(symbols: string[]): string[] {
    const n = symbols.length;
    if (n < 2) return symbols;
    const sym = [...symbols];
    const next = Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
    const prev = Array.from({ length: n }, (_, i) => i - 1);
    const alive = new Array<boolean>(n).fill(true);
    const heap = new PairHeap();
    const pushPair = (i: number) => {
      const j = next[i]!;
      if (j < 0) return;
      const r = this.ranks.get(`${sym[i]} ${sym[j]}`);
      if (r !== undefined) heap.push(r, i);
    };
    for (let i = 0; i + 1 < n; i++) pushPair(i);
    while (heap.size > 0) {
      const [rank, i] = heap.pop();
      const j = next[i]!;
      if (!alive[i] || j < 0 || this.ranks.get(`${sym[i]} ${sym[j]}`) !== rank) continue; // stale
      sym[i] = sym[i]! + sym[j]!;
      alive[j] = false;
      next[i] = next[j]!;
      if (next[j]! >= 0) prev[next[j]!] = i;
      if (prev[i]! >= 0) pushPair(prev[i]!);
      pushPair(i);
    }
    const out: string[] = [];
    for (let i = 0; i >= 0; i = next[i]!) out.push(sym[i]!);
    return out;
  }

  private *pieces(text: string): Generator<string> {
    const normalized = this.json.normalizer === 'NFC' ? text.normalize('NFC') : text;
    let pieces = [normalized];
    for (const re of this.splits ?? [GPT2_PATTERN]) pieces = pieces.flatMap((p) => [...isolatedPieces(p, re)]);
    yield* pieces;
  }

  private encodeByteLevel(text: string): number[] {
    const out: number[] = [];
    for (const word of this.pieces(text)) {
      let ids = this.cache.get(word);
      if (!ids) {
        const mapped = Array.from(utf8.encode(word), (b) => BYTE_CHAR[b]!).join('');
        let parts = [mapped];
        for (const re of this.mappedSplits) parts = parts.flatMap((p) => [...isolatedPieces(p, re)]);
        ids = parts.flatMap((part) => {
          const whole = this.json.ignoreMerges ? this.ids.get(part) : undefined;
          return whole !== undefined ? [whole] : this.bpe(Array.from(part)).map((t) => this.idOf(t));
        });
        if (this.cache.size < 100_000) this.cache.set(word, ids);
      }
      out.push(...ids);
    }
    return out;
  }

  private encodeSentencePiece(text: string): number[] {
    if (text === '') return [];
    const normalized = `${this.json.dummyPrefix === false ? '' : '▁'}${text.replaceAll(' ', '▁')}`;
    const out: number[] = [];
    const unk = this.json.byteFallback === false ? this.json.unkId! : null;
    for (const piece of this.bpe(Array.from(normalized))) {
      const id = this.ids.get(piece);
      if (id !== undefined) out.push(id);
      else if (unk === null) for (const b of utf8.encode(piece)) out.push(this.byteIds[b]!);
      else if (out.at(-1) !== unk) out.push(unk);
    }
    return out;
  }

  private idOf(token: string): number {
    const id = this.ids.get(token);
    if (id === undefined)
      throw new TokenizerError(`hf-bpe tokenizer: the piece ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  }

  /** Each character its own token (a vocabulary without merges), unknown ones the unk token. */
  private encodeChars(text: string): number[] {
    return Array.from(text, (ch) => {
      const id = this.ids.get(ch) ?? this.json.unkId;
      if (id === undefined || id === null) {
        throw new TokenizerError(
          `character ${JSON.stringify(ch)} is not in the vocabulary, which has no unknown token`,
        );
      }
      return id;
    });
  }

  private encodeSegment(text: string): number[] {
    const mode = this.json.mode;
    if (mode === 'byte-level') return this.encodeByteLevel(text);
    if (mode === 'sentencepiece') return this.encodeSentencePiece(text);
    return this.encodeChars(text);
  }

  encode(text: string): Int32Array {
    if (!this.addedPattern) return Int32Array.from(this.encodeSegment(text));
    const out: number[] = [];
    let at = 0;
    for (const m of text.matchAll(this.addedPattern)) {
      out.push(...this.encodeSegment(text.slice(at, m.index)));
      out.push(this.addedTokens[m.slice(1).findIndex((g) => g !== undefined)]!.id);
      at = m.index + m[0].length;
    }
    out.push(...this.encodeSegment(text.slice(at)));
    return Int32Array.from(out);
  }

  /** The bytes a token stands for (special tokens: none). */
  private bytesOf(id: number): number[] {
    if (id === this.json.unkId) return [0xef, 0xbf, 0xbd];
    if (this.specialSet.has(id)) return [];
    const token = this.json.vocab[id];
    if (token === undefined) return [0xef, 0xbf, 0xbd];
    if (this.json.mode === 'byte-level') {
      // A token outside the byte alphabet (an added token such as GPT-NeoX's runs of spaces) is
      // its own UTF-8, as Hugging Face's ByteLevel decoder reads it.
      const bytes = Array.from(token, (c) => CHAR_BYTE.get(c));
      return bytes.every((b) => b !== undefined) ? (bytes as number[]) : Array.from(utf8.encode(token));
    }
    if (this.json.mode === 'chars') return Array.from(utf8.encode(token));
    const byte = /^<0x([0-9A-F]{2})>$/.exec(token);
    if (byte) return [Number.parseInt(byte[1]!, 16)];
    return Array.from(utf8.encode(token.replaceAll('▁', ' ')));
  }

  decode(ids: ArrayLike<number>): string {
    const bytes: number[] = [];
    for (let i = 0; i < ids.length; i++) bytes.push(...this.bytesOf(ids[i]!));
    const text = new TextDecoder().decode(Uint8Array.from(bytes));
    // SentencePiece's dummy prefix: the leading space that encoding added is not part of the text.
    return this.prefixed && text.startsWith(' ') ? text.slice(1) : text;
  }

  streamDecoder(): (id: number) => string {
    const dec = new TextDecoder();
    let first = true;
    return (id) => {
      let s = dec.decode(Uint8Array.from(this.bytesOf(id)), { stream: true });
      if (first && s.length > 0) {
        first = false;
        if (this.prefixed && s.startsWith(' ')) s = s.slice(1);
      }
      return s;
    };
  }

  toJSON(): HfBpeJSON {
    return this.json;
  }

  /** SentencePiece with its dummy prefix (Llama 2), whose first space decoding drops. */
  private get prefixed(): boolean {
    return this.json.mode === 'sentencepiece' && this.json.dummyPrefix !== false;
  }

  /** For summaries: "byte-level BPE (its own split, NFC, 4 added tokens found in text)". */
  describe(): string {
    const j = this.json;
    const notes = [
      j.splits && `its own split${j.splits.length > 1 ? ` in ${j.splits.length} stages` : ''}`,
      j.mappedSplits && `${j.mappedSplits.length} after the byte mapping`,
      j.normalizer,
      j.ignoreMerges && 'whole-piece tokens first',
      j.dummyPrefix === false && 'no dummy prefix',
      j.byteFallback === false && 'no byte fallback',
      j.added && `${j.added.length} added token${j.added.length > 1 ? 's' : ''} found in text`,
    ].filter(Boolean);
    return `${j.mode} BPE${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
  }
}

export function hfBpeFromJSON(json: unknown, source: string): HfBpeTokenizer {
  const j = parseWith(hfBpeSchema, json, source) as HfBpeJSON;
  return new HfBpeTokenizer(j);
}

// ---- reading Hugging Face's own tokenizer files

const hfTokenizerJsonSchema = z.looseObject({
  added_tokens: z
    .array(
      z.looseObject({
        id: z.number().int().min(0),
        content: z.string(),
        special: z.boolean().optional(),
        lstrip: z.boolean().optional(),
        rstrip: z.boolean().optional(),
        single_word: z.boolean().optional(),
      }),
    )
    .optional(),
  normalizer: z.unknown().optional(),
  pre_tokenizer: z.unknown().optional(),
  model: z.looseObject({
    type: z.literal('BPE'),
    vocab: z.record(z.string(), z.number().int().min(0)),
    merges: z.array(z.union([z.string(), z.tuple([z.string(), z.string()])])),
    byte_fallback: z.boolean().optional(),
    unk_token: z.string().nullable().optional(),
    ignore_merges: z.boolean().optional(),
    continuing_subword_prefix: z.string().nullable().optional(),
    end_of_word_suffix: z.string().nullable().optional(),
  }),
});

function vocabArray(vocab: Record<string, number>, source: string): string[] {
  const out: string[] = [];
  for (const [token, id] of Object.entries(vocab)) {
    if (out[id] !== undefined)
      throw new TokenizerError(
        `${source}: ids ${id} is given to both ${JSON.stringify(out[id])} and ${JSON.stringify(token)}`,
      );
    out[id] = token;
  }
  for (let i = 0; i < out.length; i++)
    if (out[i] === undefined) throw new TokenizerError(`${source}: no token has id ${i} (the vocabulary has holes)`);
  return out;
}

function parseMerges(merges: Array<string | [string, string]>, source: string): Array<[string, string]> {
  return merges.map((m, i) => {
    if (Array.isArray(m)) return m;
    const parts = m.split(' ');
    if (parts.length !== 2)
      throw new TokenizerError(`${source}: merge ${i} ${JSON.stringify(m)} is not two tokens separated by a space`);
    return parts as [string, string];
  });
}

interface ByteLevelSplit {
  splits?: string[];
  mappedSplits?: string[];
  normalizer?: 'NFC';
}

/** Rust's is_punc: ASCII punctuation (symbols such as $ + < = > ^ ` | ~ included) or Unicode's P categories. */
const PUNCTUATION = '[\\p{P}!-/:-@\\[-`{-~]';

/** A pre-tokenizer stage beside ByteLevel, as a regex; null if it is not one we split by. */
function stagePattern(step: unknown): string | null {
  const s = step as { type?: unknown; pattern?: { Regex?: unknown }; behavior?: unknown; invert?: unknown };
  if (s?.type === 'Digits') return (step as { individual_digits?: unknown }).individual_digits ? '\\p{N}' : '\\p{N}+';
  if (s?.type === 'Punctuation')
    return s.behavior === 'Contiguous' ? `${PUNCTUATION}+` : s.behavior === 'Isolated' ? PUNCTUATION : null;
  const regex = s?.pattern?.Regex;
  if (s?.type === 'Split' && typeof regex === 'string' && regex.length <= MAX_PATTERN)
    return s.behavior === 'Isolated' && s.invert !== true ? regex : null;
  return null;
}

/**
 * A byte-level pre-tokenizer: GPT-2's own (ByteLevel with its regex), or a Sequence of regex Splits
 * (isolating matches) and Digits ending in ByteLevel, with or without its regex (Llama 3 and Qwen2:
 * Split then ByteLevel without; SmolLM: Digits then ByteLevel with), under no normalizer or NFC.
 * Null for anything else, which would give other ids.
 */
function byteLevelSplit(j: z.output<typeof hfTokenizerJsonSchema>): ByteLevelSplit | null {
  const pre = (j.pre_tokenizer ?? null) as Record<string, unknown> | null;
  const norm = (j.normalizer ?? null) as { type?: unknown } | null;
  const normalizer = norm === null ? undefined : norm.type === 'NFC' ? ('NFC' as const) : null;
  if (normalizer === null) return null;
  const byteLevel = (p: unknown) => {
    const b = p as { type?: unknown; use_regex?: unknown; add_prefix_space?: unknown } | undefined;
    return b?.type === 'ByteLevel' && b.add_prefix_space !== true ? { regex: b.use_regex !== false } : null;
  };
  const alone = byteLevel(pre);
  if (alone?.regex) return normalizer ? { normalizer } : {};
  const steps = pre?.type === 'Sequence' && Array.isArray(pre.pretokenizers) ? pre.pretokenizers : [];
  // One ByteLevel, with regex stages before it (on the text) and after it (on the byte-mapped text: Falcon).
  const at = steps.findIndex((p) => byteLevel(p) !== null);
  if (at < 0) return null;
  const before = steps.slice(0, at).map(stagePattern),
    after = steps.slice(at + 1).map(stagePattern);
  const last = byteLevel(steps[at])!;
  if (before.length + after.length === 0 || before.length + after.length >= MAX_SPLITS) return null;
  if ([...before, ...after].some((p) => p === null)) return null;
  const splits = [...(before as string[]), ...(last.regex ? [GPT2_SPLIT] : [])];
  if (splits.length === 0) return null;
  return {
    splits,
    ...(after.length > 0 && { mappedSplits: after as string[] }),
    ...(normalizer && { normalizer }),
  };
}

/** Which supported BPE family a tokenizer.json describes. */
function modeOf(j: z.output<typeof hfTokenizerJsonSchema>, source: string): HfBpeMode {
  const pre = JSON.stringify(j.pre_tokenizer ?? null);
  if (byteLevelSplit(j)) return 'byte-level';
  if ((j.model.byte_fallback || j.model.unk_token) && JSON.stringify(j.normalizer ?? null).includes('▁'))
    return 'sentencepiece';
  if (pre === 'null' && (j.normalizer ?? null) === null && !j.model.byte_fallback && j.model.merges.length === 0)
    return 'chars';
  throw new TokenizerError(
    `${source}: unsupported tokenizer (normalizer ${JSON.stringify(j.normalizer ?? null)}, pre_tokenizer ${pre}); supported are byte-level BPE (GPT-2's, or a regex Split then ByteLevel as Llama 3 and Qwen2), Llama's SentencePiece BPE (byte fallback or an unknown token), and character vocabularies`,
  );
}

/** The non-special added tokens of a tokenizer.json, as HfBpeJSON keeps them (absent when none). */
function addedOf(j: z.output<typeof hfTokenizerJsonSchema>): { added?: AddedToken[] } {
  const added = (j.added_tokens ?? [])
    .filter((t) => t.special === false && t.content !== '')
    .map((t) => ({
      id: t.id,
      content: t.content,
      ...(t.lstrip && { lstrip: true }),
      ...(t.rstrip && { rstrip: true }),
      ...(t.single_word && { singleWord: true }),
    }));
  return added.length > 0 ? { added } : {};
}

export interface SpecialTokens {
  bos?: string | null;
  eos?: string | null;
  /**
   * Further special tokens tokenizer_config.json names (unk, pad): with vocab.json + merges.txt,
   * which do not mark them, they are matched whole in text as Hugging Face's tokenizers match them.
   */
  others?: readonly string[];
}

/** From a Hugging Face tokenizer.json (BPE model). */
export function tokenizerFromHfJson(json: unknown, source: string, specials: SpecialTokens = {}): HfBpeTokenizer {
  const j = parseWith(hfTokenizerJsonSchema, json, source);
  for (const key of ['continuing_subword_prefix', 'end_of_word_suffix'] as const)
    if (j.model[key])
      throw new TokenizerError(
        `${source}: model.${key} ${JSON.stringify(j.model[key])} is not supported (BPE pieces without word markers only)`,
      );
  const mode = modeOf(j, source);
  const vocab = vocabArray(j.model.vocab, source);
  for (const t of j.added_tokens ?? []) {
    if (vocab[t.id] === undefined) vocab[t.id] = t.content;
    else if (vocab[t.id] !== t.content)
      throw new TokenizerError(
        `${source}: added token ${t.id} ${JSON.stringify(t.content)} disagrees with the vocabulary's ${JSON.stringify(vocab[t.id])}`,
      );
  }
  return build(
    mode,
    vocab,
    parseMerges(j.model.merges, source),
    (j.added_tokens ?? []).filter((t) => t.special !== false).map((t) => t.id),
    specials,
    source,
    j.model.unk_token ? (j.model.vocab[j.model.unk_token] ?? null) : null,
    {
      ...(mode === 'byte-level' ? byteLevelSplit(j)! : {}),
      ...(mode === 'byte-level' && j.model.ignore_merges && { ignoreMerges: true }),
      // Llama 2 prepends ▁ in its normalizer; Gemma only replaces spaces.
      ...(mode === 'sentencepiece' &&
        !JSON.stringify(j.normalizer).includes('"Prepend"') && { dummyPrefix: false as const }),
      ...(mode === 'sentencepiece' && !j.model.byte_fallback && { byteFallback: false as const }),
      ...addedOf(j),
    },
  );
}

/**
 * From GPT-2's vocab.json and merges.txt, and added_tokens.json when the directory has one (GPT-J's
 * 143 <|extratoken_N|>): content → id past the vocabulary, found whole in text as transformers'
 * GPT2Tokenizer finds them, and not special unless a special-token name says so.
 */
export function tokenizerFromVocabMerges(
  vocabJson: unknown,
  mergesTxt: string,
  source: string,
  specials: SpecialTokens = {},
  addedJson?: unknown,
): HfBpeTokenizer {
  const ids = z.record(z.string(), z.number().int().min(0));
  const own = parseWith(ids, vocabJson, `${source} vocab.json`);
  const extra = addedJson === undefined ? {} : parseWith(ids, addedJson, `${source} added_tokens.json`);
  for (const [content, id] of Object.entries(extra))
    if (own[content] !== undefined && own[content] !== id)
      throw new TokenizerError(
        `${source} added_tokens.json: ${JSON.stringify(content)} is ${id} there but ${own[content]} in vocab.json`,
      );
  const vocab = vocabArray({ ...own, ...extra }, `${source} vocab.json with added_tokens.json`);
  const lines = mergesTxt.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#version'));
  const named = new Set([specials.bos, specials.eos, ...(specials.others ?? [])].filter((t) => t));
  const isAdded = (t: string) => extra[t] !== undefined && own[t] === undefined;
  const special = vocab
    .map((t, i) => ((/^<\|.*\|>$/.test(t) && !isAdded(t)) || named.has(t) ? i : -1))
    .filter((i) => i >= 0);
  const added = Object.entries(extra)
    .filter(([t]) => isAdded(t) && !named.has(t))
    .map(([content, id]) => ({ id, content }));
  return build('byte-level', vocab, parseMerges(lines, `${source} merges.txt`), special, specials, source, null, {
    ...(added.length > 0 && { added }),
  });
}

function build(
  mode: HfBpeMode,
  vocab: string[],
  merges: Array<[string, string]>,
  special: number[],
  specials: SpecialTokens,
  source: string,
  unkId: number | null = null,
  extra: ByteLevelSplit & { added?: AddedToken[]; ignoreMerges?: boolean; dummyPrefix?: false } = {},
): HfBpeTokenizer {
  const ids = new Map(vocab.map((t, i) => [t, i]));
  merges.forEach(([a, b], i) => {
    if (!ids.has(a) || !ids.has(b) || !ids.has(a + b)) {
      throw new TokenizerError(`${source}: merge ${i} "${a} ${b}" joins pieces that are not all in the vocabulary`);
    }
  });
  const idOf = (t: string | null | undefined) => (t ? (ids.get(t) ?? null) : null);
  try {
    return new HfBpeTokenizer({
      kind: 'hf-bpe',
      mode,
      vocab,
      merges,
      special,
      bosId: idOf(specials.bos),
      eosId: idOf(specials.eos),
      unkId,
      ...extra,
    });
  } catch (e) {
    throw new TokenizerError(`${source}: ${(e as Error).message}`);
  }
}
