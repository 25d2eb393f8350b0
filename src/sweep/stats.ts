// Numbers of a sweep: mean and sample standard deviation over seeds, and whether a plan's
// difference from the baseline exceeds the seed spread. Runs with the same seed share their data
// split, batch order and validation windows, so plans are compared seed by seed (paired): the
// part of the spread that comes from which text was held out cancels.

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

/** Two-sided 95% critical values of Student's t for 1..30 degrees of freedom. */
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];
export const tCritical95 = (df: number): number => T95[df - 1] ?? 1.96;

export interface PairedDifference {
  /** Mean over seeds of (plan − baseline), each seed against its own baseline run. */
  mean: number;
  /** Sample standard deviation of the per-seed differences. */
  std: number;
  /** Seeds present in both. */
  n: number;
  /** mean / (std / √n); null below two seeds, Infinity when every seed differs by the same amount. */
  t: number | null;
  /** |t| beyond the two-sided 95% critical value for n − 1 degrees of freedom; null below two seeds. */
  beyond: boolean | null;
}

/** Plan against baseline, seed by seed (runs given as seed → value; seeds missing on either side are left out). */
export function pairedDifference(
  plan: ReadonlyMap<number, number>,
  base: ReadonlyMap<number, number>,
): PairedDifference {
  const diffs = [...plan].filter(([seed]) => base.has(seed)).map(([seed, v]) => v - base.get(seed)!);
  const s = spread(diffs);
  if (s.n < 2) return { mean: s.mean, std: 0, n: s.n, t: null, beyond: null };
  const t = s.std === 0 ? (s.mean === 0 ? 0 : Math.sign(s.mean) * Infinity) : s.mean / (s.std / Math.sqrt(s.n));
  return { mean: s.mean, std: s.std, n: s.n, t, beyond: Math.abs(t) > tCritical95(s.n - 1) };
}
