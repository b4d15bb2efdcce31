/* failpoint.c -- named crash points for the test suite, compiled in
   only with ./configure --enable-failpoints.

   LRVM_FAILPOINT=NAME[:COUNT[:ACTION]] arms the failpoint NAME: its
   COUNTth passage (default 1) performs ACTION: "kill" (default; the
   process dies of SIGKILL), "eio" or "enospc" (the guarded system call
   fails with that errno, that once).  LRVM_FAILPOINT_LIST, if set,
   names a file to which every passage is appended, one name a line.  */

#include "lrvm-internal.h"

#ifdef LRVM_FAILPOINTS

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t fp_mu = PTHREAD_MUTEX_INITIALIZER;
static int fp_loaded;
static char fp_name[128];
static long fp_count;
static int fp_action;           /* 0 kill, else errno */
static FILE *fp_list;

static void
load (void)
{
  const char *s = getenv ("LRVM_FAILPOINT");
  const char *list = getenv ("LRVM_FAILPOINT_LIST");

  fp_loaded = 1;
  if (list != NULL && *list != '\0')
    fp_list = fopen (list, "a");
  if (s == NULL || *s == '\0')
    return;
  {
    const char *c1 = strchr (s, ':');
    size_t n = c1 ? (size_t) (c1 - s) : strlen (s);
    if (n >= sizeof fp_name)
      return;
    memcpy (fp_name, s, n);
    fp_name[n] = '\0';
    fp_count = 1;
    if (c1 != NULL)
      {
        char *end;
        fp_count = strtol (c1 + 1, &end, 10);
        if (*end == ':')
          {
            if (strcmp (end + 1, "eio") == 0)
              fp_action = EIO;
            else if (strcmp (end + 1, "enospc") == 0)
              fp_action = ENOSPC;
          }
      }
  }
}

int
lrvm__failpoint (const char *name)
{
  int r = 0;

  lrvm__mutex_lock (&fp_mu);
  if (!fp_loaded)
    load ();
  if (fp_list != NULL)
    {
      fprintf (fp_list, "%s\n", name);
      fflush (fp_list);
    }
  if (fp_count > 0 && strcmp (name, fp_name) == 0 && --fp_count == 0)
    {
      if (fp_action == 0)
        {
          kill (getpid (), SIGKILL);
          for (;;)
            pause ();
        }
      r = fp_action;
    }
  pthread_mutex_unlock (&fp_mu);
  return r;
}

#else

/* ISO C forbids an empty translation unit.  */
typedef int lrvm_failpoints_disabled;

#endif
