/* store-misuse.c -- problems with the store directory: a regular file,
   a missing parent, a store held by another process or handle, an
   unwritable directory, and symbolic links, FIFOs or directories planted
   in the store.  Every open or map fails cleanly, nothing outside the
   store is read or written, and the store works again afterwards.  */

#include <config.h>

#include <lrvm.h>
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SEGSIZE 4096

/* --- helpers ----------------------------------------------------- */

/* Strings a test owns until it calls release (): kept where a forked
   child's leak checker can see them.  */
static char *owned[32];
static size_t n_owned;

static char *
keep (char *p)
{
  if (p == NULL || n_owned == sizeof owned / sizeof *owned)
    t_bail ("out of memory");
  owned[n_owned++] = p;
  return p;
}

static void
release (void)
{
  while (n_owned > 0)
    free (owned[--n_owned]);
}

/* DIR/NAME, owned.  */
static char *
path_of (const char *dir, const char *name)
{
  size_t n = strlen (dir) + strlen (name) + 2;
  char *p = keep (malloc (n));

  snprintf (p, n, "%s/%s", dir, name);
  return p;
}

static int
is_symlink (const char *path)
{
  struct stat st;
  return lstat (path, &st) == 0 && S_ISLNK (st.st_mode);
}

static void
write_text (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

  if (fd < 0 || write (fd, text, strlen (text)) != (ssize_t) strlen (text))
    t_bail ("cannot write %s: %s", path, strerror (errno));
  close (fd);
}

/* The whole content of PATH, and its length in *LEN; NULL if it cannot
   be read.  */
static char *
slurp (const char *path, size_t *len)
{
  struct stat st;
  char *buf;
  int fd = open (path, O_RDONLY);

  *len = 0;
  if (fd < 0)
    return NULL;
  if (fstat (fd, &st) != 0
      || (buf = malloc ((size_t) st.st_size + 1)) == NULL)
    {
      close (fd);
      return NULL;
    }
  if (read (fd, buf, (size_t) st.st_size) != (ssize_t) st.st_size)
    {
      free (buf);
      close (fd);
      return NULL;
    }
  buf[st.st_size] = '\0';
  *len = (size_t) st.st_size;
  close (fd);
  return buf;
}

/* Nonzero if PATH holds exactly TEXT.  */
static int
holds (const char *path, const char *text)
{
  size_t len;
  char *got = slurp (path, &len);
  int ok = got != NULL && len == strlen (text)
           && memcmp (got, text, len) == 0;

  free (got);
  return ok;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The sorted names in DIR, one per line; a new string.  */
static char *
listing (const char *dir)
{
  char *names[256], *out;
  size_t n = 0, len = 1, i;
  DIR *d = opendir (dir);
  struct dirent *de;

  if (d == NULL)
    return strdup ("(absent)");
  while ((de = readdir (d)) != NULL && n < 256)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      {
        names[n] = strdup (de->d_name);
        len += strlen (names[n++]) + 1;
      }
  closedir (d);
  qsort (names, n, sizeof *names, cmp_str);
  out = malloc (len);
  *out = '\0';
  for (i = 0; i < n; i++)
    {
      strcat (out, names[i]);
      strcat (out, "|");
      free (names[i]);
    }
  return out;
}

/* Commit DATA (with its NUL) at offset 0 of segment NAME of DIR, then
   close the store; 0 or a status code.  */
static int
store_put (const char *dir, const char *name, const char *data)
{
  rvm_t rvm;
  void *seg;
  trans_t tid;
  int r;

  if ((r = rvm_open (dir, NULL, &rvm)) != 0)
    return r;
  if ((r = rvm_map_segment (rvm, name, SEGSIZE, &seg, NULL)) == 0
      && (r = rvm_begin (rvm, 1, &seg, 0, &tid)) == 0
      && (r = rvm_modify (tid, seg, 0, strlen (data) + 1)) == 0)
    {
      strcpy (seg, data);
      r = rvm_commit (tid, 0);
    }
  rvm_close (rvm);
  return r;
}

struct expect_data
{
  const char *dir, *name, *data;
};

static int
verify_child (void *arg)
{
  const struct expect_data *e = arg;
  rvm_t rvm;
  void *seg;
  int r;

  if (rvm_open (e->dir, NULL, &rvm) != 0)
    return 3;
  if (rvm_map_segment (rvm, e->name, SEGSIZE, &seg, NULL) != 0)
    r = 4;
  else
    r = strcmp (seg, e->data) == 0 ? 0 : 1;
  rvm_close (rvm);
  return r;
}

/* Check, in a fresh process, that segment NAME of DIR starts with the
   string DATA.  */
static int
verify (const char *what, const char *dir, const char *name,
        const char *data)
{
  struct expect_data e = { dir, name, data };
  char buf[64];
  const char *how = t_wait (t_fork (verify_child, &e), NULL, buf,
                            sizeof buf);
  if (strcmp (how, "exit 0") != 0)
    t_note ("%s: verifier: %s", what, how);
  return t_check (strcmp (how, "exit 0") == 0, "%s", what);
}

/* Check that a classic rvm_init of DIR fails with errno ERR and code
   CODE, and a full rvm_open with CODE, and that rvm_errmsg names DIR.  */
static void
expect_open_fails (const char *dir, int err, int code, const char *what)
{
  rvm_t rvm;
  int e, r;

  errno = 0;
  rvm = rvm_init (dir);
  e = errno;
  if (rvm != NULL)
    rvm_close (rvm);
  if (!(rvm == NULL && e == err && rvm_errcode () == code
        && strstr (rvm_errmsg (), dir) != NULL))
    t_note ("%s: errno %d (want %d), code %d (want %d): %s", what, e, err,
            rvm_errcode (), code, rvm_errmsg ());
  t_check (rvm == NULL && e == err && rvm_errcode () == code
           && strstr (rvm_errmsg (), dir) != NULL,
           "%s: rvm_init fails", what);
  rvm = NULL;
  r = rvm_open (dir, NULL, &rvm);
  if (rvm != NULL)
    rvm_close (rvm);
  t_check (r == code && rvm == NULL, "%s: rvm_open fails", what);
}

/* --- paths ------------------------------------------------------- */

static void
test_paths (void)
{
  char *outer = keep (t_tmpdir ("s-paths"));
  char *file = path_of (outer, "file");
  char *under = path_of (file, "store");
  char *parent = path_of (outer, "nope");
  char *missing = path_of (parent, "store");

  write_text (file, "not a store");
  expect_open_fails (file, ENOTDIR, RVM_EIO, "paths: a regular file");
  t_check (holds (file, "not a store"), "paths: the regular file is"
           " unchanged");
  expect_open_fails (under, ENOTDIR, RVM_EIO, "paths: a path under a"
                     " regular file");
  expect_open_fails (missing, ENOENT, RVM_EIO, "paths: a path under a"
                     " missing directory");
  t_check (!t_exists (parent), "paths: the missing parent is not created");
  {
    size_t n = strlen (outer) + 8192;
    char *longp = keep (malloc (n)), *q;
    rvm_t rvm = NULL;

    strcpy (longp, outer);
    q = longp + strlen (longp);
    while ((size_t) (q - longp) < n - 64)
      {
        memset (q, 'a', 53);
        *q = '/';
        q += 53;
      }
    *q = '\0';
    t_check (rvm_open (longp, NULL, &rvm) == RVM_EIO && rvm == NULL
             && rvm_errcode () == RVM_EIO,
             "paths: a path longer than PATH_MAX fails");
  }
  t_check (store_put (outer, "s", "works") == 0,
           "paths: a store opens after the failures");
  verify ("paths: its commit persisted", outer, "s", "works");
  t_rmdir (outer);
  release ();
}

/* --- a store held by another process ----------------------------- */

struct holder
{
  const char *dir;
  int ready[2], go[2];
};

/* Open the store, commit, say 'R', wait for a byte, close.  */
static int
holder_child (void *arg)
{
  struct holder *h = arg;
  char c;
  int r;

  close (h->ready[0]);
  close (h->go[1]);
  if (store_put (h->dir, "c", "child") != 0)
    return 3;
  {
    rvm_t rvm;
    if (rvm_open (h->dir, NULL, &rvm) != 0)
      return 4;
    if (write (h->ready[1], "R", 1) != 1)
      return 5;
    r = read (h->go[0], &c, 1);
    rvm_close (rvm);
  }
  return r == 1 ? 0 : 6;
}

static void
test_other_process (void)
{
  char *d = keep (t_tmpdir ("s-held"));
  char *log = path_of (d, ".lrvm-log");
  char *log_before, *log_after, *list_before, *list_after, buf[64], c;
  size_t n_before, n_after;
  struct holder h;
  pid_t pid;
  int st, round;

  for (round = 0; round < 2; round++)
    {
      const char *how = round == 0 ? "exits" : "is killed";
      if (pipe (h.ready) != 0 || pipe (h.go) != 0)
        t_bail ("pipe: %s", strerror (errno));
      h.dir = d;
      pid = t_fork (holder_child, &h);
      close (h.ready[1]);
      close (h.go[0]);
      if (read (h.ready[0], &c, 1) != 1)
        t_bail ("holder child did not start");
      log_before = slurp (log, &n_before);
      list_before = listing (d);
      expect_open_fails (d, EBUSY, RVM_EBUSY,
                         round == 0 ? "held: a store held by another process"
                         : "held: a store held again by another process");
      log_after = slurp (log, &n_after);
      list_after = listing (d);
      t_check (log_before != NULL && log_after != NULL && n_before == n_after
               && memcmp (log_before, log_after, n_before) == 0
               && strcmp (list_before, list_after) == 0,
               "held: the refused open (%d) changed no file", round);
      free (log_before);
      free (log_after);
      free (list_before);
      free (list_after);
      if (round == 0)
        {
          if (write (h.go[1], "G", 1) != 1)
            t_bail ("write: %s", strerror (errno));
          t_wait (pid, &st, buf, sizeof buf);
          t_note ("held: the holder ended with %s", buf);
          t_check (WIFEXITED (st) && WEXITSTATUS (st) == 0,
                   "held: the holder %s normally", how);
        }
      else
        {
          kill (pid, SIGKILL);
          t_wait (pid, &st, buf, sizeof buf);
          t_note ("held: the holder ended with %s", buf);
          t_check (WIFSIGNALED (st), "held: the holder %s", how);
        }
      close (h.ready[0]);
      close (h.go[1]);
      verify (round == 0 ? "held: the store opens once the holder exits"
              : "held: the store opens once the holder is killed",
              d, "c", "child");
    }
  t_rmdir (d);
  release ();
}

/* --- the same store twice in one process ------------------------- */

static void
test_twice (void)
{
  char *outer = keep (t_tmpdir ("s-twice"));
  char *d = path_of (outer, "store");
  char *dot = path_of (d, ".");
  char *slash = path_of (d, "");
  char *link = path_of (outer, "link");
  char *updown = keep (malloc (strlen (d) + 16));
  rvm_t rvm, again;
  void *seg;
  trans_t tid;
  const char *paths[4];
  const char *what[4] = { "the same path", "a path ending in /.",
                          "a path ending in /", "a symbolic link" };
  int i;

  sprintf (updown, "%s/../store", d);
  if (rvm_open (d, NULL, &rvm) != 0)
    t_bail ("twice: cannot open: %s", rvm_errmsg ());
  if (symlink (d, link) != 0)
    t_bail ("symlink: %s", strerror (errno));
  paths[0] = d;
  paths[1] = dot;
  paths[2] = slash;
  paths[3] = link;
  for (i = 0; i < 4; i++)
    {
      char name[128];
      snprintf (name, sizeof name, "twice: opened again through %s",
                what[i]);
      expect_open_fails (paths[i], EBUSY, RVM_EBUSY, name);
    }
  again = NULL;
  t_check (rvm_open (updown, NULL, &again) == RVM_EBUSY && again == NULL,
           "twice: opened again through a path with ..");
  t_check (rvm_map_segment (rvm, "s", SEGSIZE, &seg, NULL) == 0
           && rvm_begin (rvm, 1, &seg, 0, &tid) == 0
           && rvm_modify (tid, seg, 0, 6) == 0
           && (memcpy (seg, "first", 6), rvm_commit (tid, 0)) == 0,
           "twice: the first handle still works");
  t_check (rvm_close (rvm) == 0, "twice: the first handle closes");
  t_check (rvm_open (link, NULL, &again) == 0 && rvm_close (again) == 0,
           "twice: the store opens through the link once closed");
  verify ("twice: the first handle's commit persisted", d, "s", "first");
  t_rmdir (outer);
  release ();
}

/* --- an unwritable directory ------------------------------------- */

static void
test_unwritable (void)
{
  char *outer, *ro, *d, *log, *s_path;
  rvm_t rvm;
  void *seg;
  trans_t tid;
  int r;

  if (geteuid () == 0)
    {
      t_unsupported ("unwritable: permissions are not enforced for root");
      return;
    }
  outer = keep (t_tmpdir ("s-ro"));
  ro = path_of (outer, "ro");
  d = path_of (outer, "store");
  log = path_of (d, ".lrvm-log");
  s_path = path_of (d, "n");

  mkdir (ro, 0555);
  expect_open_fails (ro, EACCES, RVM_EIO, "unwritable: a new store in an"
                     " unwritable directory");
  {
    char *list = listing (ro);
    t_check (strcmp (list, "") == 0, "unwritable: nothing is created in"
             " it");
    free (list);
  }

  /* An existing store made read-only: existing segments work, new ones
     are refused.  */
  store_put (d, "s", "before");
  chmod (d, 0555);
  rvm = NULL;
  r = rvm_open (d, NULL, &rvm);
  t_check (r == 0, "unwritable: an existing store opens");
  if (r == 0)
    {
      errno = 0;
      t_check (rvm_map (rvm, "n", SEGSIZE) == NULL && errno == EACCES
               && rvm_errcode () == RVM_EIO && !t_exists (s_path),
               "unwritable: a new segment is refused with EACCES");
      t_check (rvm_map_segment (rvm, "s", SEGSIZE, &seg, NULL) == 0
               && rvm_begin (rvm, 1, &seg, 0, &tid) == 0
               && rvm_modify (tid, seg, 0, 6) == 0
               && (memcpy (seg, "after", 6), rvm_commit (tid, 0)) == 0,
               "unwritable: an existing segment commits");
      rvm_close (rvm);
    }
  chmod (d, 0755);
  verify ("unwritable: the commit persisted", d, "s", "after");

  chmod (log, 0444);
  expect_open_fails (d, EACCES, RVM_EIO, "unwritable: a read-only log");
  chmod (log, 0644);
  chmod (ro, 0755);
  t_rmdir (outer);
  release ();
}

/* --- things planted in the store --------------------------------- */

static void
test_planted (void)
{
  char *outer = keep (t_tmpdir ("s-planted"));
  char *d = path_of (outer, "store");
  char *target = path_of (outer, "target");
  char *ghost = path_of (outer, "ghost");
  char *evil = path_of (d, "evil");
  char *dangle = path_of (d, "dangle");
  char *dir = path_of (d, "dir");
  char *fifo = path_of (d, "fifo");
  rvm_t rvm;
  void *seg;
  int r;

  write_text (target, "original");
  if (rvm_open (d, NULL, &rvm) != 0)
    t_bail ("planted: cannot open: %s", rvm_errmsg ());
  if (symlink (target, evil) != 0 || symlink (ghost, dangle) != 0
      || mkdir (dir, 0755) != 0 || mkfifo (fifo, 0600) != 0)
    t_bail ("planted: cannot plant: %s", strerror (errno));

  errno = 0;
  t_check (rvm_map (rvm, "evil", SEGSIZE) == NULL && errno == ELOOP
           && rvm_errcode () == RVM_EIO && strstr (rvm_errmsg (), "evil"),
           "planted: map of a symlink to a file outside fails with ELOOP");
  t_check (rvm_map_segment (rvm, "evil", SEGSIZE, &seg, NULL) == RVM_EIO,
           "planted: rvm_map_segment of the symlink fails");
  t_check (holds (target, "original"), "planted: the symlink's target is"
           " unchanged");
  t_check (is_symlink (evil), "planted: the symlink is still a symlink");
  errno = 0;
  t_check (rvm_map (rvm, "dangle", SEGSIZE) == NULL && errno == ELOOP,
           "planted: map of a dangling symlink fails with ELOOP");
  t_check (!t_exists (ghost), "planted: the dangling symlink's target is not"
           " created");
  errno = 0;
  t_check (rvm_map (rvm, "dir", SEGSIZE) == NULL && errno == EISDIR
           && rvm_errcode () == RVM_EIO,
           "planted: map of a directory fails with EISDIR");
  errno = 0;
  rvm_destroy (rvm, "dir");
  t_check (errno != 0 && rvm_errcode () != 0 && t_exists (dir),
           "planted: destroy of a directory fails and keeps it");
  errno = ENOSPC;
  t_check (rvm_map (rvm, "fifo", SEGSIZE) == NULL && errno == EINVAL
           && rvm_errcode () == RVM_EINVAL
           && strstr (rvm_errmsg (), "not a regular file"),
           "planted: map of a FIFO fails with EINVAL");
  r = rvm_destroy_segment (rvm, "evil");
  t_note ("planted: destroy of the symlink returned %d", r);
  t_check (holds (target, "original"), "planted: destroy of the symlink"
           " leaves its target");
  rvm_close (rvm);
  t_check (store_put (d, "ok", "fine") == 0, "planted: the store works"
           " after the failures");
  verify ("planted: its commit persisted", d, "ok", "fine");
  t_rmdir (outer);
  release ();
}

/* The store's own files replaced by symbolic links or directories.  */
static void
test_planted_files (void)
{
  char *outer = keep (t_tmpdir ("s-files"));
  char *target = path_of (outer, "target");
  char *ghost = path_of (outer, "ghost");
  char *d1 = path_of (outer, "log-link");
  char *d2 = path_of (outer, "lock-link");
  char *d3 = path_of (outer, "tmp-link");
  char *d4 = path_of (outer, "log-dir");
  char *d5 = path_of (outer, "log-short");
  char *d6 = path_of (outer, "log-junk");
  char *p;
  rvm_t rvm;
  int r;

  write_text (target, "original");
  mkdir (d1, 0755);
  mkdir (d2, 0755);
  mkdir (d3, 0755);
  mkdir (d4, 0755);
  mkdir (d5, 0755);
  mkdir (d6, 0755);

  p = path_of (d1, ".lrvm-log");
  symlink (target, p);
  expect_open_fails (d1, ELOOP, RVM_EIO, "files: .lrvm-log a symlink");
  t_check (holds (target, "original"), "files: the log symlink's target is"
           " unchanged");

  p = path_of (d2, ".lrvm-lock");
  symlink (ghost, p);
  expect_open_fails (d2, ELOOP, RVM_EIO, "files: .lrvm-lock a dangling"
                     " symlink");
  t_check (!t_exists (ghost), "files: the lock symlink's target is not"
           " created");

  p = path_of (d3, ".lrvm-log.tmp");
  symlink (ghost, p);
  rvm = NULL;
  r = rvm_open (d3, NULL, &rvm);
  if (rvm != NULL)
    rvm_close (rvm);
  t_check (r == 0, "files: a stale .lrvm-log.tmp symlink is replaced");
  t_check (!t_exists (ghost), "files: the temporary log symlink's target is"
           " not created");

  p = path_of (d4, ".lrvm-log");
  mkdir (p, 0755);
  expect_open_fails (d4, EISDIR, RVM_EIO, "files: .lrvm-log a directory");

  /* A damaged log is refused, and left as it is for lrvm verify.  */
  p = path_of (d5, ".lrvm-log");
  write_text (p, "not a log at all");
  expect_open_fails (d5, EIO, RVM_ECORRUPT, "files: a short garbage log");
  t_check (holds (p, "not a log at all"), "files: the short garbage log is"
           " left alone");
  p = path_of (d6, ".lrvm-log");
  {
    char junk[8193];

    memset (junk, 'J', 8192);
    junk[8192] = '\0';
    write_text (p, junk);
    expect_open_fails (d6, EIO, RVM_ECORRUPT, "files: a garbage log");
    t_check (holds (p, junk), "files: the garbage log is left alone");
  }

  t_rmdir (outer);
  release ();
}

/* A segment with records in the log replaced by a symlink before the
   next open: recovery must not write through it.  */
static void
test_replay_symlink (void)
{
  char *outer = keep (t_tmpdir ("s-replay"));
  char *d = path_of (outer, "store");
  char *target = path_of (outer, "target");
  char *s = path_of (d, "s");
  char *saved = path_of (outer, "s.saved");
  char *list;
  rvm_t rvm;
  void *seg;
  int r;

  write_text (target, "original");
  t_check (store_put (d, "s", "replayed") == 0, "replay: commit");
  if (rename (s, saved) != 0 || symlink (target, s) != 0)
    t_bail ("replay: cannot plant: %s", strerror (errno));
  rvm = NULL;
  r = rvm_open (d, NULL, &rvm);
  t_note ("replay: rvm_open returned %d", r);
  if (r == 0)
    {
      /* The log was already applied: the map must refuse instead.  */
      r = rvm_map_segment (rvm, "s", SEGSIZE, &seg, NULL);
      rvm_close (rvm);
    }
  t_check (r != 0, "replay: a segment replaced by a symlink is refused");
  t_check (holds (target, "original"), "replay: the symlink's target is"
           " unchanged");
  list = listing (outer);
  t_check (strcmp (list, "s.saved|store|target|") == 0,
           "replay: nothing created outside the store");
  free (list);
  if (unlink (s) != 0 || rename (saved, s) != 0)
    t_bail ("replay: cannot restore: %s", strerror (errno));
  verify ("replay: the commit is recovered once the file is back", d, "s",
          "replayed");
  t_rmdir (outer);
  release ();
}

int
main (int argc, char **argv)
{
  t_init (argc, argv);
  signal (SIGPIPE, SIG_IGN);
  test_paths ();
  test_other_process ();
  test_twice ();
  test_unwritable ();
  test_planted ();
  test_planted_files ();
  test_replay_symlink ();
  return t_done ();
}
