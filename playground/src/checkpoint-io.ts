// Checkpoints in and out of the page: a run downloads as one zip of the CLI's checkpoint files
// (`shareformer generate --checkpoint run.zip` reads it as is) or as a GGUF file for llama.cpp; an
// upload is a zip or the files.
import { unzipSync, zipSync } from 'fflate';
import { checkpointInZip } from 'shareformer';

export function downloadZip(name: string, files: Array<[string, Uint8Array]>): void {
  const zip = zipSync(Object.fromEntries(files.map(([f, d]) => [`${name}/${f}`, d])), { level: 0 });
  downloadBytes(`${name}.zip`, zip, 'application/zip');
}

export function downloadBytes(file: string, bytes: Uint8Array, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = file;
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
    const { label, files } = checkpointInZip(entries, zip.name);
    return { label, files: [...files] };
  }
  const files = await Promise.all(
    picked.map(async (f) => [f.name, new Uint8Array(await f.arrayBuffer())] as [string, Uint8Array]),
  );
  if (picked.length === 1 && /\.gguf$/i.test(picked[0]!.name)) return { label: picked[0]!.name, files };
  // A picked Hugging Face directory is named by its config's _name_or_path when it has one.
  const config = files.find(([f]) => f === 'config.json');
  let name: unknown;
  try {
    name = config && JSON.parse(new TextDecoder().decode(config[1]))._name_or_path;
  } catch {
    /* the Worker says what is wrong with the file */
  }
  return { label: typeof name === 'string' && name ? name : 'uploaded checkpoint', files };
}
