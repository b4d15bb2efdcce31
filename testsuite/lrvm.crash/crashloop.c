/* crashloop.c -- a writer committing transactions through the classic
   API is killed with SIGKILL at random moments, round after round, on
   one store; after each kill a fresh process checks that the store
   holds exactly a prefix of the committed transactions.

   Transaction N writes a deterministic function of N (and of the seed)
   into several ranges of three segments, ranges of 1 byte to 4 KiB
   that overlap those of other transactions, and N into a counter.  The
   verifier reads the counter K, recomputes the exact contents of every
   segment after transactions 1..K and compares them whole.  K must be
   at least the last commit the writer reported (after rvm_commit_trans
   returned) and at most the one it had begun.  The writer resumes from
   the recovered counter, truncates the log explicitly now and then
   (sometimes in the middle of a transaction) and, in two rounds of
   three, opens the store with a small truncation threshold, so kills
   also land in automatic truncation and in recovery.

   Usage: crashloop [ROUNDS]  (default 300; seed: LRVM_TEST_SEED)  */

#include <config.h>

#include "rvm.h"
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NSEG 3
#define MAXRANGES 6
#define MAXLEN 4096
/* How long a writer runs before it is killed, in microseconds: up to
   MAX_DELAY after it started, or, in most rounds, up to READY_DELAY
   after it recovered the store and mapped its segments.  */
#define MAX_DELAY 8000
#define READY_DELAY 5000
/* The value a writer sends once it is ready to commit.  */
#define READY T_READY

static const char *const seg_name[NSEG] = { "c0", "c1", "c2" };
static const int seg_size[NSEG] = { 12288, 65536, 3000 };

struct range
{
  int seg, off, len;
};

static uint64_t seed;
static const char *dir;

/* Fill R with the ranges transaction N writes and return how many.
   Segment 0 keeps its first 8 bytes for the counter.  */
static int
txn_ranges (uint64_t n, struct range *r)
{
  uint64_t st = t_mix (seed ^ t_mix (n));
  int nr = 1 + (int) (t_rand (&st) % 5), i;

  for (i = 0; i < nr; i++)
    {
      int seg = (int) (t_rand (&st) % NSEG), lo = seg == 0 ? 8 : 0;
      int room = seg_size[seg] - lo, len, cls = (int) (t_rand (&st) % 4);

      len = cls == 0 ? 1 + (int) (t_rand (&st) % 8)
            : cls == 1 ? 1 + (int) (t_rand (&st) % 64)
            : cls == 2 ? 65 + (int) (t_rand (&st) % 960)
            : 1025 + (int) (t_rand (&st) % (MAXLEN - 1024));
      if (len > room)
        len = room;
      r[i].seg = seg;
      r[i].len = len;
      /* One range in three lands in a small hot area, so transactions
         overwrite each other's bytes often.  */
      if (t_rand (&st) % 3 == 0 && len <= 512)
        r[i].off = lo + (int) (t_rand (&st) % (512 - len + 1));
      else
        r[i].off = lo + (int) (t_rand (&st) % (unsigned) (room - len + 1));
    }
  return nr;
}

/* The bytes transaction N writes into its range I.  */
static void
txn_data (uint64_t n, int i, unsigned char *buf, int len)
{
  uint64_t st = t_mix (seed ^ t_mix (n) ^ ((uint64_t) (i + 1) << 56)), x = 0;
  int j;

  for (j = 0; j < len; j++)
    {
      if (j % 8 == 0)
        x = t_rand (&st);
      buf[j] = (unsigned char) (x >> (8 * (j % 8)));
    }
}

/* Apply transaction N to the segment images SEG.  */
static void
txn_apply (uint64_t n, unsigned char **seg)
{
  struct range r[MAXRANGES];
  int nr = txn_ranges (n, r), i;

  for (i = 0; i < nr; i++)
    txn_data (n, i, seg[r[i].seg] + r[i].off, r[i].len);
  memcpy (seg[0], &n, sizeof n);
}

static void
send_u64 (int fd, uint64_t v)
{
  ssize_t w;

  do
    w = write (fd, &v, sizeof v);
  while (w < 0 && errno == EINTR);
}

/* --- the writer ----------------------------------------------------- */

struct child
{
  int fd[2];                    /* pipe to the parent */
  int round;
  uint64_t lo;                  /* verifier: last reported commit */
  uint64_t base;                /* verifier: counter the model holds */
  unsigned char **model;        /* verifier: images after BASE */
};

/* Commit transactions forever, reporting each one on the pipe after
   rvm_commit_trans returned.  Exits only on a library error.  */
static int
writer (void *arg)
{
  struct child *c = arg;
  uint64_t rs = t_mix (seed ^ 0x5752495445ull ^ (uint64_t) c->round), n;
  unsigned char junk[MAXLEN];
  char *base[NSEG];
  rvm_t rvm;
  int i;

  close (c->fd[0]);
  if (t_rand (&rs) % 3 == 0)
    rvm = rvm_init (dir);
  else
    {
      struct rvm_options o;
      rvm_options_init (&o);
      o.truncate_threshold = 4096 + t_rand (&rs) % 65536;
      o.log_reserve = t_rand (&rs) % 2 ? 0 : 65536;
      if (rvm_open (dir, &o, &rvm) != 0)
        rvm = NULL;
    }
  if (rvm == NULL)
    {
      t_note ("round %d: writer cannot open: %s", c->round,
              rvm_errmsg ());
      return 3;
    }
  for (i = 0; i < NSEG; i++)
    if ((base[i] = rvm_map (rvm, seg_name[i], seg_size[i])) == NULL)
      {
        t_note ("round %d: writer cannot map %s: %s", c->round,
                seg_name[i], rvm_errmsg ());
        return 3;
      }
  memcpy (&n, base[0], sizeof n);
  send_u64 (c->fd[1], READY);
  memset (junk, 0xa5, sizeof junk);
  for (n++;; n++)
    {
      struct range r[MAXRANGES];
      int nr = txn_ranges (n, r);
      trans_t tid;

      /* Now and then a transaction that is aborted.  */
      if (t_rand (&rs) % 8 == 0)
        {
          tid = rvm_begin_trans (rvm, NSEG, (void **) base);
          for (i = 0; i < nr; i++)
            {
              rvm_about_to_modify (tid, base[r[i].seg], r[i].off, r[i].len);
              memcpy (base[r[i].seg] + r[i].off, junk, r[i].len);
            }
          rvm_abort_trans (tid);
        }
      errno = 0;
      tid = rvm_begin_trans (rvm, NSEG, (void **) base);
      rvm_about_to_modify (tid, base[0], 0, 8);
      for (i = 0; i < nr; i++)
        {
          rvm_about_to_modify (tid, base[r[i].seg], r[i].off, r[i].len);
          txn_data (n, i, (unsigned char *) base[r[i].seg] + r[i].off,
                    r[i].len);
        }
      memcpy (base[0], &n, sizeof n);
      /* A truncation must not write the bytes of this transaction.  */
      if (t_rand (&rs) % 16 == 0)
        rvm_truncate_log (rvm);
      rvm_commit_trans (tid);
      if (errno != 0)
        {
          t_note ("round %d: commit %llu failed: %s", c->round,
                  (unsigned long long) n, rvm_errmsg ());
          return 4;
        }
      send_u64 (c->fd[1], n);
      if (t_rand (&rs) % 20 == 0)
        rvm_truncate_log (rvm);
    }
}

/* --- the verifier --------------------------------------------------- */

/* Open the store anew, read the counter, bring the model from BASE to
   it, and compare every segment whole.  Sends the counter.  */
static int
verifier (void *arg)
{
  struct child *c = arg;
  char *base[NSEG];
  uint64_t k, n;
  rvm_t rvm;
  int i;

  close (c->fd[0]);
  rvm = rvm_init (dir);
  if (rvm == NULL)
    {
      t_note ("round %d: verifier cannot open: %s", c->round,
              rvm_errmsg ());
      return 3;
    }
  for (i = 0; i < NSEG; i++)
    if ((base[i] = rvm_map (rvm, seg_name[i], seg_size[i])) == NULL)
      {
        t_note ("round %d: verifier cannot map %s: %s",
                c->round, seg_name[i], rvm_errmsg ());
        return 3;
      }
  memcpy (&k, base[0], sizeof k);
  send_u64 (c->fd[1], k);
  if (k < c->lo || k > c->lo + 1 || k < c->base)
    {
      t_note ("round %d: recovered counter %llu, but %llu was"
              " reported committed and at most %llu begun", c->round,
              (unsigned long long) k, (unsigned long long) c->lo,
              (unsigned long long) c->lo + 1);
      return 1;
    }
  for (n = c->base + 1; n <= k; n++)
    txn_apply (n, c->model);
  for (i = 0; i < NSEG; i++)
    if (memcmp (base[i], c->model[i], seg_size[i]) != 0)
      {
        int j = 0;
        while (base[i][j] == (char) c->model[i][j])
          j++;
        t_note ("round %d: counter %llu, but segment %s differs"
                " from the expected contents first at byte %d", c->round,
                (unsigned long long) k, seg_name[i], j);
        return 1;
      }
  rvm_close (rvm);
  return 0;
}

/* --- the driver ----------------------------------------------------- */

int
main (int argc, char **argv)
{
  int rounds = argc > 1 ? atoi (argv[1]) : 300, round, i, ok = 1;
  uint64_t k = 0, rs, t0 = t_now_usec ();
  struct t_pace pace = { 1, 0, 0, 0 };
  unsigned char *model[NSEG];

  t_init (argc, argv);
  seed = t_seed ("crashloop");
  rs = t_mix (seed);
  dir = t_tmpdir ("crashloop");
  for (i = 0; i < NSEG; i++)
    if ((model[i] = calloc (1, (size_t) seg_size[i])) == NULL)
      t_bail ("out of memory");

  /* The parent never calls the library: every store access, and every
     failpoint, happens in a fresh child.  */
  for (round = 1; round <= rounds && ok; round++)
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
          t_note ("round %d: verifier: %s (writer reported %llu"
                  " commits, the last %llu)", round, r.why,
                  (unsigned long long) r.count, (unsigned long long) c.lo);
          ok = 0;
          break;
        }
      for (n = k + 1; n <= r.got; n++)
        txn_apply (n, model);
      k = r.got;
    }
  t_note ("%d rounds, %llu commits reported, %llu recovered,"
          " %llu kills before the first commit of a round, %.1f s;"
          " delays x%llu", round - 1, (unsigned long long) pace.reported,
          (unsigned long long) k, (unsigned long long) pace.early,
          (t_now_usec () - t0) / 1e6, (unsigned long long) pace.scale);
  t_check ((uint64_t) (round - 1) - pace.early
           >= (uint64_t) (round - 1) / 10,
           "a tenth of the writers or more were killed after a commit");
  if (t_check (ok, "every kill recovered exactly a committed"
               " prefix, with every reported commit"))
    t_rmdir (dir);
  else
    t_note ("store kept in %s", dir);
  for (i = 0; i < NSEG; i++)
    free (model[i]);
  return t_done ();
}
