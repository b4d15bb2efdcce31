/* bank.c -- the debit/credit workload of the LRVM paper, as a demo of
   recovery.

   A writer process keeps accounts in a recoverable segment and moves
   money between them, one transaction per transfer.  After a random
   number of transfers it kills itself with SIGKILL in the middle of a
   transaction.  The demo then opens the store as a new process would,
   and checks that the money is all there and that every transfer the
   writer reported committed survived.

   Usage: bank [STORE-DIRECTORY] [ROUNDS]  */

#include <lrvm.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ACCOUNTS 64
#define OPENING 1000

struct bank
{
  int64_t transfers;            /* committed transfers */
  int64_t balance[ACCOUNTS];
};

static int
fail (const char *what, int code)
{
  fprintf (stderr, "bank: %s: %s (%s)\n", what, rvm_strerror (code),
           rvm_errmsg ());
  return 1;
}

/* Open the store and map the bank, opening the accounts the first
   time.  */
static int
open_bank (const char *dir, rvm_t *rvm, struct bank **b)
{
  void *base;
  trans_t tid;
  int r, i;

  if ((r = rvm_open (dir, NULL, rvm)) != 0)
    return fail ("open", r);
  if ((r = rvm_map_segment (*rvm, "bank", sizeof **b, &base, NULL)) != 0)
    return fail ("map", r);
  *b = base;
  if ((*b)->transfers == 0 && (*b)->balance[0] == 0)
    {
      if ((r = rvm_begin (*rvm, 1, &base, 0, &tid)) != 0
          || (r = rvm_modify (tid, base, 0, sizeof **b)) != 0)
        return fail ("begin", r);
      for (i = 0; i < ACCOUNTS; i++)
        (*b)->balance[i] = OPENING;
      if ((r = rvm_commit (tid, 0)) != 0)
        return fail ("commit", r);
    }
  return 0;
}

/* The writer: transfer money until the chosen moment, then die in the
   middle of a transaction.  Reports each commit on FD.  */
static int
writer (const char *dir, int fd, unsigned seed, int die_after)
{
  rvm_t rvm;
  struct bank *b;
  void *base;
  int n, r;

  if (open_bank (dir, &rvm, &b) != 0)
    return 1;
  base = b;
  srand (seed);
  for (n = 0;; n++)
    {
      int from = rand () % ACCOUNTS, to = rand () % ACCOUNTS;
      int64_t amount = rand () % 100;
      trans_t tid;

      if ((r = rvm_begin (rvm, 1, &base, 0, &tid)) != 0)
        return fail ("begin", r);
      rvm_set_range (tid, &b->balance[from], sizeof b->balance[from]);
      rvm_set_range (tid, &b->balance[to], sizeof b->balance[to]);
      rvm_set_range (tid, &b->transfers, sizeof b->transfers);
      b->balance[from] -= amount;
      if (n == die_after)
        kill (getpid (), SIGKILL);      /* half a transfer done */
      b->balance[to] += amount;
      b->transfers++;
      if ((r = rvm_commit (tid, 0)) != 0)
        return fail ("commit", r);
      if (write (fd, &b->transfers, sizeof b->transfers) < 0)
        return 1;
    }
}

int
main (int argc, char **argv)
{
  const char *dir = argc > 1 ? argv[1] : "bank-store";
  int rounds = argc > 2 ? atoi (argv[2]) : 5;
  int round, bad = 0;

  srand ((unsigned) time (NULL) ^ (unsigned) getpid ());
  printf ("bank: store %s, %d accounts of %d, %d crash rounds\n", dir,
          ACCOUNTS, OPENING, rounds);
  for (round = 1; round <= rounds; round++)
    {
      int p[2], st, i;
      int die_after = 50 + rand () % 500;
      int64_t reported = 0, v, total = 0;
      pid_t pid;
      rvm_t rvm;
      struct bank *b;

      if (pipe (p) != 0)
        return 1;
      pid = fork ();
      if (pid == 0)
        {
          close (p[0]);
          _exit (writer (dir, p[1], (unsigned) rand (), die_after));
        }
      close (p[1]);
      while (read (p[0], &v, sizeof v) == (ssize_t) sizeof v)
        reported = v;
      close (p[0]);
      waitpid (pid, &st, 0);
      if (!WIFSIGNALED (st) || WTERMSIG (st) != SIGKILL)
        {
          fprintf (stderr, "bank: the writer did not die as planned\n");
          return 1;
        }
      if (open_bank (dir, &rvm, &b) != 0)
        return 1;
      for (i = 0; i < ACCOUNTS; i++)
        total += b->balance[i];
      printf ("round %d: writer killed mid-transfer after %lld reported"
              " commits; recovered %lld transfers, total %lld (%s)\n",
              round, (long long) reported, (long long) b->transfers,
              (long long) total,
              total == (int64_t) ACCOUNTS * OPENING
              && b->transfers >= reported ? "ok" : "WRONG");
      if (total != (int64_t) ACCOUNTS * OPENING || b->transfers < reported)
        bad++;
      rvm_close (rvm);
    }
  printf ("bank: %s\n", bad ? "recovery FAILED" : "every round recovered"
          " every committed transfer and no partial one");
  return bad ? 1 : 0;
}
