/* concurrent.c -- threads commit concurrently, each on its own
   segment, through the full API with a small truncation threshold, so
   group commits and automatic truncations overlap; the process is
   killed at a random moment.  Three threads make durable commits; the
   fourth makes no-flush commits and calls rvm_flush after every few of
   them; a fifth truncates the log now and then, as a background
   truncation thread would.  Every transaction stays open a little
   while (up to THINK microseconds) between its changes and its
   commit, so commits, flushes and truncations interleave in every
   order.

   Each transaction writes one stamp (its thread, its number and bytes
   derived from both) into two ranges at the two ends of its segment,
   plus a filler range between them.  After each kill a fresh process
   checks, for every thread, that both ranges hold the same valid stamp
   (a transaction is never split), that its number is at least the
   last one the thread reported after rvm_commit (or rvm_flush)
   returned, and at most the last one it had begun.

   Usage: concurrent [ROUNDS]  (default 60; seed: LRVM_TEST_SEED)  */

#include <config.h>

#include "lrvm.h"
#include "testlib.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define NTHREADS 4
#define SEGSIZE 65536
#define STAMP 64
#define FAR (SEGSIZE - STAMP)
/* The thread that makes no-flush commits, and how many it makes
   before each rvm_flush, at most.  */
#define NOFLUSH_THREAD (NTHREADS - 1)
#define MAX_UNFLUSHED 16
/* The truncation thread waits up to this many microseconds between
   two truncations.  */
#define TRUNCATE_PAUSE 2000
#define THINK 300
/* A writer is killed up to KILL_DELAY microseconds after it is ready.  */
#define KILL_DELAY 25000
/* A message is two values: a thread and its last returned commit, or
   FAILED and the status of the call that failed.  Neither value is
   ever T_READY, which the writer sends alone.  */
#define FAILED (UINT64_MAX - 1)

static uint64_t seed;
static const char *dir;

/* The stamp of transaction N of thread T: T, N, then bytes derived from
   the seed, T and N.  Transaction 0 is the zero stamp of a new
   segment.  */
static void
make_stamp (unsigned char *p, uint64_t t, uint64_t n)
{
  uint64_t st = t_mix (seed ^ t_mix (t << 48 ^ n)), x;
  int i;

  if (n == 0)
    {
      memset (p, 0, STAMP);
      return;
    }
  memcpy (p, &t, 8);
  memcpy (p + 8, &n, 8);
  for (i = 16; i < STAMP; i += 8)
    {
      x = t_rand (&st);
      memcpy (p + i, &x, 8);
    }
}

static void
pause_usec (uint64_t usec)
{
  struct timeval tv;

  tv.tv_sec = (time_t) (usec / 1000000u);
  tv.tv_usec = (suseconds_t) (usec % 1000000u);
  select (0, NULL, NULL, NULL, &tv);
}

static char *
seg_name (int t, char *buf)
{
  snprintf (buf, 8, "t%d", t);
  return buf;
}

/* Send the N values M in one write, so that threads' messages never
   interleave.  */
static void
send_values (int fd, const uint64_t *m, size_t n)
{
  ssize_t w;

  do
    w = write (fd, m, n * sizeof *m);
  while (w < 0 && errno == EINTR);
}

static void
send_msg (int fd, uint64_t t, uint64_t n)
{
  uint64_t m[2] = { t, n };

  send_values (fd, m, 2);
}

/* --- the writer ----------------------------------------------------- */

struct thread
{
  int t;
  int fd;
  rvm_t rvm;
  unsigned char *base;
};

/* Commit forever on one segment; report each commit.  On a failure,
   report it and stop.  */
static void *
committer (void *arg)
{
  struct thread *th = arg;
  uint64_t n, st = t_mix (seed ^ t_mix ((uint64_t) th->t) ^ t_now_usec ());
  unsigned char stamp[STAMP];
  void *base = th->base;
  int r;

  memcpy (&n, th->base + 8, 8);
  for (n++;; n++)
    {
      int noflush = th->t == NOFLUSH_THREAD;
      size_t flen = 1 + (size_t) (t_rand (&st) % 4096);
      size_t foff = STAMP + (size_t) (t_rand (&st) % (FAR - STAMP - flen));
      trans_t tid;

      make_stamp (stamp, (uint64_t) th->t, n);
      if ((r = rvm_begin (th->rvm, 1, &base, 0, &tid)) != 0
          || (r = rvm_modify (tid, base, 0, STAMP)) != 0
          || (r = rvm_modify (tid, base, foff, flen)) != 0
          || (r = rvm_modify (tid, base, FAR, STAMP)) != 0)
        break;
      memcpy (th->base, stamp, STAMP);
      memset (th->base + foff, (int) (n & 0xff), flen);
      memcpy (th->base + FAR, stamp, STAMP);
      pause_usec (t_rand (&st) % THINK);
      if ((r = rvm_commit (tid, noflush ? RVM_NO_FLUSH : 0)) != 0)
        break;
      if (noflush)
        {
          if (t_rand (&st) % 8 != 0 && n % MAX_UNFLUSHED != 0)
            continue;
          if ((r = rvm_flush (th->rvm)) != 0)
            break;
        }
      send_msg (th->fd, (uint64_t) th->t, n);
    }
  t_note ("thread %d: transaction %llu: %s", th->t,
          (unsigned long long) n, rvm_errmsg ());
  send_msg (th->fd, FAILED, (uint64_t) r);
  return NULL;
}

/* Truncate the log every little while until a truncation fails.  */
static void *
truncator (void *arg)
{
  struct thread *th = arg;
  uint64_t st = t_mix (seed ^ t_now_usec ());
  int r;

  for (;;)
    {
      pause_usec (t_rand (&st) % TRUNCATE_PAUSE);
      if ((r = rvm_truncate (th->rvm)) != 0)
        break;
    }
  t_note ("truncation thread: %s", rvm_errmsg ());
  send_msg (th->fd, FAILED, (uint64_t) r);
  return NULL;
}

struct child
{
  int fd[2];
  int round;
  uint64_t lo[NTHREADS];        /* verifier: last reported commits */
};

static int
writer (void *arg)
{
  struct child *c = arg;
  struct thread th[NTHREADS + 1];
  pthread_t id[NTHREADS + 1];
  struct rvm_options o;
  uint64_t rs = t_mix (seed ^ (uint64_t) c->round), ready = T_READY;
  char name[8];
  rvm_t rvm;
  int t;

  close (c->fd[0]);
  rvm_options_init (&o);
  o.truncate_threshold = 16384 + t_rand (&rs) % 65536;
  o.log_reserve = t_rand (&rs) % 2 ? 0 : 262144;
  if (rvm_open (dir, &o, &rvm) != 0)
    {
      t_note ("round %d: writer cannot open: %s", c->round,
              rvm_errmsg ());
      return 3;
    }
  for (t = 0; t < NTHREADS; t++)
    {
      void *base;
      if (rvm_map_segment (rvm, seg_name (t, name), SEGSIZE, &base,
                           NULL) != 0)
        {
          t_note ("round %d: writer cannot map: %s", c->round,
                  rvm_errmsg ());
          return 3;
        }
      th[t].t = t;
      th[t].fd = c->fd[1];
      th[t].rvm = rvm;
      th[t].base = base;
    }
  th[NTHREADS] = th[0];
  send_values (c->fd[1], &ready, 1);
  for (t = 0; t <= NTHREADS; t++)
    if (pthread_create (&id[t], NULL, t < NTHREADS ? committer : truncator,
                        &th[t]) != 0)
      return 5;
  for (t = 0; t <= NTHREADS; t++)
    pthread_join (id[t], NULL);
  return 4;
}

/* --- the verifier --------------------------------------------------- */

static int
verifier (void *arg)
{
  struct child *c = arg;
  unsigned char want[STAMP];
  char name[8];
  rvm_t rvm;
  int t;

  close (c->fd[0]);
  if (rvm_open (dir, NULL, &rvm) != 0)
    {
      t_note ("round %d: verifier cannot open: %s", c->round,
              rvm_errmsg ());
      return 3;
    }
  for (t = 0; t < NTHREADS; t++)
    {
      unsigned char *p;
      void *base;
      uint64_t n;

      if (rvm_map_segment (rvm, seg_name (t, name), SEGSIZE, &base,
                           NULL) != 0)
        {
          t_note ("round %d: verifier cannot map: %s",
                  c->round, rvm_errmsg ());
          return 3;
        }
      p = base;
      memcpy (&n, p + 8, 8);
      make_stamp (want, (uint64_t) t, n);
      if (memcmp (p, want, STAMP) != 0)
        {
          t_note ("round %d: thread %d: the first range holds"
                  " no valid stamp", c->round, t);
          return 1;
        }
      if (memcmp (p + FAR, want, STAMP) != 0)
        {
          t_note ("round %d: thread %d: transaction %llu is"
                  " split: its second range differs", c->round, t,
                  (unsigned long long) n);
          return 1;
        }
      if (n < c->lo[t]
          || n > c->lo[t] + (t == NOFLUSH_THREAD ? MAX_UNFLUSHED : 1))
        {
          t_note ("round %d: thread %d: recovered transaction"
                  " %llu, but %llu was reported committed", c->round, t,
                  (unsigned long long) n, (unsigned long long) c->lo[t]);
          return 1;
        }
      send_msg (c->fd[1], (uint64_t) t, n);
    }
  rvm_close (rvm);
  return 0;
}

/* --- the driver ----------------------------------------------------- */

/* What the driver gathers from a child's messages.  */
struct gather
{
  uint64_t *last;               /* LAST[t]: the last number of thread t */
  uint64_t commits;             /* commits reported */
  int failures;                 /* failed calls reported */
  int half;                     /* FIRST holds a message's first value */
  uint64_t first;
};

/* t_run_until_each's callback: put each message back together from
   its two values and account for it in the struct gather ARG.  */
static void
gather_value (uint64_t v, void *arg)
{
  struct gather *g = arg;

  if (!g->half)
    {
      g->first = v;
      g->half = 1;
      return;
    }
  g->half = 0;
  if (g->first == FAILED)
    g->failures++;
  else if (g->first < NTHREADS)
    {
      g->last[g->first] = v;
      g->commits++;
    }
}

int
main (int argc, char **argv)
{
  int rounds = argc > 1 ? atoi (argv[1]) : 60, round, ok = 1;
  uint64_t lo[NTHREADS], rs, total = 0, t0 = t_now_usec ();
  char buf[64];

  t_init (argc, argv);
  seed = t_seed ("concurrent");
  rs = t_mix (seed);
  dir = t_tmpdir ("concurrent");
  memset (lo, 0, sizeof lo);

  /* The parent never calls the library itself.  */
  for (round = 1; round <= rounds && ok; round++)
    {
      struct child c;
      uint64_t got[NTHREADS], values;
      struct gather g;
      int st;
      pid_t pid;

      memset (&c, 0, sizeof c);
      c.round = round;
      if (pipe (c.fd) != 0)
        t_bail ("pipe: %s", strerror (errno));
      pid = t_fork (writer, &c);
      close (c.fd[1]);
      memcpy (c.lo, lo, sizeof lo);
      memset (&g, 0, sizeof g);
      g.last = c.lo;
      t_run_until_each (pid, c.fd[0], UINT64_MAX, t_rand (&rs) % KILL_DELAY,
                        0, &values, gather_value, &g);
      total += g.commits;
      close (c.fd[0]);
      t_wait (pid, &st, buf, sizeof buf);
      if (!WIFSIGNALED (st) || WTERMSIG (st) != SIGKILL || g.failures > 0)
        {
          t_note ("round %d: writer ended with %s, not SIGKILL,"
                  " or with %d failed calls", round, buf, g.failures);
          ok = 0;
          break;
        }

      if (pipe (c.fd) != 0)
        t_bail ("pipe: %s", strerror (errno));
      pid = t_fork (verifier, &c);
      close (c.fd[1]);
      memset (got, 0, sizeof got);
      memset (&g, 0, sizeof g);
      g.last = got;
      t_run_until_each (pid, c.fd[0], UINT64_MAX, UINT64_MAX, 0, &values,
                        gather_value, &g);
      close (c.fd[0]);
      t_wait (pid, &st, buf, sizeof buf);
      if (!WIFEXITED (st) || WEXITSTATUS (st) != 0)
        {
          t_note ("round %d: verifier: %s", round, buf);
          ok = 0;
          break;
        }
      memcpy (lo, got, sizeof lo);
    }
  t_note ("%d rounds of %d threads, %llu commits reported,"
          " last numbers %llu %llu %llu %llu, %.1f s", round - 1, NTHREADS,
          (unsigned long long) total, (unsigned long long) lo[0],
          (unsigned long long) lo[1], (unsigned long long) lo[2],
          (unsigned long long) lo[3], (t_now_usec () - t0) / 1e6);
  if (t_check (ok, "every returned commit of every thread"
               " recovered, no transaction split"))
    t_rmdir (dir);
  else
    t_note ("store kept in %s", dir);
  return t_done ();
}
