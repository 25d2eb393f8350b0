// Tokenizer files in Hugging Face's formats, for export: tokenizer.json (and GPT-2's vocab.json +
// merges.txt, and tokenizer_config.json with the start and end tokens) that Hugging Face's
// tokenizers load and that shareformer's import reads back to the same ids.
import type { HfBpeJSON } from '../../text/hf-bpe.js';

const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };

/** GPT-2's ByteLevel split, or the model's own regex Splits then ByteLevel without its regex. */
function byteLevelPreTokenizer(splits: readonly string[] | undefined): unknown {
  if (splits === undefined) return BYTE_LEVEL;
  return {
    type: 'Sequence',
    pretokenizers: [
      ...splits.map((regex) => ({ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false })),
      { ...BYTE_LEVEL, use_regex: false },
    ],
  };
}

function vocabObject(vocab: readonly string[]): Record<string, number> {
  return Object.fromEntries(vocab.map((t, i) => [t, i]));
}

export function hfTokenizerFiles(j: HfBpeJSON): Record<string, string> {
  const added = [
    ...j.special.map((id) => ({
      id,
      content: j.vocab[id]!,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    ...(j.added ?? []).map((t) => ({
      id: t.id,
      content: t.content,
      single_word: t.singleWord ?? false,
      lstrip: t.lstrip ?? false,
      rstrip: t.rstrip ?? false,
      normalized: false,
      special: false,
    })),
  ].sort((a, b) => a.id - b.id);
  const merges = j.merges.map(([a, b]) => `${a} ${b}`);
  const tokenizer =
    j.mode === 'byte-level'
      ? {
          version: '1.0',
          added_tokens: added,
          normalizer: j.normalizer ? { type: j.normalizer } : null,
          pre_tokenizer: byteLevelPreTokenizer(j.splits),
          post_processor: BYTE_LEVEL,
          decoder: BYTE_LEVEL,
          model: {
            type: 'BPE',
            dropout: null,
            unk_token: null,
            byte_fallback: false,
            ignore_merges: j.ignoreMerges ?? false,
            vocab: vocabObject(j.vocab),
            merges,
          },
        }
      : j.mode === 'sentencepiece'
        ? {
            version: '1.0',
            added_tokens: added,
            // Gemma's has no dummy prefix: spaces become ▁ and nothing is prepended or stripped.
            normalizer:
              j.dummyPrefix === false
                ? { type: 'Replace', pattern: { String: ' ' }, content: '▁' }
                : {
                    type: 'Sequence',
                    normalizers: [
                      { type: 'Prepend', prepend: '▁' },
                      { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
                    ],
                  },
            pre_tokenizer: null,
            post_processor:
              j.bosId === null
                ? null
                : {
                    type: 'TemplateProcessing',
                    single: [
                      { SpecialToken: { id: j.vocab[j.bosId], type_id: 0 } },
                      { Sequence: { id: 'A', type_id: 0 } },
                    ],
                    pair: [],
                    special_tokens: {
                      [j.vocab[j.bosId]!]: { id: j.vocab[j.bosId], ids: [j.bosId], tokens: [j.vocab[j.bosId]] },
                    },
                  },
            decoder: {
              type: 'Sequence',
              decoders: [
                { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
                { type: 'ByteFallback' },
                { type: 'Fuse' },
                ...(j.dummyPrefix === false ? [] : [{ type: 'Strip', content: ' ', start: 1, stop: 0 }]),
              ],
            },
            model: {
              type: 'BPE',
              dropout: null,
              unk_token: j.unkId === null || j.unkId === undefined ? null : j.vocab[j.unkId],
              fuse_unk: true,
              byte_fallback: j.byteFallback !== false,
              vocab: vocabObject(j.vocab),
              merges,
            },
          }
        : JSON.parse(
            charTokenizerJson(
              j.vocab.filter((_, i) => i !== j.unkId),
              j.unkId !== null && j.unkId !== undefined,
            ),
          );
  const files: Record<string, string> = {
    'tokenizer.json': `${JSON.stringify(tokenizer)}\n`,
    'tokenizer_config.json': `${JSON.stringify({
      add_bos_token: j.bosId !== null,
      add_eos_token: false,
      bos_token: j.bosId === null ? null : j.vocab[j.bosId],
      eos_token: j.eosId === null ? null : j.vocab[j.eosId],
    })}\n`,
  };
  if (j.mode === 'byte-level') {
    files['vocab.json'] = `${JSON.stringify(vocabObject(j.vocab))}\n`;
    files['merges.txt'] = `#version: 0.2\n${merges.join('\n')}\n`;
  }
  return files;
}

/** A character vocabulary as a BPE with no merges: each character is its own token; others are <unk>. */
export function charTokenizerJson(chars: readonly string[], unknown: boolean): string {
  const vocab = vocabObject(unknown ? [...chars, '<unk>'] : chars);
  return `${JSON.stringify({
    version: '1.0',
    added_tokens: unknown ? [{ id: chars.length, content: '<unk>', special: true }] : [],
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Fuse' },
    model: { type: 'BPE', dropout: null, unk_token: unknown ? '<unk>' : null, byte_fallback: false, vocab, merges: [] },
  })}\n`;
}

/** shareformer's byte tokenizer: GPT-2's byte-level scheme with no merges, so id = byte value. */
export function byteLevelTokenizerJson(): string {
  const vocab: Record<string, number> = {};
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let n = 0;
  for (let b = 0; b < 256; b++) vocab[printable(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + n++)] = b;
  return `${JSON.stringify({
    version: '1.0',
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: BYTE_LEVEL,
    post_processor: BYTE_LEVEL,
    decoder: BYTE_LEVEL,
    model: { type: 'BPE', dropout: null, unk_token: null, byte_fallback: false, vocab, merges: [] },
  })}\n`;
}
