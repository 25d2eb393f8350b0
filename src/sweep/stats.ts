// Numbers of a sweep: mean and sample standard deviation over seeds, and whether a plan's
// difference from the baseline exceeds the seed spread.

export interface Spread {
  mean: number;
  std: number;
  n: number;
}

export function spread(values: readonly number[]): Spread {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(n, 1);
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance), n };
}

/**
 * A difference counts as beyond seed noise when it is larger than twice the standard error of the
 * difference of the two means (about a 95% interval for normal noise); with one seed there is no
 * spread to compare with, and the answer is null.
 */
export function beyondSpread(plan: Spread, base: Spread): boolean | null {
  if (plan.n < 2 || base.n < 2) return null;
  const se = Math.sqrt(plan.std ** 2 / plan.n + base.std ** 2 / base.n);
  return Math.abs(plan.mean - base.mean) > 2 * se;
}
