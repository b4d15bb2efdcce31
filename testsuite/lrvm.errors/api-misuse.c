/* api-misuse.c -- every misuse of the full API (<lrvm.h>) must return
   the right RVM_E* code, with rvm_errcode () and rvm_errmsg () agreeing,
   clear its output parameters, create or remove no file, and leave the
   store working, as a fresh process confirms.  */

#include <config.h>

#include <lrvm.h>
#include "testlib.h"
#include "teststore.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
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

#define TRY(call) (sentinel (), (call))

/* Check that R, the status of the last call, is CODE, that
   rvm_errcode () agrees, and that rvm_errmsg () is its own and names
   FN.  */
static int
expect (int r, int code, const char *fn, const char *fmt, ...)
{
  int c = rvm_errcode ();
  const char *m = rvm_errmsg ();
  char name[512];
  va_list ap;
  int ok;

  va_start (ap, fmt);
  vsnprintf (name, sizeof name, fmt, ap);
  va_end (ap);
  ok = r == code && c == code && m != NULL && strstr (m, fn) != NULL
       && strstr (m, "sentinel") == NULL;
  if (!ok)
    t_note ("%s: returned %d, code %d (want %d), message \"%s\"", name, r,
            c, code, m ? m : "(null)");
  return t_check (ok, "%s", name);
}

struct expect_data
{
  const char *dir, *name;
  size_t off;
  const void *data;
  size_t len;
};

static int
verify_child (void *arg)
{
  const struct expect_data *e = arg;
  rvm_t rvm;
  void *base;
  int r;

  if (rvm_open (e->dir, NULL, &rvm) != 0)
    return 3;
  if (rvm_map_segment (rvm, e->name, e->off + e->len, &base, NULL) != 0)
    r = 4;
  else
    r = memcmp ((char *) base + e->off, e->data, e->len) == 0 ? 0 : 1;
  rvm_close (rvm);
  return r;
}

/* Check, in a fresh process, that segment NAME of DIR holds DATA at
   OFF.  */
static int
verify (const char *what, const char *dir, const char *name, size_t off,
        const void *data, size_t len)
{
  struct expect_data e = { dir, name, off, data, len };
  char how[64];
  int ok = t_run_child (verify_child, &e, how, sizeof how);

  if (!ok)
    t_note ("%s: verifier: %s", what, how);
  return t_check (ok, "%s", what);
}

/* Commit LEN bytes of DATA at OFF of SEG; 0 or a status code.  */
static int
put (rvm_t rvm, void *seg, size_t off, const char *data, size_t len)
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
  memcpy ((char *) seg + off, data, len);
  return rvm_commit (tid, 0);
}

/* --- handles ----------------------------------------------------- */

static void
test_handles (void)
{
  char *d = t_tmpdir ("a-handles");
  char *before, *after;
  void *none, *seg, *base, *segs[1];
  rvm_t closed, bogus[3];
  struct rvm_statistics st;
  const char *what[3] = { "NULL handle", "inaccessible pointer",
                          "closed handle" };
  trans_t tid;
  size_t mapped;
  int i;

  none = mmap (NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (none == MAP_FAILED)
    t_bail ("mmap: %s", strerror (errno));
  closed = t_open (d, NULL);
  seg = t_map (closed, "keep", SEGSIZE);
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
      base = &base;
      mapped = 77;
      expect (TRY (rvm_map_segment (bogus[i], "keep", SEGSIZE, &base,
                                    &mapped)),
              RVM_EHANDLE, "rvm_map", "handles: rvm_map_segment, %s",
              what[i]);
      t_check (base == NULL, "handles: rvm_map_segment clears the base,"
               " %s", what[i]);
      expect (TRY (rvm_map_segment (bogus[i], "newseg", SEGSIZE, &base,
                                    NULL)),
              RVM_EHANDLE, "rvm_map", "handles: rvm_map_segment of a new"
              " name, %s", what[i]);
      expect (TRY (rvm_unmap_segment (bogus[i], seg)), RVM_EHANDLE,
              "rvm_unmap", "handles: rvm_unmap_segment, %s", what[i]);
      expect (TRY (rvm_destroy_segment (bogus[i], "keep")), RVM_EHANDLE,
              "rvm_destroy", "handles: rvm_destroy_segment, %s", what[i]);
      tid = 12345;
      expect (TRY (rvm_begin (bogus[i], 1, segs, 0, &tid)), RVM_EHANDLE,
              "rvm_begin", "handles: rvm_begin, %s", what[i]);
      t_check (tid == (trans_t) -1, "handles: rvm_begin sets the tid to"
               " -1, %s", what[i]);
      expect (TRY (rvm_flush (bogus[i])), RVM_EHANDLE, "rvm_flush",
              "handles: rvm_flush, %s", what[i]);
      expect (TRY (rvm_truncate (bogus[i])), RVM_EHANDLE, "rvm_truncate",
              "handles: rvm_truncate, %s", what[i]);
      expect (TRY (rvm_stats (bogus[i], &st, sizeof st)), RVM_EHANDLE,
              "rvm_stats", "handles: rvm_stats, %s", what[i]);
      expect (TRY (rvm_close (bogus[i])), RVM_EHANDLE, "rvm_close",
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
  t_rmdir (d);
  free (d);
}

/* --- rvm_open ---------------------------------------------------- */

static void
test_open (void)
{
  char *outer = t_tmpdir ("a-open");
  char d[4096];
  struct rvm_options o;
  struct
  {
    struct rvm_options o;
    char future[64];
  } big;
  rvm_t rvm;
  void *seg;
  static const struct
  {
    int field;                  /* 0 size, 1 sync_mode, 2 file_mode */
    long long value;
    const char *what;
  } bad[] = {
    { 0, 0, "options.size 0" },
    { 0, (long long) sizeof (size_t) - 1,
      "options.size smaller than a size_t" },
    { 1, 3, "sync_mode 3" },
    { 1, -1, "sync_mode -1" },
    { 1, INT_MAX, "sync_mode INT_MAX" },
    { 2, 010000, "file_mode 010000" },
    { 2, 0xffffffffll, "file_mode 0xffffffff" },
  };
  size_t i;

  snprintf (d, sizeof d, "%s/store", outer);
  rvm = (rvm_t) &o;
  expect (TRY (rvm_open (NULL, NULL, &rvm)), RVM_EINVAL, "rvm_open",
          "open: NULL directory");
  t_check (rvm == NULL, "open: a failed rvm_open clears the handle");
  expect (TRY (rvm_open ("", NULL, &rvm)), RVM_EINVAL, "rvm_open",
          "open: empty directory");
  expect (TRY (rvm_open (d, NULL, NULL)), RVM_EINVAL, "rvm_open",
          "open: NULL handle pointer");
  t_check (!t_exists (d), "open: a NULL handle pointer creates nothing");
  for (i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      rvm_options_init (&o);
      if (bad[i].field == 0)
        o.size = (size_t) bad[i].value;
      else if (bad[i].field == 1)
        o.sync_mode = (int) bad[i].value;
      else
        o.file_mode = (unsigned int) bad[i].value;
      rvm = (rvm_t) &o;
      expect (TRY (rvm_open (d, &o, &rvm)), RVM_EINVAL, "rvm_open",
              "open: %s", bad[i].what);
      t_check (rvm == NULL && !t_exists (d), "open: %s creates nothing",
               bad[i].what);
    }
  rvm_options_init (NULL);
  t_pass ("open: rvm_options_init (NULL) returns");

  /* Options from a later version, with fields this one ignores.  */
  rvm_options_init (&big.o);
  memset (big.future, 0x5a, sizeof big.future);
  big.o.size = sizeof big;
  rvm = NULL;
  t_check (rvm_open (d, &big.o, &rvm) == 0 && rvm != NULL,
           "open: larger options from a later version are accepted");
  if (rvm != NULL)
    {
      seg = t_map (rvm, "s", SEGSIZE);
      t_check (put (rvm, seg, 0, "opened", 7) == 0,
               "open: the store works after the refused opens");
      rvm_close (rvm);
      verify ("open: the commit persisted", d, "s", 0, "opened", 7);
    }
  t_rmdir (outer);
  free (outer);
}

/* --- segments ---------------------------------------------------- */

static const char *const bad_names[] = {
  "", "a/b", "../x", "..", ".", ".hidden", ".lrvm-log", ".lrvm-lock",
  "a b", "a\nb", "caf\xc3\xa9", "a*",
};

static void
test_segments (void)
{
  char *outer = t_tmpdir ("a-segs");
  char d[4096], d2[4096], name201[202], *before, *after;
  void *a, *b, *other, *base, *junk, *segs[1];
  rvm_t rvm, rvm2;
  size_t i, mapped;
  trans_t tid;
  int r;

  snprintf (d, sizeof d, "%s/one", outer);
  snprintf (d2, sizeof d2, "%s/two", outer);
  rvm = t_open (d, NULL);
  rvm2 = t_open (d2, NULL);
  a = t_map (rvm, "a", SEGSIZE);
  b = t_map (rvm, "b", SEGSIZE);
  other = t_map (rvm2, "a", SEGSIZE);
  junk = malloc (SEGSIZE);
  put (rvm, a, 0, "aaaa", 5);
  put (rvm2, other, 0, "other", 6);
  before = t_listing (outer);

  base = &base;
  expect (TRY (rvm_map_segment (rvm, NULL, SEGSIZE, &base, NULL)),
          RVM_EINVAL, "rvm_map", "segments: map NULL name");
  t_check (base == NULL, "segments: a failed map clears the base");
  expect (TRY (rvm_destroy_segment (rvm, NULL)), RVM_EINVAL, "rvm_destroy",
          "segments: destroy NULL name");
  for (i = 0; i < sizeof bad_names / sizeof *bad_names; i++)
    {
      expect (TRY (rvm_map_segment (rvm, bad_names[i], SEGSIZE, &base,
                                    NULL)),
              RVM_ENAME, "rvm_map", "segments: map bad name %zu", i);
      expect (TRY (rvm_destroy_segment (rvm, bad_names[i])), RVM_ENAME,
              "rvm_destroy", "segments: destroy bad name %zu", i);
    }
  memset (name201, 'n', 201);
  name201[201] = '\0';
  expect (TRY (rvm_map_segment (rvm, name201, SEGSIZE, &base, NULL)),
          RVM_ENAME, "rvm_map", "segments: map 201 characters");
  expect (TRY (rvm_destroy_segment (rvm, name201)), RVM_ENAME,
          "rvm_destroy", "segments: destroy 201 characters");
  name201[200] = '\0';
  expect (TRY (rvm_destroy_segment (rvm, name201)), RVM_ENOENT,
          "rvm_destroy", "segments: destroy of 200 characters is only"
          " missing");

  expect (TRY (rvm_map_segment (rvm, "c", SEGSIZE, NULL, NULL)), RVM_EINVAL,
          "rvm_map", "segments: map with a NULL base pointer");
  expect (TRY (rvm_map_segment (rvm, "c", 0, &base, NULL)), RVM_EINVAL,
          "rvm_map", "segments: map of size 0");
  expect (TRY (rvm_map_segment (rvm, "c", SIZE_MAX, &base, NULL)),
          RVM_ERANGE, "rvm_map", "segments: map of size SIZE_MAX");
  expect (TRY (rvm_map_segment (rvm, "c", (size_t) PTRDIFF_MAX + 1, &base,
                                NULL)),
          RVM_ERANGE, "rvm_map", "segments: map of size PTRDIFF_MAX + 1");
  expect (TRY (rvm_map_segment (rvm, "a", 0, &base, NULL)), RVM_EINVAL,
          "rvm_map", "segments: map of a mapped segment, size 0");
  mapped = 99;
  expect (TRY (rvm_map_segment (rvm, "a", SEGSIZE, &base, &mapped)),
          RVM_EMAPPED, "rvm_map", "segments: mapping twice");
  t_check (base == NULL && mapped == 99, "segments: mapping twice returns"
           " no base");
  /* Too large for the file system or the address space: refused one way
     or another, and nothing is left behind.  */
  r = TRY (rvm_map_segment (rvm, "c", (size_t) 1 << 62, &base, NULL));
  t_check (r != 0 && base == NULL && rvm_errcode () == r,
           "segments: map of 2^62 bytes fails");
  if (r == 0)
    rvm_unmap_segment (rvm, base);

  expect (TRY (rvm_unmap_segment (rvm, NULL)), RVM_ENOTMAPPED, "rvm_unmap",
          "segments: unmap NULL");
  expect (TRY (rvm_unmap_segment (rvm, junk)), RVM_ENOTMAPPED, "rvm_unmap",
          "segments: unmap a malloc'd pointer");
  expect (TRY (rvm_unmap_segment (rvm, (char *) a + 1)), RVM_ENOTMAPPED,
          "rvm_unmap", "segments: unmap an address inside a segment");
  expect (TRY (rvm_unmap_segment (rvm, other)), RVM_ENOTMAPPED,
          "rvm_unmap", "segments: unmap another store's segment");
  expect (TRY (rvm_destroy_segment (rvm, "a")), RVM_EMAPPED, "rvm_destroy",
          "segments: destroy a mapped segment");
  expect (TRY (rvm_destroy_segment (rvm, "nosuch")), RVM_ENOENT,
          "rvm_destroy", "segments: destroy a missing segment");

  /* In a transaction.  */
  segs[0] = b;
  rvm_begin (rvm, 1, segs, 0, &tid);
  expect (TRY (rvm_unmap_segment (rvm, b)), RVM_EINTRANS, "rvm_unmap",
          "segments: unmap a segment in a transaction");
  expect (TRY (rvm_destroy_segment (rvm, "b")), RVM_EMAPPED, "rvm_destroy",
          "segments: destroy a segment in a transaction");
  rvm_modify (tid, b, 0, 3);
  memcpy (b, "bb", 3);
  t_check (rvm_commit (tid, 0) == 0, "segments: the transaction commits");

  after = t_listing (outer);
  t_check (strcmp (before, after) == 0, "segments: no file created or"
           " removed by the refused calls");
  if (strcmp (before, after) != 0)
    t_note ("segments: before %s, after %s", before, after);
  free (before);
  free (after);
  t_check (t_file_size (d, "a") == SEGSIZE,
           "segments: the refused calls left the file's size");
  t_check (memcmp (other, "other", 6) == 0
           && put (rvm2, other, 10, "still", 6) == 0,
           "segments: the other store's segment is still mapped");
  t_check (put (rvm, a, 10, "after", 6) == 0,
           "segments: a commit after the errors succeeds");
  t_check (rvm_unmap_segment (rvm, b) == 0
           && rvm_destroy_segment (rvm, "b") == 0
           && t_file_size (d, "b") == -1,
           "segments: unmap then destroy works");
  free (junk);
  rvm_close (rvm);
  rvm_close (rvm2);
  verify ("segments: first commit persisted", d, "a", 0, "aaaa", 5);
  verify ("segments: commit after the errors persisted", d, "a", 10,
          "after", 6);
  verify ("segments: the other store's commits persisted", d2, "a", 10,
          "still", 6);
  t_rmdir (outer);
  free (outer);
}

/* Growing an existing segment to an impossible size keeps it as it
   was.  */
static void
test_grow_fails (void)
{
  char *d = t_tmpdir ("a-grow");
  rvm_t rvm = t_open (d, NULL);
  void *s = t_map (rvm, "s", SEGSIZE), *base;
  int r;

  put (rvm, s, 0, "grow", 5);
  rvm_unmap_segment (rvm, s);
  r = TRY (rvm_map_segment (rvm, "s", (size_t) 1 << 62, &base, NULL));
  t_check (r != 0 && base == NULL, "grow: map of an existing segment to"
           " 2^62 bytes fails");
  if (r == 0)
    rvm_unmap_segment (rvm, base);
  t_check (t_file_size (d, "s") == SEGSIZE, "grow: the failed map leaves"
           " the file's size");
  expect (TRY (rvm_map_segment (rvm, "s", SIZE_MAX, &base, NULL)),
          RVM_ERANGE, "rvm_map", "grow: map of an existing segment to"
          " SIZE_MAX");
  t_check (t_file_size (d, "s") == SEGSIZE, "grow: the refused map leaves"
           " the file's size");
  s = t_map (rvm, "s", SEGSIZE);
  t_check (put (rvm, s, 10, "again", 6) == 0,
           "grow: the segment maps and commits again");
  rvm_close (rvm);
  verify ("grow: data before the failed map persisted", d, "s", 0, "grow",
          5);
  verify ("grow: data after the failed map persisted", d, "s", 10, "again",
          6);
  t_rmdir (d);
  free (d);
}

/* --- transactions ------------------------------------------------ */

static void
test_begin (void)
{
  char *outer = t_tmpdir ("a-begin");
  char d[4096], d2[4096];
  void *a, *b, *other, *junk, *segs[2];
  rvm_t rvm, rvm2;
  trans_t tid, t1;
  static const unsigned int bad_flags[] = { 0x2, 0x80000000u, ~0u };
  size_t i;
  int r;

  snprintf (d, sizeof d, "%s/one", outer);
  snprintf (d2, sizeof d2, "%s/two", outer);
  rvm = t_open (d, NULL);
  rvm2 = t_open (d2, NULL);
  a = t_map (rvm, "a", SEGSIZE);
  b = t_map (rvm, "b", SEGSIZE);
  other = t_map (rvm2, "o", SEGSIZE);
  junk = malloc (64);
  segs[0] = a;
  segs[1] = b;

  expect (TRY (rvm_begin (rvm, 1, segs, 0, NULL)), RVM_EINVAL, "rvm_begin",
          "begin: NULL tid pointer");
  tid = 5;
  expect (TRY (rvm_begin (rvm, 1, NULL, 0, &tid)), RVM_EINVAL, "rvm_begin",
          "begin: NULL segbases");
  t_check (tid == (trans_t) -1, "begin: a failed begin sets the tid to -1");
  expect (TRY (rvm_begin (rvm, 0, segs, 0, &tid)), RVM_EINVAL, "rvm_begin",
          "begin: no segments");
  for (i = 0; i < sizeof bad_flags / sizeof *bad_flags; i++)
    expect (TRY (rvm_begin (rvm, 1, segs, bad_flags[i], &tid)), RVM_EINVAL,
            "rvm_begin", "begin: unknown flags %#x", bad_flags[i]);
  r = TRY (rvm_begin (rvm, SIZE_MAX / 4, segs, 0, &tid));
  t_check ((r == RVM_ENOMEM || r == RVM_EINVAL) && rvm_errcode () == r
           && tid == (trans_t) -1, "begin: an impossible number of"
           " segments fails");
  segs[1] = a;
  expect (TRY (rvm_begin (rvm, 2, segs, 0, &tid)), RVM_EINVAL, "rvm_begin",
          "begin: a segment listed twice");
  segs[1] = junk;
  expect (TRY (rvm_begin (rvm, 2, segs, 0, &tid)), RVM_ENOTMAPPED,
          "rvm_begin", "begin: an unmapped pointer");
  segs[1] = NULL;
  expect (TRY (rvm_begin (rvm, 2, segs, 0, &tid)), RVM_ENOTMAPPED,
          "rvm_begin", "begin: a NULL segment");
  segs[1] = other;
  expect (TRY (rvm_begin (rvm, 2, segs, 0, &tid)), RVM_ENOTMAPPED,
          "rvm_begin", "begin: another store's segment");
  segs[1] = b;
  t_check (rvm_begin (rvm, 2, segs, 0, &t1) == 0,
           "begin: refused begins leave the segments free");
  segs[0] = b;
  expect (TRY (rvm_begin (rvm, 1, segs, RVM_NO_RESTORE, &tid)),
          RVM_EINTRANS, "rvm_begin", "begin: a segment already in a"
          " transaction");
  t_check (rvm_abort (t1) == 0, "begin: abort the transaction");
  t_check (rvm_begin (rvm, 1, segs, 0, &tid) == 0
           && rvm_commit (tid, 0) == 0, "begin: the segment is free after"
           " the abort");
  free (junk);
  rvm_close (rvm);
  rvm_close (rvm2);
  t_rmdir (outer);
  free (outer);
}

static void
test_ranges (void)
{
  char *outer = t_tmpdir ("a-ranges");
  char d[4096], d2[4096];
  char *a, *b, *other, *junk;
  void *segs[1];
  rvm_t rvm, rvm2;
  trans_t tid, done;
  static const trans_t unknown[] = { 987654, -1, 0, INT_MAX, INT_MIN };
  static const struct
  {
    size_t off, size;
    int code;
    const char *what;
  } bad[] = {
    { 0, 0, RVM_EINVAL, "size 0" },
    { SEGSIZE, 0, RVM_EINVAL, "size 0 at the end" },
    { SEGSIZE, 1, RVM_ERANGE, "offset at the end" },
    { SEGSIZE - 1, 2, RVM_ERANGE, "past the end by one" },
    { 0, SEGSIZE + 1, RVM_ERANGE, "one more than the segment" },
    { SIZE_MAX, 1, RVM_ERANGE, "offset SIZE_MAX" },
    { SIZE_MAX, 2, RVM_ERANGE, "offset SIZE_MAX, size 2" },
    { 1, SIZE_MAX, RVM_ERANGE, "offset 1, size SIZE_MAX" },
    { SIZE_MAX, SIZE_MAX, RVM_ERANGE, "offset and size SIZE_MAX" },
    { SEGSIZE / 2, SIZE_MAX - SEGSIZE / 2 + 2, RVM_ERANGE,
      "offset + size wraps to 1" },
  };
  size_t i;

  snprintf (d, sizeof d, "%s/one", outer);
  snprintf (d2, sizeof d2, "%s/two", outer);
  rvm = t_open (d, NULL);
  rvm2 = t_open (d2, NULL);
  a = t_map (rvm, "a", SEGSIZE);
  b = t_map (rvm, "b", SEGSIZE);
  other = t_map (rvm2, "o", SEGSIZE);
  junk = malloc (64);
  segs[0] = a;
  if (rvm_begin (rvm, 1, segs, 0, &tid) != 0)
    t_bail ("ranges: cannot begin: %s", rvm_errmsg ());

  for (i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      expect (TRY (rvm_modify (tid, a, bad[i].off, bad[i].size)),
              bad[i].code, "rvm_about_to_modify", "ranges: rvm_modify, %s",
              bad[i].what);
      if (bad[i].off < SEGSIZE)
        expect (TRY (rvm_set_range (tid, a + bad[i].off, bad[i].size)),
                bad[i].code, "rvm_set_range", "ranges: rvm_set_range, %s",
                bad[i].what);
    }
  expect (TRY (rvm_modify (tid, b, 0, 1)), RVM_ENOTINTRANS,
          "rvm_about_to_modify", "ranges: rvm_modify of a segment not in"
          " the transaction");
  expect (TRY (rvm_modify (tid, other, 0, 1)), RVM_ENOTINTRANS,
          "rvm_about_to_modify", "ranges: rvm_modify of another store's"
          " segment");
  expect (TRY (rvm_modify (tid, NULL, 0, 1)), RVM_ENOTINTRANS,
          "rvm_about_to_modify", "ranges: rvm_modify of NULL");
  expect (TRY (rvm_modify (tid, a + 1, 0, 1)), RVM_ENOTINTRANS,
          "rvm_about_to_modify", "ranges: rvm_modify of an address inside"
          " the segment");
  expect (TRY (rvm_set_range (tid, NULL, 1)), RVM_ENOTINTRANS,
          "rvm_set_range", "ranges: rvm_set_range of NULL");
  expect (TRY (rvm_set_range (tid, junk, 1)), RVM_ENOTINTRANS,
          "rvm_set_range", "ranges: rvm_set_range of a malloc'd pointer");
  expect (TRY (rvm_set_range (tid, (void *) ((uintptr_t) a - 1), 1)),
          RVM_ENOTINTRANS, "rvm_set_range", "ranges: rvm_set_range just"
          " before the segment");
  expect (TRY (rvm_set_range (tid, (void *) ((uintptr_t) a - 1), 2)),
          RVM_ENOTINTRANS, "rvm_set_range", "ranges: rvm_set_range"
          " straddling the start of the segment");
  expect (TRY (rvm_set_range (tid, a + SEGSIZE, 1)), RVM_ENOTINTRANS,
          "rvm_set_range", "ranges: rvm_set_range just after the segment");
  expect (TRY (rvm_set_range (tid, b, 1)), RVM_ENOTINTRANS,
          "rvm_set_range", "ranges: rvm_set_range in a segment not in the"
          " transaction");
  expect (TRY (rvm_set_range (tid, other + 10, 1)), RVM_ENOTINTRANS,
          "rvm_set_range", "ranges: rvm_set_range in another store's"
          " segment");
  for (i = 0; i < sizeof unknown / sizeof *unknown; i++)
    {
      expect (TRY (rvm_modify (unknown[i], a, 0, 1)), RVM_ETRANS,
              "rvm_about_to_modify", "ranges: rvm_modify of transaction"
              " %d", unknown[i]);
      expect (TRY (rvm_set_range (unknown[i], a, 1)), RVM_ETRANS,
              "rvm_set_range", "ranges: rvm_set_range of transaction %d",
              unknown[i]);
      expect (TRY (rvm_commit (unknown[i], 0)), RVM_ETRANS, "rvm_commit",
              "ranges: rvm_commit of transaction %d", unknown[i]);
      expect (TRY (rvm_abort (unknown[i])), RVM_ETRANS, "rvm_abort",
              "ranges: rvm_abort of transaction %d", unknown[i]);
    }

  /* The transaction survives all of that.  */
  t_check (rvm_set_range (tid, a + SEGSIZE - 1, 1) == 0
           && rvm_modify (tid, a, 0, 1) == 0,
           "ranges: the extreme valid ranges are accepted");
  a[0] = 'F';
  a[SEGSIZE - 1] = 'L';
  expect (TRY (rvm_commit (tid, 0x2)), RVM_EINVAL, "rvm_commit",
          "ranges: rvm_commit with unknown flags");
  expect (TRY (rvm_commit (tid, ~0u)), RVM_EINVAL, "rvm_commit",
          "ranges: rvm_commit with all flags");
  t_check (rvm_set_range (tid, a + 100, 5) == 0,
           "ranges: the transaction is active after the refused commits");
  memcpy (a + 100, "mid!", 5);
  t_check (rvm_commit (tid, 0) == 0, "ranges: the transaction commits");
  done = tid;
  expect (TRY (rvm_modify (done, a, 0, 1)), RVM_ETRANS,
          "rvm_about_to_modify", "ranges: rvm_modify of a committed"
          " transaction");
  expect (TRY (rvm_set_range (done, a, 1)), RVM_ETRANS, "rvm_set_range",
          "ranges: rvm_set_range of a committed transaction");
  expect (TRY (rvm_commit (done, 0)), RVM_ETRANS, "rvm_commit",
          "ranges: rvm_commit of a committed transaction");
  expect (TRY (rvm_abort (done)), RVM_ETRANS, "rvm_abort",
          "ranges: rvm_abort of a committed transaction");
  t_check (a[0] == 'F', "ranges: abort of a committed transaction restores"
           " nothing");
  rvm_begin (rvm, 1, segs, 0, &tid);
  rvm_modify (tid, a, 0, 1);
  a[0] = 'X';
  rvm_abort (tid);
  expect (TRY (rvm_abort (tid)), RVM_ETRANS, "rvm_abort",
          "ranges: rvm_abort of an aborted transaction");
  expect (TRY (rvm_commit (tid, RVM_NO_FLUSH)), RVM_ETRANS, "rvm_commit",
          "ranges: rvm_commit of an aborted transaction");
  expect (TRY (rvm_modify (tid, a, 0, 1)), RVM_ETRANS,
          "rvm_about_to_modify", "ranges: rvm_modify of an aborted"
          " transaction");
  free (junk);
  rvm_close (rvm);
  rvm_close (rvm2);
  verify ("ranges: first byte persisted", d, "a", 0, "F", 1);
  verify ("ranges: last byte persisted", d, "a", SEGSIZE - 1, "L", 1);
  verify ("ranges: range declared after the refused commits persisted", d,
          "a", 100, "mid!", 5);
  t_rmdir (outer);
  free (outer);
}

/* RVM_NO_RESTORE: abort is refused and the transaction stays active
   and committable.  */
static void
test_no_restore (void)
{
  char *d = t_tmpdir ("a-norestore");
  rvm_t rvm = t_open (d, NULL);
  char *a = t_map (rvm, "a", SEGSIZE);
  void *segs[1];
  trans_t tid, t2;

  segs[0] = a;
  put (rvm, a, 0, "old", 4);
  t_check (rvm_begin (rvm, 1, segs, RVM_NO_RESTORE, &tid) == 0,
           "norestore: begin");
  rvm_modify (tid, a, 0, 4);
  memcpy (a, "new", 4);
  expect (TRY (rvm_abort (tid)), RVM_ENORESTORE, "rvm_abort",
          "norestore: abort is refused");
  t_check (memcmp (a, "new", 4) == 0, "norestore: the refused abort leaves"
           " memory alone");
  expect (TRY (rvm_begin (rvm, 1, segs, 0, &t2)), RVM_EINTRANS, "rvm_begin",
          "norestore: the segment is still in the transaction");
  expect (TRY (rvm_unmap_segment (rvm, a)), RVM_EINTRANS, "rvm_unmap",
          "norestore: the segment cannot be unmapped");
  expect (TRY (rvm_abort (tid)), RVM_ENORESTORE, "rvm_abort",
          "norestore: a second abort is refused too");
  t_check (rvm_modify (tid, a, 100, 4) == 0,
           "norestore: the transaction is still active");
  memcpy (a + 100, "two", 4);
  t_check (rvm_commit (tid, RVM_NO_FLUSH) == 0 && rvm_flush (rvm) == 0,
           "norestore: the transaction commits");
  expect (TRY (rvm_abort (tid)), RVM_ETRANS, "rvm_abort",
          "norestore: abort after the commit is an unknown transaction");
  t_check (rvm_begin (rvm, 1, segs, 0, &t2) == 0 && rvm_abort (t2) == 0,
           "norestore: the segment is free after the commit");
  rvm_close (rvm);
  verify ("norestore: the first range persisted", d, "a", 0, "new", 4);
  verify ("norestore: the range declared after the refused abort"
          " persisted", d, "a", 100, "two", 4);
  t_rmdir (d);
  free (d);
}

/* Closing a store ends its transactions without committing them.  */
static void
test_close_active (void)
{
  char *d = t_tmpdir ("a-close");
  rvm_t rvm = t_open (d, NULL);
  char *a = t_map (rvm, "a", SEGSIZE);
  void *segs[1];
  trans_t tid;

  segs[0] = a;
  put (rvm, a, 0, "kept", 5);
  rvm_begin (rvm, 1, segs, 0, &tid);
  rvm_modify (tid, a, 0, 5);
  memcpy (a, "lost", 5);
  t_check (rvm_close (rvm) == 0, "close: close with an active transaction");
  expect (TRY (rvm_modify (tid, a, 0, 1)), RVM_ETRANS,
          "rvm_about_to_modify", "close: rvm_modify of a transaction of a"
          " closed store");
  expect (TRY (rvm_set_range (tid, a, 1)), RVM_ETRANS, "rvm_set_range",
          "close: rvm_set_range of a transaction of a closed store");
  expect (TRY (rvm_commit (tid, 0)), RVM_ETRANS, "rvm_commit",
          "close: rvm_commit of a transaction of a closed store");
  expect (TRY (rvm_abort (tid)), RVM_ETRANS, "rvm_abort",
          "close: rvm_abort of a transaction of a closed store");
  verify ("close: the uncommitted change is gone", d, "a", 0, "kept", 5);
  t_rmdir (d);
  free (d);
}

static void
test_stats (void)
{
  char *d = t_tmpdir ("a-stats");
  rvm_t rvm = t_open (d, NULL);
  struct rvm_statistics st;
  uint64_t *small;

  expect (TRY (rvm_stats (rvm, NULL, sizeof st)), RVM_EINVAL, "rvm_stats",
          "stats: NULL buffer");
  expect (TRY (rvm_stats (rvm, &st, 0)), RVM_EINVAL, "rvm_stats",
          "stats: size 0");
  /* An older, smaller struct is filled only as far as it goes.  */
  small = malloc (sizeof *small);
  t_check (rvm_stats (rvm, (struct rvm_statistics *) (void *) small,
                      sizeof *small) == 0,
           "stats: a smaller buffer is filled up to its size");
  free (small);
  rvm_close (rvm);
  t_rmdir (d);
  free (d);
}

int
main (int argc, char **argv)
{
  t_init (argc, argv);
  test_handles ();
  test_open ();
  test_segments ();
  test_grow_fails ();
  test_begin ();
  test_ranges ();
  test_no_restore ();
  test_close_active ();
  test_stats ();
  return t_done ();
}
