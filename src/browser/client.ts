// The page's side of the shareformer Worker: typed requests, events to listeners, and promises
// for the requests that have one answer (init, save, open, generate).
import type { GgufWeightType } from '../io/gguf/gguf-export.js';
import type { GenerationStats } from '../generate/generate.js';
import type { RunInfo, WorkerEvent, WorkerRequest } from './protocol.js';

type Listener = (event: WorkerEvent) => void;

export class WorkerClient {
  private readonly listeners = new Set<Listener>();

  constructor(private readonly worker: Worker) {
    worker.onmessage = (e: MessageEvent<WorkerEvent>) => {
      for (const l of [...this.listeners]) l(e.data);
    };
    worker.onerror = (e) => {
      const message = `the shareformer worker failed: ${e.message || 'it could not be loaded'}`;
      for (const l of [...this.listeners]) l({ type: 'error', request: 'init', message });
    };
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  send(req: WorkerRequest, transfer: Transferable[] = []): void {
    this.worker.postMessage(req, transfer);
  }

  /** Resolves with the first event `pick` accepts; rejects on an error event for the same request. */
  private ask<T>(
    req: WorkerRequest,
    pick: (e: WorkerEvent) => T | undefined,
    transfer: Transferable[] = [],
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const off = this.on((e) => {
        if (e.type === 'error' && e.request === req.type && (!('run' in req) || e.run === req.run)) {
          off();
          reject(new Error(e.message));
          return;
        }
        const value = pick(e);
        if (value !== undefined) {
          off();
          resolve(value);
        }
      });
      this.send(req, transfer);
    });
  }

  init(threads?: number): Promise<{ backend: string; threads: number; notice: string | null }> {
    return this.ask({ type: 'init', ...(threads !== undefined && { threads }) }, (e) =>
      e.type === 'ready' ? e : undefined,
    );
  }

  save(run: string): Promise<Array<[string, Uint8Array]>> {
    return this.ask({ type: 'save', run }, (e) => (e.type === 'checkpoint' && e.run === run ? e.files : undefined));
  }

  /** The run as a GGUF file for llama.cpp (refused, with the reason, for layouts it cannot hold). */
  gguf(
    run: string,
    ggufType: GgufWeightType = 'F16',
  ): Promise<{ bytes: Uint8Array; types: string[]; notes: string[] }> {
    return this.ask({ type: 'gguf', run, ggufType }, (e) => (e.type === 'gguf' && e.run === run ? e : undefined));
  }

  /**
   * Opens a checkpoint's (or a Hugging Face model's) files in the Worker. Their buffers move there
   * (the arrays are detached here): a model of hundreds of megabytes is not copied.
   */
  open(run: string, label: string, files: Array<[string, Uint8Array]>): Promise<RunInfo> {
    const buffers = [...new Set(files.map(([, d]) => d.buffer))].filter(
      (b): b is ArrayBuffer => b instanceof ArrayBuffer,
    );
    return this.ask(
      { type: 'open', run, label, files },
      (e) => (e.type === 'opened' && e.run === run ? e : undefined),
      buffers,
    );
  }

  generate(
    req: Omit<Extract<WorkerRequest, { type: 'generate' }>, 'type'>,
  ): Promise<{ text: string; stats: GenerationStats }> {
    return this.ask({ type: 'generate', ...req }, (e) => (e.type === 'generated' && e.run === req.run ? e : undefined));
  }

  terminate(): void {
    this.worker.terminate();
  }
}
