// The GGUF container (llama.cpp's model file): reading versions 2 and 3 — header, metadata and
// tensor infos, through byte ranges so a multi-gigabyte file is never held whole — and writing
// version 3. Runs in browsers too. Every count, length, type and offset read is checked against the
// file before it is trusted, and each error names the file and the key or tensor.
import { GGML_TYPES, ggmlTypeName, tensorBytes } from './dequantize.js';

export class GgufError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GgufError';
  }
}

export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufTensorInfo {
  name: string;
  /** PyTorch's order (outermost first): GGUF's ne[] reversed. */
  shape: number[];
  /** ggml type number (dequantize.ts names them). */
  type: number;
  /** Byte range in the file. */
  start: number;
  end: number;
}

export interface GgufFile {
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: Map<string, GgufTensorInfo>;
}

/** Reads bytes [start, end) of the file. */
export type ReadRange = (start: number, end: number) => Uint8Array;

const MAGIC = 0x46554747; // "GGUF" little-endian
/** Far more than any real file has (Llama 3.1 405B: 1,138 tensors; vocabularies ~260k tokens). */
const MAX_COUNT = 1 << 24;
const CHUNK = 1 << 20;

/** A little-endian cursor that reads the file a chunk at a time. */
class Cursor {
  private buf: Uint8Array = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  private bufStart = 0;
  pos = 0;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly read: ReadRange,
    readonly size: number,
    readonly source: string,
  ) {}

  private need(n: number, what: string): number {
    if (this.pos + n > this.size)
      throw new GgufError(`${this.source}: ends at byte ${this.size} inside ${what} (needs ${n} bytes at ${this.pos})`);
    const at = this.pos - this.bufStart;
    if (at < 0 || at + n > this.buf.length) {
      const end = Math.min(this.size, this.pos + Math.max(n, CHUNK));
      this.buf = this.read(this.pos, end);
      this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
      this.bufStart = this.pos;
    }
    const off = this.pos - this.bufStart;
    this.pos += n;
    return off;
  }

  u32(what: string): number {
    const at = this.need(4, what);
    return this.view.getUint32(at, true);
  }
  /** A uint64 that must fit a JavaScript number (counts, lengths, offsets, dimensions). */
  count(what: string, max = Number.MAX_SAFE_INTEGER): number {
    const at = this.need(8, what);
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(max)) throw new GgufError(`${this.source}: ${what} is ${v}, more than ${max} (a damaged file?)`);
    return Number(v);
  }
  string(what: string): string {
    const n = this.count(`${what} (its length)`, this.size);
    const off = this.need(n, what);
    try {
      return this.decoder.decode(this.buf.subarray(off, off + n));
    } catch {
      throw new GgufError(`${this.source}: ${what} is not valid UTF-8`);
    }
  }
  scalar(type: number, what: string): number | bigint | boolean {
    const size = [1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8][type];
    if (!size) throw new GgufError(`${this.source}: ${what} has value type ${type}, which GGUF does not define`);
    const at = this.need(size, what),
      v = this.view;
    switch (type) {
      case 0:
        return v.getUint8(at);
      case 1:
        return v.getInt8(at);
      case 2:
        return v.getUint16(at, true);
      case 3:
        return v.getInt16(at, true);
      case 4:
        return v.getUint32(at, true);
      case 5:
        return v.getInt32(at, true);
      case 6:
        return v.getFloat32(at, true);
      case 7: {
        const b = v.getUint8(at);
        if (b > 1) throw new GgufError(`${this.source}: ${what} is a bool of value ${b}`);
        return b === 1;
      }
      case 10:
        return v.getBigUint64(at, true);
      case 11:
        return v.getBigInt64(at, true);
      case 12:
        return v.getFloat64(at, true);
      default:
        throw new GgufError(`${this.source}: ${what} has value type ${type}, which GGUF does not define`);
    }
  }
  value(type: number, what: string, nested = false): GgufValue {
    if (type === 8) return this.string(what);
    if (type !== 9) return this.scalar(type, what);
    if (nested) throw new GgufError(`${this.source}: ${what} is an array of arrays, which this reader does not take`);
    const inner = this.u32(`${what} (its element type)`);
    const n = this.count(`${what} (its length)`, MAX_COUNT);
    const out: GgufValue[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.value(inner, `${what}[${i}]`, true);
    return out;
  }
}

/** Reads a GGUF file's header, metadata and tensor infos (not the tensor data). */
export function readGgufHeader(read: ReadRange, size: number, source: string): GgufFile {
  const c = new Cursor(read, size, source);
  if (size < 24 || c.u32('the magic') !== MAGIC)
    throw new GgufError(`${source}: not a GGUF file (it does not start with "GGUF")`);
  const version = c.u32('the version');
  if (version !== 2 && version !== 3)
    throw new GgufError(
      `${source}: GGUF version ${version}; versions 2 and 3 are read (version 1, from before August 2023, is not)`,
    );
  const tensorCount = c.count('the tensor count', MAX_COUNT);
  const kvCount = c.count('the metadata count', MAX_COUNT);
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = c.string(`metadata key ${i}`);
    if (metadata.has(key)) throw new GgufError(`${source}: metadata key "${key}" appears twice`);
    metadata.set(key, c.value(c.u32(`the type of "${key}"`), `"${key}"`));
  }
  const alignment = metadata.get('general.alignment') ?? 32;
  if (typeof alignment !== 'number' || alignment < 1 || (alignment & (alignment - 1)) !== 0)
    throw new GgufError(`${source}: general.alignment is ${String(alignment)}; it must be a power of two`);
  const infos: Array<{ name: string; shape: number[]; type: number; offset: number }> = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = c.string(`tensor ${i}'s name`);
    const dims = c.u32(`tensor "${name}"'s dimension count`);
    if (dims < 1 || dims > 4)
      throw new GgufError(`${source}: tensor "${name}" has ${dims} dimensions (1 to 4 allowed)`);
    const ne = Array.from({ length: dims }, (_, d) => c.count(`tensor "${name}"'s dimension ${d}`, 2 ** 40));
    const type = c.u32(`tensor "${name}"'s type`);
    const offset = c.count(`tensor "${name}"'s offset`, size);
    infos.push({ name, shape: ne.reverse(), type, offset });
  }
  const dataStart = Math.ceil(c.pos / alignment) * alignment;
  const tensors = new Map<string, GgufTensorInfo>();
  for (const t of infos) {
    const where = `${source}: tensor "${t.name}"`;
    if (tensors.has(t.name)) throw new GgufError(`${source}: tensor "${t.name}" appears twice`);
    if (!GGML_TYPES[t.type]) throw new GgufError(`${where} has ggml type ${ggmlTypeName(t.type)}, which is not read`);
    if (t.offset % alignment !== 0)
      throw new GgufError(`${where} starts at data offset ${t.offset}, not a multiple of the alignment ${alignment}`);
    const bytes = tensorBytes(t.type, t.shape, where);
    const start = dataStart + t.offset;
    if (start + bytes > size)
      throw new GgufError(`${where} needs bytes ${start} to ${start + bytes}, but the file has ${size}`);
    tensors.set(t.name, { name: t.name, shape: t.shape, type: t.type, start, end: start + bytes });
  }
  const sorted = [...tensors.values()].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i]!.start < sorted[i - 1]!.end)
      throw new GgufError(`${source}: tensors "${sorted[i - 1]!.name}" and "${sorted[i]!.name}" overlap`);
  return { version, metadata, tensors };
}

/** A metadata value with the GGUF type it is written as. */
export type GgufTyped =
  | { type: 'u32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'strings'; value: readonly string[] }
  | { type: 'f32s'; value: readonly number[] }
  | { type: 'i32s'; value: readonly number[] };

export interface GgufTensorToWrite {
  name: string;
  /** PyTorch's order (outermost first). */
  shape: readonly number[];
  type: number;
  data: Uint8Array;
}

/** Little-endian bytes, grown as they are written. */
class Writer {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private readonly encoder = new TextEncoder();

  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }
  u32(v: number): void {
    const at = this.room(4);
    this.view.setUint32(at, v, true);
  }
  i32(v: number): void {
    const at = this.room(4);
    this.view.setInt32(at, v, true);
  }
  u64(v: number): void {
    const at = this.room(8);
    this.view.setBigUint64(at, BigInt(v), true);
  }
  f32(v: number): void {
    const at = this.room(4);
    this.view.setFloat32(at, v, true);
  }
  bytes(b: Uint8Array): void {
    const at = this.room(b.length);
    this.buf.set(b, at);
  }
  string(s: string): void {
    const b = this.encoder.encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  pad(alignment: number): void {
    this.room((alignment - (this.length % alignment)) % alignment);
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** GGUF's value types (gguf.md) for what is written here. */
const TYPE_CODE = { u32: 4, f32: 6, bool: 7, string: 8, strings: 8, f32s: 6, i32s: 5 } as const;

function writeValue(w: Writer, v: GgufTyped): void {
  const code = TYPE_CODE[v.type];
  if (Array.isArray(v.value)) {
    w.u32(9);
    w.u32(code);
    w.u64(v.value.length);
  } else w.u32(code);
  const one = (x: number | boolean | string) => {
    if (v.type === 'u32') w.u32(x as number);
    else if (v.type === 'f32' || v.type === 'f32s') w.f32(x as number);
    else if (v.type === 'i32s') w.i32(x as number);
    else if (v.type === 'bool') w.bytes(new Uint8Array([x ? 1 : 0]));
    else w.string(x as string);
  };
  if (Array.isArray(v.value)) for (const x of v.value as ReadonlyArray<number | string>) one(x);
  else one(v.value as number | boolean | string);
}

/** A GGUF version 3 file: the metadata in order, then the tensor infos, then each tensor's data aligned. */
export function writeGguf(
  metadata: ReadonlyArray<[string, GgufTyped]>,
  tensors: readonly GgufTensorToWrite[],
): Uint8Array {
  const alignment = 32;
  const w = new Writer();
  w.u32(MAGIC);
  w.u32(3);
  w.u64(tensors.length);
  w.u64(metadata.length + 1);
  w.string('general.alignment');
  writeValue(w, { type: 'u32', value: alignment });
  for (const [key, v] of metadata) {
    w.string(key);
    writeValue(w, v);
  }
  let offset = 0;
  for (const t of tensors) {
    w.string(t.name);
    w.u32(t.shape.length);
    for (const d of [...t.shape].reverse()) w.u64(d);
    w.u32(t.type);
    w.u64(offset);
    offset += Math.ceil(t.data.length / alignment) * alignment;
  }
  w.pad(alignment);
  for (const t of tensors) {
    w.bytes(t.data);
    w.pad(alignment);
  }
  return w.done();
}
