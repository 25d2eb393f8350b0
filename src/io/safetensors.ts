// safetensors read/write on byte arrays (no file system, so it runs in browsers too).
// The reader checks everything it trusts: header length, JSON, dtypes, shapes, offsets, overlaps
// and holes, duplicate keys and the number of tensors, and names the source and tensor in every error.
import { halfToFloat } from '../tensor/precision.js';
import { findDuplicateKey } from './json-duplicates.js';

export type Dtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const ITEM_SIZE: Record<Dtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export type TensorData =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

export interface StoredTensor {
  dtype: Dtype;
  shape: number[];
  /** F16 and BF16 come as raw Uint16Array bits; use toFloat32 to convert. */
  data: TensorData;
}

export interface SafetensorsFile {
  tensors: Map<string, StoredTensor>;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  constructor(source: string, message: string) {
    super(`${source}: ${message}`);
    this.name = 'SafetensorsError';
  }
}

/** A header larger than this is treated as corrupt rather than parsed (as the reference reader). */
const MAX_HEADER = 100_000_000;
/** More tensors than any real checkpoint has (Llama-2-70B: 723), bounding the work a header can ask for. */
export const MAX_TENSORS = 1 << 17;

/** A tensor's place in the file: its bytes are [dataStart + begin, dataStart + end). */
export interface TensorEntry {
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: Map<string, TensorEntry>;
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file. */
  dataStart: number;
}

/** The header's length, from the file's first 8 bytes (checked against the limit and the file size). */
export function headerLength(first8: Uint8Array, fileSize: number, source = 'safetensors'): number {
  if (fileSize < 8)
    throw new SafetensorsError(source, `file is ${fileSize} bytes, too short for the 8-byte header length`);
  const len = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  if (len > MAX_HEADER) throw new SafetensorsError(source, `header length ${len} exceeds the ${MAX_HEADER}-byte limit`);
  if (8 + len > fileSize)
    throw new SafetensorsError(source, `header length ${len} runs past the end of the ${fileSize}-byte file`);
  return len;
}

/**
 * Parses and checks a header (the JSON bytes after the 8-byte length) against the file's size:
 * dtypes, shapes, offsets, overlaps and holes, duplicate keys, the number of tensors. Reads no
 * tensor data, so large files can be read tensor by tensor.
 */
export function parseSafetensorsHeader(json: Uint8Array, fileSize: number, source = 'safetensors'): SafetensorsHeader {
  const fail = (msg: string): never => {
    throw new SafetensorsError(source, msg);
  };
  let header: unknown;
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
    header = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const duplicate = findDuplicateKey(text);
  if (duplicate !== null) fail(`header has the key "${duplicate}" twice; refusing to guess which entry is meant`);
  const count = Object.keys(header as object).length;
  if (count > MAX_TENSORS + 1) fail(`header lists ${count} tensors, more than the limit of ${MAX_TENSORS}`);
  const dataStart = 8 + json.length;
  const dataLen = fileSize - dataStart;
  const entries = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (
        typeof entry !== 'object' ||
        entry === null ||
        Array.isArray(entry) ||
        Object.values(entry).some((v) => typeof v !== 'string')
      ) {
        fail('__metadata__ must be an object of string values');
      }
      metadata = entry as Record<string, string>;
      continue;
    }
    entries.set(name, checkEntry(name, entry, dataLen, fail));
  }
  const spans = [...entries].sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  let cursor = 0;
  for (const [name, { begin, end }] of spans) {
    if (begin < cursor) fail(`tensor "${name}" overlaps the previous tensor (bytes ${begin}..${end})`);
    if (begin > cursor) fail(`bytes ${cursor}..${begin} of the data section belong to no tensor (before "${name}")`);
    cursor = end;
  }
  if (cursor !== dataLen) fail(`bytes ${cursor}..${dataLen} at the end of the data section belong to no tensor`);
  return { entries, metadata, dataStart };
}

function checkEntry(name: string, entry: unknown, dataLen: number, fail: (msg: string) => never): TensorEntry {
  const where = `tensor "${name}"`;
  if (typeof entry !== 'object' || entry === null) fail(`${where}: entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in ITEM_SIZE))
    fail(`${where}: unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(ITEM_SIZE).join(', ')})`);
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    fail(`${where}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || o < 0)) {
    fail(`${where}: data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLen)
    fail(`${where}: data_offsets [${begin}, ${end}] lie outside the ${dataLen}-byte data section`);
  const dt = dtype as Dtype;
  const count = (shape as number[]).reduce((p, d) => p * d, 1);
  if (count * ITEM_SIZE[dt] !== end - begin) {
    fail(
      `${where}: shape [${(shape as number[]).join(', ')}] of ${dt} needs ${count * ITEM_SIZE[dt]} bytes, data_offsets give ${end - begin}`,
    );
  }
  return { dtype: dt, shape: [...(shape as number[])], begin, end };
}

/**
 * A tensor from its raw bytes: copied into a fresh, aligned buffer, or used in place when `owned`
 * (the bytes are a buffer of their own that nothing else holds, as a file read returns).
 */
export function tensorFromBytes(entry: TensorEntry, bytes: Uint8Array, owned = false): StoredTensor {
  const whole = owned && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  // Uint8Array's slice copies; a Node Buffer's would not, so it is called explicitly.
  const raw = whole ? (bytes.buffer as ArrayBuffer) : Uint8Array.prototype.slice.call(bytes).buffer;
  return { dtype: entry.dtype, shape: [...entry.shape], data: typedView(entry.dtype, raw) };
}

/**
 * Reads a safetensors file. With `owned` (the bytes are a fresh read that nothing else holds or
 * changes), each tensor whose data is aligned for its type is a view of those bytes rather than a
 * copy: loading a 124M-parameter model then copies nothing.
 */
export function readSafetensors(bytes: Uint8Array, source = 'safetensors', owned = false): SafetensorsFile {
  const len = headerLength(bytes.subarray(0, 8), bytes.length, source);
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + len), bytes.length, source);
  const tensors = new Map<string, StoredTensor>();
  for (const [name, e] of header.entries) {
    const data = bytes.subarray(header.dataStart + e.begin, header.dataStart + e.end);
    const width = ITEM_SIZE[e.dtype];
    tensors.set(
      name,
      owned && data.byteOffset % width === 0
        ? {
            dtype: e.dtype,
            shape: [...e.shape],
            data: typedView(e.dtype, data.buffer, data.byteOffset, data.byteLength / width),
          }
        : tensorFromBytes(e, data),
    );
  }
  return { tensors, metadata: header.metadata };
}

function typedView(dtype: Dtype, buf: ArrayBufferLike, offset = 0, length?: number): TensorData {
  switch (dtype) {
    case 'F64':
      return new Float64Array(buf, offset, length);
    case 'F32':
      return new Float32Array(buf, offset, length);
    case 'F16':
    case 'BF16':
      return new Uint16Array(buf, offset, length);
    case 'I64':
      return new BigInt64Array(buf, offset, length);
    case 'I32':
      return new Int32Array(buf, offset, length);
    case 'I16':
      return new Int16Array(buf, offset, length);
    case 'I8':
      return new Int8Array(buf, offset, length);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(buf, offset, length);
  }
}

/** Converts any floating tensor to float32 (F64 rounds; F16/BF16 widen exactly). */
export function toFloat32(t: StoredTensor, name?: string): Float32Array {
  if (t.dtype === 'F32') return t.data as Float32Array;
  if (t.dtype === 'F64') return Float32Array.from(t.data as Float64Array);
  if (t.dtype === 'BF16') {
    const bits = t.data as Uint16Array;
    const u = new Uint32Array(bits.length);
    for (let i = 0; i < bits.length; i++) u[i] = bits[i]! << 16;
    return new Float32Array(u.buffer);
  }
  if (t.dtype === 'F16') return Float32Array.from(t.data as Uint16Array, halfToFloat);
  throw new Error(`toFloat32: dtype ${t.dtype} is not a floating type${name ? ` (tensor "${name}")` : ''}`);
}

function dtypeOf(data: TensorData, declared?: Dtype): Dtype {
  if (declared) return declared;
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Uint8Array) return 'U8';
  throw new Error('writeSafetensors: Uint16Array data needs an explicit dtype (F16 or BF16)');
}

export interface TensorToWrite {
  shape: readonly number[];
  data: TensorData;
  dtype?: Dtype;
}

/** Serialises tensors (wider types first, so every tensor stays aligned) with an 8-byte-padded header. */
/**
 * The 8-byte length and the space-padded JSON header for tensors written in this order, back to
 * back (so a large file can be written one tensor at a time); `dataBytes` is the data's length.
 */
export function safetensorsHeader(
  entries: ReadonlyArray<{ name: string; dtype: Dtype; shape: readonly number[] }>,
  metadata?: Record<string, string>,
): Uint8Array & { dataBytes: number } {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const e of entries) {
    const len = e.shape.reduce((p, d) => p * d, 1) * ITEM_SIZE[e.dtype];
    header[e.name] = { dtype: e.dtype, shape: [...e.shape], data_offsets: [offset, offset + len] };
    offset += len;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded) as Uint8Array & { dataBytes: number };
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.fill(0x20, 8, 8 + padded);
  out.set(json, 8);
  out.dataBytes = offset;
  return out;
}

export function writeSafetensors(
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
): Uint8Array {
  const entries = Object.entries(tensors).map(([name, t]) => {
    const dtype = dtypeOf(t.data, t.dtype);
    const count = t.shape.reduce((p, d) => p * d, 1);
    if (count !== t.data.length)
      throw new Error(
        `writeSafetensors: tensor "${name}" has ${t.data.length} elements but shape [${t.shape.join(', ')}]`,
      );
    return { name, dtype, shape: [...t.shape], data: t.data };
  });
  entries.sort((a, b) => ITEM_SIZE[b.dtype] - ITEM_SIZE[a.dtype]);
  const head = safetensorsHeader(entries, metadata);
  const out = new Uint8Array(head.length + head.dataBytes);
  out.set(head);
  const padded = head.length - 8;
  let pos = 8 + padded;
  for (const e of entries) {
    out.set(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength), pos);
    pos += e.data.byteLength;
  }
  return out;
}
