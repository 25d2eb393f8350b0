// The analyzer: published parameter counts exactly, the runtime's own figures for every sharing
// mode (instantiated model and measured KV cache), and the FLOP and memory formulas.
import { describe, expect, it } from 'vitest';
import { resolveConfig, type ModelConfig } from '../model/config.js';
import { TransformerLM } from '../model/transformer.js';
import { analyze, forwardFlops, presetWith, scalingTable } from './analyze.js';
import { ANALYZER_PRESETS, analyzerPreset } from './presets.js';
import { planOf } from '../model/config.js';

const count = (name: string, over: Partial<ModelConfig> = {}) => {
  const p = analyzerPreset(name);
  return analyze(presetWith(p, over), {}, p.encoder).parameters.total;
};

describe('published parameter counts', () => {
  it.each([
    ['gpt2', 124_439_808],
    ['llama-2-7b', 6_738_415_616],
    ['llama-3-8b', 8_030_261_248],
    ['mistral-7b', 7_241_732_096],
    ['mistral-nemo-12b', 12_247_782_400],
    ['albert-base', 11_683_584],
    ['bert-base', 109_482_240], // Hugging Face BertModel with pooler
    ['bert-large', 335_141_888],
    ['llama-2-13b', 13_015_864_320],
    ['llama-2-70b', 68_976_648_192],
    // Hugging Face's counts of the small models people run on a CPU or in a browser.
    ['llama-3.2-1b', 1_235_814_400],
    ['llama-3.2-3b', 3_212_749_824],
    ['tinyllama-1.1b', 1_100_048_384],
    ['smollm2-135m', 134_515_008],
    ['smollm2-360m', 361_821_120],
    ['qwen2.5-0.5b', 494_032_768],
    ['qwen2.5-1.5b', 1_543_714_304],
    // Qwen3's pages say 752M and 2.03B: the checkpoints store the tied head a second time. Their
    // model cards' non-embedding counts (0.44B, 1.4B) are checked below.
    ['qwen3-0.6b', 596_049_920],
    ['qwen3-1.7b', 1_720_574_976],
    // Gemma: two norms per layer; Gemma 2 and 3: four (Gemma 3: and head norms) (Keras Hub's counts).
    ['gemma-2b', 2_506_172_416],
    // GPT-Neo: the sum of EleutherAI/gpt-neo-125M's tensors; TinyStories-33M's (68.5M with embeddings).
    ['gpt-neo-125m', 125_198_592],
    ['tinystories-33m', 68_514_048],
    // OLMo 2 7B: its config's tensors (untied head, query/key gains of 4,096 per layer).
    ['olmo-2-7b', 7_298_617_344],
    // SmolLM3-3B: its config's tensors (the head tied).
    ['smollm3-3b', 3_075_098_624],
    // BLOOM: the BigScience model cards' totals (the head tied to the embedding).
    ['bloom-560m', 559_214_592],
    ['bloom-1b7', 1_722_408_960],
    ['bloom-7b1', 7_069_016_064],
    ['bloom', 176_247_271_424],
    // EXAONE 3.5: their configs' tensors (LG: 2.4B and 7.8B).
    ['exaone-3.5-2.4b', 2_405_327_360],
    ['exaone-3.5-7.8b', 7_818_448_896],
    // Minitron 4B: its config's tensors (NVIDIA: 4.19B).
    ['minitron-4b', 4_190_509_056],
    // Phi-4-mini: its config's tensors, the head tied (Microsoft: 3.8B).
    ['phi-4-mini', 3_836_021_760],
    // GLM-4 9B: its config's tensors (THUDM: 9.4B).
    ['glm-4-9b', 9_399_951_360],
    // Baichuan 2: the sums of their config's tensors (Baichuan: 7.51B and 13.9B).
    ['baichuan2-7b', 7_505_973_248],
    ['baichuan2-13b', 13_896_668_160],
    // InternLM2: the sums of their config's tensors (InternLM: 1.89B, 7.74B, 19.86B).
    ['internlm2-1.8b', 1_889_110_016],
    ['internlm2-7b', 7_737_708_544],
    ['internlm2-20b', 19_861_149_696],
    // GPTBigCode: the sums of their config's tensors (bigcode: 15.5B and 1.1B).
    ['starcoder', 15_517_456_384],
    ['santacoder', 1_124_886_528],
    // MPT: the sums of their config's tensors (MosaicML: 6.7B and 30B).
    ['mpt-7b', 6_649_286_656],
    ['mpt-30b', 29_957_200_896],
    // OPT: transformers' counts (125,239,296 and 1,315,758,080) less the position table's 2 offset rows.
    ['opt-125m', 125_239_296 - 2 * 768],
    ['opt-1.3b', 1_315_758_080 - 2 * 2048],
    // Pythia (GPT-NeoX): the Pythia suite's published totals, embeddings and untied head included.
    ['pythia-70m', 70_426_624],
    ['pythia-160m', 162_322_944],
    ['pythia-410m', 405_334_016],
    ['pythia-1b', 1_011_781_632],
    ['pythia-1.4b', 1_414_647_808],
    ['pythia-2.8b', 2_775_208_960],
    ['pythia-6.9b', 6_857_302_016],
    ['pythia-12b', 11_846_072_320],
    // Phi's one LayerNorm per layer is held as two equal ones (shareformer's parallel block has
    // two): Hugging Face's 1,418,270,720 and 2,779,683,840 plus 2·d per layer.
    ['phi-1.5', 1_418_270_720 + 24 * 2 * 2048],
    ['phi-2', 2_779_683_840 + 32 * 2 * 2560],
    // gpt-j-6b's tensors sum to 6,050,882,784 (its model card's table says 6,053,381,344); plus
    // its one ln_1 per layer held as two.
    ['gpt-j-6b', 6_050_882_784 + 28 * 2 * 4096],
    // Falcon: its config's tensors summed (7B: 6,921,720,704 with its one LayerNorm per layer, here
    // held as two; 40B: 41,303,293,952, already two), the head tied to the embedding.
    ['falcon-7b', 6_921_720_704 + 32 * 2 * 4544],
    ['falcon-40b', 41_303_293_952],
    // Falcon-RW-1B: the sum of its config's tensors (the model card's 1.3B).
    ['falcon-rw-1b', 1_311_625_216],
    // StableLM-3B-4E1T's model card; StableLM 2 1.6B: its config's tensors (its card's table says
    // 1,644,417,024, 4,096 fewer a layer than its config's LayerNorm and Q/K/V biases give).
    ['stablelm-3b-4e1t', 2_795_443_200],
    ['stablelm-2-1.6b', 1_644_515_328],
    // StableLM 2 12B: its config's tensors, + its one norm per layer held as two.
    ['stablelm-2-12b', 12_143_185_920 + 40 * 2 * 5120],
    // Cohere: its config's tensors (Aya 23 8B 8,028,033,024; Command R 34,980,831,232) plus the
    // one LayerNorm per layer, held as two.
    ['aya-23-8b', 8_028_033_024 + 32 * 4096],
    ['command-r', 34_980_831_232 + 40 * 8192],
    // Command R+: its config's tensors (head norms of 96·128 and 8·128 gains per layer) + the second norm.
    ['command-r-plus', 103_810_674_688 + 64 * 12288],
    ['gemma-7b', 8_537_680_896],
    ['gemma2-2b', 2_614_341_888],
    ['gemma2-9b', 9_241_705_984],
    ['gemma2-27b', 27_227_128_320],
    ['gemma3-270m', 268_098_176],
    ['gemma3-1b', 999_885_952],
    ['gemma3-4b', 3_880_099_328],
    ['gemma3-12b', 11_765_788_416],
    ['gemma3-27b', 27_009_002_240],
  ])('%s has %i parameters', (name, expected) => {
    expect(count(name)).toBe(expected);
  });

  it.each([
    ['qwen3-0.6b', 0.44e9],
    ['qwen3-1.7b', 1.4e9],
  ])("%s's non-embedding parameters round to its model card's %d", (name, card) => {
    const a = analyze(presetWith(analyzerPreset(name), {}));
    const nonEmbedding = a.parameters.total - a.parameters.byComponent.embedding;
    expect(Number((nonEmbedding / 1e9).toPrecision(2))).toBe(card / 1e9);
  });

  it("Gemma 3's local layers attend to their window, its global ones to the whole context", () => {
    // 270M at 32,768 tokens: 15 local layers see 512 keys, 3 global ones 32,768; queries 4 × 256 wide.
    const a = analyze(presetWith(analyzerPreset('gemma3-270m'), {}));
    expect(a.flops.forwardPerTokenAtContext.scores).toBe(2 * 1024 * (15 * 512 + 3 * 32768));
    // Generating, the 15 windowed layers hold 512 + 64 positions, the 3 global ones all 32,768:
    // K and V of 256 × 4 bytes each per layer and position — 209 MiB instead of 576.
    expect(a.kvCache.bytesPerToken).toBe(18 * 2 * 256 * 4);
    expect(a.kvCache.bytes).toBe(2 * 256 * 4 * (15 * 576 + 3 * 32768));
  });

  it('a preset with sharing flags is a new config', () => {
    // cla:2 removes Wk and Wv from 16 of Llama-2-7B's 32 layers: 16 · 2 · 4096².
    expect(count('llama-2-7b', { shareKv: 'cla:2' })).toBe(6_738_415_616 - 16 * 2 * 4096 * 4096);
    expect(count('gpt2', { shareWeights: 'all' })).toBe(124_439_808 - 11 * 7_087_872);
  });
});

describe('tied to the runtime: every sharing mode, small presets', () => {
  const modes: Array<[string, Partial<ModelConfig>]> = [
    ['none', {}],
    ['weights all', { shareWeights: 'all' }],
    ['cycle-rev:2 ffn scope', { shareWeights: 'cycle-rev:2', shareScope: 'ffn' }],
    ['GQA', { kvHeads: 2 }],
    ['MQA', { kvHeads: 1 }],
    ['cla:2', { shareKv: 'cla:2' }],
    ['yoco:1', { shareKv: 'yoco:1' }],
    ['attention group:2', { shareAttention: 'group:2' }],
    ['factorized tied', { embedDim: 32, tieEmbeddings: true }],
    [
      'mixed',
      { shareWeights: 'repeat:2', kvHeads: 2, shareKv: 'cla:2', shareAttention: 'group:2', shareScope: 'attention' },
    ],
  ];
  it.each(modes)('%s: parameters equal the instantiated model, KV bytes equal the measured cache', (_name, over) => {
    const config = resolveConfig({ ...ANALYZER_PRESETS.tiny!.config, ...over });
    const a = analyze(config, { context: 40, batch: 3 });
    const lm = new TransformerLM(config);
    expect(a.parameters.total).toBe(lm.parameters().reduce((s, p) => s + p.data.length, 0));
    expect(a.kvCache.bytes).toBe(lm.createCache(3, 40).bytes());
  });
});

describe('FLOPs', () => {
  const c = resolveConfig({ vocabSize: 100, layers: 2, dModel: 8, heads: 2, ffnHidden: 32, context: 64 });

  it('count 2 FLOPs per multiply-add of every matrix a token meets, plus 4·d per attended key and layer', () => {
    const f = forwardFlops(c, planOf(c), 10);
    expect(f.projections).toBe(2 * (4 * 2 * 8 * 8));
    expect(f.ffn).toBe(2 * (2 * 2 * 8 * 32));
    expect(f.scores + f.values).toBe(2 * (4 * 10 * 8));
    expect(f.embedAndHead).toBe(2 * 8 * 100);
  });

  it('weight sharing does not reduce compute; CLA and attention sharing do', () => {
    const flops = (over: Partial<ModelConfig>) => analyze(resolveConfig({ ...c, ...over })).flops;
    expect(flops({ shareWeights: 'all' }).forwardPerToken.total).toBe(flops({}).forwardPerToken.total);
    expect(flops({ shareKv: 'cla:2' }).skippedBySharing.kv).toBe(2 * 2 * 8 * 8);
    expect(flops({ shareAttention: 'group:2' }).skippedBySharing.attention).toBeGreaterThan(2 * 2 * 8 * 8);
  });

  it('makes the quadratic term explicit: 4× the tokens costs 16× the attention', () => {
    const rows = scalingTable(c, [1000, 4000], true);
    expect(rows[1]!.attentionGrowth).toBeCloseTo(16, 10);
    expect(rows[1]!.linear / rows[0]!.linear).toBeCloseTo(4, 10);
  });

  it('a sliding window caps the keys a position attends to: attention grows like T past it', () => {
    const windowed = resolveConfig({ ...c, context: 4096, slidingWindow: 16 });
    const [, b] = scalingTable(windowed, [1000, 4000]);
    // Past the window every position attends to 16 keys: 4× the tokens, about 4× the attention.
    expect(b!.attentionGrowth).toBeCloseTo((16 * 17 + 2 * (4000 - 16) * 16) / (16 * 17 + 2 * (1000 - 16) * 16), 10);
    const f = analyze(windowed, { context: 4096 }).flops;
    expect(f.forwardPerTokenAtContext.scores).toBe(forwardFlops(windowed, planOf(windowed), 16).scores);
  });

  it("a sliding-window RoPE model's cache is its window and a stride, as generation allocates it", () => {
    const mistral = presetWith(analyzerPreset('mistral-7b'), { slidingWindow: 4096 });
    const a = analyze(mistral, { context: 32768 });
    expect(a.kvCache.bytes).toBe(a.kvCache.bytesPerToken * (4096 + 512));
    expect(analyze(mistral, { context: 4096 }).kvCache.bytes).toBe(a.kvCache.bytesPerToken * 4096);
  });
});

describe('memory', () => {
  it('weights by dtype and the training estimate scale with the unique parameters', () => {
    const a = analyze(presetWith(analyzerPreset('gpt2')), { context: 1024, batch: 8 });
    expect(a.weightBytes).toEqual({
      fp32: 4 * 124_439_808,
      fp16: 2 * 124_439_808,
      bf16: 2 * 124_439_808,
      int8: 124_439_808,
    });
    expect(a.trainingMemory.optimizer).toBe(8 * 124_439_808);
    expect(a.trainingMemory.total).toBe(
      a.trainingMemory.weights + a.trainingMemory.gradients + a.trainingMemory.optimizer + a.trainingMemory.activations,
    );
  });

  it('KV cache: 2 · layers · kvHeads · headDim · bytes per token, honoring GQA, CLA and attention sharing', () => {
    const kv = (over: Partial<ModelConfig>, dtype: 'fp16' | 'fp32' = 'fp16') =>
      analyze(presetWith(analyzerPreset('llama-2-7b'), over), { context: 32768, dtype }).kvCache;
    expect(kv({}).bytesPerToken).toBe(2 * 32 * 4096 * 2);
    expect(kv({}).bytes).toBe(2 * 32 * 4096 * 2 * 32768); // 16 GiB
    expect(kv({ shareKv: 'cla:2' }).bytesPerToken).toBe(2 * 16 * 4096 * 2);
    expect(kv({ kvHeads: 8 }).bytesPerToken).toBe(2 * 32 * 1024 * 2);
    expect(kv({ shareAttention: 'group:2' }).bytesPerToken).toBe((32 + 16) * 4096 * 2);
  });
});

describe('bad input', () => {
  it('names the known presets', () => {
    expect(() => analyzerPreset('llama-9')).toThrow(
      /unknown preset "llama-9" \(known: gpt2, gpt2-medium, .*llama-2-7b/,
    );
  });
  it('rejects non-positive lengths', () => {
    expect(() => analyze(presetWith(analyzerPreset('gpt2')), { context: 0 })).toThrow(
      /--context must be a positive integer/,
    );
  });
});
