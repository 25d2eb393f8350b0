// The shareformer Web Worker (exported as `shareformer/worker`): start it as a module Worker and
// talk to it with the messages in protocol.ts, or through WorkerClient (client.ts). Compute runs
// here, never on the page's main thread, so matrix products may block on their worker threads.
import type { WorkerEvent, WorkerRequest } from './protocol.js';
import { Session } from './session.js';

interface WorkerScope {
  onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerEvent, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
const session = new Session((event, transfer) => scope.postMessage(event, transfer ?? []));
// Requests are handled in order; a training run yields between steps, so pause/stop get through.
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (e) => {
  const req = e.data;
  if (req.type === 'pause' || req.type === 'resume' || req.type === 'stop') void session.handle(req);
  else if (req.type === 'train')
    void session.handle(req); // long: must not block the queue behind it
  else queue = queue.then(() => session.handle(req));
};
