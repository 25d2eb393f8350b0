// Checkpoint files of finished runs in IndexedDB, written and read by the Worker or the page.
import { createStore, del, get, set } from 'idb-keyval';

const store = typeof indexedDB === 'undefined' ? null : createStore('shareformer-playground-files', 'files');

export const putFiles = (run: string, files: Array<[string, Uint8Array]>): Promise<void> =>
  store ? set(run, files, store) : Promise.resolve();
export const getFiles = (run: string): Promise<Array<[string, Uint8Array]> | undefined> =>
  store ? get(run, store) : Promise.resolve(undefined);
export const deleteFiles = (run: string): Promise<void> => (store ? del(run, store) : Promise.resolve());
