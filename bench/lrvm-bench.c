/* lrvm-bench.c -- throughput and recovery benchmarks of liblrvm, each
   shown beside the physical limit measured in the same run: durable
   commits against a bare pwrite-and-flush loop, group commit against
   the same loop writing four records at a time and against a bare
   group commit of four threads (the wake-ups and flushes that any
   group commit pays on the machine, without the library), no-flush commits
   with and without automatic truncation, and recovery time.
   No-flush commits at the default threshold are timed over a store's
   second truncation cycle (the steady state, the log's space reused)
   and, apart, over its first (the log file growing), on the main
   segment and on a cache-resident 1 MiB one; their physical limit is
   shown without and with the copy of old values that an abortable
   transaction needs.  Two threads making no-flush commits at once,
   each on a 1 MiB segment, are shown beside one thread alone, and one
   thread's beside the same in a store with 1000 other segments mapped.

   Usage: lrvm-bench [-v] [-t SECONDS] [-r REPEATS] [-n COUNT]
                     [-N N1,N2,...] [-s BYTES] [BENCHMARK...]
   Run lrvm-bench -h for the benchmarks.  The stores live in a fresh
   directory under $LRVM_BENCH_DIR, else $TMPDIR, else /tmp, removed
   afterwards.  */

#include <config.h>

#include "lrvm-internal.h"      /* lrvm.h, format.h, the log's sizes */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Bytes of each segment: 16 MiB unless -s says otherwise.  */
static size_t seg_size = (size_t) 16 << 20;
/* The segment of the cache-resident no-flush rows, whatever -s says.  */
#define CACHE_SEG_SIZE ((size_t) 1 << 20)
#define RANGE 100                       /* bytes of each modified range */
#define RANGES 2                        /* ranges per transaction */
#define THREADS 4                       /* group commit benchmark */
#define RAW_FILE_SIZE ((uint64_t) 16 << 20)
#define HUGE_THRESHOLD ((uint64_t) 1 << 50)
#define MAX_REPEATS 15
#define MAX_SIZES 8

/* The benchmarks, as bits of a set.  */
enum
{
  B_LIB = 1, B_RAW = 2, B_GROUP = 4, B_NF_DEFAULT = 8, B_NF_HUGE = 16,
  B_NF_NORESTORE = 32, B_MEMORY = 64, B_RECOVERY = 128, B_NF_CACHE = 256,
  B_NF_PAIR = 512, B_SEGMENTS = 1024
};
#define MANY_SEGMENTS 1000      /* segments benchmark */
#define B_NOFLUSH (B_NF_DEFAULT | B_NF_CACHE | B_NF_HUGE | B_NF_NORESTORE \
                   | B_MEMORY | B_NF_PAIR)

/* Segment names, all of one length, so that every record has the same
   size (record_bytes).  */
static const char *const seg_names[THREADS] = {
  "bench0", "bench1", "bench2", "bench3"
};

static double opt_seconds = 1.5;        /* per measured run */
static int opt_repeats = 3;
static long opt_count;                  /* commits per run, if > 0 */
static int opt_verbose;
static long opt_recovery[MAX_SIZES + 1] = { 10000, 100000, 0 };
static char *base_dir;                  /* holds every store */
static double record_avg;               /* record bytes per commit */
static int store_serial;

/* ------------------------------------------------------------------ */
/* Helpers.  */

static void remove_tree (const char *path);

/* Report a failure, remove the stores and exit with status 2.  */
static void
die (const char *fmt, ...)
{
  va_list ap;

  fflush (stdout);
  fputs ("lrvm-bench: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  if (base_dir != NULL)
    remove_tree (base_dir);
  exit (2);
}

static void
check_rvm (int r, const char *what)
{
  if (r != 0)
    die ("%s: %s (%s)", what, rvm_strerror (r), rvm_errmsg ());
}

/* The time of day, the clock of pthread_cond_timedwait by default.  */
static double
wall_now (void)
{
  struct timeval tv;

  gettimeofday (&tv, NULL);
  return (double) tv.tv_sec + (double) tv.tv_usec * 1e-6;
}

/* Seconds of the monotonic clock where there is one.  */
static double
now (void)
{
#ifdef HAVE_CLOCK_GETTIME
  struct timespec ts;
  if (clock_gettime (CLOCK_MONOTONIC, &ts) == 0)
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
#endif
  return wall_now ();
}

/* xorshift64*: a fast generator for the offsets.  */
static uint64_t
next_random (uint64_t *state)
{
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545f4914f6cdd1dULL;
}

/* Remove directory PATH and everything in it.  */
static void
remove_tree (const char *path)
{
  DIR *d = opendir (path);
  struct dirent *e;
  struct stat st;
  char name[4096];

  if (d == NULL)
    return;
  while ((e = readdir (d)) != NULL)
    {
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      snprintf (name, sizeof name, "%s/%s", path, e->d_name);
      if (lstat (name, &st) == 0 && S_ISDIR (st.st_mode))
        remove_tree (name);
      else if (unlink (name) != 0)
        fprintf (stderr, "lrvm-bench: cannot remove %s: %s\n", name,
                 strerror (errno));
    }
  closedir (d);
  if (rmdir (path) != 0)
    fprintf (stderr, "lrvm-bench: cannot remove %s: %s\n", path,
             strerror (errno));
}

/* A fresh, empty directory for one run.  */
static char *
fresh_dir (void)
{
  char *p = malloc (strlen (base_dir) + 32);

  if (p == NULL)
    die ("out of memory");
  sprintf (p, "%s/run%d", base_dir, ++store_serial);
  if (mkdir (p, 0700) != 0)
    die ("cannot create %s: %s", p, strerror (errno));
  return p;
}

static void
drop_dir (char *p)
{
  remove_tree (p);
  free (p);
}

/* The bytes of the log record of one benchmark transaction: a record
   header, then per range an entry header, the padded segment name and
   the padded data (lib/format.h).  */
static size_t
record_bytes (void)
{
  return LRVM_REC_HDR_SIZE
         + RANGES * (LRVM_ENT_HDR_SIZE + LRVM_PAD8 (strlen (seg_names[0]))
                     + LRVM_PAD8 (RANGE));
}

/* The flush call of the library (lib/sync.c, lrvm__flush), chosen by
   the same config.h macros.  */
static int
flush_fd (int fd)
{
  int r;

  do
    {
#if defined LRVM_SYNC_FULLFSYNC
      r = fcntl (fd, F_FULLFSYNC);
      if (r != 0 && (errno == ENOTTY || errno == ENOTSUP || errno == EINVAL))
        r = fsync (fd);
#elif defined LRVM_SYNC_FDATASYNC
      r = fdatasync (fd);
#else
      r = fsync (fd);
#endif
    }
  while (r != 0 && errno == EINTR);
  return r;
}

static const char *
flush_name (void)
{
#if defined LRVM_SYNC_FULLFSYNC
  return "fcntl (F_FULLFSYNC)";
#elif defined LRVM_SYNC_FDATASYNC
  return "fdatasync";
#else
  return "fsync";
#endif
}

static void
write_all (int fd, const void *buf, size_t len, uint64_t off)
{
  while (len > 0)
    {
      ssize_t n = pwrite (fd, buf, len, (off_t) off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        die ("pwrite: %s", n < 0 ? strerror (errno) : "wrote nothing");
      buf = (const char *) buf + n;
      len -= (size_t) n;
      off += (uint64_t) n;
    }
}

/* Write bytes [0, SIZE) of FD from CHUNK, LEN bytes at a time (the
   last write shorter), then flush them.  */
static void
fill_file (int fd, const void *chunk, size_t len, uint64_t size)
{
  uint64_t off;

  for (off = 0; off < size; off += len)
    write_all (fd, chunk, size - off < len ? (size_t) (size - off) : len,
               off);
  if (flush_fd (fd) != 0)
    die ("%s: %s", flush_name (), strerror (errno));
}

/* Create DIR/NAME of SIZE bytes of real zero blocks, flushed, as the
   library preallocates its log; return its descriptor.  */
static int
zero_file (const char *dir, const char *name, uint64_t size)
{
  static const unsigned char zeros[65536];
  char path[4096];
  int fd;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  fd = open (path, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0)
    die ("cannot create %s: %s", path, strerror (errno));
  fill_file (fd, zeros, sizeof zeros, size);
  return fd;
}

/* The results of the runs of one measurement.  */
struct series
{
  double v[MAX_REPEATS];
  int n;
};

static void
add (struct series *s, double v)
{
  s->v[s->n++] = v;
}

/* Add NUM / DEN to S, if both were measured (a benchmark that did not
   run leaves 0).  */
static void
add_ratio (struct series *s, double num, double den)
{
  if (num > 0 && den > 0)
    add (s, num / den);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (const struct series *s)
{
  double v[MAX_REPEATS];

  if (s->n == 0)
    return 0;
  memcpy (v, s->v, (size_t) s->n * sizeof *v);
  qsort (v, (size_t) s->n, sizeof *v, cmp_double);
  return s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
}

static double
smin (const struct series *s)
{
  double m = s->v[0];
  int i;

  for (i = 1; i < s->n; i++)
    if (s->v[i] < m)
      m = s->v[i];
  return m;
}

static double
smax (const struct series *s)
{
  double m = s->v[0];
  int i;

  for (i = 1; i < s->n; i++)
    if (s->v[i] > m)
      m = s->v[i];
  return m;
}

/* The writes of one truncation by checkpoint, at their physical cost:
   BLOCKS 4 KiB blocks written twice, once as the checkpoint (into the
   log) and once into the segment file, each time in one sequential
   pass of 1 MiB writes over a file of zero blocks, then flushed.  The
   library also writes the log header between them; this counts only
   the blocks.  Seconds.  */
static double
run_truncation_writes (double blocks)
{
  static unsigned char chunk[1 << 20];
  char *dir = fresh_dir ();
  uint64_t len = (uint64_t) blocks * 4096;
  int fd[2];
  double t0, t;

  memset (chunk, 0x5a, sizeof chunk);
  fd[0] = zero_file (dir, "log", len);
  fd[1] = zero_file (dir, seg_names[0], len);
  t0 = now ();
  fill_file (fd[0], chunk, sizeof chunk, len);
  fill_file (fd[1], chunk, sizeof chunk, len);
  t = now () - t0;
  close (fd[0]);
  close (fd[1]);
  drop_dir (dir);
  return t;
}

/* ------------------------------------------------------------------ */
/* The workload: a thread committing transactions on its segment.  */

struct worker
{
  rvm_t rvm;
  void *base;
  size_t size;                  /* bytes of the segment at BASE */
  unsigned int begin_flags;
  unsigned int commit_flags;
  uint64_t rng;
  double secs;                  /* run this long, */
  long count;                   /* or this many commits if > 0, */
  int cycle;                    /* or until an automatic truncation */
  long done;                    /* commits in the measured window */
  double t0, t1;
  double last_batch;            /* CYCLE: seconds of the last 64 commits,
                                   those that ran the truncation */
};

/* One transaction: two RANGE-byte ranges at random offsets of the
   segment, declared with rvm_modify and changed, then committed.  */
static void
one_transaction (struct worker *w)
{
  unsigned char *mem = w->base;
  trans_t tid;
  int i;

  check_rvm (rvm_begin (w->rvm, 1, &w->base, w->begin_flags, &tid),
             "rvm_begin");
  for (i = 0; i < RANGES; i++)
    {
      uint64_t x = next_random (&w->rng);
      size_t off = (size_t) (x % (w->size - RANGE));
      check_rvm (rvm_modify (tid, w->base, off, RANGE), "rvm_modify");
      memset (mem + off, (int) (x >> 56), RANGE);
    }
  check_rvm (rvm_commit (tid, w->commit_flags), "rvm_commit");
}

static uint64_t
truncations (rvm_t rvm)
{
  struct rvm_statistics st;

  check_rvm (rvm_stats (rvm, &st, sizeof st), "rvm_stats");
  return st.truncations;
}

/* Run W's measured window: COUNT commits, or commits for SECS seconds,
   or (CYCLE) every commit until an automatic truncation has run, in
   batches of 64 timed apart.  A no-flush run ends with rvm_flush,
   inside the window.  */
static void *
worker_run (void *arg)
{
  struct worker *w = arg;
  long i, n = 0;
  uint64_t tr = w->cycle ? truncations (w->rvm) : 0;
  double deadline;

  w->t0 = now ();
  deadline = w->t0 + w->secs;
  if (w->count > 0)
    for (n = 0; n < w->count; n++)
      one_transaction (w);
  else if (w->cycle)
    {
      uint64_t seen;
      do
        {
          /* Truncation runs inside a commit: look for it every 64.  */
          double b0 = now ();
          for (i = 0; i < 64; i++)
            one_transaction (w);
          n += 64;
          seen = truncations (w->rvm);
          w->last_batch = now () - b0;
        }
      while (seen == tr);
    }
  else if (w->commit_flags & RVM_NO_FLUSH)
    do
      {
        /* No-flush commits take about a microsecond: look at the clock
           every 64.  */
        for (i = 0; i < 64; i++)
          one_transaction (w);
        n += 64;
      }
    while (now () < deadline);
  else
    do
      {
        one_transaction (w);
        n++;
      }
    while (now () < deadline);
  /* Make the window's commits durable inside it.  A cycle's window
     ends with the truncation that did so (all but the few commits
     after it in the last 64): no rvm_flush, which would only write
     the log's abandoned records, left in the page cache by a
     truncation by checkpoint.  */
  if ((w->commit_flags & RVM_NO_FLUSH) && !(w->cycle && w->count == 0))
    check_rvm (rvm_flush (w->rvm), "rvm_flush");
  w->t1 = now ();
  w->done = n;
  return NULL;
}

static rvm_t
open_store (const char *dir, uint64_t threshold)
{
  struct rvm_options o;
  rvm_t rvm;

  rvm_options_init (&o);
  if (threshold != 0)
    o.truncate_threshold = threshold;
  check_rvm (rvm_open (dir, &o, &rvm), "rvm_open");
  return rvm;
}

static void *
map_segment (rvm_t rvm, const char *name, size_t size)
{
  void *base;

  check_rvm (rvm_map_segment (rvm, name, size, &base, NULL),
             "rvm_map_segment");
  return base;
}

/* Touch every page of the SIZE-byte segment at BASE through the
   library: one no-flush transaction rewrites a byte of each page with
   its own value.  The caller then truncates the log.  The measured
   commits find the segment's memory resident and private, as in a
   program that has run for a while, instead of paying a first-touch
   page fault or two for each range.  */
static void
warm_segment (rvm_t rvm, void *base, size_t size)
{
  volatile unsigned char *mem = base;
  size_t off, page = (size_t) sysconf (_SC_PAGESIZE);
  trans_t tid;

  if (page == 0 || page > size)
    page = 4096;
  check_rvm (rvm_begin (rvm, 1, &base, RVM_NO_RESTORE, &tid), "rvm_begin");
  check_rvm (rvm_modify (tid, base, 0, size), "rvm_modify");
  for (off = 0; off < size; off += page)
    mem[off] = mem[off];
  check_rvm (rvm_commit (tid, RVM_NO_FLUSH), "rvm_commit");
}

static void
get_stats (rvm_t rvm, struct rvm_statistics *st)
{
  check_rvm (rvm_stats (rvm, st, sizeof *st), "rvm_stats");
}

/* N workers on the store RVM, each on a SIZE-byte segment of its own
   (seg_names[0..N)), committing with COMMIT_FLAGS, their generators
   seeded from SEED plus their number; the segments warmed and the log
   truncated, then WARMUP unmeasured transactions each.  */
static void
shared_workers (rvm_t rvm, struct worker *w, int n, size_t size,
                unsigned int commit_flags, uint64_t seed, int warmup)
{
  int i, j;

  memset (w, 0, (size_t) n * sizeof *w);
  for (i = 0; i < n; i++)
    {
      w[i].rvm = rvm;
      w[i].size = size;
      w[i].base = map_segment (rvm, seg_names[i], size);
      w[i].rng = 0x9e3779b97f4a7c15ULL * (seed + (uint64_t) i + 1)
                 + (uint64_t) store_serial;
      w[i].commit_flags = commit_flags;
      warm_segment (rvm, w[i].base, size);
    }
  check_rvm (rvm_truncate (rvm), "rvm_truncate");
  for (i = 0; i < n; i++)
    for (j = 0; j < warmup; j++)
      one_transaction (&w[i]);
}

/* ------------------------------------------------------------------ */
/* Benchmarks 1 and 2: durable commits from one thread, from THREADS
   threads with a segment each (group commit), and their physical
   limits: one write and one flush per record, and per THREADS records.
   A round opens one store and bare files and runs them in short
   alternating slices, so that the device's drift, which is large on
   shared machines, weighs on all alike: the library alone, the limit
   alone, the group, its limit, the bare group commit, and the limit
   with a thread computing beside it.  */

#define SLICES 5                /* slices of each kind per round */

/* The bare file of the physical limit, and where the next write goes.  */
struct raw_file
{
  int fd;
  uint64_t off;
  unsigned char *rec;
  size_t len;
};

/* One write of a physical limit: one pwrite of exactly one record's
   bytes (THREADS records' for group commit), appended from the log's
   first record offset, and the
   library's flush call, into a file preallocated with flushed zero
   blocks (wrapping to the start at its end, as the log is reused
   after truncation).  */
static void
raw_commit (struct raw_file *f)
{
  if (f->off + f->len > RAW_FILE_SIZE)
    f->off = LRVM_LOG_DATA_START;
  f->rec[0]++;
  write_all (f->fd, f->rec, f->len, f->off);
  if (flush_fd (f->fd) != 0)
    die ("%s: %s", flush_name (), strerror (errno));
  f->off += f->len;
}

/* The accumulated commits and seconds of one kind of slice.  */
struct tally
{
  double commits, secs;
};

/* Writes of F for SECS seconds (or COUNT writes), each counted as PER
   commits.  */
static void
slice_raw (struct raw_file *f, int per, double secs, long count,
           struct tally *t)
{
  double t0 = now ();
  long n = 0;

  do
    {
      raw_commit (f);
      n++;
    }
  while (count > 0 ? n < count : now () < t0 + secs);
  t->commits += (double) n * per;
  t->secs += now () - t0;
}

static void
slice_one (struct worker *w, double secs, long count, struct tally *t)
{
  w->secs = secs;
  w->count = count;
  worker_run (w);
  t->commits += (double) w->done;
  t->secs += w->t1 - w->t0;
}

/* The workers W[0..N) in as many threads at once, for SECS seconds
   (or COUNT commits each).  */
static void
slice_threads (struct worker *w, int n, double secs, long count,
               struct tally *t)
{
  pthread_t th[THREADS];
  double t0, t1;
  int i;

  t0 = now ();
  for (i = 0; i < n; i++)
    {
      w[i].secs = secs;
      w[i].count = count;
      if (pthread_create (&th[i], NULL, worker_run, &w[i]) != 0)
        die ("pthread_create failed");
    }
  for (i = 0; i < n; i++)
    {
      pthread_join (th[i], NULL);
      t->commits += (double) w[i].done;
    }
  t1 = now ();
  t->secs += t1 - t0;
}

static void
slice_group (struct worker *w, double secs, long count, struct tally *t)
{
  slice_threads (w, THREADS, secs, count, t);
}

/* The bare group commit: what group commit can reach on this machine
   without the library.  THREADS threads each append one record's bytes
   to a shared buffer under a mutex and wait until a leader has written
   and flushed them; the leader of a batch waits, for at most half an
   average flush, until every thread has appended (it knows how many
   there are, where the library must guess), and the thread whose
   record completes the batch writes and flushes it at once.  No
   transactions, no checksums, no log: only the wake-ups and the
   flushes that any group commit of THREADS threads pays.  */
struct bare_group
{
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct raw_file *f;           /* its len is one record's */
  unsigned char *buf;           /* THREADS records, appended */
  long appended, durable;       /* records so far */
  int busy;                     /* 1: a leader writes; 2: one gathers */
  double flush_avg;             /* seconds, moving average */
};

struct bare_thread
{
  struct bare_group *g;
  double secs;
  long count, done;
};

static void
bare_lead (struct bare_group *g)
{
  long last = g->appended, n = last - g->durable;
  struct raw_file *f = g->f;
  uint64_t off;
  double t0;

  g->busy = 1;
  if (f->off + (uint64_t) n * f->len > RAW_FILE_SIZE)
    f->off = LRVM_LOG_DATA_START;
  off = f->off;
  f->off += (uint64_t) n * f->len;
  pthread_mutex_unlock (&g->mu);
  t0 = now ();
  write_all (f->fd, g->buf, (size_t) n * f->len, off);
  if (flush_fd (f->fd) != 0)
    die ("%s: %s", flush_name (), strerror (errno));
  t0 = now () - t0;
  pthread_mutex_lock (&g->mu);
  g->flush_avg = g->flush_avg == 0 ? t0 : (7 * g->flush_avg + t0) / 8;
  g->durable = last;
  g->busy = 0;
  pthread_mutex_unlock (&g->mu);
  pthread_cond_broadcast (&g->cv);
  pthread_mutex_lock (&g->mu);
}

static void
bare_commit (struct bare_group *g)
{
  long my;

  pthread_mutex_lock (&g->mu);
  /* Records are appended while a batch is written: the buffer holds
     the next batch, THREADS records at most, one per thread.  */
  my = ++g->appended;
  memcpy (g->buf + (size_t) ((my - 1) % THREADS) * g->f->len, g->f->rec,
          g->f->len);
  while (g->durable < my)
    if (g->busy == 2 && g->appended - g->durable == THREADS)
      bare_lead (g);            /* completes the gathered batch */
    else if (g->busy != 0)
      pthread_cond_wait (&g->cv, &g->mu);
    else if (g->appended - g->durable < THREADS && g->flush_avg > 0)
      {
        struct timespec until;
        double at = wall_now () + g->flush_avg / 2;
        until.tv_sec = (time_t) at;
        until.tv_nsec = (long) ((at - (double) until.tv_sec) * 1e9);
        g->busy = 2;
        while (g->busy == 2 && g->appended - g->durable < THREADS)
          if (pthread_cond_timedwait (&g->cv, &g->mu, &until) != 0)
            break;
        if (g->busy == 2)
          bare_lead (g);
      }
    else
      bare_lead (g);
  pthread_mutex_unlock (&g->mu);
}

static void *
bare_run (void *arg)
{
  struct bare_thread *b = arg;
  double deadline = now () + b->secs;
  long n = 0;

  do
    {
      bare_commit (b->g);
      n++;
    }
  while (b->count > 0 ? n < b->count : now () < deadline);
  b->done = n;
  return NULL;
}

static void
slice_bare (struct bare_group *g, double secs, long count, struct tally *t)
{
  pthread_t th[THREADS];
  struct bare_thread b[THREADS];
  double t0 = now ();
  int i;

  for (i = 0; i < THREADS; i++)
    {
      b[i].g = g;
      b[i].secs = secs;
      b[i].count = count;
      b[i].done = 0;
      if (pthread_create (&th[i], NULL, bare_run, &b[i]) != 0)
        die ("pthread_create failed");
    }
  for (i = 0; i < THREADS; i++)
    {
      pthread_join (th[i], NULL);
      t->commits += (double) b[i].done;
    }
  t->secs += now () - t0;
}

/* The 1-thread physical limit with another thread computing beside
   it, which never touches the file: on a machine whose processors and
   disk share a host, a flush can take longer while another processor
   works, and a group commit always has threads working around its
   flushes.  */
struct spinner
{
  pthread_mutex_t mu;
  int stop;
  volatile unsigned long sink;  /* work the compiler cannot drop */
};

static void *
spin_run (void *arg)
{
  struct spinner *sp = arg;
  int stop = 0;

  while (!stop)
    {
      unsigned long k;
      for (k = 0; k < 1000; k++)
        sp->sink += k;
      pthread_mutex_lock (&sp->mu);
      stop = sp->stop;
      pthread_mutex_unlock (&sp->mu);
    }
  return NULL;
}

static void
slice_busy (struct raw_file *f, double secs, long count, struct tally *t)
{
  struct spinner sp;
  pthread_t th;

  memset (&sp, 0, sizeof sp);
  if (pthread_mutex_init (&sp.mu, NULL) != 0)
    die ("out of memory");
  if (pthread_create (&th, NULL, spin_run, &sp) != 0)
    die ("pthread_create failed");
  slice_raw (f, 1, secs, count, t);
  pthread_mutex_lock (&sp.mu);
  sp.stop = 1;
  pthread_mutex_unlock (&sp.mu);
  pthread_join (th, NULL);
  pthread_mutex_destroy (&sp.mu);
}

struct durable_result
{
  double one, raw, group;       /* commits per second */
  double batch;                 /* group's limit: THREADS per flush */
  double bare;                  /* the bare group commit */
  double busy;                  /* the 1-thread limit beside a spinner */
  double per_flush;             /* group: commits made durable per flush */
  double record;                /* one: record bytes per commit */
};

/* Open a bare file of RAW_FILE_SIZE zero bytes in DIR under NAME for
   writes of LEN random bytes, and make 20 of them.  */
static void
raw_open (struct raw_file *f, const char *dir, const char *name, size_t len,
          uint64_t *rng)
{
  size_t i;
  int j;

  f->len = len;
  f->rec = malloc (len);
  if (f->rec == NULL)
    die ("out of memory");
  for (i = 0; i < len; i++)
    f->rec[i] = (unsigned char) next_random (rng);
  f->off = LRVM_LOG_DATA_START;
  f->fd = zero_file (dir, name, RAW_FILE_SIZE);
  for (j = 0; j < 20; j++)
    raw_commit (f);
}

static void
raw_close (struct raw_file *f)
{
  if (f->fd >= 0)
    close (f->fd);
  free (f->rec);
}

/* One round of the durable benchmarks WANT (B_LIB, B_RAW, B_GROUP; the
   group's limit with B_GROUP), ROUND rotating their order.  */
static struct durable_result
run_durable_round (int want, int round)
{
  char *dir = fresh_dir (), *rawdir = fresh_dir ();
  struct rvm_statistics a, b;
  struct durable_result res;
  struct tally one = { 0, 0 }, raw = { 0, 0 }, group = { 0, 0 };
  struct tally batch = { 0, 0 }, bare = { 0, 0 }, busy = { 0, 0 };
  struct bare_group bg;
  struct worker w[THREADS];
  struct raw_file f = { -1, 0, NULL, 0 }, fb = { -1, 0, NULL, 0 };
  struct raw_file fg = { -1, 0, NULL, 0 }, fs = { -1, 0, NULL, 0 };
  uint64_t rng = 12345;
  double flushes = 0, flushed = 0, bytes = 0, commits = 0;
  double secs = opt_seconds / SLICES;
  long count = opt_count > 0 ? opt_count : 0;
  int slices = opt_count > 0 ? 1 : SLICES, i, step;
  rvm_t rvm = open_store (dir, 0);

  memset (&res, 0, sizeof res);
  shared_workers (rvm, w, THREADS, seg_size, 0, 0, 20);
  if (want & B_RAW)
    raw_open (&f, rawdir, "raw", record_bytes (), &rng);
  if (want & B_GROUP)
    {
      raw_open (&fb, rawdir, "batch", THREADS * record_bytes (), &rng);
      raw_open (&fg, rawdir, "bare", record_bytes (), &rng);
      raw_open (&fs, rawdir, "busy", record_bytes (), &rng);
      memset (&bg, 0, sizeof bg);
      bg.f = &fg;
      bg.buf = malloc (THREADS * fg.len);
      if (bg.buf == NULL || pthread_mutex_init (&bg.mu, NULL) != 0
          || pthread_cond_init (&bg.cv, NULL) != 0)
        die ("out of memory");
    }

  for (i = 0; i < slices; i++)
    for (step = 0; step < 6; step++)
      switch ((round + i + step) % 6)
        {
        case 0:
          if (want & B_LIB)
            {
              get_stats (rvm, &a);
              slice_one (&w[0], secs, count, &one);
              get_stats (rvm, &b);
              bytes += (double) (b.bytes_logged - a.bytes_logged);
              commits += (double) (b.commits - a.commits);
            }
          break;
        case 1:
          if (want & B_RAW)
            slice_raw (&f, 1, secs, count, &raw);
          break;
        case 2:
          if (want & B_GROUP)
            slice_raw (&fb, THREADS, secs, count, &batch);
          break;
        case 3:
          if (want & B_GROUP)
            slice_bare (&bg, secs, count, &bare);
          break;
        case 4:
          if (want & B_GROUP)
            slice_busy (&fs, secs, count, &busy);
          break;
        default:
          if (want & B_GROUP)
            {
              get_stats (rvm, &a);
              slice_group (w, secs, count, &group);
              get_stats (rvm, &b);
              flushes += (double) (b.flushes - a.flushes);
              flushed += (double) (b.flushed_commits - a.flushed_commits);
            }
          break;
        }

  check_rvm (rvm_close (rvm), "rvm_close");
  raw_close (&f);
  raw_close (&fb);
  raw_close (&fg);
  raw_close (&fs);
  if (want & B_GROUP)
    {
      free (bg.buf);
      pthread_cond_destroy (&bg.cv);
      pthread_mutex_destroy (&bg.mu);
    }
  drop_dir (dir);
  drop_dir (rawdir);
  res.one = one.secs > 0 ? one.commits / one.secs : 0;
  res.raw = raw.secs > 0 ? raw.commits / raw.secs : 0;
  res.group = group.secs > 0 ? group.commits / group.secs : 0;
  res.batch = batch.secs > 0 ? batch.commits / batch.secs : 0;
  res.bare = bare.secs > 0 ? bare.commits / bare.secs : 0;
  res.busy = busy.secs > 0 ? busy.commits / busy.secs : 0;
  res.per_flush = flushes > 0 ? flushed / flushes : 0;
  res.record = commits > 0 ? bytes / commits : 0;
  return res;
}

/* ------------------------------------------------------------------ */
/* Benchmark 3: no-flush commits on one thread.  */

/* One measured window of no-flush commits, and what the store did in
   it.  */
struct window
{
  double rate;                  /* commits per second */
  double secs;                  /* length of the window */
  double truncations;           /* automatic truncations in the window */
  double blocks;                /* 4 KiB blocks they wrote from memory */
  double records;               /* records they applied from the log */
  double log_start, log_end;    /* bytes of the log file at both ends */
  double trunc_secs;            /* a cycle's window: the 64 commits that
                                   ran its truncation; else 0 */
};

/* Run W's window (worker_run) and read the store's counters around
   it.  */
static struct window
measure (struct worker *w)
{
  struct rvm_statistics a, b;
  struct window res;

  get_stats (w->rvm, &a);
  worker_run (w);
  get_stats (w->rvm, &b);
  res.secs = w->t1 - w->t0;
  res.rate = (double) w->done / res.secs;
  res.truncations = (double) (b.truncations - a.truncations);
  res.blocks = (double) (b.truncated_blocks - a.truncated_blocks);
  res.records = (double) (b.truncated_records - a.truncated_records);
  res.log_start = (double) a.log_size;
  res.log_end = (double) b.log_size;
  res.trunc_secs = w->cycle && w->count == 0 ? w->last_batch : 0;
  return res;
}

/* A worker of one no-flush thread on a SIZE-byte segment of a fresh
   store in DIR with truncation threshold THRESHOLD (0: the default),
   the segment warmed and the log truncated (shrunk to its reserve).  */
static void
noflush_worker (struct worker *w, const char *dir, uint64_t threshold,
                size_t size, unsigned int begin_flags)
{
  memset (w, 0, sizeof *w);
  w->rvm = open_store (dir, threshold);
  w->size = size;
  w->base = map_segment (w->rvm, seg_names[0], size);
  w->rng = 0x2545f4914f6cdd1dULL + (uint64_t) store_serial;
  w->begin_flags = begin_flags;
  w->commit_flags = RVM_NO_FLUSH;
  w->secs = opt_seconds;
  w->count = opt_count;
  warm_segment (w->rvm, w->base, size);
  check_rvm (rvm_truncate (w->rvm), "rvm_truncate");
}

/* No-flush commits at the default threshold on a SIZE-byte segment,
   in two consecutive windows of one fresh store.  *FIRST is the
   store's first truncation cycle, in which the log file grows from
   its reserve to the threshold, zero-filling 1 MiB steps: a one-time
   cost, since automatic truncation keeps the log's space.  *STEADY is
   the next cycle, which reuses that space as a running program does.
   A cycle's window runs from the first commit after a truncation (the
   worker sees one within 64 commits) to the end of the next, which
   makes the window's commits durable.  With -n, each window is COUNT
   commits instead, ended by rvm_flush, and the steady one begins after
   the first automatic truncation.  */
static void
run_cycles (size_t size, struct window *first, struct window *steady)
{
  char *dir = fresh_dir ();
  struct worker w;
  uint64_t tr;

  noflush_worker (&w, dir, 0, size, 0);
  w.cycle = 1;
  tr = truncations (w.rvm);
  *first = measure (&w);
  if (opt_count > 0 && truncations (w.rvm) == tr)
    {
      /* The rest of the first cycle, untimed.  */
      w.count = 0;
      worker_run (&w);
      w.count = opt_count;
    }
  *steady = measure (&w);
  check_rvm (rvm_close (w.rvm), "rvm_close");
  drop_dir (dir);
}

/* No-flush commits per second on the main segment with truncation
   threshold THRESHOLD and rvm_begin flags BEGIN_FLAGS, for -t seconds
   (or -n commits) after 1000 unmeasured ones.  */
static struct window
run_noflush (uint64_t threshold, unsigned int begin_flags)
{
  char *dir = fresh_dir ();
  struct window res;
  struct worker w;
  int i;

  noflush_worker (&w, dir, threshold, seg_size, begin_flags);
  for (i = 0; i < 1000; i++)
    one_transaction (&w);
  res = measure (&w);
  check_rvm (rvm_close (w.rvm), "rvm_close");
  drop_dir (dir);
  return res;
}

/* No-flush commits from two threads at once, each on a cache-resident
   segment of its own, beside one thread alone on one of them, in
   alternating slices of one store at the default threshold: how the
   commits of several threads add up.  *RECORDS counts the records the
   two threads' truncations applied from the log (a truncation that
   finds the other thread's segment in a transaction waits for it to
   end rather than take that segment from the log).  */
struct pair_result
{
  double one, two, records;
};

static struct pair_result
run_noflush_pair (int round)
{
  char *dir = fresh_dir ();
  struct worker w[2];
  struct tally one = { 0, 0 }, two = { 0, 0 };
  struct rvm_statistics a, b;
  struct pair_result res;
  double secs = opt_seconds / SLICES;
  long count = opt_count > 0 ? opt_count : 0;
  int i, k, slices = opt_count > 0 ? 1 : SLICES;
  rvm_t rvm = open_store (dir, 0);

  res.records = 0;
  shared_workers (rvm, w, 2, CACHE_SEG_SIZE, RVM_NO_FLUSH, 6, 1000);
  for (i = 0; i < slices; i++)
    for (k = 0; k < 2; k++)
      if ((round + i + k) % 2 == 0)
        slice_threads (w, 1, secs, count, &one);
      else
        {
          get_stats (rvm, &a);
          slice_threads (w, 2, secs, count, &two);
          get_stats (rvm, &b);
          res.records += (double) (b.truncated_records - a.truncated_records);
        }
  check_rvm (rvm_close (rvm), "rvm_close");
  drop_dir (dir);
  res.one = one.secs > 0 ? one.commits / one.secs : 0;
  res.two = two.secs > 0 ? two.commits / two.secs : 0;
  return res;
}

/* Where run_memory_limit copies the old values.  Reachable from a
   global, so that the compiler cannot drop the copies as unread.  */
static unsigned char *old_values;

/* The physical limit of a no-flush commit: change two RANGE-byte
   ranges at random offsets of a private file mapping of SIZE bytes
   (the kind of memory the library maps), copy them into a
   record-sized slot of a buffer, and write the buffer with one pwrite
   each time it holds the library's batch (LRVM_BUFFER_LIMIT bytes).
   With UNDO, first copy each range's old value into an undo buffer, as
   any transaction that can be aborted must.  No checksum, no flush, no
   truncation.  Commits per second.  */
static double
run_memory_limit (size_t size, int undo)
{
  char *dir = fresh_dir (), path[4096];
  size_t len = record_bytes (), have = 0, namelen = strlen (seg_names[0]);
  unsigned char *buf = malloc (LRVM_BUFFER_LIMIT), *mem;
  uint64_t off = LRVM_LOG_DATA_START, rng = 0x2545f4914f6cdd1dULL;
  long i, n = 0, warmup = 1000;
  double t0 = 0, deadline = 0;
  int fd, log = zero_file (dir, "log", RAW_FILE_SIZE);
  size_t at;

  old_values = malloc (RANGES * RANGE);
  if (buf == NULL || old_values == NULL)
    die ("out of memory");
  snprintf (path, sizeof path, "%s/%s", dir, seg_names[0]);
  fd = open (path, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0 || ftruncate (fd, (off_t) size) != 0)
    die ("cannot create %s: %s", path, strerror (errno));
  mem = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (mem == MAP_FAILED)
    die ("mmap: %s", strerror (errno));
  /* Every page resident and private, as after warm_segment.  */
  for (at = 0; at < size; at += 512)
    ((volatile unsigned char *) mem)[at] = mem[at];
  memset (buf, 0, LRVM_BUFFER_LIMIT);
  for (i = -warmup;; i++)
    {
      unsigned char *p;
      int k;

      if (i == 0)
        {
          t0 = now ();
          deadline = t0 + opt_seconds;
        }
      if (have + len > LRVM_BUFFER_LIMIT)
        {
          if (off + have > RAW_FILE_SIZE)
            off = LRVM_LOG_DATA_START;
          write_all (log, buf, have, off);
          off += have;
          have = 0;
        }
      p = buf + have;
      lrvm_put64 (p + 16, (uint64_t) i);
      p += LRVM_REC_HDR_SIZE;
      for (k = 0; k < RANGES; k++)
        {
          uint64_t x = next_random (&rng);
          size_t o = (size_t) (x % (size - RANGE));
          if (undo)
            memcpy (old_values + k * RANGE, mem + o, RANGE);
          memset (mem + o, (int) (x >> 56), RANGE);
          lrvm_put64 (p + 8, o);
          memcpy (p + LRVM_ENT_HDR_SIZE, seg_names[0], namelen);
          p += LRVM_ENT_HDR_SIZE + LRVM_PAD8 (namelen);
          memcpy (p, mem + o, RANGE);
          p += LRVM_PAD8 (RANGE);
        }
      have += len;
      if (i >= 0 && (opt_count > 0 ? ++n >= opt_count
                                   : ++n % 64 == 0 && now () >= deadline))
        break;
    }
  if (have > 0)
    write_all (log, buf, have, off);
  deadline = now ();
  munmap (mem, size);
  close (fd);
  close (log);
  free (buf);
  free (old_values);
  old_values = NULL;
  drop_dir (dir);
  return (double) n / (deadline - t0);
}

/* ------------------------------------------------------------------ */
/* Benchmark 4: recovery of a log of N records, written by no-flush
   commits with truncation off and left by rvm_close.  */

struct recovery_result
{
  double usec;                  /* rvm_stats recovery_usec */
  double records;               /* rvm_stats recovery_records */
  double open_usec;             /* the whole rvm_open */
};

/* Benchmark 5: no-flush commits on a 1 MiB segment of a store that
   maps no other, against the same in a store that maps MANY_SEGMENTS
   other segments of 4 KiB, in alternating slices of -t/5 seconds:
   whether a transaction's cost depends on how many segments are
   mapped.  ONE and MANY are commits per second.  Then the same for
   mapping and unmapping an existing segment of 4 KiB, MAP_ONE and
   MAP_MANY microseconds per pair of calls; their ratio is reported as
   one of rates, MAP_ONE / MAP_MANY, like the commits'.  */
struct segments_result
{
  double one, many;
  double map_one, map_many;
};

#define MAP_CYCLES 2000         /* map + unmap pairs timed per store */

/* Microseconds per rvm_map_segment + rvm_unmap_segment of an existing
   4 KiB segment of RVM.  */
static double
map_cycles (rvm_t rvm)
{
  double t0;
  void *base;
  int i;

  base = map_segment (rvm, "cycler", 4096);
  check_rvm (rvm_unmap_segment (rvm, base), "rvm_unmap_segment");
  t0 = now ();
  for (i = 0; i < MAP_CYCLES; i++)
    {
      base = map_segment (rvm, "cycler", 4096);
      check_rvm (rvm_unmap_segment (rvm, base), "rvm_unmap_segment");
    }
  return (now () - t0) * 1e6 / MAP_CYCLES;
}

static struct segments_result
run_segments (int round)
{
  char *dir[2], name[32];
  struct worker w[2];
  struct tally t[2] = { { 0, 0 }, { 0, 0 } };
  struct segments_result res;
  double secs = opt_seconds / SLICES;
  long count = opt_count > 0 ? opt_count : 0;
  int i, k, slices = opt_count > 0 ? 1 : SLICES;

  for (k = 0; k < 2; k++)
    {
      dir[k] = fresh_dir ();
      noflush_worker (&w[k], dir[k], 0, CACHE_SEG_SIZE, 0);
      if (k == 1)
        for (i = 0; i < MANY_SEGMENTS; i++)
          {
            snprintf (name, sizeof name, "other%d", i);
            map_segment (w[k].rvm, name, 4096);
          }
      for (i = 0; i < 1000; i++)
        one_transaction (&w[k]);
    }
  for (i = 0; i < slices; i++)
    for (k = 0; k < 2; k++)
      slice_threads (&w[(round + i + k) % 2], 1, secs, count,
                     &t[(round + i + k) % 2]);
  for (k = 0; k < 2; k++)
    if ((round + k) % 2 == 0)
      res.map_one = map_cycles (w[0].rvm);
    else
      res.map_many = map_cycles (w[1].rvm);
  for (k = 0; k < 2; k++)
    {
      check_rvm (rvm_close (w[k].rvm), "rvm_close");
      drop_dir (dir[k]);
    }
  res.one = t[0].secs > 0 ? t[0].commits / t[0].secs : 0;
  res.many = t[1].secs > 0 ? t[1].commits / t[1].secs : 0;
  return res;
}

static struct recovery_result
run_recovery (long n)
{
  char *dir = fresh_dir ();
  struct rvm_statistics st;
  struct recovery_result res;
  struct worker w;
  double t0;
  rvm_t rvm = open_store (dir, HUGE_THRESHOLD);

  memset (&w, 0, sizeof w);
  w.rvm = rvm;
  w.size = seg_size;
  w.base = map_segment (rvm, seg_names[0], seg_size);
  w.rng = 0x853c49e6748fea9bULL + (uint64_t) store_serial;
  w.commit_flags = RVM_NO_FLUSH;
  w.count = n;
  worker_run (&w);
  check_rvm (rvm_close (rvm), "rvm_close");

  t0 = now ();
  rvm = open_store (dir, HUGE_THRESHOLD);
  res.open_usec = (now () - t0) * 1e6;
  get_stats (rvm, &st);
  check_rvm (rvm_close (rvm), "rvm_close");
  drop_dir (dir);
  res.usec = (double) st.recovery_usec;
  res.records = (double) st.recovery_records;
  return res;
}

/* ------------------------------------------------------------------ */
/* The report.  */

#define LABEL_W 44

static void
runs (const struct series *s, const char *fmt)
{
  int i;

  if (!opt_verbose)
    return;
  printf ("   %-*s", LABEL_W, "  each run");
  for (i = 0; i < s->n; i++)
    {
      putchar (' ');
      printf (fmt, s->v[i]);
    }
  putchar ('\n');
}

/* A line of the table: LABEL, the median of S, UNIT, [min .. max].  A
   label wider than its column gets a line of its own.  */
static void
row (const char *label, const struct series *s, const char *fmt,
     const char *unit)
{
  char med[32], lo[32], hi[32];

  if (strlen (label) > LABEL_W)
    {
      printf ("   %s\n", label);
      label = "";
    }
  snprintf (med, sizeof med, fmt, median (s));
  snprintf (lo, sizeof lo, fmt, smin (s));
  snprintf (hi, sizeof hi, fmt, smax (s));
  printf ("   %-*s %12s %-6s [%s .. %s]\n", LABEL_W, label, med, unit, lo,
          hi);
  runs (s, fmt);
}

static const char *
verdict (double v, double target)
{
  return v >= target ? "met" : "MISSED";
}

static void
target (const char *label, double v, const char *fmt, const char *goal,
        double want)
{
  char val[32];

  snprintf (val, sizeof val, fmt, v);
  printf ("   %-*s %12s        target %s: %s\n", LABEL_W, label, val, goal,
          verdict (v, want));
}

/* The series of the windows of one no-flush row.  */
struct window_series
{
  struct series rate, truncations, blocks, records, log_start, log_end,
    trunc_ms, trunc_share;
};

static void
add_window (struct window_series *s, const struct window *w)
{
  add (&s->rate, w->rate);
  add (&s->truncations, w->truncations);
  add (&s->log_start, w->log_start / 1048576.0);
  add (&s->log_end, w->log_end / 1048576.0);
  if (w->truncations > 0)
    {
      add (&s->blocks, w->blocks / w->truncations);
      add (&s->records, w->records / w->truncations);
    }
  if (w->trunc_secs > 0)
    {
      add (&s->trunc_ms, w->trunc_secs * 1e3);
      add (&s->trunc_share, 100.0 * w->trunc_secs / w->secs);
    }
}

/* The lines under a no-flush row: the log file's size at both ends of
   the window, the truncations of a window of -n commits, what a
   truncation wrote (blocks from the segment's memory, records from the
   log: none while the segment is mapped) and, for a cycle, the time of
   the 64 commits that ran its truncation.  */
static void
window_notes (const struct window_series *s)
{
  double a = median (&s->log_start), b = median (&s->log_end);

  if (a == b)
    printf ("     log file %.1f MiB at the start and at the end\n", a);
  else
    printf ("     log file %.1f MiB at the start, %.1f MiB at the end\n", a,
            b);
  if (opt_count > 0)
    row ("  truncations per run", &s->truncations, "%.0f", "");
  if (s->blocks.n > 0)
    printf ("     per truncation: %.0f blocks (%.1f MiB) from memory, %.0f"
            " records from the log\n", median (&s->blocks),
            median (&s->blocks) * 4096.0 / 1048576.0, median (&s->records));
  if (s->trunc_ms.n > 0)
    printf ("     truncation: %.1f ms (with the 64 commits around it), %.1f %%"
            " of the run\n", median (&s->trunc_ms), median (&s->trunc_share));
}

/* "16 MiB" or "1536 KiB": the size of a segment.  */
static const char *
size_name (size_t size)
{
  static char buf[2][32];
  static int k;

  k = !k;
  if (size % ((size_t) 1 << 20) == 0)
    snprintf (buf[k], sizeof buf[k], "%zu MiB", size >> 20);
  else
    snprintf (buf[k], sizeof buf[k], "%zu KiB", size >> 10);
  return buf[k];
}

static void
usage (int status)
{
  fputs ("Usage: lrvm-bench [-v] [-t SECONDS] [-r REPEATS] [-n COUNT]"
         " [-N N1,N2,...] [-s BYTES] [BENCHMARK...]\n"
         "Benchmarks (default: all):\n"
         "  durable          durable commits, 1 thread, and the physical"
         " limit\n"
         "  lib, raw         either half of 'durable' alone\n"
         "  group            durable commits, 4 threads (group commit), the\n"
"                   limit of one write and flush per 4 commits, and a\n"
"                   bare group commit of 4 threads without the library,\n"
"                   and the 1-thread limit beside a computing thread\n"
         "  noflush          no-flush commits at the default truncation"
         " threshold\n"
         "                   (steady state, and the first cycle of a fresh"
         " store),\n"
         "                   also on a 1 MiB segment; huge threshold,"
         " no-restore;\n"
         "                   the physical limits, without and with old"
         " values\n"
         "  noflush-default  default threshold: steady state and first"
         " cycle\n"
         "  noflush-cache    default threshold, steady state, 1 MiB"
         " segment\n"
         "  noflush-huge, noflush-norestore\n"
         "                   huge threshold, without and with"
         " RVM_NO_RESTORE\n"
         "  noflush-threads  2 threads at once, a 1 MiB segment each, beside"
         " 1 thread\n"
         "  memory           the physical limits, both segment sizes (with\n"
         "                   noflush-default, also of the steady state)\n"
         "  recovery         recovery time of logs of N records\n"
         "  segments         no-flush commits, and mapping and unmapping,"
         " with 1000\n"
         "                   other segments mapped\n"
         "Options:\n"
         "  -t SECONDS  length of each timed run (default 1.5); a run at"
         " the default\n"
         "              threshold lasts one truncation cycle instead (the"
         " second\n"
         "              of a fresh store, or its first); a durable run is"
         " cut in\n"
         "              5 slices of each kind\n"
         "  -r REPEATS  runs per figure; the median is shown (default 3)\n"
         "  -n COUNT    commits per run instead (per thread in 'group');"
         " a steady-state\n"
         "              run then starts after the first automatic"
         " truncation\n"
         "  -N LIST     log sizes of 'recovery' (default 10000,100000)\n"
         "  -s BYTES    segment size, with K or M (default 16M); the"
         " cache-resident\n"
         "              no-flush rows use 1 MiB whatever -s says\n"
         "  -v          show every run\n"
         "Stores are made under $LRVM_BENCH_DIR, else $TMPDIR, else /tmp.\n",
         status ? stderr : stdout);
  exit (status);
}

static void
parse_sizes (const char *arg)
{
  int k = 0;
  char *end;

  while (*arg != '\0')
    {
      long v = strtol (arg, &end, 10);
      if (end == arg || v <= 0 || (*end != ',' && *end != '\0')
          || k == MAX_SIZES)
        usage (2);
      opt_recovery[k++] = v;
      arg = *end == ',' ? end + 1 : end;
    }
  opt_recovery[k] = 0;
}


static const struct
{
  const char *name;
  int bits;
} bench_names[] = {
  { "durable", B_LIB | B_RAW },
  { "lib", B_LIB },
  { "raw", B_RAW },
  { "group", B_GROUP },
  { "noflush", B_NOFLUSH },
  { "noflush-default", B_NF_DEFAULT },
  { "noflush-cache", B_NF_CACHE },
  { "noflush-threads", B_NF_PAIR },
  { "noflush-huge", B_NF_HUGE },
  { "noflush-norestore", B_NF_NORESTORE },
  { "memory", B_MEMORY },
  { "recovery", B_RECOVERY },
  { "segments", B_SEGMENTS },
};

int
main (int argc, char **argv)
{
  struct series lib1, raw1, pair, grp, grp_pf, gpair, batch, bpair,
    bare, barepair, lbpair, busy, busypair, pair_one, pair_two, pair_ratio, pair_records,
    nf_huge, nf_nr, mem_main, old_main, mem_cache, old_cache, growth_loss,
    tr_writes, steady_limit, steady_ratio;
  struct window_series steady, first, cache;
  double m_lib1 = 0, m_raw1 = 0, m_grp = 0, m_def = 0, m_first = 0,
    m_cache = 0, m_huge = 0;
  const char *tmp;
  size_t j;
  int want = 0, c, i, k;

  /* GNU-style --help, before getopt sees it.  */
  for (i = 1; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0)
      argv[i] = (char *) "-h";
  while ((c = getopt (argc, argv, "t:r:n:N:s:vh")) != -1)
    switch (c)
      {
      case 't':
        opt_seconds = atof (optarg);
        if (!(opt_seconds > 0))
          usage (2);
        break;
      case 'r':
        opt_repeats = atoi (optarg);
        if (opt_repeats < 1 || opt_repeats > MAX_REPEATS)
          usage (2);
        break;
      case 'n':
        opt_count = atol (optarg);
        if (opt_count < 1)
          usage (2);
        break;
      case 'N':
        parse_sizes (optarg);
        break;
      case 's':
        {
          char *end;
          unsigned long long v = strtoull (optarg, &end, 10);
          if (*end == 'K' || *end == 'k')
            v <<= 10, end++;
          else if (*end == 'M' || *end == 'm')
            v <<= 20, end++;
          if (*end != '\0' || v < 4096 || v > ((unsigned long long) 1 << 30))
            usage (2);
          seg_size = (size_t) v;
        }
        break;
      case 'v':
        opt_verbose = 1;
        break;
      case 'h':
        usage (0);
        break;
      default:
        usage (2);
      }
  for (i = optind; i < argc; i++)
    {
      for (j = 0; j < sizeof bench_names / sizeof bench_names[0]; j++)
        if (strcmp (argv[i], bench_names[j].name) == 0)
          break;
      if (j == sizeof bench_names / sizeof bench_names[0])
        usage (2);
      want |= bench_names[j].bits;
    }
  if (want == 0)
    want = ~0;
  if (want & B_GROUP)
    want |= B_LIB | B_RAW;      /* the 1-thread figures of the ratios */

  tmp = getenv ("LRVM_BENCH_DIR");
  if (tmp == NULL || *tmp == '\0')
    tmp = getenv ("TMPDIR");
  if (tmp == NULL || *tmp == '\0')
    tmp = "/tmp";
  base_dir = malloc (strlen (tmp) + 32);
  if (base_dir == NULL)
    die ("out of memory");
  sprintf (base_dir, "%s/lrvm-bench.XXXXXX", tmp);
  if (mkdtemp (base_dir) == NULL)
    die ("cannot create a directory in %s: %s", tmp, strerror (errno));

  printf ("lrvm %s benchmarks\n", LRVM_VERSION_STRING);
  printf ("  stores in      %s (removed afterwards)\n", base_dir);
  printf ("  flush call     %s\n", flush_name ());
  printf ("  transaction    rvm_begin, rvm_modify of %d ranges of %d bytes"
          " at random\n                 offsets of a %zu KiB segment,"
          " rvm_commit\n", RANGES, RANGE, seg_size >> 10);
  printf ("  log record     %zu bytes = %d header + %d x (%d entry + %zu"
          " name + %zu data)\n", record_bytes (), LRVM_REC_HDR_SIZE, RANGES,
          LRVM_ENT_HDR_SIZE, (size_t) LRVM_PAD8 (strlen (seg_names[0])),
          (size_t) LRVM_PAD8 (RANGE));
  if (opt_count > 0)
    printf ("  each figure    median of %d runs of %ld commits each"
            " [min .. max]\n\n", opt_repeats, opt_count);
  else
    printf ("  each figure    median of %d runs of %.1f s each"
            " [min .. max],\n                 each in a fresh store\n\n",
            opt_repeats, opt_seconds);
  fflush (stdout);

  memset (&lib1, 0, sizeof lib1);
  raw1 = pair = grp = grp_pf = gpair = batch = bpair = bare = barepair
    = lbpair = busy = busypair = pair_one = pair_two = pair_ratio = pair_records = nf_huge
    = nf_nr
    = mem_main = old_main = mem_cache = old_cache = growth_loss
    = tr_writes = steady_limit = steady_ratio = lib1;
  memset (&steady, 0, sizeof steady);
  first = cache = steady;

  if (want & (B_LIB | B_RAW | B_GROUP))
    for (k = 0; k < opt_repeats; k++)
      {
        struct durable_result d = run_durable_round (want, k);
        if (want & B_LIB)
          {
            add (&lib1, d.one);
            record_avg = d.record;
          }
        if (want & B_RAW)
          add (&raw1, d.raw);
        if (want & B_GROUP)
          {
            add (&grp, d.group);
            add (&grp_pf, d.per_flush);
            add (&batch, d.batch);
            add_ratio (&bpair, d.group, d.batch);
            add (&bare, d.bare);
            add_ratio (&barepair, d.bare, d.raw);
            add_ratio (&lbpair, d.group, d.bare);
            add (&busy, d.busy);
            add_ratio (&busypair, d.busy, d.raw);
          }
        add_ratio (&pair, d.one, d.raw);
        add_ratio (&gpair, d.group, d.one);
      }

  if (want & (B_LIB | B_RAW))
    {
      printf ("1. Durable commits, 1 thread: rvm_commit (tid, 0)\n");
      if (want & B_LIB)
        {
          row ("lrvm commits", &lib1, "%.0f", "/s");
          printf ("   %-*s %12.1f\n", LABEL_W, "  record bytes logged per"
                  " commit", record_avg);
          m_lib1 = median (&lib1);
        }
      if (want & B_RAW)
        {
          char label[64];
          snprintf (label, sizeof label, "physical limit: pwrite %zu B + %s",
                    record_bytes (), flush_name ());
          row (label, &raw1, "%.0f", "/s");
          m_raw1 = median (&raw1);
        }
      if (pair.n > 0)
        {
          printf ("   %-*s %12.3f\n", LABEL_W, "ratio of the medians",
                  m_lib1 / m_raw1);
          row ("ratio lrvm / limit in each round", &pair, "%.3f", "");
          target ("  median", median (&pair), "%.3f", ">= 0.9", 0.9);
        }
      printf ("\n");
      fflush (stdout);
    }

  if (want & B_GROUP)
    {
      char label[80];

      printf ("2. Durable commits, %d threads, one segment each (group"
              " commit)\n", THREADS);
      m_grp = median (&grp);
      row ("lrvm commits, all threads", &grp, "%.0f", "/s");
      row ("commits per flush (flushed_commits/flushes)", &grp_pf, "%.2f",
           "");
      printf ("   %-*s %12.2f\n", LABEL_W, "ratio of the medians to 1 thread",
              m_grp / m_lib1);
      row ("ratio to 1 thread in each round", &gpair, "%.2f", "");
      target ("  median", median (&gpair), "%.2f", ">= 3", 3);
      snprintf (label, sizeof label, "physical limit: pwrite %d x %zu B + %s",
                THREADS, record_bytes (), flush_name ());
      row (label, &batch, "%.0f", "/s");
      row ("ratio lrvm / that limit in each round", &bpair, "%.3f", "");
      printf ("   bare group commit, no library: %d threads, a mutex, a"
              " condition variable,\n   one pwrite + %s per batch (the"
              " wake-ups and flushes, nothing else)\n", THREADS,
              flush_name ());
      row ("  commits, all threads", &bare, "%.0f", "/s");
      row ("  ratio to 1-thread limit in each round", &barepair, "%.2f",
           "");
      row ("ratio lrvm / bare group commit in each round", &lbpair, "%.3f",
           "");
      printf ("   1-thread physical limit with another thread computing"
              " beside it\n   (how much work on another processor slows a"
              " flush here)\n");
      row ("  writes + flushes", &busy, "%.0f", "/s");
      row ("  ratio to the 1-thread limit in each round", &busypair,
           "%.2f", "");
      printf ("\n");
      fflush (stdout);
    }

  if (want & B_NOFLUSH)
    {
      char label[64];

      printf ("3. No-flush commits, 1 thread (2 where said): rvm_commit"
              " (tid, RVM_NO_FLUSH)\n");
      fflush (stdout);
      for (k = 0; k < opt_repeats; k++)
        {
          struct window w1, w2, ws;
          memset (&ws, 0, sizeof ws);
          if (want & B_NF_DEFAULT)
            {
              run_cycles (seg_size, &w1, &w2);
              ws = w2;
              add_window (&first, &w1);
              add_window (&steady, &w2);
              add (&growth_loss, 100.0 * (1.0 - w1.rate / w2.rate));
            }
          if (want & B_NF_CACHE)
            {
              run_cycles (CACHE_SEG_SIZE, &w1, &w2);
              add_window (&cache, &w2);
            }
          if (want & B_NF_HUGE)
            add (&nf_huge, run_noflush (HUGE_THRESHOLD, 0).rate);
          if (want & B_NF_NORESTORE)
            add (&nf_nr, run_noflush (HUGE_THRESHOLD, RVM_NO_RESTORE).rate);
          if (want & B_NF_PAIR)
            {
              struct pair_result pr = run_noflush_pair (k);
              add (&pair_one, pr.one);
              add (&pair_two, pr.two);
              add_ratio (&pair_ratio, pr.two, pr.one);
              add (&pair_records, pr.records);
            }
          if (want & B_MEMORY)
            {
              double old = run_memory_limit (seg_size, 1);
              add (&mem_main, run_memory_limit (seg_size, 0));
              add (&old_main, old);
              add (&mem_cache, run_memory_limit (CACHE_SEG_SIZE, 0));
              add (&old_cache, run_memory_limit (CACHE_SEG_SIZE, 1));
              if (ws.truncations > 0)
                {
                  /* The steady state at its physical limit: this
                     round's commits at the memory limit with old
                     values, and its truncations' writes.  */
                  double commits = ws.rate * ws.secs;
                  double tw = run_truncation_writes (ws.blocks
                                                     / ws.truncations);
                  double lim = commits / (commits / old
                                          + tw * ws.truncations);
                  add (&tr_writes, tw * 1e3);
                  add (&steady_limit, lim);
                  add_ratio (&steady_ratio, ws.rate, lim);
                }
            }
        }
      snprintf (label, sizeof label, "default threshold (%llu MiB), steady"
                " state", (unsigned long long) (LRVM_DEFAULT_THRESHOLD >> 20));
      if (want & (B_NF_DEFAULT | B_NF_HUGE | B_NF_NORESTORE | B_MEMORY))
        printf ("   %s segment\n", size_name (seg_size));
      if (want & B_NF_DEFAULT)
        {
          row (label, &steady.rate, "%.0f", "/s");
          if (opt_count == 0)
            printf ("     (each run: the second truncation cycle of a store,"
                    " %llu MiB of records\n      and their truncation)\n",
                    (unsigned long long) (LRVM_DEFAULT_THRESHOLD >> 20));
          window_notes (&steady);
          m_def = median (&steady.rate);
          row ("first cycle of a fresh store (log growing)", &first.rate,
               "%.0f", "/s");
          window_notes (&first);
          m_first = median (&first.rate);
          if (opt_count == 0)
            row ("  time lost to log growth", &growth_loss, "%.1f", "%");
        }
      if (want & B_NF_HUGE)
        {
          row ("huge threshold (no truncation, log growing)", &nf_huge,
               "%.0f", "/s");
          m_huge = median (&nf_huge);
        }
      if (want & B_NF_NORESTORE)
        row ("huge threshold, RVM_NO_RESTORE", &nf_nr, "%.0f", "/s");
      if (want & B_MEMORY)
        {
          row ("physical limit: memory + buffered pwrite", &mem_main, "%.0f",
               "/s");
          row ("physical limit: memory with old values + buffered pwrite",
               &old_main, "%.0f", "/s");
        }
      if (steady_limit.n > 0)
        {
          printf ("   physical limit of the steady state: memory with old"
                  " values, and each\n   truncation's blocks written twice"
                  " (checkpoint, segment file), flushed\n");
          row ("  those writes, per truncation", &tr_writes, "%.1f", "ms");
          row ("  commits", &steady_limit, "%.0f", "/s");
          row ("  ratio lrvm steady state / that limit in each round",
               &steady_ratio, "%.2f", "");
        }
      if (want & (B_NF_CACHE | B_MEMORY))
        printf ("   %s segment (cache-resident, whatever -s says)\n",
                size_name (CACHE_SEG_SIZE));
      if (want & B_NF_CACHE)
        {
          row (label, &cache.rate, "%.0f", "/s");
          window_notes (&cache);
          m_cache = median (&cache.rate);
        }
      if (want & B_MEMORY)
        {
          row ("physical limit: memory + buffered pwrite", &mem_cache,
               "%.0f", "/s");
          row ("physical limit: memory with old values + buffered pwrite",
               &old_cache, "%.0f", "/s");
        }
      if (want & B_NF_PAIR)
        {
          printf ("   2 threads at once, a %s segment each, default"
                  " threshold,\n   in slices alternating with 1 thread"
                  " alone on one of them\n", size_name (CACHE_SEG_SIZE));
          row ("  commits, both threads", &pair_two, "%.0f", "/s");
          row ("  commits, 1 thread alone", &pair_one, "%.0f", "/s");
          row ("  ratio 2 threads / 1 thread in each round", &pair_ratio,
               "%.2f", "");
          row ("  records truncations applied from the log", &pair_records,
               "%.0f", "");
        }
      /* Both are judged: the cache-resident segment measures the
         library's own cost per commit, the main one adds what random
         offsets in a larger segment cost (cache misses, and every
         truncation writing most of the segment).  */
      if (m_cache > 0)
        {
          snprintf (label, sizeof label, "steady state, %s segment"
                    " (cache-resident)", size_name (CACHE_SEG_SIZE));
          target (label, m_cache, "%.0f", ">= 2000000", 2e6);
        }
      if (m_def > 0)
        {
          snprintf (label, sizeof label, "steady state, %s segment",
                    size_name (seg_size));
          target (label, m_def, "%.0f", ">= 2000000", 2e6);
        }
      printf ("\n");
      fflush (stdout);
    }

  if (want & B_RECOVERY)
    {
      printf ("4. Recovery at rvm_open of a log of N records (warm page"
              " cache)\n");
      printf ("   %10s %10s %14s %14s %14s\n", "N", "log MiB",
              "recovery ms", "records/s", "rvm_open ms");
      fflush (stdout);
      for (i = 0; opt_recovery[i] != 0; i++)
        {
          struct series us, op;
          memset (&us, 0, sizeof us);
          op = us;
          for (k = 0; k < opt_repeats; k++)
            {
              struct recovery_result r = run_recovery (opt_recovery[i]);
              if (r.records != (double) opt_recovery[i])
                die ("recovery replayed %.0f records, expected %ld",
                     r.records, opt_recovery[i]);
              add (&us, r.usec);
              add (&op, r.open_usec);
            }
          printf ("   %10ld %10.1f %14.1f %14.0f %14.1f\n", opt_recovery[i],
                  (double) opt_recovery[i] * (double) record_bytes ()
                  / 1048576.0, median (&us) / 1000.0,
                  (double) opt_recovery[i] / (median (&us) / 1e6),
                  median (&op) / 1000.0);
          fflush (stdout);
        }
      printf ("\n");
    }

  if (want & B_SEGMENTS)
    {
      struct series one, many, ratio, map_one, map_many, map_ratio;
      memset (&one, 0, sizeof one);
      many = ratio = map_one = map_many = map_ratio = one;
      printf ("5. No-flush commits, 1 thread, on a %s segment, beside %d"
              " other segments\n   mapped or none, in alternating slices\n",
              size_name (CACHE_SEG_SIZE), MANY_SEGMENTS);
      fflush (stdout);
      for (k = 0; k < opt_repeats; k++)
        {
          struct segments_result r = run_segments (k);
          add (&one, r.one);
          add (&many, r.many);
          add_ratio (&ratio, r.many, r.one);
          add (&map_one, r.map_one);
          add (&map_many, r.map_many);
          add_ratio (&map_ratio, r.map_one, r.map_many);
        }
      row ("no other segment", &one, "%.0f", "/s");
      row ("1000 other segments", &many, "%.0f", "/s");
      row ("ratio in each round", &ratio, "%.2f", "");
      printf ("   rvm_map_segment + rvm_unmap_segment of an existing 4 KiB"
              " segment,\n   %d times in each store\n", MAP_CYCLES);
      row ("no other segment", &map_one, "%.1f", "us");
      row ("1000 other segments", &map_many, "%.1f", "us");
      row ("ratio in each round", &map_ratio, "%.2f", "");
      printf ("\n");
      fflush (stdout);
    }

  printf ("Summary (medians; ratios are medians of the ratios within"
          " each round)\n");
  if (pair.n > 0)
    printf ("  durable, 1 thread   %8.0f commits/s, %.3f x the physical"
            " limit (%.0f/s): target >= 0.9 %s\n", m_lib1, median (&pair),
            m_raw1, verdict (median (&pair), 0.9));
  if (gpair.n > 0)
    printf ("  durable, %d threads  %8.0f commits/s, %.2f x 1 thread, %.2f"
            " commits per flush: target >= 3 %s\n"
            "                        %.3f x the limit of one flush per %d"
            " commits (%.0f/s)\n", THREADS, m_grp,
            median (&gpair), median (&grp_pf),
            verdict (median (&gpair), 3), median (&bpair), THREADS,
            median (&batch));
  if (lbpair.n > 0)
    printf ("                        %.3f x a bare group commit, which"
            " reaches %.2f x the\n                        1-thread limit"
            " here\n", median (&lbpair), median (&barepair));
  if (busypair.n > 0)
    printf ("                        (the 1-thread limit falls to %.2f x"
            " with a thread\n                        computing beside it)\n",
            median (&busypair));
  if (m_def > 0)
    {
      printf ("  no-flush, 1 thread  %8.0f commits/s, steady state, %s"
              " segment: target >= 2000000 %s\n", m_def,
              size_name (seg_size), verdict (m_def, 2e6));
      printf ("                      %8.0f/s in the first cycle of a fresh"
              " store", m_first);
      if (m_huge > 0)
        printf (", %.0f/s without truncation", m_huge);
      printf ("\n");
      if (steady_ratio.n > 0)
        printf ("                        %.2f x the physical limit of that"
                " steady state (%.0f/s)\n", median (&steady_ratio),
                median (&steady_limit));
    }
  if (m_cache > 0)
    printf ("  no-flush, 1 thread  %8.0f commits/s, steady state, %s segment"
            " (cache-resident): target >= 2000000 %s\n", m_cache,
            size_name (CACHE_SEG_SIZE), verdict (m_cache, 2e6));

  remove_tree (base_dir);
  free (base_dir);
  return 0;
}
