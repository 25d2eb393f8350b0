// Test support: prints how close each comparison came, so a passing run still shows the margins.
import type { Check } from '../verify/fixture.js';
import { formatChecks } from '../verify/report.js';

export class DiffReport {
  private rows: Check[] = [];

  constructor(private readonly title: string) {}

  /** Records the difference and returns it, so the caller's expect() shows the value on failure. */
  add(check: string, diff: number, tolerance: number): number {
    this.rows.push({ group: this.title, check, diff, tolerance });
    return diff;
  }

  print(): void {
    if (this.rows.length > 0) console.log(formatChecks(this.title, this.rows));
  }
}
