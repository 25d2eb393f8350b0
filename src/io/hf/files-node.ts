// Node-only: a model directory as an HfFileReader that reads byte ranges with pread, so a large
// safetensors file is read one tensor at a time and never whole.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HfFileReader } from './model.js';

export function directoryReader(dir: string): HfFileReader & { close(): void } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: no such directory`);
  const fds = new Map<string, number>();
  const fd = (file: string) => {
    let f = fds.get(file);
    if (f === undefined) {
      f = openSync(join(dir, file), 'r');
      fds.set(file, f);
    }
    return f;
  };
  return {
    source: dir,
    freshReads: true,
    has: (file) => existsSync(join(dir, file)),
    size: (file) => statSync(join(dir, file)).size,
    read(file, start, end) {
      const out = new Uint8Array(end - start);
      let off = 0;
      while (off < out.length) {
        const n = readSync(fd(file), out, off, out.length - off, start + off);
        if (n === 0) throw new Error(`${join(dir, file)}: ended after ${start + off} bytes while reading to ${end}`);
        off += n;
      }
      return out;
    },
    close() {
      for (const f of fds.values()) closeSync(f);
      fds.clear();
    },
  };
}
