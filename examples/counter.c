/* counter.c -- a persistent counter, with the classic RVM interface.

   Each run adds one to a counter kept in a recoverable segment and
   prints the new value.  The options show what a crash or an abort
   leaves behind:

     counter [STORE]                       count, commit, print
     counter --crash=after-commit [STORE]  commit, then die (SIGKILL)
     counter --crash=before-commit [STORE] change memory, die uncommitted
     counter --abort [STORE]               change memory, abort

   Run it a few times with each option and watch the value: a committed
   increment is never lost, an uncommitted one never appears.  STORE is
   a directory, "counter-store" if not given.  */

#include <config.h>

#include <rvm.h>                /* the classic interface */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* What happens to the increment of this run.  */
enum ending
{
  COMMIT,                       /* committed: the normal case */
  CRASH_AFTER_COMMIT,           /* committed, then the process dies */
  CRASH_BEFORE_COMMIT,          /* the process dies before committing */
  ABORT                         /* rvm_abort_trans puts the old value back */
};

/* Die at once, as a crash would: no exit handlers, no cleanup.  Print
   first what we have to say, since stdout's buffer dies too.  */
static void
crash (void)
{
  fflush (stdout);
  kill (getpid (), SIGKILL);
}

static int
usage (void)
{
  fprintf (stderr, "usage: counter [--crash=after-commit"
           " | --crash=before-commit | --abort] [STORE]\n");
  return 2;
}

int
main (int argc, char **argv)
{
  enum ending ending = COMMIT;
  const char *dir = "counter-store";
  rvm_t rvm;
  long *count;
  trans_t tid;
  int i;

  for (i = 1; i < argc; i++)
    if (strcmp (argv[i], "--crash=after-commit") == 0)
      ending = CRASH_AFTER_COMMIT;
    else if (strcmp (argv[i], "--crash=before-commit") == 0)
      ending = CRASH_BEFORE_COMMIT;
    else if (strcmp (argv[i], "--abort") == 0)
      ending = ABORT;
    else if (argv[i][0] == '-')
      return usage ();
    else
      dir = argv[i];

  /* Open the store: the directory is created if needed, and whatever
     an earlier run committed before it died is recovered now.  The
     classic calls report a failure through errno.  */
  rvm = rvm_init (dir);
  if (rvm == NULL)
    {
      fprintf (stderr, "counter: %s: %s\n", dir, strerror (errno));
      return 1;
    }

  /* Map the segment "counter".  The first time, it is created full of
     zeros, so the counter starts at 0 with nothing to initialize.  */
  count = rvm_map (rvm, "counter", sizeof *count);
  if (count == NULL)
    {
      fprintf (stderr, "counter: %s/counter: %s\n", dir, strerror (errno));
      return 1;
    }

  /* A transaction over the one segment.  Before changing any byte of
     it, say which bytes will change: rvm_about_to_modify saves their
     old value, for an abort.  */
  tid = rvm_begin_trans (rvm, 1, (void **) &count);
  if (tid == (trans_t) -1)
    {
      fprintf (stderr, "counter: cannot begin: %s\n", strerror (errno));
      return 1;
    }
  rvm_about_to_modify (tid, count, 0, sizeof *count);
  ++*count;

  switch (ending)
    {
    case CRASH_BEFORE_COMMIT:
      /* Memory holds the new value, but nothing of it reached the log:
         the next run will not see it.  */
      printf ("counter = %ld in memory, not committed; crashing now\n",
              *count);
      crash ();
      break;

    case ABORT:
      rvm_abort_trans (tid);
      printf ("counter = %ld (the increment was aborted)\n", *count);
      return 0;

    case COMMIT:
    case CRASH_AFTER_COMMIT:
      /* rvm_commit_trans returns once the new value is in the log on
         disk: from here on, no crash can lose it.  */
      errno = 0;
      rvm_commit_trans (tid);
      if (errno != 0)
        {
          fprintf (stderr, "counter: commit: %s\n", strerror (errno));
          return 1;
        }
      if (ending == CRASH_AFTER_COMMIT)
        {
          printf ("counter = %ld, committed; crashing now\n", *count);
          crash ();
        }
      printf ("counter = %ld\n", *count);
      break;
    }

  /* The classic interface has no call to close a store: exiting is
     enough, since every committed change is already in the log.  */
  rvm_unmap (rvm, count);
  return 0;
}
