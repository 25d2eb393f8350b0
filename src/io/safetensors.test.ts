// safetensors: round trips, files written by PyTorch's side, and every kind of corruption the
// reader must refuse with a message naming the file and the tensor.
import { describe, expect, it } from 'vitest';
import { readSafetensors, toFloat32, writeSafetensors, SafetensorsError } from './safetensors.js';

/** Builds a file from a raw header object and data bytes, bypassing the writer's own checks. */
function rawFile(header: unknown, data: Uint8Array | number[] = [], headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('reading a fresh file in place', () => {
  const values = Float32Array.from([1.5, -2, 3, 4]);
  const file = () =>
    writeSafetensors({ a: { shape: [4], data: values }, h: { shape: [2], data: Uint16Array.of(1, 2), dtype: 'F16' } });

  it('owned bytes: aligned tensors are views of the file, not copies', () => {
    const bytes = file();
    const a = readSafetensors(bytes, 'x', true).tensors.get('a')!;
    expect(a.data.buffer).toBe(bytes.buffer);
    expect([...(a.data as Float32Array)]).toEqual([...values]);
  });

  it('bytes the caller still holds are copied: changing a tensor leaves them as they were', () => {
    const bytes = file();
    const before = bytes.slice();
    const a = readSafetensors(bytes, 'x').tensors.get('a')!;
    expect(a.data.buffer).not.toBe(bytes.buffer);
    (a.data as Float32Array)[0] = 99;
    expect(bytes).toEqual(before);
  });

  it('a tensor that starts off its alignment (a header of odd length) is copied into an aligned buffer', () => {
    // 8 + 61 header bytes: the F32 data would start at byte 69, not a multiple of 4.
    const header = JSON.stringify({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }).padEnd(61, ' ');
    const bytes = rawFile(null, new Uint8Array(values.buffer), header);
    const a = readSafetensors(bytes, 'x', true).tensors.get('a')!;
    expect(a.data.buffer).not.toBe(bytes.buffer);
    expect([...(a.data as Float32Array)]).toEqual([...values]);
  });
});

describe('safetensors round trip', () => {
  it('writes and reads every dtype, shape and metadata back exactly', () => {
    const bytes = writeSafetensors(
      {
        w: { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 4, 5, 6e-8]) },
        d: { shape: [2], data: Float64Array.from([Math.PI, -1e-300]) },
        ids: { shape: [3], data: Int32Array.from([7, -1, 2 ** 31 - 1]) },
        big: { shape: [1], data: BigInt64Array.from([-(2n ** 62n)]) },
        b: { shape: [2], data: Uint16Array.from([0x3f80, 0xc000]), dtype: 'BF16' },
        h: { shape: [2], data: Uint16Array.from([0x3c00, 0x0001]), dtype: 'F16' },
        flags: { shape: [2, 1], data: Uint8Array.from([1, 0]), dtype: 'BOOL' },
        empty: { shape: [0, 4], data: new Float32Array(0) },
        scalar: { shape: [], data: Float32Array.from([42]) },
      },
      { format: 'pt', note: 'ünïcödé' },
    );
    const { tensors, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt', note: 'ünïcödé' });
    expect([...(tensors.get('w')!.data as Float32Array)]).toEqual([...Float32Array.from([1, -2, 3.5, 4, 5, 6e-8])]);
    expect([...(tensors.get('d')!.data as Float64Array)]).toEqual([Math.PI, -1e-300]);
    expect([...(tensors.get('ids')!.data as Int32Array)]).toEqual([7, -1, 2 ** 31 - 1]);
    expect((tensors.get('big')!.data as BigInt64Array)[0]).toBe(-(2n ** 62n));
    expect([...toFloat32(tensors.get('b')!)]).toEqual([1, -2]);
    expect([...toFloat32(tensors.get('h')!)]).toEqual([1, 2 ** -24]);
    expect(tensors.get('flags')).toMatchObject({ dtype: 'BOOL', shape: [2, 1] });
    expect(tensors.get('empty')).toMatchObject({ shape: [0, 4] });
    expect(tensors.get('scalar')!.shape).toEqual([]);
    // Header padded to 8 bytes so the data section starts aligned.
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
  });
});

describe('a corrupt or hostile file is refused with a clear message', () => {
  const f32 = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['too short', new Uint8Array(5), /model\.safetensors: file is 5 bytes, too short/],
    [
      'header past the end',
      (() => {
        const b = rawFile({});
        new DataView(b.buffer).setBigUint64(0, 1000n, true);
        return b;
      })(),
      /header length 1000 runs past the end of the 10-byte file/,
    ],
    [
      'absurd header length',
      (() => {
        const b = rawFile({});
        new DataView(b.buffer).setBigUint64(0, 2n ** 60n, true);
        return b;
      })(),
      /exceeds the 100000000-byte limit/,
    ],
    ['not JSON', rawFile(null, [], '{"a": '), /header is not valid UTF-8 JSON/],
    ['JSON array', rawFile([1, 2]), /header is not a JSON object/],
    ['unknown dtype', rawFile({ x: { ...f32, dtype: 'F8' } }, new Uint8Array(8)), /tensor "x": unknown dtype "F8"/],
    [
      'negative dimension',
      rawFile({ x: { ...f32, shape: [-2] } }, new Uint8Array(8)),
      /tensor "x": shape \[-2\] is not a list of non-negative integers/,
    ],
    [
      'size mismatch',
      rawFile({ x: { ...f32, shape: [3] } }, new Uint8Array(8)),
      /tensor "x": shape \[3\] of F32 needs 12 bytes, data_offsets give 8/,
    ],
    [
      'offsets past the data',
      rawFile({ x: { ...f32, data_offsets: [4, 12] } }, new Uint8Array(8)),
      /tensor "x": data_offsets \[4, 12\] lie outside the 8-byte data section/,
    ],
    [
      'reversed offsets',
      rawFile({ x: { ...f32, data_offsets: [8, 0] } }, new Uint8Array(8)),
      /data_offsets \[8, 0\] lie outside/,
    ],
    [
      'overlapping tensors',
      rawFile({ x: f32, y: { ...f32, data_offsets: [4, 12] } }, new Uint8Array(12)),
      /tensor "y" overlaps the previous tensor/,
    ],
    [
      'a hole between tensors',
      rawFile({ x: f32, y: { ...f32, data_offsets: [12, 20] } }, new Uint8Array(20)),
      /bytes 8\.\.12 of the data section belong to no tensor/,
    ],
    [
      'trailing bytes',
      rawFile({ x: f32 }, new Uint8Array(11)),
      /bytes 8\.\.11 at the end of the data section belong to no tensor/,
    ],
    ['metadata not strings', rawFile({ __metadata__: { a: 1 } }), /__metadata__ must be an object of string values/],
    [
      'a tensor listed twice, the copies disagreeing',
      rawFile(
        null,
        new Uint8Array(8),
        '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"x":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}',
      ),
      /header has the key "x" twice; refusing to guess/,
    ],
    [
      'a field given twice',
      rawFile(null, new Uint8Array(8), '{"x":{"dtype":"F32","shape":[2],"dtype":"I32","data_offsets":[0,8]}}'),
      /header has the key "x\.dtype" twice/,
    ],
    [
      'a million empty tensors',
      rawFile(
        Object.fromEntries(
          Array.from({ length: 200_000 }, (_, i) => [`t${i}`, { dtype: 'F32', shape: [0], data_offsets: [0, 0] }]),
        ),
      ),
      /header lists 200000 tensors, more than the limit of 131072/,
    ],
    [
      'missing offsets',
      rawFile({ x: { dtype: 'F32', shape: [2] } }, new Uint8Array(8)),
      /tensor "x": data_offsets undefined is not a pair/,
    ],
  ];
  it.each(cases)('%s', (_name, bytes, message) => {
    const read = () => readSafetensors(bytes, 'model.safetensors');
    expect(read).toThrow(SafetensorsError);
    expect(read).toThrow(message);
  });

  it('does not mistake keys inside strings or nested arrays for duplicates', () => {
    const header =
      '{"__metadata__":{"a":"{\\"x\\":1,\\"x\\":2}","b":"x"},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect([...readSafetensors(rawFile(null, new Uint8Array(8), header)).tensors.keys()]).toEqual(['x']);
  });

  it('accepts a file whose tensors are listed out of byte order', () => {
    const file = rawFile({ y: { ...f32, data_offsets: [8, 16] }, x: f32 }, new Uint8Array(16));
    expect([...readSafetensors(file).tensors.keys()]).toEqual(['y', 'x']);
  });
});
