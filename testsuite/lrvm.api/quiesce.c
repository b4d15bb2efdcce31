/* quiesce.c -- a truncation and the transactions of other threads.

   A segment with records that an active transaction holds cannot be
   written from memory, which holds that transaction's uncommitted
   changes.  A truncation that finds such segments held only by other
   threads' transactions waits a little for them to end, and then takes
   every segment from memory; a transaction that stays open longer
   makes it take that segment from the log instead, without waiting
   for it; and a thread's own open transaction is never waited for.
   In every case the segment files get committed values only.  */

#include <config.h>

#include <lrvm.h>
#include "testlib.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEG ((size_t) 64 * 1024)
#define RANGE 100

static unsigned char
pat (unsigned tag, size_t i)
{
  return (unsigned char) (tag * 29u + i * 7u + 1u);
}

static struct rvm_statistics
stats (rvm_t rvm)
{
  struct rvm_statistics st;

  memset (&st, 0, sizeof st);
  if (rvm_stats (rvm, &st, sizeof st) != 0)
    t_bail ("rvm_stats: %s", rvm_errmsg ());
  return st;
}

/* One transaction on the segment at BASE: RANGE bytes at OFF get the
   values of TAG, in IMG too if it commits.  */
static int
change (rvm_t rvm, void *base, unsigned char *img, size_t off, unsigned tag,
        unsigned flags)
{
  unsigned char *mem = base;
  trans_t tid;
  size_t i;

  if (rvm_begin (rvm, 1, &base, 0, &tid) != 0
      || rvm_modify (tid, base, off, RANGE) != 0)
    return -1;
  for (i = 0; i < RANGE; i++)
    mem[off + i] = pat (tag, i);
  if (rvm_commit (tid, flags) != 0)
    return -1;
  for (i = 0; i < RANGE; i++)
    img[off + i] = pat (tag, i);
  return 0;
}

/* A store in a fresh directory with segments "a" and "b", and the
   committed values of each.  */
struct fixture
{
  char *dir;
  rvm_t rvm;
  void *a, *b;
  unsigned char *img_a, *img_b;
};

static void
fixture_open (struct fixture *f, const char *tag,
              const struct rvm_options *o)
{
  f->dir = t_tmpdir (tag);
  f->img_a = calloc (1, SEG);
  f->img_b = calloc (1, SEG);
  if (f->img_a == NULL || f->img_b == NULL)
    t_bail ("out of memory");
  if (rvm_open (f->dir, o, &f->rvm) != 0
      || rvm_map_segment (f->rvm, "a", SEG, &f->a, NULL) != 0
      || rvm_map_segment (f->rvm, "b", SEG, &f->b, NULL) != 0)
    t_bail ("%s: %s", tag, rvm_errmsg ());
}

/* Remove F's directory; the caller closed the store.  */
static void
fixture_drop (struct fixture *f)
{
  free (f->img_a);
  free (f->img_b);
  t_rmdir (f->dir);
  free (f->dir);
}

/* --- a thread that keeps a transaction open most of the time ------ */

struct holder
{
  rvm_t rvm;
  void *base;
  unsigned char *img;           /* committed values */
  long hold_usec;               /* open this long before committing */
  pthread_mutex_t mu;           /* for STOP and COMMITS */
  int stop;
  int failed;
  unsigned commits;
};

/* H's commits so far, and whether it was told to stop.  */
static unsigned
holder_commits (struct holder *h, int stop)
{
  unsigned n;

  pthread_mutex_lock (&h->mu);
  if (stop)
    h->stop = 1;
  n = h->commits;
  pthread_mutex_unlock (&h->mu);
  return n;
}

static void *
hold_loop (void *arg)
{
  struct holder *h = arg;
  unsigned char *mem = h->base;
  uint64_t rng = 77;
  int stop = 0;

  while (!stop)
    {
      size_t off = t_rand (&rng) % (SEG - RANGE), i;
      unsigned tag = 1000u + (unsigned) t_rand (&rng) % 1000u;
      trans_t tid;
      if (rvm_begin (h->rvm, 1, &h->base, 0, &tid) != 0
          || rvm_modify (tid, h->base, off, RANGE) != 0)
        {
          h->failed = 1;
          break;
        }
      for (i = 0; i < RANGE; i++)
        mem[off + i] = pat (tag, i);
      t_sleep_usec (h->hold_usec);
      if (rvm_commit (tid, RVM_NO_FLUSH) != 0)
        {
          h->failed = 1;
          break;
        }
      for (i = 0; i < RANGE; i++)
        h->img[off + i] = pat (tag, i);
      pthread_mutex_lock (&h->mu);
      h->commits++;
      stop = h->stop;
      pthread_mutex_unlock (&h->mu);
    }
  return NULL;
}

/* Automatic truncations while another thread holds its segment almost
   all the time, in transactions of 200 microseconds: each truncation
   waits for the one open and takes both segments from memory, by
   checkpoint; none reads a record from the log.  */
static void
test_waits (void)
{
  struct fixture f;
  struct rvm_options o;
  struct rvm_statistics st0, st;
  struct holder h;
  pthread_t th;
  uint64_t rng = 5;
  unsigned n = 0;
  int ok = 1;

  rvm_options_init (&o);
  o.truncate_threshold = 64 * 1024;
  fixture_open (&f, "waits", &o);
  h.rvm = f.rvm;
  h.base = f.b;
  h.img = f.img_b;
  h.hold_usec = 200;
  h.stop = 0;
  h.failed = 0;
  h.commits = 0;
  st0 = stats (f.rvm);
  if (pthread_mutex_init (&h.mu, NULL) != 0
      || pthread_create (&th, NULL, hold_loop, &h) != 0)
    t_bail ("pthreads failed");
  /* Until five automatic truncations have run, with records of the
     other thread's segment in the log.  */
  do
    {
      if (change (f.rvm, f.a, f.img_a, t_rand (&rng) % (SEG - RANGE), n++,
                  RVM_NO_FLUSH) != 0)
        ok = 0;
      st = stats (f.rvm);
    }
  while (ok && (st.truncations - st0.truncations < 5
                || holder_commits (&h, 0) < 5) && n < 2000000);
  holder_commits (&h, 1);
  pthread_join (th, NULL);
  pthread_mutex_destroy (&h.mu);
  st = stats (f.rvm);
  t_note ("waits: %u commits here, %u in the other thread, %llu"
          " truncations (%llu by checkpoint), %llu records read from the"
          " log", n, h.commits,
          (unsigned long long) (st.truncations - st0.truncations),
          (unsigned long long) (st.checkpoints - st0.checkpoints),
          (unsigned long long) (st.truncated_records
                                - st0.truncated_records));
  t_check (ok && !h.failed && st.truncations - st0.truncations >= 5,
           "waits: commits in two threads run five automatic truncations");
  t_check (st.truncated_records == st0.truncated_records,
           "waits: no truncation reads a record from the log while the"
           " other thread's transactions last 200 microseconds");
  ok = rvm_truncate (f.rvm) == 0 && rvm_close (f.rvm) == 0;
  t_check (ok && t_file_holds (f.dir, "a", 0, f.img_a, SEG)
           && t_file_holds (f.dir, "b", 0, f.img_b, SEG),
           "waits: after a last truncation, both segment files hold every"
           " commit");
  fixture_drop (&f);
}

/* --- a transaction that stays open ---------------------------------- */

struct opener
{
  rvm_t rvm;
  void *base;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int state;                    /* 1: open, changed; 2: may abort */
  int failed;
};

static void *
open_long (void *arg)
{
  struct opener *p = arg;
  unsigned char *mem = p->base;
  trans_t tid;

  if (rvm_begin (p->rvm, 1, &p->base, 0, &tid) != 0
      || rvm_modify (tid, p->base, 0, RANGE) != 0)
    p->failed = 1;
  else
    memset (mem, 0xee, RANGE);  /* uncommitted */
  pthread_mutex_lock (&p->mu);
  p->state = 1;
  pthread_cond_broadcast (&p->cv);
  while (p->state != 2)
    pthread_cond_wait (&p->cv, &p->mu);
  pthread_mutex_unlock (&p->mu);
  if (!p->failed && rvm_abort (tid) != 0)
    p->failed = 1;
  return NULL;
}

/* A thread that begins a transaction on segment BASE 5 ms after
   START, while the truncation waits, and notes when rvm_begin
   returned.  */
struct beginner
{
  rvm_t rvm;
  void *base;
  uint64_t start, returned;
  int r;
};

static void *
begin_late (void *arg)
{
  struct beginner *b = arg;
  trans_t tid;

  t_sleep_usec (5000);
  b->r = rvm_begin (b->rvm, 1, &b->base, 0, &tid);
  b->returned = t_now_usec ();
  if (b->r == 0)
    b->r = rvm_abort (tid);
  return NULL;
}

/* Another thread's transaction stays open until the truncation has
   returned: the truncation gives up waiting, takes that segment from
   the log and does not write its uncommitted bytes.  If it waited for
   the transaction, it would never return.  A third thread's rvm_begin,
   called while the truncation waits, returns only once it is done.  */
static void
test_gives_up (void)
{
  struct fixture f;
  struct rvm_statistics st0, st;
  struct opener p;
  struct beginner b;
  pthread_t th, tb;
  uint64_t t0, t1;
  int ok, r;

  fixture_open (&f, "gives-up", NULL);
  ok = change (f.rvm, f.a, f.img_a, 500, 1, 0) == 0
       && change (f.rvm, f.b, f.img_b, 0, 2, 0) == 0
       && change (f.rvm, f.b, f.img_b, 300, 3, 0) == 0;
  p.rvm = f.rvm;
  p.base = f.b;
  p.state = 0;
  p.failed = 0;
  if (pthread_mutex_init (&p.mu, NULL) != 0
      || pthread_cond_init (&p.cv, NULL) != 0
      || pthread_create (&th, NULL, open_long, &p) != 0)
    t_bail ("pthreads failed");
  pthread_mutex_lock (&p.mu);
  while (p.state != 1)
    pthread_cond_wait (&p.cv, &p.mu);
  pthread_mutex_unlock (&p.mu);
  st0 = stats (f.rvm);
  b.rvm = f.rvm;
  b.base = f.a;
  b.r = -1;
  b.returned = 0;
  b.start = t0 = t_now_usec ();
  if (pthread_create (&tb, NULL, begin_late, &b) != 0)
    t_bail ("pthread_create failed");
  r = rvm_truncate (f.rvm);
  t1 = t_now_usec ();
  pthread_join (tb, NULL);
  st = stats (f.rvm);
  t_note ("gives-up: rvm_begin, called 5 ms after the truncation began,"
          " = %d after %llu microseconds", b.r,
          (unsigned long long) (b.returned - b.start));
  t_check (b.r == 0 && b.returned - b.start >= 18000,
           "gives-up: rvm_begin in a third thread waits while the"
           " truncation waits (returns 18 ms or more after it began)");
  t_note ("gives-up: rvm_truncate = %d after %llu microseconds, %llu"
          " records read from the log", r,
          (unsigned long long) (t1 - t0),
          (unsigned long long) (st.truncated_records
                                - st0.truncated_records));
  t_check (ok && r == 0 && !p.failed && st.truncations == st0.truncations + 1
           && st.truncated_records - st0.truncated_records == 2,
           "gives-up: with another thread's transaction open, the"
           " truncation takes that segment's two records from the log");
  t_check (t_file_holds (f.dir, "a", 0, f.img_a, SEG)
           && t_file_holds (f.dir, "b", 0, f.img_b, SEG),
           "gives-up: the segment files hold the commits and none of the"
           " open transaction's bytes");
  pthread_mutex_lock (&p.mu);
  p.state = 2;
  pthread_cond_broadcast (&p.cv);
  pthread_mutex_unlock (&p.mu);
  pthread_join (th, NULL);
  t_check (!p.failed && rvm_close (f.rvm) == 0
           && t_file_holds (f.dir, "b", 0, f.img_b, SEG),
           "gives-up: the open transaction aborts, and close leaves the"
           " committed values");
  pthread_cond_destroy (&p.cv);
  pthread_mutex_destroy (&p.mu);
  fixture_drop (&f);
}

/* This thread's own open transaction holds a segment with records:
   the truncation does not wait for it (it could only end once the
   truncation returns), takes that segment from the log, and writes
   none of its bytes.  */
static void
test_own (void)
{
  struct fixture f;
  struct rvm_statistics st0, st;
  unsigned char *mem;
  uint64_t t0, t1;
  trans_t tid;
  int ok, r;

  fixture_open (&f, "own", NULL);
  mem = f.b;
  ok = change (f.rvm, f.a, f.img_a, 100, 4, 0) == 0
       && change (f.rvm, f.b, f.img_b, 200, 5, 0) == 0
       && rvm_begin (f.rvm, 1, &f.b, 0, &tid) == 0
       && rvm_modify (tid, f.b, 200, RANGE) == 0;
  memset (mem + 200, 0xdd, RANGE);
  st0 = stats (f.rvm);
  t0 = t_now_usec ();
  r = rvm_truncate (f.rvm);
  t1 = t_now_usec ();
  st = stats (f.rvm);
  t_note ("own: rvm_truncate = %d after %llu microseconds", r,
          (unsigned long long) (t1 - t0));
  t_check (ok && r == 0 && t1 - t0 < 15000,
           "own: the truncation does not wait for this thread's own"
           " transaction (it returns within 15 ms; a wait lasts 20)");
  t_check (ok && r == 0 && st.truncated_records - st0.truncated_records == 1
           && t_file_holds (f.dir, "a", 0, f.img_a, SEG)
           && t_file_holds (f.dir, "b", 0, f.img_b, SEG),
           "own: with this thread's transaction open, the truncation takes"
           " its segment from the log and writes none of its bytes");
  ok = rvm_abort (tid) == 0
       && memcmp (mem + 200, f.img_b + 200, RANGE) == 0;
  t_check (ok && rvm_close (f.rvm) == 0
           && t_file_holds (f.dir, "b", 0, f.img_b, SEG),
           "own: the transaction then aborts, and close leaves the"
           " committed values");
  fixture_drop (&f);
}

int
main (int argc, char **argv)
{
  t_init (argc, argv);
  test_waits ();
  test_gives_up ();
  test_own ();
  return t_done ();
}
