/* error.c -- status codes, their messages, and the per-thread record
   of the last failure that rvm_errcode and rvm_errmsg report.  */

#include "lrvm-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lrvm__verbose_all;

static const char *const messages[RVM_ERRMAX] = {
  [RVM_OK] = "success",
  [RVM_EINVAL] = "invalid argument",
  [RVM_ENAME] = "invalid segment name",
  [RVM_EHANDLE] = "not an open store handle",
  [RVM_EBUSY] = "store is held by another handle or process",
  [RVM_EMAPPED] = "segment is mapped",
  [RVM_ENOTMAPPED] = "address is not a mapped segment of this store",
  [RVM_ETRANS] = "unknown or finished transaction",
  [RVM_EINTRANS] = "segment is in an active transaction",
  [RVM_ENOTINTRANS] = "segment is not part of the transaction",
  [RVM_ERANGE] = "range outside the segment",
  [RVM_ENOMEM] = "out of memory",
  [RVM_EIO] = "input/output error",
  [RVM_ECORRUPT] = "log header is damaged",
  [RVM_EVERSION] = "log format is newer than this library",
  [RVM_ENORESTORE] = "no-restore transaction cannot be aborted",
  [RVM_EFAILED] = "an earlier log write or flush failed; reopen the store",
  [RVM_ENOENT] = "no such segment",
};

const char *
rvm_strerror (int code)
{
  if (code < 0 || code >= RVM_ERRMAX || messages[code] == NULL)
    return "unknown error";
  return messages[code];
}

int
lrvm__errno_for (int code)
{
  switch (code)
    {
    case RVM_OK: return 0;
    case RVM_EBUSY: case RVM_EINTRANS: return EBUSY;
    case RVM_EMAPPED: return EEXIST;
    case RVM_ENOMEM: return ENOMEM;
    case RVM_ERANGE: return ERANGE;
    case RVM_ENOENT: return ENOENT;
    case RVM_EVERSION: case RVM_ENORESTORE: return ENOTSUP;
    case RVM_EIO: case RVM_ECORRUPT: case RVM_EFAILED: return EIO;
    default: return EINVAL;
    }
}

/* The last failure of each thread.  */
struct last_error
{
  int code;
  int sys;                      /* errno of RVM_EIO, else 0 */
  char msg[512];
};

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_ok;
static struct last_error fallback;      /* if no per-thread memory */

static void
make_key (void)
{
  key_ok = pthread_key_create (&key, free) == 0;
}

static struct last_error *
last (int create)
{
  struct last_error *le;

  pthread_once (&key_once, make_key);
  if (!key_ok)
    return &fallback;
  le = pthread_getspecific (key);
  if (le == NULL && create)
    {
      le = calloc (1, sizeof *le);
      if (le == NULL || pthread_setspecific (key, le) != 0)
        {
          free (le);
          return &fallback;
        }
    }
  return le;
}

int
rvm_errcode (void)
{
  struct last_error *le = last (0);
  return le ? le->code : 0;
}

const char *
rvm_errmsg (void)
{
  struct last_error *le = last (0);
  return le ? le->msg : "";
}

int
lrvm__last_errno (void)
{
  struct last_error *le = last (0);
  if (le == NULL)
    return 0;
  if (le->code == RVM_EIO && le->sys != 0)
    return le->sys;
  return lrvm__errno_for (le->code);
}

static int
record (int verbose, int code, int sys, const char *fmt, va_list ap)
{
  struct last_error *le = last (1);
  size_t n;

  le->code = code;
  le->sys = sys;
  vsnprintf (le->msg, sizeof le->msg, fmt, ap);
  n = strlen (le->msg);
  if (sys != 0 && n < sizeof le->msg)
    snprintf (le->msg + n, sizeof le->msg - n, ": %s", strerror (sys));
  if (verbose || lrvm__verbose_all)
    fprintf (stderr, "lrvm: error: %s (%s)\n", le->msg, rvm_strerror (code));
  return code;
}

int
lrvm__error (int verbose, int code, const char *fmt, ...)
{
  va_list ap;
  int saved = errno;

  va_start (ap, fmt);
  record (verbose, code, 0, fmt, ap);
  va_end (ap);
  errno = saved;
  return code;
}

int
lrvm__syserr (int verbose, int err, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  record (verbose, RVM_EIO, err, fmt, ap);
  va_end (ap);
  errno = err;
  return RVM_EIO;
}

void
lrvm__trace_print (const char *fmt, ...)
{
  va_list ap;
  int saved = errno;

  va_start (ap, fmt);
  fputs ("lrvm: ", stderr);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
  va_end (ap);
  errno = saved;
}
