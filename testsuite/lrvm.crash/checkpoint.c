/* checkpoint.c -- crashes during truncation by checkpoint.

   A writer maps two segments (5 and 3 blocks of 4 KiB, neither a
   multiple of 4096 bytes) in a store with a 64 KiB truncation
   threshold and makes a seeded run of commits: mostly no-flush, a
   durable one (or an rvm_flush) every twenty or so, a stretch without
   any and a stretch of durable ones.  Its automatic truncations then
   go by checkpoint (the changed blocks take fewer bytes than the
   unflushed records) or by flushing the log.  Commit I writes I into a
   counter at the start of the first segment and seeded bytes into
   ranges derived from I, in one segment or both; the writer keeps, in
   a file mapped shared with the driver, the commit it is in and the
   last one whose durable rvm_commit or rvm_flush returned.

   A learning run with LRVM_FAILPOINT_LIST finds every failpoint
   passage inside a truncation and the commit that triggered it; then
   the writer runs again in a fresh store for each passage, killed
   there.  After every kill a fresh process opens the store (recovery),
   reads the counter J, checks it against what the writer reported (J
   is exactly the commit being made once the truncation has written the
   log's records) and compares both segment files byte for byte with a
   model rebuilt by replaying commits 1..J.  A store killed right after
   a checkpoint's header is also read by "lrvm verify" and "lrvm info"
   before recovery.  One killed between its two segment files has its
   newest header slot and the first record of the old log damaged (a
   media error and a power loss that took records never flushed):
   recovery must find the checkpoint in the other slot.  A checkpoint
   larger than the 1 MiB the library
   writes at a time is killed at each of its writes.  Last, writers are
   killed with SIGKILL at random moments, round after round, on one
   store.

   Usage: checkpoint PATH-OF-THE-LRVM-TOOL  (seed: LRVM_TEST_SEED)  */

#include <config.h>

#include "lrvm-internal.h"      /* lrvm.h, the header slots' format */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The cases, each with one PASS/FAIL name.  */
#define CASE_LEARN "learning run: truncations by checkpoint and by log" \
  " flush, the store holds every commit"
#define CASE_OTHER "killed at commit.* and log.grow in truncations"
#define CASE_TOOL "lrvm verify and info on a store killed after a" \
  " checkpoint header"
#define CASE_BIG "a checkpoint of several writes killed at each"
#define CASE_RANDOM "SIGKILL at random moments, recovery finds the" \
  " committed prefix"
#define CASE_SLOTS "both header slots hold the checkpoint's header while" \
  " its blocks are written"
#define CASE_DOUBLE "killed between two segment files of a checkpoint," \
  " newest slot and old records damaged, recovery finds the checkpoint"

/* The failpoints whose passages inside truncations are swept, each a
   case "killed at NAME in truncations"; CASE_OTHER takes the rest.  */
static const char *const swept[] = {
  "truncate.after_checkpoint", "truncate.after_first_checkpoint_header",
  "truncate.after_checkpoint_header",
  "truncate.before_segment_flush", "truncate.after_segment",
  "truncate.before_header", "truncate.after_header", "io.write",
  "io.flush"
};
#define NSWEPT ((int) (sizeof swept / sizeof swept[0]))

/* --- the workload ---------------------------------------------------- */

#define NSEG 2
static const char *const seg_name[NSEG] = { "s0", "s1" };
static const size_t seg_size[NSEG] = { 5 * 4096 - 1000, 3 * 4096 - 300 };
#define THRESHOLD 65536
/* Commits of one learning or failpoint run.  */
#define NCOMMITS 300
/* The schedule repeats every PERIOD commits: in [QUIET, QUIET_END)
   nothing is made durable, in [BUSY, BUSY_END) every commit is.  */
#define PERIOD 300
#define QUIET 100
#define QUIET_END 160
#define BUSY 200
#define BUSY_END 230
#define MAXRANGES 3

enum how { NOFLUSH, DURABLE, THEN_FLUSH };

struct range
{
  int seg;
  size_t off, len;
};

static uint64_t seed;

/* How commit I ends.  */
static enum how
commit_how (uint64_t i)
{
  uint64_t p = i % PERIOD, x = t_mix (seed ^ t_mix (i) ^ 0x484f57ull);

  if (p >= QUIET && p < QUIET_END)
    return NOFLUSH;
  if (p >= BUSY && p < BUSY_END)
    return DURABLE;
  if (x % 20 == 0)
    return DURABLE;
  if (x % 20 == 1 && (x >> 32) % 3 == 0)
    return THEN_FLUSH;
  return NOFLUSH;
}

/* The data ranges of commit I (the counter aside); returns their
   number.  In the first segment they stay clear of the counter.  */
static int
commit_ranges (uint64_t i, struct range *r)
{
  uint64_t st = t_mix (seed ^ t_mix (i));
  int both = (int) (t_rand (&st) % 2), nr = 1 + (int) (t_rand (&st) % 3);
  int k;

  for (k = 0; k < nr; k++)
    {
      int seg = both && t_rand (&st) % 2 ? 1 : 0;
      size_t lo = seg == 0 ? 8 : 0, room = seg_size[seg] - lo, len;

      len = t_rand (&st) % 8 == 0 ? 2000 + (size_t) (t_rand (&st) % 5000)
                                  : 1 + (size_t) (t_rand (&st) % 1500);
      if (len > room)
        len = room;
      r[k].seg = seg;
      r[k].len = len;
      r[k].off = lo + (size_t) (t_rand (&st) % (room - len + 1));
    }
  return nr;
}

/* The bytes commit I writes into its range K.  */
static void
commit_data (uint64_t i, int k, unsigned char *p, size_t len)
{
  uint64_t x = t_mix (seed ^ t_mix (i) ^ ((uint64_t) (k + 1) << 56));
  size_t j;

  for (j = 0; j < len; j++)
    p[j] = (unsigned char) ((x >> (8 * (j % 8))) ^ (j >> 3));
}

/* The segments after commit J.  */
struct model
{
  uint64_t j;
  unsigned char *s[NSEG];
};

static void
model_init (struct model *m)
{
  int g;

  m->j = 0;
  for (g = 0; g < NSEG; g++)
    if ((m->s[g] = calloc (1, seg_size[g])) == NULL)
      t_bail ("out of memory");
}

static void
model_free (struct model *m)
{
  int g;

  for (g = 0; g < NSEG; g++)
    free (m->s[g]);
}

/* Replay commits M->j + 1 .. TO into M.  */
static void
model_advance (struct model *m, uint64_t to)
{
  struct range r[MAXRANGES];

  for (; m->j < to; m->j++)
    {
      uint64_t i = m->j + 1;
      int nr = commit_ranges (i, r), k;

      for (k = 0; k < nr; k++)
        commit_data (i, k, m->s[r[k].seg] + r[k].off, r[k].len);
      memcpy (m->s[0], &i, sizeof i);
    }
}

/* --- the writer ------------------------------------------------------ */

/* What a writer tells the driver, in a file both map shared: it
   survives the writer's SIGKILL.  */
struct status
{
  volatile uint64_t started;            /* the commit it is in */
  volatile uint64_t durable;            /* last durable commit */
  volatile uint64_t done;               /* last commit returned */
  volatile uint64_t truncations, checkpoints, truncated_blocks;
  volatile uint64_t truncated_records;
};

static struct status *status;
static char status_path[4200];
static const char *tool;        /* the lrvm command */

struct writer
{
  const char *dir;
  uint64_t first, last;         /* commits to make */
  const char *failpoint;        /* LRVM_FAILPOINT, or NULL */
  const char *list;             /* LRVM_FAILPOINT_LIST, or NULL */
  int ready_fd;                 /* gets T_READY once mapped, or -1 */
};

/* Append "#KIND I D" to the passage list FD (if >= 0).  */
static int
mark (int fd, char kind, uint64_t i, int d)
{
  char line[64];
  int n;

  if (fd < 0)
    return 0;
  n = snprintf (line, sizeof line, "#%c %llu %d\n", kind,
                (unsigned long long) i, d);
  return write (fd, line, (size_t) n) == n ? 0 : -1;
}

/* Set the failpoint variables the library reads for W; return the
   descriptor of W's passage list, opened for appending, or -1.  */
static int
failpoint_env (const struct writer *w)
{
  if (w->failpoint != NULL)
    setenv ("LRVM_FAILPOINT", w->failpoint, 1);
  else
    unsetenv ("LRVM_FAILPOINT");
  if (w->list == NULL)
    {
      unsetenv ("LRVM_FAILPOINT_LIST");
      return -1;
    }
  setenv ("LRVM_FAILPOINT_LIST", w->list, 1);
  return open (w->list, O_WRONLY | O_APPEND | O_CREAT, 0600);
}

/* Open the store, map the segments, make commits W->first..W->last;
   with a list, mark each commit in it ("#c I D", D nonzero if
   durable) and each rvm_flush ("#f I").  Returns 0 after closing the
   store, else a small number after a note.  */
static int
writer (void *arg)
{
  struct writer *w = arg;
  struct rvm_options o;
  struct rvm_statistics st;
  void *base[NSEG];
  rvm_t rvm;
  uint64_t i;
  int g, lf = -1;

  lf = failpoint_env (w);
  rvm_options_init (&o);
  o.truncate_threshold = THRESHOLD;
  if (rvm_open (w->dir, &o, &rvm) != 0)
    {
      t_note ("writer: rvm_open: %s", rvm_errmsg ());
      return 3;
    }
  for (g = 0; g < NSEG; g++)
    if (rvm_map_segment (rvm, seg_name[g], seg_size[g], &base[g], NULL)
        != 0)
      {
        t_note ("writer: rvm_map_segment: %s", rvm_errmsg ());
        return 3;
      }
  if (w->ready_fd >= 0)
    {
      uint64_t v = T_READY;
      if (write (w->ready_fd, &v, sizeof v) != (ssize_t) sizeof v)
        return 3;
    }
  for (i = w->first; i <= w->last; i++)
    {
      struct range r[MAXRANGES];
      int nr = commit_ranges (i, r), k, r1 = 0, res;
      enum how how = commit_how (i);
      void *segs[NSEG];
      size_t ns = 0;
      trans_t tid;

      status->started = i;
      for (k = 0; k < nr; k++)
        r1 |= r[k].seg == 1;
      segs[ns++] = base[0];
      if (r1)
        segs[ns++] = base[1];
      if (mark (lf, 'c', i, how == DURABLE) != 0)
        return 5;
      if ((res = rvm_begin (rvm, ns, segs, i % 3 ? 0 : RVM_NO_RESTORE,
                            &tid)) != 0
          || (res = rvm_modify (tid, base[0], 0, 8)) != 0)
        goto failed;
      memcpy (base[0], &i, sizeof i);
      for (k = 0; k < nr; k++)
        {
          unsigned char *p = (unsigned char *) base[r[k].seg] + r[k].off;
          res = (i + (uint64_t) k) % 2
                ? rvm_set_range (tid, p, r[k].len)
                : rvm_modify (tid, base[r[k].seg], r[k].off, r[k].len);
          if (res != 0)
            goto failed;
          commit_data (i, k, p, r[k].len);
        }
      if ((res = rvm_commit (tid, how == DURABLE ? 0 : RVM_NO_FLUSH)) != 0)
        goto failed;
      if (how == THEN_FLUSH)
        {
          if (mark (lf, 'f', i, 0) != 0)
            return 5;
          if ((res = rvm_flush (rvm)) != 0)
            goto failed;
        }
      if (how != NOFLUSH)
        status->durable = i;
      status->done = i;
      if (rvm_stats (rvm, &st, sizeof st) == 0)
        {
          status->truncations = st.truncations;
          status->checkpoints = st.checkpoints;
          status->truncated_blocks = st.truncated_blocks;
          status->truncated_records = st.truncated_records;
        }
      continue;
    failed:
      t_note ("writer: commit %llu: %s", (unsigned long long) i,
              rvm_errmsg ());
      return 4;
    }
  if (rvm_close (rvm) != 0)
    {
      t_note ("writer: rvm_close: %s", rvm_errmsg ());
      return 4;
    }
  return 0;
}

/* --- the verifier ---------------------------------------------------- */

struct verifier
{
  const char *dir, *what;
  uint64_t lo, hi;              /* the counter must be in LO..HI */
  struct model *m;              /* a model at or before LO */
  int fd[2];
};

/* Read NAME of DIR whole into a new buffer; its size in *LEN.  */
static unsigned char *
read_whole (const char *dir, const char *name, size_t *len)
{
  char path[4300];
  unsigned char *p;
  struct stat st;
  int fd;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  fd = open (path, O_RDONLY);
  if (fd < 0)
    return NULL;
  if (fstat (fd, &st) != 0
      || (p = malloc ((size_t) st.st_size + 1)) == NULL)
    {
      close (fd);
      return NULL;
    }
  *len = (size_t) st.st_size;
  if (pread (fd, p, *len, 0) != (ssize_t) *len)
    {
      free (p);
      p = NULL;
    }
  close (fd);
  return p;
}

/* In a fresh process: recover the store, read the counter J from the
   first segment's file, check LO <= J <= HI, and compare both files
   whole with the model after J.  Sends J on the pipe; exits 0 if all
   checks, 1 if not, 3 if the store does not open.  */
static int
verifier (void *arg)
{
  struct verifier *v = arg;
  unsigned char *file[NSEG];
  size_t len[NSEG];
  rvm_t rvm;
  uint64_t j;
  int g;

  close (v->fd[0]);
  unsetenv ("LRVM_FAILPOINT");
  unsetenv ("LRVM_FAILPOINT_LIST");
  if (rvm_open (v->dir, NULL, &rvm) != 0)
    {
      t_note ("%s: the store does not open: %s", v->what, rvm_errmsg ());
      return 3;
    }
  if (rvm_close (rvm) != 0)
    {
      t_note ("%s: the store does not close: %s", v->what, rvm_errmsg ());
      return 3;
    }
  for (g = 0; g < NSEG; g++)
    if ((file[g] = read_whole (v->dir, seg_name[g], &len[g])) == NULL
        || len[g] != seg_size[g])
      {
        t_note ("%s: segment %s: %s", v->what, seg_name[g],
                file[g] == NULL ? "cannot be read" : "wrong size");
        return 1;
      }
  memcpy (&j, file[0], sizeof j);
  if (write (v->fd[1], &j, sizeof j) != (ssize_t) sizeof j)
    return 3;
  if (j < v->lo || j > v->hi || j < v->m->j)
    {
      t_note ("%s: the store holds commit %llu, expected %llu..%llu",
              v->what, (unsigned long long) j, (unsigned long long) v->lo,
              (unsigned long long) v->hi);
      return 1;
    }
  model_advance (v->m, j);
  for (g = 0; g < NSEG; g++)
    if (memcmp (file[g], v->m->s[g], seg_size[g]) != 0)
      {
        size_t b = 0;
        while (file[g][b] == v->m->s[g][b])
          b++;
        t_note ("%s: commit %llu recovered, but %s differs from the"
                " model at byte %zu (block %zu)", v->what,
                (unsigned long long) j, seg_name[g], b, b / 4096);
        return 1;
      }
  for (g = 0; g < NSEG; g++)
    free (file[g]);
  return 0;
}

/* Verify DIR in a fresh process; returns the commit it holds, or -1
   after a note.  M is left as it was.  */
static int64_t
verify (const char *dir, const char *what, uint64_t lo, uint64_t hi,
        struct model *m)
{
  struct verifier v;
  char how[64];
  uint64_t j = 0;
  ssize_t got;
  pid_t pid;
  int st;

  v.dir = dir;
  v.what = what;
  v.lo = lo;
  v.hi = hi;
  v.m = m;
  if (pipe (v.fd) != 0)
    t_bail ("pipe: %s", strerror (errno));
  pid = t_fork (verifier, &v);
  close (v.fd[1]);
  do
    got = read (v.fd[0], &j, sizeof j);
  while (got < 0 && errno == EINTR);
  close (v.fd[0]);
  t_wait (pid, &st, how, sizeof how);
  if (WIFEXITED (st) && WEXITSTATUS (st) == 0 && got == (ssize_t) sizeof j)
    return (int64_t) j;
  if (!WIFEXITED (st) || WEXITSTATUS (st) == 3)
    t_note ("%s: verifier: %s", what, how);
  return -1;
}

/* --- running writers ------------------------------------------------- */

/* Run FN (W) in a child, with a clear status page, and wait for it;
   "exit 0", "signal 9"... in HOW.  Returns the wait status.  */
static int
run_writer_fn (int (*fn) (void *), struct writer *w, char *how,
               size_t size)
{
  int st;

  memset ((void *) status, 0, sizeof *status);
  w->ready_fd = -1;
  t_wait (t_fork (fn, w), &st, how, size);
  return st;
}

/* The same for the workload's writer.  */
static int
run_writer (struct writer *w, char *how, size_t size)
{
  return run_writer_fn (writer, w, how, size);
}

static int
killed (int st)
{
  return WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL;
}

#ifdef LRVM_FAILPOINTS

/* --- the tool -------------------------------------------------------- */

/* Run "TOOL CMD DIR"; its standard output (at most SIZE - 1 bytes) in
   OUT.  Returns its exit status, or -1 if it did not exit.  */
static int
run_tool (const char *cmd, const char *dir, char *out, size_t size)
{
  size_t len = 0;
  ssize_t n;
  pid_t pid;
  int fd[2], st;

  if (pipe (fd) != 0)
    t_bail ("pipe: %s", strerror (errno));
  pid = fork ();
  if (pid < 0)
    t_bail ("fork: %s", strerror (errno));
  if (pid == 0)
    {
      dup2 (fd[1], 1);
      close (fd[0]);
      close (fd[1]);
      unsetenv ("LRVM_FAILPOINT");
      unsetenv ("LRVM_FAILPOINT_LIST");
      execl (tool, tool, cmd, dir, (char *) NULL);
      _exit (127);
    }
  close (fd[1]);
  while ((n = read (fd[0], out + len, size - 1 - len)) != 0)
    if (n > 0 && (len += (size_t) n) == size - 1)
      break;
    else if (n < 0 && errno != EINTR)
      break;
  out[len] = '\0';
  close (fd[0]);
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      t_bail ("waitpid: %s", strerror (errno));
  return WIFEXITED (st) ? WEXITSTATUS (st) : -1;
}

/* The head offset in the first line of OUT that starts with PREFIX and
   says "head offset N", or -1.  */
static long long
head_offset (const char *out, const char *prefix)
{
  const char *p = out;
  size_t n = strlen (prefix);

  while (p != NULL && *p != '\0')
    {
      const char *e = strchr (p, '\n'), *h;
      if (strncmp (p, prefix, n) == 0
          && (h = strstr (p, "head offset ")) != NULL
          && (e == NULL || h < e))
        return strtoll (h + 12, NULL, 10);
      p = e ? e + 1 : NULL;
    }
  return -1;
}

/* --- the learned passages -------------------------------------------- */

struct passage
{
  char name[64];
  int count;                    /* its number among those of NAME */
  uint64_t commit;              /* the commit whose truncation it is in */
  int exact;                    /* the log's records were all written */
  int ckpt;                     /* in a truncation by checkpoint */
};

static struct passage *pass;
static int npass;

struct fpcount
{
  char name[64];
  int count;
};

static struct fpcount counts[64];
static int ncounts;

static int
count_passage (const char *name)
{
  int i;

  for (i = 0; i < ncounts; i++)
    if (strcmp (counts[i].name, name) == 0)
      return ++counts[i].count;
  if (ncounts == (int) (sizeof counts / sizeof counts[0]))
    t_bail ("too many failpoint names");
  snprintf (counts[ncounts].name, sizeof counts[ncounts].name, "%s", name);
  counts[ncounts].count = 1;
  return counts[ncounts++].count;
}

/* Read the list of a learning run and keep the passages that belong
   to truncations: in the window of a no-flush commit ("#c I 0") or of
   an rvm_truncate ("#t I 0"), all of them (the commit itself writes
   nothing); in that of a durable commit ("#c I 1"), those after its
   flush; none in that of an rvm_flush ("#f").  A passage is exact
   once the truncation has written every record (after a
   commit.after_write in the window, or in a durable commit's window):
   a kill then leaves all of them in the file.  Returns the number of
   truncation windows, and of those that were checkpoints in *NCKPT.  */
static int
load_list (const char *path, int *nckpt)
{
  struct passage *win = NULL;
  char line[64];
  FILE *f = fopen (path, "r");
  uint64_t commit = 0;
  int durable = 0, after_flush = 0, written = 0, trunc = 0, ckpt = 0;
  int nwin = 0, capwin = 0, cap = 0, windows = 0, eof = 0;

  if (f == NULL)
    t_bail ("cannot read %s: %s", path, strerror (errno));
  *nckpt = 0;
  while (!eof)
    {
      char *nl;
      eof = fgets (line, sizeof line, f) == NULL;
      if (eof || line[0] == '#')
        {
          /* The window ends: keep its passages if it truncated.  */
          int k;
          if (trunc)
            {
              windows++;
              *nckpt += ckpt;
              for (k = 0; k < nwin; k++)
                {
                  if (npass == cap)
                    {
                      cap = cap ? 2 * cap : 256;
                      pass = realloc (pass, (size_t) cap * sizeof *pass);
                      if (pass == NULL)
                        t_bail ("out of memory");
                    }
                  win[k].ckpt = ckpt;
                  pass[npass++] = win[k];
                }
            }
          nwin = 0;
          trunc = ckpt = after_flush = written = 0;
          if (eof)
            break;
          if (line[1] == 'c' || line[1] == 't')
            {
              unsigned long long i;
              int d;
              if (sscanf (line + 2, "%llu %d", &i, &d) != 2)
                t_bail ("bad mark in %s: %s", path, line);
              commit = i;
              durable = d;
            }
          else
            commit = 0;         /* an rvm_flush: no truncation */
          continue;
        }
      if ((nl = strchr (line, '\n')) != NULL)
        *nl = '\0';
      {
        int c = count_passage (line);
        int in = commit != 0 && (!durable || after_flush);
        if (in)
          {
            if (nwin == capwin)
              {
                capwin = capwin ? 2 * capwin : 64;
                win = realloc (win, (size_t) capwin * sizeof *win);
                if (win == NULL)
                  t_bail ("out of memory");
              }
            snprintf (win[nwin].name, sizeof win[nwin].name, "%s", line);
            win[nwin].count = c;
            win[nwin].commit = commit;
            win[nwin].exact = durable || written;
            nwin++;
            if (strncmp (line, "truncate.", 9) == 0)
              trunc = 1;
            if (strcmp (line, "truncate.after_checkpoint") == 0)
              ckpt = 1;
          }
        if (strcmp (line, "commit.after_flush") == 0)
          after_flush = 1;
        if (in && strcmp (line, "commit.after_write") == 0)
          written = 1;
      }
    }
  free (win);
  fclose (f);
  return windows;
}

#endif /* LRVM_FAILPOINTS */

/* --- the cases ------------------------------------------------------- */

static char *top;
static int keep_top;            /* a failure left a store in TOP */
static struct model final_model;

/* A fresh store directory under TOP.  */
static char *
fresh_store (const char *tag)
{
  static unsigned n;
  size_t len = strlen (top) + 64;
  char *d = malloc (len);

  if (d == NULL)
    t_bail ("out of memory");
  snprintf (d, len, "%s/%s-%u", top, tag, n++);
  return d;
}

/* Remove the store D after a case that passed; keep it, and say
   where, after one that failed.  */
static void
keep_if_failed (const char *d, int ok)
{
  if (ok)
    t_rmdir (d);
  else
    {
      t_note ("the store is kept in %s", d);
      keep_top = 1;
    }
}

/* The learning run: the whole workload, once, listing the failpoint
   passages where failpoints are compiled in.  */
static int
learn (void)
{
  struct writer w;
  char how[64], list[4200];
  char *d = fresh_store ("learn");
  int st, ok, windows = 0, nckpt = 0;
  int64_t j;

  snprintf (list, sizeof list, "%s/passages", top);
  w.dir = d;
  w.first = 1;
  w.last = NCOMMITS;
  w.failpoint = NULL;
#ifdef LRVM_FAILPOINTS
  w.list = list;
#else
  w.list = NULL;
#endif
  st = run_writer (&w, how, sizeof how);
  ok = WIFEXITED (st) && WEXITSTATUS (st) == 0;
  if (!ok)
    t_note ("the learning run ended with %s after commit %llu", how,
            (unsigned long long) status->done);
  t_note ("learning run: %llu truncations, %llu by checkpoint, %llu blocks"
          " written from memory, %llu records applied from the log",
          (unsigned long long) status->truncations,
          (unsigned long long) status->checkpoints,
          (unsigned long long) status->truncated_blocks,
          (unsigned long long) status->truncated_records);
  ok = ok && status->checkpoints > 0
       && status->truncations > status->checkpoints
       && status->truncated_blocks > 0;
  model_init (&final_model);
  j = verify (d, "learning run", NCOMMITS, NCOMMITS, &final_model);
  ok = ok && j == NCOMMITS;
#ifdef LRVM_FAILPOINTS
  windows = load_list (list, &nckpt);
  t_note ("learned %d passages in %d truncations (%d by checkpoint)",
          npass, windows, nckpt);
  ok = ok && windows == (int) status->truncations
       && nckpt == (int) status->checkpoints;
#else
  (void) nckpt;
  (void) windows;
#endif
  t_check (ok, CASE_LEARN);
  keep_if_failed (d, ok);
  free (d);
  return ok;
}

#ifdef LRVM_FAILPOINTS

/* The case a passage named NAME belongs to.  */
static int
case_of (const char *name)
{
  int c;

  for (c = 0; c < NSWEPT; c++)
    if (strcmp (name, swept[c]) == 0)
      return c;
  return NSWEPT;
}

/* Kill the workload at each learned passage, in a fresh store, and
   verify what recovery finds.  */
/* Run the whole workload in the fresh store D, killed at passage PS
   (failpoint FP, "NAME:COUNT"); nonzero if it died there, in the
   commit the passage belongs to, else a note about WHAT.  */
static int
kill_at (const char *d, const struct passage *ps, const char *fp,
         const char *what)
{
  struct writer w;
  char how[64];
  int ok;

  w.dir = d;
  w.first = 1;
  w.last = NCOMMITS;
  w.failpoint = fp;
  w.list = NULL;
  ok = killed (run_writer (&w, how, sizeof how))
       && status->started == ps->commit;
  if (!ok)
    t_note ("%s: the writer ended with %s in commit %llu", what, how,
            (unsigned long long) status->started);
  return ok;
}

static void
sweep_passages (void)
{
  int tried[NSWEPT + 1], bad[NSWEPT + 1], ck[NSWEPT + 1], p, c;
  uint64_t t0 = t_now_usec ();

  memset (tried, 0, sizeof tried);
  memset (bad, 0, sizeof bad);
  memset (ck, 0, sizeof ck);
  for (p = 0; p < npass; p++)
    {
      const struct passage *ps = &pass[p];
      struct model m;
      char fp[128], what[200];
      char *d = fresh_store ("kill");
      int ok;
      uint64_t lo, hi = ps->commit;

      c = case_of (ps->name);
      snprintf (fp, sizeof fp, "%s:%d", ps->name, ps->count);
      snprintf (what, sizeof what, "killed at %s (commit %llu, %s%s)", fp,
                (unsigned long long) ps->commit,
                ps->ckpt ? "checkpoint" : "log flush",
                ps->exact ? "" : ", before the records were written");
      ok = kill_at (d, ps, fp, what);
      lo = ps->exact ? hi : status->durable;
      model_init (&m);
      ok = ok && verify (d, what, lo, hi, &m) >= 0;
      model_free (&m);
      tried[c]++;
      ck[c] += ps->ckpt;
      if (!ok)
        bad[c]++;
      keep_if_failed (d, ok);
      free (d);
    }
  for (c = 0; c <= NSWEPT; c++)
    {
      t_note ("%s: %d passages (%d in checkpoints), %d failed",
              c < NSWEPT ? swept[c] : "commit.*, log.grow", tried[c], ck[c],
              bad[c]);
      if (c < NSWEPT)
        t_check (tried[c] > 0 && bad[c] == 0, "killed at %s in"
                 " truncations", swept[c]);
      else
        t_check (tried[c] > 0 && bad[c] == 0, CASE_OTHER);
    }
  t_note ("%d kills at failpoints, %.1f s", npass,
          (double) (t_now_usec () - t0) / 1e6);
}

/* Kill the workload right after its first checkpoint header; "lrvm
   verify" and "lrvm info" read the store before any recovery, and
   recovery then finds the commit whose truncation it was.  */
static void
tool_case (void)
{
  static char out[65536];
  struct writer w;
  struct model m;
  char how[64];
  char *d = fresh_store ("tool");
  const struct passage *ps = NULL;
  long long vhead = -1, ihead = -1;
  int p, st, vcode = -1, icode = -1, ok;

  for (p = 0; p < npass && ps == NULL; p++)
    if (strcmp (pass[p].name, "truncate.after_checkpoint_header") == 0)
      ps = &pass[p];
  ok = ps != NULL;
  if (ok)
    {
      w.dir = d;
      w.first = 1;
      w.last = NCOMMITS;
      w.failpoint = "truncate.after_checkpoint_header:1";
      w.list = NULL;
      st = run_writer (&w, how, sizeof how);
      ok = killed (st);
    }
  if (ok)
    {
      const char *f;

      vcode = run_tool ("verify", d, out, sizeof out);
      /* The line of the slot in force.  */
      f = strstr (out, "(in force)");
      while (f != NULL && f > out && f[-1] != '\n')
        f--;
      vhead = f != NULL ? head_offset (f, "header slot") : -1;
      if (vcode != 0 || vhead <= 4096)
        t_note ("lrvm verify: exit %d, head offset %lld:\n%s", vcode, vhead,
                out);
      icode = run_tool ("info", d, out, sizeof out);
      ihead = head_offset (out, "header:");
      if (icode != 0 || ihead <= 4096 || strstr (out, "live records: 0\n"))
        t_note ("lrvm info: exit %d, head offset %lld:\n%s", icode, ihead,
                out);
      ok = vcode == 0 && vhead > 4096 && icode == 0 && ihead == vhead
           && strstr (out, "live records: 0\n") == NULL;
      model_init (&m);
      ok = verify (d, "killed after a checkpoint header", ps->commit,
                   ps->commit, &m) >= 0 && ok;
      model_free (&m);
    }
  t_check (ok, CASE_TOOL);
  keep_if_failed (d, ok);
  free (d);
}

/* Kill a truncation by checkpoint once it has written the first of
   its two segment files, then check that both header slots hold the
   checkpoint's header, damage the newest slot and the first record of
   the old log (a media error, and a power loss that took records never
   flushed), and recover: the checkpoint must be found in the other
   slot.  Had the older slot kept the old log's header, recovery would
   replay what is left of that log over one segment file of the
   checkpoint and one of before it.  */
static void
double_fault_case (void)
{
  unsigned char slots[2 * LRVM_HDR_SLOT_SIZE], zero[512];
  struct lrvm_header h[2];
  const struct passage *ps = NULL;
  struct model m;
  char fp[128], path[4200];
  char *d = fresh_store ("double");
  int p, q, k, newest, fd, ok, both = 0;

  for (p = 0; p < npass && ps == NULL; p++)
    if (pass[p].ckpt && strcmp (pass[p].name, "truncate.after_segment") == 0)
      for (q = p + 1; q < npass && pass[q].commit == pass[p].commit; q++)
        if (strcmp (pass[q].name, "truncate.after_segment") == 0)
          {
            ps = &pass[p];
            break;
          }
  ok = ps != NULL;
  if (!ok)
    t_note ("%s: the learning run has no checkpoint of two segments",
            CASE_DOUBLE);
  if (ok)
    {
      snprintf (fp, sizeof fp, "%s:%d", ps->name, ps->count);
      ok = kill_at (d, ps, fp, fp);
    }
  snprintf (path, sizeof path, "%s/.lrvm-log", d);
  if (ok)
    {
      fd = open (path, O_RDWR);
      if (fd < 0 || pread (fd, slots, sizeof slots, 0)
                    != (ssize_t) sizeof slots)
        t_bail ("cannot read %s: %s", path, strerror (errno));
      both = 1;
      for (k = 0; k < 2; k++)
        both = both && lrvm__header_decode (slots + k * LRVM_HDR_SLOT_SIZE,
                                            &h[k]) == 0;
      both = both && h[0].head_off == h[1].head_off
             && h[0].head_seq == h[1].head_seq
             && h[0].head_off >= LRVM_LOG_DATA_START + sizeof zero;
      if (!both)
        t_note ("%s: header slots: head offsets %llu and %llu", fp,
                (unsigned long long) h[0].head_off,
                (unsigned long long) h[1].head_off);
      newest = h[1].generation > h[0].generation;
      slots[newest * LRVM_HDR_SLOT_SIZE + 40] ^= 0x5a;
      memset (zero, 0, sizeof zero);
      if (pwrite (fd, slots, sizeof slots, 0) != (ssize_t) sizeof slots
          || pwrite (fd, zero, sizeof zero, LRVM_LOG_DATA_START)
             != (ssize_t) sizeof zero || close (fd) != 0)
        t_bail ("cannot write %s: %s", path, strerror (errno));
      model_init (&m);
      ok = verify (d, fp, ps->commit, ps->commit, &m) >= 0;
      model_free (&m);
    }
  t_check (both, CASE_SLOTS);
  t_check (ok, CASE_DOUBLE);
  keep_if_failed (d, ok && both);
  free (d);
}

/* --- a checkpoint of several writes ---------------------------------- */

/* BIG_BLOCKS blocks changed by twice as many no-flush commits of one
   block each (a durable one among them) make a checkpoint of several
   1 MiB writes at the explicit truncation that follows.  Commit K
   writes block (K - 1) % BIG_BLOCKS whole, in pass (K - 1) / BIG_BLOCKS.  */
#define BIG_BLOCKS 300
#define BIG_COMMITS (2 * BIG_BLOCKS)
#define BIG_DURABLE 250

static void
big_block (uint64_t k, unsigned char *p)
{
  uint64_t x = t_mix (seed ^ t_mix (k) ^ 0x424947ull);
  size_t j;

  for (j = 0; j < 4096; j++)
    p[j] = (unsigned char) ((x >> (8 * (j % 8))) + (j >> 3) + 1);
}

static int
big_writer (void *arg)
{
  struct writer *w = arg;
  struct rvm_options o;
  struct rvm_statistics st;
  rvm_t rvm;
  void *base;
  uint64_t k;
  int lf = -1;

  lf = failpoint_env (w);
  rvm_options_init (&o);
  o.truncate_threshold = (uint64_t) 64 << 20;
  if (rvm_open (w->dir, &o, &rvm) != 0
      || rvm_map_segment (rvm, "big", BIG_BLOCKS * 4096, &base, NULL) != 0)
    {
      t_note ("big writer: %s", rvm_errmsg ());
      return 3;
    }
  for (k = 1; k <= BIG_COMMITS; k++)
    {
      size_t off = (size_t) ((k - 1) % BIG_BLOCKS) * 4096;
      trans_t tid;

      status->started = k;
      if (rvm_begin (rvm, 1, &base, RVM_NO_RESTORE, &tid) != 0
          || rvm_modify (tid, base, off, 4096) != 0)
        break;
      big_block (k, (unsigned char *) base + off);
      if (rvm_commit (tid, k == BIG_DURABLE ? 0 : RVM_NO_FLUSH) != 0)
        break;
      if (k == BIG_DURABLE)
        status->durable = k;
      status->done = k;
    }
  if (k <= BIG_COMMITS)
    {
      t_note ("big writer: commit %llu: %s", (unsigned long long) k,
              rvm_errmsg ());
      return 4;
    }
  status->started = k;
  if (mark (lf, 't', k, 0) != 0)
    return 5;
  if (rvm_truncate (rvm) != 0 || rvm_stats (rvm, &st, sizeof st) != 0)
    {
      t_note ("big writer: rvm_truncate: %s", rvm_errmsg ());
      return 4;
    }
  status->truncations = st.truncations;
  status->checkpoints = st.checkpoints;
  status->truncated_blocks = st.truncated_blocks;
  if (rvm_close (rvm) != 0)
    return 4;
  return 0;
}

/* In a fresh process: recover DIR and find the commit J whose state
   the big segment holds; exit 0 if it is in LO..HI, 1 if it is not or
   if no commit leaves this state, 3 if the store does not open.  */
static int
big_verifier (void *arg)
{
  struct verifier *v = arg;
  unsigned char want[4096];
  unsigned char *f;
  size_t len, b, r;
  int *state, p;
  uint64_t j;
  rvm_t rvm;

  unsetenv ("LRVM_FAILPOINT");
  unsetenv ("LRVM_FAILPOINT_LIST");
  if (rvm_open (v->dir, NULL, &rvm) != 0 || rvm_close (rvm) != 0)
    {
      t_note ("%s: the store does not recover: %s", v->what, rvm_errmsg ());
      return 3;
    }
  f = read_whole (v->dir, "big", &len);
  state = malloc (BIG_BLOCKS * sizeof *state);
  if (f == NULL || len != BIG_BLOCKS * 4096 || state == NULL)
    {
      t_note ("%s: the big segment cannot be read", v->what);
      return 1;
    }
  /* Each block is zeros (0), in pass 1 (1) or in pass 2 (2).  */
  for (b = 0; b < BIG_BLOCKS; b++)
    {
      int s;
      for (s = 2; s >= 0; s--)
        {
          if (s == 0)
            memset (want, 0, sizeof want);
          else
            big_block ((uint64_t) (s - 1) * BIG_BLOCKS + b + 1, want);
          if (memcmp (f + b * 4096, want, 4096) == 0)
            break;
        }
      state[b] = s;
      if (s < 0)
        {
          t_note ("%s: block %zu holds no committed value", v->what, b);
          return 1;
        }
    }
  /* After commit J = P * BIG_BLOCKS + R (R < BIG_BLOCKS), blocks below
     R are in pass P + 1 and the others in pass P.  */
  p = state[BIG_BLOCKS - 1];
  for (r = 0; r < BIG_BLOCKS && state[r] == p + 1; r++)
    continue;
  j = (uint64_t) p * BIG_BLOCKS + r;
  for (b = r; b < BIG_BLOCKS; b++)
    if (state[b] != p)
      {
        /* Describe the runs of blocks in the same pass.  */
        char runs[512];
        size_t n = 0, a = 0, c;
        for (c = 1; c <= BIG_BLOCKS && n < sizeof runs - 40; c++)
          if (c == BIG_BLOCKS || state[c] != state[a])
            {
              n += (size_t) snprintf (runs + n, sizeof runs - n,
                                      " %zu-%zu:%d", a, c - 1, state[a]);
              a = c;
            }
        t_note ("%s: no commit leaves the big segment's blocks in these"
                " passes (0 for zeros):%s", v->what, runs);
        return 1;
      }
  if (j < v->lo || j > v->hi)
    {
      t_note ("%s: the store holds commit %llu, expected %llu..%llu",
              v->what, (unsigned long long) j, (unsigned long long) v->lo,
              (unsigned long long) v->hi);
      return 1;
    }
  free (state);
  free (f);
  return 0;
}

/* Kill the big workload at each passage of its truncation, in a
   fresh store each time, and verify what recovery finds.  */
static void
big_case (void)
{
  struct writer w;
  struct verifier v;
  char how[64], list[4200], what[200];
  char *d = fresh_store ("big");
  int st, ok, p, bad = 0, windows, nckpt, writes = 0;
  uint64_t t0 = t_now_usec ();

  snprintf (list, sizeof list, "%s/big-passages", top);
  w.dir = d;
  w.failpoint = NULL;
  w.list = list;
  st = run_writer_fn (big_writer, &w, how, sizeof how);
  ok = WIFEXITED (st) && WEXITSTATUS (st) == 0 && status->checkpoints == 1;
  if (!ok)
    t_note ("big: the learning run ended with %s, %llu checkpoints", how,
            (unsigned long long) status->checkpoints);
  t_rmdir (d);
  free (d);
  free (pass);
  pass = NULL;
  npass = ncounts = 0;
  windows = load_list (list, &nckpt);
  for (p = 0; p < npass; p++)
    writes += strcmp (pass[p].name, "io.write") == 0;
  /* The drain of the last records, the log's growth, two checkpoint
     writes at least, two header slots, the segment.  */
  ok = ok && windows == 1 && nckpt == 1 && writes >= 6;
  t_note ("big: %d passages in its truncation, %d of them writes", npass,
          writes);
  for (p = 0; ok && p < npass; p++)
    {
      char fp[128];
      int vst;

      d = fresh_store ("big");
      snprintf (fp, sizeof fp, "%s:%d", pass[p].name, pass[p].count);
      snprintf (what, sizeof what, "big: killed at %s", fp);
      w.dir = d;
      w.failpoint = fp;
      w.list = NULL;
      st = run_writer_fn (big_writer, &w, how, sizeof how);
      if (!killed (st) || status->started != BIG_COMMITS + 1)
        {
          t_note ("%s: the writer ended with %s at commit %llu", what, how,
                  (unsigned long long) status->started);
          vst = -1;
        }
      else
        {
          v.dir = d;
          v.what = what;
          v.lo = pass[p].exact ? BIG_COMMITS : status->durable;
          v.hi = BIG_COMMITS;
          t_wait (t_fork (big_verifier, &v), &vst, how, sizeof how);
        }
      if (WIFEXITED (vst) && WEXITSTATUS (vst) == 0)
        t_rmdir (d);
      else
        {
          if (bad++ == 0)
            t_note ("the store is kept in %s", d);
          keep_top = 1;
        }
      free (d);
    }
  t_note ("big: %d kills, %d failed, %.1f s", npass, bad,
          (double) (t_now_usec () - t0) / 1e6);
  t_check (ok && bad == 0, CASE_BIG);
}

#endif /* LRVM_FAILPOINTS */

/* --- random kills ---------------------------------------------------- */

#define ROUNDS 60
#define READY_DELAY 25000       /* microseconds after READY, at most */
#define MAX_DELAY 6000          /* microseconds after the fork */
#define ROUND_COMMITS 50000

/* Writers killed at random moments on one store, each going on from
   the commit the last recovery found.  A writer much slower than
   usual (under valgrind, say) gets longer before its kill: the delays
   double, up to 64 times, after each round that ran for more than half
   the longest delay and made fewer than 100 commits, so that the
   rounds still reach truncations.
   LRVM_TEST_QUICK asks for a third of the rounds.  */
static void
random_case (void)
{
  struct model m;
  char *d = fresh_store ("random");
  uint64_t rs = t_mix (seed ^ 0x52414e44ull), j = 0, ckpts = 0, truncs = 0;
  uint64_t t0 = t_now_usec (), scale = 1;
  int round, bad = 0, nkilled = 0;
  int rounds = getenv ("LRVM_TEST_QUICK") != NULL ? ROUNDS / 3 : ROUNDS;

  model_init (&m);
  for (round = 0; round < rounds && bad == 0; round++)
    {
      struct writer w;
      char how[64], what[64];
      uint64_t count, deadline, delay;
      int fd[2], st;
      pid_t pid;
      int64_t got;

      if (pipe (fd) != 0)
        t_bail ("pipe: %s", strerror (errno));
      w.dir = d;
      w.first = j + 1;
      w.last = j + ROUND_COMMITS;
      w.failpoint = NULL;
      w.list = NULL;
      w.ready_fd = fd[1];
      memset ((void *) status, 0, sizeof *status);
      status->durable = j;
      status->started = j;
      pid = t_fork (writer, &w);
      close (fd[1]);
      /* Most rounds die while committing; one in five may die while
         the store is still being opened and recovered.  */
      deadline = round > 0 && t_rand (&rs) % 5 == 0
                 ? t_now_usec () + t_rand (&rs) % (MAX_DELAY * scale)
                 : UINT64_MAX;
      delay = t_rand (&rs) % (READY_DELAY * scale);
      t_run_until (pid, fd[0], deadline, delay, 0, &count);
      close (fd[0]);
      t_wait (pid, &st, how, sizeof how);
      nkilled += killed (st);
      if (!killed (st) && !(WIFEXITED (st) && WEXITSTATUS (st) == 0))
        {
          t_note ("round %d: the writer ended with %s", round, how);
          bad++;
          break;
        }
      ckpts += status->checkpoints;
      truncs += status->truncations;
      snprintf (what, sizeof what, "round %d", round);
      got = verify (d, what, status->durable, status->started, &m);
      if (got < 0)
        {
          bad++;
          t_note ("round %d: the store is kept in %s", round, d);
          break;
        }
      if (deadline == UINT64_MAX && delay >= READY_DELAY * scale / 2
          && (uint64_t) got < j + 100 && killed (st) && scale < 64)
        scale *= 2;
      j = (uint64_t) got;
      model_advance (&m, j);
    }
  t_note ("random kills: %d rounds, %d killed, %llu commits, %llu"
          " truncations, %llu by checkpoint, %.1f s", round, nkilled,
          (unsigned long long) j, (unsigned long long) truncs,
          (unsigned long long) ckpts, (double) (t_now_usec () - t0) / 1e6);
  t_check (bad == 0 && ckpts > 0 && nkilled > rounds / 2, CASE_RANDOM);
  model_free (&m);
  if (bad == 0)
    t_rmdir (d);
  else
    keep_top = 1;
  free (d);
}

/* Report UNSUPPORTED every swept passage and the other cases that need
   failpoints; with ALL, also the learning run and the random kills,
   which do not.  SWEPT_WHY says why in the passages' messages, WHY in
   the others'.  */
static void
unsupported_cases (const char *swept_why, const char *why, int all)
{
  static const char *const cases[] = {
    CASE_OTHER, CASE_TOOL, CASE_SLOTS, CASE_DOUBLE, CASE_BIG,
    CASE_LEARN, CASE_RANDOM
  };
  int c, n = (int) (sizeof cases / sizeof cases[0]) - (all ? 0 : 2);

  for (c = 0; c < NSWEPT; c++)
    t_unsupported ("killed at %s in truncations (%s)", swept[c], swept_why);
  for (c = 0; c < n; c++)
    t_unsupported ("%s (%s)", cases[c], why);
}

int
main (int argc, char **argv)
{
  int fd;

  t_init (argc, argv);
  if (argc < 2)
    t_bail ("usage: %s PATH-OF-THE-LRVM-TOOL", argv[0]);
  if (!T_CHECKPOINTS)
    {
      unsupported_cases ("no checkpoints in this build: no write is"
                         " durable alone", "no checkpoints in this build",
                         1);
      return t_done ();
    }
  tool = argv[1];
  seed = t_seed ("checkpoint");
  top = t_tmpdir ("ckpt");
  snprintf (status_path, sizeof status_path, "%s/status", top);
  fd = open (status_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ftruncate (fd, (off_t) sizeof *status) != 0)
    t_bail ("cannot make %s: %s", status_path, strerror (errno));
  status = mmap (NULL, sizeof *status, PROT_READ | PROT_WRITE, MAP_SHARED,
                 fd, 0);
  if (status == MAP_FAILED)
    t_bail ("mmap %s: %s", status_path, strerror (errno));
  close (fd);

  learn ();
#ifdef LRVM_FAILPOINTS
  sweep_passages ();
  tool_case ();
  double_fault_case ();
  big_case ();
#else
  unsupported_cases ("failpoints not compiled in: configure"
                     " --enable-failpoints", "failpoints not compiled in",
                     0);
#endif
  random_case ();
  model_free (&final_model);
  munmap ((void *) status, sizeof *status);
  if (keep_top)
    t_note ("failed stores are kept in %s", top);
  else
    t_rmdir (top);
  return t_done ();
}
