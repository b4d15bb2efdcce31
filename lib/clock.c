/* clock.c -- the library's clocks: a monotonic one for the durations
   it measures (a flush, a recovery), and the clock of the timed wait
   of group commit.  That wait runs on the monotonic clock where the
   system lets a condition variable use it (configure found
   pthread_condattr_setclock and clock_gettime), so that a change of
   the system's time, by an administrator or a time daemon, neither
   stretches it nor cuts it short.  Elsewhere it runs on the time of
   day, as pthread_cond_timedwait does by default.  */

#include "lrvm-internal.h"

#include <sys/time.h>
#include <time.h>

#if defined HAVE_CLOCK_GETTIME && defined HAVE_PTHREAD_CONDATTR_SETCLOCK \
    && defined CLOCK_MONOTONIC
# define LRVM_WAIT_MONOTONIC 1
#endif

uint64_t
lrvm__now_usec (void)
{
#ifdef HAVE_CLOCK_GETTIME
  struct timespec ts;
  if (clock_gettime (CLOCK_MONOTONIC, &ts) == 0)
    return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
#endif
  {
    struct timeval tv;
    gettimeofday (&tv, NULL);
    return (uint64_t) tv.tv_sec * 1000000u + (uint64_t) tv.tv_usec;
  }
}

int
lrvm__timed_cond_init (pthread_cond_t *cv, int *monotonic)
{
#ifdef LRVM_WAIT_MONOTONIC
  pthread_condattr_t a;
  struct timespec ts;

  /* A system may know the clock and still refuse it for condition
     variables, or not run it: then the time of day.  */
  if (clock_gettime (CLOCK_MONOTONIC, &ts) == 0
      && pthread_condattr_init (&a) == 0)
    {
      int r = pthread_condattr_setclock (&a, CLOCK_MONOTONIC);
      if (r == 0)
        r = pthread_cond_init (cv, &a);
      pthread_condattr_destroy (&a);
      if (r == 0)
        {
          *monotonic = 1;
          return 0;
        }
    }
#endif
  *monotonic = 0;
  return pthread_cond_init (cv, NULL);
}

void
lrvm__deadline (int monotonic, uint64_t usec, struct timespec *ts)
{
  uint64_t ns;

  if (monotonic)
    {
      /* Never a deadline from another clock: one from the time of day
         would lie decades ahead on the monotonic clock.  If the clock
         fails, a deadline already past: the caller does not wait.  */
#ifdef LRVM_WAIT_MONOTONIC
      if (clock_gettime (CLOCK_MONOTONIC, ts) != 0)
#endif
        {
          ts->tv_sec = 0;
          ts->tv_nsec = 0;
          return;
        }
      ns = (uint64_t) ts->tv_nsec;
    }
  else
    {
      struct timeval tv;
      gettimeofday (&tv, NULL);
      ts->tv_sec = tv.tv_sec;
      ns = (uint64_t) tv.tv_usec * 1000u;
    }
  ns += usec % 1000000u * 1000u;
  ts->tv_sec += (time_t) (usec / 1000000u + ns / 1000000000u);
  ts->tv_nsec = (long) (ns % 1000000000u);
}
