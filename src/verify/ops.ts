// Runs every op case of the PyTorch fixture: forward output and the gradient of every input,
// each compared with PyTorch's float64 result.
import type { Tensor } from '../tensor/tensor.js';
import * as ops from '../tensor/ops/index.js';
import { ropeInverseFrequencies } from '../tensor/ops/rope.js';
import { relativeDiff, type Check, type Fixture } from './fixture.js';

export const OP_FORWARD_TOL = 1e-5;
export const OP_GRAD_TOL = 1e-4;

type Params = Record<string, unknown>;
type OpCall = (
  t: Record<string, Tensor>,
  ints: Record<string, Int32Array>,
  p: Params,
  intShapes: Record<string, number[]>,
) => Tensor | Tensor[];

/** How each fixture op name maps onto our API. */
export const OP_CALLS: Record<string, OpCall> = {
  matmul: (t, _i, p) => ops.matmul(t.a!, t.b!, { transA: p.transA === true, transB: p.transB === true }),
  linear: (t) => ops.linear(t.x!, t.weight!, t.bias ?? null),
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
  relu: (t) => ops.relu(t.x!),
  softmax: (t) => ops.softmax(t.x!),
  softcap: (t, _i, p) => ops.softcap(t.x!, p.cap as number),
  attention: (t, _i, p) => ops.attention(t.q!, t.k!, t.v!, { causal: p.causal as boolean }),
  attentionProbs: (t, _i, p) =>
    ops.attentionProbs(t.q!, t.k!, {
      causal: p.causal as boolean,
      softcap: (p.softcap as number | undefined) ?? 0,
      alibi: p.alibi ? Float32Array.from(p.alibi as number[]) : undefined,
    }),
  attendValues: (t, _i, p) => ops.attendValues(t.probs!, t.v!, { causal: p.causal as boolean }),
  rope: (t, _i, p) =>
    ops.rope(t.x!, {
      offset: p.offset as number,
      // Partial rotary: frequencies over the first `rotary` dimensions only.
      invFreq: p.rotary === undefined ? undefined : ropeInverseFrequencies(p.rotary as number, 10000),
    }),
  crossEntropy: (t, i, p) =>
    ops.crossEntropy(
      t.logits!,
      i.targets!,
      p.ignoreIndex === undefined ? {} : { ignoreIndex: p.ignoreIndex as number },
    ),
  sum: (t, _i, p) => ops.sum(t.x!, p.axis as number | undefined),
  mean: (t, _i, p) => ops.mean(t.x!, p.axis as number | undefined),
};

export interface OpCase {
  name: string;
  op: string;
  params: Params;
  inputs: string[];
  ints: string[];
  outputs: number;
}

export function opCases(fixture: Fixture): OpCase[] {
  return fixture.meta<OpCase[]>('cases');
}

/** Forward and backward of one case; loss = Σ out·dout so each gradient is a vector-Jacobian product. */
export function verifyOpCase(fixture: Fixture, c: OpCase): Check[] {
  const call = OP_CALLS[c.op];
  if (!call) throw new Error(`${fixture.source}: case ${c.name} uses op "${c.op}", which has no mapping`);
  const inputs: Record<string, Tensor> = {};
  for (const k of c.inputs) inputs[k] = fixture.tensor(`${c.name}:in:${k}`, { requiresGrad: true });
  const ints: Record<string, Int32Array> = {},
    intShapes: Record<string, number[]> = {};
  for (const k of c.ints) {
    ints[k] = fixture.ints(`${c.name}:int:${k}`);
    intShapes[k] = fixture.get(`${c.name}:int:${k}`).shape;
  }
  const result = call(inputs, ints, c.params, intShapes);
  const outs = Array.isArray(result) ? result : [result];
  if (outs.length !== c.outputs) throw new Error(`${c.name}: ${outs.length} outputs, PyTorch has ${c.outputs}`);
  const checks: Check[] = [];
  outs.forEach((out, i) => {
    const ref = fixture.get(`${c.name}:out:${i}`);
    const shapeOk = ref.shape.length === out.rank && ref.shape.every((d, j) => d === out.shape[j]);
    checks.push({
      group: 'ops',
      check: `${c.name} output${c.outputs > 1 ? ` ${i}` : ''}`,
      tolerance: OP_FORWARD_TOL,
      diff: shapeOk ? relativeDiff(out.data, fixture.f64(`${c.name}:out:${i}`)) : Infinity,
    });
  });
  const douts = outs.map((_, i) => fixture.tensor(`${c.name}:dout:${i}`));
  outs
    .map((o, i) => ops.sum(ops.mul(o, douts[i]!)))
    .reduce((a, b) => ops.add(a, b))
    .backward();
  for (const k of c.inputs) {
    const grad = inputs[k]!.grad;
    checks.push({
      group: 'ops',
      check: `${c.name} d${k}`,
      tolerance: OP_GRAD_TOL,
      diff: grad ? relativeDiff(grad, fixture.f64(`${c.name}:grad:${k}`)) : Infinity,
    });
  }
  return checks;
}
