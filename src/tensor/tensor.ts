// Tensor: a float32 array with a shape, and the reverse-mode autograd tape built from op results.
// Each op result records its parents and a backward closure that ADDS into the parents' gradients.
// backward() gives intermediate buffers back to the pool (./pool.ts) as soon as nothing needs them.
import { giveBack, pin, takeZeroed } from './pool.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** An error in how an op was called; the message names the op and the shapes involved. */
export class OpError extends Error {
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = 'OpError';
  }
}

function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new OpError(op, `invalid shape ${formatShape(shape)}: dimensions must be non-negative integers`);
  }
}

/** Throws a clear error when a public op receives something that is not a Tensor (plain JavaScript callers). */
export function expectTensors(op: string, args: Record<string, unknown>): void {
  // for-in rather than Object.entries: this runs on every op call, and decoding makes ~20 per layer.
  for (const name in args) {
    const v = args[name];
    if (v !== null && !(v instanceof Tensor)) {
      const got = v === undefined ? 'undefined' : typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v;
      throw new OpError(op, `${name} must be a Tensor, got ${got}`);
    }
  }
}

/** Integer inputs (token ids, targets) must be Int32Array so ids are never silently truncated floats. */
export function expectInt32(op: string, name: string, v: unknown): void {
  if (!(v instanceof Int32Array)) {
    const got = v === undefined ? 'undefined' : typeof v === 'object' && v !== null ? v.constructor.name : typeof v;
    throw new OpError(op, `${name} must be an Int32Array, got ${got}`);
  }
}

let gradEnabled = true;

/** Runs fn without recording the autograd tape (evaluation, generation, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

export interface TensorOptions {
  requiresGrad?: boolean;
  name?: string;
}

export class Tensor {
  #data: Float32Array | null;
  readonly shape: Shape;
  readonly size: number;
  /** Accumulated gradient, same layout as data; allocated on first use. */
  grad: Float32Array | null = null;
  requiresGrad: boolean;
  name: string | undefined;
  /** @internal Tensors this one was computed from (empty for leaves). */
  parents: readonly Tensor[] = [];
  /** @internal Propagates this tensor's gradient into its parents' gradients. */
  backwardFn: ((grad: Float32Array) => void) | null = null;
  /** @internal Set when backward() has freed the tape behind this op result. */
  released = false;

  constructor(data: Float32Array | readonly number[], shape: Shape, options: TensorOptions = {}) {
    checkShape('tensor', shape);
    if (ArrayBuffer.isView(data) && !(data instanceof Float32Array)) {
      throw new OpError(
        'tensor',
        `data must be a Float32Array or an array of numbers, got ${(data as object).constructor.name}`,
      );
    }
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    if (arr.length !== sizeOf(shape)) {
      throw new OpError(
        'tensor',
        `data has ${arr.length} elements but shape ${formatShape(shape)} needs ${sizeOf(shape)}`,
      );
    }
    this.#data = arr;
    this.shape = Object.freeze([...shape]);
    this.size = arr.length;
    this.requiresGrad = options.requiresGrad ?? false;
    this.name = options.name;
  }

  static zeros(shape: Shape, options?: TensorOptions): Tensor {
    checkShape('zeros', shape);
    return new Tensor(new Float32Array(sizeOf(shape)), shape, options);
  }

  static full(shape: Shape, value: number, options?: TensorOptions): Tensor {
    checkShape('full', shape);
    return new Tensor(new Float32Array(sizeOf(shape)).fill(value), shape, options);
  }

  static scalar(value: number, options?: TensorOptions): Tensor {
    return new Tensor([value], [], options);
  }

  /** The values, row-major. Intermediate results are released by backward() unless kept. */
  get data(): Float32Array {
    if (this.#data === null) {
      throw new OpError(
        'tensor',
        `${this.name ?? 'this intermediate result'} ${formatShape(this.shape)} was released by backward() and its memory reused; read it before backward() or call keep() on it first`,
      );
    }
    return this.#data;
  }

  /**
   * Keeps this op result's values after backward() (which otherwise recycles intermediate buffers),
   * e.g. the logits of a training step. Returns the tensor.
   */
  keep(): this {
    // A pinned buffer is never the pool's again, so backward() neither recycles nor releases it.
    if (this.#data) pin(this.#data);
    return this;
  }

  /** @internal The buffer, or null once released: backward() uses it without the released check. */
  get buffer(): Float32Array | null {
    return this.#data;
  }

  /** @internal Called by backward() after the buffer went back to the pool. */
  releaseData(): void {
    this.#data = null;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new OpError('item', `needs a one-element tensor, got shape ${formatShape(this.shape)}`);
    return this.data[0]!;
  }

  /** A tensor with the same data that is cut off from the tape. */
  detach(): Tensor {
    // The copy-free result outlives the tape, so its buffer must never be recycled.
    pin(this.data);
    return new Tensor(this.data, this.shape);
  }

  /** The gradient buffer, allocated as zeros on first use. */
  gradBuffer(): Float32Array {
    if (!this.grad) this.grad = takeZeroed(this.size);
    return this.grad;
  }

  /** Drops the gradient. Its array goes back to the pool and may be reused: copy it first to keep it. */
  zeroGrad(): void {
    if (this.grad) giveBack(this.grad);
    this.grad = null;
  }

  /**
   * Back-propagates from this tensor. A scalar seeds with 1; otherwise pass the upstream gradient.
   * Gradients accumulate into every leaf with requiresGrad. The tape behind this tensor is freed
   * afterwards unless retainGraph is set.
   */
  backward(seed?: Float32Array, options: { retainGraph?: boolean } = {}): void {
    if (!this.requiresGrad)
      throw new OpError('backward', 'this tensor does not require grad (no input of the computation requires it)');
    if (this.released)
      throw new OpError(
        'backward',
        'the graph behind this tensor was freed by an earlier backward(); pass { retainGraph: true } to the first call',
      );
    if (!seed && this.size !== 1) {
      throw new OpError('backward', `needs a seed gradient for non-scalar shape ${formatShape(this.shape)}`);
    }
    if (seed && seed.length !== this.size) {
      throw new OpError(
        'backward',
        `seed has ${seed.length} elements, tensor ${formatShape(this.shape)} has ${this.size}`,
      );
    }
    const order = topologicalOrder(this);
    // Op results hold a gradient only while backward runs (as PyTorch's non-leaf tensors), so a
    // retained graph can be walked again without double counting.
    for (const t of order) if (t.backwardFn) t.grad = null;
    const g = this.gradBuffer();
    if (seed) for (let i = 0; i < g.length; i++) g[i]! += seed[i]!;
    else g[0]! += 1;
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i]!;
      if (!t.backwardFn) continue;
      const grad = t.grad;
      t.grad = null;
      if (grad) {
        t.backwardFn(grad);
        // A view's backward may hand its gradient buffer to its parent instead of copying it.
        if (!t.parents.some((p) => p.grad === grad)) giveBack(grad);
      }
      if (!options.retainGraph) {
        // Dropping the links lets the activations be collected.
        t.backwardFn = null;
        t.parents = [];
        t.released = true;
      }
    }
    if (!options.retainGraph) {
      // The loss stays readable (loss.item() after backward), as do views sharing its buffer.
      if (this.#data) pin(this.#data);
      releaseActivations(order);
    }
  }
}

/**
 * Gives the buffers of a finished tape's op results back to the pool (pinned ones — the root's,
 * kept and detached — are not the pool's) and marks every result that shared a recycled buffer
 * (views) as released, so a stale read is an error instead of a silently wrong value.
 */
function releaseActivations(order: readonly Tensor[]): void {
  const recycled = new Set<Float32Array>();
  for (const t of order) {
    const b = t.buffer;
    if (!b || !t.released) continue;
    if (recycled.has(b) || giveBack(b)) {
      recycled.add(b);
      t.releaseData();
    }
  }
}

/** Parents before children, iteratively (deep models would overflow a recursive walk). */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: Array<[Tensor, number]> = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    if (i < t.parents.length) {
      top[1] = i + 1;
      const p = t.parents[i]!;
      if (p.requiresGrad && !seen.has(p)) {
        seen.add(p);
        stack.push([p, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * Wraps an op's output: records parents and the backward closure when any parent needs a gradient
 * and the tape is on. `backward` receives the output gradient and must add into parents' gradBuffer().
 */
export function result(
  data: Float32Array,
  shape: Shape,
  parents: readonly Tensor[],
  backward: (grad: Float32Array) => void,
): Tensor {
  const out = new Tensor(data, shape);
  if (gradEnabled && parents.some((p) => p.requiresGrad)) {
    out.requiresGrad = true;
    out.parents = parents;
    out.backwardFn = backward;
  }
  return out;
}
