/* commands.c -- the lrvm command's interface and its subcommands that
   change a store: --help, --version and usage errors; a store held by
   another process is refused by every subcommand and left unchanged;
   recover, truncate, create and destroy do what they say.

   Usage: commands PATH-OF-THE-LRVM-TOOL  */

#include <config.h>

#include "lrvm-internal.h"
#include "testlib.h"
#include "toolrun.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NREC 5

static uint64_t rng;

/* Nonzero if the segment files of S hold its committed contents.  */
static int
files_committed (const struct tr_store *s)
{
  int g, ok = 1;

  for (g = 0; g < TR_NSEG; g++)
    {
      size_t len;
      unsigned char *f = tr_read_file (s->dir, s->name[g], &len);
      ok &= f != NULL && len == s->size[g]
            && memcmp (f, s->seg[g], len) == 0;
      free (f);
    }
  return ok;
}

static int
live_records (const char *dir, uint64_t *n)
{
  struct tr_result r;
  int ok;

  tr_run (&r, "info", dir, NULL);
  ok = r.code == 0 && tr_u64 (&r, "live records: ", n) == 0;
  tr_free (&r);
  return ok ? 0 : -1;
}

/* --- the interface ------------------------------------------------- */

static void
test_help_version (void)
{
  static const char *const words[] = {
    "info DIR", "verify DIR", "log [--hex] DIR", "cat [--offset=N]",
    "recover DIR", "truncate DIR", "create DIR SEGMENT SIZE",
    "destroy DIR SEGMENT", "--hex", "--offset=N", "--length=N", "--help",
    "--version", "Exit status"
  };
  struct tr_result r;
  char want[64];
  size_t i;
  int all = 1;

  tr_run (&r, "--help", NULL);
  t_check (r.code == 0 && r.errlen == 0
           && strncmp (r.out, "Usage: lrvm ", 12) == 0,
           "--help: usage on stdout, exit 0");
  for (i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strstr (r.out, words[i]) == NULL)
      {
        t_note ("--help does not mention \"%s\"", words[i]);
        all = 0;
      }
  t_check (all, "--help: lists every subcommand and option");
  tr_free (&r);
  tr_run (&r, "-h", NULL);
  t_check (r.code == 0 && strncmp (r.out, "Usage: lrvm ", 12) == 0,
           "-h: usage, exit 0");
  tr_free (&r);
  tr_run (&r, "info", "--help", NULL);
  t_check (r.code == 0 && strncmp (r.out, "Usage: lrvm ", 12) == 0,
           "--help after a subcommand: usage, exit 0");
  tr_free (&r);

  snprintf (want, sizeof want, "lrvm (%s) %s\n", PACKAGE_NAME,
            PACKAGE_VERSION);
  tr_run (&r, "--version", NULL);
  t_check (r.code == 0 && r.errlen == 0
           && strncmp (r.out, want, strlen (want)) == 0,
           "--version: the package version, exit 0");
  tr_free (&r);
  tr_run (&r, "-V", NULL);
  t_check (r.code == 0 && strncmp (r.out, want, strlen (want)) == 0,
           "-V: the package version, exit 0");
  tr_free (&r);
}

static void
test_usage (void)
{
  static const char *const bad[][6] = {
    { NULL },
    { "bogus", "@", NULL },
    { "info", NULL },
    { "info", "@", "@", NULL },
    { "--frobnicate", "info", "@", NULL },
    { "-q", "info", "@", NULL },
    { "info", "--hex", "@", NULL },
    { "verify", "--offset=1", "@", NULL },
    { "log", "--length", "5", "@", NULL },
    { "cat", "@", NULL },
    { "cat", "--offset", NULL },
    { "cat", "--offset=-1", "@", "alpha", NULL },
    { "cat", "--length=1T", "@", "alpha", NULL },
    { "cat", "@", "a/b", NULL },
    { "create", "@", "gamma", NULL },
    { "create", "@", "gamma", "0", NULL },
    { "create", "@", "gamma", "12Q", NULL },
    { "create", "@", "gamma", "99999999999999999999", NULL },
    { "create", "@", ".hidden", "1K", NULL },
    { "destroy", "@", NULL },
    { "destroy", "@", "..", NULL },
    { "recover", "@", "alpha", NULL },
    { "truncate", NULL },
  };
  struct tr_store s;
  struct tr_snap a, b;
  size_t i;

  tr_store_build (&s, "usage", NREC, &rng);
  tr_snapshot (s.dir, &a);
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      const char *v[6];
      char shown[256];
      struct tr_result r;
      size_t k = 0, j;

      shown[0] = '\0';
      for (j = 0; bad[i][j] != NULL; j++)
        {
          v[j] = strcmp (bad[i][j], "@") == 0 ? s.dir : bad[i][j];
          k += (size_t) snprintf (shown + k, sizeof shown - k, " %s",
                                  bad[i][j]);
        }
      for (; j < 6; j++)
        v[j] = NULL;
      tr_run (&r, v[0], v[1], v[2], v[3], v[4], v[5], NULL);
      t_check (tr_failed (&r, 2) && r.outlen == 0
               && strstr (r.err, "Try 'lrvm --help'") != NULL,
               "usage error, exit 2:%s", shown[0] ? shown : " (nothing)");
      tr_free (&r);
    }
  tr_snapshot (s.dir, &b);
  t_check (tr_snap_equal (&a, &b), "usage errors change nothing");
  tr_snap_free (&a);
  tr_snap_free (&b);
  tr_store_free (&s);
}

/* --- a held store --------------------------------------------------- */

struct hold
{
  const char *dir;
  int ready, release, release_w;
};

/* Open the store, say so, and keep it until the parent lets go.  */
static int
holder (void *arg)
{
  struct hold *h = arg;
  rvm_t rvm;
  char c;

  close (h->release_w);
  if (rvm_open (h->dir, NULL, &rvm) != 0)
    return 3;
  if (write (h->ready, "R", 1) != 1)
    return 4;
  while (read (h->release, &c, 1) < 0 && errno == EINTR)
    continue;
  return rvm_close (rvm) == 0 ? 0 : 5;
}

static void
test_held (void)
{
  struct tr_store s;
  struct tr_snap a, b;
  struct hold h;
  int ready[2], release[2], all_same = 1;
  char c, how[32];
  pid_t pid;
  size_t i;

  tr_store_build (&s, "held", NREC, &rng);
  if (pipe (ready) != 0 || pipe (release) != 0)
    t_bail ("pipe: %s", strerror (errno));
  h.dir = s.dir;
  h.ready = ready[1];
  h.release = release[0];
  h.release_w = release[1];
  pid = t_fork (holder, &h);
  close (ready[1]);
  close (release[0]);
  if (read (ready[0], &c, 1) != 1)
    t_bail ("the holder did not open the store");

  tr_snapshot (s.dir, &a);
  {
    static const char *const cmds[][4] = {
      { "info", "@", NULL },
      { "verify", "@", NULL },
      { "log", "@", NULL },
      { "cat", "@", "alpha", NULL },
      { "recover", "@", NULL },
      { "truncate", "@", NULL },
      { "create", "@", "gamma", "4K" },
      { "destroy", "@", "alpha", NULL },
    };
    for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
      {
        const char *v[4];
        struct tr_result r;
        size_t j;

        for (j = 0; j < 4; j++)
          v[j] = cmds[i][j] != NULL && strcmp (cmds[i][j], "@") == 0
                 ? s.dir : cmds[i][j];
        tr_run (&r, v[0], v[1], v[2], v[3], NULL);
        t_check (tr_failed (&r, 1) && strstr (r.err, "held") != NULL
                 && r.outlen == 0, "held store: %s refuses it, exit 1",
                 cmds[i][0]);
        tr_free (&r);
        tr_snapshot (s.dir, &b);
        if (!tr_snap_equal (&a, &b))
          {
            t_note ("held store: %s changed the store", cmds[i][0]);
            all_same = 0;
          }
        tr_snap_free (&b);
      }
  }
  t_check (all_same, "held store: no subcommand changes anything");
  tr_snap_free (&a);
  close (release[1]);
  t_wait (pid, NULL, how, sizeof how);
  t_note ("held store: the holder ended with %s", how);
  t_check (strcmp (how, "exit 0") == 0, "held store: the holder closes it"
           " cleanly");
  close (ready[0]);
  tr_store_free (&s);
}

/* --- recover, truncate --------------------------------------------- */

static void
test_recover (void)
{
  struct tr_store s;
  struct tr_result r;
  unsigned long long n;
  uint64_t live;
  char want[4096];

  tr_store_build (&s, "recover", NREC, &rng);
  tr_run (&r, "recover", s.dir, NULL);
  snprintf (want, sizeof want, "recovered %s: %%llu record", s.dir);
  t_check (r.code == 0 && r.errlen == 0 && sscanf (r.out, want, &n) == 1
           && n == NREC, "recover: reports the records it replayed");
  tr_free (&r);
  t_check (files_committed (&s), "recover: the files hold what was"
           " committed");
  t_check (live_records (s.dir, &live) == 0 && live == 0,
           "recover: no live records are left");
  tr_run (&r, "recover", s.dir, NULL);
  t_check (r.code == 0 && sscanf (r.out, want, &n) == 1 && n == 0
           && files_committed (&s), "recover: again: nothing to replay");
  tr_free (&r);
  tr_store_free (&s);
}

static void
test_truncate (void)
{
  struct tr_store s;
  struct tr_result r;
  unsigned long long n, size;
  uint64_t live;
  char want[4096];

  tr_store_build (&s, "truncate", NREC, &rng);
  t_check (live_records (s.dir, &live) == 0 && live == NREC,
           "truncate: precondition: live records");
  tr_run (&r, "truncate", s.dir, NULL);
  snprintf (want, sizeof want, "truncated %s: %%llu records replayed; the"
            " log is %%llu bytes", s.dir);
  t_check (r.code == 0 && r.errlen == 0
           && sscanf (r.out, want, &n, &size) == 2 && n == NREC
           && (long long) size == t_file_size (s.dir, LRVM_LOG_NAME),
           "truncate: reports the records replayed and the log size");
  tr_free (&r);
  t_check (files_committed (&s), "truncate: the files hold what was"
           " committed");
  t_check (live_records (s.dir, &live) == 0 && live == 0,
           "truncate: no live records are left");
  tr_store_free (&s);

  /* A log grown past its reserve shrinks back to it.  */
  {
    char *d = t_tmpdir ("shrink");
    struct rvm_options o;
    size_t big = (size_t) 3 << 19, i, len;
    unsigned char *seg, *f;
    rvm_t rvm;
    trans_t tid;
    long long before;
    void *base = NULL;

    rvm_options_init (&o);
    o.sync_mode = RVM_SYNC_NONE;
    if (rvm_open (d, &o, &rvm) != 0
        || rvm_map_segment (rvm, "big", big, &base, NULL) != 0
        || rvm_begin (rvm, 1, &base, 0, &tid) != 0
        || rvm_modify (tid, base, 0, big) != 0)
      t_bail ("cannot build the store: %s", rvm_errmsg ());
    seg = base;
    for (i = 0; i < big; i++)
      seg[i] = (unsigned char) t_rand (&rng);
    seg = malloc (big);
    if (seg == NULL)
      t_bail ("out of memory");
    memcpy (seg, base, big);
    if (rvm_commit (tid, 0) != 0 || rvm_close (rvm) != 0)
      t_bail ("cannot commit: %s", rvm_errmsg ());
    before = t_file_size (d, LRVM_LOG_NAME);
    t_check (before > (long long) (LRVM_LOG_DATA_START
                                   + LRVM_DEFAULT_RESERVE),
             "truncate: precondition: the log is larger than the reserve");
    tr_run (&r, "cat", d, "big", NULL);
    t_check (r.code == 0 && r.outlen == big
             && memcmp (r.out, seg, big) == 0,
             "cat: a record larger than a read window");
    tr_free (&r);
    tr_run (&r, "truncate", d, NULL);
    snprintf (want, sizeof want, "truncated %s: %%llu record replayed; the"
              " log is %%llu bytes", d);
    t_check (r.code == 0 && sscanf (r.out, want, &n, &size) == 2 && n == 1
             && (long long) size == t_file_size (d, LRVM_LOG_NAME)
             && size <= LRVM_LOG_DATA_START + LRVM_DEFAULT_RESERVE,
             "truncate: the log shrinks to the reserve");
    tr_free (&r);
    f = tr_read_file (d, "big", &len);
    t_check (f != NULL && len == big && memcmp (f, seg, big) == 0,
             "truncate: the large record reaches the file");
    free (f);
    free (seg);
    t_rmdir (d);
    free (d);
  }
}

/* --- create, destroy ------------------------------------------------ */

static int
all_zero (const char *dir, const char *name, size_t want)
{
  size_t len, i;
  unsigned char *f = tr_read_file (dir, name, &len);
  int ok = f != NULL && len == want;

  for (i = 0; ok && i < len; i++)
    ok = f[i] == 0;
  free (f);
  return ok;
}

static void
test_create (void)
{
  char *top = t_tmpdir ("create"), d[4096], want[256];
  struct tr_result r;
  uint64_t v;

  snprintf (d, sizeof d, "%s/store", top);
  tr_run (&r, "create", d, "seg1", "16K", NULL);
  t_check (r.code == 0 && strcmp (r.out, "created segment seg1: 16384"
                                  " bytes\n") == 0
           && all_zero (d, "seg1", 16384)
           && t_file_size (d, LRVM_LOG_NAME) >= LRVM_LOG_DATA_START,
           "create: a new store and a 16K segment of zeros");
  tr_free (&r);
  tr_run (&r, "create", d, "seg1", "1K", NULL);
  t_check (r.code == 0 && strstr (r.out, "unchanged") != NULL
           && t_file_size (d, "seg1") == 16384,
           "create: a smaller size leaves the segment as it is");
  tr_free (&r);
  tr_run (&r, "create", d, "seg1", "1M", NULL);
  t_check (r.code == 0 && strncmp (r.out, "grew segment seg1", 17) == 0
           && all_zero (d, "seg1", 1 << 20),
           "create: a larger size grows it, zero-filled");
  tr_free (&r);
  tr_run (&r, "create", d, "seg-2.x_y", "3000", NULL);
  t_check (r.code == 0 && t_file_size (d, "seg-2.x_y") == 3000,
           "create: a size in bytes");
  tr_free (&r);
  tr_run (&r, "info", d, NULL);
  snprintf (want, sizeof want, "segment seg1: ");
  t_check (r.code == 0 && tr_u64 (&r, want, &v) == 0 && v == 1 << 20
           && tr_u64 (&r, "segments: ", &v) == 0 && v == 2,
           "info: lists the created segments");
  tr_free (&r);
  snprintf (d, sizeof d, "%s/no/such/parent", top);
  tr_run (&r, "create", d, "seg1", "1K", NULL);
  t_check (tr_failed (&r, 1), "create: a store whose parent is missing"
           " fails");
  tr_free (&r);
  t_rmdir (top);
  free (top);
}

static void
test_destroy (void)
{
  struct tr_store s;
  struct tr_result r;
  size_t len;
  unsigned char *f;
  uint64_t live;

  tr_store_build (&s, "destroy", NREC, &rng);
  tr_run (&r, "destroy", s.dir, "beta", NULL);
  t_check (r.code == 0 && strcmp (r.out, "destroyed segment beta\n") == 0
           && t_file_size (s.dir, "beta") < 0,
           "destroy: the segment file is gone");
  tr_free (&r);
  f = tr_read_file (s.dir, "alpha", &len);
  t_check (f != NULL && len == s.size[0] && memcmp (f, s.seg[0], len) == 0
           && live_records (s.dir, &live) == 0 && live == 0,
           "destroy: the other segments' records were applied first");
  free (f);
  tr_run (&r, "destroy", s.dir, "beta", NULL);
  t_check (tr_failed (&r, 1) && strstr (r.err, "no segment") != NULL,
           "destroy: a segment that does not exist fails");
  tr_free (&r);
  tr_store_free (&s);
}

/* Commands that change a store refuse a directory that holds none.  */
static void
test_not_a_store (void)
{
  static const char *const cmds[][3] = {
    { "recover", NULL }, { "truncate", NULL }, { "destroy", "alpha" },
    { "info", NULL }, { "verify", NULL }, { "log", NULL },
    { "cat", "alpha" },
  };
  char *d = t_tmpdir ("empty"), sub[4096];
  struct tr_snap a, b;
  struct stat st;
  size_t i;

  snprintf (sub, sizeof sub, "%s/missing", d);
  for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    {
      struct tr_result r;
      int ok;

      tr_snapshot (d, &a);
      tr_run (&r, cmds[i][0], d, cmds[i][1], NULL);
      tr_snapshot (d, &b);
      ok = tr_failed (&r, 1) && tr_snap_equal (&a, &b);
      tr_free (&r);
      tr_run (&r, cmds[i][0], sub, cmds[i][1], NULL);
      ok &= tr_failed (&r, 1) && lstat (sub, &st) != 0;
      tr_free (&r);
      t_check (ok, "%s: no store, or no directory: exit 1, nothing made",
               cmds[i][0]);
      tr_snap_free (&a);
      tr_snap_free (&b);
    }
  t_rmdir (d);
  free (d);
}

int
main (int argc, char **argv)
{
  tr_init (argc, argv);
  rng = t_seed ("commands");
  test_help_version ();
  test_usage ();
  test_held ();
  test_recover ();
  test_truncate ();
  test_create ();
  test_destroy ();
  test_not_a_store ();
  return t_done ();
}
