// Rotary position embedding (rotate-half convention, as GPT-NeoX and Llama) on [B, H, T, D] — over
// the whole head or its first R dimensions (partial rotary) — and its inverse frequencies:
// base^(−2i/R), optionally rescaled as Llama 3.1+ (or Phi-3's LongRoPE) does for long contexts.
import { backend } from '../../backend/backend.js';
import { takeBuffer } from '../pool.js';
import { OpError, type Tensor, expectTensors, formatShape, result } from '../tensor.js';

/**
 * Llama 3.1's frequency rescaling ("rope_type": "llama3"): wavelengths longer than
 * originalContext / lowFreqFactor are slowed by `factor`, those shorter than
 * originalContext / highFreqFactor are kept, and those between are interpolated.
 */
export interface Llama3Scaling {
  type: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalContext: number;
}

/** Position interpolation ("rope_type": "linear"; Gemma 3 4B+'s global layers): every frequency divided by `factor`. */
export interface LinearScaling {
  type: 'linear';
  factor: number;
}

/**
 * Phi-3's LongRoPE ("rope_type": "longrope") within its original context: inverse frequency i
 * divided by factors[i] (config.json's short_factor). Its attention factor, which multiplies every
 * rotated query and key, is the model's attentionScalar (full-head rotary only).
 */
export interface LongRopeScaling {
  type: 'longrope';
  factors: number[];
}

export type RopeScaling = Llama3Scaling | LinearScaling | LongRopeScaling;

/** The D/2 inverse frequencies pair i rotates by, per position. */
export function ropeInverseFrequencies(dim: number, base: number, scaling: RopeScaling | null = null): Float64Array {
  const inv = Float64Array.from({ length: dim / 2 }, (_, i) => base ** ((-2 * i) / dim));
  if (!scaling) return inv;
  if (scaling.type === 'linear') return inv.map((f) => f / scaling.factor);
  if (scaling.type === 'longrope') return inv.map((f, i) => f / scaling.factors[i]!);
  const { factor, lowFreqFactor: low, highFreqFactor: high, originalContext: old } = scaling;
  return inv.map((f) => {
    const wavelength = (2 * Math.PI) / f;
    if (wavelength < old / high) return f;
    if (wavelength > old / low) return f / factor;
    const smooth = (old / wavelength - low) / (high - low);
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}

export interface RopeOptions {
  /** Absolute position of the first of the T rows (the KV-cache length during generation). */
  offset?: number;
  /**
   * Inverse frequencies, one per rotated pair: D/2 rotate the whole head, fewer the first
   * 2·length dimensions only (the rest pass through); default D/2 at base 10,000 unscaled.
   */
  invFreq?: Float64Array;
}

export function rope(x: Tensor, options: RopeOptions = {}): Tensor {
  expectTensors('rope', { x });
  const offset = options.offset ?? 0;
  if (x.rank < 2) throw new OpError('rope', `x must be [..., T, D], got ${formatShape(x.shape)}`);
  const dim = x.shape[x.rank - 1]!,
    t = x.shape[x.rank - 2]!;
  if (!options.invFreq && dim % 2 !== 0)
    throw new OpError('rope', `head size must be even, got ${formatShape(x.shape)}`);
  const inv = options.invFreq ?? ropeInverseFrequencies(dim, 10000);
  if (inv.length < 1 || 2 * inv.length > dim)
    throw new OpError(
      'rope',
      `${inv.length} inverse frequencies for a head size of ${dim} (needs 1 to ${Math.floor(dim / 2)}, one per rotated pair)`,
    );
  if (!Number.isInteger(offset) || offset < 0)
    throw new OpError('rope', `offset must be a non-negative integer, got ${offset}`);
  const rows = t * dim === 0 ? 0 : x.size / (t * dim);
  const be = backend();
  const out = takeBuffer(x.size);
  be.rope(x.data, rows, t, dim, offset, inv, out);
  return result(out, x.shape, [x], (g) => be.ropeBackward(g, rows, t, dim, offset, inv, x.gradBuffer()));
}
