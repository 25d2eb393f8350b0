// The reference model fixtures and what each one exercises (read by tests and `shareformer verify`).

export const REFERENCE_MODELS: Record<string, string> = {
  gpt: 'GPT: LayerNorm, GELU, learned positions, tied embeddings',
  llama: 'Llama-style: RMSNorm, SwiGLU, RoPE, GQA (4 heads, 2 KV heads), untied',
  alibi: 'BLOOM-style: ALiBi instead of positions, a LayerNorm on the embeddings, 6 heads over 3 KV heads',
};

/** fixtures/sharing/<mode>.safetensors: 4-layer models, one per sharing mode. */
export const SHARING_MODES: Record<string, string> = {
  all: 'weights all (ALBERT)',
  cycle: 'weights cycle:2',
  'cycle-rev': 'weights cycle-rev:2',
  'scope-attention': 'weights all, attention only',
  'scope-ffn': 'weights sequence:2, FFN only',
  'factorized-tied': 'factorized embedding E=8, tied',
  'factorized-untied': 'factorized embedding E=8, untied, Llama-style',
  gqa: 'GQA, 2 KV heads',
  mqa: 'MQA, 1 KV head',
  cla: 'cross-layer KV sharing cla:2',
  yoco: 'KV sharing yoco:2',
  'attention-group': 'attention-weight sharing group:2',
  mixed: 'repeat:2 + GQA + cla:2 + attention [0,1,2,2] + factorized',
  relax: 'relaxed sharing: cycle:2 with rank-2 per-layer deltas',
  'relax-mixed': 'relaxed FFN sharing (all, rank 3) + GQA + cla:2, Llama-style',
};
