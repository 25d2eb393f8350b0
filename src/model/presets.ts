// Small model presets for training here and now (published large models live with the analyzer).
import type { ModelConfig } from './config.js';

export const PRESETS: Record<string, { description: string; config: Partial<ModelConfig> }> = {
  tiny: {
    description: '2 layers, d 64, 4 heads, context 64 (seconds per run)',
    config: { layers: 2, dModel: 64, heads: 4, context: 64 },
  },
  small: {
    description: '4 layers, d 128, 4 heads, context 128',
    config: { layers: 4, dModel: 128, heads: 4, context: 128 },
  },
  medium: {
    description: '6 layers, d 192, 6 heads, context 128',
    config: { layers: 6, dModel: 192, heads: 6, context: 128 },
  },
  'gpt-6x384': {
    description: "6 layers, d 384, 6 heads, context 256 (nanoGPT's Shakespeare model)",
    config: { layers: 6, dModel: 384, heads: 6, context: 256, dropout: 0.2 },
  },
};

export function presetConfig(name: string): Partial<ModelConfig> {
  const p = PRESETS[name];
  if (!p) throw new Error(`unknown preset "${name}" (known: ${Object.keys(PRESETS).join(', ')})`);
  return { ...p.config };
}
