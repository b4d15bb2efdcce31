/* classic-misuse.c -- every misuse of the classic API ("rvm.h") must
   fail cleanly: errno set, rvm_errcode () and rvm_errmsg () describing
   it, no crash, no file created or removed, and the store still working
   afterwards, as a fresh process confirms.  */

#include <config.h>

#include "rvm.h"
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MAP_ANONYMOUS
# define MAP_ANONYMOUS MAP_ANON
#endif

#define SEGSIZE 4096

/* --- helpers ----------------------------------------------------- */

/* Leave a recognizable error behind, so that a call which fails
   without recording its own error is caught.  */
static void
sentinel (void)
{
  rvm_map (NULL, "sentinel", -7);
}

/* Run CALL with a fresh sentinel and errno 0.  */
#define TRY(call) (sentinel (), errno = 0, (call))

/* Classic calls report success by recording no error: after sentinel
   (), no_error () says whether the sentinel is still the last error.  */
static int
no_error (void)
{
  return strstr (rvm_errmsg (), "sentinel") != NULL;
}

/* Check that the last call failed with errno ERR and code CODE, and
   that rvm_errmsg () is its own message and names FN.  */
static int
expect (int err, int code, const char *fn, const char *fmt, ...)
{
  int e = errno, c = rvm_errcode ();
  const char *m = rvm_errmsg ();
  char name[512];
  va_list ap;
  int ok;

  va_start (ap, fmt);
  vsnprintf (name, sizeof name, fmt, ap);
  va_end (ap);
  ok = e == err && c == code && m != NULL && strstr (m, fn) != NULL
       && strstr (m, "sentinel") == NULL;
  if (!ok)
    t_note ("%s: errno %d (want %d), code %d (want %d), message \"%s\"",
            name, e, err, c, code, m ? m : "(null)");
  return t_check (ok, "%s", name);
}

/* What a verifying child checks: segment NAME of DIR holds DATA at
   OFF.  */
struct expect_data
{
  const char *dir, *name;
  int off;
  const void *data;
  size_t len;
};

static int
verify_child (void *arg)
{
  const struct expect_data *e = arg;
  rvm_t rvm = rvm_init (e->dir);
  char *seg;
  int r;

  if (rvm == NULL)
    return 3;
  seg = rvm_map (rvm, e->name, (int) (e->off + e->len));
  if (seg == NULL)
    r = 4;
  else
    r = memcmp (seg + e->off, e->data, e->len) == 0 ? 0 : 1;
  rvm_close (rvm);
  return r;
}

/* Check, in a fresh process, that segment NAME of DIR holds DATA at
   OFF.  */
static int
verify (const char *what, const char *dir, const char *name, int off,
        const void *data, size_t len)
{
  struct expect_data e = { dir, name, off, data, len };
  char how[64];
  int ok = t_run_child (verify_child, &e, how, sizeof how);

  if (!ok)
    t_note ("%s: verifier: %s", what, how);
  return t_check (ok, "%s", what);
}

/* Commit LEN bytes of DATA at OFF of SEG; 0, or -1 on failure.  */
static int
put (rvm_t rvm, char *seg, int off, const char *data, int len)
{
  trans_t tid = rvm_begin_trans (rvm, 1, (void **) &seg);

  if (tid == (trans_t) -1)
    return -1;
  sentinel ();
  rvm_about_to_modify (tid, seg, off, len);
  if (!no_error ())
    {
      rvm_abort_trans (tid);
      return -1;
    }
  memcpy (seg + off, data, len);
  rvm_commit_trans (tid);
  return no_error () ? 0 : -1;
}

/* --- handles ----------------------------------------------------- */

static void
test_handles (void)
{
  char *d = t_tmpdir ("c-handles");
  char *seg = NULL, *before, *after;
  void *none, *segs[1];
  rvm_t closed, bogus[3];
  const char *what[3] = { "NULL handle", "inaccessible pointer",
                          "closed handle" };
  int i;

  /* An address that cannot be read: using it as a store would
     crash.  */
  none = mmap (NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (none == MAP_FAILED)
    t_bail ("mmap: %s", strerror (errno));

  closed = rvm_init (d);
  if (closed == NULL || (seg = rvm_map (closed, "keep", SEGSIZE)) == NULL)
    t_bail ("handles: cannot set up: %s", rvm_errmsg ());
  put (closed, seg, 0, "kept", 5);
  t_check (rvm_close (closed) == 0, "handles: close the store");
  before = t_listing (d);

  /* No store is opened until these are done, so the closed handle's
     memory cannot be reused by a new handle.  */
  bogus[0] = NULL;
  bogus[1] = (rvm_t) none;
  bogus[2] = closed;
  for (i = 0; i < 3; i++)
    {
      segs[0] = seg;
      TRY (rvm_map (bogus[i], "keep", SEGSIZE));
      expect (EINVAL, RVM_EHANDLE, "rvm_map", "handles: rvm_map, %s",
              what[i]);
      TRY (rvm_map (bogus[i], "newseg", SEGSIZE));
      expect (EINVAL, RVM_EHANDLE, "rvm_map", "handles: rvm_map of a new"
              " name, %s", what[i]);
      TRY (rvm_unmap (bogus[i], seg));
      expect (EINVAL, RVM_EHANDLE, "rvm_unmap", "handles: rvm_unmap, %s",
              what[i]);
      TRY (rvm_destroy (bogus[i], "keep"));
      expect (EINVAL, RVM_EHANDLE, "rvm_destroy", "handles: rvm_destroy,"
              " %s", what[i]);
      TRY (rvm_begin_trans (bogus[i], 1, segs));
      expect (EINVAL, RVM_EHANDLE, "rvm_begin", "handles: rvm_begin_trans,"
              " %s", what[i]);
      TRY (rvm_truncate_log (bogus[i]));
      expect (EINVAL, RVM_EHANDLE, "rvm_truncate", "handles:"
              " rvm_truncate_log, %s", what[i]);
      t_check (TRY (rvm_close (bogus[i])) == RVM_EHANDLE,
               "handles: rvm_close, %s", what[i]);
    }
  after = t_listing (d);
  t_check (strcmp (before, after) == 0, "handles: no file created or"
           " removed through a bad handle");
  free (before);
  free (after);
  munmap (none, 4096);
  verify ("handles: the closed store still holds its data", d, "keep", 0,
          "kept", 5);

  /* rvm_init of NULL or "" creates nothing.  */
  TRY (rvm_init (NULL));
  expect (EINVAL, RVM_EINVAL, "rvm_open", "handles: rvm_init (NULL)");
  {
    char *cwd_before = t_listing ("."), *cwd_after;
    t_check (TRY (rvm_init ("")) == NULL, "handles: rvm_init (\"\") fails");
    expect (EINVAL, RVM_EINVAL, "rvm_open", "handles: rvm_init (\"\")"
            " sets EINVAL");
    cwd_after = t_listing (".");
    t_check (strcmp (cwd_before, cwd_after) == 0,
             "handles: rvm_init (\"\") creates nothing");
    free (cwd_before);
    free (cwd_after);
  }
  t_rmdir (d);
  free (d);
}

/* --- names ------------------------------------------------------- */

static const struct
{
  const char *name;
  const char *what;
} bad_names[] = {
  { "", "empty" },
  { "a/b", "containing '/'" },
  { "../escape", "\"../escape\"" },
  { "../../escape", "\"../../escape\"" },
  { "/tmp/lrvm-escape", "absolute path" },
  { "..", "\"..\"" },
  { ".", "\".\"" },
  { ".hidden", "starting with '.'" },
  { ".lrvm-log", "\".lrvm-log\"" },
  { ".lrvm-lock", "\".lrvm-lock\"" },
  { ".lrvm-log.tmp", "\".lrvm-log.tmp\"" },
  { "a b", "containing a space" },
  { "a\nb", "containing a newline" },
  { "a\tb", "containing a tab" },
  { "caf\xc3\xa9", "containing UTF-8 bytes" },
  { "a*", "containing '*'" },
  { "a?", "containing '?'" },
  { "a\\b", "containing a backslash" },
  { "a:b", "containing ':'" },
  { "\x7f", "a DEL byte" },
  { "\xff", "a 0xff byte" },
};

static void
test_names (void)
{
  char *outer = t_tmpdir ("c-names");
  char d[4096], long_name[302], ok_name[201], *before, *after;
  char *seg = NULL, *seg200;
  rvm_t rvm;
  size_t i;
  struct stat st;

  snprintf (d, sizeof d, "%s/sub/store", outer);
  {
    char sub[4096];
    snprintf (sub, sizeof sub, "%s/sub", outer);
    mkdir (sub, 0777);
  }
  rvm = rvm_init (d);
  if (rvm == NULL || (seg = rvm_map (rvm, "base", SEGSIZE)) == NULL)
    t_bail ("names: cannot set up: %s", rvm_errmsg ());
  before = t_listing (outer);

  TRY (rvm_map (rvm, NULL, SEGSIZE));
  expect (EINVAL, RVM_EINVAL, "rvm_map", "names: rvm_map of NULL");
  TRY (rvm_destroy (rvm, NULL));
  expect (EINVAL, RVM_EINVAL, "rvm_destroy", "names: rvm_destroy of NULL");
  for (i = 0; i < sizeof bad_names / sizeof *bad_names; i++)
    {
      TRY (rvm_map (rvm, bad_names[i].name, SEGSIZE));
      expect (EINVAL, RVM_ENAME, "rvm_map", "names: rvm_map of a name %s",
              bad_names[i].what);
      TRY (rvm_destroy (rvm, bad_names[i].name));
      expect (EINVAL, RVM_ENAME, "rvm_destroy", "names: rvm_destroy of a"
              " name %s", bad_names[i].what);
    }
  memset (long_name, 'n', 201);
  long_name[201] = '\0';
  TRY (rvm_map (rvm, long_name, SEGSIZE));
  expect (EINVAL, RVM_ENAME, "rvm_map", "names: rvm_map of 201 characters");
  TRY (rvm_destroy (rvm, long_name));
  expect (EINVAL, RVM_ENAME, "rvm_destroy",
          "names: rvm_destroy of 201 characters");
  memset (long_name, 'n', 301);
  long_name[301] = '\0';
  TRY (rvm_map (rvm, long_name, SEGSIZE));
  expect (EINVAL, RVM_ENAME, "rvm_map", "names: rvm_map of 301 characters");
  /* A valid 200-character prefix followed by a '/'.  */
  memset (long_name, 'n', 200);
  strcpy (long_name + 200, "/x");
  TRY (rvm_map (rvm, long_name, SEGSIZE));
  expect (EINVAL, RVM_ENAME, "rvm_map", "names: rvm_map of 200 characters"
          " then '/'");

  after = t_listing (outer);
  t_check (strcmp (before, after) == 0, "names: no file created or removed"
           " in or around the store");
  if (strcmp (before, after) != 0)
    t_note ("names: before %s, after %s", before, after);
  free (before);
  free (after);
  t_check (stat ("/tmp/lrvm-escape", &st) != 0,
           "names: nothing created at an absolute name");
  t_check (t_file_size (d, ".lrvm-log") >= 4096,
           "names: the log survives rvm_destroy (\".lrvm-log\")");

  /* 200 characters is a valid name, and unusual valid names work.  */
  memset (ok_name, 'v', 200);
  ok_name[200] = '\0';
  seg200 = rvm_map (rvm, ok_name, SEGSIZE);
  t_check (seg200 != NULL && t_file_size (d, ok_name) == SEGSIZE,
           "names: rvm_map of 200 characters works");
  if (seg200 != NULL)
    put (rvm, seg200, 10, "two hundred", 12);
  {
    static const char *odd[] = { "-", "_", "a.", "a..b", "A-Z_a.z-0.9" };
    int all = 1;
    for (i = 0; i < sizeof odd / sizeof *odd; i++)
      {
        char *p = rvm_map (rvm, odd[i], 16);
        if (p == NULL || t_file_size (d, odd[i]) != 16)
          all = 0;
        if (p != NULL)
          rvm_unmap (rvm, p);
        rvm_destroy (rvm, odd[i]);
        if (t_file_size (d, odd[i]) != -1)
          all = 0;
      }
    t_check (all, "names: \"-\", \"_\", \"a.\", \"a..b\" are valid names");
  }
  put (rvm, seg, 0, "after names", 12);
  rvm_close (rvm);
  verify ("names: a 200-character segment persists", d, ok_name, 10,
          "two hundred", 12);
  verify ("names: the store works after the errors", d, "base", 0,
          "after names", 12);
  t_rmdir (outer);
  free (outer);
}

/* --- sizes and offsets --------------------------------------------- */

static void
test_sizes (void)
{
  char *d = t_tmpdir ("c-sizes");
  char *seg = NULL, *before, *after;
  trans_t tid;
  rvm_t rvm = rvm_init (d);
  static const int bad_sizes[] = { 0, -1, INT_MIN };
  static const struct
  {
    int off, size;
    int err;
    const char *what;
  } bad_ranges[] = {
    { -1, 1, ERANGE, "offset -1" },
    { INT_MIN, 10, ERANGE, "offset INT_MIN" },
    { -1, 0, ERANGE, "offset -1, size 0" },
    { 0, 0, EINVAL, "size 0" },
    { 0, -1, EINVAL, "size -1" },
    { 0, INT_MIN, EINVAL, "size INT_MIN" },
    { SEGSIZE, 1, ERANGE, "offset at the end" },
    { SEGSIZE - 1, 2, ERANGE, "range past the end by one" },
    { 0, SEGSIZE + 1, ERANGE, "size one more than the segment" },
    { SEGSIZE + 100, 1, ERANGE, "offset beyond the end" },
    { INT_MAX, INT_MAX, ERANGE, "offset and size INT_MAX" },
    { 1, INT_MAX, ERANGE, "size INT_MAX" },
    { INT_MAX, 1, ERANGE, "offset INT_MAX" },
  };
  size_t i;

  if (rvm == NULL || (seg = rvm_map (rvm, "s", SEGSIZE)) == NULL)
    t_bail ("sizes: cannot set up: %s", rvm_errmsg ());
  before = t_listing (d);
  for (i = 0; i < sizeof bad_sizes / sizeof *bad_sizes; i++)
    {
      TRY (rvm_map (rvm, "fresh", bad_sizes[i]));
      expect (EINVAL, RVM_EINVAL, "rvm_map", "sizes: rvm_map of a new"
              " segment, size %d", bad_sizes[i]);
    }
  rvm_unmap (rvm, seg);
  TRY (rvm_map (rvm, "s", 0));
  expect (EINVAL, RVM_EINVAL, "rvm_map", "sizes: rvm_map of an existing"
          " segment, size 0");
  after = t_listing (d);
  t_check (strcmp (before, after) == 0,
           "sizes: a refused rvm_map creates no file");
  t_check (t_file_size (d, "s") == SEGSIZE,
           "sizes: a refused rvm_map leaves the segment's size");
  free (before);
  free (after);
  seg = rvm_map (rvm, "s", SEGSIZE);
  if (seg == NULL)
    t_bail ("sizes: cannot map again: %s", rvm_errmsg ());

  tid = rvm_begin_trans (rvm, 1, (void **) &seg);
  for (i = 0; i < sizeof bad_ranges / sizeof *bad_ranges; i++)
    {
      TRY (rvm_about_to_modify (tid, seg, bad_ranges[i].off,
                                bad_ranges[i].size));
      expect (bad_ranges[i].err,
              bad_ranges[i].err == ERANGE ? RVM_ERANGE : RVM_EINVAL,
              "rvm_about_to_modify", "sizes: rvm_about_to_modify, %s",
              bad_ranges[i].what);
    }
  /* The transaction survives, and the extreme valid ranges work.  */
  sentinel ();
  rvm_about_to_modify (tid, seg, 0, 1);
  rvm_about_to_modify (tid, seg, SEGSIZE - 1, 1);
  t_check (no_error (), "sizes: first and last byte can be declared after"
           " the errors");
  seg[0] = 'F';
  seg[SEGSIZE - 1] = 'L';
  sentinel ();
  rvm_commit_trans (tid);
  t_check (no_error (), "sizes: the transaction commits after the errors");
  rvm_close (rvm);
  verify ("sizes: first byte persisted", d, "s", 0, "F", 1);
  verify ("sizes: last byte persisted", d, "s", SEGSIZE - 1, "L", 1);
  t_rmdir (d);
  free (d);
}

/* --- map, unmap, destroy ----------------------------------------- */

static void
test_segments (void)
{
  char *d = t_tmpdir ("c-segs");
  char *a = NULL, *b = NULL, *junk;
  void *segs[1];
  rvm_t rvm = rvm_init (d);
  trans_t tid;
  char *before, *after;

  if (rvm == NULL || (a = rvm_map (rvm, "a", SEGSIZE)) == NULL
      || (b = rvm_map (rvm, "b", SEGSIZE)) == NULL)
    t_bail ("segments: cannot set up: %s", rvm_errmsg ());
  put (rvm, a, 0, "aaaa", 5);

  TRY (rvm_map (rvm, "a", SEGSIZE));
  expect (EEXIST, RVM_EMAPPED, "rvm_map", "segments: mapping twice");
  TRY (rvm_map (rvm, "a", 2 * SEGSIZE));
  expect (EEXIST, RVM_EMAPPED, "rvm_map", "segments: mapping twice with a"
          " larger size");
  t_check (t_file_size (d, "a") == SEGSIZE,
           "segments: a refused second map does not grow the file");

  junk = malloc (SEGSIZE);
  TRY (rvm_unmap (rvm, NULL));
  expect (EINVAL, RVM_ENOTMAPPED, "rvm_unmap", "segments: rvm_unmap of"
          " NULL");
  TRY (rvm_unmap (rvm, junk));
  expect (EINVAL, RVM_ENOTMAPPED, "rvm_unmap", "segments: rvm_unmap of a"
          " malloc'd pointer");
  TRY (rvm_unmap (rvm, a + 1));
  expect (EINVAL, RVM_ENOTMAPPED, "rvm_unmap", "segments: rvm_unmap of an"
          " address inside a segment");
  t_check (a[0] == 'a' && a[1] == 'a',
           "segments: the segment stays mapped after refused unmaps");

  TRY (rvm_destroy (rvm, "a"));
  expect (EEXIST, RVM_EMAPPED, "rvm_destroy", "segments: destroying a"
          " mapped segment");
  t_check (t_file_size (d, "a") == SEGSIZE && memcmp (a, "aaaa", 5) == 0,
           "segments: a refused destroy keeps the file and the mapping");
  before = t_listing (d);
  TRY (rvm_destroy (rvm, "nosuch"));
  expect (ENOENT, RVM_ENOENT, "rvm_destroy", "segments: destroying a"
          " segment that does not exist");
  after = t_listing (d);
  t_check (strcmp (before, after) == 0,
           "segments: destroying a missing segment creates nothing");
  free (before);
  free (after);

  /* Unmap refused while in a transaction.  */
  segs[0] = b;
  tid = rvm_begin_trans (rvm, 1, segs);
  rvm_about_to_modify (tid, b, 0, 4);
  memcpy (b, "bbb", 4);
  TRY (rvm_unmap (rvm, b));
  expect (EBUSY, RVM_EINTRANS, "rvm_unmap", "segments: rvm_unmap of a"
          " segment in an active transaction");
  TRY (rvm_destroy (rvm, "b"));
  expect (EEXIST, RVM_EMAPPED, "rvm_destroy", "segments: destroying a"
          " segment in an active transaction");
  sentinel ();
  rvm_commit_trans (tid);
  t_check (no_error () && memcmp (b, "bbb", 4) == 0,
           "segments: the transaction commits after the refused unmap");
  sentinel ();
  rvm_unmap (rvm, b);
  t_check (no_error (), "segments: rvm_unmap works after the commit");
  TRY (rvm_unmap (rvm, b));
  expect (EINVAL, RVM_ENOTMAPPED, "rvm_unmap", "segments: unmapping twice");

  /* The store works: a write through the first mapping commits.  */
  put (rvm, a, 100, "after", 6);
  free (junk);
  rvm_close (rvm);
  verify ("segments: the segment mapped once holds its data", d, "a", 0,
          "aaaa", 5);
  verify ("segments: a commit after the errors persists", d, "a", 100,
          "after", 6);
  verify ("segments: the transaction of the refused unmap persists", d,
          "b", 0, "bbb", 4);
  t_rmdir (d);
  free (d);
}

/* --- transactions ------------------------------------------------ */

static void
test_trans (void)
{
  char *d = t_tmpdir ("c-trans");
  char *a = NULL, *b = NULL, *c = NULL, *junk;
  void *segs[3];
  rvm_t rvm = rvm_init (d);
  trans_t t1, t2, done_c, done_a;
  static const trans_t unknown[] = { 987654, -1, 0, INT_MAX, INT_MIN };
  size_t i;

  if (rvm == NULL || (a = rvm_map (rvm, "a", SEGSIZE)) == NULL
      || (b = rvm_map (rvm, "b", SEGSIZE)) == NULL
      || (c = rvm_map (rvm, "c", SEGSIZE)) == NULL)
    t_bail ("trans: cannot set up: %s", rvm_errmsg ());
  junk = malloc (64);

  segs[0] = a;
  TRY (rvm_begin_trans (rvm, 0, segs));
  expect (EINVAL, RVM_EINVAL, "rvm_begin_trans", "trans: numsegs 0");
  t_check (TRY (rvm_begin_trans (rvm, -1, segs)) == (trans_t) -1,
           "trans: numsegs -1 returns -1");
  expect (EINVAL, RVM_EINVAL, "rvm_begin_trans", "trans: numsegs -1");
  TRY (rvm_begin_trans (rvm, INT_MIN, segs));
  expect (EINVAL, RVM_EINVAL, "rvm_begin_trans", "trans: numsegs INT_MIN");
  t_check (TRY (rvm_begin_trans (rvm, 1, NULL)) == (trans_t) -1,
           "trans: NULL segbases returns -1");
  expect (EINVAL, RVM_EINVAL, "rvm_begin", "trans: NULL segbases");
  segs[0] = NULL;
  TRY (rvm_begin_trans (rvm, 1, segs));
  expect (EINVAL, RVM_ENOTMAPPED, "rvm_begin", "trans: a NULL segment");
  segs[0] = a;
  segs[1] = a;
  TRY (rvm_begin_trans (rvm, 2, segs));
  expect (EINVAL, RVM_EINVAL, "rvm_begin", "trans: a segment listed twice");
  segs[1] = junk;
  TRY (rvm_begin_trans (rvm, 2, segs));
  expect (EINVAL, RVM_ENOTMAPPED, "rvm_begin", "trans: an unmapped"
          " pointer");
  segs[1] = a + 1;
  TRY (rvm_begin_trans (rvm, 2, segs));
  expect (EINVAL, RVM_ENOTMAPPED, "rvm_begin", "trans: a pointer inside a"
          " segment");
  /* None of the refused calls left "a" in a transaction.  */
  segs[0] = a;
  t1 = rvm_begin_trans (rvm, 1, segs);
  t_check (t1 != (trans_t) -1, "trans: refused begins leave the segment"
           " free");

  /* A segment already in a transaction.  */
  segs[0] = b;
  segs[1] = a;
  TRY (rvm_begin_trans (rvm, 2, segs));
  expect (EBUSY, RVM_EINTRANS, "rvm_begin", "trans: a segment already in"
          " a transaction");
  segs[0] = b;
  t2 = rvm_begin_trans (rvm, 1, segs);
  t_check (t2 != (trans_t) -1 && t2 != t1,
           "trans: the refused begin left the other segment free");

  /* about_to_modify on a segment not in the transaction.  */
  TRY (rvm_about_to_modify (t1, b, 0, 10));
  expect (EINVAL, RVM_ENOTINTRANS, "rvm_about_to_modify", "trans:"
          " about_to_modify on another transaction's segment");
  TRY (rvm_about_to_modify (t1, c, 0, 10));
  expect (EINVAL, RVM_ENOTINTRANS, "rvm_about_to_modify", "trans:"
          " about_to_modify on a segment in no transaction");
  TRY (rvm_about_to_modify (t1, junk, 0, 10));
  expect (EINVAL, RVM_ENOTINTRANS, "rvm_about_to_modify", "trans:"
          " about_to_modify on an unmapped pointer");
  TRY (rvm_about_to_modify (t1, NULL, 0, 10));
  expect (EINVAL, RVM_ENOTINTRANS, "rvm_about_to_modify", "trans:"
          " about_to_modify on NULL");
  TRY (rvm_about_to_modify (t1, a + 8, 0, 10));
  expect (EINVAL, RVM_ENOTINTRANS, "rvm_about_to_modify", "trans:"
          " about_to_modify on an address inside the segment");

  /* Unknown transaction ids.  */
  for (i = 0; i < sizeof unknown / sizeof *unknown; i++)
    {
      TRY (rvm_about_to_modify (unknown[i], a, 0, 10));
      expect (EINVAL, RVM_ETRANS, "rvm_about_to_modify", "trans:"
              " about_to_modify of transaction %d", unknown[i]);
      TRY (rvm_commit_trans (unknown[i]));
      expect (EINVAL, RVM_ETRANS, "rvm_commit", "trans: commit of"
              " transaction %d", unknown[i]);
      TRY (rvm_abort_trans (unknown[i]));
      expect (EINVAL, RVM_ETRANS, "rvm_abort", "trans: abort of"
              " transaction %d", unknown[i]);
    }

  /* Finished transactions.  */
  rvm_about_to_modify (t1, a, 0, 8);
  memcpy (a, "commit1", 8);
  rvm_commit_trans (t1);
  done_c = t1;
  rvm_about_to_modify (t2, b, 0, 8);
  memcpy (b, "aborted", 8);
  rvm_abort_trans (t2);
  done_a = t2;
  {
    static const char *const how[2] = { "committed", "aborted" };
    trans_t done[2];
    int k;
    done[0] = done_c;
    done[1] = done_a;
    for (k = 0; k < 2; k++)
      {
        TRY (rvm_about_to_modify (done[k], k ? b : a, 0, 10));
        expect (EINVAL, RVM_ETRANS, "rvm_about_to_modify", "trans:"
                " about_to_modify of a %s transaction", how[k]);
        TRY (rvm_commit_trans (done[k]));
        expect (EINVAL, RVM_ETRANS, "rvm_commit", "trans: commit of a %s"
                " transaction", how[k]);
        TRY (rvm_abort_trans (done[k]));
        expect (EINVAL, RVM_ETRANS, "rvm_abort", "trans: abort of a %s"
                " transaction", how[k]);
      }
  }
  t_check (memcmp (a, "commit1", 8) == 0 && b[0] == 0,
           "trans: calls on finished transactions change no memory");

  /* A new transaction still works, and a finished tid is not reused
     for it.  */
  segs[0] = a;
  segs[1] = b;
  segs[2] = c;
  t1 = rvm_begin_trans (rvm, 3, segs);
  t_check (t1 != (trans_t) -1 && t1 != done_c && t1 != done_a,
           "trans: a new transaction gets a new id");
  rvm_about_to_modify (t1, c, 0, 6);
  memcpy (c, "final", 6);
  sentinel ();
  rvm_commit_trans (t1);
  t_check (no_error (), "trans: the last commit succeeds");
  free (junk);
  rvm_close (rvm);
  verify ("trans: the first commit persisted", d, "a", 0, "commit1", 8);
  verify ("trans: the aborted change did not", d, "b", 0, "\0\0\0\0", 4);
  verify ("trans: a commit after the errors persisted", d, "c", 0, "final",
          6);
  t_rmdir (d);
  free (d);
}

int
main (int argc, char **argv)
{
  t_init (argc, argv);
  test_handles ();
  test_names ();
  test_sizes ();
  test_segments ();
  test_trans ();
  return t_done ();
}
