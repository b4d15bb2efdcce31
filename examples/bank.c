/* bank.c -- the debit/credit workload of the LRVM paper, as a demo of
   recovery.

   The accounts of a bank are split between two branches, "east" and
   "west", each a recoverable segment.  A writer process moves money
   between random accounts, one transaction per transfer, each made
   durable before the next begins; after a random time it kills itself
   with SIGKILL in the middle of a transfer, with one account debited
   and the other not yet credited.  The demo then opens the store as a
   new process would, and checks that no money was created or lost and
   that every transfer the writer saw committed is there.  Each round
   ends with "ok" or "WRONG".

   Usage: bank [STORE-DIRECTORY] [ROUNDS]  */

#include <config.h>

#include <lrvm.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BRANCHES 2
#define ACCOUNTS 32             /* per branch */
#define OPENING 1000            /* the first balance of every account */
#define BANK_MAGIC 0x4b4e4142u  /* "BANK" */

static const char *const branch_name[BRANCHES] = { "east", "west" };

/* One segment.  */
struct branch
{
  uint32_t magic;               /* 0 until the accounts are opened */
  uint32_t reserved;
  int64_t sent;                 /* transfers paid from this branch */
  int64_t balance[ACCOUNTS];
};

struct bank
{
  rvm_t rvm;
  void *base[BRANCHES];         /* the segments, for rvm_begin */
  struct branch *b[BRANCHES];   /* the same, typed */
};

static int
fail (const char *what, int code)
{
  fprintf (stderr, "bank: %s: %s (%s)\n", what, rvm_strerror (code),
           rvm_errmsg ());
  return 1;
}

static double
now (void)
{
  struct timeval tv;

  gettimeofday (&tv, NULL);
  return (double) tv.tv_sec + tv.tv_usec / 1e6;
}

/* Open the store (which recovers it) and map both branches, opening the
   accounts the first time, all in one transaction.  */
static int
open_bank (const char *dir, struct bank *bk)
{
  trans_t tid;
  int r, i, k;

  if ((r = rvm_open (dir, NULL, &bk->rvm)) != 0)
    return fail (dir, r);
  for (k = 0; k < BRANCHES; k++)
    {
      if ((r = rvm_map_segment (bk->rvm, branch_name[k],
                                sizeof (struct branch), &bk->base[k],
                                NULL)) != 0)
        return fail (branch_name[k], r);
      bk->b[k] = bk->base[k];
    }
  if (bk->b[0]->magic == BANK_MAGIC)
    return 0;
  if ((r = rvm_begin (bk->rvm, BRANCHES, bk->base, 0, &tid)) != 0)
    return fail ("begin", r);
  for (k = 0; k < BRANCHES; k++)
    {
      if ((r = rvm_modify (tid, bk->base[k], 0, sizeof (struct branch))) != 0)
        return fail ("modify", r);
      bk->b[k]->magic = BANK_MAGIC;
      for (i = 0; i < ACCOUNTS; i++)
        bk->b[k]->balance[i] = OPENING;
    }
  if ((r = rvm_commit (tid, 0)) != 0)
    return fail ("commit", r);
  return 0;
}

/* Transfers committed, in all branches.  */
static int64_t
transfers (const struct bank *bk)
{
  int64_t n = 0;
  int k;

  for (k = 0; k < BRANCHES; k++)
    n += bk->b[k]->sent;
  return n;
}

/* Money in the bank.  */
static int64_t
total (const struct bank *bk)
{
  int64_t sum = 0;
  int i, k;

  for (k = 0; k < BRANCHES; k++)
    for (i = 0; i < ACCOUNTS; i++)
      sum += bk->b[k]->balance[i];
  return sum;
}

/* The writer: transfer money for SECONDS, then die in the middle of a
   transfer.  Write the number of transfers to FD when it starts and
   after each commit: the parent learns what is committed.  */
static int
writer (const char *dir, int fd, unsigned seed, double seconds)
{
  double stop;
  struct bank bk;
  int64_t n;
  int r;

  if (open_bank (dir, &bk) != 0)
    return 1;
  n = transfers (&bk);          /* where this writer starts */
  if (write (fd, &n, sizeof n) != (ssize_t) sizeof n)
    return 1;
  srand (seed);
  stop = now () + seconds;
  for (;;)
    {
      /* Debit one account of one branch, credit one of another (or of
         the same one).  The transaction spans both segments.  */
      struct branch *from = bk.b[rand () % BRANCHES];
      struct branch *to = bk.b[rand () % BRANCHES];
      int64_t *debit = &from->balance[rand () % ACCOUNTS];
      int64_t *credit = &to->balance[rand () % ACCOUNTS];
      int64_t amount = rand () % 100;
      trans_t tid;

      if ((r = rvm_begin (bk.rvm, BRANCHES, bk.base, 0, &tid)) != 0)
        return fail ("begin", r);
      /* Declare each range before it changes.  */
      if ((r = rvm_set_range (tid, debit, sizeof *debit)) != 0
          || (r = rvm_set_range (tid, credit, sizeof *credit)) != 0
          || (r = rvm_set_range (tid, &from->sent, sizeof from->sent)) != 0)
        return fail ("set_range", r);
      *debit -= amount;
      if (now () >= stop)
        kill (getpid (), SIGKILL);      /* half a transfer done */
      *credit += amount;
      from->sent++;
      if ((r = rvm_commit (tid, 0)) != 0)
        return fail ("commit", r);
      n = transfers (&bk);
      if (write (fd, &n, sizeof n) != (ssize_t) sizeof n)
        return 1;
    }
}

/* One round: run a writer until it dies, then recover and check.
   Returns 0 if the store is right.  */
static int
run_round (const char *dir, int number, int64_t *recovered)
{
  double seconds = 0.1 + (rand () % 400) / 1000.0, start;
  struct rvm_statistics st;
  struct bank bk;
  int64_t first = -1, reported = 0, v, sum;
  int p[2], status, ok;
  pid_t pid;

  fflush (stdout);
  start = now ();
  if (pipe (p) != 0 || (pid = fork ()) < 0)
    {
      perror ("bank: cannot start a writer");
      return 1;
    }
  if (pid == 0)
    {
      close (p[0]);
      _exit (writer (dir, p[1], (unsigned) rand (), seconds));
    }
  close (p[1]);
  while (read (p[0], &v, sizeof v) == (ssize_t) sizeof v)
    {
      if (first < 0)
        first = v;
      reported = v;
    }
  close (p[0]);
  waitpid (pid, &status, 0);
  if (first < 0 || !WIFSIGNALED (status) || WTERMSIG (status) != SIGKILL)
    {
      fprintf (stderr, "bank: the writer did not die as planned\n");
      return 1;
    }
  seconds = now () - start;
  printf ("round %d: %lld transfers committed in %.2f s, then killed"
          " mid-transfer\n", number, (long long) (reported - first),
          seconds);

  /* Opening the store replays the log of the dead writer.  */
  if (open_bank (dir, &bk) != 0)
    return 1;
  rvm_stats (bk.rvm, &st, sizeof st);
  *recovered = transfers (&bk);
  sum = total (&bk);
  ok = sum == (int64_t) BRANCHES * ACCOUNTS * OPENING
       && *recovered == reported;
  printf ("  recovered %lld transfers in all (%llu log records replayed in"
          " %.1f ms), %lld in the bank: %s\n", (long long) *recovered,
          (unsigned long long) st.recovery_records,
          st.recovery_usec / 1000.0, (long long) sum, ok ? "ok" : "WRONG");
  rvm_close (bk.rvm);
  return ok ? 0 : 1;
}

int
main (int argc, char **argv)
{
  const char *dir = argc > 1 ? argv[1] : "bank-store";
  int rounds = argc > 2 ? atoi (argv[2]) : 5;
  int n, bad = 0;
  int64_t recovered = 0;
  double start = now ();

  srand ((unsigned) time (NULL) ^ (unsigned) getpid ());
  printf ("bank: %d accounts of %d in two segments of %s; a writer makes"
          " durable transfers\n"
          "  and kills itself in the middle of one, %d times\n",
          BRANCHES * ACCOUNTS, OPENING, dir, rounds);
  for (n = 1; n <= rounds; n++)
    bad += run_round (dir, n, &recovered);
  if (bad)
    printf ("bank: recovery FAILED in %d of %d rounds\n", bad, rounds);
  else
    printf ("bank: ok: %d rounds in %.1f s; all %lld committed transfers"
            " recovered, no partial one\n", rounds, now () - start,
            (long long) recovered);
  return bad ? 1 : 0;
}
