/* threads.c -- one store used by several threads at once: a stress
   test of commits, aborts, flushes, truncations and statistics readers
   checked by a fresh process; transactions on disjoint segments at the
   same time; a race for one segment; group commit; transactions begun
   by many threads at once and committed by others; a handle opened and
   closed over and over while other threads commit on another.  */

#include <config.h>

#include <lrvm.h>
#include "testlib.h"
#include "teststore.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 6
#define WSEG ((size_t) 64 * 1024)
#define ITERS 300

static unsigned char
pat (unsigned tag, size_t i)
{
  return (unsigned char) (tag * 37u + i * 11u + (i >> 9) + 1u);
}

/* --- the stress test --------------------------------------------- */

/* One iteration of a worker, planned from its generator alone, so that
   the verifier can compute every segment's final image.  */
struct wop
{
  size_t off[4], len[4];
  int n;
  int abort;                    /* abort instead of committing */
  int durable;
  unsigned begin_flags;
};

static void
wplan (uint64_t *rng, struct wop *op)
{
  uint64_t x = t_rand (rng);
  int k;

  op->n = 1 + (int) (x % 4);
  for (k = 0; k < op->n; k++)
    {
      op->len[k] = 1 + t_rand (rng) % 2048;
      op->off[k] = t_rand (rng) % (WSEG - op->len[k] + 1);
    }
  x = t_rand (rng);
  op->abort = x % 8 == 0;
  op->durable = x % 4 == 1;
  op->begin_flags = !op->abort && x % 5 == 2 ? RVM_NO_RESTORE : 0;
}

/* Write the value of iteration IT of thread T into IMG for OP.  */
static void
wapply (unsigned char *img, const struct wop *op, unsigned t, unsigned it)
{
  int k;
  size_t i;

  for (k = 0; k < op->n; k++)
    for (i = 0; i < op->len[k]; i++)
      img[op->off[k] + i] = pat (t * 100000u + it * 4u + (unsigned) k, i);
}

static uint64_t
worker_seed (uint64_t seed, unsigned t)
{
  return seed ^ ((uint64_t) (t + 1) * 0x9E3779B97F4A7C15ull);
}

/* The final image of every worker's segment.  */
static void
simulate (uint64_t seed, unsigned char *img[NTHREADS])
{
  unsigned t, it;

  for (t = 0; t < NTHREADS; t++)
    {
      uint64_t rng = worker_seed (seed, t);
      memset (img[t], 0, WSEG);
      for (it = 0; it < ITERS; it++)
        {
          struct wop op;
          wplan (&rng, &op);
          if (!op.abort)
            wapply (img[t], &op, t, it);
        }
    }
}

struct worker
{
  rvm_t rvm;
  unsigned t;
  uint64_t seed;
  void *seg;
  unsigned char *shadow;
  unsigned durable, noflush, aborts;
  int bad_status, bad_restore;
  int first_error;
  char first_msg[256];
};

static void *
worker_main (void *arg)
{
  struct worker *w = arg;
  uint64_t rng = worker_seed (w->seed, w->t);
  unsigned it;

  for (it = 0; it < ITERS; it++)
    {
      struct wop op;
      trans_t tid;
      int k, r;

      wplan (&rng, &op);
      if ((r = rvm_begin (w->rvm, 1, &w->seg, op.begin_flags, &tid)) != 0)
        goto fail;
      for (k = 0; k < op.n; k++)
        {
          r = k % 2 ? rvm_set_range (tid, (char *) w->seg + op.off[k],
                                     op.len[k])
                    : rvm_modify (tid, w->seg, op.off[k], op.len[k]);
          if (r != 0)
            goto fail;
        }
      wapply (w->seg, &op, w->t, it);
      if (op.abort)
        {
          if ((r = rvm_abort (tid)) != 0)
            goto fail;
          if (memcmp (w->seg, w->shadow, WSEG) != 0)
            w->bad_restore++;
          w->aborts++;
          continue;
        }
      if ((r = rvm_commit (tid, op.durable ? 0 : RVM_NO_FLUSH)) != 0)
        goto fail;
      wapply (w->shadow, &op, w->t, it);
      if (op.durable)
        w->durable++;
      else
        w->noflush++;
      continue;
    fail:
      if (w->bad_status++ == 0)
        {
          w->first_error = r;
          snprintf (w->first_msg, sizeof w->first_msg, "%s", rvm_errmsg ());
        }
    }
  return NULL;
}

struct helper
{
  rvm_t rvm;
  volatile int *stop;
  pthread_mutex_t *mu;
  unsigned flushes, truncations, reads;
  int bad_status, bad_monotonic;
  char first_msg[256];
};

/* Count a failed call of helper H; keep the first message.  */
static void
helper_failed (struct helper *h)
{
  if (h->bad_status++ == 0)
    snprintf (h->first_msg, sizeof h->first_msg, "%s", rvm_errmsg ());
}

static int
stop_now (struct helper *h)
{
  int s;

  pthread_mutex_lock (h->mu);
  s = *h->stop;
  pthread_mutex_unlock (h->mu);
  return s;
}

/* Flush often, truncate now and then, until told to stop.  */
static void *
flusher_main (void *arg)
{
  struct helper *h = arg;
  unsigned n = 0;

  while (!stop_now (h))
    {
      if (rvm_flush (h->rvm) != 0)
        helper_failed (h);
      h->flushes++;
      if (++n % 10 == 0)
        {
          if (rvm_truncate (h->rvm) != 0)
            helper_failed (h);
          h->truncations++;
        }
      usleep (1000);
    }
  return NULL;
}

/* Read the statistics in a loop: every counter only grows, and no
   flush makes more commits durable than there are records.  */
static void *
reader_main (void *arg)
{
  struct helper *h = arg;
  struct rvm_statistics prev, st;

  memset (&prev, 0, sizeof prev);
  while (!stop_now (h))
    {
      if (rvm_stats (h->rvm, &st, sizeof st) != 0)
        {
          helper_failed (h);
          continue;
        }
      if (st.commits < prev.commits
          || st.commits_noflush < prev.commits_noflush
          || st.aborts < prev.aborts || st.bytes_logged < prev.bytes_logged
          || st.flushes < prev.flushes
          || st.flushed_commits < prev.flushed_commits
          || st.truncations < prev.truncations
          || st.flushed_commits > st.commits + st.commits_noflush
          || st.flushed_commits < st.flushes)
        h->bad_monotonic++;
      prev = st;
      h->reads++;
      usleep (200);
    }
  return NULL;
}

struct stress
{
  const char *dir;
  uint64_t seed;
};

/* Run the workers and helpers on one handle, flush, and die without
   closing: what the store holds must come from the log alone.  */
static int
stress_child (void *arg)
{
  const struct stress *sx = arg;
  struct worker w[NTHREADS];
  struct helper fl, rd;
  struct rvm_options o;
  struct rvm_statistics st;
  pthread_t tw[NTHREADS], tf, tr;
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  volatile int stop = 0;
  unsigned t, durable = 0, noflush = 0, aborts = 0;
  int bad_status = 0, bad_restore = 0;
  rvm_t rvm;

  rvm_options_init (&o);
  o.truncate_threshold = 128 * 1024;    /* automatic truncations too */
  if (rvm_open (sx->dir, &o, &rvm) != 0)
    return 3;
  memset (w, 0, sizeof w);
  for (t = 0; t < NTHREADS; t++)
    {
      char name[16];
      snprintf (name, sizeof name, "w%u", t);
      w[t].rvm = rvm;
      w[t].t = t;
      w[t].seed = sx->seed;
      w[t].shadow = calloc (1, WSEG);
      if (w[t].shadow == NULL
          || rvm_map_segment (rvm, name, WSEG, &w[t].seg, NULL) != 0)
        return 4;
    }
  memset (&fl, 0, sizeof fl);
  fl.rvm = rvm;
  fl.stop = &stop;
  fl.mu = &mu;
  rd = fl;
  if (pthread_create (&tf, NULL, flusher_main, &fl) != 0
      || pthread_create (&tr, NULL, reader_main, &rd) != 0)
    return 5;
  for (t = 0; t < NTHREADS; t++)
    if (pthread_create (&tw[t], NULL, worker_main, &w[t]) != 0)
      return 5;
  for (t = 0; t < NTHREADS; t++)
    pthread_join (tw[t], NULL);
  pthread_mutex_lock (&mu);
  stop = 1;
  pthread_mutex_unlock (&mu);
  pthread_join (tf, NULL);
  pthread_join (tr, NULL);

  for (t = 0; t < NTHREADS; t++)
    {
      durable += w[t].durable;
      noflush += w[t].noflush;
      aborts += w[t].aborts;
      bad_status += w[t].bad_status;
      bad_restore += w[t].bad_restore;
      if (w[t].bad_status)
        t_note ("stress: worker %u: %d failed calls, the first %d: %s", t,
                w[t].bad_status, w[t].first_error, w[t].first_msg);
    }
  if (fl.bad_status)
    t_note ("stress: flusher: %d failed calls, the first: %s",
            fl.bad_status, fl.first_msg);
  t_check (bad_status == 0, "stress: every call of the %d workers returns"
           " 0", NTHREADS);
  t_check (bad_restore == 0, "stress: every abort restores the segment to"
           " its last commit");
  t_check (fl.bad_status == 0 && fl.flushes > 0 && fl.truncations > 0,
           "stress: rvm_flush and rvm_truncate from another thread return"
           " 0");
  t_check (rd.bad_status == 0 && rd.bad_monotonic == 0 && rd.reads > 0,
           "stress: a statistics reader sees counters that only grow");
  if (rvm_flush (rvm) != 0 || rvm_stats (rvm, &st, sizeof st) != 0)
    return 6;
  t_note ("stress: %u durable, %u no-flush commits, %u aborts; %llu"
          " flushes for %llu commits; %llu truncations, %u of them"
          " explicit",
          durable, noflush, aborts, (unsigned long long) st.flushes,
          (unsigned long long) st.flushed_commits,
          (unsigned long long) st.truncations, fl.truncations);
  t_check (st.commits == durable && st.commits_noflush == noflush
           && st.aborts == aborts, "stress: the statistics count every"
           " thread's commits and aborts");
  t_check (st.flushed_commits == durable + noflush
           && st.truncations >= fl.truncations,
           "stress: every commit was flushed, every truncation counted");
  kill (getpid (), SIGKILL);
  return 7;
}

struct wverify
{
  const char *dir;
  unsigned char **img;
};

static int
stress_verifier (void *arg)
{
  const struct wverify *v = arg;
  rvm_t rvm;
  unsigned t;
  int bad = 0;

  if (rvm_open (v->dir, NULL, &rvm) != 0)
    return 3;
  for (t = 0; t < NTHREADS; t++)
    {
      char name[16];
      void *seg;
      snprintf (name, sizeof name, "w%u", t);
      if (rvm_map_segment (rvm, name, WSEG, &seg, NULL) != 0)
        return 4;
      if (memcmp (seg, v->img[t], WSEG) != 0)
        {
          t_note ("stress: segment %s differs", name);
          bad = 1;
        }
    }
  return bad;
}

static void
test_stress (void)
{
  char *d = t_tmpdir ("stress");
  struct stress sx;
  struct wverify v;
  unsigned char *img[NTHREADS];
  char how[64];
  unsigned t;
  int ok;

  sx.dir = d;
  sx.seed = t_seed ("stress");
  for (t = 0; t < NTHREADS; t++)
    if ((img[t] = malloc (WSEG)) == NULL)
      t_bail ("out of memory");
  simulate (sx.seed, img);
  t_wait (t_fork (stress_child, &sx), NULL, how, sizeof how);
  t_note ("stress: the writer ended with %s", how);
  t_check (strcmp (how, "signal 9") == 0, "stress: the writer ran and was"
           " killed");
  v.dir = d;
  v.img = img;
  ok = t_run_child (stress_verifier, &v, how, sizeof how);
  t_note ("stress: the verifier ended with %s", how);
  t_check (ok, "stress: a fresh process finds every thread's segment as"
           " its last commit left it");
  for (t = 0; t < NTHREADS; t++)
    free (img[t]);
  t_rmdir (d);
  free (d);
}

/* --- truncation while other threads commit ------------------------ */

#define TRUNC_RUNS 10
#define SPAMMERS 4

struct spam
{
  rvm_t rvm;
  void *seg;
  pthread_mutex_t *mu;
  int *stop;
};

/* No-flush commits as fast as possible until told to stop.  */
static void *
spam_main (void *arg)
{
  struct spam *sp = arg;
  unsigned i;

  for (i = 0;; i++)
    {
      trans_t tid;
      int stop;

      pthread_mutex_lock (sp->mu);
      stop = *sp->stop;
      pthread_mutex_unlock (sp->mu);
      if (stop)
        break;
      if (rvm_begin (sp->rvm, 1, &sp->seg, 0, &tid) != 0)
        continue;
      if (rvm_modify (tid, sp->seg, (i % 64) * 8, 8) == 0)
        memset ((char *) sp->seg + (i % 64) * 8, (int) i, 8);
      rvm_commit (tid, RVM_NO_FLUSH);
    }
  return NULL;
}

struct trunc_run
{
  const char *dir;
  int n;                        /* truncations, each then a commit */
  int fd;
};

/* While SPAMMERS threads make no-flush commits, truncate and then
   commit the counter I durably, N times; report the last counter
   acknowledged and die.  */
static int
trunc_writer (void *arg)
{
  const struct trunc_run *tr = arg;
  struct spam sp[SPAMMERS];
  pthread_t th[SPAMMERS];
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  int stop = 0, i, last = 0, k;
  rvm_t rvm;
  void *d;

  if (rvm_open (tr->dir, NULL, &rvm) != 0
      || rvm_map_segment (rvm, "counter", 4096, &d, NULL) != 0)
    return 3;
  for (k = 0; k < SPAMMERS; k++)
    {
      char name[16];
      snprintf (name, sizeof name, "s%d", k);
      sp[k].rvm = rvm;
      sp[k].mu = &mu;
      sp[k].stop = &stop;
      if (rvm_map_segment (rvm, name, 4096, &sp[k].seg, NULL) != 0
          || pthread_create (&th[k], NULL, spam_main, &sp[k]) != 0)
        return 4;
    }
  for (i = 1; i <= tr->n; i++)
    {
      trans_t tid;
      if (rvm_truncate (rvm) != 0 || rvm_begin (rvm, 1, &d, 0, &tid) != 0
          || rvm_modify (tid, d, 0, sizeof i) != 0)
        break;
      memcpy (d, &i, sizeof i);
      if (rvm_commit (tid, 0) != 0)
        break;
      last = i;
    }
  if (write (tr->fd, &last, sizeof last) != (ssize_t) sizeof last)
    return 5;
  /* Stop the threads, so that no commit of theirs runs at the kill.  */
  pthread_mutex_lock (&mu);
  stop = 1;
  pthread_mutex_unlock (&mu);
  for (k = 0; k < SPAMMERS; k++)
    pthread_join (th[k], NULL);
  kill (getpid (), SIGKILL);
  return 6;
}

static int
counter_verifier (void *arg)
{
  const struct trunc_run *tr = arg;
  rvm_t rvm;
  void *d;
  int got;

  if (rvm_open (tr->dir, NULL, &rvm) != 0
      || rvm_map_segment (rvm, "counter", 4096, &d, NULL) != 0)
    return 3;
  memcpy (&got, d, sizeof got);
  if (write (tr->fd, &got, sizeof got) != (ssize_t) sizeof got)
    return 4;
  return rvm_close (rvm) == 0 ? 0 : 5;
}

/* A truncation must not leave behind records appended while it waited
   for the log: they would carry the old epoch and end the log, losing
   the durable commits written after them.  */
static void
test_truncate_under_commits (void)
{
  unsigned run, lost = 0, short_runs = 0;

  for (run = 0; run < TRUNC_RUNS; run++)
    {
      char *d = t_tmpdir ("trunc");
      struct trunc_run tr;
      int fds[2], last = -1, got = -1, vok;
      char how[64], vhow[64];

      if (pipe (fds) != 0)
        t_bail ("pipe: %s", strerror (errno));
      tr.dir = d;
      tr.n = 3 + (int) run;
      tr.fd = fds[1];
      t_wait (t_fork (trunc_writer, &tr), NULL, how, sizeof how);
      close (fds[1]);
      if (read (fds[0], &last, sizeof last) != (ssize_t) sizeof last)
        last = -1;
      close (fds[0]);
      if (pipe (fds) != 0)
        t_bail ("pipe: %s", strerror (errno));
      tr.fd = fds[1];
      vok = t_run_child (counter_verifier, &tr, vhow, sizeof vhow);
      close (fds[1]);
      if (read (fds[0], &got, sizeof got) != (ssize_t) sizeof got)
        got = -1;
      close (fds[0]);
      short_runs += last != tr.n;
      if (last < 0 || got < last || !vok)
        {
          lost++;
          t_note ("truncate under commits, run %u: writer %s, last durable"
                  " commit %d, found %d (verifier %s)", run, how, last, got,
                  vhow);
        }
      t_rmdir (d);
      free (d);
    }
  t_check (short_runs == 0, "truncate under commits: every truncation and"
           " durable commit returns 0 while %d threads commit",
           SPAMMERS);
  t_check (lost == 0, "truncate under commits: after SIGKILL every"
           " acknowledged durable commit is found (%d runs)", TRUNC_RUNS);
}

/* --- transactions on disjoint segments at the same time --------- */

struct pair
{
  rvm_t rvm;
  void *seg[2];
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int active;                   /* transactions begun */
  int overlapped[2];
  int status[2];
};

struct side
{
  struct pair *p;
  int i;
};

/* Begin on my segment, wait (10 s at most) until the other thread has
   begun too, then write and commit.  */
static void *
side_main (void *arg)
{
  struct side *s = arg;
  struct pair *p = s->p;
  struct timespec until;
  struct timeval now;
  trans_t tid;
  int r;

  r = rvm_begin (p->rvm, 1, &p->seg[s->i], 0, &tid);
  pthread_mutex_lock (&p->mu);
  if (r == 0)
    p->active++;
  pthread_cond_broadcast (&p->cv);
  gettimeofday (&now, NULL);
  until.tv_sec = now.tv_sec + 10;
  until.tv_nsec = (long) now.tv_usec * 1000;
  while (p->active < 2
         && pthread_cond_timedwait (&p->cv, &p->mu, &until) == 0)
    ;
  p->overlapped[s->i] = p->active == 2;
  pthread_mutex_unlock (&p->mu);
  if (r == 0 && (r = rvm_modify (tid, p->seg[s->i], 0, 64)) == 0)
    {
      memset (p->seg[s->i], 'A' + s->i, 64);
      r = rvm_commit (tid, 0);
    }
  p->status[s->i] = r;
  return NULL;
}

static int
pair_verifier (void *arg)
{
  const char *d = arg;
  rvm_t rvm;
  unsigned char *a, *b;
  int i;

  if (rvm_open (d, NULL, &rvm) != 0
      || rvm_map_segment (rvm, "p0", 4096, (void **) &a, NULL) != 0
      || rvm_map_segment (rvm, "p1", 4096, (void **) &b, NULL) != 0)
    return 3;
  for (i = 0; i < 64; i++)
    if (a[i] != 'A' || b[i] != 'B')
      return 1;
  return 0;
}

static void
test_disjoint (void)
{
  char *d = t_tmpdir ("disjoint");
  struct pair p;
  struct side s[2];
  pthread_t th[2];
  char how[64];
  int i, ok;

  memset (&p, 0, sizeof p);
  pthread_mutex_init (&p.mu, NULL);
  pthread_cond_init (&p.cv, NULL);
  p.rvm = t_open (d, NULL);
  p.seg[0] = t_map (p.rvm, "p0", 4096);
  p.seg[1] = t_map (p.rvm, "p1", 4096);
  for (i = 0; i < 2; i++)
    {
      s[i].p = &p;
      s[i].i = i;
      if (pthread_create (&th[i], NULL, side_main, &s[i]) != 0)
        t_bail ("pthread_create");
    }
  for (i = 0; i < 2; i++)
    pthread_join (th[i], NULL);
  t_check (p.overlapped[0] && p.overlapped[1], "disjoint: two threads hold"
           " transactions on their own segments at the same time");
  t_note ("disjoint: the commits return %d and %d", p.status[0],
          p.status[1]);
  t_check (p.status[0] == 0 && p.status[1] == 0, "disjoint: both commit");
  rvm_close (p.rvm);
  ok = t_run_child (pair_verifier, d, how, sizeof how);
  t_note ("disjoint: the verifier ended with %s", how);
  t_check (ok, "disjoint: a fresh process finds both commits");
  pthread_mutex_destroy (&p.mu);
  pthread_cond_destroy (&p.cv);
  t_rmdir (d);
  free (d);
}

/* --- two threads begin on the same segment ----------------------- */

#define RACES 200

struct race
{
  rvm_t rvm;
  void *seg;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int ready, go;
  int r[2];
  trans_t tid[2];
};

struct racer
{
  struct race *rc;
  int i;
};

static void *
racer_main (void *arg)
{
  struct racer *me = arg;
  struct race *rc = me->rc;

  pthread_mutex_lock (&rc->mu);
  rc->ready++;
  pthread_cond_broadcast (&rc->cv);
  while (!rc->go)
    pthread_cond_wait (&rc->cv, &rc->mu);
  pthread_mutex_unlock (&rc->mu);
  rc->r[me->i] = rvm_begin (rc->rvm, 1, &rc->seg, 0, &rc->tid[me->i]);
  return NULL;
}

static void
test_race (void)
{
  char *d = t_tmpdir ("race");
  struct race rc;
  struct racer who[2];
  unsigned round, wrong = 0, wins[2] = { 0, 0 };
  rvm_t rvm;

  memset (&rc, 0, sizeof rc);
  rvm = t_open (d, NULL);
  rc.seg = t_map (rvm, "shared", 4096);
  rc.rvm = rvm;
  pthread_mutex_init (&rc.mu, NULL);
  pthread_cond_init (&rc.cv, NULL);
  for (round = 0; round < RACES; round++)
    {
      pthread_t th[2];
      int i, winner = -1;

      rc.ready = rc.go = 0;
      for (i = 0; i < 2; i++)
        {
          who[i].rc = &rc;
          who[i].i = i;
          if (pthread_create (&th[i], NULL, racer_main, &who[i]) != 0)
            t_bail ("pthread_create");
        }
      pthread_mutex_lock (&rc.mu);
      while (rc.ready < 2)
        pthread_cond_wait (&rc.cv, &rc.mu);
      rc.go = 1;
      pthread_cond_broadcast (&rc.cv);
      pthread_mutex_unlock (&rc.mu);
      for (i = 0; i < 2; i++)
        pthread_join (th[i], NULL);
      for (i = 0; i < 2; i++)
        if (rc.r[i] == 0)
          winner = winner == -1 ? i : 2;
      if (winner < 0 || winner > 1 || rc.r[1 - winner] != RVM_EINTRANS
          || rc.tid[1 - winner] != (trans_t) -1)
        {
          if (wrong++ == 0)
            t_note ("race %u: statuses %d and %d", round, rc.r[0], rc.r[1]);
        }
      else
        wins[winner]++;
      /* The winner's transaction ends here, in another thread.  */
      for (i = 0; i < 2; i++)
        if (rc.r[i] == 0)
          rvm_abort (rc.tid[i]);
    }
  t_note ("race: thread 0 won %u times, thread 1 %u times", wins[0],
          wins[1]);
  t_check (wrong == 0, "race: of two threads beginning on one segment,"
           " exactly one wins and the other gets RVM_EINTRANS (%u races)",
           RACES);
  rvm_close (rvm);
  pthread_mutex_destroy (&rc.mu);
  pthread_cond_destroy (&rc.cv);
  t_rmdir (d);
  free (d);
}

/* --- group commit ------------------------------------------------ */

#define GTHREADS 4
#define GCOMMITS 100

struct gworker
{
  rvm_t rvm;
  void *seg;
  unsigned t;
  int bad;
};

static void *
gworker_main (void *arg)
{
  struct gworker *g = arg;
  unsigned i;

  for (i = 0; i < GCOMMITS; i++)
    {
      trans_t tid;
      unsigned char *p = g->seg;
      if (rvm_begin (g->rvm, 1, &g->seg, 0, &tid) != 0
          || rvm_modify (tid, g->seg, (i % 64) * 8, 8) != 0)
        {
          g->bad++;
          continue;
        }
      memset (p + (i % 64) * 8, (int) (g->t * 16 + i % 16), 8);
      if (rvm_commit (tid, 0) != 0)
        g->bad++;
    }
  return NULL;
}

static void
test_group_commit (void)
{
  char *d = t_tmpdir ("group");
  struct gworker g[GTHREADS];
  struct rvm_statistics st;
  pthread_t th[GTHREADS];
  rvm_t rvm;
  unsigned t;
  int bad = 0;

  rvm = t_open (d, NULL);
  for (t = 0; t < GTHREADS; t++)
    {
      char name[16];
      snprintf (name, sizeof name, "g%u", t);
      g[t].rvm = rvm;
      g[t].t = t;
      g[t].bad = 0;
      g[t].seg = t_map (rvm, name, 4096);
    }
  for (t = 0; t < GTHREADS; t++)
    if (pthread_create (&th[t], NULL, gworker_main, &g[t]) != 0)
      t_bail ("pthread_create");
  for (t = 0; t < GTHREADS; t++)
    {
      pthread_join (th[t], NULL);
      bad += g[t].bad;
    }
  if (rvm_stats (rvm, &st, sizeof st) != 0)
    t_bail ("group: %s", rvm_errmsg ());
  t_note ("group commit: %llu commits in %llu flushes, %.2f per flush",
          (unsigned long long) st.flushed_commits,
          (unsigned long long) st.flushes,
          st.flushes ? (double) st.flushed_commits / st.flushes : 0.0);
  t_check (bad == 0 && st.commits == GTHREADS * GCOMMITS,
           "group commit: %u threads' %u durable commits all return 0 and"
           " are counted", GTHREADS, GTHREADS * GCOMMITS);
  t_check (st.flushed_commits == st.commits && st.flushes > 0
           && st.flushes <= st.flushed_commits,
           "group commit: the flushes carry every commit, none twice");
  rvm_close (rvm);
  t_rmdir (d);
  free (d);
}

/* --- many threads begin, others commit --------------------------- */

/* More threads than the transaction table has stripes, so that some
   share one.  */
#define HANDOFF 40
#define HSEG 4096

struct handoff
{
  rvm_t rvm;
  void *seg[HANDOFF];
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int begun, phase;
  trans_t tid[HANDOFF];
  int status[HANDOFF];          /* of the commit of the next one's tid */
  int again[HANDOFF];           /* of committing it a second time */
};

struct handoff_arg
{
  struct handoff *h;
  int i;
};

/* Begin on segment I, wait until every thread has begun (10 s at
   most), then commit the transaction that thread I + 1 began, with
   ITS segment changed to a value of I's.  */
static void *
handoff_main (void *arg)
{
  struct handoff_arg *me = arg;
  struct handoff *h = me->h;
  int next = (me->i + 1) % HANDOFF, r;
  struct timespec until;
  struct timeval now;
  trans_t tid, theirs = -1;

  r = rvm_begin (h->rvm, 1, &h->seg[me->i], 0, &tid);
  pthread_mutex_lock (&h->mu);
  h->tid[me->i] = r == 0 ? tid : -1;
  h->begun++;
  pthread_cond_broadcast (&h->cv);
  gettimeofday (&now, NULL);
  until.tv_sec = now.tv_sec + 10;
  until.tv_nsec = (long) now.tv_usec * 1000;
  while (!h->phase && pthread_cond_timedwait (&h->cv, &h->mu, &until) == 0)
    ;
  if (h->phase)
    theirs = h->tid[next];
  pthread_mutex_unlock (&h->mu);
  if (theirs <= 0)
    r = -1;
  else if ((r = rvm_modify (theirs, h->seg[next], 0, 64)) == 0)
    {
      memset (h->seg[next], 'a' + me->i % 26, 64);
      r = rvm_commit (theirs, RVM_NO_FLUSH);
    }
  h->status[me->i] = r;
  h->again[me->i] = theirs > 0 ? rvm_commit (theirs, 0) : -1;
  return NULL;
}

static int
handoff_verifier (void *arg)
{
  const char *d = arg;
  rvm_t rvm;
  int i, k;

  if (rvm_open (d, NULL, &rvm) != 0)
    return 3;
  for (i = 0; i < HANDOFF; i++)
    {
      char name[16];
      unsigned char *p;
      snprintf (name, sizeof name, "h%d", (i + 1) % HANDOFF);
      if (rvm_map_segment (rvm, name, HSEG, (void **) &p, NULL) != 0)
        return 3;
      for (k = 0; k < 64; k++)
        if (p[k] != 'a' + i % 26)
          return 1;
    }
  return 0;
}

static void
test_handoff (void)
{
  char *d = t_tmpdir ("handoff"), how[64];
  struct handoff h;
  struct handoff_arg a[HANDOFF];
  pthread_t th[HANDOFF];
  int i, j, started = 0, distinct = 1, committed = 0, refused = 0, ok;

  memset (&h, 0, sizeof h);
  pthread_mutex_init (&h.mu, NULL);
  pthread_cond_init (&h.cv, NULL);
  h.rvm = t_open (d, NULL);
  for (i = 0; i < HANDOFF; i++)
    {
      char name[16];
      snprintf (name, sizeof name, "h%d", i);
      h.seg[i] = t_map (h.rvm, name, HSEG);
    }
  for (i = 0; i < HANDOFF; i++)
    {
      a[i].h = &h;
      a[i].i = i;
      if (pthread_create (&th[i], NULL, handoff_main, &a[i]) != 0)
        break;
      started++;
    }
  pthread_mutex_lock (&h.mu);
  while (h.begun < started)
    pthread_cond_wait (&h.cv, &h.mu);
  for (i = 0; i < started; i++)
    for (j = 0; j < i; j++)
      if (h.tid[i] <= 0 || h.tid[i] == h.tid[j])
        distinct = 0;
  h.phase = 1;
  pthread_cond_broadcast (&h.cv);
  pthread_mutex_unlock (&h.mu);
  for (i = 0; i < started; i++)
    pthread_join (th[i], NULL);
  if (started != HANDOFF)
    t_bail ("handoff: could start only %d of %d threads", started,
            HANDOFF);
  t_check (distinct, "handoff: %d threads hold transactions at once, each"
           " with its own positive id", HANDOFF);
  for (i = 0; i < HANDOFF; i++)
    {
      committed += h.status[i] == 0;
      refused += h.again[i] == RVM_ETRANS;
    }
  t_check (committed == HANDOFF, "handoff: each thread commits the"
           " transaction another thread began (%d of %d)", committed,
           HANDOFF);
  t_check (refused == HANDOFF, "handoff: committing it again is refused"
           " with RVM_ETRANS (%d of %d)", refused, HANDOFF);
  rvm_close (h.rvm);
  ok = t_run_child (handoff_verifier, d, how, sizeof how);
  t_note ("handoff: the verifier ended with %s", how);
  t_check (ok, "handoff: a fresh process finds every segment as the"
           " thread that committed it left it");
  pthread_mutex_destroy (&h.mu);
  pthread_cond_destroy (&h.cv);
  t_rmdir (d);
  free (d);
}

/* --- handles opened and closed while others commit --------------- */

#define REG_COMMITS 3000
#define REG_OPENS 100

/* Write I at the start of SEG, a segment of RVM, in one no-flush
   commit: 0 or a status code.  */
static int
reg_count (rvm_t rvm, void *seg, unsigned i)
{
  trans_t tid;
  int r = rvm_begin (rvm, 1, &seg, 0, &tid);

  if (r == 0 && (r = rvm_modify (tid, seg, 0, sizeof i)) == 0)
    {
      memcpy (seg, &i, sizeof i);
      r = rvm_commit (tid, RVM_NO_FLUSH);
    }
  return r;
}

struct reg_committer
{
  rvm_t rvm;
  void *seg;
  unsigned count;               /* commits that returned 0 */
  int bad;                      /* first failed status, or 0 */
};

/* Count from 1 to REG_COMMITS in the segment, one no-flush commit
   each.  */
static void *
reg_committer_main (void *arg)
{
  struct reg_committer *w = arg;
  unsigned i;

  for (i = 1; i <= REG_COMMITS && w->bad == 0; i++)
    {
      int r = reg_count (w->rvm, w->seg, i);
      if (r == 0)
        w->count++;
      else
        w->bad = r;
    }
  return NULL;
}

struct reg_opener
{
  const char *dir;
  unsigned rounds;              /* open, commit, close rounds that passed */
  int bad;
  rvm_t stale;                  /* the last handle, closed */
};

/* Open the store DIR, count once more in its segment, close it; again
   and again.  */
static void *
reg_opener_main (void *arg)
{
  struct reg_opener *o = arg;
  unsigned i;

  for (i = 1; i <= REG_OPENS && o->bad == 0; i++)
    {
      rvm_t rvm;
      void *seg;
      int r = rvm_open (o->dir, NULL, &rvm);
      if (r != 0)
        {
          o->bad = r;
          break;
        }
      if ((r = rvm_map_segment (rvm, "x", 4096, &seg, NULL)) == 0)
        r = reg_count (rvm, seg, i);
      if (rvm_close (rvm) != 0 && r == 0)
        r = RVM_EIO;
      if (r == 0)
        o->rounds++;
      else
        o->bad = r;
      o->stale = rvm;
    }
  return NULL;
}

struct reg_want
{
  const char *dir;
  const char *seg;
  unsigned value;
};

static int
reg_verifier (void *arg)
{
  const struct reg_want *w = arg;
  rvm_t rvm;
  void *seg;
  unsigned got;

  if (rvm_open (w->dir, NULL, &rvm) != 0
      || rvm_map_segment (rvm, w->seg, 4096, &seg, NULL) != 0)
    return 3;
  memcpy (&got, seg, sizeof got);
  rvm_close (rvm);
  return got == w->value ? 0 : 1;
}

static void
test_registry (void)
{
  char *dy = t_tmpdir ("regy"), *dx = t_tmpdir ("regx"), how[64];
  struct reg_committer w[2];
  struct reg_opener o;
  struct reg_want want[3] = { { NULL, "c0", REG_COMMITS },
                              { NULL, "c1", REG_COMMITS },
                              { NULL, "x", REG_OPENS } };
  pthread_t th[3];
  rvm_t rvm;
  void *p;
  trans_t tid;
  int i, started = 0, ok = 1, r;

  memset (w, 0, sizeof w);
  memset (&o, 0, sizeof o);
  o.dir = dx;
  rvm = t_open (dy, NULL);
  for (i = 0; i < 2; i++)
    {
      w[i].rvm = rvm;
      w[i].seg = t_map (rvm, want[i].seg, 4096);
    }
  for (i = 0; i < 2; i++)
    if (pthread_create (&th[started], NULL, reg_committer_main, &w[i]) == 0)
      started++;
  if (pthread_create (&th[started], NULL, reg_opener_main, &o) == 0)
    started++;
  for (i = 0; i < started; i++)
    pthread_join (th[i], NULL);
  if (started != 3)
    t_bail ("registry: could start only %d of 3 threads", started);
  t_note ("registry: commits %u and %u (first error %d, %d); opener %u"
          " rounds (first error %d)", w[0].count, w[1].count, w[0].bad,
          w[1].bad, o.rounds, o.bad);
  t_check (w[0].count == REG_COMMITS && w[1].count == REG_COMMITS,
           "registry: two threads make %d commits each on one handle"
           " while another handle is opened and closed %d times",
           REG_COMMITS, REG_OPENS);
  t_check (o.rounds == REG_OPENS, "registry: each of those opens, maps,"
           " commits and closes");
  p = w[0].seg;
  r = rvm_begin (o.stale, 1, &p, 0, &tid);
  t_check (r == RVM_EHANDLE, "registry: the closed handle is refused"
           " with RVM_EHANDLE (%d)", r);
  if (rvm_close (rvm) != 0)
    ok = 0;
  for (i = 0; i < 3; i++)
    {
      want[i].dir = i < 2 ? dy : dx;
      if (!t_run_child (reg_verifier, &want[i], how, sizeof how))
        {
          t_note ("registry: segment %s: the verifier ended with %s",
                  want[i].seg, how);
          ok = 0;
        }
    }
  t_check (ok, "registry: a fresh process finds %d, %d and %d in the"
           " three segments", REG_COMMITS, REG_COMMITS, REG_OPENS);
  t_rmdir (dy);
  t_rmdir (dx);
  free (dy);
  free (dx);
}

int
main (int argc, char **argv)
{
  t_init (argc, argv);
  test_stress ();
  test_truncate_under_commits ();
  test_disjoint ();
  test_race ();
  test_group_commit ();
  test_handoff ();
  test_registry ();
  return t_done ();
}
