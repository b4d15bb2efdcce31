/* sync.c -- the only file that knows how to make data durable.
   configure chose the flush call (LRVM_SYNC_*) and the O_DSYNC flag;
   everything else in the library calls lrvm__flush, lrvm__flush_dir,
   lrvm__dsync_flag, lrvm__zero_fill, lrvm__open_range_durable,
   lrvm__write_durable and lrvm__writev_durable.  */

#include "lrvm-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

const char *
lrvm__sync_method (void)
{
#if defined LRVM_SYNC_FULLFSYNC
  return "fcntl (F_FULLFSYNC)";
#elif defined LRVM_SYNC_FDATASYNC
  return "fdatasync";
#else
  return "fsync";
#endif
}

/* Make the data of FD, and its size, durable.  A failure is returned
   as it is and never retried: after a failed flush the kernel may have
   dropped the dirty pages, so a second call could succeed without the
   data being on disk.  EINTR is retried: nothing was flushed then.  */
int
lrvm__flush (int fd)
{
  int r, e;

  if ((e = LRVM_FAILPOINT ("io.flush")) != 0)
    {
      errno = e;
      return -1;
    }
  do
    {
#if defined LRVM_SYNC_FULLFSYNC
      r = fcntl (fd, F_FULLFSYNC);
      /* Some file systems do not support it: fall back to fsync.  */
      if (r != 0 && (errno == ENOTTY || errno == ENOTSUP || errno == EINVAL))
        r = fsync (fd);
#elif defined LRVM_SYNC_FDATASYNC
      r = fdatasync (fd);
#else
      r = fsync (fd);
#endif
    }
  while (r != 0 && errno == EINTR);
  return r;
}

/* Make the entries of directory DIRFD durable, after a file in it was
   created, renamed or removed.  Where directories cannot be flushed
   (EINVAL, EBADF on some systems) there is nothing more to do.  */
int
lrvm__flush_dir (int dirfd)
{
  int r;

  do
    r = fsync (dirfd);
  while (r != 0 && errno == EINTR);
  if (r != 0 && (errno == EINVAL || errno == EBADF || errno == ENOTSUP))
    r = 0;
  return r;
}

int
lrvm__dsync_flag (void)
{
#if HAVE_DECL_O_DSYNC
  return O_DSYNC;
#elif HAVE_DECL_O_SYNC
  return O_SYNC;
#else
  return 0;
#endif
}

/* Fill FD from FROM to TO with real zero blocks (not a hole, not an
   unwritten extent), so that later overwrites there change data only,
   and flush them if FLUSH.  */
int
lrvm__zero_fill (int fd, uint64_t from, uint64_t to, int flush)
{
  static const unsigned char zeros[65536];

  while (from < to)
    {
      size_t n = to - from < sizeof zeros ? (size_t) (to - from)
                                           : sizeof zeros;
      if (lrvm__write_at (fd, zeros, n, from) != 0)
        return -1;
      from += n;
    }
  return flush ? lrvm__flush (fd) : 0;
}

/* Open NAME in DIRFD a second time, for lrvm__write_durable: with
   O_DSYNC (or O_SYNC where there is no O_DSYNC), so that a write
   through it is durable when it returns and makes nothing else of the
   file durable (POSIX promises only that write's data, and Linux
   flushes only its range).  Returns -1 where configure found no such
   writes (LRVM_RANGE_DURABLE): where they do not reach stable storage
   (macOS needs F_FULLFSYNC, which flushes the whole file) or there is
   neither flag.  Callers then have no cheaper way than lrvm__flush.  */
int
lrvm__open_range_durable (int dirfd, const char *name)
{
#if LRVM_RANGE_DURABLE
  return lrvm__open_at (dirfd, name, O_RDWR | lrvm__dsync_flag (), 0);
#else
  (void) dirfd;
  (void) name;
  return -1;
#endif
}

/* Write BUF[0..LEN) at OFF of the file open as FD and make those bytes
   durable: through DFD, its lrvm__open_range_durable descriptor, if
   there is one (the file's other unflushed writes stay unflushed), else
   with a write and a flush of the whole file.  0, or -1 with errno.  */
int
lrvm__write_durable (int fd, int dfd, const void *buf, size_t len,
                     uint64_t off)
{
  if (dfd >= 0)
    return lrvm__write_at (dfd, buf, len, off);
  if (lrvm__write_at (fd, buf, len, off) != 0)
    return -1;
  return lrvm__flush (fd);
}

/* The same for the COUNT buffers of IOV, written one after the other
   (IOV is changed).  DFD's offset moves: only one thread may use it at
   a time.  */
int
lrvm__writev_durable (int fd, int dfd, struct iovec *iov, int count,
                      uint64_t off)
{
  if (dfd >= 0)
    return lrvm__writev_at (dfd, iov, count, off);
  if (lrvm__writev_at (fd, iov, count, off) != 0)
    return -1;
  return lrvm__flush (fd);
}
