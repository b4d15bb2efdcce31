/* messages.c -- the text of errors: rvm_strerror has a distinct,
   non-empty message for every code and a fallback for any other value;
   rvm_errcode and rvm_errmsg belong to the calling thread, so one
   thread's failure never shows in another's.  */

#include <config.h>

#include <lrvm.h>
#include "testlib.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
test_strerror (void)
{
  static const int outside[] = { -1, RVM_ERRMAX, RVM_ERRMAX + 1, 1000,
                                 INT_MAX, INT_MIN };
  const char *unknown = rvm_strerror (-1);
  int i, j, all = 1, distinct = 1, known = 1;

  for (i = 0; i < RVM_ERRMAX; i++)
    {
      const char *m = rvm_strerror (i);
      if (m == NULL || *m == '\0')
        {
          t_note ("strerror: code %d has no message", i);
          all = 0;
          continue;
        }
      if (i > 0 && unknown != NULL && strcmp (m, unknown) == 0)
        {
          t_note ("strerror: code %d has the unknown-code message", i);
          known = 0;
        }
      for (j = 0; j < i; j++)
        if (rvm_strerror (j) != NULL && strcmp (m, rvm_strerror (j)) == 0)
          {
            t_note ("strerror: codes %d and %d share \"%s\"", j, i, m);
            distinct = 0;
          }
    }
  t_check (all, "strerror: every code has a non-empty message");
  t_check (known, "strerror: no code has the message of an unknown one");
  t_check (distinct, "strerror: the messages are distinct");
  for (i = 0; i < (int) (sizeof outside / sizeof *outside); i++)
    {
      const char *m = rvm_strerror (outside[i]);
      t_check (m != NULL && *m != '\0', "strerror: code %d has a non-empty"
               " message", outside[i]);
    }
}

/* --- per-thread errors ------------------------------------------- */

struct probe
{
  int code_before;              /* rvm_errcode () at start */
  char msg_before[64];
  int code_after;               /* after its own failure */
  char msg_after[512];
};

/* In a new thread: look at the inherited error state, then fail with
   RVM_ETRANS.  */
static void *
probe_thread (void *arg)
{
  struct probe *p = arg;

  p->code_before = rvm_errcode ();
  snprintf (p->msg_before, sizeof p->msg_before, "%s", rvm_errmsg ());
  rvm_commit (424242, 0);
  p->code_after = rvm_errcode ();
  snprintf (p->msg_after, sizeof p->msg_after, "%s", rvm_errmsg ());
  return NULL;
}

static void
test_threads (void)
{
  struct probe p;
  pthread_t th;
  char mine[512];
  int e;

  /* This thread fails with RVM_EHANDLE.  */
  rvm_flush (NULL);
  snprintf (mine, sizeof mine, "%s", rvm_errmsg ());
  t_check (rvm_errcode () == RVM_EHANDLE && strstr (mine, "rvm_flush"),
           "threads: the main thread records its failure");
  memset (&p, 0, sizeof p);
  if ((e = pthread_create (&th, NULL, probe_thread, &p)) != 0)
    t_bail ("pthread_create: %s", strerror (e));
  pthread_join (th, NULL);
  t_check (p.code_before == 0 && p.msg_before[0] == '\0',
           "threads: a new thread starts with no error");
  t_check (p.code_after == RVM_ETRANS && strstr (p.msg_after, "424242"),
           "threads: the new thread records its own failure");
  t_check (rvm_errcode () == RVM_EHANDLE
           && strcmp (rvm_errmsg (), mine) == 0,
           "threads: the other thread's failure leaves this one's error");
}

/* Two threads failing at the same time, each always reading back its
   own error.  */
struct racer
{
  int which;
  int bad;
};

static void *
race_thread (void *arg)
{
  struct racer *r = arg;
  int i;

  for (i = 0; i < 20000; i++)
    {
      if (r->which == 0)
        {
          rvm_truncate (NULL);
          if (rvm_errcode () != RVM_EHANDLE
              || strstr (rvm_errmsg (), "rvm_truncate") == NULL)
            r->bad++;
        }
      else
        {
          rvm_abort (-5);
          if (rvm_errcode () != RVM_ETRANS
              || strstr (rvm_errmsg (), "rvm_abort") == NULL)
            r->bad++;
        }
    }
  return NULL;
}

static void
test_race (void)
{
  struct racer r[2] = { { 0, 0 }, { 1, 0 } };
  pthread_t th[2];
  int i, e;

  for (i = 0; i < 2; i++)
    if ((e = pthread_create (&th[i], NULL, race_thread, &r[i])) != 0)
      t_bail ("pthread_create: %s", strerror (e));
  for (i = 0; i < 2; i++)
    pthread_join (th[i], NULL);
  if (r[0].bad || r[1].bad)
    t_note ("race: %d and %d wrong readings", r[0].bad, r[1].bad);
  t_check (r[0].bad == 0 && r[1].bad == 0,
           "race: concurrent failures never mix their errors");
}

/* The classic calls set errno to the value their code maps to, and
   rvm_errmsg explains the failure.  */
static void
test_errno (void)
{
  char *d = t_tmpdir ("m-errno");
  rvm_t rvm = rvm_init (d);
  char *seg = NULL;

  if (rvm == NULL || (seg = rvm_map (rvm, "s", 100)) == NULL)
    t_bail ("errno: cannot set up: %s", rvm_errmsg ());
  errno = 0;
  rvm_map (rvm, "s", 100);
  t_check (errno == EEXIST && rvm_errcode () == RVM_EMAPPED
           && strstr (rvm_errmsg (), "\"s\"") != NULL,
           "errno: the message names the segment");
  errno = 0;
  rvm_map (rvm, "bad name", 100);
  t_check (errno == EINVAL && rvm_errcode () == RVM_ENAME
           && strstr (rvm_errmsg (), "bad name") != NULL,
           "errno: the message quotes a bad name");
  errno = 0;
  rvm_about_to_modify (777777, seg, 0, 1);
  t_check (errno == EINVAL && rvm_errcode () == RVM_ETRANS
           && strstr (rvm_errmsg (), "777777") != NULL,
           "errno: the message names the transaction");
  rvm_close (rvm);
  t_rmdir (d);
  free (d);
}

int
main (int argc, char **argv)
{
  t_init (argc, argv);
  test_strerror ();
  test_threads ();
  test_race ();
  test_errno ();
  return t_done ();
}
