// The page's compute Worker: the library's worker session, plus one request of the page's own:
// `keep` stores a finished run's checkpoint files in IndexedDB from here, so the weights never
// pass through (or are cloned on) the page's main thread.
import { postToPage, serveSession, WorkerSession } from 'shareformer';
import { putFiles } from './files-store.js';

const toPage = postToPage();
const keeping = new Set<string>();
const session = new WorkerSession((event, transfer) => {
  if (event.type === 'checkpoint' && keeping.delete(event.run)) {
    putFiles(event.run, event.files).then(
      () => toPage({ type: 'kept', run: event.run } as never),
      (e: Error) =>
        toPage({ type: 'error', run: event.run, request: 'save', message: `keeping the run: ${e.message}` }),
    );
    return;
  }
  toPage(event, transfer);
});
serveSession(session, undefined, (req) => {
  const r = req as { type: string; run: string };
  if (r.type !== 'keep') return false;
  keeping.add(r.run);
  void session.handle({ type: 'save', run: r.run });
  return true;
});
