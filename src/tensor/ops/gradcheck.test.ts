// Finite-difference gradient checks for every op, independent of the PyTorch fixtures.
import { afterAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../backend/backend.js';
import { BACKENDS } from '../../testing/backends.js';
import { DiffReport } from '../../testing/report.js';
import { gradcheck } from '../../testing/gradcheck.js';
import { Rng } from '../random.js';
import { Tensor } from '../tensor.js';
import * as ops from './index.js';
import { ropeInverseFrequencies } from './rope.js';

const rng = new Rng(42);
const randn = (shape: number[], scale = 1) =>
  new Tensor(rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)), 0, scale), shape);
const ids = Int32Array.from([2, 0, 2, 4, 1, 2]);
const targets = Int32Array.from([3, 0, -100, 6, 2, 1]);

/** op name → (function of named inputs, the inputs). Several shapes where an op has several paths. */
const CHECKS: Array<[string, (t: Record<string, Tensor>) => Tensor | Tensor[], () => Record<string, Tensor>]> = [
  ['matmul', (t) => ops.matmul(t.a!, t.b!), () => ({ a: randn([2, 3, 4]), b: randn([2, 4, 5]) })],
  [
    'matmul transA+transB, shared b',
    (t) => ops.matmul(t.a!, t.b!, { transA: true, transB: true }),
    () => ({ a: randn([2, 4, 3]), b: randn([5, 4]) }),
  ],
  [
    'linear with bias',
    (t) => ops.linear(t.x!, t.w!, t.b!),
    () => ({ x: randn([2, 3, 4]), w: randn([5, 4]), b: randn([5]) }),
  ],
  ['linear without bias', (t) => ops.linear(t.x!, t.w!), () => ({ x: randn([3, 4]), w: randn([2, 4]) })],
  ['add broadcast', (t) => ops.add(t.a!, t.b!), () => ({ a: randn([2, 3, 4]), b: randn([4]) })],
  ['sub broadcast left', (t) => ops.sub(t.a!, t.b!), () => ({ a: randn([3, 4]), b: randn([2, 3, 4]) })],
  ['mul broadcast', (t) => ops.mul(t.a!, t.b!), () => ({ a: randn([2, 3, 4]), b: randn([3, 4]) })],
  ['scale', (t) => ops.scale(t.x!, 2.5), () => ({ x: randn([3, 4]) })],
  ['reshape', (t) => ops.reshape(t.x!, [6, -1]), () => ({ x: randn([2, 3, 4]) })],
  ['permute', (t) => ops.permute(t.x!, [2, 0, 1]), () => ({ x: randn([2, 3, 4]) })],
  ['transpose', (t) => ops.transpose(t.x!, 1, -1), () => ({ x: randn([2, 3, 4]) })],
  ['split', (t) => ops.split(t.x!, [1, 3], 1), () => ({ x: randn([2, 4, 3]) })],
  ['concat', (t) => ops.concat([t.a!, t.b!], 0), () => ({ a: randn([1, 3]), b: randn([2, 3]) })],
  ['embedding (repeated ids)', (t) => ops.embedding(t.w!, ids, [2, 3]), () => ({ w: randn([5, 4]) })],
  ['layerNorm', (t) => ops.layerNorm(t.x!, t.g!, t.b!), () => ({ x: randn([3, 8]), g: randn([8]), b: randn([8]) })],
  ['rmsNorm', (t) => ops.rmsNorm(t.x!, t.g!), () => ({ x: randn([3, 8]), g: randn([8]) })],
  ['gelu tanh', (t) => ops.gelu(t.x!, 'tanh'), () => ({ x: randn([20], 2) })],
  ['gelu exact', (t) => ops.gelu(t.x!, 'none'), () => ({ x: randn([20], 2) })],
  ['silu', (t) => ops.silu(t.x!), () => ({ x: randn([20], 2) })],
  ['relu', (t) => ops.relu(t.x!), () => ({ x: randn([20], 2) })],
  ['softmax', (t) => ops.softmax(t.x!), () => ({ x: randn([3, 7]) })],
  ['softcap at 1.5 (most values bend)', (t) => ops.softcap(t.x!, 1.5), () => ({ x: randn([20], 2) })],
  [
    'attention GQA causal',
    (t) => ops.attention(t.q!, t.k!, t.v!),
    () => ({ q: randn([1, 4, 3, 4]), k: randn([1, 2, 3, 4]), v: randn([1, 2, 3, 4]) }),
  ],
  [
    'attention with cache offset',
    (t) => ops.attention(t.q!, t.k!, t.v!),
    () => ({ q: randn([1, 2, 2, 4]), k: randn([1, 1, 5, 4]), v: randn([1, 1, 5, 4]) }),
  ],
  ['attentionProbs', (t) => ops.attentionProbs(t.q!, t.k!), () => ({ q: randn([1, 2, 4, 4]), k: randn([1, 2, 4, 4]) })],
  [
    'attentionProbs soft-capped at 0.8 in a window of 3',
    (t) => ops.attentionProbs(t.q!, t.k!, { softcap: 0.8, window: 3 }),
    () => ({ q: randn([1, 2, 5, 4], 1.5), k: randn([1, 1, 5, 4], 1.5) }),
  ],
  [
    'attentionProbs with ALiBi over 3 heads, 3 queries after 3 cached keys',
    (t) => ops.attentionProbs(t.q!, t.k!, { alibi: Float32Array.of(0.5, 0.25, 0.125) }),
    () => ({ q: randn([1, 3, 3, 4]), k: randn([1, 1, 6, 4]) }),
  ],
  [
    'attendValues bidirectional',
    (t) => ops.attendValues(t.p!, t.v!, { causal: false }),
    () => ({ p: randn([1, 2, 3, 4]), v: randn([1, 1, 4, 3]) }),
  ],
  ['rope', (t) => ops.rope(t.x!, { offset: 3 }), () => ({ x: randn([1, 2, 3, 8]) })],
  [
    'rope over the first 4 of 10 dimensions',
    (t) => ops.rope(t.x!, { offset: 3, invFreq: ropeInverseFrequencies(4, 10000) }),
    () => ({ x: randn([1, 2, 3, 10]) }),
  ],
  ['crossEntropy with ignored target', (t) => ops.crossEntropy(t.x!, targets), () => ({ x: randn([6, 7]) })],
  ['sum axis', (t) => ops.sum(t.x!, 1), () => ({ x: randn([2, 3, 4]) })],
  ['mean', (t) => ops.mean(t.x!), () => ({ x: randn([2, 3, 4]) })],
  ['dropout (fixed mask)', (t) => ops.dropout(t.x!, 0.3, new Rng(5)), () => ({ x: randn([4, 5]) })],
];

const TOL = 1e-3;

describe.each(BACKENDS)('finite-difference gradient checks on the %s backend', (name) => {
  const report = new DiffReport(`gradients vs central differences, ε = 1e-2 (${name} backend)`);
  afterAll(() => report.print());

  it('cover every differentiable op', () => {
    const checked = new Set(CHECKS.map(([label]) => label.split(' ')[0]!));
    const missing = Object.keys(ops).filter(
      (k) => typeof (ops as Record<string, unknown>)[k] === 'function' && !checked.has(k),
    );
    expect(missing).toEqual([]);
  });

  it.each(CHECKS)('%s', (label, f, make) => {
    setBackend(name);
    const { diffs } = gradcheck(f, make());
    for (const [input, d] of Object.entries(diffs)) {
      expect(report.add(`${label} d${input}`, d, TOL), `${label}: gradient of ${input}`).toBeLessThanOrEqual(TOL);
    }
  });
});
