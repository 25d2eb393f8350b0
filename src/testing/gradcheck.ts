// Test support: checks an op's analytic gradients against central finite differences.
import type { Tensor } from '../tensor/tensor.js';
import { Rng } from '../tensor/random.js';

export interface GradcheckResult {
  /** max |analytic − numeric| / max |analytic| over the checked elements, per input. */
  diffs: Record<string, number>;
}

/**
 * L(x) = Σ f(x)·R for a fixed random R; compares ∂L/∂x from backward() with (L(x+ε) − L(x−ε)) / 2ε for
 * up to `maxPerInput` elements of every input. L is summed in float64 to keep float32 rounding small.
 */
export function gradcheck(
  f: (inputs: Record<string, Tensor>) => Tensor | Tensor[],
  inputs: Record<string, Tensor>,
  options: { eps?: number; maxPerInput?: number; seed?: number } = {},
): GradcheckResult {
  const eps = options.eps ?? 1e-2;
  const rng = new Rng(options.seed ?? 7);
  const asList = (o: Tensor | Tensor[]) => (Array.isArray(o) ? o : [o]);
  const projections = asList(f(inputs)).map((o) => rng.fillNormal(new Float32Array(o.size)));
  const lossValue = (): number => {
    let s = 0;
    asList(f(inputs)).forEach((o, i) => {
      for (let j = 0; j < o.size; j++) s += o.data[j]! * projections[i]![j]!;
    });
    return s;
  };
  for (const t of Object.values(inputs)) {
    t.requiresGrad = true;
    t.zeroGrad();
  }
  asList(f(inputs)).forEach((o, i) => {
    if (o.requiresGrad) o.backward(projections[i]!);
  });
  const diffs: Record<string, number> = {};
  for (const [name, t] of Object.entries(inputs)) {
    const analytic = t.grad ?? new Float32Array(t.size);
    const n = Math.min(t.size, options.maxPerInput ?? 64);
    const picks = t.size <= n ? [...Array(t.size).keys()] : Array.from({ length: n }, () => rng.int(t.size));
    let maxDiff = 0,
      maxRef = 0;
    for (const i of picks) {
      const orig = t.data[i]!;
      t.data[i] = orig + eps;
      const up = lossValue();
      t.data[i] = orig - eps;
      const down = lossValue();
      t.data[i] = orig;
      const numeric = (up - down) / (2 * eps);
      maxDiff = Math.max(maxDiff, Math.abs(numeric - analytic[i]!));
      maxRef = Math.max(maxRef, Math.abs(analytic[i]!));
    }
    diffs[name] = maxRef === 0 ? maxDiff : maxDiff / maxRef;
  }
  return { diffs };
}
