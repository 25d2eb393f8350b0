// Checkpoints in and out of the page: a run downloads as one zip of the CLI's checkpoint files
// (`shareformer generate --checkpoint run.zip` reads it as is); an upload is a zip or the files.
import { unzipSync, zipSync } from 'fflate';

export function downloadZip(name: string, files: Array<[string, Uint8Array]>): void {
  const zip = zipSync(Object.fromEntries(files.map(([f, d]) => [`${name}/${f}`, d])), { level: 0 });
  const url = URL.createObjectURL(new Blob([zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `${name}.zip`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The checkpoint's files from what the user picked, with a label for error messages. */
export async function filesFromUpload(list: FileList): Promise<{ label: string; files: Array<[string, Uint8Array]> }> {
  const picked = [...list];
  if (picked.length === 1 && /\.zip$/i.test(picked[0]!.name)) {
    const zip = picked[0]!;
    let entries: Record<string, Uint8Array>;
    try {
      entries = unzipSync(new Uint8Array(await zip.arrayBuffer()));
    } catch (e) {
      throw new Error(`${zip.name}: not a readable zip archive (${(e as Error).message})`);
    }
    const configs = Object.keys(entries).filter((n) => /^([^/]+\/)?config\.json$/.test(n));
    if (configs.length !== 1)
      throw new Error(
        configs.length === 0
          ? `${zip.name}: no config.json at the top of the archive or in one folder (is this a shareformer checkpoint?)`
          : `${zip.name}: ${configs.length} checkpoints in one archive; give one`,
      );
    const prefix = configs[0]!.slice(0, -'config.json'.length);
    const files = Object.entries(entries)
      .filter(([n]) => n.startsWith(prefix) && !n.endsWith('/'))
      .map(([n, d]) => [n.slice(prefix.length), d] as [string, Uint8Array]);
    return { label: `${zip.name}:${prefix}`.replace(/[:/]$/, ''), files };
  }
  const files = await Promise.all(
    picked.map(async (f) => [f.name, new Uint8Array(await f.arrayBuffer())] as [string, Uint8Array]),
  );
  return { label: 'uploaded checkpoint', files };
}
