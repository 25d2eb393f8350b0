// Node-only: reads the training text named on the command line: a file, a directory of text
// files, or a built-in synthetic corpus (synthetic:NAME).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SYNTHETIC, syntheticText } from '../text/synthetic.js';

export interface Corpus {
  text: string;
  /** What the user named, for messages and the checkpoint. */
  source: string;
}

export class CorpusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorpusError';
  }
}

const TEXT_FILE = /\.(txt|md|text|csv|json|jsonl|py|js|ts|c|h|html|xml|tex)$/i;

function readText(path: string): string {
  const bytes = readFileSync(path);
  if (bytes.includes(0)) throw new CorpusError(`${path}: contains NUL bytes; this looks like a binary file, not text`);
  return bytes.toString('utf8');
}

export function readCorpus(spec: string): Corpus {
  if (spec.startsWith('synthetic:')) {
    const name = spec.slice('synthetic:'.length);
    if (!SYNTHETIC[name])
      throw new CorpusError(
        `unknown synthetic corpus "${name}" (known: ${Object.keys(SYNTHETIC)
          .map((n) => `synthetic:${n}`)
          .join(', ')})`,
      );
    return { text: syntheticText(name), source: spec };
  }
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(spec);
  } catch {
    throw new CorpusError(
      `${spec}: no such file or directory (give a text file, a directory of .txt files, or synthetic:${Object.keys(SYNTHETIC).join('|')})`,
    );
  }
  let text: string;
  if (st.isDirectory()) {
    const files = readdirSync(spec)
      .filter((f) => TEXT_FILE.test(f))
      .sort()
      .map((f) => join(spec, f))
      .filter((f) => statSync(f).isFile());
    if (files.length === 0) throw new CorpusError(`${spec}: the directory has no text files (.txt, .md, ...)`);
    text = files.map(readText).join('\n');
  } else {
    text = readText(spec);
  }
  if (text.trim().length === 0) throw new CorpusError(`${spec}: the text is empty`);
  return { text, source: spec };
}
