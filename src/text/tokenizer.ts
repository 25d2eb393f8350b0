// Tokenizers: char (the characters of the training text, plus an unknown token for characters
// it never saw), byte (UTF-8 bytes) and byte-level BPE trained on the data. Each serialises to
// JSON for the checkpoint; tokenizer.json is checked against its schema before anything is built.
import { z } from 'zod';
import { parseWith } from '../schema/validate.js';
import { TokenizerError } from './errors.js';
import { hfBpeFromJSON, type HfBpeJSON } from './hf-bpe.js';

export type TokenizerJSON =
  | { kind: 'char'; chars: string[]; unknown?: boolean }
  | { kind: 'byte' }
  | { kind: 'bpe'; merges: Array<[number, number]> };

/** No merged piece may be longer than this many bytes (GPT-2's longest token has 128). */
export const MAX_PIECE_BYTES = 1024;
/** More merges than any published byte-level BPE has (GPT-2: 50,000; Llama 3: 280,147). */
export const MAX_MERGES = 1 << 20;

const singleChar = z.string().refine((c) => Array.from(c).length === 1, 'must be a single character');
export const tokenizerSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('char'),
    chars: z
      .array(singleChar)
      .min(1)
      .max(1 << 21),
    unknown: z.boolean().optional(),
  }),
  z.strictObject({ kind: z.literal('byte') }),
  z.strictObject({
    kind: z.literal('bpe'),
    merges: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)])).max(MAX_MERGES),
  }),
]);

export interface Tokenizer {
  readonly kind: TokenizerJSON['kind'] | HfBpeJSON['kind'];
  /** The id a model expects at the start of a sequence (Llama's <s>), if any. */
  readonly bosId?: number | null;
  /** The id that ends a text (generation stops there), if any. */
  readonly eosId?: number | null;
  readonly vocabSize: number;
  /** The id that stands for characters the tokenizer never saw, if it has one. */
  readonly unknownId?: number;
  encode(text: string): Int32Array;
  decode(ids: ArrayLike<number>): string;
  /** A decoder for streaming: feed ids one by one, get the text they complete (UTF-8 safe). */
  streamDecoder(): (id: number) => string;
  toJSON(): TokenizerJSON | HfBpeJSON;
}

export { TokenizerError };

function describeChar(ch: string): string {
  const code = ch.codePointAt(0)!;
  return code < 32 || code === 127 ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : JSON.stringify(ch);
}

export class CharTokenizer implements Tokenizer {
  readonly kind = 'char';
  readonly unknownId?: number;
  private readonly index: Map<string, number>;

  /** With `unknown`, characters outside `chars` encode to one extra final token instead of failing. */
  constructor(
    readonly chars: string[],
    readonly unknown = false,
  ) {
    if (chars.length === 0) throw new TokenizerError('char tokenizer: the vocabulary is empty');
    this.index = new Map(chars.map((c, i) => [c, i]));
    if (this.index.size !== chars.length)
      throw new TokenizerError('char tokenizer: the vocabulary repeats a character');
    if (unknown) this.unknownId = chars.length;
  }

  /** The sorted distinct characters (code points) of the text, and the unknown token. */
  static fromText(text: string, unknown = true): CharTokenizer {
    const chars = [...new Set(Array.from(text))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharTokenizer(chars, unknown);
  }

  get vocabSize(): number {
    return this.chars.length + (this.unknown ? 1 : 0);
  }

  encode(text: string): Int32Array {
    const chars = Array.from(text);
    const out = new Int32Array(chars.length);
    chars.forEach((ch, i) => {
      const id = this.index.get(ch) ?? this.unknownId;
      if (id === undefined) {
        throw new TokenizerError(
          `character ${describeChar(ch)} at position ${i} is not in the vocabulary of this char tokenizer (${this.chars.length} characters seen in training, and no unknown token: it was saved by an older shareformer)`,
        );
      }
      out[i] = id;
    });
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.chars[ids[i]!] ?? '\uFFFD';
    return s;
  }

  streamDecoder(): (id: number) => string {
    return (id) => this.chars[id] ?? '\uFFFD';
  }

  toJSON(): TokenizerJSON {
    return this.unknown ? { kind: 'char', chars: this.chars, unknown: true } : { kind: 'char', chars: this.chars };
  }
}

const utf8 = new TextEncoder();

export class ByteTokenizer implements Tokenizer {
  readonly kind: 'byte' | 'bpe' = 'byte';
  get vocabSize(): number {
    return 256;
  }

  encode(text: string): Int32Array {
    return Int32Array.from(utf8.encode(text));
  }

  /** Token ids → the bytes they stand for. */
  protected bytesOf(id: number): number[] {
    return [id];
  }

  decode(ids: ArrayLike<number>): string {
    const bytes: number[] = [];
    for (let i = 0; i < ids.length; i++) bytes.push(...this.bytesOf(ids[i]!));
    return new TextDecoder().decode(Uint8Array.from(bytes));
  }

  streamDecoder(): (id: number) => string {
    const dec = new TextDecoder();
    return (id) => dec.decode(Uint8Array.from(this.bytesOf(id)), { stream: true });
  }

  toJSON(): TokenizerJSON {
    return { kind: 'byte' };
  }
}

/** Ids in range and pieces of bounded length, checked before any piece is built. */
function checkMerges(merges: ReadonlyArray<readonly [number, number]>): void {
  if (merges.length > MAX_MERGES)
    throw new TokenizerError(`bpe tokenizer: ${merges.length} merges exceed the limit of ${MAX_MERGES}`);
  const length = new Uint32Array(256 + merges.length).fill(1, 0, 256);
  merges.forEach((m, r) => {
    const n = 256 + r;
    const [a, b] = Array.isArray(m) ? m : [];
    if (!Number.isInteger(a) || !Number.isInteger(b) || a! < 0 || b! < 0 || a! >= n || b! >= n) {
      throw new TokenizerError(
        `bpe tokenizer: merge ${r} is ${JSON.stringify(m)}; it must join two earlier tokens (ids below ${n})`,
      );
    }
    length[n] = length[a!]! + length[b!]!;
    if (length[n]! > MAX_PIECE_BYTES) {
      throw new TokenizerError(
        `bpe tokenizer: merge ${r} makes a piece of ${length[n]} bytes, longer than the limit of ${MAX_PIECE_BYTES}`,
      );
    }
  });
}

/** GPT-2-style pre-tokenization: merges never cross word / number / punctuation boundaries. */
const PRETOKEN = /\s?\p{L}+|\s?\p{N}+|\s?[^\s\p{L}\p{N}]+|\s+/gu;

export class BpeTokenizer extends ByteTokenizer {
  override readonly kind = 'bpe';
  private readonly ranks = new Map<string, number>();
  private readonly pieces: number[][];
  private readonly cache = new Map<string, number[]>();

  constructor(readonly merges: Array<[number, number]>) {
    super();
    checkMerges(merges);
    this.pieces = Array.from({ length: 256 }, (_, i) => [i]);
    merges.forEach(([a, b], r) => {
      this.ranks.set(`${a},${b}`, r);
      this.pieces.push([...this.pieces[a]!, ...this.pieces[b]!]);
    });
  }

  /** Learns merges of the most frequent adjacent pairs until the vocabulary reaches vocabSize. */
  static train(text: string, vocabSize: number): BpeTokenizer {
    if (!Number.isInteger(vocabSize) || vocabSize < 257)
      throw new TokenizerError(`bpe tokenizer: vocabulary size must be an integer above 256, got ${vocabSize}`);
    const counts = new Map<string, number>();
    for (const m of text.matchAll(PRETOKEN)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
    const words = [...counts].map(([w, n]) => ({ ids: Array.from(utf8.encode(w)), n }));
    const merges: Array<[number, number]> = [];
    while (256 + merges.length < vocabSize) {
      const pairs = new Map<number, number>();
      for (const { ids, n } of words)
        for (let i = 0; i + 1 < ids.length; i++) {
          const key = ids[i]! * 65536 + ids[i + 1]!;
          pairs.set(key, (pairs.get(key) ?? 0) + n);
        }
      let best = -1,
        bestCount = 1; // a pair seen once is not worth a token
      for (const [key, n] of pairs)
        if (n > bestCount || (n === bestCount && key < best)) {
          best = key;
          bestCount = n;
        }
      if (best < 0) break;
      const a = Math.floor(best / 65536),
        b = best % 65536,
        id = 256 + merges.length;
      merges.push([a, b]);
      for (const w of words) {
        const ids = w.ids,
          out: number[] = [];
        for (let i = 0; i < ids.length; i++) {
          if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
            out.push(id);
            i++;
          } else out.push(ids[i]!);
        }
        w.ids = out;
      }
    }
    return new BpeTokenizer(merges);
  }

  override get vocabSize(): number {
    return 256 + this.merges.length;
  }

  private encodeWord(word: string): number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    let ids = Array.from(utf8.encode(word));
    for (;;) {
      let bestRank = Infinity,
        at = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        const r = this.ranks.get(`${ids[i]},${ids[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          at = i;
        }
      }
      if (at < 0) break;
      ids = [...ids.slice(0, at), 256 + bestRank, ...ids.slice(at + 2)];
    }
    if (this.cache.size < 100_000) this.cache.set(word, ids);
    return ids;
  }

  override encode(text: string): Int32Array {
    const out: number[] = [];
    for (const m of text.matchAll(PRETOKEN)) out.push(...this.encodeWord(m[0]));
    return Int32Array.from(out);
  }

  protected override bytesOf(id: number): number[] {
    return this.pieces[id] ?? [0xef, 0xbf, 0xbd];
  }

  override toJSON(): TokenizerJSON {
    return { kind: 'bpe', merges: this.merges };
  }
}

export function tokenizerFromJSON(json: unknown, source = 'tokenizer'): Tokenizer {
  if ((json as { kind?: unknown } | null)?.kind === 'hf-bpe') {
    try {
      return hfBpeFromJSON(json, source);
    } catch (e) {
      throw e instanceof TokenizerError ? e : new TokenizerError((e as Error).message);
    }
  }
  let j: TokenizerJSON;
  try {
    j = parseWith(tokenizerSchema, json, source) as TokenizerJSON;
  } catch (e) {
    throw new TokenizerError((e as Error).message);
  }
  try {
    if (j.kind === 'char') return new CharTokenizer(j.chars, j.unknown ?? false);
    if (j.kind === 'byte') return new ByteTokenizer();
    return new BpeTokenizer(j.merges);
  } catch (e) {
    throw new TokenizerError(`${source}: ${(e as Error).message}`);
  }
}

export type TokenizerKind = 'char' | 'byte' | 'bpe';

/** Builds the tokenizer a training run asked for from its training text. */
export function buildTokenizer(kind: TokenizerKind, text: string, vocabSize?: number): Tokenizer {
  if (kind === 'char') return CharTokenizer.fromText(text);
  if (kind === 'byte') return new ByteTokenizer();
  if (kind === 'bpe') return BpeTokenizer.train(text, vocabSize ?? 512);
  throw new TokenizerError(`unknown tokenizer "${kind}" (expected char, byte or bpe)`);
}
