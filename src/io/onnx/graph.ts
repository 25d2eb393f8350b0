// A small builder for ONNX graphs on top of the onnx-proto message classes: nodes with generated
// output names, attributes from plain values, initializers stored once (by name for weights, by
// value for the small constants a graph needs), and typed graph inputs/outputs with named dynamic
// axes. Runs in browsers (no file system).
import onnxProto, { type onnx as Onnx } from 'onnx-proto';

const { onnx } = onnxProto;

export type Attr = number | number[] | string | { float: number } | { floats: number[] };
export type Dim = number | string;

const ELEM = { float: onnx.TensorProto.DataType.FLOAT, int64: onnx.TensorProto.DataType.INT64 } as const;
export type ElemType = keyof typeof ELEM;

function attribute(name: string, value: Attr): Onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.FLOATS, floats: value.floats };
}

function bytesOf(data: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export class GraphBuilder {
  readonly nodes: Onnx.INodeProto[] = [];
  readonly initializers: Onnx.ITensorProto[] = [];
  readonly inputs: Onnx.IValueInfoProto[] = [];
  readonly outputs: Onnx.IValueInfoProto[] = [];
  private count = 0;
  private readonly constants = new Map<string, string>();
  private readonly names = new Set<string>();

  /** Adds a node; returns its output names (`outputs` of them, generated unless given). */
  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, outputs: number | string[] = 1): string[] {
    const id = this.count++;
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, i) => `${op}_${id}_${i}`) : outputs;
    this.nodes.push({
      name: `${op}_${id}`,
      opType: op,
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** A node with one output. */
  op(op: string, inputs: string[], attrs: Record<string, Attr> = {}, output?: string): string {
    return this.node(op, inputs, attrs, output ? [output] : 1)[0]!;
  }

  /** A named initializer holding `data` (a model weight: stored once, read by every node that needs it). */
  weight(name: string, data: Float32Array, dims: readonly number[]): string {
    if (this.names.has(name)) throw new Error(`onnx export: initializer "${name}" written twice`);
    this.names.add(name);
    this.initializers.push({ name, dims: [...dims], dataType: ELEM.float, rawData: bytesOf(data) });
    return name;
  }

  /** A small constant, shared by every node that uses the same value. */
  constant(type: ElemType, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `${type}:${dims.join('x')}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = `const_${this.constants.size}`;
    const data =
      type === 'float' ? Float32Array.from(values) : BigInt64Array.from(values.map((v) => BigInt(Math.trunc(v))));
    this.initializers.push({ name, dims: [...dims], dataType: ELEM[type], rawData: bytesOf(data) });
    this.constants.set(key, name);
    return name;
  }

  /** A scalar constant (rank 0). */
  scalar(type: ElemType, value: number): string {
    return this.constant(type, [value], []);
  }

  input(name: string, type: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: ElemType, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** The serialized model (opset `opset` of the default domain). */
  encode(options: {
    opset: number;
    producer: string;
    graphName: string;
    metadata: Record<string, string>;
  }): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: options.producer,
      opsetImport: [{ domain: '', version: options.opset }],
      metadataProps: Object.entries(options.metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: options.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, type: ElemType, dims: readonly Dim[]): Onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
