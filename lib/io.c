/* io.c -- the library's file system calls.  Each retries EINTR and
   completes short transfers, so no caller handles either; files are
   always opened relative to the store directory, without following
   symbolic links, and close-on-exec.  */

#include "lrvm-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef O_CLOEXEC
# define O_CLOEXEC 0
#endif
#ifndef O_NOFOLLOW
# define O_NOFOLLOW 0
#endif

int
lrvm__open_at (int dirfd, const char *name, int flags, mode_t mode)
{
  int fd;

  do
    fd = openat (dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
  while (fd < 0 && errno == EINTR);
  return fd;
}

/* What a write call's result N means: 1 bytes were written, 0 try
   again (EINTR), -1 fail with errno (a write of nothing is EIO).  */
static int
wrote (ssize_t n)
{
  if (n < 0)
    return errno == EINTR ? 0 : -1;
  if (n == 0)
    {
      errno = EIO;
      return -1;
    }
  return 1;
}

/* Read up to LEN bytes at OFF; *GOT is short only at end of file.  */
int
lrvm__read_at (int fd, void *buf, size_t len, uint64_t off, size_t *got)
{
  size_t done = 0;

  while (done < len)
    {
      ssize_t n = pread (fd, (char *) buf + done, len - done,
                         (off_t) (off + done));
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      if (n == 0)
        break;
      done += (size_t) n;
    }
  *got = done;
  return 0;
}

int
lrvm__write_at (int fd, const void *buf, size_t len, uint64_t off)
{
  size_t done = 0;
  int e;

  if ((e = LRVM_FAILPOINT ("io.write")) != 0)
    {
      errno = e;
      return -1;
    }
  while (done < len)
    {
      ssize_t n = pwrite (fd, (const char *) buf + done, len - done,
                          (off_t) (off + done));
      int k = wrote (n);
      if (k < 0)
        return -1;
      if (k > 0)
        done += (size_t) n;
    }
  return 0;
}

/* Write the COUNT buffers of IOV one after the other at OFF, with as
   few writev calls as the system allows (IOV is changed).  The
   descriptor's offset moves: FD must be one no other thread uses.  */
int
lrvm__writev_at (int fd, struct iovec *iov, int count, uint64_t off)
{
  int e, k;

  if ((e = LRVM_FAILPOINT ("io.write")) != 0)
    {
      errno = e;
      return -1;
    }
  while (count > 0 && iov->iov_len == 0)
    iov++, count--;
  while (count > 0)
    {
      ssize_t n;
      if (lseek (fd, (off_t) off, SEEK_SET) == (off_t) -1)
        return -1;
      n = writev (fd, iov, count);
      if ((k = wrote (n)) < 0)
        return -1;
      if (k == 0)
        continue;
      off += (uint64_t) n;
      while (count > 0 && (size_t) n >= iov->iov_len)
        {
          n -= (ssize_t) iov->iov_len;
          iov++;
          count--;
        }
      if (count > 0)
        {
          iov->iov_base = (char *) iov->iov_base + n;
          iov->iov_len -= (size_t) n;
        }
    }
  return 0;
}

int
lrvm__file_size (int fd, uint64_t *size)
{
  struct stat st;

  if (fstat (fd, &st) != 0)
    return -1;
  *size = (uint64_t) st.st_size;
  return 0;
}

int
lrvm__resize (int fd, uint64_t size)
{
  int r;

  do
    r = ftruncate (fd, (off_t) size);
  while (r != 0 && errno == EINTR);
  return r;
}

int
lrvm__unlink_at (int dirfd, const char *name)
{
  return unlinkat (dirfd, name, 0);
}

int
lrvm__rename_at (int dirfd, const char *from, const char *to)
{
  return renameat (dirfd, from, dirfd, to);
}

/* Close FD, keeping errno.  Not retried on EINTR: the descriptor is
   released either way on the systems we support.  */
void
lrvm__close (int fd)
{
  int saved = errno;

  if (fd >= 0)
    close (fd);
  errno = saved;
}
