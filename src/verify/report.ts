// Formats comparison results as an aligned table (tests and `shareformer verify` print the same).
import type { Check } from './fixture.js';

export function formatChecks(title: string, rows: readonly Check[]): string {
  const width = Math.max(...rows.map((r) => r.check.length));
  const worst = Math.max(...rows.map((r) => r.diff));
  const lines = rows.map(
    (r) =>
      `  ${r.check.padEnd(width)}  ${r.diff.toExponential(2)}  (tolerance ${r.tolerance.toExponential(0)})${r.diff <= r.tolerance ? '' : '  FAIL'}`,
  );
  return `${title}: largest relative difference ${worst.toExponential(2)}\n${lines.join('\n')}`;
}
