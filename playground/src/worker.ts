// The page's compute Worker: the library's worker entry (shareformer/worker), bundled by Vite.
import '../../src/browser/worker.js';
