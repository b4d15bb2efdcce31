/* classic.c -- the classic RVM API, as a program written for it uses
   it: persistence across a crash, abort, several segments, truncation,
   growth, busy segments, destroy, overlapping declarations, verbose.
   Every check of persisted data is made by a fresh process.  */

#include <config.h>

#include "rvm.h"
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SEGSIZE 10000
#define OFFSET2 1000



/* What a verifying child compares: NAME holds DATA at OFF.  */
struct expect
{
  const char *dir;
  const char *name;
  int size;
  int off;
  const void *data;
  size_t len;
};

static int
verify_child (void *arg)
{
  const struct expect *e = arg;
  rvm_t rvm = rvm_init (e->dir);
  char *seg;

  if (rvm == NULL)
    return 3;
  seg = rvm_map (rvm, e->name, e->size);
  if (seg == NULL)
    return 4;
  return memcmp (seg + e->off, e->data, e->len) == 0 ? 0 : 1;
}

/* Check, in a fresh process, that segment NAME of D holds DATA at OFF.  */
static int
verify (const char *what, const char *d, const char *name, int size, int off,
        const void *data, size_t len)
{
  struct expect e = { d, name, size, off, data, len };
  char how[64];
  int ok = t_run_child (verify_child, &e, how, sizeof how);

  t_note ("%s: the verifier ended with %s", what, how);
  return t_check (ok, "%s", what);
}

/* --- basic persistence: commit, then abort () -------------------- */

static int
commit_then_abort (void *arg)
{
  const char *d = arg;
  rvm_t rvm = rvm_init (d);
  trans_t tid;
  char *seg;

  if (rvm == NULL || (seg = rvm_map (rvm, "testseg", SEGSIZE)) == NULL)
    return 3;
  tid = rvm_begin_trans (rvm, 1, (void **) &seg);
  if (tid == (trans_t) -1)
    return 4;
  rvm_about_to_modify (tid, seg, 0, 100);
  strcpy (seg, "hello, world");
  rvm_about_to_modify (tid, seg, OFFSET2, 100);
  strcpy (seg + OFFSET2, "hello, world");
  rvm_commit_trans (tid);
  abort ();
}

static void
test_basic (void)
{
  char *d = t_tmpdir ("basic");
  char buf[64];
  int st;

  t_wait (t_fork (commit_then_abort, d), &st, buf, sizeof buf);
  t_note ("basic: the writer ended with %s", buf);
  t_check (WIFSIGNALED (st) && WTERMSIG (st) == SIGABRT,
           "basic: writer committed and died of SIGABRT");
  verify ("basic: first range survives abort ()", d, "testseg", SEGSIZE, 0,
          "hello, world", 13);
  verify ("basic: second range survives abort ()", d, "testseg", SEGSIZE,
          OFFSET2, "hello, world", 13);
  t_rmdir (d);
  free (d);
}

/* --- abort restores ---------------------------------------------- */

static void
test_abort (void)
{
  char *d = t_tmpdir ("abort");
  rvm_t rvm = rvm_init (d);
  char *seg = rvm ? rvm_map (rvm, "testseg", SEGSIZE) : NULL;
  trans_t tid;
  int e;

  if (seg == NULL)
    t_bail ("abort: cannot set up: %s", rvm_errmsg ());
  tid = rvm_begin_trans (rvm, 1, (void **) &seg);
  rvm_about_to_modify (tid, seg, 0, 100);
  strcpy (seg, "hello, world");
  rvm_commit_trans (tid);

  tid = rvm_begin_trans (rvm, 1, (void **) &seg);
  rvm_about_to_modify (tid, seg, 0, 100);
  strcpy (seg, "goodbye, world");
  rvm_about_to_modify (tid, seg, 5000, 10);
  memset (seg + 5000, 'x', 10);
  rvm_abort_trans (tid);
  t_check (strcmp (seg, "hello, world") == 0,
           "abort: memory holds the committed value again");
  t_check (seg[5000] == 0 && seg[5009] == 0,
           "abort: second range restored to zeros");
  rvm_commit_trans (tid);
  e = errno;
  t_note ("abort: committing the aborted transaction: errno %d", e);
  t_check (e == EINVAL && rvm_errcode () == RVM_ETRANS,
           "abort: the aborted transaction is finished");
  rvm_close (rvm);
  verify ("abort: reopened store holds the committed value", d, "testseg",
          SEGSIZE, 0, "hello, world", 13);
  t_rmdir (d);
  free (d);
}

/* --- two segments -------------------------------------------------- */

static void
test_two_segments (void)
{
  char *d = t_tmpdir ("multi");
  rvm_t rvm = rvm_init (d);
  char *segs[2];
  trans_t tid;

  if (rvm == NULL || (segs[0] = rvm_map (rvm, "seg0", SEGSIZE)) == NULL
      || (segs[1] = rvm_map (rvm, "seg1", SEGSIZE)) == NULL)
    t_bail ("multi: cannot set up: %s", rvm_errmsg ());
  tid = rvm_begin_trans (rvm, 2, (void **) segs);
  t_check (tid != (trans_t) -1, "multi: begin over two segments");
  rvm_about_to_modify (tid, segs[0], 10, 100);
  strcpy (segs[0] + 10, "first segment");
  rvm_about_to_modify (tid, segs[1], 20, 100);
  strcpy (segs[1] + 20, "second segment");
  rvm_commit_trans (tid);

  /* Abort over both: both restored.  */
  tid = rvm_begin_trans (rvm, 2, (void **) segs);
  rvm_about_to_modify (tid, segs[0], 10, 100);
  strcpy (segs[0] + 10, "XXXXX");
  rvm_about_to_modify (tid, segs[1], 20, 100);
  strcpy (segs[1] + 20, "YYYYY");
  rvm_abort_trans (tid);
  t_check (strcmp (segs[0] + 10, "first segment") == 0
           && strcmp (segs[1] + 20, "second segment") == 0,
           "multi: abort restores both segments");
  rvm_close (rvm);
  verify ("multi: first segment persisted", d, "seg0", SEGSIZE, 10,
          "first segment", 14);
  verify ("multi: second segment persisted", d, "seg1", SEGSIZE, 20,
          "second segment", 15);
  t_rmdir (d);
  free (d);
}

/* --- truncation ---------------------------------------------------- */

static void
test_truncate (void)
{
  char *d = t_tmpdir ("truncate");
  rvm_t rvm = rvm_init (d);
  char *seg;
  long long before, after, segsize;
  static char expect[4096];
  int i;

  if (rvm == NULL || (seg = rvm_map (rvm, "big", 1 << 20)) == NULL)
    t_bail ("truncate: cannot set up: %s", rvm_errmsg ());
  /* About 3 MiB of log.  */
  for (i = 0; i < 768; i++)
    {
      trans_t tid = rvm_begin_trans (rvm, 1, (void **) &seg);
      int off = (i * 4096) % (1 << 20);
      rvm_about_to_modify (tid, seg, off, 4096);
      memset (seg + off, 'a' + i % 26, 4096);
      rvm_commit_trans (tid);
    }
  memcpy (expect, seg + 767 * 4096 % (1 << 20), 4096);
  before = t_file_size (d, ".lrvm-log");
  t_note ("truncate: log of %lld bytes", before);
  t_check (before > 3 * 1024 * 1024, "truncate: log grew past 3 MiB");
  rvm_truncate_log (rvm);
  after = t_file_size (d, ".lrvm-log");
  t_note ("truncate: log of %lld bytes after truncation", after);
  t_check (after >= 4096 && after <= 4096 + (1 << 20) && after < before,
           "truncate: log shrank to at most its header and 1 MiB");
  segsize = t_file_size (d, "big");
  t_note ("truncate: segment file of %lld bytes", segsize);
  t_check (segsize == 1 << 20, "truncate: segment file is 1048576 bytes");
  rvm_close (rvm);
  /* The segment file itself now holds the data.  */
  {
    char path[4096], got[4096];
    int fd;
    snprintf (path, sizeof path, "%s/big", d);
    fd = open (path, O_RDONLY);
    t_check (fd >= 0 && pread (fd, got, 4096, 767 * 4096 % (1 << 20)) == 4096
             && memcmp (got, expect, 4096) == 0,
             "truncate: segment file holds the last commit");
    if (fd >= 0)
      close (fd);
  }
  verify ("truncate: a new process sees the data", d, "big", 1 << 20,
          767 * 4096 % (1 << 20), expect, 4096);
  t_rmdir (d);
  free (d);
}

/* --- growth on re-map -------------------------------------------- */

static void
test_grow (void)
{
  char *d = t_tmpdir ("grow");
  rvm_t rvm = rvm_init (d);
  char *seg, zeros[4000];
  trans_t tid;

  if (rvm == NULL || (seg = rvm_map (rvm, "g", 1000)) == NULL)
    t_bail ("grow: cannot set up: %s", rvm_errmsg ());
  tid = rvm_begin_trans (rvm, 1, (void **) &seg);
  rvm_about_to_modify (tid, seg, 990, 10);
  memcpy (seg + 990, "0123456789", 10);
  rvm_commit_trans (tid);
  rvm_unmap (rvm, seg);
  seg = rvm_map (rvm, "g", 5000);
  memset (zeros, 0, sizeof zeros);
  t_check (seg != NULL && memcmp (seg + 990, "0123456789", 10) == 0
           && memcmp (seg + 1000, zeros, 4000) == 0,
           "grow: re-map keeps the data and zero-fills the growth");
  t_check (t_file_size (d, "g") == 5000, "grow: segment file is 5000 bytes");
  tid = rvm_begin_trans (rvm, 1, (void **) &seg);
  rvm_about_to_modify (tid, seg, 4990, 10);
  memcpy (seg + 4990, "abcdefghij", 10);
  rvm_commit_trans (tid);
  rvm_close (rvm);
  verify ("grow: commit in the grown part persists", d, "g", 5000, 4990,
          "abcdefghij", 10);
  verify ("grow: old data persists", d, "g", 5000, 990, "0123456789", 10);
  t_rmdir (d);
  free (d);
}

/* --- busy segment ------------------------------------------------ */

static void
test_busy (void)
{
  char *d = t_tmpdir ("busy");
  rvm_t rvm = rvm_init (d);
  char *segs[2];
  trans_t t1, t2;

  if (rvm == NULL || (segs[0] = rvm_map (rvm, "a", 100)) == NULL
      || (segs[1] = rvm_map (rvm, "b", 100)) == NULL)
    t_bail ("busy: cannot set up: %s", rvm_errmsg ());
  t1 = rvm_begin_trans (rvm, 1, (void **) &segs[0]);
  errno = 0;
  t2 = rvm_begin_trans (rvm, 2, (void **) segs);
  t_check (t1 != (trans_t) -1 && t2 == (trans_t) -1 && errno == EBUSY,
           "busy: begin on a segment in a transaction fails with EBUSY");
  t2 = rvm_begin_trans (rvm, 1, (void **) &segs[1]);
  t_check (t2 != (trans_t) -1 && t2 != t1,
           "busy: a disjoint segment can begin its own transaction");
  rvm_commit_trans (t1);
  rvm_abort_trans (t2);
  t1 = rvm_begin_trans (rvm, 2, (void **) segs);
  t_check (t1 != (trans_t) -1, "busy: segments are free again after"
           " commit and abort");
  rvm_abort_trans (t1);
  rvm_close (rvm);
  t_rmdir (d);
  free (d);
}

/* --- an uncommitted change vanishes in a crash ------------------- */

static int
commit_then_crash (void *arg)
{
  const char *d = arg;
  rvm_t rvm = rvm_init (d);
  trans_t tid;
  char *seg;

  if (rvm == NULL || (seg = rvm_map (rvm, "testseg", SEGSIZE)) == NULL)
    return 3;
  tid = rvm_begin_trans (rvm, 1, (void **) &seg);
  rvm_about_to_modify (tid, seg, 0, 100);
  strcpy (seg, "committed");
  rvm_commit_trans (tid);
  tid = rvm_begin_trans (rvm, 1, (void **) &seg);
  rvm_about_to_modify (tid, seg, 0, 100);
  strcpy (seg, "uncommitted");
  rvm_about_to_modify (tid, seg, 500, 10);
  memset (seg + 500, 'u', 10);
  rvm_truncate_log (rvm);       /* must not write the uncommitted bytes */
  kill (getpid (), SIGKILL);
  return 5;
}

static void
test_uncommitted (void)
{
  char *d = t_tmpdir ("uncommitted");
  char buf[64], zeros[10];
  int st;

  t_wait (t_fork (commit_then_crash, d), &st, buf, sizeof buf);
  t_note ("uncommitted: the writer ended with %s", buf);
  t_check (WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL,
           "uncommitted: writer killed mid-transaction");
  verify ("uncommitted: committed value recovered, uncommitted gone", d,
          "testseg", SEGSIZE, 0, "committed", 10);
  memset (zeros, 0, sizeof zeros);
  verify ("uncommitted: second uncommitted range gone", d, "testseg",
          SEGSIZE, 500, zeros, 10);
  t_rmdir (d);
  free (d);
}

/* --- destroy, then map: zeros ------------------------------------ */

static void
test_destroy (void)
{
  char *d = t_tmpdir ("destroy");
  rvm_t rvm = rvm_init (d);
  char *seg, zeros[100];
  trans_t tid;

  if (rvm == NULL || (seg = rvm_map (rvm, "victim", 1000)) == NULL)
    t_bail ("destroy: cannot set up: %s", rvm_errmsg ());
  tid = rvm_begin_trans (rvm, 1, (void **) &seg);
  rvm_about_to_modify (tid, seg, 0, 100);
  memset (seg, 'v', 100);
  rvm_commit_trans (tid);
  errno = 0;
  rvm_destroy (rvm, "victim");
  t_check (errno == EEXIST && t_file_size (d, "victim") == 1000,
           "destroy: a mapped segment is refused and kept");
  rvm_unmap (rvm, seg);
  rvm_destroy (rvm, "victim");
  t_check (t_file_size (d, "victim") == -1, "destroy: the file is gone");
  seg = rvm_map (rvm, "victim", 1000);
  memset (zeros, 0, sizeof zeros);
  t_check (seg != NULL && memcmp (seg, zeros, 100) == 0,
           "destroy: a new map of the name starts from zeros");
  rvm_close (rvm);
  verify ("destroy: no old log record reaches the new segment", d, "victim",
          1000, 0, zeros, 100);
  t_rmdir (d);
  free (d);
}

/* --- overlapping declarations ------------------------------------ */

static void
test_overlap (void)
{
  char *d = t_tmpdir ("overlap");
  rvm_t rvm = rvm_init (d);
  char *seg, orig[300], want[300];
  trans_t tid;
  int i;

  if (rvm == NULL || (seg = rvm_map (rvm, "o", 1000)) == NULL)
    t_bail ("overlap: cannot set up: %s", rvm_errmsg ());
  tid = rvm_begin_trans (rvm, 1, (void **) &seg);
  rvm_about_to_modify (tid, seg, 0, 300);
  for (i = 0; i < 300; i++)
    seg[i] = (char) i;
  rvm_commit_trans (tid);
  memcpy (orig, seg, 300);

  tid = rvm_begin_trans (rvm, 1, (void **) &seg);
  rvm_about_to_modify (tid, seg, 0, 100);
  memset (seg, 'A', 100);
  rvm_about_to_modify (tid, seg, 50, 100);      /* overlaps, saved once */
  memset (seg + 50, 'B', 100);
  rvm_about_to_modify (tid, seg, 10, 10);       /* inside */
  rvm_about_to_modify (tid, seg, 150, 50);      /* adjacent */
  memset (seg + 150, 'C', 50);
  rvm_about_to_modify (tid, seg, 250, 20);
  rvm_about_to_modify (tid, seg, 240, 40);      /* swallows 250+20 */
  memset (seg + 240, 'D', 40);
  rvm_abort_trans (tid);
  t_check (memcmp (seg, orig, 300) == 0,
           "overlap: abort restores each byte's first old value");

  tid = rvm_begin_trans (rvm, 1, (void **) &seg);
  rvm_about_to_modify (tid, seg, 100, 50);
  rvm_about_to_modify (tid, seg, 120, 80);
  memset (seg + 100, 'E', 100);
  rvm_commit_trans (tid);
  memcpy (want, seg, 300);
  rvm_close (rvm);
  verify ("overlap: merged ranges commit every declared byte", d, "o", 1000,
          0, want, 300);
  t_rmdir (d);
  free (d);
}

/* --- rvm_verbose ------------------------------------------------- */

static int
verbose_child (void *arg)
{
  const char *d = arg;
  char path[4096];
  rvm_t rvm;
  int fd;

  snprintf (path, sizeof path, "%s/stderr.txt", d);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || dup2 (fd, 2) < 0)
    return 3;
  rvm_verbose (1);
  rvm = rvm_init (d);
  if (rvm == NULL || rvm_map (rvm, "v", 100) == NULL)
    return 4;
  rvm_map (rvm, "bad/name", 100);
  rvm_verbose (0);
  rvm_map (rvm, "quiet", 100);
  return 0;
}

static void
test_verbose (void)
{
  char *d = t_tmpdir ("verbose");
  char buf[64], path[4096], text[8192];
  FILE *f;
  size_t n = 0;

  t_wait (t_fork (verbose_child, d), NULL, buf, sizeof buf);
  snprintf (path, sizeof path, "%s/stderr.txt", d);
  f = fopen (path, "r");
  if (f != NULL)
    {
      n = fread (text, 1, sizeof text - 1, f);
      fclose (f);
    }
  text[n] = '\0';
  t_check (strstr (text, "rvm_map (\"v\", 100)") != NULL,
           "verbose: an operation prints a line");
  t_check (strstr (text, "error") != NULL && strstr (text, "bad/name"),
           "verbose: an error prints a line");
  t_check (strstr (text, "quiet") == NULL, "verbose: rvm_verbose (0) stops"
           " the lines");
  t_rmdir (d);
  free (d);
}

int
main (int argc, char **argv)
{
  t_init (argc, argv);

  test_basic ();
  test_abort ();
  test_two_segments ();
  test_truncate ();
  test_grow ();
  test_busy ();
  test_uncommitted ();
  test_destroy ();
  test_overlap ();
  test_verbose ();
  return t_done ();
}
