/* bank.c -- the debit/credit workload of the LRVM paper under random
   SIGKILLs: 1000 accounts in two segments, each transaction moving a
   random amount between two random accounts and counting itself.

   A writer (full API, durable commits) reports each commit on a pipe;
   the driver kills it at a random moment, at least 1000 times, and
   after each kill a fresh process opens the store and checks that the
   money is all there, that the counter lies between the last reported
   commit and the one begun after it, and that every account equals a
   replay of the transfers (deterministic from the seed) up to the
   counter.

   Usage: bank [KILLS]  (default 1000; seed: LRVM_TEST_SEED)  */

#include <config.h>

#include "lrvm.h"
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ACCOUNTS 1000
#define PER_SEG (ACCOUNTS / 2)
#define OPENING 1000
/* Segment 0: accounts 0..499, then the transaction counter.
   Segment 1: accounts 500..999.  */
#define SEG0_SIZE (PER_SEG * 8 + 8)
#define SEG1_SIZE (PER_SEG * 8)
/* Kill moments, in microseconds: up to MAX_DELAY after the writer
   started, or (three rounds in four) up to READY_DELAY after it
   recovered the store.  */
#define MAX_DELAY 6000
#define READY_DELAY 2500
#define READY T_READY

static uint64_t seed;
static const char *dir;

/* Transfer N: AMOUNT from account *FROM to account *TO (never the
   same account).  */
static void
transfer (uint64_t n, int *from, int *to, int64_t *amount)
{
  uint64_t st = t_mix (seed ^ t_mix (n));

  *from = (int) (t_rand (&st) % ACCOUNTS);
  *to = (int) (t_rand (&st) % (ACCOUNTS - 1));
  if (*to >= *from)
    ++*to;
  *amount = (int64_t) (t_rand (&st) % 500) + 1;
}

static int64_t *
account (int64_t **segs, int i)
{
  return &segs[i / PER_SEG][i % PER_SEG];
}

static void
send_u64 (int fd, uint64_t v)
{
  ssize_t w;

  do
    w = write (fd, &v, sizeof v);
  while (w < 0 && errno == EINTR);
}

struct child
{
  int fd[2];
  int round;
  uint64_t lo;                  /* verifier: last reported commit */
  uint64_t base;                /* verifier: transfers in the model */
  int64_t *model;               /* verifier: balances after BASE */
};

/* Open the store and map both segments.  */
static int
open_bank (const char *who, rvm_t *rvm, void *base[2])
{
  int r;

  if ((r = rvm_open (dir, NULL, rvm)) != 0
      || (r = rvm_map_segment (*rvm, "accounts0", SEG0_SIZE, &base[0],
                               NULL)) != 0
      || (r = rvm_map_segment (*rvm, "accounts1", SEG1_SIZE, &base[1],
                               NULL)) != 0)
    {
      t_note ("%s cannot open the store: %s", who, rvm_errmsg ());
      return r;
    }
  return 0;
}

/* Open the accounts: every balance OPENING, counter 0.  */
static int
setup (void *arg)
{
  void *base[2];
  int64_t *segs[2];
  trans_t tid;
  rvm_t rvm;
  int i;

  (void) arg;
  if (open_bank ("setup", &rvm, base) != 0)
    return 3;
  segs[0] = base[0];
  segs[1] = base[1];
  if (rvm_begin (rvm, 2, base, RVM_NO_RESTORE, &tid) != 0
      || rvm_modify (tid, base[0], 0, SEG0_SIZE) != 0
      || rvm_modify (tid, base[1], 0, SEG1_SIZE) != 0)
    return 4;
  for (i = 0; i < ACCOUNTS; i++)
    *account (segs, i) = OPENING;
  segs[0][PER_SEG] = 0;
  if (rvm_commit (tid, 0) != 0 || rvm_close (rvm) != 0)
    return 4;
  return 0;
}

/* Transfer money until killed, reporting every commit.  */
static int
writer (void *arg)
{
  struct child *c = arg;
  void *base[2];
  int64_t *segs[2], *counter;
  uint64_t n;
  rvm_t rvm;
  int r;

  close (c->fd[0]);
  if (open_bank ("writer", &rvm, base) != 0)
    return 3;
  segs[0] = base[0];
  segs[1] = base[1];
  counter = &segs[0][PER_SEG];
  send_u64 (c->fd[1], READY);
  for (n = (uint64_t) *counter + 1;; n++)
    {
      int from, to;
      int64_t amount, *a, *b;
      trans_t tid;

      transfer (n, &from, &to, &amount);
      a = account (segs, from);
      b = account (segs, to);
      if ((r = rvm_begin (rvm, 2, base, 0, &tid)) != 0
          || (r = rvm_set_range (tid, a, sizeof *a)) != 0
          || (r = rvm_set_range (tid, b, sizeof *b)) != 0
          || (r = rvm_set_range (tid, counter, sizeof *counter)) != 0)
        break;
      *a -= amount;
      *b += amount;
      *counter = (int64_t) n;
      if ((r = rvm_commit (tid, 0)) != 0)
        break;
      send_u64 (c->fd[1], n);
    }
  t_note ("round %d: writer: %s", c->round, rvm_errmsg ());
  return 4;
}

/* Check the recovered accounts against the model brought forward to
   the recovered counter; sends the counter.  */
static int
verifier (void *arg)
{
  struct child *c = arg;
  void *base[2];
  int64_t *segs[2], total = 0;
  uint64_t k, n;
  rvm_t rvm;
  int i;

  close (c->fd[0]);
  if (open_bank ("verifier", &rvm, base) != 0)
    return 3;
  segs[0] = base[0];
  segs[1] = base[1];
  k = (uint64_t) segs[0][PER_SEG];
  send_u64 (c->fd[1], k);
  for (i = 0; i < ACCOUNTS; i++)
    total += *account (segs, i);
  if (total != (int64_t) ACCOUNTS * OPENING)
    {
      t_note ("round %d: the total is %lld, not %lld", c->round,
              (long long) total, (long long) ACCOUNTS * OPENING);
      return 1;
    }
  if (k < c->lo || k > c->lo + 1)
    {
      t_note ("round %d: recovered counter %llu, but %llu was"
              " reported committed and at most %llu begun", c->round,
              (unsigned long long) k, (unsigned long long) c->lo,
              (unsigned long long) c->lo + 1);
      return 1;
    }
  for (n = c->base + 1; n <= k; n++)
    {
      int from, to;
      int64_t amount;
      transfer (n, &from, &to, &amount);
      c->model[from] -= amount;
      c->model[to] += amount;
    }
  for (i = 0; i < ACCOUNTS; i++)
    if (*account (segs, i) != c->model[i])
      {
        t_note ("round %d: counter %llu, but account %d holds %lld,"
                " the replay %lld", c->round, (unsigned long long) k, i,
                (long long) *account (segs, i), (long long) c->model[i]);
        return 1;
      }
  rvm_close (rvm);
  return 0;
}

int
main (int argc, char **argv)
{
  int kills = argc > 1 ? atoi (argv[1]) : 1000, round, i, ok = 1;
  uint64_t k = 0, rs, recovered_extra = 0;
  struct t_pace pace = { 1, 0, 0, 0 };
  uint64_t t0 = t_now_usec ();
  int64_t *model;
  char buf[64];
  int st;

  t_init (argc, argv);
  seed = t_seed ("bank");
  rs = t_mix (seed);
  dir = t_tmpdir ("bank");
  /* The parent never calls the library itself.  */
  t_wait (t_fork (setup, NULL), &st, buf, sizeof buf);
  if (!WIFEXITED (st) || WEXITSTATUS (st) != 0)
    t_bail ("setup: %s", buf);
  /* After the setup's fork, which exits normally and must not take the
     model with it.  */
  model = malloc (ACCOUNTS * sizeof *model);
  if (model == NULL)
    t_bail ("out of memory");
  for (i = 0; i < ACCOUNTS; i++)
    model[i] = OPENING;

  for (round = 1; round <= kills && ok; round++)
    {
      struct child c;
      struct t_round r;
      uint64_t n;
      int res;

      memset (&c, 0, sizeof c);
      c.round = round;
      c.base = k;
      c.model = model;
      r = (struct t_round) { .round = round, .fd = c.fd, .arg = &c,
                             .writer = writer, .verifier = verifier,
                             .dflt = k, .last = &c.lo };
      res = t_pace_round (&pace, &rs, MAX_DELAY, READY_DELAY, &r);
      if (res == T_ROUND_WRITER)
        {
          ok = 0;
          break;
        }
      if (res == T_ROUND_VERIFIER)
        {
          t_note ("round %d: verifier: %s (last reported commit"
                  " %llu)", round, r.why, (unsigned long long) c.lo);
          ok = 0;
          break;
        }
      if (r.got > c.lo)
        recovered_extra++;
      for (n = k + 1; n <= r.got; n++)
        {
          int from, to;
          int64_t amount;
          transfer (n, &from, &to, &amount);
          model[from] -= amount;
          model[to] += amount;
        }
      k = r.got;
    }
  t_note ("%d kill points, %llu commits reported, %llu transfers"
          " recovered; %llu kills before the first commit of a round,"
          " %llu after a commit was written but before it was reported;"
          " %.1f s; delays x%llu", round - 1, (unsigned long long) pace.reported,
          (unsigned long long) k, (unsigned long long) pace.early,
          (unsigned long long) recovered_extra, (t_now_usec () - t0) / 1e6,
          (unsigned long long) pace.scale);
  t_check ((uint64_t) (round - 1) - pace.early
           >= (uint64_t) (round - 1) / 10,
           "a tenth of the writers or more were killed after a commit");
  if (t_check (ok, "the money, the counter and every account"
               " survived every kill"))
    t_rmdir (dir);
  else
    t_note ("store kept in %s", dir);
  free (model);
  return t_done ();
}
