// SentencePiece's own model file (tokenizer.model, a protobuf ModelProto), for the many Llama-family
// checkpoints that ship it without a tokenizer.json: read as transformers' LlamaConverter reads it
// into a fast tokenizer — the pieces in id order, merges derived from the pieces' scores, the ▁
// space marker, byte fallback or the unknown token — so ids equal SentencePiece's and Hugging Face's.
import protobuf from 'protobufjs/light.js';
import { TokenizerError } from './errors.js';
import { type HfBpeJSON, HfBpeTokenizer, type SpecialTokens } from './hf-bpe.js';

// The fields of sentencepiece_model.proto this reader needs, with proto2's declared defaults.
const PROTO = protobuf.Root.fromJSON({
  nested: {
    ModelProto: {
      fields: {
        pieces: { rule: 'repeated', type: 'Piece', id: 1 },
        trainerSpec: { type: 'TrainerSpec', id: 2 },
        normalizerSpec: { type: 'NormalizerSpec', id: 3 },
      },
    },
    Piece: {
      fields: {
        piece: { type: 'string', id: 1 },
        score: { type: 'float', id: 2 },
        type: { type: 'PieceType', id: 3, options: { default: 'NORMAL' } },
      },
    },
    PieceType: { values: { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } },
    TrainerSpec: {
      fields: {
        modelType: { type: 'ModelType', id: 3, options: { default: 'UNIGRAM' } },
        treatWhitespaceAsSuffix: { type: 'bool', id: 24 },
        byteFallback: { type: 'bool', id: 35 },
        unkId: { type: 'int32', id: 40, options: { default: 0 } },
        bosId: { type: 'int32', id: 41, options: { default: 1 } },
        eosId: { type: 'int32', id: 42, options: { default: 2 } },
      },
    },
    ModelType: { values: { UNIGRAM: 1, BPE: 2, WORD: 3, CHAR: 4 } },
    NormalizerSpec: {
      fields: {
        name: { type: 'string', id: 1 },
        precompiledCharsmap: { type: 'bytes', id: 2 },
        addDummyPrefix: { type: 'bool', id: 3, options: { default: true } },
        removeExtraWhitespaces: { type: 'bool', id: 4, options: { default: true } },
        escapeWhitespaces: { type: 'bool', id: 5, options: { default: true } },
      },
    },
  },
}).lookupType('ModelProto');

/** A piece as SentencePiece keeps it; `type` is PieceType's name (NORMAL, UNKNOWN, CONTROL, …). */
export interface Piece {
  piece: string;
  score: number;
  type: string;
}

/** PieceType's names by number, the numbering GGUF's tokenizer.ggml.token_type uses too. */
export const PIECE_TYPES: Readonly<Record<number, string>> = {
  1: 'NORMAL',
  2: 'UNKNOWN',
  3: 'CONTROL',
  4: 'USER_DEFINED',
  5: 'UNUSED',
  6: 'BYTE',
};

/** How a vocabulary of pieces is used, wherever it was read from. */
export interface SentencePieceUse {
  bosId: number | null;
  eosId: number | null;
  /** The unknown token; without one, the first UNKNOWN piece. */
  unkId?: number | null;
  dummyPrefix: boolean;
  byteFallback: boolean;
  /** The piece types never produced from text (USER_DEFINED pieces are found whole in it). */
  unproduced: readonly string[];
}
interface ModelProto {
  pieces: Piece[];
  trainerSpec: {
    modelType: string;
    treatWhitespaceAsSuffix: boolean;
    byteFallback: boolean;
    unkId: number;
    bosId: number;
    eosId: number;
  };
  normalizerSpec: {
    name: string;
    precompiledCharsmap: Uint8Array;
    addDummyPrefix: boolean;
    removeExtraWhitespaces: boolean;
    escapeWhitespaces: boolean;
  };
}

function decodeModel(bytes: Uint8Array, source: string): ModelProto {
  let message: protobuf.Message;
  try {
    message = PROTO.decode(bytes);
  } catch (e) {
    throw new TokenizerError(
      `${source}: not a SentencePiece model, or a damaged one (protobuf: ${(e as Error).message})`,
    );
  }
  const m = PROTO.toObject(message, { enums: String, defaults: true }) as ModelProto;
  if (m.pieces.length === 0) throw new TokenizerError(`${source}: not a SentencePiece model (no pieces)`);
  return m;
}

/** What this reader cannot reproduce, named by the model's own field. */
function refusal(m: ModelProto): string | null {
  const t = m.trainerSpec,
    n = m.normalizerSpec;
  if (t.modelType !== 'BPE')
    return `trainer_spec.model_type is ${t.modelType}: only BPE models (Llama, Mistral, Baichuan, InternLM) are read, not unigram ones (T5, ALBERT)`;
  if (n.precompiledCharsmap.length > 0 || !['', 'identity'].includes(n.name))
    return `normalizer_spec.name is ${JSON.stringify(n.name)}: only the identity normalizer is read`;
  if (n.removeExtraWhitespaces) return 'normalizer_spec.remove_extra_whitespaces is true: runs of spaces would be cut';
  if (!n.escapeWhitespaces) return 'normalizer_spec.escape_whitespaces is false: spaces are not ▁ there';
  if (t.treatWhitespaceAsSuffix) return 'trainer_spec.treat_whitespace_as_suffix is true: ▁ ends pieces there';
  // A NaN score would leave the merges' order to the sort's whim: a silently different tokenizer.
  const bad = m.pieces.findIndex((p) => Number.isNaN(p.score));
  if (bad >= 0)
    return `pieces[${bad}] (${JSON.stringify(m.pieces[bad]!.piece)}) has score NaN: merges are ordered by score`;
  return null;
}

/**
 * The merges transformers' SentencePieceExtractor derives: every split of a piece into two pieces,
 * ordered by the merged piece's score (highest first), ties by the two parts' ids.
 */
export function mergesFromScores(pieces: readonly Piece[]): Array<[string, string]> {
  const ids = new Map(pieces.map((p, i) => [p.piece, i]));
  const merges: Array<{ pair: [string, string]; score: number }> = [];
  for (const { piece, score } of pieces) {
    const chars = Array.from(piece);
    const local: Array<[string, string]> = [];
    for (let k = 1; k < chars.length; k++) {
      const left = chars.slice(0, k).join(''),
        right = chars.slice(k).join('');
      if (ids.has(left) && ids.has(right)) local.push([left, right]);
    }
    local.sort((a, b) => ids.get(a[0])! - ids.get(b[0])! || ids.get(a[1])! - ids.get(b[1])!);
    for (const pair of local) merges.push({ pair, score });
  }
  // Array.prototype.sort is stable, as Python's sorted is.
  merges.sort((a, b) => b.score - a.score);
  return merges.map((m) => m.pair);
}

/** Our tokenizer JSON for SentencePiece pieces in id order: the shape transformers' LlamaConverter gives. */
export function sentencePieceJson(pieces: readonly Piece[], use: SentencePieceUse): HfBpeJSON {
  const ofType = (type: string) => pieces.flatMap((p, i) => (p.type === type ? [i] : []));
  const added = ofType('USER_DEFINED').map((id) => ({ id, content: pieces[id]!.piece }));
  return {
    kind: 'hf-bpe',
    mode: 'sentencepiece',
    vocab: pieces.map((p) => p.piece),
    merges: mergesFromScores(pieces),
    special: use.unproduced.flatMap(ofType).sort((a, b) => a - b),
    bosId: use.bosId,
    eosId: use.eosId,
    unkId: use.unkId ?? ofType('UNKNOWN')[0] ?? null,
    ...(!use.dummyPrefix && { dummyPrefix: false as const }),
    ...(!use.byteFallback && { byteFallback: false as const }),
    ...(added.length > 0 && { added }),
  };
}

/**
 * A tokenizer from tokenizer.model's bytes. `specials` names the first token and the end token
 * (from tokenizer_config.json); without an end token there, the model's own eos_id is used.
 */
export function tokenizerFromSentencePiece(
  bytes: Uint8Array,
  source: string,
  specials: SpecialTokens = {},
): HfBpeTokenizer {
  const m = decodeModel(bytes, source);
  const why = refusal(m);
  if (why) throw new TokenizerError(`${source}: ${why}`);
  const vocab = m.pieces.map((p) => p.piece);
  const ids = new Map<string, number>();
  vocab.forEach((p, i) => {
    if (ids.has(p)) throw new TokenizerError(`${source}: piece ${JSON.stringify(p)} is both ${ids.get(p)} and ${i}`);
    ids.set(p, i);
  });
  const own = (id: number) => (id >= 0 && id < vocab.length ? id : null);
  const idOf = (t: string | null | undefined) => (t ? (ids.get(t) ?? null) : null);
  try {
    return new HfBpeTokenizer(
      sentencePieceJson(m.pieces, {
        bosId: specials.bos === undefined ? own(m.trainerSpec.bosId) : idOf(specials.bos),
        eosId: idOf(specials.eos) ?? own(m.trainerSpec.eosId),
        dummyPrefix: m.normalizerSpec.addDummyPrefix,
        byteFallback: m.trainerSpec.byteFallback,
        unproduced: ['CONTROL', 'UNKNOWN'],
      }),
    );
  } catch (e) {
    throw new TokenizerError(`${source}: ${(e as Error).message}`);
  }
}
