// AdamW exactly as torch.optim.AdamW: decoupled weight decay, bias correction, per-parameter step
// counts. Parameters are de-duplicated by identity, so a shared weight is updated once per step.
import { backend } from '../backend/backend.js';
import type { Tensor } from '../tensor/tensor.js';

export interface AdamWOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/** Parameters with their own weight decay (biases and norm gains usually get 0). */
export interface ParamGroup {
  params: readonly Tensor[];
  weightDecay?: number;
}

interface Slot {
  param: Tensor;
  weightDecay: number;
  m: Float32Array;
  v: Float32Array;
  step: number;
}

/** Optimizer state for checkpoints: per parameter (in the optimizer's order), its name and moments. */
export interface AdamWState {
  /** Parameter names (the tensor's name, or its index when unnamed); setState matches on them. */
  names: string[];
  steps: number[];
  m: Float32Array[];
  v: Float32Array[];
}

export class AdamW {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private readonly slots: Slot[] = [];

  constructor(params: readonly Tensor[] | readonly ParamGroup[], options: AdamWOptions = {}) {
    this.lr = options.lr ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    const weightDecay = options.weightDecay ?? 1e-2;
    check('lr', this.lr, this.lr >= 0);
    check('beta1', this.beta1, this.beta1 >= 0 && this.beta1 < 1);
    check('beta2', this.beta2, this.beta2 >= 0 && this.beta2 < 1);
    check('eps', this.eps, this.eps >= 0);
    check('weightDecay', weightDecay, weightDecay >= 0);
    const groups: readonly ParamGroup[] =
      params.length > 0 && isTensorList(params) ? [{ params }] : (params as readonly ParamGroup[]);
    const owner = new Map<Tensor, number>();
    groups.forEach((group, gi) => {
      for (const p of group.params) {
        const seen = owner.get(p);
        if (seen === gi) continue; // listed twice in one group: still one parameter
        if (seen !== undefined) {
          throw new Error(`AdamW: parameter ${p.name ?? '(unnamed)'} appears in parameter groups ${seen} and ${gi}`);
        }
        owner.set(p, gi);
        this.slots.push({
          param: p,
          weightDecay: group.weightDecay ?? weightDecay,
          m: new Float32Array(p.size),
          v: new Float32Array(p.size),
          step: 0,
        });
      }
    });
  }

  /** The unique parameters this optimizer updates. */
  get params(): Tensor[] {
    return this.slots.map((s) => s.param);
  }

  /** Updates every parameter that has a gradient (as torch, one without is left alone). */
  step(): void {
    const be = backend();
    for (const s of this.slots) {
      if (!s.param.grad) continue;
      s.step++;
      be.adamw(s.param.data, s.param.grad, s.m, s.v, {
        lr: this.lr,
        beta1: this.beta1,
        beta2: this.beta2,
        eps: this.eps,
        weightDecay: s.weightDecay,
        step: s.step,
      });
    }
  }

  zeroGrad(): void {
    for (const s of this.slots) s.param.zeroGrad();
  }

  getState(): AdamWState {
    return {
      names: this.slots.map((s, i) => s.param.name ?? String(i)),
      steps: this.slots.map((s) => s.step),
      m: this.slots.map((s) => s.m.slice()),
      v: this.slots.map((s) => s.v.slice()),
    };
  }

  setState(state: AdamWState): void {
    if (
      state.m.length !== this.slots.length ||
      state.v.length !== this.slots.length ||
      state.steps.length !== this.slots.length
    ) {
      throw new Error(`AdamW.setState: state has ${state.m.length} parameters, optimizer has ${this.slots.length}`);
    }
    const position = new Map(state.names.map((n, i) => [n, i]));
    this.slots.forEach((s, j) => {
      const name = s.param.name ?? String(j);
      const i = position.get(name);
      if (i === undefined) throw new Error(`AdamW.setState: no state for parameter ${name}`);
      if (state.m[i]!.length !== s.m.length || state.v[i]!.length !== s.v.length) {
        throw new Error(
          `AdamW.setState: parameter ${name} has ${s.m.length} elements, state has ${state.m[i]!.length}`,
        );
      }
      s.m.set(state.m[i]!);
      s.v.set(state.v[i]!);
      s.step = state.steps[i]!;
    });
  }
}

function isTensorList(params: readonly Tensor[] | readonly ParamGroup[]): params is readonly Tensor[] {
  return !('params' in (params[0] as object));
}

function check(name: string, value: number, ok: boolean): void {
  if (!Number.isFinite(value) || !ok) throw new Error(`AdamW: invalid ${name} ${value}`);
}
