// Node-only: finds and reads the fixtures shipped in the package's fixtures/ directory.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseFixture, type Fixture } from './fixture.js';

/** Works from src/ (tests) and dist/ (the CLI): both sit one level below the package root. */
export const FIXTURE_DIR = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export function loadFixture(name: string): Fixture {
  const path = FIXTURE_DIR + name;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new Error(
      `cannot read fixture ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (regenerate with npm run fixtures)`,
    );
  }
  return parseFixture(bytes, path);
}
