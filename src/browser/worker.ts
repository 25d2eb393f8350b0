// The shareformer Web Worker (exported as `shareformer/worker`): start it as a module Worker and
// talk to it with the messages in protocol.ts, or through WorkerClient (client.ts). Compute runs
// here, never on the page's main thread, so matrix products may block on their worker threads.
import { postToPage, serveSession } from './serve.js';
import { Session } from './session.js';

serveSession(new Session(postToPage()));
