// Learning-rate schedule: linear warmup to maxLr, then cosine decay to minLr at totalSteps.

export interface WarmupCosineOptions {
  maxLr: number;
  minLr?: number;
  warmupSteps: number;
  totalSteps: number;
}

/** Returns lr(step) for 0-based steps; step warmupSteps−1 reaches maxLr, steps ≥ totalSteps stay at minLr. */
export function warmupCosine(options: WarmupCosineOptions): (step: number) => number {
  const { maxLr, warmupSteps, totalSteps } = options;
  const minLr = options.minLr ?? 0;
  if (!(maxLr >= 0) || !(minLr >= 0) || minLr > maxLr)
    throw new Error(`warmupCosine: need 0 ≤ minLr ≤ maxLr, got minLr ${minLr}, maxLr ${maxLr}`);
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0)
    throw new Error(`warmupCosine: warmupSteps must be a non-negative integer, got ${warmupSteps}`);
  if (!Number.isInteger(totalSteps) || totalSteps < warmupSteps)
    throw new Error(`warmupCosine: totalSteps (${totalSteps}) must be an integer ≥ warmupSteps (${warmupSteps})`);
  return (step: number) => {
    if (step < warmupSteps) return (maxLr * (step + 1)) / warmupSteps;
    if (step >= totalSteps || totalSteps === warmupSteps) return minLr;
    const ratio = (step - warmupSteps) / (totalSteps - warmupSteps);
    return minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (maxLr - minLr);
  };
}
