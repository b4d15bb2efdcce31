/* failpoints.c -- crashes and I/O errors at the library's named
   failpoints (configure --enable-failpoints).

   A scripted workload passes through commit, explicit and automatic
   truncation, segment growth, destroy, log growth and recovery.  One
   run with LRVM_FAILPOINT_LIST learns every failpoint passage, and the
   step of the script it belongs to; then, for each failpoint and a
   spread of its passages, the workload runs again in a child killed
   there (LRVM_FAILPOINT=NAME:COUNT), and a fresh process recovers the
   store and compares every segment file with the exact contents the
   script gives before or after the step that was cut.  A log full of
   records is recovered by processes killed during replay, twice, then
   recovered whole.  The eio and enospc actions check that a failed
   commit or truncation reports RVM_EIO, that later calls are refused
   with RVM_EFAILED until the store is reopened, and that the reopened
   store holds every successful commit, and the failed one whole or
   not at all; a failed segment growth fails rvm_map cleanly, and a
   failed replay fails rvm_open and leaves the log to the next open.

   Usage: failpoints  (seed: LRVM_TEST_SEED)  */

#include <config.h>

#include "lrvm.h"
#include "testlib.h"

#include <stdio.h>

/* The cases, each with one PASS/FAIL name.  */
#define CASE_LEARN "the workload passes every failpoint"
#define CASE_KILL "killed at failpoint passages, recovery" \
  " finds a committed prefix"
#define CASE_REPLAY "replay killed twice, then recovered whole"
#define CASE_FLUSH_EIO "io.flush eio in a commit"
#define CASE_TRUNC_EIO "io.flush eio in a truncation"
#define CASE_WRITE_ENOSPC "io.write enospc in a commit"
#define CASE_GROW_ENOSPC "log.grow enospc"
#define CASE_SEG_EIO "segment.grow eio fails rvm_map cleanly"
#define CASE_REPLAY_EIO "eio in replay fails rvm_open, the next open" \
  " recovers"

#ifndef LRVM_FAILPOINTS

int
main (int argc, char **argv)
{
  static const char *const cases[] = {
    CASE_LEARN, CASE_KILL, CASE_REPLAY, CASE_FLUSH_EIO, CASE_TRUNC_EIO,
    CASE_WRITE_ENOSPC, CASE_GROW_ENOSPC, CASE_SEG_EIO, CASE_REPLAY_EIO
  };
  size_t i;

  t_init (argc, argv);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    t_unsupported ("%s (failpoints not compiled in: configure"
                   " --enable-failpoints)", cases[i]);
  return t_done ();
}

#else /* LRVM_FAILPOINTS */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- the script and its model ---------------------------------------- */

#define NSEGS 4
#define MAXSEG 20480
enum { A, B, G, D };
static const char *const seg_name[NSEGS] = { "a", "b", "g", "d" };

enum kind { OPEN, REOPEN, CLOSE, MAP, UNMAP, COMMIT, TRUNCATE, DESTROY };
static const char *const kind_name[] = {
  "open", "reopen", "close", "map", "unmap", "commit", "truncate", "destroy"
};

/* OPEN, REOPEN: ARG is the option set.  MAP: ARG is the size.
   COMMIT: SEG is a mask of segments (each gets a range, and there may
   be more), ARG the size class of the ranges (0 up to 512 bytes, 1
   from 2 to 4 KiB).  */
struct op
{
  enum kind kind;
  int seg;
  int arg;
};

#define M(s) (1 << (s))
#define C0(mask) { COMMIT, (mask), 0 }
#define C1(mask) { COMMIT, (mask), 1 }

/* The workload: option set 0 truncates automatically past 24 KiB and
   gives all log space back, so the log grows again after every
   truncation; option set 1 lets the log fill, so that the next open
   replays many records.  Whatever the seed, the eight large commits
   after the first truncation pass the threshold, the two small ones
   after the second leave records of D in the log for the destroy, and
   the log holds records at the second reopen.  */
static const struct op workload[] = {
  { OPEN, 0, 0 },
  { MAP, A, 16384 }, { MAP, B, 6000 },
  C0 (M (A) | M (B)), C0 (M (A) | M (B)), C0 (M (A)), C0 (M (A) | M (B)),
  C0 (M (B)), C0 (M (A) | M (B)),
  { TRUNCATE, 0, 0 },
  C1 (M (A) | M (B)), C1 (M (A) | M (B)), C1 (M (A)), C1 (M (A) | M (B)),
  C1 (M (B)), C1 (M (A) | M (B)), C1 (M (A) | M (B)), C1 (M (A) | M (B)),
  { MAP, G, 4096 },
  C0 (M (A) | M (G)), C0 (M (G)), C0 (M (A) | M (G)),
  { UNMAP, G, 0 }, { MAP, G, 20480 },
  C1 (M (G) | M (B)), C1 (M (G)), C1 (M (G) | M (B)),
  { TRUNCATE, 0, 0 }, { MAP, D, 2048 },
  C0 (M (D)), C0 (M (D) | M (A)),
  { UNMAP, D, 0 }, { DESTROY, D, 0 }, { MAP, D, 1024 },
  C0 (M (D) | M (A)),
  C0 (M (A) | M (B) | M (G)), C0 (M (A) | M (B) | M (G)),
  C0 (M (A) | M (B) | M (G)),
  { REOPEN, 0, 1 },
  { MAP, A, 16384 }, { MAP, B, 6000 }, { MAP, G, 20480 }, { MAP, D, 1024 },
  C1 (M (A) | M (B) | M (G) | M (D)), C1 (M (A) | M (B) | M (G) | M (D)),
  C1 (M (A) | M (B)), C1 (M (G) | M (D)), C1 (M (A) | M (G)),
  C1 (M (A) | M (B) | M (G) | M (D)), C1 (M (B)), C1 (M (A) | M (D)),
  { REOPEN, 0, 0 },
  { MAP, A, 16384 }, { MAP, B, 6000 },
  C0 (M (A) | M (B)), C0 (M (A)), C0 (M (B)),
  { TRUNCATE, 0, 0 },
  C0 (M (A) | M (B)), C0 (M (A) | M (B)),
  { CLOSE, 0, 0 }
};
#define WORKLOAD_STEPS ((int) (sizeof workload / sizeof workload[0]))

/* Fills a log with records and leaves it so: the writer dies after the
   last step.  */
#define FILL_COMMITS 30
static struct op fill[3 + FILL_COMMITS];
#define FILL_STEPS ((int) (sizeof fill / sizeof fill[0]))

struct seg
{
  int exists;
  size_t size;
  unsigned char data[MAXSEG];
};

struct model
{
  struct seg s[NSEGS];
};

struct range
{
  int seg;
  size_t off, len;
};

#define MAXRANGES 5

static uint64_t seed;

/* The ranges of the commit at STEP of a script, given the segment
   sizes of M; returns their number.  */
static int
commit_ranges (const struct op *op, int step, const struct model *m,
               struct range *r)
{
  uint64_t st = t_mix (seed ^ t_mix ((uint64_t) step + 1));
  int segs[NSEGS], ns = 0, nr, i;

  for (i = 0; i < NSEGS; i++)
    if (op->seg & M (i))
      segs[ns++] = i;
  nr = 1 + (int) (t_rand (&st) % (MAXRANGES - 1));
  if (nr < ns)
    nr = ns;
  for (i = 0; i < nr; i++)
    {
      int seg = segs[i < ns ? i : (int) (t_rand (&st) % (unsigned) ns)];
      size_t size = m->s[seg].size, len;
      len = op->arg == 0 ? 1 + (size_t) (t_rand (&st) % 512)
                         : 2048 + (size_t) (t_rand (&st) % 2048);
      if (len > size)
        len = size;
      r[i].seg = seg;
      r[i].len = len;
      r[i].off = (size_t) (t_rand (&st) % (size - len + 1));
    }
  return nr;
}

/* The bytes range I of the commit at STEP writes.  */
static void
commit_data (int step, int i, unsigned char *p, size_t len)
{
  uint64_t st = t_mix (seed ^ t_mix ((uint64_t) step + 1)
                      ^ ((uint64_t) i << 40));
  uint64_t x = 0;
  size_t j;

  for (j = 0; j < len; j++)
    {
      if (j % 8 == 0)
        x = t_rand (&st);
      p[j] = (unsigned char) (x >> (8 * (j % 8)));
    }
}

/* What step STEP of SCRIPT does to the segment files.  */
static void
model_apply (const struct op *script, int step, struct model *m)
{
  const struct op *op = &script[step];
  struct seg *g = &m->s[op->seg];

  switch (op->kind)
    {
    case MAP:
      if (!g->exists)
        {
          g->exists = 1;
          g->size = 0;
        }
      if ((size_t) op->arg > g->size)
        {
          memset (g->data + g->size, 0, (size_t) op->arg - g->size);
          g->size = (size_t) op->arg;
        }
      break;
    case DESTROY:
      g->exists = 0;
      g->size = 0;
      break;
    case COMMIT:
      {
        struct range r[MAXRANGES];
        int nr = commit_ranges (op, step, m, r), i;
        for (i = 0; i < nr; i++)
          commit_data (step, i, m->s[r[i].seg].data + r[i].off, r[i].len);
      }
      break;
    default:
      break;
    }
}

/* The files after steps 0..LAST of SCRIPT (none: LAST = -1).  */
static void
model_at (const struct op *script, int last, struct model *m)
{
  int i;

  memset (m, 0, sizeof *m);
  for (i = 0; i <= last; i++)
    model_apply (script, i, m);
}

/* --- the child that runs a script ------------------------------------ */

/* Messages on the pipe: three numbers.  */
enum
{
  MSG_DONE = 1,                 /* step done */
  MSG_FAILED,                   /* step, status */
  MSG_PROBE,                    /* commit, flush, truncate after it */
  MSG_CLOSED,                   /* close status, reopen status */
  MSG_AFTER,                    /* commit, close after the reopen */
  MSG_RETRY                     /* step, status of a second try */
};

/* What a child does when a step fails.  */
enum mode
{
  MODE_STRICT,                  /* report and stop */
  MODE_POISON,                  /* probe: later calls must be refused */
  MODE_RETRY                    /* try the step again and go on */
};

struct runner
{
  const struct op *script;
  int nsteps;
  int die_after;                /* SIGKILL itself after the script */
  const char *dir;
  const char *failpoint;        /* LRVM_FAILPOINT, or NULL */
  const char *list;             /* LRVM_FAILPOINT_LIST, or NULL */
  enum mode mode;
  int fd[2];
  /* The child's state.  */
  rvm_t rvm;
  void *base[NSEGS];
  struct model m;
  int mark;
};

static void
send_msg (int fd, uint64_t a, uint64_t b, uint64_t c)
{
  uint64_t msg[3] = { a, b, c };
  ssize_t w;

  do
    w = write (fd, msg, sizeof msg);
  while (w < 0 && errno == EINTR);
}

static int
open_store (struct runner *r, int set)
{
  struct rvm_options o;

  rvm_options_init (&o);
  if (set == 0)
    {
      o.truncate_threshold = 24576;
      o.log_reserve = 0;
    }
  else
    o.truncate_threshold = (uint64_t) 8 << 20;
  return rvm_open (r->dir, &o, &r->rvm);
}

/* Run step STEP; returns its status.  */
static int
do_step (struct runner *r, int step)
{
  const struct op *op = &r->script[step];
  int res = 0, i;

  switch (op->kind)
    {
    case OPEN:
      return open_store (r, op->arg);
    case REOPEN:
      /* A second try after a failed open has nothing to close.  */
      if (r->rvm != NULL && (res = rvm_close (r->rvm)) != 0)
        return res;
      r->rvm = NULL;
      memset (r->base, 0, sizeof r->base);
      return open_store (r, op->arg);
    case CLOSE:
      res = rvm_close (r->rvm);
      r->rvm = NULL;
      memset (r->base, 0, sizeof r->base);
      return res;
    case MAP:
      return rvm_map_segment (r->rvm, seg_name[op->seg], (size_t) op->arg,
                              &r->base[op->seg], NULL);
    case UNMAP:
      if ((res = rvm_unmap_segment (r->rvm, r->base[op->seg])) == 0)
        r->base[op->seg] = NULL;
      return res;
    case DESTROY:
      return rvm_destroy_segment (r->rvm, seg_name[op->seg]);
    case TRUNCATE:
      return rvm_truncate (r->rvm);
    case COMMIT:
      {
        struct range rg[MAXRANGES];
        void *bases[NSEGS];
        size_t nb = 0;
        int nr = commit_ranges (op, step, &r->m, rg);
        trans_t tid;

        for (i = 0; i < NSEGS; i++)
          if (op->seg & M (i))
            bases[nb++] = r->base[i];
        if ((res = rvm_begin (r->rvm, nb, bases, 0, &tid)) != 0)
          return res;
        for (i = 0; i < nr; i++)
          {
            unsigned char *p = (unsigned char *) r->base[rg[i].seg]
                               + rg[i].off;
            if ((res = rvm_modify (tid, r->base[rg[i].seg], rg[i].off,
                                   rg[i].len)) != 0)
              return res;
            commit_data (step, i, p, rg[i].len);
          }
        return rvm_commit (tid, 0);
      }
    }
  return RVM_EINVAL;
}

/* After a failed write or flush: every later change must be refused
   until the store is reopened; the reopened store works.  */
static void
probe_poisoned (struct runner *r)
{
  int c1 = -1, c2, c3, c4, c5 = -1, c6 = -1, i;
  void *z;

  for (i = 0; i < NSEGS; i++)
    if (r->base[i] != NULL)
      {
        trans_t tid;
        if ((c1 = rvm_begin (r->rvm, 1, &r->base[i], 0, &tid)) == 0
            && (c1 = rvm_modify (tid, r->base[i], 0, 8)) == 0)
          {
            memset (r->base[i], 0xee, 8);
            c1 = rvm_commit (tid, 0);
          }
        break;
      }
  c2 = rvm_flush (r->rvm);
  c3 = rvm_truncate (r->rvm);
  send_msg (r->fd[1], MSG_PROBE, (uint64_t) c1, (uint64_t) ((c2 << 8) | c3));
  c4 = rvm_close (r->rvm);
  r->rvm = NULL;
  c5 = rvm_open (r->dir, NULL, &r->rvm);
  send_msg (r->fd[1], MSG_CLOSED, (uint64_t) c4, (uint64_t) c5);
  if (c5 != 0)
    return;
  /* A segment outside the script: the verifier does not look at it.  */
  if ((c5 = rvm_map_segment (r->rvm, "z", 64, &z, NULL)) == 0)
    {
      trans_t tid;
      if ((c5 = rvm_begin (r->rvm, 1, &z, 0, &tid)) == 0
          && (c5 = rvm_modify (tid, z, 0, 8)) == 0)
        {
          memset (z, 0x11, 8);
          c5 = rvm_commit (tid, 0);
        }
    }
  c6 = rvm_close (r->rvm);
  send_msg (r->fd[1], MSG_AFTER, (uint64_t) c5, (uint64_t) c6);
}

static int
run_script (void *arg)
{
  struct runner *r = arg;
  int step, res;

  close (r->fd[0]);
  if (r->failpoint != NULL)
    setenv ("LRVM_FAILPOINT", r->failpoint, 1);
  else
    unsetenv ("LRVM_FAILPOINT");
  if (r->list != NULL)
    {
      setenv ("LRVM_FAILPOINT_LIST", r->list, 1);
      r->mark = open (r->list, O_WRONLY | O_APPEND | O_CREAT, 0600);
    }
  else
    {
      unsetenv ("LRVM_FAILPOINT_LIST");
      r->mark = -1;
    }
  memset (&r->m, 0, sizeof r->m);
  for (step = 0; step < r->nsteps; step++)
    {
      if (r->mark >= 0)
        {
          char line[32];
          int n = snprintf (line, sizeof line, "#step %d\n", step);
          if (write (r->mark, line, (size_t) n) != n)
            return 5;
        }
      res = do_step (r, step);
      if (res != 0)
        {
          send_msg (r->fd[1], MSG_FAILED, (uint64_t) step, (uint64_t) res);
          if (r->mode == MODE_STRICT)
            {
              t_note ("step %d (%s): %s", step,
                      kind_name[r->script[step].kind], rvm_errmsg ());
              return 4;
            }
          if (r->mode == MODE_POISON)
            {
              probe_poisoned (r);
              return 0;
            }
          res = do_step (r, step);
          send_msg (r->fd[1], MSG_RETRY, (uint64_t) step, (uint64_t) res);
          if (res != 0)
            return 4;
        }
      model_apply (r->script, step, &r->m);
      send_msg (r->fd[1], MSG_DONE, (uint64_t) step, 0);
    }
  if (r->die_after)
    kill (getpid (), SIGKILL);
  return 0;
}

/* What the parent learned from a run.  */
struct outcome
{
  char how[64];
  int killed;                   /* died of SIGKILL */
  int exited0;
  int last_done;                /* last step done, or -1 */
  int failed_step, failed_code; /* -1 if none */
  int probe_commit, probe_flush, probe_truncate;
  int close_code, reopen_code, after_commit, after_close;
  int retry_code;
};

/* Run SCRIPT in a child as R says and collect its messages.  */
static void
run (struct runner *r, struct outcome *o)
{
  uint64_t msg[3];
  pid_t pid;
  int st;

  memset (o, 0, sizeof *o);
  o->last_done = o->failed_step = o->failed_code = -1;
  o->probe_commit = o->probe_flush = o->probe_truncate = -1;
  o->close_code = o->reopen_code = o->after_commit = o->after_close = -1;
  o->retry_code = -1;
  if (pipe (r->fd) != 0)
    t_bail ("pipe: %s", strerror (errno));
  pid = t_fork (run_script, r);
  close (r->fd[1]);
  for (;;)
    {
      ssize_t got = read (r->fd[0], msg, sizeof msg);
      if (got < 0 && errno == EINTR)
        continue;
      if (got != (ssize_t) sizeof msg)
        break;
      switch (msg[0])
        {
        case MSG_DONE:
          o->last_done = (int) msg[1];
          break;
        case MSG_FAILED:
          o->failed_step = (int) msg[1];
          o->failed_code = (int) msg[2];
          break;
        case MSG_PROBE:
          o->probe_commit = (int) msg[1];
          o->probe_flush = (int) (msg[2] >> 8);
          o->probe_truncate = (int) (msg[2] & 0xff);
          break;
        case MSG_CLOSED:
          o->close_code = (int) msg[1];
          o->reopen_code = (int) msg[2];
          break;
        case MSG_AFTER:
          o->after_commit = (int) msg[1];
          o->after_close = (int) msg[2];
          break;
        case MSG_RETRY:
          o->retry_code = (int) msg[2];
          break;
        }
    }
  close (r->fd[0]);
  t_wait (pid, &st, o->how, sizeof o->how);
  o->killed = WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL;
  o->exited0 = WIFEXITED (st) && WEXITSTATUS (st) == 0;
}

/* --- the verifier ---------------------------------------------------- */

struct verify
{
  const char *dir;
  const char *what;
  const struct model *m[2];
  const char *failpoint;
};

/* Nonzero if the segment files of DIR are those of M.  A segment that
   does not exist and an empty file are the same: an interrupted first
   rvm_map may leave the latter, and a map of either starts from
   zeros.  */
static int
files_match (const char *dir, const struct model *m, char *why, size_t n)
{
  static unsigned char buf[MAXSEG + 1];
  char path[4096];
  int i;

  for (i = 0; i < NSEGS; i++)
    {
      const struct seg *g = &m->s[i];
      ssize_t got = 0;
      int fd;

      snprintf (path, sizeof path, "%s/%s", dir, seg_name[i]);
      fd = open (path, O_RDONLY);
      if (fd >= 0)
        {
          got = read (fd, buf, sizeof buf);
          close (fd);
        }
      else if (errno != ENOENT)
        got = -1;
      if (got < 0)
        {
          snprintf (why, n, "cannot read %s", seg_name[i]);
          return 0;
        }
      if (!g->exists || g->size == 0)
        {
          if (got != 0)
            {
              snprintf (why, n, "%s should not exist but has %zd bytes",
                        seg_name[i], got);
              return 0;
            }
          continue;
        }
      if ((size_t) got != g->size)
        {
          snprintf (why, n, "%s has %zd bytes, not %zu", seg_name[i], got,
                    g->size);
          return 0;
        }
      if (memcmp (buf, g->data, g->size) != 0)
        {
          size_t j = 0;
          while (buf[j] == g->data[j])
            j++;
          snprintf (why, n, "%s differs at byte %zu", seg_name[i], j);
          return 0;
        }
    }
  return 1;
}

/* Recover the store in this fresh process, then compare the files:
   exit 10 if they match M[0], 11 if M[1], 1 if neither.  */
static int
verifier (void *arg)
{
  struct verify *v = arg;
  char why0[128], why1[128];
  rvm_t rvm;
  int r;

  unsetenv ("LRVM_FAILPOINT");
  unsetenv ("LRVM_FAILPOINT_LIST");
  if ((r = rvm_open (v->dir, NULL, &rvm)) != 0)
    {
      t_note ("%s: the store does not open: %s", v->what, rvm_errmsg ());
      return 3;
    }
  if ((r = rvm_close (rvm)) != 0)
    {
      t_note ("%s: the store does not close: %s", v->what, rvm_errmsg ());
      return 3;
    }
  if (files_match (v->dir, v->m[0], why0, sizeof why0))
    return 10;
  if (v->m[1] != NULL && files_match (v->dir, v->m[1], why1, sizeof why1))
    return 11;
  if (v->m[1] != NULL)
    t_note ("%s: the segments are neither before the step (%s) nor after"
            " it (%s)", v->what, why0, why1);
  else
    t_note ("%s: the segments are not as committed: %s", v->what, why0);
  return 1;
}

/* Check in a fresh process that DIR holds M0 or M1 (may be NULL);
   returns 0 or 1 for the one it holds, -1 if neither.  */
static int
verify (const char *dir, const char *what, const struct model *m0,
        const struct model *m1)
{
  struct verify v;
  char how[64];
  int st;

  v.dir = dir;
  v.what = what;
  v.m[0] = m0;
  v.m[1] = m1;
  t_wait (t_fork (verifier, &v), &st, how, sizeof how);
  if (WIFEXITED (st) && WEXITSTATUS (st) == 10)
    return 0;
  if (WIFEXITED (st) && WEXITSTATUS (st) == 11)
    return 1;
  if (!WIFEXITED (st) || WEXITSTATUS (st) == 3)
    t_note ("%s: verifier: %s", what, how);
  return -1;
}

/* --- the learned passages ------------------------------------------- */

struct passage
{
  char name[64];
  int count;                    /* its number among those of NAME */
  int step;
  char prev[64];                /* the name of the passage before */
};

static struct passage *pass;
static int npass;

struct fpname
{
  char name[64];
  int count;
};

static struct fpname names[64];
static int nnames;

/* Read the list a learning run wrote.  */
static void
load_list (const char *path)
{
  char line[128];
  FILE *f = fopen (path, "r");
  int step = -1, cap = 0, i;

  if (f == NULL)
    t_bail ("cannot read %s: %s", path, strerror (errno));
  while (fgets (line, sizeof line, f) != NULL)
    {
      struct passage *p;
      line[strcspn (line, "\n")] = '\0';
      if (sscanf (line, "#step %d", &step) == 1 || line[0] == '\0')
        continue;
      if (npass == cap)
        {
          cap = cap ? 2 * cap : 256;
          pass = realloc (pass, (size_t) cap * sizeof *pass);
          if (pass == NULL)
            t_bail ("out of memory");
        }
      p = &pass[npass];
      snprintf (p->name, sizeof p->name, "%.63s", line);
      p->step = step;
      snprintf (p->prev, sizeof p->prev, "%s",
                npass > 0 ? pass[npass - 1].name : "");
      for (i = 0; i < nnames; i++)
        if (strcmp (names[i].name, p->name) == 0)
          break;
      if (i == nnames)
        {
          if (nnames == (int) (sizeof names / sizeof names[0]))
            t_bail ("too many failpoint names");
          snprintf (names[nnames++].name, sizeof names[0].name, "%s",
                    p->name);
        }
      p->count = ++names[i].count;
      npass++;
    }
  fclose (f);
}

/* The passage COUNT of NAME, or NULL.  */
static const struct passage *
find_passage (const char *name, int count)
{
  int i;

  for (i = 0; i < npass; i++)
    if (pass[i].count == count && strcmp (pass[i].name, name) == 0)
      return &pass[i];
  return NULL;
}

/* --- the cases -------------------------------------------------------- */

static const char *const expected_names[] = {
  "io.write", "io.flush", "log.create", "log.grow", "commit.before_write",
  "commit.partial_write", "commit.after_write", "commit.after_flush",
  "segment.grow", "destroy.before_unlink", "replay.after_record",
  "truncate.before_segment_flush", "truncate.after_segment",
  "truncate.before_header", "truncate.after_header"
};

static uint64_t rs;

/* The paths the workload must take, seen from the failpoints it
   passes: automatic truncation inside a commit, explicit truncation,
   growth of an existing segment, destroy with records in the log,
   replay when the store is reopened.  */
static const struct
{
  const char *name;
  enum kind kind;
  int grows;
} paths[] = {
  { "truncate.after_header", COMMIT, 0 },
  { "truncate.after_header", TRUNCATE, 0 },
  { "truncate.after_header", DESTROY, 0 },
  { "segment.grow", MAP, 1 },
  { "destroy.before_unlink", DESTROY, 0 },
  { "replay.after_record", REOPEN, 0 },
  { "log.grow", COMMIT, 0 }
};

/* Nonzero if NAME passes in a step of KIND (one that grows a segment
   that exists, if GROWS; M is scratch).  */
static int
passes_in (const char *name, enum kind kind, int grows, struct model *m)
{
  int i;

  for (i = 0; i < npass; i++)
    {
      const struct op *op = &workload[pass[i].step];
      if (strcmp (pass[i].name, name) != 0 || op->kind != kind)
        continue;
      if (!grows)
        return 1;
      model_at (workload, pass[i].step - 1, m);
      if (m->s[op->seg].exists && m->s[op->seg].size < (size_t) op->arg)
        return 1;
    }
  return 0;
}

/* Learn the passages of the workload and check that a run without
   failures leaves exactly the script's final files.  */
static int
learn (void)
{
  struct runner r;
  struct outcome o;
  struct model *m = malloc (sizeof *m);
  char *d = t_tmpdir ("fp-learn"), list[4200];
  size_t i;
  int ok = 1, j;

  if (m == NULL)
    t_bail ("out of memory");
  snprintf (list, sizeof list, "%s/passages.txt", d);
  memset (&r, 0, sizeof r);
  r.script = workload;
  r.nsteps = WORKLOAD_STEPS;
  r.dir = d;
  r.list = list;
  r.mode = MODE_STRICT;
  run (&r, &o);
  load_list (list);
  if (!o.exited0 || o.last_done != WORKLOAD_STEPS - 1)
    {
      t_note ("the learning run ended with %s after step %d",
              o.how, o.last_done);
      ok = 0;
    }
  for (i = 0; i < sizeof expected_names / sizeof expected_names[0]; i++)
    {
      for (j = 0; j < nnames; j++)
        if (strcmp (names[j].name, expected_names[i]) == 0)
          break;
      if (j == nnames)
        {
          t_note ("the workload never passes %s",
                  expected_names[i]);
          ok = 0;
        }
    }
  for (j = 0; j < nnames; j++)
    t_note ("%s passed %d times", names[j].name, names[j].count);
  for (i = 0; i < sizeof paths / sizeof paths[0]; i++)
    if (!passes_in (paths[i].name, paths[i].kind, paths[i].grows, m))
      {
        t_note ("the workload never passes %s in a %s step%s",
                paths[i].name, kind_name[paths[i].kind],
                paths[i].grows ? " that grows a segment" : "");
        ok = 0;
      }
  model_at (workload, WORKLOAD_STEPS - 1, m);
  if (ok && verify (d, "learning run", m, NULL) != 0)
    ok = 0;
  t_check (ok, CASE_LEARN);
  t_rmdir (d);
  free (d);
  free (m);
  return ok;
}

/* Up to SPREAD passage numbers out of 1..C: all of them if C is that
   small, else the first two, the last two, two between and one at
   random, so that runs with other seeds try other passages.  */
#define SPREAD 7

static int
spread (int c, int *out)
{
  int want[SPREAD], n = 0, i, k;

  if (c <= SPREAD)
    {
      for (i = 1; i <= c; i++)
        out[n++] = i;
      return n;
    }
  want[0] = 1;
  want[1] = 2;
  want[2] = c / 3;
  want[3] = 2 * c / 3;
  want[4] = c - 1;
  want[5] = c;
  want[6] = 1 + (int) (t_rand (&rs) % (unsigned) c);
  for (i = 0; i < SPREAD; i++)
    {
      for (k = 0; k < n; k++)
        if (out[k] == want[i])
          break;
      if (k == n)
        out[n++] = want[i];
    }
  return n;
}

/* Kill the workload at each chosen passage; recover; compare.  */
static void
kill_sweep (void)
{
  struct model *before = malloc (sizeof *before);
  struct model *after = malloc (sizeof *after);
  int runs = 0, bad = 0, n_before = 0, n_after = 0, j, i;
  uint64_t t0 = t_now_usec ();

  if (before == NULL || after == NULL)
    t_bail ("out of memory");
  for (j = 0; j < nnames && bad < 5; j++)
    {
      int counts[SPREAD], nc = spread (names[j].count, counts);
      for (i = 0; i < nc && bad < 5; i++)
        {
          const struct passage *p = find_passage (names[j].name, counts[i]);
          char fp[128], what[200], *d = t_tmpdir ("fp-kill");
          struct runner r;
          struct outcome o;
          int got;

          snprintf (fp, sizeof fp, "%.63s:%d", names[j].name, counts[i]);
          snprintf (what, sizeof what, "kill at %s (step %d,"
                    " %s)", fp, p->step, kind_name[workload[p->step].kind]);
          memset (&r, 0, sizeof r);
          r.script = workload;
          r.nsteps = WORKLOAD_STEPS;
          r.dir = d;
          r.failpoint = fp;
          r.mode = MODE_STRICT;
          run (&r, &o);
          runs++;
          if (!o.killed || o.last_done != p->step - 1)
            {
              t_note ("%s: the workload ended with %s after step %d",
                      what, o.how, o.last_done);
              bad++;
              t_rmdir (d);
              free (d);
              continue;
            }
          model_at (workload, p->step - 1, before);
          model_at (workload, p->step, after);
          got = verify (d, what, before, after);
          if (got < 0)
            {
              bad++;
              t_note ("%s: store kept in %s", what, d);
              free (d);
              continue;
            }
          if (got == 0)
            n_before++;
          else
            n_after++;
          t_rmdir (d);
          free (d);
        }
    }
  t_note ("%d kill runs over %d failpoints: %d recovered the"
          " state before the step cut, %d after it; %.1f s", runs, nnames,
          n_before, n_after, (t_now_usec () - t0) / 1e6);
  t_check (bad == 0 && runs > 0, CASE_KILL);
  free (before);
  free (after);
}

/* A log full of records, recovered by a process killed at replay
   record K1, then by one killed at K2 (or in the truncation step
   after the replay), then whole.  */
static void
replay_twice (void)
{
  struct model *m = malloc (sizeof *m);
  static const char *const second[] = {
    "replay.after_record", "truncate.after_segment",
    "truncate.before_header", "replay.after_record"
  };
  int k1s[] = { 1, 2, FILL_COMMITS / 2, FILL_COMMITS - 1, FILL_COMMITS };
  int ok = 1, i;

  if (m == NULL)
    t_bail ("out of memory");
  model_at (fill, FILL_STEPS - 1, m);
  for (i = 0; i < (int) (sizeof k1s / sizeof k1s[0]) && ok; i++)
    {
      char *d = t_tmpdir ("fp-replay"), fp1[64], fp2[64], what[200];
      struct runner r;
      struct outcome o;
      const char *how = second[i % 4];
      int k2 = strcmp (how, "replay.after_record") == 0
               ? 1 + (int) (t_rand (&rs) % FILL_COMMITS) : 1;

      snprintf (fp1, sizeof fp1, "replay.after_record:%d", k1s[i]);
      snprintf (fp2, sizeof fp2, "%s:%d", how, k2);
      snprintf (what, sizeof what, "replay killed at %s, then"
                " at %s", fp1, fp2);
      memset (&r, 0, sizeof r);
      r.script = fill;
      r.nsteps = FILL_STEPS;
      r.die_after = 1;
      r.dir = d;
      r.mode = MODE_STRICT;
      run (&r, &o);
      if (!o.killed || o.last_done != FILL_STEPS - 1)
        {
          t_note ("%s: the writer ended with %s after step %d", what, o.how,
                  o.last_done);
          ok = 0;
        }
      /* Two recoveries killed part way: an OPEN step alone.  */
      r.script = fill;
      r.nsteps = 1;
      r.die_after = 0;
      r.failpoint = fp1;
      run (&r, &o);
      if (ok && !o.killed)
        {
          t_note ("%s: the first recovery ended with %s", what, o.how);
          ok = 0;
        }
      r.failpoint = fp2;
      run (&r, &o);
      if (ok && !o.killed)
        {
          t_note ("%s: the second recovery ended with %s", what, o.how);
          ok = 0;
        }
      if (ok && verify (d, what, m, NULL) != 0)
        ok = 0;
      if (ok)
        t_rmdir (d);
      else
        t_note ("%s: store kept in %s", what, d);
      free (d);
    }
  t_check (ok, CASE_REPLAY);
  free (m);
}

/* Inject ACTION at passage P; the step must fail with RVM_EIO and, for
   MODE_POISON, every later change be refused with RVM_EFAILED until
   the store is reopened; the reopened store holds the steps before and
   possibly the failed one, whole.  MODE_RETRY: the same step succeeds
   when tried again and the run completes.  Returns nonzero if all
   held.  */
static int
inject (const struct passage *p, const char *action, enum mode mode)
{
  /* Static, not on the heap: the runner and the verifier are forked
     children that exit normally, and must not count them as leaks.  */
  static struct model before_m, after_m;
  struct model *before = &before_m, *after = &after_m;
  char fp[128], what[200], *d = t_tmpdir ("fp-error");
  struct runner r;
  struct outcome o;
  int ok = 1, got;

  snprintf (fp, sizeof fp, "%.63s:%d:%s", p->name, p->count, action);
  snprintf (what, sizeof what, "%s (step %d, %s)", fp, p->step,
            kind_name[workload[p->step].kind]);
  memset (&r, 0, sizeof r);
  r.script = workload;
  r.nsteps = WORKLOAD_STEPS;
  r.dir = d;
  r.failpoint = fp;
  r.mode = mode;
  run (&r, &o);
  if (!o.exited0 || o.failed_step != p->step || o.failed_code != RVM_EIO)
    {
      t_note ("%s: the workload ended with %s; step %d failed with %s",
              what, o.how, o.failed_step,
              o.failed_code < 0 ? "nothing" : rvm_strerror (o.failed_code));
      ok = 0;
    }
  if (ok && mode == MODE_POISON
      && (o.probe_commit != RVM_EFAILED || o.probe_flush != RVM_EFAILED
          || o.probe_truncate != RVM_EFAILED || o.close_code != RVM_EFAILED
          || o.reopen_code != 0 || o.after_commit != 0
          || o.after_close != 0))
    {
      t_note ("%s: after the failure: commit %d, flush %d, truncate %d,"
              " close %d (all should be %d, RVM_EFAILED); then reopen %d,"
              " commit %d, close %d (all should be 0)", what,
              o.probe_commit, o.probe_flush, o.probe_truncate,
              o.close_code, RVM_EFAILED, o.reopen_code, o.after_commit,
              o.after_close);
      ok = 0;
    }
  if (ok && mode == MODE_RETRY
      && (o.retry_code != 0 || o.last_done != WORKLOAD_STEPS - 1))
    {
      t_note ("%s: the second try gave %d; the run ended after step %d",
              what, o.retry_code, o.last_done);
      ok = 0;
    }
  if (ok)
    {
      if (mode == MODE_POISON)
        {
          model_at (workload, p->step - 1, before);
          model_at (workload, p->step, after);
          got = verify (d, what, before, after);
          if (got >= 0 && workload[p->step].kind == COMMIT)
            t_note ("%s: reopened with the failed commit %s", what,
                    got == 0 ? "absent" : "whole");
        }
      else
        {
          model_at (workload, WORKLOAD_STEPS - 1, before);
          got = verify (d, what, before, NULL);
        }
      ok = got >= 0;
    }
  if (ok)
    t_rmdir (d);
  else
    t_note ("%s: store kept in %s", what, d);
  free (d);
  return ok;
}

/* The passages of NAME, preceded by PREV, in a step of kind KIND; up
   to MAX of them (first, last, and between), in OUT.  */
static int
pick (const char *name, const char *prev, enum kind kind,
      const struct passage **out, int max)
{
  const struct passage *all[512];
  int n = 0, i, k = 0;

  for (i = 0; i < npass && n < 512; i++)
    if (strcmp (pass[i].name, name) == 0
        && (prev == NULL || strcmp (pass[i].prev, prev) == 0)
        && workload[pass[i].step].kind == kind)
      all[n++] = &pass[i];
  if (n == 0)
    return 0;
  if (n <= max)
    {
      for (i = 0; i < n; i++)
        out[i] = all[i];
      return n;
    }
  out[k++] = all[0];
  for (i = 1; i < max - 1; i++)
    out[k++] = all[1 + (int) (t_rand (&rs) % (unsigned) (n - 2))];
  out[k++] = all[n - 1];
  return k;
}

static void
errors (void)
{
  const struct passage *p[4];
  int n, i, ok;

  n = pick ("io.flush", "commit.after_write", COMMIT, p, 3);
  for (ok = n > 0, i = 0; i < n; i++)
    ok &= inject (p[i], "eio", MODE_POISON);
  t_check (ok, CASE_FLUSH_EIO);

  n = pick ("io.flush", "truncate.before_segment_flush", TRUNCATE, p, 2);
  for (ok = n > 0, i = 0; i < n; i++)
    ok &= inject (p[i], "eio", MODE_POISON);
  t_check (ok, CASE_TRUNC_EIO);

  n = pick ("io.write", "commit.before_write", COMMIT, p, 2);
  for (ok = n > 0, i = 0; i < n; i++)
    ok &= inject (p[i], "enospc", MODE_POISON);
  n = pick ("io.write", "commit.partial_write", COMMIT, p, 2);
  for (ok &= n > 0, i = 0; i < n; i++)
    ok &= inject (p[i], "enospc", MODE_POISON);
  t_check (ok, CASE_WRITE_ENOSPC);

  p[0] = find_passage ("log.grow", 1);
  t_check (p[0] != NULL && inject (p[0], "enospc", MODE_POISON),
           CASE_GROW_ENOSPC);

  p[0] = find_passage ("segment.grow", 1);
  t_check (p[0] != NULL && inject (p[0], "eio", MODE_RETRY), CASE_SEG_EIO);

  /* Recovery at a reopen fails part way through the replay, or at the
     flush of a replayed segment: rvm_open fails; opening again replays
     the whole log.  */
  n = pick ("io.write", "replay.after_record", REOPEN, p, 1);
  ok = n > 0 && inject (p[0], "eio", MODE_RETRY);
  n = pick ("io.flush", "truncate.before_segment_flush", REOPEN, p, 1);
  ok &= n > 0 && inject (p[0], "eio", MODE_RETRY);
  t_check (ok, CASE_REPLAY_EIO);
}

int
main (int argc, char **argv)
{
  uint64_t t0 = t_now_usec ();
  int i;

  t_init (argc, argv);
  seed = t_seed ("failpoints");
  rs = t_mix (seed ^ 0x6670);
  fill[0].kind = OPEN;
  fill[0].arg = 1;
  fill[1].kind = MAP;
  fill[1].seg = A;
  fill[1].arg = 16384;
  fill[2].kind = MAP;
  fill[2].seg = B;
  fill[2].arg = 6000;
  for (i = 3; i < FILL_STEPS; i++)
    {
      fill[i].kind = COMMIT;
      fill[i].seg = i % 3 == 0 ? M (A) | M (B) : i % 3 == 1 ? M (A) : M (B);
      fill[i].arg = i % 2;
    }

  /* The parent never calls the library: a failpoint, once armed in a
     process, stays armed in its children.  */
  if (learn ())
    {
      kill_sweep ();
      replay_twice ();
      errors ();
    }
  else
    {
      static const char *const rest[] = {
        CASE_KILL, CASE_REPLAY, CASE_FLUSH_EIO, CASE_TRUNC_EIO,
        CASE_WRITE_ENOSPC, CASE_GROW_ENOSPC, CASE_SEG_EIO, CASE_REPLAY_EIO
      };
      t_note ("no passages learned; nothing else can run");
      for (i = 0; i < (int) (sizeof rest / sizeof rest[0]); i++)
        t_fail ("%s", rest[i]);
    }
  t_note ("%.1f s", (t_now_usec () - t0) / 1e6);
  free (pass);
  return t_done ();
}

#endif /* LRVM_FAILPOINTS */
