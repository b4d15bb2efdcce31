/* plworkload.c -- the program the power-loss tests crash, and the one
   that checks what the crash left.  Its workload and the states it may
   leave are defined here, once: powerloss.c only runs it.

   plworkload run DIR [MODE]    the workload, on the full API; prints
                                each commit number once it is durable,
                                and at the end a line "stats:" with
                                its truncations and checkpoints
   plworkload verify DIR KMIN [KMAX [MODE]]
                                recover DIR and print "ok K" if its
                                segments hold exactly the state after
                                commit K of the workload of MODE, for
                                some K in KMIN..KMAX (KMAX -1: up to
                                the last), else "bad: ..." (exit 1)
   plworkload recover DIR       open and close DIR: recovery only
   plworkload probe DIR SYNC    raw writes for the shim's self-test

   MODE "dsync" runs the workload with RVM_SYNC_DSYNC; MODE "ckpt" runs
   another script, of longer runs of no-flush commits with longer
   ranges, whose truncations write checkpoints (the run fails if none
   did).  */

#include <config.h>

#include "lrvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef O_DSYNC
# define O_DSYNC O_SYNC
#endif

enum { ALPHA, BETA, GAMMA, NSEG };
static const char *const segname[NSEG] = { "alpha", "beta", "gamma" };

/* ------------------------------------------------------------------ */
/* The scripts.  Events at position P happen after commit P returned
   (and was durable: every P below, but that of an EV_TRUNCATE, is a
   durable commit, or a no-flush one followed by rvm_flush) and before
   commit P + 1 begins.  */

enum { EV_CREATE, EV_DESTROY, EV_GROW, EV_TRUNCATE };

struct event
{
  int pos, kind, seg;
  size_t size;
};

static const struct event events_flush[] = {
  { 0, EV_CREATE, ALPHA, 16384 },
  { 0, EV_CREATE, BETA, 8192 },
  { 9, EV_CREATE, GAMMA, 4096 },
  { 19, EV_DESTROY, GAMMA, 0 },
  { 20, EV_TRUNCATE, -1, 0 },
  { 25, EV_GROW, BETA, 20480 },
  { 29, EV_CREATE, GAMMA, 6144 },
};

/* Long runs of no-flush commits between durable ones: truncations by
   checkpoint, automatic and explicit; the destroy and the growth make
   truncations that must flush the log (a segment with records is not
   mapped).  */
static const struct event events_ckpt[] = {
  { 0, EV_CREATE, ALPHA, 16384 },
  { 0, EV_CREATE, BETA, 8192 },
  { 40, EV_CREATE, GAMMA, 4096 },
  { 55, EV_TRUNCATE, -1, 0 },
  { 70, EV_DESTROY, GAMMA, 0 },
  { 80, EV_GROW, BETA, 12288 },
};

struct script
{
  const char *mode;             /* NULL, "dsync" or "ckpt" */
  int ntrans;
  const struct event *events;
  size_t nevents;
  uint64_t threshold;           /* truncation threshold */
  int ckpt;                     /* the durable () of the "ckpt" script */
};

static const struct script scripts[] = {
  { NULL, 40, events_flush, sizeof events_flush / sizeof events_flush[0],
    32768, 0 },
  { "dsync", 40, events_flush,
    sizeof events_flush / sizeof events_flush[0], 32768, 0 },
  { "ckpt", 100, events_ckpt, sizeof events_ckpt / sizeof events_ckpt[0],
    32768, 1 },
};

static const struct script *sc = &scripts[0];

/* Select the script of MODE (NULL: the default); 0 if there is none.  */
static int
select_script (const char *mode)
{
  size_t i;

  for (i = 0; i < sizeof scripts / sizeof scripts[0]; i++)
    if (mode == NULL ? scripts[i].mode == NULL
        : scripts[i].mode != NULL && strcmp (mode, scripts[i].mode) == 0)
      {
        sc = &scripts[i];
        return 1;
      }
  return 0;
}

/* Whether commit I is durable.  The default scripts: commits 4n+2 and
   4n+3 are no-flush, and rvm_flush follows 4n+3.  The checkpoint
   script: every 30th commit and those before events are durable, the
   others no-flush.  */
static int
durable (int i)
{
  size_t e;

  if (!sc->ckpt)
    return i % 4 == 0 || i % 4 == 1;
  if (i % 30 == 0)
    return 1;
  for (e = 0; e < sc->nevents; e++)
    if (sc->events[e].pos == i && sc->events[e].kind != EV_TRUNCATE)
      return 1;
  return 0;
}

/* Whether rvm_flush follows commit I.  */
static int
flush_after (int i)
{
  return !sc->ckpt && i % 4 == 3;
}

/* Aborted transactions run before these commits.  */
static int
aborted_before (int i)
{
  return i == 15 || i == 33;
}

/* The segments, as a committed prefix leaves them.  */
struct seg
{
  int exists;
  size_t size;
  unsigned char *data;
};

struct model
{
  struct seg s[NSEG];
};

static void
die (const char *fmt, const char *arg)
{
  printf ("bad: ");
  printf (fmt, arg);
  printf ("\n");
  exit (1);
}

static void
seg_set (struct seg *g, int exists, size_t size)
{
  if (!exists)
    size = 0;
  g->data = realloc (g->data, size ? size : 1);
  if (g->data == NULL)
    die ("%s", "out of memory");
  if (size > g->size)
    memset (g->data + g->size, 0, size - g->size);
  g->exists = exists;
  g->size = size;
}

static void
model_free (struct model *m)
{
  int g;

  for (g = 0; g < NSEG; g++)
    free (m->s[g].data);
}

static uint32_t
mix (uint32_t a, uint32_t b, uint32_t c)
{
  uint64_t x = a * 0x9E3779B97F4A7C15ull ^ b * 0xC2B2AE3D27D4EB4Full
               ^ (c + 1) * 0x165667B19E3779F9ull;
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 32;
  return (uint32_t) x;
}

/* A range transaction I writes.  */
struct range
{
  int seg;
  unsigned r;
  size_t off, len;
};

#define MAXRANGES (3 * NSEG)

/* The ranges of transaction I, given the segments M has: alpha always,
   beta mostly, gamma (while it exists) every other time; one to three
   ranges each, some longer than a 4096-byte block (up to 700 bytes
   otherwise, 2000 in the checkpoint script).  */
static size_t
plan (int i, const struct model *m, struct range *rg)
{
  size_t n = 0;
  int g;

  for (g = 0; g < NSEG; g++)
    {
      unsigned r, nr;
      if (!m->s[g].exists || m->s[g].size == 0
          || (g == BETA && i % 3 == 0) || (g == GAMMA && i % 2 != 0))
        continue;
      nr = 1 + mix ((uint32_t) i, (uint32_t) g, 100) % 3;
      for (r = 0; r < nr; r++)
        {
          uint32_t h = mix ((uint32_t) i, (uint32_t) g, r);
          size_t len = 1 + h % (sc->ckpt ? 2000 : 700);
          size_t size = m->s[g].size;
          if (g == ALPHA && r == 0 && i % 7 == 3)
            len = 3000 + h % 5000;
          if (len > size)
            len = size;
          rg[n].seg = g;
          rg[n].r = r;
          rg[n].len = len;
          rg[n].off = mix ((uint32_t) i, (uint32_t) g, r + 50)
                      % (size - len + 1);
          n++;
        }
    }
  return n;
}

/* The new value of range RG of transaction I.  */
static void
fill (int i, const struct range *rg, unsigned char *dst)
{
  uint32_t h = mix ((uint32_t) i, (uint32_t) rg->seg, rg->r + 200);
  size_t j;

  for (j = 0; j < rg->len; j++)
    dst[j] = (unsigned char) (h + j * 37u + (j >> 8) + (uint32_t) i);
}

static void
model_commit (struct model *m, int i)
{
  struct range rg[MAXRANGES];
  size_t n = plan (i, m, rg), k;

  for (k = 0; k < n; k++)
    fill (i, &rg[k], m->s[rg[k].seg].data + rg[k].off);
}

static void
model_event (struct model *m, const struct event *e)
{
  switch (e->kind)
    {
    case EV_CREATE:
      seg_set (&m->s[e->seg], 1, 0);
      seg_set (&m->s[e->seg], 1, e->size);
      break;
    case EV_DESTROY:
      seg_set (&m->s[e->seg], 0, 0);
      break;
    case EV_GROW:
      seg_set (&m->s[e->seg], 1, e->size);
      break;
    default:
      break;
    }
}

/* ------------------------------------------------------------------ */
/* run */

static rvm_t rvm;
static void *base[NSEG];

static void
check (int r, const char *what)
{
  if (r != 0)
    {
      fprintf (stderr, "plworkload: %s: %s\n", what, rvm_errmsg ());
      exit (3);
    }
}

static void
report (int k)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%d\n", k);

  if (write (1, buf, (size_t) n) != n)
    exit (3);
}

/* The workload's memory must be what the model says.  */
static void
same (const struct model *m, const char *when)
{
  int g;

  for (g = 0; g < NSEG; g++)
    if (m->s[g].exists && memcmp (base[g], m->s[g].data, m->s[g].size) != 0)
      {
        fprintf (stderr, "plworkload: %s differs from the model %s\n",
                 segname[g], when);
        exit (3);
      }
}

static void
run_event (const struct event *e)
{
  size_t mapped;

  switch (e->kind)
    {
    case EV_GROW:
      check (rvm_unmap_segment (rvm, base[e->seg]), "rvm_unmap_segment");
      /* fall through */
    case EV_CREATE:
      check (rvm_map_segment (rvm, segname[e->seg], e->size, &base[e->seg],
                              &mapped), "rvm_map_segment");
      if (mapped != e->size)
        check (-1, "rvm_map_segment: size");
      break;
    case EV_DESTROY:
      check (rvm_unmap_segment (rvm, base[e->seg]), "rvm_unmap_segment");
      base[e->seg] = NULL;
      check (rvm_destroy_segment (rvm, segname[e->seg]),
             "rvm_destroy_segment");
      break;
    default:
      check (rvm_truncate (rvm), "rvm_truncate");
      break;
    }
}

/* A transaction on alpha that is aborted: nothing of it may remain.  */
static void
run_aborted (const struct model *m, int i)
{
  trans_t tid;
  size_t off = mix ((uint32_t) i, 99, 0) % 8000, len = 3000;

  check (rvm_begin (rvm, 1, &base[ALPHA], 0, &tid), "rvm_begin");
  check (rvm_modify (tid, base[ALPHA], off, len), "rvm_modify");
  memset ((char *) base[ALPHA] + off, 0xEE, len);
  check (rvm_abort (tid), "rvm_abort");
  same (m, "after an abort");
}

static void
run_commit (struct model *m, int i)
{
  struct range rg[MAXRANGES];
  size_t n = plan (i, m, rg), k, ns = 0;
  void *segs[NSEG];
  trans_t tid;
  int g;

  for (g = 0; g < NSEG; g++)
    for (k = 0; k < n; k++)
      if (rg[k].seg == g)
        {
          segs[ns++] = base[g];
          break;
        }
  check (rvm_begin (rvm, ns, segs, i % 5 == 1 ? RVM_NO_RESTORE : 0, &tid),
         "rvm_begin");
  for (k = 0; k < n; k++)
    {
      char *b = base[rg[k].seg];
      if ((k + (size_t) i) % 2)
        check (rvm_set_range (tid, b + rg[k].off, rg[k].len),
               "rvm_set_range");
      else
        check (rvm_modify (tid, b, rg[k].off, rg[k].len), "rvm_modify");
      fill (i, &rg[k], (unsigned char *) b + rg[k].off);
    }
  check (rvm_commit (tid, durable (i) ? 0 : RVM_NO_FLUSH), "rvm_commit");
  model_commit (m, i);
  same (m, "after a commit");
  if (durable (i))
    report (i);
  else if (flush_after (i))
    {
      check (rvm_flush (rvm), "rvm_flush");
      report (i);
    }
}

static int
run (const char *dir)
{
  struct rvm_options o;
  struct rvm_statistics st;
  struct model m;
  size_t e;
  int k;

  memset (&m, 0, sizeof m);
  rvm_options_init (&o);
  o.truncate_threshold = sc->threshold; /* a few truncations on the way */
  o.log_reserve = 0;                    /* each gives the log back */
  if (sc->mode != NULL && strcmp (sc->mode, "dsync") == 0)
    o.sync_mode = RVM_SYNC_DSYNC;
  check (rvm_open (dir, &o, &rvm), "rvm_open");
  for (k = 0; k <= sc->ntrans; k++)
    {
      if (k > 0)
        {
          if (aborted_before (k))
            run_aborted (&m, k);
          run_commit (&m, k);
        }
      for (e = 0; e < sc->nevents; e++)
        if (sc->events[e].pos == k)
          {
            run_event (&sc->events[e]);
            model_event (&m, &sc->events[e]);
          }
    }
  check (rvm_stats (rvm, &st, sizeof st), "rvm_stats");
  {
    char buf[96];
    int n = snprintf (buf, sizeof buf, "stats: %llu truncations, %llu"
                      " checkpoints\n", (unsigned long long) st.truncations,
                      (unsigned long long) st.checkpoints);
    if (write (1, buf, (size_t) n) != n)
      exit (3);
  }
  if (sc->ckpt && st.checkpoints == 0)
    {
      fprintf (stderr, "plworkload: no truncation wrote a checkpoint\n");
      exit (3);
    }
  check (rvm_close (rvm), "rvm_close");
  model_free (&m);
  return 0;
}

/* ------------------------------------------------------------------ */
/* verify */

static struct seg raw[NSEG];

/* Read segment G of DIR as it is on disk.  */
static void
read_raw (const char *dir, int g)
{
  char path[4096];
  struct stat st;
  int fd;

  snprintf (path, sizeof path, "%s/%s", dir, segname[g]);
  fd = open (path, O_RDONLY);
  if (fd < 0)
    {
      if (errno != ENOENT)
        die ("cannot open %s", path);
      seg_set (&raw[g], 0, 0);
      return;
    }
  if (fstat (fd, &st) != 0)
    die ("cannot stat %s", path);
  seg_set (&raw[g], 1, 0);
  seg_set (&raw[g], 1, (size_t) st.st_size);
  if (st.st_size > 0 && pread (fd, raw[g].data, raw[g].size, 0)
                        != (ssize_t) raw[g].size)
    die ("cannot read %s", path);
  close (fd);
}

/* Differences between the disk and M: 0 if none, else a count, and a
   description in WHY.  */
static size_t
differ (const struct model *m, char *why, size_t size)
{
  size_t bad = 0, j;
  int g;

  *why = '\0';
  for (g = 0; g < NSEG; g++)
    {
      const struct seg *a = &raw[g], *b = &m->s[g];
      if (a->exists != b->exists || a->size != b->size)
        {
          if (bad == 0)
            snprintf (why, size, "%s: %s%zu bytes, expected %s%zu", segname[g],
                      a->exists ? "" : "absent, ", a->size,
                      b->exists ? "" : "absent, ", b->size);
          bad += 1000000;
          continue;
        }
      for (j = 0; j < a->size; j++)
        if (a->data[j] != b->data[j])
          {
            if (bad == 0)
              snprintf (why, size, "%s: byte %zu is %#x, expected %#x",
                        segname[g], j, a->data[j], b->data[j]);
            bad++;
          }
    }
  return bad;
}

/* The states a crash may leave once commit K is the last one in the
   log: the state after commit K, then the events at position K one by
   one, each with the states it passes through (a created file is
   first empty).  Returns 1 if the disk matches one; else keeps in WHY
   the description of the closest one, in *BEST its distance.  */
static int
match_at (struct model *m, int k, size_t *best, char *why, size_t size)
{
  char w[256];
  size_t e, d;

#define TRY()                                                   \
  do                                                            \
    {                                                           \
      if ((d = differ (m, w, sizeof w)) == 0)                   \
        return 1;                                               \
      if (d < *best)                                            \
        {                                                       \
          *best = d;                                            \
          snprintf (why, size, "closest is commit %d: %s", k, w); \
        }                                                       \
    }                                                           \
  while (0)

  TRY ();
  for (e = 0; e < sc->nevents; e++)
    if (sc->events[e].pos == k)
      {
        if (sc->events[e].kind == EV_CREATE)
          {
            seg_set (&m->s[sc->events[e].seg], 1, 0);
            TRY ();
          }
        model_event (m, &sc->events[e]);
        if (sc->events[e].kind != EV_TRUNCATE)
          TRY ();
      }
#undef TRY
  return 0;
}

static int
verify (const char *dir, int kmin, int kmax)
{
  struct model m;
  char why[512] = "";
  size_t best = (size_t) -1, e;
  int k, g, found = -1;

  if (rvm_open (dir, NULL, &rvm) != 0)
    die ("rvm_open: %s", rvm_errmsg ());
  for (g = 0; g < NSEG; g++)
    read_raw (dir, g);

  memset (&m, 0, sizeof m);
  for (k = 0; k <= kmax && found < 0; k++)
    {
      if (k > 0)
        model_commit (&m, k);
      if (k >= kmin)
        {
          if (match_at (&m, k, &best, why, sizeof why))
            found = k;
        }
      else
        for (e = 0; e < sc->nevents; e++)
          if (sc->events[e].pos == k)
            model_event (&m, &sc->events[e]);
    }
  model_free (&m);
  if (found < 0)
    {
      printf ("bad: no commit in %d..%d matches; %s\n", kmin, kmax, why);
      return 1;
    }

  /* What rvm_map shows is what the files hold.  */
  for (g = 0; g < NSEG; g++)
    if (raw[g].exists && raw[g].size > 0)
      {
        void *b;
        size_t mapped;
        if (rvm_map_segment (rvm, segname[g], raw[g].size, &b, &mapped) != 0)
          die ("rvm_map_segment: %s", rvm_errmsg ());
        if (mapped != raw[g].size || memcmp (b, raw[g].data, mapped) != 0)
          die ("rvm_map_segment (\"%s\") differs from the file", segname[g]);
      }
  if (rvm_close (rvm) != 0)
    die ("rvm_close: %s", rvm_errmsg ());
  for (g = 0; g < NSEG; g++)
    free (raw[g].data);
  printf ("ok %d\n", found);
  return 0;
}

static int
recover (const char *dir)
{
  if (rvm_open (dir, NULL, &rvm) != 0 || rvm_close (rvm) != 0)
    {
      fprintf (stderr, "plworkload: recover: %s\n", rvm_errmsg ());
      return 3;
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* probe: for powerloss.c's test of the shim.  "p" holds 4096 bytes 'A'
   durably, then 8192 bytes 'B' are written over it; "q" gets 1024
   bytes 'C' flushed, but its name is not.  With SYNC 1, both are then
   made durable.  With SYNC 2, instead: "r" holds 4096 bytes 'D'
   durably, 4096 bytes 'E' are written after them, then 512 bytes 'F'
   over its start through a second descriptor opened with O_DSYNC.  */

static void
sys (int r, const char *what)
{
  if (r < 0)
    {
      fprintf (stderr, "plworkload: probe: %s: %s\n", what,
               strerror (errno));
      exit (3);
    }
}

static int
probe (const char *dir, int sync)
{
  unsigned char buf[8192];
  int d, p, q;

  sys (d = open (dir, O_RDONLY), "open the directory");
  if (sync == 2)
    {
      int r, rs;
      sys (r = openat (d, "r", O_RDWR | O_CREAT | O_EXCL, 0644), "create r");
      memset (buf, 'D', 4096);
      sys ((int) pwrite (r, buf, 4096, 0), "write r");
      sys (fdatasync (r), "fdatasync r");
      sys (fsync (d), "fsync the directory");
      memset (buf, 'E', 4096);
      sys ((int) pwrite (r, buf, 4096, 4096), "write r");
      sys (rs = openat (d, "r", O_RDWR | O_DSYNC), "open r with O_DSYNC");
      memset (buf, 'F', 512);
      sys ((int) pwrite (rs, buf, 512, 0), "write r through O_DSYNC");
      close (rs);
      close (r);
      close (d);
      return 0;
    }
  sys (p = openat (d, "p", O_RDWR | O_CREAT | O_EXCL, 0644), "create p");
  memset (buf, 'A', 4096);
  sys ((int) pwrite (p, buf, 4096, 0), "write p");
  sys (fdatasync (p), "fdatasync p");
  sys (fsync (d), "fsync the directory");
  memset (buf, 'B', 8192);
  sys ((int) pwrite (p, buf, 8192, 0), "write p");
  sys (q = openat (d, "q", O_RDWR | O_CREAT | O_EXCL, 0644), "create q");
  memset (buf, 'C', 1024);
  sys ((int) pwrite (q, buf, 1024, 0), "write q");
  sys (fdatasync (q), "fdatasync q");
  if (sync)
    {
      sys (fdatasync (p), "fdatasync p");
      sys (fsync (d), "fsync the directory");
    }
  close (q);
  close (p);
  close (d);
  return 0;
}

int
main (int argc, char **argv)
{
  if ((argc == 3 || argc == 4) && strcmp (argv[1], "run") == 0
      && select_script (argc == 4 ? argv[3] : NULL))
    return run (argv[2]);
  if (argc >= 4 && argc <= 6 && strcmp (argv[1], "verify") == 0
      && select_script (argc == 6 ? argv[5] : NULL))
    {
      int kmax = argc >= 5 ? atoi (argv[4]) : -1;
      return verify (argv[2], atoi (argv[3]), kmax < 0 ? sc->ntrans : kmax);
    }
  if (argc == 3 && strcmp (argv[1], "recover") == 0)
    return recover (argv[2]);
  if (argc == 4 && strcmp (argv[1], "probe") == 0)
    return probe (argv[2], atoi (argv[3]));
  fprintf (stderr, "usage: plworkload run|verify|recover|probe DIR ...\n");
  return 2;
}
