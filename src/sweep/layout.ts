// Where a sweep keeps each plan's config and each run: <out>/plans/<slug>.json and
// <out>/runs/<slug>-seed<N>. One definition, so the study script finds the runs the sweep wrote.
import { join } from 'node:path';

/** A plan label as a directory name: "share-kv=cla:2" → "share-kv-cla-2". */
export const planSlug = (label: string) => label.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-|-$/g, '') || 'plan';

export const planConfigFile = (out: string, label: string) => join(out, 'plans', `${planSlug(label)}.json`);

export const runDir = (out: string, label: string, seed: number) => join(out, 'runs', `${planSlug(label)}-seed${seed}`);
