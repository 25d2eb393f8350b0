/* A small persistent thread pool for the native kernels: the caller plus (threads - 1) workers run
 * the tasks of one job; workers spin briefly between jobs (kernels arrive microseconds apart during
 * a training step) and then sleep. OpenBLAS itself runs single-threaded inside each task. */
#ifndef SHAREFORMER_POOL_H
#define SHAREFORMER_POOL_H
#include <stdint.h>

typedef void (*pool_task)(void *ctx, int64_t task);

/* Runs fn(ctx, 0 .. count-1), spread over the pool; returns when all are done. Nested calls and a
 * one-thread pool run inline. */
void pool_run(int64_t count, pool_task fn, void *ctx);
int pool_threads(void);
/* Sets the number of threads used from the next job on (1 .. 64); 0 means one per online CPU. */
void pool_set_threads(int n);

/* Runs fn(ctx, begin, end) over [0, n) cut into one contiguous chunk per thread, chunk boundaries
 * multiples of `align`; ranges shorter than `grain` run inline in one call. */
typedef void (*pool_range_fn)(void *ctx, int64_t begin, int64_t end);
void pool_range(int64_t n, int64_t grain, int64_t align, pool_range_fn fn, void *ctx);
#endif
