/* truncate-active.c -- truncating the log while transactions are
   active loses nothing and leaks nothing: committed data reaches the
   segment files, the bytes of a transaction still in progress never do,
   and the transaction can still commit or abort afterwards.  A fresh
   process checks each outcome; some writers are killed mid-way.  */

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

#define SEGSIZE 8192

/* --- helpers ----------------------------------------------------- */

static const char zeros[64];

/* One expected content: segment NAME holds DATA at OFF.  */
struct want
{
  const char *name;
  int off;
  const char *data;
  size_t len;
};

struct check
{
  const char *dir;
  const struct want *w;
  size_t n;
};

static int
verify_child (void *arg)
{
  const struct check *c = arg;
  rvm_t rvm = rvm_init (c->dir);
  size_t i;
  int r = 0;

  if (rvm == NULL)
    return 3;
  for (i = 0; i < c->n && r == 0; i++)
    {
      char *seg = rvm_map (rvm, c->w[i].name, SEGSIZE);
      if (seg == NULL)
        r = 4;
      else if (memcmp (seg + c->w[i].off, c->w[i].data, c->w[i].len) != 0)
        r = 10 + (int) i;
      if (seg != NULL)
        rvm_unmap (rvm, seg);
    }
  rvm_close (rvm);
  return r;
}

/* Check, in a fresh process, every content of W[0..N).  */
static int
verify (const char *what, const char *dir, const struct want *w, size_t n)
{
  struct check c = { dir, w, n };
  char buf[64];
  const char *how = t_wait (t_fork (verify_child, &c), NULL, buf,
                            sizeof buf);
  if (strcmp (how, "exit 0") != 0)
    t_note ("%s: verifier: %s (exit 1x: item x differs)", what, how);
  return t_check (strcmp (how, "exit 0") == 0, "%s", what);
}

/* Classic calls report success by recording no error: mark () leaves
   a recognizable one, and no_error () says whether it is still the
   last.  */
static void
mark (void)
{
  rvm_map (NULL, "mark", -7);
}

static int
no_error (void)
{
  return strstr (rvm_errmsg (), "\"mark\"") != NULL;
}

/* Commit the string DATA (with its NUL) at OFF of SEG.  */
static void
put (rvm_t rvm, char *seg, int off, const char *data)
{
  trans_t tid = rvm_begin_trans (rvm, 1, (void **) &seg);

  rvm_about_to_modify (tid, seg, off, (int) strlen (data) + 1);
  strcpy (seg + off, data);
  rvm_commit_trans (tid);
}

/* --- commit after truncation ------------------------------------- */

static void
test_commit (void)
{
  char *d = t_tmpdir ("t-commit");
  rvm_t rvm = rvm_init (d);
  char *seg = NULL;
  trans_t tid;
  char u[10];
  static const struct want after[] = {
    { "seg", 0, "in-flight-3", 12 },
    { "seg", 100, "committed-2", 12 },
    { "seg", 2000, "uuuuuuuuuu", 10 },
    { "seg", 3000, "declared late", 14 },
  };

  if (rvm == NULL || (seg = rvm_map (rvm, "seg", SEGSIZE)) == NULL)
    t_bail ("commit: cannot set up: %s", rvm_errmsg ());
  put (rvm, seg, 0, "committed-1");
  put (rvm, seg, 100, "committed-2");
  tid = rvm_begin_trans (rvm, 1, (void **) &seg);
  rvm_about_to_modify (tid, seg, 0, 32);
  strcpy (seg, "in-flight-3");
  rvm_about_to_modify (tid, seg, 2000, 10);
  memset (u, 'u', 10);
  memcpy (seg + 2000, u, 10);

  mark ();
  rvm_truncate_log (rvm);
  t_check (no_error (), "commit: truncation with an active transaction"
           " succeeds");
  t_check (t_file_holds (d, "seg", 0, "committed-1", 12)
           && t_file_holds (d, "seg", 100, "committed-2", 12),
           "commit: the segment file holds the committed data");
  t_check (t_file_holds (d, "seg", 2000, zeros, 10),
           "commit: the segment file holds none of the active"
           " transaction's bytes");
  t_check (t_file_size (d, ".lrvm-log") <= 4096 + (2 << 20),
           "commit: the log is truncated");

  /* The transaction goes on after the truncation.  */
  mark ();
  rvm_about_to_modify (tid, seg, 3000, 14);
  strcpy (seg + 3000, "declared late");
  rvm_commit_trans (tid);
  t_check (no_error (), "commit: the transaction commits after the"
           " truncation");
  rvm_truncate_log (rvm);
  t_check (t_file_holds (d, "seg", 0, "in-flight-3", 12)
           && t_file_holds (d, "seg", 3000, "declared late", 14),
           "commit: a second truncation writes the transaction");
  rvm_close (rvm);
  verify ("commit: a fresh process sees every committed range", d, after,
          sizeof after / sizeof *after);
  t_rmdir (d);
  free (d);
}

/* --- abort after truncation -------------------------------------- */

static void
test_abort (void)
{
  char *d = t_tmpdir ("t-abort");
  rvm_t rvm = rvm_init (d);
  char *seg = NULL;
  trans_t tid;
  static const struct want after[] = {
    { "seg", 100, "committed-2", 12 },
    { "seg", 3000, zeros, 20 },
    { "seg", 500, "after abort", 12 },
  };

  if (rvm == NULL || (seg = rvm_map (rvm, "seg", SEGSIZE)) == NULL)
    t_bail ("abort: cannot set up: %s", rvm_errmsg ());
  put (rvm, seg, 100, "committed-2");
  tid = rvm_begin_trans (rvm, 1, (void **) &seg);
  rvm_about_to_modify (tid, seg, 100, 12);
  strcpy (seg + 100, "aborted-4!!");
  rvm_about_to_modify (tid, seg, 3000, 20);
  memset (seg + 3000, 'a', 20);
  mark ();
  rvm_truncate_log (rvm);
  t_check (no_error (), "abort: truncation with an active transaction"
           " succeeds");
  t_check (t_file_holds (d, "seg", 100, "committed-2", 12)
           && t_file_holds (d, "seg", 3000, zeros, 20),
           "abort: the segment file holds none of the transaction's"
           " bytes");
  mark ();
  rvm_abort_trans (tid);
  t_check (no_error () && strcmp (seg + 100, "committed-2") == 0
           && memcmp (seg + 3000, zeros, 20) == 0,
           "abort: abort after the truncation restores memory");
  put (rvm, seg, 500, "after abort");
  rvm_truncate_log (rvm);
  t_check (t_file_holds (d, "seg", 100, "committed-2", 12)
           && t_file_holds (d, "seg", 3000, zeros, 20)
           && t_file_holds (d, "seg", 500, "after abort", 12),
           "abort: a later truncation writes only committed data");
  rvm_close (rvm);
  verify ("abort: a fresh process sees the committed data and not the"
          " aborted", d, after, sizeof after / sizeof *after);
  t_rmdir (d);
  free (d);
}

/* --- a writer killed with transactions active -------------------- */

static int
killed_writer (void *arg)
{
  const char *d = arg;
  rvm_t rvm = rvm_init (d);
  char *a = NULL, *b = NULL, *c = NULL, *segs[2];
  trans_t t1, t2;

  if (rvm == NULL || (a = rvm_map (rvm, "a", SEGSIZE)) == NULL
      || (b = rvm_map (rvm, "b", SEGSIZE)) == NULL
      || (c = rvm_map (rvm, "c", SEGSIZE)) == NULL)
    return 3;
  put (rvm, a, 0, "a committed");
  put (rvm, b, 0, "b committed");
  segs[0] = a;
  segs[1] = b;
  mark ();
  t1 = rvm_begin_trans (rvm, 2, (void **) segs);
  rvm_about_to_modify (t1, a, 0, 12);
  strcpy (a, "a uncommit");
  rvm_truncate_log (rvm);
  rvm_about_to_modify (t1, b, 0, 12);
  strcpy (b, "b uncommit");
  /* Another transaction commits, and is aborted, meanwhile.  */
  put (rvm, c, 0, "c committed");
  t2 = rvm_begin_trans (rvm, 1, (void **) &c);
  rvm_about_to_modify (t2, c, 50, 8);
  strcpy (c + 50, "c abort");
  rvm_truncate_log (rvm);
  rvm_abort_trans (t2);
  put (rvm, c, 100, "c late");
  rvm_truncate_log (rvm);
  if (!no_error ())
    return 4;
  kill (getpid (), SIGKILL);
  return 5;
}

static void
test_killed (void)
{
  char *d = t_tmpdir ("t-killed");
  char buf[64];
  int st;
  static const struct want after[] = {
    { "a", 0, "a committed", 12 },
    { "b", 0, "b committed", 12 },
    { "c", 0, "c committed", 12 },
    { "c", 50, zeros, 8 },
    { "c", 100, "c late", 7 },
  };

  t_wait (t_fork (killed_writer, d), &st, buf, sizeof buf);
  t_note ("killed: writer: %s", buf);
  t_check (WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL,
           "killed: the writer died with a transaction active");
  t_check (t_file_holds (d, "a", 0, "a committed", 12)
           && t_file_holds (d, "b", 0, "b committed", 12),
           "killed: the segment files hold no uncommitted bytes");
  verify ("killed: recovery shows the commits and nothing else", d, after,
          sizeof after / sizeof *after);
  t_rmdir (d);
  free (d);
}

/* --- full API: no-flush commits, no-restore, automatic truncation -- */

static int
auto_writer (void *arg)
{
  const char *d = arg;
  struct rvm_options o;
  struct rvm_statistics st;
  rvm_t rvm;
  char *busy, *nr, *other;
  trans_t t1, t2;
  int i;

  rvm_options_init (&o);
  o.truncate_threshold = 16384;
  if (rvm_open (d, &o, &rvm) != 0
      || rvm_map_segment (rvm, "busy", SEGSIZE, (void **) &busy, NULL) != 0
      || rvm_map_segment (rvm, "nr", SEGSIZE, (void **) &nr, NULL) != 0
      || rvm_map_segment (rvm, "other", SEGSIZE, (void **) &other, NULL)
         != 0)
    return 3;
  put (rvm, busy, 0, "busy committed");
  /* An active transaction on "busy", a no-restore one on "nr".  */
  if (rvm_begin (rvm, 1, (void **) &busy, 0, &t1) != 0
      || rvm_begin (rvm, 1, (void **) &nr, RVM_NO_RESTORE, &t2) != 0)
    return 4;
  rvm_set_range (t1, busy, 16);
  strcpy (busy, "busy uncommit");
  rvm_set_range (t2, nr + 10, 12);
  strcpy (nr + 10, "no-restore");
  /* Enough no-flush commits on "other" to pass the threshold several
     times.  */
  for (i = 0; i < 64; i++)
    {
      trans_t t;
      if (rvm_begin (rvm, 1, (void **) &other, 0, &t) != 0
          || rvm_modify (t, other, 0, 1024) != 0)
        return 5;
      memset (other, 'A' + i % 26, 1024);
      snprintf (other, 32, "other %d", i);
      if (rvm_commit (t, RVM_NO_FLUSH) != 0)
        return 6;
    }
  if (rvm_stats (rvm, &st, sizeof st) != 0 || st.truncations < 2)
    return 7;
  /* The no-restore transaction commits after the truncations; the
     other stays active.  */
  if (rvm_abort (t2) != RVM_ENORESTORE || rvm_commit (t2, 0) != 0)
    return 8;
  kill (getpid (), SIGKILL);
  return 9;
}

static void
test_auto (void)
{
  char *d = t_tmpdir ("t-auto");
  char buf[64];
  int st;
  static const struct want after[] = {
    { "busy", 0, "busy committed", 15 },
    { "nr", 10, "no-restore", 11 },
    { "other", 0, "other 63", 9 },
  };

  t_wait (t_fork (auto_writer, d), &st, buf, sizeof buf);
  t_note ("auto: writer: %s", buf);
  t_check (WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL,
           "auto: the writer passed the threshold with transactions"
           " active");
  t_check (t_file_holds (d, "busy", 0, "busy committed", 15),
           "auto: automatic truncation wrote no uncommitted bytes");
  verify ("auto: recovery shows the no-flush and no-restore commits, and"
          " not the active transaction", d, after,
          sizeof after / sizeof *after);
  t_rmdir (d);
  free (d);
}

int
main (int argc, char **argv)
{
  t_init (argc, argv);
  test_commit ();
  test_abort ();
  test_killed ();
  test_auto ();
  return t_done ();
}
