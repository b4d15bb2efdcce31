/* bigseg.c -- a segment larger than 2 GiB (5 GiB where size_t has 64
   bits, so offsets pass 2^32 too): ranges near the start, across 2^31
   and 2^32, near 3 GiB and near the end reach the file at the right
   offsets through truncation and through recovery after a crash.  The
   file is sparse, so this costs a few pages, not gigabytes.  */

#include <config.h>

#include <lrvm.h>
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define GIB ((uint64_t) 1 << 30)

/* The segment's size, and the ranges changed in it.  */
static size_t big;

struct range
{
  uint64_t off;
  size_t len;
};

static struct range ranges[8];
static size_t nranges;

/* Bytes checked around each range: they must stay zero.  */
#define MARGIN 64

static unsigned char
pat (unsigned tag, uint64_t off)
{
  return (unsigned char) (tag * 59u + (unsigned) (off % 251u) + 1u);
}

static void
set_ranges (void)
{
  nranges = 0;
  ranges[nranges++] = (struct range) { 0, 100 };
  ranges[nranges++] = (struct range) { (GIB << 1) - 50, 100 };
  ranges[nranges++] = (struct range) { (GIB << 1) + 4096, 1 << 20 };
  ranges[nranges++] = (struct range) { 3 * GIB - 100, 100 };
  if (big > 3 * GIB)
    {
      ranges[nranges++] = (struct range) { (GIB << 2) - 50, 100 };
      ranges[nranges++] = (struct range) { big - 100, 100 };
    }
}

/* One durable transaction writing value TAG into every range.  */
static int
commit_ranges (rvm_t rvm, void *seg, unsigned tag)
{
  unsigned char *p = seg;
  trans_t tid;
  size_t k, i;
  int r;

  if ((r = rvm_begin (rvm, 1, &seg, 0, &tid)) != 0)
    return r;
  for (k = 0; k < nranges; k++)
    {
      if ((r = rvm_modify (tid, seg, (size_t) ranges[k].off,
                           ranges[k].len)) != 0)
        {
          rvm_abort (tid);
          return r;
        }
      for (i = 0; i < ranges[k].len; i++)
        p[ranges[k].off + i] = pat (tag, ranges[k].off + i);
    }
  return rvm_commit (tid, 0);
}

/* Nonzero if BUF, LEN bytes read at OFF, holds value TAG inside the
   ranges and zeros elsewhere.  */
static int
holds (const unsigned char *buf, uint64_t off, size_t len, unsigned tag)
{
  size_t i, k;

  for (i = 0; i < len; i++)
    {
      uint64_t o = off + i;
      unsigned char want = 0;
      for (k = 0; k < nranges; k++)
        if (o >= ranges[k].off && o < ranges[k].off + ranges[k].len)
          want = pat (tag, o);
      if (buf[i] != want)
        {
          t_note ("byte %llu is %u, expected %u", (unsigned long long) o,
                  buf[i], want);
          return 0;
        }
    }
  return 1;
}

/* Nonzero if the segment memory SEG holds value TAG in every range and
   zeros around them.  */
static int
memory_holds (const unsigned char *seg, unsigned tag)
{
  size_t k;

  for (k = 0; k < nranges; k++)
    {
      uint64_t lo = ranges[k].off >= MARGIN ? ranges[k].off - MARGIN : 0;
      uint64_t hi = ranges[k].off + ranges[k].len + MARGIN;
      if (hi > big)
        hi = big;
      if (!holds (seg + lo, lo, (size_t) (hi - lo), tag))
        return 0;
    }
  return 1;
}

/* The same, read from the file DIR/big with pread.  */
static int
file_holds (const char *dir, unsigned tag)
{
  char path[4096];
  unsigned char *buf = malloc ((1 << 20) + 2 * MARGIN);
  struct stat st;
  size_t k;
  int fd, ok;

  snprintf (path, sizeof path, "%s/big", dir);
  fd = open (path, O_RDONLY);
  ok = fd >= 0 && buf != NULL && fstat (fd, &st) == 0
       && (uint64_t) st.st_size == big;
  for (k = 0; ok && k < nranges; k++)
    {
      uint64_t lo = ranges[k].off >= MARGIN ? ranges[k].off - MARGIN : 0;
      uint64_t hi = ranges[k].off + ranges[k].len + MARGIN;
      if (hi > big)
        hi = big;
      ok = pread (fd, buf, (size_t) (hi - lo), (off_t) lo)
           == (ssize_t) (hi - lo)
           && holds (buf, lo, (size_t) (hi - lo), tag);
    }
  if (fd >= 0)
    close (fd);
  free (buf);
  return ok;
}

/* Commit value 2 and die without closing.  */
static int
crash_writer (void *arg)
{
  const char *d = arg;
  rvm_t rvm;
  void *seg;

  if (rvm_open (d, NULL, &rvm) != 0
      || rvm_map_segment (rvm, "big", big, &seg, NULL) != 0
      || !memory_holds (seg, 1) || commit_ranges (rvm, seg, 2) != 0)
    return 3;
  kill (getpid (), SIGKILL);
  return 4;
}

static int
verifier (void *arg)
{
  const char *d = arg;
  struct rvm_statistics st;
  rvm_t rvm;
  void *seg;
  size_t mapped;

  if (rvm_open (d, NULL, &rvm) != 0
      || rvm_stats (rvm, &st, sizeof st) != 0 || st.recovery_records != 1
      || rvm_map_segment (rvm, "big", big, &seg, &mapped) != 0
      || mapped != big)
    return 3;
  if (!memory_holds (seg, 2))
    return 1;
  return rvm_close (rvm) == 0 ? 0 : 5;
}

int
main (int argc, char **argv)
{
  char *d, how[64];
  rvm_t rvm;
  void *seg;
  size_t mapped = 0;
  int r, e;

  t_init (argc, argv);
  big = sizeof (size_t) > 4 ? (size_t) (5 * GIB) : (size_t) (3 * GIB);
  set_ranges ();
  d = t_tmpdir ("bigseg");
  if (rvm_open (d, NULL, &rvm) != 0)
    t_bail ("cannot open %s: %s", d, rvm_errmsg ());
  r = rvm_map_segment (rvm, "big", big, &seg, &mapped);
  e = errno;
  if (r == RVM_ENOMEM || r == RVM_ERANGE
      || (r == RVM_EIO && (e == EFBIG || e == ENOSPC || e == EINVAL)))
    {
      t_note ("bigseg: mapping a %llu GiB segment: %s",
              (unsigned long long) (big / GIB), rvm_errmsg ());
      t_unsupported ("bigseg: a %llu GiB segment (the file system or"
                     " the address space refuses it)",
                     (unsigned long long) (big / GIB));
      rvm_close (rvm);
      t_rmdir (d);
      free (d);
      return t_done ();
    }
  t_note ("bigseg: a %llu GiB segment, %zu ranges",
          (unsigned long long) (big / GIB), nranges);
  t_check (r == 0 && mapped == big, "bigseg: the segment maps whole");
  if (r != 0)
    t_bail ("map: %s", rvm_errmsg ());
  t_check (commit_ranges (rvm, seg, 1) == 0, "bigseg: a transaction over"
           " ranges past 2 GiB commits");
  t_check (memory_holds (seg, 1), "bigseg: the memory holds the values");
  t_check (rvm_truncate (rvm) == 0, "bigseg: truncation returns 0");
  t_check (file_holds (d, 1), "bigseg: after truncation pread finds each"
           " value at its offset in the file, zeros around");
  t_check (rvm_close (rvm) == 0, "bigseg: rvm_close returns 0");

  t_wait (t_fork (crash_writer, d), NULL, how, sizeof how);
  t_note ("bigseg: the second process ended with %s", how);
  t_check (strcmp (how, "signal 9") == 0, "bigseg: a second process sees"
           " the values, commits new ones and is killed");
  t_wait (t_fork (verifier, d), NULL, how, sizeof how);
  t_note ("bigseg: the verifier ended with %s", how);
  t_check (strcmp (how, "exit 0") == 0, "bigseg: recovery replays the"
           " record into a fresh process's mapping");
  t_check (file_holds (d, 2), "bigseg: after recovery pread finds the new"
           " values in the file");
  t_rmdir (d);
  free (d);
  return t_done ();
}
