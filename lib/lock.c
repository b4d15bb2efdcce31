/* lock.c -- the store lock, held on the log's lock file for a handle's
   lifetime.  configure chose flock, open-file-description locks or
   classic fcntl locks; the first two also exclude a second handle in
   the same process, and store.c checks that case for all three.  Also
   how a thread waits for a mutex another thread holds, and the striped
   lock of data that every call reads.  */

#include "lrvm-internal.h"

#include <errno.h>
#include <fcntl.h>
#ifdef HAVE_SCHED_YIELD
# include <sched.h>
#endif
#include <string.h>
#include <unistd.h>
#ifdef HAVE_SYS_FILE_H
# include <sys/file.h>
#endif

/* Take a lock on FD without waiting, exclusive if EXCL, else shared:
   0, or -1 with errno EWOULDBLOCK when a conflicting lock is held.  */
static int
take (int fd, int excl)
{
  int r;

#if defined LRVM_LOCK_FLOCK
  do
    r = flock (fd, (excl ? LOCK_EX : LOCK_SH) | LOCK_NB);
  while (r != 0 && errno == EINTR);
#else
  struct flock fl;

  memset (&fl, 0, sizeof fl);
  fl.l_type = excl ? F_WRLCK : F_RDLCK;
  fl.l_whence = SEEK_SET;
# if defined LRVM_LOCK_OFD
  r = fcntl (fd, F_OFD_SETLK, &fl);
# else
  r = fcntl (fd, F_SETLK, &fl);
# endif
#endif
  if (r != 0 && (errno == EACCES || errno == EAGAIN))
    errno = EWOULDBLOCK;
  return r;
}

/* Take the store lock on FD (open for writing) without waiting: 0, or
   -1 with errno EWOULDBLOCK when another handle holds it.  */
int
lrvm__lock (int fd)
{
  return take (fd, 1);
}

/* Take a shared lock on FD, which may be open read-only: it excludes
   every handle (rvm_open fails with RVM_EBUSY meanwhile) but not other
   readers.  0, or -1 with errno EWOULDBLOCK when a handle holds the
   store.  */
int
lrvm__lock_shared (int fd)
{
  return take (fd, 0);
}

/* M was taken when lrvm__mutex_lock tried it.  Its holder most likely
   runs a transaction's call on another processor and lets it go within
   a microsecond: try again a few times, a short loop apart, then yield
   (to the holder, if it waits for this processor) and try again, a few
   times, before sleeping in pthread_mutex_lock, as a holder that maps
   a segment or truncates the log needs.  Two threads committing
   without pause on a segment each otherwise sleep and wake each other
   on nearly every commit, and a yield is a system call too.  */
void
lrvm__mutex_wait (pthread_mutex_t *m)
{
  int i;

  for (i = 0; i < LRVM_LOCK_SPINS; i++)
    {
      volatile int delay;
      for (delay = 0; delay < 50; delay++)
        ;
      if (pthread_mutex_trylock (m) == 0)
        return;
    }
#ifdef HAVE_SCHED_YIELD
  for (i = 0; i < LRVM_LOCK_YIELDS; i++)
    {
      sched_yield ();
      if (pthread_mutex_trylock (m) == 0)
        return;
    }
#endif
  pthread_mutex_lock (m);
}

/* Always in the same order, so that two writers cannot deadlock.  */
void
lrvm__write_lock (struct lrvm_rlock *l)
{
  unsigned i;

  for (i = 0; i < LRVM_STRIPES; i++)
    lrvm__mutex_lock (&l->part[i].mu);
}

void
lrvm__write_unlock (struct lrvm_rlock *l)
{
  unsigned i;

  for (i = LRVM_STRIPES; i-- > 0;)
    pthread_mutex_unlock (&l->part[i].mu);
}
