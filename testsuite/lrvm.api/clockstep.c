/* clockstep.c -- the timed wait of group commit does not follow the
   time of day.  Two threads commit durably, so that flushes carry
   batches of two; then one stops, and the next durable commit of the
   other waits for a companion that never comes, for at most half a
   flush.  The program runs itself again with clockshim.c preloaded,
   which puts the time of day an hour ahead: a wait computed from it
   would last an hour (as if the clock had been set back during the
   wait), and a watchdog alarm then kills the child.  */

#include <config.h>

#include "lrvm.h"
#include "testlib.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SHIFT 3600              /* seconds the shim adds */
#define ROUNDS 8
#define SOLO 10                 /* commits alone after each round */
#define WATCHDOG 30             /* seconds before SIGALRM */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int stop;
static int failed;

struct worker
{
  rvm_t rvm;
  void *seg;
};

static int
commit_one (struct worker *w, unsigned char v)
{
  trans_t tid;

  if (rvm_begin (w->rvm, 1, &w->seg, 0, &tid) != 0
      || rvm_modify (tid, w->seg, 0, 64) != 0)
    return -1;
  memset (w->seg, v, 64);
  return rvm_commit (tid, 0);
}

static void *
partner (void *arg)
{
  struct worker *w = arg;
  unsigned char v = 0;

  for (;;)
    {
      int done;
      pthread_mutex_lock (&mu);
      done = stop;
      pthread_mutex_unlock (&mu);
      if (done)
        break;
      if (commit_one (w, ++v) != 0)
        {
          pthread_mutex_lock (&mu);
          failed = 1;
          pthread_mutex_unlock (&mu);
          break;
        }
    }
  return NULL;
}

/* In the child, with the shim preloaded.  */
static int
run_shifted (void)
{
  struct worker a, b;
  struct rvm_statistics st;
  struct timespec ts;
  char *dir;
  uint64_t worst = 0, t0;
  int round, i, bad = 0;

  /* The shim moves clock_gettime, which every C library lets it
     reach, but not time ().  */
  if (clock_gettime (CLOCK_REALTIME, &ts) != 0
      || ts.tv_sec - time (NULL) < SHIFT / 2)
    {
      t_unsupported ("clockstep: the time of day is an hour ahead");
      t_unsupported ("clockstep: commits alone return at once");
      return t_done ();
    }
  alarm (WATCHDOG);
  dir = t_tmpdir ("clockstep");
  if (rvm_open (dir, NULL, &a.rvm) != 0
      || rvm_map_segment (a.rvm, "a", 4096, &a.seg, NULL) != 0
      || rvm_map_segment (a.rvm, "b", 4096, &b.seg, NULL) != 0)
    t_bail ("cannot set up the store in %s: %s", dir, rvm_errmsg ());
  b.rvm = a.rvm;
  t_pass ("clockstep: the time of day is an hour ahead");
  for (round = 0; round < ROUNDS && !bad; round++)
    {
      pthread_t th;
      uint64_t end;

      stop = 0;
      if (pthread_create (&th, NULL, partner, &b) != 0)
        t_bail ("pthread_create failed");
      end = t_now_usec () + 100000;
      while (t_now_usec () < end && !bad)
        bad = commit_one (&a, (unsigned char) round) != 0;
      pthread_mutex_lock (&mu);
      stop = 1;
      pthread_mutex_unlock (&mu);
      pthread_join (th, NULL);
      /* Alone now: each commit may wait half a flush for b.  */
      for (i = 0; i < SOLO && !bad; i++)
        {
          uint64_t took;
          t0 = t_now_usec ();
          bad = commit_one (&a, (unsigned char) i) != 0;
          took = t_now_usec () - t0;
          if (took > worst)
            worst = took;
        }
    }
  bad |= failed;
  if (rvm_stats (a.rvm, &st, sizeof st) != 0)
    t_bail ("rvm_stats: %s", rvm_errmsg ());
  t_note ("clockstep: %llu commits in %llu flushes; the slowest commit"
          " alone took %llu us", (unsigned long long) st.flushed_commits,
          (unsigned long long) st.flushes, (unsigned long long) worst);
  t_check (!bad && st.flushed_commits > st.flushes && worst < 1000000,
           "clockstep: commits alone return at once");
  rvm_close (a.rvm);
  t_rmdir (dir);
  free (dir);
  return t_done ();
}

int
main (int argc, char **argv)
{
  char module[4096], shift[64], preload[8300], asan[4200];
  const char *pre = getenv ("LD_PRELOAD"), *ao = getenv ("ASAN_OPTIONS");
  pid_t pid;
  int st;

  t_init (argc, argv);
  if (getenv ("LRVM_CLOCK_SHIFT") != NULL)
    return run_shifted ();
#ifndef HAVE_PTHREAD_CONDATTR_SETCLOCK
  t_unsupported ("clockstep: the wait runs on the time of day here"
                 " (no pthread_condattr_setclock)");
  return t_done ();
#endif
  if (!t_find_module (CLOCK_BUILDDIR, "clockshim.la", module,
                      sizeof module))
    {
      t_unsupported ("clockstep: no shared clockshim module");
      return t_done ();
    }
  snprintf (shift, sizeof shift, "%d", SHIFT);
  snprintf (preload, sizeof preload, "%s%s%s", module, pre ? " " : "",
            pre ? pre : "");
  /* A sanitized program would refuse a library preloaded before its
     runtime.  */
  snprintf (asan, sizeof asan, "%s%sverify_asan_link_order=0",
            ao ? ao : "", ao ? ":" : "");
  pid = fork ();
  if (pid < 0)
    t_bail ("fork: %s", strerror (errno));
  if (pid == 0)
    {
      setenv ("LRVM_CLOCK_SHIFT", shift, 1);
      setenv ("LD_PRELOAD", preload, 1);
      setenv ("ASAN_OPTIONS", asan, 1);
      execv (argv[0], argv);
      _exit (127);
    }
  if (waitpid (pid, &st, 0) != pid)
    t_bail ("waitpid: %s", strerror (errno));
  t_check (WIFEXITED (st) && WEXITSTATUS (st) == 0,
           "clockstep: the shifted run ends by itself");
  if (WIFSIGNALED (st) && WTERMSIG (st) == SIGALRM)
    t_note ("clockstep: a commit still waited after %d s", WATCHDOG);
  return t_done ();
}
