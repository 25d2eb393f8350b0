// Validation of untrusted JSON against a zod schema, with errors that name the source (a file, a
// flag, "config"), the field's path and the value found, e.g.
// `run/checkpoint/config.json: model.normEps: expected number, got "0.1"`.
import type { z } from 'zod';

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** One line per problem: "<source>: <field>: <message>, got <value>". */
export function formatIssues(source: string, root: unknown, error: z.ZodError, prefix = ''): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const field = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      const message = issue.message.replace(/^Invalid input: /, '').replace(/, received \w+$/, '');
      const got = issue.code === 'unrecognized_keys' ? '' : `, got ${describe(valueAt(root, issue.path))}`;
      return `${source}: ${field ? `${field}: ` : ''}${message}${got}`;
    })
    .join('\n');
}

/** Parses `value` with `schema` or throws a SchemaError naming the source and field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, source: string, prefix = ''): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new SchemaError(formatIssues(source, value, r.error, prefix));
}
