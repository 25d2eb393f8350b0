/* The native kernels' thread pool (see pool.h). One job at a time: callers on different threads
 * (the addon loaded in several worker_threads) take turns. */
#include "pool.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
/* How long an idle worker spins before sleeping: long enough to catch the next kernel of a step. */
#define SPIN_NS 1000000

static int threads_wanted = 0, workers_started = 0;
static pthread_t workers[MAX_THREADS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;

static atomic_uint_fast64_t generation;
static pool_task job_fn;
static void *job_ctx;
static int64_t job_count;
static atomic_int_fast64_t job_next;
static atomic_int job_busy;
static atomic_int job_open;
static int job_helpers;
static _Thread_local int inside_job = 0;

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  sched_yield();
#endif
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void run_tasks(void) {
  for (;;) {
    const int64_t i = atomic_fetch_add_explicit(&job_next, 1, memory_order_relaxed);
    if (i >= job_count) return;
    job_fn(job_ctx, i);
  }
}

/* A worker joins a job by counting itself busy and then checking that the job is still open; the
 * caller closes the job once every task is claimed and waits only for workers that joined. A worker
 * that wakes late finds the job closed and goes back to waiting, so the caller never waits for a
 * sleeping thread to be scheduled. (Both sides use sequentially consistent operations: each stores
 * one flag and then reads the other's.) */
static void *worker_main(void *arg) {
  const int id = (int)(intptr_t)arg;
  uint_fast64_t seen = 0;
  inside_job = 1;
  for (;;) {
    uint_fast64_t g = atomic_load(&generation);
    if (g == seen) {
      const int64_t until = now_ns() + SPIN_NS;
      for (int spins = 0; (g = atomic_load(&generation)) == seen; spins++) {
        if ((spins & 255) == 255 && now_ns() > until) {
          pthread_mutex_lock(&mu);
          while ((g = atomic_load(&generation)) == seen) pthread_cond_wait(&wake, &mu);
          pthread_mutex_unlock(&mu);
          break;
        }
        relax();
      }
    }
    seen = g;
    atomic_fetch_add(&job_busy, 1);
    if (atomic_load(&job_open) && id < job_helpers) run_tasks();
    atomic_fetch_sub(&job_busy, 1);
  }
  return NULL;
}

int pool_threads(void) {
  if (threads_wanted == 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    threads_wanted = n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
  }
  return threads_wanted;
}

void pool_set_threads(int n) {
  threads_wanted = n < 0 ? 1 : n > MAX_THREADS ? MAX_THREADS : n;
  (void)pool_threads();
}

/* Jobs from different calling threads (the addon loaded in several worker_threads) take turns. */
static pthread_mutex_t callers = PTHREAD_MUTEX_INITIALIZER;

void pool_run(int64_t count, pool_task fn, void *ctx) {
  const int threads = pool_threads();
  if (count <= 0) return;
  if (threads <= 1 || count == 1 || inside_job) {
    for (int64_t i = 0; i < count; i++) fn(ctx, i);
    return;
  }
  pthread_mutex_lock(&callers);
  while (workers_started < threads - 1) {
    if (pthread_create(&workers[workers_started], NULL, worker_main, (void *)(intptr_t)workers_started) != 0) break;
    workers_started++;
  }
  job_fn = fn;
  job_ctx = ctx;
  job_count = count;
  job_helpers = threads - 1;
  atomic_store(&job_next, 0);
  atomic_store(&job_open, 1);
  pthread_mutex_lock(&mu);
  atomic_fetch_add(&generation, 1);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&mu);
  inside_job = 1;
  run_tasks();
  inside_job = 0;
  atomic_store(&job_open, 0);
  for (int spins = 0; atomic_load(&job_busy) != 0; spins++) {
    if (spins > 100000)
      sched_yield();
    else
      relax();
  }
  pthread_mutex_unlock(&callers);
}

typedef struct {
  pool_range_fn fn;
  void *ctx;
  int64_t n, chunk;
} Range;

static void range_task(void *p, int64_t i) {
  const Range *r = (const Range *)p;
  const int64_t begin = i * r->chunk, end = begin + r->chunk < r->n ? begin + r->chunk : r->n;
  if (begin < end) r->fn(r->ctx, begin, end);
}

void pool_range(int64_t n, int64_t grain, int64_t align, pool_range_fn fn, void *ctx) {
  if (n <= 0) return;
  int64_t parts = n / (grain > 0 ? grain : 1);
  if (parts > pool_threads()) parts = pool_threads();
  if (parts <= 1) {
    fn(ctx, 0, n);
    return;
  }
  int64_t chunk = (n + parts - 1) / parts;
  if (align > 1) chunk = (chunk + align - 1) / align * align;
  Range r = {fn, ctx, n, chunk};
  pool_run((n + chunk - 1) / chunk, range_task, &r);
}
