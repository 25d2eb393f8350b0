// PyTorch checkpoints (pytorch_model.bin: what torch.save writes since 1.6) read as a list of
// tensors without running any code. The file is a zip archive whose entries are stored, not
// compressed: `<dir>/data.pkl` is a pickle of the state dict, `<dir>/data/<key>` each storage's raw
// bytes. The pickle is read by a small stack machine that knows only the opcodes torch.save emits
// and builds only state dicts and tensor references; any other global (the way a pickle runs code)
// is refused by name. Each tensor comes back as a byte range of the file, so a 24 GB checkpoint is
// read tensor by tensor like a safetensors file. Runs in browsers: it parses bytes it is given.
import type { Dtype, TensorEntry } from './safetensors.js';

export class TorchPickleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TorchPickleError';
  }
}

/** Reads `[start, end)` of the file. */
export type ReadRange = (start: number, end: number) => Uint8Array;

interface ZipEntry {
  name: string;
  /** Where the entry's bytes start in the file, and how many there are. */
  start: number;
  size: number;
}

const u16 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const u64 = (b: Uint8Array, at: number) => u32(b, at) + u32(b, at + 4) * 2 ** 32;

/** The zip's entries from its central directory (zip64 too: checkpoints past 4 GB). */
function zipEntries(read: ReadRange, size: number, where: string): Map<string, ZipEntry> {
  const tailStart = Math.max(0, size - 22 - 65535);
  const tail = read(tailStart, size);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--)
    if (u32(tail, i) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) {
    const head = read(0, Math.min(2, size));
    const legacy = head[0] === 0x80; // a bare pickle: torch.save(..., _use_new_zipfile_serialization=False)
    throw new TorchPickleError(
      legacy
        ? `${where}: PyTorch's legacy (before 1.6) serialization, which shareformer does not read: re-save it with torch.save (or save_pretrained with safe_serialization=True)`
        : `${where}: not a zip archive (PyTorch checkpoints since 1.6 are)`,
    );
  }
  let count = u16(tail, eocd + 10),
    dirSize = u32(tail, eocd + 12),
    dirStart = u32(tail, eocd + 16);
  if (dirStart === 0xffffffff || count === 0xffff) {
    const loc = eocd - 20;
    if (loc < 0 || u32(tail, loc) !== 0x07064b50)
      throw new TorchPickleError(`${where}: a zip64 archive without its locator`);
    const rec = u64(tail, loc + 8);
    const z = read(rec, rec + 56);
    if (u32(z, 0) !== 0x06064b50) throw new TorchPickleError(`${where}: zip64 end record not found`);
    count = u64(z, 32);
    dirSize = u64(z, 40);
    dirStart = u64(z, 48);
  }
  const dir = read(dirStart, dirStart + dirSize);
  const entries = new Map<string, ZipEntry>();
  for (let at = 0, n = 0; n < count; n++) {
    if (u32(dir, at) !== 0x02014b50) throw new TorchPickleError(`${where}: damaged zip central directory (entry ${n})`);
    const method = u16(dir, at + 10);
    let compressed = u32(dir, at + 20),
      plain = u32(dir, at + 24),
      local = u32(dir, at + 42);
    const nameLen = u16(dir, at + 28),
      extraLen = u16(dir, at + 30),
      commentLen = u16(dir, at + 32);
    const name = new TextDecoder().decode(dir.subarray(at + 46, at + 46 + nameLen));
    // Zip64: the 32-bit fields that overflowed are 0xFFFFFFFF and come, in this order, from extra field 1.
    for (let e = at + 46 + nameLen; e < at + 46 + nameLen + extraLen; e += 4 + u16(dir, e + 2)) {
      if (u16(dir, e) !== 1) continue;
      let f = e + 4;
      if (plain === 0xffffffff) (plain = u64(dir, f)), (f += 8);
      if (compressed === 0xffffffff) (compressed = u64(dir, f)), (f += 8);
      if (local === 0xffffffff) local = u64(dir, f);
    }
    if (method !== 0)
      throw new TorchPickleError(
        `${where}: entry ${name} is compressed (method ${method}); torch.save stores them uncompressed`,
      );
    const header = read(local, local + 30);
    if (u32(header, 0) !== 0x04034b50) throw new TorchPickleError(`${where}: entry ${name} has no local header`);
    entries.set(name, { name, start: local + 30 + u16(header, 26) + u16(header, 28), size: plain });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

const STORAGE_DTYPES: Record<string, Dtype> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};
const ITEM: Record<Dtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

class Global {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  toString() {
    return `${this.module}.${this.name}`;
  }
}
class Storage {
  constructor(
    readonly dtype: Dtype,
    readonly key: string,
  ) {}
}
/** What _rebuild_tensor_v2 makes: a view of a storage. */
class TensorRef {
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}
const MARK = Symbol('mark');

/** The globals torch.save's state dicts use; everything else is refused (it would run code). */
function call(fn: unknown, args: unknown[], where: string): unknown {
  const name = fn instanceof Global ? fn.toString() : String(fn);
  switch (name) {
    case 'collections.OrderedDict':
      return new Map<string, unknown>();
    case 'torch._utils._rebuild_tensor_v2':
    case 'torch._utils._rebuild_tensor': {
      const [storage, offset, shape, stride] = args as [Storage, number, number[], number[]];
      if (!(storage instanceof Storage)) throw new TorchPickleError(`${where}: a tensor without a storage`);
      return new TensorRef(storage, offset, [...shape], [...stride]);
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return args[0];
    case '_codecs.encode':
      return args[0];
    default:
      throw new TorchPickleError(
        `${where}: the pickle calls ${name}, which a state dict of tensors does not need; shareformer runs no code from checkpoints`,
      );
  }
}

/** Runs the pickle's opcodes that torch.save emits (protocols 2 and 4); returns the top object. */
function unpickle(b: Uint8Array, where: string): unknown {
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const text = (from: number, n: number) => new TextDecoder().decode(b.subarray(from, from + n));
  const popMark = () => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw new TorchPickleError(`${where}: pickle MARK missing`);
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const line = (at: number) => {
    const end = b.indexOf(10, at);
    return [text(at, end - at), end + 1] as const;
  };
  const setItems = (target: unknown, kv: unknown[]) => {
    for (let i = 0; i < kv.length; i += 2) {
      if (target instanceof Map) target.set(String(kv[i]), kv[i + 1]);
      else if (target && typeof target === 'object') (target as Record<string, unknown>)[String(kv[i])] = kv[i + 1];
    }
  };
  let at = 0;
  for (;;) {
    if (at >= b.length) throw new TorchPickleError(`${where}: pickle ends without STOP`);
    const op = b[at++]!;
    switch (op) {
      case 0x80: // PROTO
        at++;
        break;
      case 0x95: // FRAME
        at += 8;
        break;
      case 0x2e: // STOP
        return stack.pop();
      case 0x7d: // EMPTY_DICT
        stack.push({});
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x58: {
        // BINUNICODE
        const n = dv.getUint32(at, true);
        stack.push(text(at + 4, n));
        at += 4 + n;
        break;
      }
      case 0x8c: // SHORT_BINUNICODE
      case 0x55: // SHORT_BINSTRING
      case 0x43: {
        // SHORT_BINBYTES
        const n = b[at]!;
        stack.push(text(at + 1, n));
        at += 1 + n;
        break;
      }
      case 0x54: // BINSTRING
      case 0x42: {
        // BINBYTES
        const n = dv.getUint32(at, true);
        stack.push(text(at + 4, n));
        at += 4 + n;
        break;
      }
      case 0x8d: // BINUNICODE8
      case 0x8e: {
        // BINBYTES8
        const n = Number(dv.getBigUint64(at, true));
        stack.push(text(at + 8, n));
        at += 8 + n;
        break;
      }
      case 0x4a: // BININT
        stack.push(dv.getInt32(at, true));
        at += 4;
        break;
      case 0x4b: // BININT1
        stack.push(b[at++]);
        break;
      case 0x4d: // BININT2
        stack.push(dv.getUint16(at, true));
        at += 2;
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement of n bytes
        const n = b[at++]!;
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i]!);
        if (n > 0 && b[at + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(Number(v));
        at += n;
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        stack.push(dv.getFloat64(at, false));
        at += 8;
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x74: // TUPLE
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([stack.pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const y = stack.pop();
        stack.push([stack.pop(), y]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const z = stack.pop(),
          y = stack.pop();
        stack.push([stack.pop(), y, z]);
        break;
      }
      case 0x64: {
        // DICT
        const d = {};
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = stack.pop(),
          k = stack.pop();
        setItems(stack[stack.length - 1], [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark();
        setItems(stack[stack.length - 1], kv);
        break;
      }
      case 0x61: {
        // APPEND
        const v = stack.pop();
        (stack[stack.length - 1] as unknown[]).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        (stack[stack.length - 1] as unknown[]).push(...items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(b[at++]!, stack[stack.length - 1]);
        break;
      case 0x72: // LONG_BINPUT
        memo.set(dv.getUint32(at, true), stack[stack.length - 1]);
        at += 4;
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, stack[stack.length - 1]);
        break;
      case 0x68: // BINGET
        stack.push(memo.get(b[at++]!));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memo.get(dv.getUint32(at, true)));
        at += 4;
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const [module, a1] = line(at);
        const [name, a2] = line(a1);
        at = a2;
        stack.push(new Global(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = String(stack.pop());
        stack.push(new Global(String(stack.pop()), name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = stack.pop() as unknown[];
        stack.push(call(stack.pop(), args, where));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = stack.pop() as unknown[];
        stack.push(call(stack.pop(), args, where));
        break;
      }
      case 0x62: // BUILD: state of an OrderedDict (its _metadata) or a parameter; nothing a tensor needs
        stack.pop();
        break;
      case 0x51: {
        // BINPERSID: ('storage', storage type, key, location, numel)
        const pid = stack.pop() as unknown[];
        const type = pid[1] instanceof Global ? pid[1].name : String(pid[1]);
        const dtype = STORAGE_DTYPES[type];
        if (pid[0] !== 'storage' || !dtype)
          throw new TorchPickleError(`${where}: storage of type ${type}, which shareformer does not read`);
        stack.push(new Storage(dtype, String(pid[2])));
        break;
      }
      default:
        throw new TorchPickleError(
          `${where}: pickle opcode 0x${op.toString(16)} at byte ${at - 1}, which torch.save does not write`,
        );
    }
  }
}

/** A tensor of a PyTorch checkpoint: its dtype, shape and byte range in the file. */
export interface TorchTensorEntry extends TensorEntry {}

/** The tensors of a PyTorch zip checkpoint holding a state dict (name → tensor), as byte ranges of the file. */
export function readTorchCheckpoint(read: ReadRange, size: number, where: string): Map<string, TorchTensorEntry> {
  const entries = zipEntries(read, size, where);
  const pkl = [...entries.keys()].find((n) => n.endsWith('/data.pkl') || n === 'data.pkl');
  if (!pkl) throw new TorchPickleError(`${where}: no data.pkl in the archive (not a torch.save checkpoint)`);
  const dir = pkl.slice(0, -'data.pkl'.length);
  const order = entries.get(`${dir}byteorder`);
  if (order && new TextDecoder().decode(read(order.start, order.start + order.size)).trim() !== 'little')
    throw new TorchPickleError(`${where}: saved big-endian; shareformer reads little-endian checkpoints`);
  const p = entries.get(pkl)!;
  const root = unpickle(read(p.start, p.start + p.size), where);
  // A state dict, or a dict holding one (some training scripts save {"model": state_dict, ...}).
  const dict = root instanceof Map ? root : root && typeof root === 'object' ? new Map(Object.entries(root)) : null;
  if (!dict) throw new TorchPickleError(`${where}: holds ${JSON.stringify(root)}, not a state dict`);
  const out = new Map<string, TorchTensorEntry>();
  for (const [name, t] of dict) {
    if (!(t instanceof TensorRef)) continue;
    const item = ITEM[t.storage.dtype];
    // Row-major strides: the tensor is one run of its storage's bytes.
    let want = 1;
    for (let i = t.shape.length - 1; i >= 0; i--) {
      if (t.shape[i]! > 1 && t.stride[i] !== want)
        throw new TorchPickleError(
          `${where}: tensor "${name}" is stored as a strided view (shape [${t.shape.join(', ')}], strides [${t.stride.join(', ')}]); re-save it contiguous`,
        );
      want *= t.shape[i]!;
    }
    const data = entries.get(`${dir}data/${t.storage.key}`);
    if (!data)
      throw new TorchPickleError(
        `${where}: tensor "${name}" refers to storage ${t.storage.key}, which is not in the archive`,
      );
    const begin = data.start + t.offset * item,
      end = begin + want * item;
    if (end > data.start + data.size)
      throw new TorchPickleError(`${where}: tensor "${name}" runs past the end of its storage ${t.storage.key}`);
    out.set(name, { dtype: t.storage.dtype, shape: t.shape, begin, end });
  }
  if (out.size === 0) throw new TorchPickleError(`${where}: no tensors in the state dict`);
  return out;
}
