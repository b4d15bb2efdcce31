/* clockshim.c -- an LD_PRELOAD module that moves the time of day:
   clock_gettime (CLOCK_REALTIME), and gettimeofday where its
   declaration allows (see configure), answer LRVM_CLOCK_SHIFT seconds
   later than the system's clock (0 if unset).
   A deadline computed from them lies that much further away than it
   should, as if the clock had been set back by as much while a thread
   waited for it.  Other clocks pass through.  */

#include <config.h>

#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long
shift (void)
{
  const char *e = getenv ("LRVM_CLOCK_SHIFT");
  return e != NULL ? atol (e) : 0;
}

int
clock_gettime (clockid_t id, struct timespec *ts)
{
  static int (*real) (clockid_t, struct timespec *);
  int r;

  if (real == NULL)
    *(void **) &real = dlsym (RTLD_NEXT, "clock_gettime");
  if (real == NULL)
    return -1;
  r = real (id, ts);
  if (r == 0 && id == CLOCK_REALTIME)
    ts->tv_sec += shift ();
  return r;
}

/* Declared differently from one C library to another: defined where
   configure found it declared with a void * time zone (glibc, musl),
   whose definition here matches.  */
#ifdef GETTIMEOFDAY_VOID_TZ
int
gettimeofday (struct timeval *tv, void *tz)
{
  struct timespec ts;

  (void) tz;
  if (clock_gettime (CLOCK_REALTIME, &ts) != 0)
    return -1;
  tv->tv_sec = ts.tv_sec;
  tv->tv_usec = ts.tv_nsec / 1000;
  return 0;
}
#endif
