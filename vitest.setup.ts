// Every test runs with the buffer pool poisoning every output buffer (NaN), fresh or reused, so a kernel that
// leaves part of its output unwritten fails the comparisons instead of passing on stale values.
import { setPoolOptions } from './src/tensor/pool.js';

setPoolOptions({ poison: true });
