// Every op against PyTorch (float64) fixtures: outputs and input gradients, tensor by tensor,
// on every backend. Fixtures come from tools/reference/make_fixtures.py.
import { afterAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../backend/backend.js';
import { BACKENDS } from '../../testing/backends.js';
import { DiffReport, loadFixture, relativeDiff } from '../../testing/fixtures.js';
import { Tensor } from '../tensor.js';
import * as ops from './index.js';

type Params = Record<string, unknown>;
type OpCall = (t: Record<string, Tensor>, ints: Record<string, Int32Array>, p: Params, intShapes: Record<string, number[]>) => Tensor | Tensor[];

/** How each fixture op name maps onto our API. */
const OPS: Record<string, OpCall> = {
  matmul: (t, _i, p) => ops.matmul(t.a!, t.b!, { transA: p.transA === true, transB: p.transB === true }),
  add: (t) => ops.add(t.a!, t.b!),
  sub: (t) => ops.sub(t.a!, t.b!),
  mul: (t) => ops.mul(t.a!, t.b!),
  scale: (t, _i, p) => ops.scale(t.x!, p.s as number),
  reshape: (t, _i, p) => ops.reshape(t.x!, p.shape as number[]),
  permute: (t, _i, p) => ops.permute(t.x!, p.perm as number[]),
  transpose: (t, _i, p) => ops.transpose(t.x!, p.axis0 as number, p.axis1 as number),
  split: (t, _i, p) => ops.split(t.x!, p.sizes as number[], p.axis as number),
  concat: (t, _i, p) => ops.concat([t.a!, t.b!, t.c!], p.axis as number),
  embedding: (t, i, _p, s) => ops.embedding(t.weight!, i.ids!, s.ids),
  layerNorm: (t, _i, p) => ops.layerNorm(t.x!, t.gamma!, t.beta ?? null, p.eps as number),
  rmsNorm: (t, _i, p) => ops.rmsNorm(t.x!, t.gamma!, p.eps as number),
  gelu: (t, _i, p) => ops.gelu(t.x!, p.approximate as 'tanh' | 'none'),
  silu: (t) => ops.silu(t.x!),
  softmax: (t) => ops.softmax(t.x!),
  attention: (t, _i, p) => ops.attention(t.q!, t.k!, t.v!, { causal: p.causal as boolean }),
  attentionProbs: (t, _i, p) => ops.attentionProbs(t.q!, t.k!, { causal: p.causal as boolean }),
  attendValues: (t, _i, p) => ops.attendValues(t.probs!, t.v!, { causal: p.causal as boolean }),
  rope: (t, _i, p) => ops.rope(t.x!, { offset: p.offset as number }),
  crossEntropy: (t, i, p) => ops.crossEntropy(t.logits!, i.targets!, p.ignoreIndex === undefined ? {} : { ignoreIndex: p.ignoreIndex as number }),
  sum: (t, _i, p) => ops.sum(t.x!, p.axis as number | undefined),
  mean: (t, _i, p) => ops.mean(t.x!, p.axis as number | undefined),
};

interface Case { name: string; op: string; params: Params; inputs: string[]; ints: string[]; outputs: number }

const fixture = loadFixture('ops.safetensors');
const cases = JSON.parse(fixture.file.metadata.cases!) as Case[];
const FORWARD_TOL = 1e-5, GRAD_TOL = 1e-4;

describe.each(BACKENDS)('ops on the %s backend match PyTorch', (name) => {
  const report = new DiffReport(`ops vs PyTorch float64 (${name} backend)`);
  afterAll(() => report.print());

  it('covers every op the fixtures exercise', () => {
    for (const c of cases) expect(OPS, `no mapping for fixture op ${c.op}`).toHaveProperty(c.op);
    // Every public differentiable op except dropout (checked on its own: PyTorch's RNG differs) has a fixture.
    const tested = new Set(cases.map((c) => c.op));
    const untested = Object.keys(ops).filter((k) => typeof (ops as Record<string, unknown>)[k] === 'function' && !tested.has(k) && k !== 'dropout');
    expect(untested).toEqual([]);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_label, c) => {
    setBackend(name);
    const inputs: Record<string, Tensor> = {};
    for (const k of c.inputs) inputs[k] = fixture.tensor(`${c.name}:in:${k}`, { requiresGrad: true });
    const ints: Record<string, Int32Array> = {}, intShapes: Record<string, number[]> = {};
    for (const k of c.ints) { ints[k] = fixture.ints(`${c.name}:int:${k}`); intShapes[k] = fixture.get(`${c.name}:int:${k}`).shape; }
    const result = OPS[c.op]!(inputs, ints, c.params, intShapes);
    const outs = Array.isArray(result) ? result : [result];
    expect(outs.length).toBe(c.outputs);
    outs.forEach((out, i) => {
      expect(out.shape).toEqual(fixture.get(`${c.name}:out:${i}`).shape);
      const d = report.add(`${c.name} output${c.outputs > 1 ? ` ${i}` : ''}`, relativeDiff(out.data, fixture.f64(`${c.name}:out:${i}`)), FORWARD_TOL);
      expect(d).toBeLessThanOrEqual(FORWARD_TOL);
    });
    // Loss = Σ out·dout, so each input's gradient is the vector-Jacobian product with dout.
    const douts = outs.map((_, i) => fixture.tensor(`${c.name}:dout:${i}`));
    const total = outs.map((o, i) => ops.sum(ops.mul(o, douts[i]!))).reduce((a, b) => ops.add(a, b));
    total.backward();
    for (const k of c.inputs) {
      const grad = inputs[k]!.grad;
      expect(grad, `${c.name}: no gradient reached input ${k}`).not.toBeNull();
      const d = report.add(`${c.name} d${k}`, relativeDiff(grad!, fixture.f64(`${c.name}:grad:${k}`)), GRAD_TOL);
      expect(d).toBeLessThanOrEqual(GRAD_TOL);
    }
  });
});
