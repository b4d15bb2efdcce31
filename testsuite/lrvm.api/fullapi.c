/* fullapi.c -- the full API (<lrvm.h>) used as a program uses it:
   status codes, every option of rvm_open, rvm_close, no-restore and
   address-based transactions, merged ranges and the statistics.
   Every check of persisted data is made by a fresh process.  */

#include <config.h>

#include <lrvm.h>
#include "format.h"
#include "testlib.h"
#include "teststore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined __SANITIZE_ADDRESS__ || defined __SANITIZE_THREAD__
# define UNDER_SANITIZER 1
#elif defined __has_feature
# if __has_feature (address_sanitizer) || __has_feature (thread_sanitizer) \
     || __has_feature (memory_sanitizer)
#  define UNDER_SANITIZER 1
# endif
#endif
#ifndef UNDER_SANITIZER
# define UNDER_SANITIZER 0
#endif
#ifndef O_DSYNC
# define O_DSYNC O_SYNC
#endif

#define SEG 65536                       /* size of most test segments */
#define CHUNK 8000                      /* bytes of one test commit */

/* --- helpers ----------------------------------------------------- */

/* The byte I of the value tagged TAG.  */
static unsigned char
pat (unsigned tag, size_t i)
{
  return (unsigned char) (tag * 37u + i * 11u + (i >> 9) + 1u);
}

static void
fill (unsigned char *p, size_t len, unsigned tag)
{
  size_t i;

  for (i = 0; i < len; i++)
    p[i] = pat (tag, i);
}

/* Bytes of a record of one entry of LEN bytes in a segment whose name
   has NAMELEN bytes, from the layout of format.h.  */
static uint64_t
rec_size (size_t namelen, size_t len)
{
  return LRVM_REC_HDR_SIZE + LRVM_ENT_HDR_SIZE + LRVM_PAD8 (namelen)
         + LRVM_PAD8 (len);
}

/* One transaction on SEG: declare LEN bytes at OFF, write the value
   TAG there (and into SHADOW, if not NULL), commit with FLAGS.
   Returns the first status that is not 0.  */
static int
put (rvm_t rvm, void *seg, size_t off, size_t len, unsigned tag,
     unsigned flags, unsigned char *shadow)
{
  trans_t tid;
  int r;

  if ((r = rvm_begin (rvm, 1, &seg, 0, &tid)) != 0)
    return r;
  if ((r = rvm_modify (tid, seg, off, len)) != 0)
    {
      rvm_abort (tid);
      return r;
    }
  fill ((unsigned char *) seg + off, len, tag);
  if (shadow != NULL)
    fill (shadow + off, len, tag);
  return rvm_commit (tid, flags);
}

static struct rvm_statistics
stats (rvm_t rvm)
{
  struct rvm_statistics st;

  memset (&st, 0, sizeof st);
  if (rvm_stats (rvm, &st, sizeof st) != 0)
    t_note ("rvm_stats failed: %s", rvm_errmsg ());
  return st;
}

/* What a verifier compares: segment SEG of DIR, SIZE bytes, equals
   WANT.  */
struct image
{
  const char *dir;
  const char *seg;
  size_t size;
  const unsigned char *want;
};

static int
image_child (void *arg)
{
  const struct image *im = arg;
  const unsigned char *p;
  rvm_t rvm;
  void *base;
  size_t mapped, i;

  if (rvm_open (im->dir, NULL, &rvm) != 0)
    return 3;
  if (rvm_map_segment (rvm, im->seg, im->size, &base, &mapped) != 0)
    return 4;
  if (mapped != im->size)
    return 5;
  p = base;
  for (i = 0; i < im->size; i++)
    if (p[i] != im->want[i])
      {
        t_note ("%s: byte %zu is %u, expected %u", im->seg, i, p[i],
                im->want[i]);
        return 1;
      }
  return rvm_close (rvm) == 0 ? 0 : 6;
}

/* PASS or FAIL NAME by whether a fresh process finds segment SEG of
   DIR equal to WANT.  */
static int
verify_image (const char *dir, const char *seg, size_t size,
              const unsigned char *want, const char *fmt, ...)
{
  struct image im = { dir, seg, size, want };
  char how[64], name[512];
  va_list ap;
  int ok;

  va_start (ap, fmt);
  vsnprintf (name, sizeof name, fmt, ap);
  va_end (ap);
  ok = t_run_child (image_child, &im, how, sizeof how);
  t_note ("%s: the verifier ended with %s", name, how);
  return t_check (ok, "%s", name);
}

static mode_t
file_mode (const char *dir, const char *name)
{
  char path[4096];
  struct stat st;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  if (stat (path, &st) != 0)
    return (mode_t) -1;
  return st.st_mode & 07777;
}

/* Standard error goes to a file between capture_start and
   capture_end, which returns what was written (to free).  */
static int saved_stderr = -1;

static void
capture_start (const char *path)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

  fflush (stderr);
  saved_stderr = dup (2);
  if (fd < 0 || saved_stderr < 0 || dup2 (fd, 2) < 0)
    t_bail ("cannot redirect stderr to %s", path);
  close (fd);
}

static char *
capture_end (const char *path)
{
  FILE *f;
  char *text = calloc (1, 65536);
  size_t n = 0;

  fflush (stderr);
  dup2 (saved_stderr, 2);
  close (saved_stderr);
  if (text == NULL)
    t_bail ("out of memory");
  f = fopen (path, "r");
  if (f != NULL)
    {
      n = fread (text, 1, 65535, f);
      fclose (f);
    }
  text[n] = '\0';
  return text;
}

static size_t
count (const char *text, const char *needle)
{
  size_t n = 0;

  while ((text = strstr (text, needle)) != NULL)
    {
      n++;
      text++;
    }
  return n;
}

/* --- status codes ------------------------------------------------ */

static int status_ok;

/* Check that the failed call's status R is CODE, a real code that
   rvm_errcode () repeats, with a message of its own.  */
static void
expect_code (int r, int code, const char *what)
{
  const char *msg = rvm_strerror (r);

  if (r != code || r <= 0 || r >= RVM_ERRMAX || rvm_errcode () != r
      || strcmp (msg, "unknown error") == 0 || *rvm_errmsg () == '\0')
    {
      t_note ("%s: status %d (want %d), rvm_errcode %d, \"%s\"", what, r,
              code, rvm_errcode (), rvm_errmsg ());
      status_ok = 0;
    }
}

static void
test_status (void)
{
  char *d = t_tmpdir ("status");
  struct rvm_options o;
  struct rvm_statistics st;
  rvm_t rvm = NULL, other;
  void *seg = NULL, *seg2 = NULL, *dup;
  size_t mapped = 0;
  trans_t tid = -1, t2 = -1, tn = -1;
  int r[20], n = 0, i, ok, distinct;
  char local;

  rvm_options_init (&o);
  r[n++] = rvm_open (d, &o, &rvm);
  r[n++] = rvm_map_segment (rvm, "s", 4096, &seg, &mapped);
  r[n++] = rvm_map_segment (rvm, "t", 4096, &seg2, NULL);
  r[n++] = rvm_begin (rvm, 1, &seg, 0, &tid);
  r[n++] = rvm_modify (tid, seg, 0, 10);
  r[n++] = rvm_set_range (tid, (char *) seg + 100, 10);
  r[n++] = rvm_commit (tid, 0);
  r[n++] = rvm_begin (rvm, 1, &seg, 0, &tid);
  r[n++] = rvm_modify (tid, seg, 0, 10);
  r[n++] = rvm_abort (tid);
  r[n++] = rvm_begin (rvm, 1, &seg, RVM_NO_RESTORE, &tid);
  r[n++] = rvm_set_range (tid, seg, 10);
  r[n++] = rvm_commit (tid, RVM_NO_FLUSH);
  r[n++] = rvm_flush (rvm);
  r[n++] = rvm_truncate (rvm);
  r[n++] = rvm_stats (rvm, &st, sizeof st);
  r[n++] = rvm_unmap_segment (rvm, seg2);
  r[n++] = rvm_destroy_segment (rvm, "t");
  ok = mapped == 4096;
  for (i = 0; i < n; i++)
    if (r[i] != RVM_OK)
      {
        t_note ("call %d of the session returned %d: %s", i, r[i],
                rvm_errmsg ());
        ok = 0;
      }
  t_check (ok, "status: every call of a working session returns RVM_OK");

  /* One failure of each kind a program meets in normal use.  */
  status_ok = 1;
  expect_code (rvm_open (NULL, NULL, &other), RVM_EINVAL, "open NULL");
  expect_code (rvm_open (d, NULL, &other), RVM_EBUSY, "open twice");
  expect_code (rvm_map_segment (rvm, "../x", 10, &dup, NULL), RVM_ENAME,
               "bad name");
  expect_code (rvm_map_segment (rvm, "s", 10, &dup, NULL), RVM_EMAPPED,
               "map twice");
  expect_code (rvm_unmap_segment (rvm, &local), RVM_ENOTMAPPED,
               "unmap a stack address");
  expect_code (rvm_commit (0x7ffffff0, 0), RVM_ETRANS, "unknown tid");
  expect_code (rvm_destroy_segment (rvm, "nothing"), RVM_ENOENT,
               "destroy a missing segment");
  if (rvm_begin (rvm, 1, &seg, 0, &t2) == 0)
    {
      expect_code (rvm_begin (rvm, 1, &seg, 0, &tn), RVM_EINTRANS,
                   "begin on a held segment");
      expect_code (rvm_modify (t2, seg, 4000, 100), RVM_ERANGE,
                   "range past the end");
      expect_code (rvm_modify (t2, &local, 0, 1), RVM_ENOTINTRANS,
                   "segment not in the transaction");
      expect_code (rvm_unmap_segment (rvm, seg), RVM_EINTRANS,
                   "unmap a held segment");
      rvm_abort (t2);
    }
  else
    status_ok = 0;
  if (rvm_begin (rvm, 1, &seg, RVM_NO_RESTORE, &t2) == 0)
    {
      expect_code (rvm_abort (t2), RVM_ENORESTORE, "abort no-restore");
      rvm_commit (t2, 0);
    }
  else
    status_ok = 0;
  t_check (rvm_close (rvm) == RVM_OK, "status: rvm_close returns RVM_OK");
  expect_code (rvm_close (rvm), RVM_EHANDLE, "close twice");
  expect_code (rvm_flush (rvm), RVM_EHANDLE, "flush a closed handle");
  t_check (status_ok, "status: each failing call returns its RVM_E code,"
           " repeated by rvm_errcode, with a message");

  ok = strcmp (rvm_strerror (RVM_OK), "success") == 0
       && strcmp (rvm_strerror (-1), "unknown error") == 0
       && strcmp (rvm_strerror (RVM_ERRMAX), "unknown error") == 0
       && strcmp (rvm_strerror (INT_MAX), "unknown error") == 0;
  distinct = 1;
  for (i = 0; i < RVM_ERRMAX; i++)
    {
      int j;
      if (rvm_strerror (i) == NULL
          || strcmp (rvm_strerror (i), "unknown error") == 0)
        distinct = 0;
      for (j = 0; j < i; j++)
        if (strcmp (rvm_strerror (i), rvm_strerror (j)) == 0)
          distinct = 0;
    }
  t_check (ok && distinct, "status: rvm_strerror gives each code its own"
           " message, \"unknown error\" outside them");
  t_rmdir (d);
  free (d);
}

/* The classic calls report through errno what the full API returns.  */
static void
test_classic_errno (void)
{
  char *d = t_tmpdir ("classic-errno");
  rvm_t rvm = rvm_init (d);
  char *seg, *seg2;
  trans_t tid, t2;
  int ok = 1, keep;

  if (rvm == NULL)
    t_bail ("classic-errno: %s", rvm_errmsg ());
#define EXPECT_ERRNO(call, e, code)                                     \
  do                                                                    \
    {                                                                   \
      errno = 0;                                                        \
      call;                                                             \
      if (errno != (e) || rvm_errcode () != (code))                     \
        {                                                               \
          t_note ("%s: errno %d (want %d), code %d (want %d)", #call,   \
                  errno, (e), rvm_errcode (), (code));                  \
          ok = 0;                                                       \
        }                                                               \
    }                                                                   \
  while (0)
  EXPECT_ERRNO (rvm_map (rvm, "bad/name", 10), EINVAL, RVM_ENAME);
  seg = rvm_map (rvm, "s", 100);
  seg2 = rvm_map (rvm, "n", 100);
  if (seg == NULL || seg2 == NULL)
    t_bail ("classic-errno: map: %s", rvm_errmsg ());
  EXPECT_ERRNO (rvm_map (rvm, "s", 100), EEXIST, RVM_EMAPPED);
  EXPECT_ERRNO (rvm_destroy (rvm, "none"), ENOENT, RVM_ENOENT);
  EXPECT_ERRNO (rvm_commit_trans (0x7ffffff0), EINVAL, RVM_ETRANS);
  tid = rvm_begin_trans (rvm, 1, (void **) &seg);
  EXPECT_ERRNO (t2 = rvm_begin_trans (rvm, 1, (void **) &seg), EBUSY,
                RVM_EINTRANS);
  ok &= t2 == (trans_t) -1;
  EXPECT_ERRNO (rvm_about_to_modify (tid, seg, 90, 20), ERANGE, RVM_ERANGE);
  rvm_abort_trans (tid);
  if (rvm_begin (rvm, 1, (void **) &seg2, RVM_NO_RESTORE, &tid) == 0)
    {
      EXPECT_ERRNO (rvm_abort_trans (tid), ENOTSUP, RVM_ENORESTORE);
      rvm_commit_trans (tid);
    }
  else
    ok = 0;
#undef EXPECT_ERRNO
  t_check (ok, "classic: failures set errno from their RVM_E code");

  errno = 4242;
  seg2 = rvm_map (rvm, "t", 100);
  keep = errno;
  errno = 4243;
  rvm_unmap (rvm, seg2);
  t_check (seg2 != NULL && keep == 4242 && errno == 4243,
           "classic: a call that succeeds leaves errno alone");
  rvm_close (rvm);
  t_rmdir (d);
  free (d);
}

/* --- options ----------------------------------------------------- */

static void
test_options_init (void)
{
  struct rvm_options o;

  memset (&o, 0x5a, sizeof o);
  rvm_options_init (&o);
  t_check (o.size == sizeof o && o.sync_mode == RVM_SYNC_FLUSH
           && o.verbose == 0 && o.truncate_threshold == (uint64_t) 64 << 20
           && o.log_reserve == (uint64_t) 1 << 20 && o.file_mode == 0666,
           "options: rvm_options_init sets size and the documented"
           " defaults");
  rvm_options_init (NULL);
  t_pass ("options: rvm_options_init (NULL) does nothing");
}

/* How many of this process's descriptors of the log are open with
   O_DSYNC (in bits 16 and up) and without it (bits 0 to 15), from
   /proc/self/fdinfo, or -1 where that cannot be read.  */
static long
log_fd_flags (void)
{
  DIR *dp = opendir ("/proc/self/fd");
  struct dirent *e;
  long counts = -1;

  if (dp == NULL)
    return -1;
  while ((e = readdir (dp)) != NULL)
    {
      char path[320], target[4096], line[256];
      ssize_t n;
      size_t len;
      FILE *f;

      if (e->d_name[0] == '.')
        continue;
      snprintf (path, sizeof path, "/proc/self/fd/%s", e->d_name);
      n = readlink (path, target, sizeof target - 1);
      if (n < 0)
        continue;
      target[n] = '\0';
      len = strlen (target);
      if (len < 10 || strcmp (target + len - 10, "/.lrvm-log") != 0)
        continue;
      snprintf (path, sizeof path, "/proc/self/fdinfo/%s", e->d_name);
      if ((f = fopen (path, "r")) == NULL)
        continue;
      while (fgets (line, sizeof line, f) != NULL)
        if (strncmp (line, "flags:", 6) == 0)
          {
            long flags = strtol (line + 6, NULL, 8);
            counts = (counts < 0 ? 0 : counts)
                     + ((flags & O_DSYNC) == O_DSYNC ? 1L << 16 : 1);
          }
      fclose (f);
    }
  closedir (dp);
  return counts;
}

struct sync_arg
{
  const char *dir;
  int mode;
  int fd;
};

struct sync_report
{
  int ok;
  long flags;
  struct rvm_statistics st;
};

static const struct
{
  size_t off;
  unsigned flags;
  int then_flush;
} sync_steps[] = {
  { 0, 0, 0 },                          /* durable */
  { 2000, RVM_NO_FLUSH, 1 },            /* no-flush, then rvm_flush */
  { 4000, RVM_NO_FLUSH, 0 },            /* no-flush, carried by... */
  { 6000, 0, 0 },                       /* ...this durable commit */
};

/* Commit the steps in MODE, report, and die of SIGKILL.  */
static int
sync_writer (void *arg)
{
  const struct sync_arg *a = arg;
  struct sync_report rep;
  struct rvm_options o;
  rvm_t rvm;
  void *seg;
  size_t i;

  memset (&rep, 0, sizeof rep);
  rvm_options_init (&o);
  o.sync_mode = a->mode;
  rep.ok = rvm_open (a->dir, &o, &rvm) == 0
           && rvm_map_segment (rvm, "s", SEG, &seg, NULL) == 0;
  for (i = 0; rep.ok && i < sizeof sync_steps / sizeof *sync_steps; i++)
    rep.ok = put (rvm, seg, sync_steps[i].off, 1000, (unsigned) i + 1,
                  sync_steps[i].flags, NULL) == 0
             && (!sync_steps[i].then_flush || rvm_flush (rvm) == 0);
  rep.ok = rep.ok && rvm_stats (rvm, &rep.st, sizeof rep.st) == 0;
  rep.flags = log_fd_flags ();
  if (write (a->fd, &rep, sizeof rep) != (ssize_t) sizeof rep)
    return 3;
  kill (getpid (), SIGKILL);
  return 4;
}

static void
test_sync_mode (int mode, const char *mname)
{
  char *d = t_tmpdir ("sync");
  struct sync_arg a;
  struct sync_report rep;
  unsigned char *want = calloc (1, SEG);
  int fds[2], st;
  char how[64];
  size_t i;
  pid_t pid;

  if (want == NULL || pipe (fds) != 0)
    t_bail ("sync: no memory or pipe");
  a.dir = d;
  a.mode = mode;
  a.fd = fds[1];
  pid = t_fork (sync_writer, &a);
  close (fds[1]);
  memset (&rep, 0, sizeof rep);
  if (read (fds[0], &rep, sizeof rep) != (ssize_t) sizeof rep)
    rep.ok = 0;
  close (fds[0]);
  t_wait (pid, &st, how, sizeof how);
  t_note ("sync %s: the writer ended with %s", mname, how);
  t_check (rep.ok && WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL,
           "sync %s: commits and flushes return 0, writer killed", mname);
  for (i = 0; i < sizeof sync_steps / sizeof *sync_steps; i++)
    fill (want + sync_steps[i].off, 1000, (unsigned) i + 1);
  verify_image (d, "s", SEG, want, "sync %s: durable, flushed and carried"
                " commits are found after SIGKILL", mname);
  t_note ("sync %s: %llu durable and %llu no-flush commits, %llu flushes"
          " carrying %llu commits", mname,
          (unsigned long long) rep.st.commits,
          (unsigned long long) rep.st.commits_noflush,
          (unsigned long long) rep.st.flushes,
          (unsigned long long) rep.st.flushed_commits);
  t_check (rep.st.commits == 2 && rep.st.commits_noflush == 2,
           "sync %s: 2 durable and 2 no-flush commits counted", mname);
  if (mode == RVM_SYNC_FLUSH)
    t_check (rep.st.flushes == 3 && rep.st.flushed_commits == 4,
             "sync %s: 3 flushes carry the 4 commits", mname);
  else
    t_check (rep.st.flushes == 0 && rep.st.flushed_commits == 0,
             "sync %s: no flush is made for commits", mname);
  if (rep.flags < 0)
    t_unsupported ("sync %s: the log's open flags (no /proc/self/fdinfo)",
                   mname);
  else
    {
      long with = rep.flags >> 16, without = rep.flags & 0xffff;
      t_note ("sync %s: the log is open %ld times with O_DSYNC, %ld"
              " without", mname, with, without);
      if (mode == RVM_SYNC_DSYNC)
        t_check (with == 1 && without == 0, "sync %s: the log is open"
                 " with O_DSYNC only", mname);
      else if (mode == RVM_SYNC_FLUSH && T_CHECKPOINTS)
        /* Records go through the plain descriptor; the other one
           writes headers and checkpoints, each durable alone.  */
        t_check (without == 1 && with == 1, "sync %s: the log is open"
                 " once without O_DSYNC, and once with it for header and"
                 " checkpoint writes", mname);
      else
        t_check (with == 0 && without == 1, "sync %s: the log is open"
                 " without O_DSYNC only", mname);
    }
  free (want);
  t_rmdir (d);
  free (d);
}

static void
test_sync_modes (void)
{
  struct rvm_options o;
  rvm_t rvm;
  char *d = t_tmpdir ("sync-bad");

  test_sync_mode (RVM_SYNC_FLUSH, "FLUSH");
  if (T_DSYNC_MODE)
    test_sync_mode (RVM_SYNC_DSYNC, "DSYNC");
  else
    {
      rvm_options_init (&o);
      o.sync_mode = RVM_SYNC_DSYNC;
      t_check (rvm_open (d, &o, &rvm) == RVM_EINVAL && rvm == NULL,
               "sync: RVM_SYNC_DSYNC is refused with RVM_EINVAL where"
               " there is no O_DSYNC or O_SYNC");
      t_unsupported ("sync DSYNC: commits, flushes and recovery (no"
                     " O_DSYNC or O_SYNC here)");
    }
  test_sync_mode (RVM_SYNC_NONE, "NONE");
  rvm_options_init (&o);
  o.sync_mode = 3;
  t_check (rvm_open (d, &o, &rvm) == RVM_EINVAL && rvm == NULL,
           "sync: an unknown sync_mode is refused with RVM_EINVAL");
  t_rmdir (d);
  free (d);
}

/* --- truncate_threshold ------------------------------------------ */

#define THRESHOLD 65536
#define TSEG (256 * 1024)

/* 30 commits of CHUNK bytes at distinct offsets, durable and no-flush
   mixed, with the threshold at 64 KiB: every K-th commit (K records
   reach the threshold) truncates.  */
static void
test_threshold (void)
{
  char *d = t_tmpdir ("threshold");
  struct rvm_options o;
  struct rvm_statistics st;
  unsigned char *shadow = calloc (1, TSEG);
  uint64_t R = rec_size (1, CHUNK);
  unsigned k = (unsigned) ((THRESHOLD + R - 1) / R), i, bad = 0;
  rvm_t rvm;
  void *seg;
  int in_file;

  if (shadow == NULL)
    t_bail ("out of memory");
  rvm_options_init (&o);
  o.truncate_threshold = THRESHOLD;
  rvm = t_open (d, &o);
  seg = t_map (rvm, "s", TSEG);
  for (i = 1; i <= 30; i++)
    {
      int r = put (rvm, seg, (i - 1) * CHUNK, CHUNK, i,
                   i % 3 == 0 ? RVM_NO_FLUSH : 0, shadow);
      st = stats (rvm);
      if (r != 0 || st.truncations != i / k || st.log_used != (i % k) * R)
        {
          if (bad++ == 0)
            t_note ("threshold: after commit %u: status %d, %llu"
                    " truncations, %llu bytes used", i, r,
                    (unsigned long long) st.truncations,
                    (unsigned long long) st.log_used);
        }
    }
  t_check (bad == 0, "threshold: the commit whose record reaches the"
           " threshold truncates (every %u records of %llu bytes)", k,
           (unsigned long long) R);
  in_file = t_file_holds (d, "s", 0, shadow,
                          (size_t) (30 / k) * k * CHUNK);
  t_check (in_file, "threshold: the segment file holds the truncated"
           " commits");
  rvm_close (rvm);
  verify_image (d, "s", TSEG, shadow, "threshold: every commit is found"
                " after the truncations");
  t_rmdir (d);
  free (d);
  free (shadow);
}

struct nf_arg
{
  const char *dir;
  unsigned n;
  uint64_t threshold;
  int close_first;
};

/* N no-flush commits, then death without a flush.  */
static int
noflush_writer (void *arg)
{
  const struct nf_arg *a = arg;
  struct rvm_options o;
  rvm_t rvm;
  void *seg;
  unsigned i;

  rvm_options_init (&o);
  if (a->threshold != 0)
    o.truncate_threshold = a->threshold;
  if (rvm_open (a->dir, &o, &rvm) != 0
      || rvm_map_segment (rvm, "s", TSEG, &seg, NULL) != 0)
    return 3;
  for (i = 1; i <= a->n; i++)
    if (put (rvm, seg, (i - 1) * CHUNK, CHUNK, i, RVM_NO_FLUSH, NULL) != 0)
      return 4;
  if (a->close_first && rvm_close (rvm) != 0)
    return 5;
  kill (getpid (), SIGKILL);
  return 6;
}

/* Run noflush_writer; N no-flush commits; FOUND of them expected.  */
static void
noflush_kill (const char *what, unsigned n, uint64_t threshold,
              int close_first, unsigned found)
{
  char *d = t_tmpdir ("noflush");
  struct nf_arg a = { d, n, threshold, close_first };
  unsigned char *want = calloc (1, TSEG);
  char how[64];
  unsigned i;

  if (want == NULL)
    t_bail ("out of memory");
  t_wait (t_fork (noflush_writer, &a), NULL, how, sizeof how);
  t_note ("%s: the writer ended with %s", what, how);
  t_check (strcmp (how, "signal 9") == 0, "%s: writer killed", what);
  for (i = 1; i <= found; i++)
    fill (want + (i - 1) * CHUNK, CHUNK, i);
  verify_image (d, "s", TSEG, want, "%s: %u of %u no-flush commits found",
                what, found, n);
  free (want);
  t_rmdir (d);
  free (d);
}

/* Thresholds that mean "never": UINT64_MAX, and just below it.  */
static void
test_threshold_never (uint64_t threshold, const char *what)
{
  char *d = t_tmpdir ("never");
  struct rvm_options o;
  struct rvm_statistics st;
  uint64_t R = rec_size (1, CHUNK);
  rvm_t rvm;
  void *seg;
  unsigned i;
  int ok = 1;

  rvm_options_init (&o);
  o.truncate_threshold = threshold;
  rvm = t_open (d, &o);
  seg = t_map (rvm, "s", TSEG);
  for (i = 0; i < 150; i++)
    ok &= put (rvm, seg, (i % 30) * CHUNK, CHUNK, i,
               i % 10 == 9 ? 0 : RVM_NO_FLUSH, NULL) == 0;
  ok &= rvm_flush (rvm) == 0;
  st = stats (rvm);
  t_note ("threshold %s: %llu truncations, %llu bytes used, log of %llu"
          " bytes", what, (unsigned long long) st.truncations,
          (unsigned long long) st.log_used,
          (unsigned long long) st.log_size);
  t_check (ok && st.truncations == 0 && st.log_used == 150 * R
           && st.log_size >= LRVM_LOG_DATA_START + 150 * R,
           "threshold %s: 150 commits (%llu bytes) never truncate", what,
           (unsigned long long) (150 * R));
  rvm_close (rvm);
  t_rmdir (d);
  free (d);
}

/* A threshold of 0 is the default, not "truncate at every commit".  */
static void
test_threshold_zero (void)
{
  char *d = t_tmpdir ("zero");
  struct rvm_options o;
  rvm_t rvm;
  void *seg;
  unsigned i;
  int ok = 1;

  rvm_options_init (&o);
  o.truncate_threshold = 0;
  rvm = t_open (d, &o);
  seg = t_map (rvm, "s", TSEG);
  for (i = 0; i < 20; i++)
    ok &= put (rvm, seg, i * CHUNK, CHUNK, i, 0, NULL) == 0;
  t_check (ok && stats (rvm).truncations == 0,
           "threshold 0: means the default; commits do not truncate");
  rvm_close (rvm);
  t_rmdir (d);
  free (d);
}

/* --- log_reserve ------------------------------------------------- */

static void
test_reserve (uint64_t reserve)
{
  char *d = t_tmpdir ("reserve");
  struct rvm_options o;
  struct rvm_statistics st;
  unsigned char *shadow = calloc (1, TSEG);
  uint64_t keep = (LRVM_LOG_DATA_START + reserve) / 4096 * 4096;
  long long before, after;
  rvm_t rvm;
  void *seg;
  unsigned i;
  int ok = 1;

  if (shadow == NULL)
    t_bail ("out of memory");
  rvm_options_init (&o);
  o.log_reserve = reserve;
  rvm = t_open (d, &o);
  seg = t_map (rvm, "s", TSEG);
  /* About 2.4 MiB of records.  */
  for (i = 0; i < 300; i++)
    ok &= put (rvm, seg, (i * 7 % 31) * CHUNK, CHUNK, i,
               i % 50 == 49 ? 0 : RVM_NO_FLUSH, shadow) == 0;
  before = t_file_size (d, ".lrvm-log");
  ok &= rvm_truncate (rvm) == 0;
  after = t_file_size (d, ".lrvm-log");
  st = stats (rvm);
  t_note ("reserve %llu: truncation cut the log from %lld to %lld bytes;"
          " log_size %llu, log_used %llu", (unsigned long long) reserve,
          before, after, (unsigned long long) st.log_size,
          (unsigned long long) st.log_used);
  t_check (ok && before > (long long) keep && after == (long long) keep
           && st.log_size == (uint64_t) after && st.log_used == 0,
           "reserve %llu: truncation cuts the log to %llu bytes",
           (unsigned long long) reserve, (unsigned long long) keep);
  /* The log grows again from there.  */
  for (i = 0; i < 200; i++)
    ok &= put (rvm, seg, (i * 5 % 31) * CHUNK, CHUNK, 1000 + i,
               i % 40 == 39 ? 0 : RVM_NO_FLUSH, shadow) == 0;
  ok &= rvm_truncate (rvm) == 0;
  after = t_file_size (d, ".lrvm-log");
  t_note ("reserve %llu: after regrowth and truncation the log is %lld"
          " bytes", (unsigned long long) reserve, after);
  t_check (ok && after >= LRVM_LOG_DATA_START && after <= (long long) keep,
           "reserve %llu: after regrowth and truncation the log is at most"
           " %llu bytes", (unsigned long long) reserve,
           (unsigned long long) keep);
  for (i = 0; i < 3; i++)
    ok &= put (rvm, seg, i * CHUNK, 100, 2000 + i, 0, shadow) == 0;
  t_check (ok && rvm_close (rvm) == 0, "reserve %llu: every call returns 0",
           (unsigned long long) reserve);
  verify_image (d, "s", TSEG, shadow, "reserve %llu: the data is intact",
                (unsigned long long) reserve);
  free (shadow);
  t_rmdir (d);
  free (d);
}

/* --- file_mode --------------------------------------------------- */

/* Open a store in a new subdirectory with umask UMASK and file_mode
   MODE (0: the default), map a segment, and check the modes.  */
static void
test_file_mode (mode_t um, unsigned mode, mode_t seg_mode, mode_t log_mode,
                mode_t dir_mode)
{
  char *top = t_tmpdir ("mode"), d[4096];
  struct rvm_options o;
  mode_t old = umask (um);
  rvm_t rvm;
  void *seg;
  int r;

  snprintf (d, sizeof d, "%s/store", top);
  rvm_options_init (&o);
  if (mode != 0)
    o.file_mode = mode;
  r = rvm_open (d, &o, &rvm);
  r = r ? r : rvm_map_segment (rvm, "s", 100, &seg, NULL);
  umask (old);
  t_note ("file_mode %o, umask %03o: status %d; modes: segment %03o, log"
          " %03o, lock %03o, directory %03o", mode ? mode : 0666,
          (unsigned) um, r, (unsigned) file_mode (d, "s"),
          (unsigned) file_mode (d, ".lrvm-log"),
          (unsigned) file_mode (d, ".lrvm-lock"),
          (unsigned) file_mode (top, "store"));
  t_check (r == 0 && file_mode (d, "s") == seg_mode,
           "file_mode %o, umask %03o: the segment file has mode %03o",
           mode ? mode : 0666, (unsigned) um, (unsigned) seg_mode);
  t_check (r == 0 && file_mode (d, ".lrvm-log") == log_mode
           && file_mode (d, ".lrvm-lock") == log_mode,
           "file_mode %o, umask %03o: the log and lock files have mode %03o",
           mode ? mode : 0666, (unsigned) um, (unsigned) log_mode);
  t_check (r == 0 && file_mode (top, "store") == dir_mode,
           "file_mode %o, umask %03o: the new store directory has mode %03o",
           mode ? mode : 0666, (unsigned) um, (unsigned) dir_mode);
  if (r == 0)
    rvm_close (rvm);
  t_rmdir (top);
  free (top);
}

static void
test_file_modes (void)
{
  struct rvm_options o;
  rvm_t rvm;
  char *d = t_tmpdir ("mode-bad");

  test_file_mode (027, 0, 0640, 0640, 0750);
  test_file_mode (0, 0604, 0604, 0604, 0777);
  /* The log and lock files get at least 0600.  */
  test_file_mode (022, 0440, 0440, 0640, 0755);
  rvm_options_init (&o);
  o.file_mode = 010000;
  t_check (rvm_open (d, &o, &rvm) == RVM_EINVAL,
           "file_mode: bits outside 07777 are refused with RVM_EINVAL");
  t_rmdir (d);
  free (d);
}

/* --- verbose ----------------------------------------------------- */

static void
test_verbose (void)
{
  char *top = t_tmpdir ("verbose"), loud[4096], quiet[4096], out[4096];
  struct rvm_options o;
  rvm_t a, b;
  void *sa, *sb, *x;
  char *text;
  int ok = 1;

  snprintf (loud, sizeof loud, "%s/loud", top);
  snprintf (quiet, sizeof quiet, "%s/quiet", top);
  snprintf (out, sizeof out, "%s/stderr.txt", top);
  capture_start (out);
  rvm_options_init (&o);
  o.verbose = 1;
  ok &= rvm_open (loud, &o, &a) == 0;
  o.verbose = 0;
  ok &= rvm_open (quiet, &o, &b) == 0;
  if (ok)
    {
      ok &= rvm_map_segment (a, "aseg", 4096, &sa, NULL) == 0;
      ok &= rvm_map_segment (b, "bseg", 4096, &sb, NULL) == 0;
      ok &= put (a, sa, 10, 10, 1, 0, NULL) == 0;
      ok &= put (b, sb, 10, 10, 1, 0, NULL) == 0;
      ok &= rvm_flush (a) == 0 && rvm_flush (b) == 0;
      rvm_map_segment (a, "bad/a", 10, &x, NULL);
      rvm_map_segment (b, "bad/b", 10, &x, NULL);
      ok &= rvm_close (a) == 0 && rvm_close (b) == 0;
    }
  text = capture_end (out);
  t_check (ok, "verbose: the calls succeed");
  t_check (strstr (text, "rvm_open (\"") != NULL
           && strstr (text, "rvm_map (\"aseg\"") != NULL
           && count (text, "rvm_begin") == 1
           && count (text, "rvm_about_to_modify") == 1
           && count (text, "rvm_commit") == 1
           && count (text, "rvm_flush") == 1
           && count (text, "rvm_close") == 1,
           "verbose: one line per call on the verbose store");
  t_check (strstr (text, "bad/a") != NULL && strstr (text, "error") != NULL,
           "verbose: a failure on the verbose store prints a line");
  t_check (strstr (text, "bseg") == NULL && strstr (text, "bad/b") == NULL
           && strstr (text, quiet) == NULL,
           "verbose: a store opened without it prints nothing");
  if (strstr (text, "bseg") != NULL || count (text, "rvm_commit") != 1)
    t_note ("verbose output: %s", text);
  free (text);
  t_rmdir (top);
  free (top);
}

/* --- an older caller's options ----------------------------------- */

/* Options whose SIZE stops at LIMIT; the fields after it hold values
   that would show if they were read.  */
static struct rvm_options
old_options (size_t limit, int sync_mode, uint64_t threshold)
{
  struct rvm_options o;

  rvm_options_init (&o);
  o.size = limit;
  o.sync_mode = sync_mode;
  o.truncate_threshold = threshold;
  if (limit <= offsetof (struct rvm_options, verbose))
    o.verbose = 1;
  if (limit <= offsetof (struct rvm_options, truncate_threshold))
    o.truncate_threshold = 1;
  if (limit <= offsetof (struct rvm_options, log_reserve))
    o.log_reserve = 0;
  o.file_mode = 0xffffffffu;            /* invalid if it were read */
  return o;
}

static void
test_old_options (void)
{
  char *d1 = t_tmpdir ("oldopt1"), *d2 = t_tmpdir ("oldopt2");
  char out[4096];
  struct rvm_options o;
  struct rvm_statistics st;
  rvm_t rvm;
  void *seg;
  char *text;
  unsigned i;
  int r, ok;
  long long size;

  /* Only size and sync_mode.  */
  snprintf (out, sizeof out, "%s/stderr.txt", d2);
  o = old_options (offsetof (struct rvm_options, verbose), RVM_SYNC_NONE, 0);
  capture_start (out);
  r = rvm_open (d1, &o, &rvm);
  ok = r == 0 && rvm_map_segment (rvm, "s", TSEG, &seg, NULL) == 0;
  for (i = 0; ok && i < 5; i++)
    ok = put (rvm, seg, i * CHUNK, CHUNK, i, 0, NULL) == 0;
  st = stats (rvm);
  ok = ok && rvm_close (rvm) == 0;
  text = capture_end (out);
  t_note ("old options (size, sync_mode): rvm_open returns %d; %llu"
          " commits, %llu flushes, %llu truncations, %zu bytes on stderr",
          r, (unsigned long long) st.commits,
          (unsigned long long) st.flushes,
          (unsigned long long) st.truncations, strlen (text));
  t_check (r == 0, "old options (size, sync_mode): rvm_open accepts them");
  t_check (ok && st.commits == 5 && st.flushes == 0,
           "old options (size, sync_mode): sync_mode NONE is read");
  t_check (ok && st.truncations == 0 && *text == '\0'
           && file_mode (d1, "s") == 0644,
           "old options (size, sync_mode): the later fields take their"
           " defaults");
  free (text);

  /* Up to truncate_threshold (1 MiB): log_reserve (0) and file_mode
     not read.  */
  o = old_options (offsetof (struct rvm_options, log_reserve),
                   RVM_SYNC_FLUSH, 1 << 20);
  r = rvm_open (d2, &o, &rvm);
  ok = r == 0 && rvm_map_segment (rvm, "s", TSEG, &seg, NULL) == 0;
  for (i = 0; ok && i < 300; i++)
    ok = put (rvm, seg, (i % 30) * CHUNK, CHUNK, i,
              i % 100 == 99 ? 0 : RVM_NO_FLUSH, NULL) == 0;
  st = stats (rvm);
  ok = ok && rvm_truncate (rvm) == 0;
  size = t_file_size (d2, ".lrvm-log");
  t_note ("old options (.. truncate_threshold): %llu truncations, log of"
          " %lld bytes", (unsigned long long) st.truncations, size);
  t_check (ok && st.truncations
                 == 300 / (((1 << 20) + rec_size (1, CHUNK) - 1)
                           / rec_size (1, CHUNK)),
           "old options (.. truncate_threshold): the threshold is read");
  t_check (ok && size == LRVM_LOG_DATA_START + (1 << 20),
           "old options (.. truncate_threshold): the reserve is the"
           " default");
  if (r == 0)
    rvm_close (rvm);
  t_rmdir (d1);
  t_rmdir (d2);
  free (d1);
  free (d2);
}

/* --- rvm_close --------------------------------------------------- */

/* A process of its own, forked before the store is opened, that tries
   to open it when told to and answers with the status.  */
struct opener
{
  pid_t pid;
  int cmd, ans;
};

static struct opener
opener_start (const char *dir)
{
  struct opener op;
  int c[2], a[2];

  if (pipe (c) != 0 || pipe (a) != 0)
    t_bail ("pipe: %s", strerror (errno));
  op.pid = fork ();
  if (op.pid < 0)
    t_bail ("fork: %s", strerror (errno));
  if (op.pid == 0)
    {
      char x;
      close (c[1]);
      close (a[0]);
      while (read (c[0], &x, 1) == 1)
        {
          rvm_t rvm;
          int r = rvm_open (dir, NULL, &rvm);
          if (r == 0)
            rvm_close (rvm);
          if (write (a[1], &r, sizeof r) != (ssize_t) sizeof r)
            break;
        }
      _exit (0);
    }
  close (c[0]);
  close (a[1]);
  op.cmd = c[1];
  op.ans = a[0];
  return op;
}

static int
opener_try (struct opener *op)
{
  int r = -1;

  if (write (op->cmd, "o", 1) != 1
      || read (op->ans, &r, sizeof r) != (ssize_t) sizeof r)
    return -1;
  return r;
}

static void
opener_stop (struct opener *op)
{
  char how[64];

  close (op->cmd);
  close (op->ans);
  t_wait (op->pid, NULL, how, sizeof how);
}

static void
test_close (void)
{
  char *d = t_tmpdir ("close");
  struct opener op = opener_start (d);
  rvm_t rvm;
  void *seg;
  trans_t tid;
  int held, freed;

  rvm = t_open (d, NULL);
  seg = t_map (rvm, "s", SEG);
  held = opener_try (&op);
  if (rvm_begin (rvm, 1, &seg, 0, &tid) != 0)
    t_bail ("close: begin: %s", rvm_errmsg ());
  t_check (rvm_close (rvm) == 0, "close: with an active transaction, 0");
  freed = opener_try (&op);
  t_note ("close: another process's rvm_open returns %d while the store is"
          " open, %d after rvm_close", held, freed);
  t_check (held == RVM_EBUSY && freed == 0, "close: another process gets"
           " RVM_EBUSY while the store is open, opens it right after"
           " rvm_close");
  t_check (rvm_commit (tid, 0) == RVM_ETRANS
           && rvm_stats (rvm, NULL, 0) == RVM_EHANDLE,
           "close: its transactions and the handle are gone");
  /* The same process can open it again too.  */
  t_check (rvm_open (d, NULL, &rvm) == 0 && rvm_close (rvm) == 0,
           "close: the closing process can open the store again");
  opener_stop (&op);
  t_rmdir (d);
  free (d);

  noflush_kill ("close: flushes no-flush commits", 5, 0, 1, 5);
  noflush_kill ("close: without it, buffered no-flush commits are lost", 5,
                0, 0, 0);
}

/* --- transactions ------------------------------------------------ */

static int
no_restore_child (void *arg)
{
  const char *d = arg;
  rvm_t rvm;
  unsigned char *seg, want[100];
  void *base;
  trans_t tid, t2;
  int r;

  if (rvm_open (d, NULL, &rvm) != 0
      || rvm_map_segment (rvm, "s", 4096, &base, NULL) != 0
      || put (rvm, base, 0, 100, 1, 0, NULL) != 0)
    return 3;
  seg = base;
  if (rvm_begin (rvm, 1, &base, RVM_NO_RESTORE, &tid) != 0
      || rvm_modify (tid, seg, 0, 100) != 0)
    return 4;
  fill (seg, 100, 2);
  fill (want, 100, 2);
  r = rvm_abort (tid);
  t_note ("no-restore: rvm_abort returns %d", r);
  t_check (r == RVM_ENORESTORE && rvm_errcode () == RVM_ENORESTORE,
           "no-restore: abort is refused with RVM_ENORESTORE");
  t_check (memcmp (seg, want, 100) == 0,
           "no-restore: the refused abort leaves the new values");
  r = rvm_begin (rvm, 1, &base, 0, &t2);
  t_check (r == RVM_EINTRANS && rvm_set_range (tid, seg + 200, 50) == 0,
           "no-restore: the transaction is still active and holds its"
           " segment");
  fill (seg + 200, 50, 3);
  t_check (stats (rvm).aborts == 0, "no-restore: the refused abort is not"
           " counted");
  t_check (rvm_commit (tid, 0) == 0, "no-restore: commit returns 0");
  kill (getpid (), SIGKILL);
  return 5;
}

/* Nonzero, and the size of this process's address space in *KB, where
   /proc/self/status tells it.  */
static int
vm_size_kb (long *kb)
{
  FILE *f = fopen ("/proc/self/status", "r");
  char line[256];
  int found = 0;

  if (f == NULL)
    return 0;
  while (fgets (line, sizeof line, f) != NULL)
    if (sscanf (line, "VmSize: %ld kB", kb) == 1)
      found = 1;
  fclose (f);
  return found;
}

#define BIGDECL ((size_t) 256 << 20)

/* With the address space limited to 64 MiB more than in use, declare
   256 MiB in a no-restore transaction (no copy: works) and in an
   ordinary one (its copy cannot be made).  */
static int
no_undo_child (void *arg)
{
  const char *d = arg;
  struct rlimit rl;
  rvm_t rvm;
  void *a, *b;
  trans_t t1, t2;
  long kb;
  int r1, r2;

  if (rvm_open (d, NULL, &rvm) != 0
      || rvm_map_segment (rvm, "a", BIGDECL, &a, NULL) != 0
      || rvm_map_segment (rvm, "b", BIGDECL, &b, NULL) != 0)
    return 77;
  if (!vm_size_kb (&kb) || getrlimit (RLIMIT_AS, &rl) != 0)
    return 77;
  rl.rlim_cur = (rlim_t) kb * 1024 + ((rlim_t) 64 << 20);
  if ((rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
      || setrlimit (RLIMIT_AS, &rl) != 0)
    return 77;
  if (rvm_begin (rvm, 1, &a, RVM_NO_RESTORE, &t1) != 0
      || rvm_begin (rvm, 1, &b, 0, &t2) != 0)
    return 3;
  r1 = rvm_modify (t1, a, 0, BIGDECL);
  r2 = rvm_modify (t2, b, 0, BIGDECL);
  if (r1 != 0)
    t_note ("no-restore: declaring 256 MiB: %d: %s", r1, rvm_errmsg ());
  return (r1 == 0 ? 0 : 1) | (r2 == RVM_ENOMEM ? 0 : 2);
}

static void
test_no_restore (void)
{
  char *d = t_tmpdir ("norestore");
  unsigned char *want = calloc (1, 4096);
  char how[64];
  int st;

  if (want == NULL)
    t_bail ("out of memory");
  t_wait (t_fork (no_restore_child, d), &st, how, sizeof how);
  t_note ("no-restore: the writer ended with %s", how);
  t_check (WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL,
           "no-restore: writer killed after its commit");
  fill (want, 100, 2);
  fill (want + 200, 50, 3);
  verify_image (d, "s", 4096, want, "no-restore: the commit after the"
                " refused abort is durable");
  t_rmdir (d);

  if (UNDER_SANITIZER || (getenv ("LD_PRELOAD") != NULL
                          && strstr (getenv ("LD_PRELOAD"), "vgpreload")))
    t_unsupported ("no-restore: no undo copy is made (address space limits"
                   " do not mix with sanitizers or valgrind)");
  else
    {
      t_wait (t_fork (no_undo_child, d), &st, how, sizeof how);
      if (WIFEXITED (st) && WEXITSTATUS (st) == 77)
        t_unsupported ("no-restore: no undo copy is made (cannot limit"
                       " the address space here)");
      else
        {
          t_note ("no-restore: the process with 64 MiB of address space"
                  " left ended with %s", how);
          t_check (WIFEXITED (st) && (WEXITSTATUS (st) & 1) == 0,
                   "no-restore: declaring 256 MiB with 64 MiB of address"
                   " space left works: no undo copy");
          t_check (WIFEXITED (st) && (WEXITSTATUS (st) & 2) == 0,
                   "no-restore: an ordinary transaction's undo copy of it"
                   " fails with RVM_ENOMEM");
        }
    }
  free (want);
  t_rmdir (d);
  free (d);
}

static void
test_set_range (void)
{
  char *d = t_tmpdir ("setrange");
  /* Not on the heap: the verifiers are forked while they are live, and
     valgrind may find no pointer to them in a child.  */
  static unsigned char wa[4096], wb[4096];
  rvm_t rvm = t_open (d, NULL);
  unsigned char *a = t_map (rvm, "a", 4096);
  unsigned char *b = t_map (rvm, "b", 4096);
  unsigned char *c = t_map (rvm, "c", 4096);
  void *segs[2];
  unsigned char local[8];
  uint64_t before;
  trans_t tid;
  int r1, r2, r3, r4, r5, r6;

  segs[0] = a;
  segs[1] = b;
  before = stats (rvm).bytes_logged;
  if (rvm_begin (rvm, 2, segs, 0, &tid) != 0)
    t_bail ("set_range: begin: %s", rvm_errmsg ());
  r1 = rvm_set_range (tid, a + 100, 50);
  r2 = rvm_set_range (tid, b + 4095, 1);
  r3 = rvm_set_range (tid, b + 4090, 10);
  r4 = rvm_set_range (tid, a + 4000, 200);
  r5 = rvm_set_range (tid, c + 10, 1);
  r6 = rvm_set_range (tid, local, 1);
  t_note ("set_range: ranges inside: %d, %d; past the end: %d, %d; in no"
          " segment: %d, %d", r1, r2, r3, r4, r5, r6);
  t_check (r1 == 0 && r2 == 0, "set_range: ranges inside the segments,"
           " up to the last byte, are accepted");
  t_check (r3 == RVM_ERANGE && r4 == RVM_ERANGE, "set_range: ranges that"
           " run past a segment's end are refused with RVM_ERANGE");
  t_check (r5 == RVM_ENOTINTRANS && r6 == RVM_ENOTINTRANS,
           "set_range: addresses in no segment of the transaction get"
           " RVM_ENOTINTRANS");
  fill (a + 100, 50, 7);
  fill (wa + 100, 50, 7);
  b[4095] = wb[4095] = 0xee;
  t_check (rvm_commit (tid, 0) == 0, "set_range: the transaction commits"
           " after the refused calls");
  t_check (stats (rvm).bytes_logged - before
           == LRVM_REC_HDR_SIZE + LRVM_ENT_HDR_SIZE + 8 + LRVM_PAD8 (50)
              + LRVM_ENT_HDR_SIZE + 8 + LRVM_PAD8 (1),
           "set_range: the record holds exactly the two declared ranges");
  rvm_close (rvm);
  verify_image (d, "a", 4096, wa, "set_range: the range of the first"
                " segment is found");
  verify_image (d, "b", 4096, wb, "set_range: the last byte of the second"
                " segment is found");
  t_rmdir (d);
  free (d);
}

/* Every padding byte of a record is zero: after each segment name,
   for names of 1 to 9 bytes, and after each range's data, for ranges
   of 1 to 17 bytes, in segments whose memory holds no zero byte.  The
   log's buffers are filled with nonzero bytes first (large records,
   written and flushed), so that padding left unwritten would show.  */
static void
test_padding (void)
{
  char *d = t_tmpdir ("padding"), path[4096], name[16];
  rvm_t rvm = t_open (d, NULL);
  unsigned char *seg[9], *log = NULL, *mem;
  void *base;
  size_t k, j, pos, nrec = 0, nent = 0, bad = 0, logsize = 1 << 20;
  uint64_t file_size;
  trans_t tid;
  int fd, ok = 1;

  for (k = 0; k < 9; k++)
    {
      memset (name, 'p', k + 1);
      name[k + 1] = '\0';
      seg[k] = t_map (rvm, name, 65536);
    }
  /* Nonzero old bytes in both buffers the log alternates between: two
     records of a 60000-byte range of 0xa5.  */
  base = seg[8];
  for (k = 0; k < 2 && ok; k++)
    {
      ok = rvm_begin (rvm, 1, &base, 0, &tid) == 0
           && rvm_modify (tid, base, 0, 60000) == 0;
      memset (seg[8], 0xa5, 60000);
      ok = ok && rvm_commit (tid, 0) == 0;
    }
  ok = ok && rvm_truncate (rvm) == 0;
  for (k = 0; k < 9 && ok; k++)
    {
      mem = seg[k];
      base = mem;
      memset (mem, 0xc3, 65536);
      if (rvm_begin (rvm, 1, &base, 0, &tid) != 0)
        ok = 0;
      /* Ranges of 1 to 17 bytes, apart, so that none coalesce.  */
      for (j = 1; j <= 17 && ok; j++)
        if (rvm_modify (tid, base, j * 64 + k, j) != 0)
          ok = 0;
      for (j = 1; j <= 17; j++)
        memset (mem + j * 64 + k, 0x5a + (int) k, j);
      ok = ok && rvm_commit (tid, RVM_NO_FLUSH) == 0;
    }
  file_size = stats (rvm).log_size;
  ok = ok && rvm_flush (rvm) == 0;
  rvm_close (rvm);
  snprintf (path, sizeof path, "%s/.lrvm-log", d);
  fd = open (path, O_RDONLY);
  log = malloc (logsize);
  ok = ok && fd >= 0 && log != NULL
       && pread (fd, log, logsize, 0) > (ssize_t) LRVM_LOG_DATA_START;
  if (fd >= 0)
    close (fd);
  /* The records after the truncation: walk from the start of the data
     area, skipping records until those of the nine segments begin.  */
  for (pos = LRVM_LOG_DATA_START; ok && pos + LRVM_REC_HDR_SIZE <= logsize
       && lrvm_get32 (log + pos) == LRVM_REC_MAGIC;)
    {
      size_t len = lrvm_get32 (log + pos + 8), e = LRVM_REC_HDR_SIZE;
      uint32_t n = lrvm_get32 (log + pos + 28), i;
      if (len < LRVM_REC_HDR_SIZE || pos + len > logsize)
        break;
      for (i = 0; i < n && e + LRVM_ENT_HDR_SIZE <= len; i++)
        {
          size_t nl = lrvm_get16 (log + pos + e);
          size_t dl = lrvm_get32 (log + pos + e + 4);
          const unsigned char *q = log + pos + e + LRVM_ENT_HDR_SIZE;
          if (dl <= 17)
            {
              nent++;
              for (j = nl; j < LRVM_PAD8 (nl); j++)
                bad += q[j] != 0;
              q += LRVM_PAD8 (nl);
              for (j = dl; j < LRVM_PAD8 (dl); j++)
                bad += q[j] != 0;
            }
          e += LRVM_ENT_HDR_SIZE + LRVM_PAD8 (nl) + LRVM_PAD8 (dl);
        }
      nrec++;
      pos += len;
    }
  t_note ("padding: %zu records, %zu entries of at most 17 bytes, %zu"
          " nonzero padding bytes (log size %llu)", nrec, nent, bad,
          (unsigned long long) file_size);
  t_check (ok && nent == 9 * 17 && bad == 0, "padding: names of 1 to 9"
           " bytes and ranges of 1 to 17 bytes are padded with zeros in"
           " the log");
  free (log);
  t_rmdir (d);
  free (d);
}

/* Many segments mapped at once: rvm_begin finds each of them, by
   address, while segments are mapped and unmapped around it (the
   handle's index of segments grows and is rebuilt), refuses the
   addresses of unmapped ones, and every commit reaches its segment.  */
#define MANY 300

static void
test_many_segments (void)
{
  char *d = t_tmpdir ("many"), name[16];
  rvm_t rvm = t_open (d, NULL);
  void *base[MANY + MANY / 3];
  unsigned char stamp[MANY + MANY / 3];
  size_t i, found = 0, refused = 0, kept = 0, seen = 0;
  trans_t tid;
  int ok = 1;

  for (i = 0; i < MANY; i++)
    {
      snprintf (name, sizeof name, "m%zu", i);
      base[i] = t_map (rvm, name, 4096);
      stamp[i] = 0;
    }
  /* Unmap every third segment, then map as many new ones, which may
     take the freed addresses.  */
  for (i = 0; i < MANY; i += 3)
    if (rvm_unmap_segment (rvm, base[i]) != 0)
      ok = 0;
  for (i = 0; i < MANY; i += 3)
    if (rvm_begin (rvm, 1, &base[i], 0, &tid) == RVM_ENOTMAPPED)
      refused++;
  for (i = MANY; i < MANY + MANY / 3; i++)
    {
      snprintf (name, sizeof name, "m%zu", i);
      base[i] = t_map (rvm, name, 4096);
    }
  /* One committed byte in every mapped segment, each found by its
     address.  */
  for (i = 0; i < MANY + MANY / 3; i++)
    {
      if (i < MANY && i % 3 == 0)
        continue;
      stamp[i] = (unsigned char) (i % 251 + 1);
      if (rvm_begin (rvm, 1, &base[i], 0, &tid) == 0
          && rvm_modify (tid, base[i], 100, 1) == 0)
        {
          found++;
          ((unsigned char *) base[i])[100] = stamp[i];
          if (rvm_commit (tid, RVM_NO_FLUSH) != 0)
            ok = 0;
        }
    }
  t_note ("many: %zu of %d mapped segments found, %zu of %d unmapped"
          " refused", found, MANY + MANY / 3 - (MANY + 2) / 3, refused,
          (MANY + 2) / 3);
  t_check (ok && found == (size_t) (MANY + MANY / 3 - (MANY + 2) / 3)
           && refused == (size_t) (MANY + 2) / 3,
           "many: with %d segments mapped and a third of them replaced,"
           " rvm_begin finds every mapped one and refuses the unmapped",
           MANY);
  ok = rvm_close (rvm) == 0;
  /* Reopen: every segment holds its byte.  */
  rvm = t_open (d, NULL);
  for (i = 0; ok && i < MANY + MANY / 3; i++)
    {
      void *b;
      snprintf (name, sizeof name, "m%zu", i);
      if (rvm_map_segment (rvm, name, 4096, &b, NULL) != 0)
        ok = 0;
      else
        {
          seen++;
          kept += ((unsigned char *) b)[100] == stamp[i];
          rvm_unmap_segment (rvm, b);
        }
    }
  rvm_close (rvm);
  t_check (ok && kept == seen && seen == MANY + MANY / 3,
           "many: after reopening, each of the %d segments holds its"
           " committed byte (%zu do)", MANY + MANY / 3, kept);
  t_rmdir (d);
  free (d);
}

/* Overlapping, nested and adjacent declarations become one range,
   logged once; the record on disk says so.  */
static void
test_coalesce (void)
{
  char *d = t_tmpdir ("coalesce");
  unsigned char *want = calloc (1, 4096), rec[512];
  rvm_t rvm = t_open (d, NULL);
  unsigned char *seg = t_map (rvm, "co", 4096);
  void *base = seg;
  uint64_t before, expect;
  char path[4096];
  trans_t tid = -1;
  int ok, fd;

  if (want == NULL)
    t_bail ("out of memory");
  if (rvm_truncate (rvm) != 0 || rvm_begin (rvm, 1, &base, 0, &tid) != 0)
    t_bail ("coalesce: %s", rvm_errmsg ());
  before = stats (rvm).bytes_logged;
  ok = rvm_modify (tid, seg, 100, 100) == 0
       && rvm_set_range (tid, seg + 150, 100) == 0
       && rvm_modify (tid, seg, 120, 60) == 0;
  fill (seg + 100, 150, 1);
  fill (want + 100, 150, 1);
  ok = ok && rvm_modify (tid, seg, 250, 50) == 0;  /* adjacent */
  fill (seg + 250, 50, 2);
  fill (want + 250, 50, 2);
  ok = ok && rvm_modify (tid, seg, 1000, 10) == 0;
  fill (seg + 1000, 10, 3);
  fill (want + 1000, 10, 3);
  ok = ok && rvm_commit (tid, 0) == 0;
  expect = LRVM_REC_HDR_SIZE + LRVM_ENT_HDR_SIZE + LRVM_PAD8 (2)
           + LRVM_PAD8 (200) + LRVM_ENT_HDR_SIZE + LRVM_PAD8 (2)
           + LRVM_PAD8 (10);
  t_note ("coalesce: %llu bytes logged, want %llu",
          (unsigned long long) (stats (rvm).bytes_logged - before),
          (unsigned long long) expect);
  t_check (ok && stats (rvm).bytes_logged - before == expect,
           "coalesce: three overlapping and one adjacent declaration are"
           " logged once: %llu bytes", (unsigned long long) expect);
  snprintf (path, sizeof path, "%s/.lrvm-log", d);
  fd = open (path, O_RDONLY);
  ok = fd >= 0 && pread (fd, rec, sizeof rec, LRVM_LOG_DATA_START)
                  == (ssize_t) sizeof rec;
  if (fd >= 0)
    close (fd);
  t_check (ok && lrvm_get32 (rec) == LRVM_REC_MAGIC
           && lrvm_get32 (rec + 8) == expect && lrvm_get32 (rec + 28) == 2
           && lrvm_get16 (rec + 32) == 2 && lrvm_get32 (rec + 36) == 200
           && lrvm_get64 (rec + 40) == 100
           && memcmp (rec + 56, want + 100, 200) == 0
           && lrvm_get32 (rec + 256 + 4) == 10
           && lrvm_get64 (rec + 256 + 8) == 1000,
           "coalesce: the record on disk has two entries, 100+200 and"
           " 1000+10");
  rvm_close (rvm);
  verify_image (d, "co", 4096, want, "coalesce: the merged range commits"
                " every declared byte");
  free (want);
  t_rmdir (d);
  free (d);
}

/* Many declarations in each transaction, overlapping at random, more
   than a segment's ranges held in place (LRVM_TSEG_INLINE): an abort
   puts back every byte, a commit keeps every declared byte.  */
#define MR_SIZE 8192
#define MR_ITERS 300

static void
test_many_ranges (void)
{
  char *d = t_tmpdir ("ranges");
  unsigned char *want = calloc (1, MR_SIZE), *before = malloc (MR_SIZE);
  rvm_t rvm = t_open (d, NULL);
  unsigned char *seg = t_map (rvm, "mr", MR_SIZE);
  void *base = seg;
  uint64_t rng = 0x51ed2701u;
  int it, ok = 1, restored = 1, most = 0;

  if (want == NULL || before == NULL)
    t_bail ("out of memory");
  for (it = 0; it < MR_ITERS && ok; it++)
    {
      int n = 1 + (int) (t_rand (&rng) % 40), k;
      trans_t tid;

      memcpy (before, seg, MR_SIZE);
      if (rvm_begin (rvm, 1, &base, 0, &tid) != 0)
        {
          ok = 0;
          break;
        }
      for (k = 0; k < n && ok; k++)
        {
          size_t len = 1 + t_rand (&rng) % 300;
          size_t off = t_rand (&rng) % (MR_SIZE - len + 1), i;
          if (rvm_modify (tid, seg, off, len) != 0)
            ok = 0;
          for (i = 0; i < len; i++)
            seg[off + i] = (unsigned char) t_rand (&rng);
        }
      if (n > most)
        most = n;
      if (it % 3 == 0)
        {
          ok = ok && rvm_abort (tid) == 0;
          if (memcmp (seg, before, MR_SIZE) != 0)
            restored = 0;
        }
      else
        {
          ok = ok && rvm_commit (tid, it % 2 ? RVM_NO_FLUSH : 0) == 0;
          memcpy (want, seg, MR_SIZE);
        }
    }
  t_check (ok, "ranges: %d transactions of 1 to 40 overlapping"
           " declarations (at most %d) begin, declare, commit and abort",
           MR_ITERS, most);
  t_check (restored, "ranges: each aborted one puts back every byte");
  ok = rvm_flush (rvm) == 0;
  t_check (ok && memcmp (seg, want, MR_SIZE) == 0,
           "ranges: memory holds the committed values");
  rvm_close (rvm);
  verify_image (d, "mr", MR_SIZE, want, "ranges: a fresh process finds"
                " every byte the commits declared");
  free (want);
  free (before);
  t_rmdir (d);
  free (d);
}

/* --- statistics -------------------------------------------------- */

#define CHECK_STAT(st, field, want)                                     \
  do                                                                    \
    {                                                                   \
      t_note ("stats: " #field " is %llu, want %llu",                   \
              (unsigned long long) (st).field,                          \
              (unsigned long long) (want));                             \
      t_check ((st).field == (uint64_t) (want), "stats: " #field        \
               " is %llu", (unsigned long long) (want));                \
    }                                                                   \
  while (0)

static void
test_stats_counts (void)
{
  char *d = t_tmpdir ("stats");
  struct rvm_statistics st;
  rvm_t rvm = t_open (d, NULL);
  void *seg = t_map (rvm, "s", SEG);
  void *seg2 = t_map (rvm, "seg2", SEG);
  uint64_t bytes = 0;
  trans_t tid = -1;
  int ok = 1, i;

  st = stats (rvm);
  t_check (st.commits == 0 && st.commits_noflush == 0 && st.aborts == 0
           && st.bytes_logged == 0 && st.flushes == 0
           && st.flushed_commits == 0 && st.truncations == 0
           && st.log_used == 0 && st.recovery_records == 0,
           "stats: a new store starts at zero");
  ok &= put (rvm, seg, 0, 100, 1, 0, NULL) == 0;
  bytes += rec_size (1, 100);
  for (i = 0; i < 3; i++)
    ok &= put (rvm, seg, 200 + 200 * i, 200, 2, RVM_NO_FLUSH, NULL) == 0;
  bytes += 3 * rec_size (1, 200);
  /* A durable transaction that declared nothing: counted, and it makes
     the 3 no-flush commits before it durable with one flush.  */
  ok &= rvm_begin (rvm, 1, &seg, 0, &tid) == 0 && rvm_commit (tid, 0) == 0;
  st = stats (rvm);
  t_note ("stats: after an empty durable commit: %llu flushes, %llu"
          " commits flushed, %llu bytes used, %llu logged",
          (unsigned long long) st.flushes,
          (unsigned long long) st.flushed_commits,
          (unsigned long long) st.log_used,
          (unsigned long long) st.bytes_logged);
  t_check (ok && st.flushes == 2 && st.flushed_commits == 4
           && st.log_used == bytes && st.bytes_logged == bytes,
           "stats: an empty durable commit flushes the no-flush commits"
           " before it");
  for (i = 0; i < 2; i++)
    ok &= rvm_begin (rvm, 1, &seg, 0, &tid) == 0
          && rvm_modify (tid, seg, 0, 10) == 0 && rvm_abort (tid) == 0;
  ok &= rvm_begin (rvm, 1, &seg, RVM_NO_RESTORE, &tid) == 0
        && rvm_abort (tid) == RVM_ENORESTORE && rvm_commit (tid, 0) == 0;
  ok &= rvm_flush (rvm) == 0 && rvm_flush (rvm) == 0;
  st = stats (rvm);
  t_note ("stats: after empty commits and rvm_flush: %llu flushes, %llu"
          " commits flushed", (unsigned long long) st.flushes,
          (unsigned long long) st.flushed_commits);
  t_check (ok && st.flushes == 2 && st.flushed_commits == 4,
           "stats: with everything durable, empty commits and rvm_flush"
           " flush nothing");
  ok &= rvm_truncate (rvm) == 0;
  st = stats (rvm);
  t_note ("stats: after rvm_truncate: %llu truncations, log_used %llu,"
          " log_size %llu, file of %lld bytes",
          (unsigned long long) st.truncations,
          (unsigned long long) st.log_used,
          (unsigned long long) st.log_size, t_file_size (d, ".lrvm-log"));
  t_check (ok && st.truncations == 1 && st.log_used == 0
           && (long long) st.log_size == t_file_size (d, ".lrvm-log"),
           "stats: rvm_truncate counted, log_used 0, log_size is the"
           " file's size");
  /* Truncations run by mapping and by destroying a logged segment.  */
  ok &= put (rvm, seg, 0, 16, 3, 0, NULL) == 0;
  bytes += rec_size (1, 16);
  ok &= rvm_unmap_segment (rvm, seg) == 0
        && rvm_map_segment (rvm, "s", SEG, &seg, NULL) == 0;
  ok &= put (rvm, seg2, 0, 8, 4, 0, NULL) == 0;
  bytes += rec_size (4, 8);
  st = stats (rvm);
  t_note ("stats: log_used %llu, want %llu",
          (unsigned long long) st.log_used,
          (unsigned long long) rec_size (4, 8));
  t_check (ok && st.log_used == rec_size (4, 8), "stats: log_used is the"
           " bytes of records since the last truncation");
  ok &= rvm_unmap_segment (rvm, seg2) == 0
        && rvm_destroy_segment (rvm, "seg2") == 0;
  st = stats (rvm);
  t_check (ok, "stats: the session's calls return 0");
  CHECK_STAT (st, commits, 1 + 1 + 1 + 1 + 1);
  CHECK_STAT (st, commits_noflush, 3);
  CHECK_STAT (st, aborts, 2);
  CHECK_STAT (st, bytes_logged, bytes);
  CHECK_STAT (st, flushes, 4);
  CHECK_STAT (st, flushed_commits, 6);
  CHECK_STAT (st, truncations, 3);
  CHECK_STAT (st, log_used, 0);
  rvm_close (rvm);
  t_rmdir (d);
  free (d);
}

struct rec_arg
{
  const char *dir;
  int n, lost, close;
};

/* N commits (one in four durable) and, if CLOSE, a close; else LOST
   more no-flush commits and death.  */
static int
records_writer (void *arg)
{
  const struct rec_arg *a = arg;
  rvm_t rvm;
  void *seg;
  int i;

  if (rvm_open (a->dir, NULL, &rvm) != 0
      || rvm_map_segment (rvm, "s", SEG, &seg, NULL) != 0)
    return 3;
  for (i = 0; i < a->n; i++)
    if (put (rvm, seg, (size_t) i * 64, 64, (unsigned) i,
             i % 4 == 3 || (!a->close && i == a->n - 1) ? 0 : RVM_NO_FLUSH,
             NULL) != 0)
      return 4;
  if (a->close)
    return rvm_close (rvm) == 0 ? 0 : 5;
  for (i = 0; i < a->lost; i++)
    put (rvm, seg, 8000, 64, 99, RVM_NO_FLUSH, NULL);
  kill (getpid (), SIGKILL);
  return 6;
}

static void
test_stats_recovery (void)
{
  char *d = t_tmpdir ("recovery");
  struct rec_arg a = { d, 37, 0, 1 };
  struct rvm_statistics st;
  char how[64];
  rvm_t rvm;
  int ok;

  ok = t_run_child (records_writer, &a, how, sizeof how);
  rvm = t_open (d, NULL);
  st = stats (rvm);
  t_note ("stats: recovery of 37 records replayed %llu in %llu us"
          " (writer: %s)", (unsigned long long) st.recovery_records,
          (unsigned long long) st.recovery_usec, how);
  t_check (ok && st.recovery_records == 37
           && st.recovery_usec > 0 && st.commits == 0,
           "stats: reopening a closed store with 37 live records replays"
           " 37, in a measured time");
  rvm_close (rvm);
  rvm = t_open (d, NULL);
  st = stats (rvm);
  t_note ("stats: the next open replays %llu records",
          (unsigned long long) st.recovery_records);
  t_check (st.recovery_records == 0, "stats: the next open replays none");
  rvm_close (rvm);
  t_rmdir (d);

  a.n = 20;
  a.lost = 3;
  a.close = 0;
  t_wait (t_fork (records_writer, &a), NULL, how, sizeof how);
  rvm = t_open (d, NULL);
  st = stats (rvm);
  t_note ("stats: the writer ended with %s; recovery replayed %llu"
          " records", how, (unsigned long long) st.recovery_records);
  t_check (strcmp (how, "signal 9") == 0 && st.recovery_records == 20,
           "stats: after a crash, recovery_records counts the 20 records"
           " that reached the log, not the 3 buffered");
  rvm_close (rvm);
  t_rmdir (d);
  free (d);
}

/* A smaller SIZE fills only the leading fields.  */
static void
test_stats_size (void)
{
  char *d = t_tmpdir ("statsize");
  rvm_t rvm = t_open (d, NULL);
  void *seg = t_map (rvm, "s", SEG);
  struct rvm_statistics full;
  unsigned char buf[sizeof full + 32], marks[sizeof full + 32];
  size_t sizes[3], i;
  int ok = 1;

  put (rvm, seg, 0, 10, 1, 0, NULL);
  put (rvm, seg, 0, 10, 1, RVM_NO_FLUSH, NULL);
  full = stats (rvm);
  sizes[0] = sizeof (uint64_t);
  sizes[1] = offsetof (struct rvm_statistics, log_size);
  sizes[2] = 12;
  memset (marks, 0xa5, sizeof marks);
  for (i = 0; i < 3; i++)
    {
      memcpy (buf, marks, sizeof buf);
      if (rvm_stats (rvm, (struct rvm_statistics *) (void *) buf, sizes[i])
          != 0
          || memcmp (buf, &full, sizes[i]) != 0
          || memcmp (buf + sizes[i], marks, sizeof buf - sizes[i]) != 0)
        {
          t_note ("stats: size %zu: wrong bytes", sizes[i]);
          ok = 0;
        }
    }
  t_check (ok, "stats: a smaller size fills exactly the leading bytes");
  memcpy (buf, marks, sizeof buf);
  t_check (rvm_stats (rvm, (struct rvm_statistics *) (void *) buf,
                      sizeof buf) == 0
           && memcmp (buf, &full, sizeof full) == 0
           && memcmp (buf + sizeof full, marks, 32) == 0,
           "stats: a larger size fills the structure and nothing more");
  t_check (rvm_stats (rvm, &full, 0) == RVM_EINVAL,
           "stats: size 0 is refused with RVM_EINVAL");
  rvm_close (rvm);
  t_rmdir (d);
  free (d);
}

int
main (int argc, char **argv)
{
  t_init (argc, argv);
  umask (022);

  test_status ();
  test_classic_errno ();
  test_options_init ();
  test_sync_modes ();
  test_threshold ();
  noflush_kill ("threshold: an automatic truncation makes no-flush commits"
                " durable", 9, THRESHOLD, 0, 9);
  test_threshold_never (UINT64_MAX, "UINT64_MAX");
  test_threshold_never (UINT64_MAX - 4096, "UINT64_MAX - 4096");
  test_threshold_zero ();
  test_reserve (0);
  test_reserve (10000);
  test_reserve (1 << 20);
  test_file_modes ();
  test_verbose ();
  test_old_options ();
  test_close ();
  test_no_restore ();
  test_set_range ();
  test_coalesce ();
  test_many_ranges ();
  test_padding ();
  test_many_segments ();
  test_stats_counts ();
  test_stats_recovery ();
  test_stats_size ();
  return t_done ();
}
