// Serves a Session on a Worker's message port: requests in order, except training (long: it yields
// between steps) and pause / resume / stop, which must reach a run while it trains.
import type { WorkerEvent, WorkerRequest } from './protocol.js';
import type { Session } from './session.js';

export interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

export const workerScope = (): WorkerScope => globalThis as unknown as WorkerScope;

/** A Session whose events go to this Worker's page. */
export const postToPage =
  (scope: WorkerScope = workerScope()) =>
  (event: WorkerEvent, transfer?: Transferable[]) =>
    scope.postMessage(event, transfer ?? []);

/** Handles every request arriving on `scope` with `session`; `extra` may claim a request first. */
export function serveSession(
  session: Session,
  scope: WorkerScope = workerScope(),
  extra?: (req: unknown) => boolean,
): void {
  let queue: Promise<void> = Promise.resolve();
  scope.onmessage = (e) => {
    if (extra?.(e.data)) return;
    const req = e.data as WorkerRequest;
    if (['pause', 'resume', 'stop', 'train'].includes(req.type)) void session.handle(req);
    else queue = queue.then(() => session.handle(req));
  };
}
