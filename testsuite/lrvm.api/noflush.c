/* noflush.c -- durable and no-flush commits: when each becomes durable,
   and that a crash at any moment leaves exactly a prefix of the commit
   sequence, at least up to the last commit reported durable.  Writers
   are killed with SIGKILL; fresh processes check what they left.  */

#include <config.h>

#include <lrvm.h>
#include "testlib.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SEG ((size_t) 128 * 1024)       /* the counter segment "c" */
#define SEG2 ((size_t) 16 * 1024)       /* the second segment "d" */
#define SLOTS_OFF 64
#define NSLOT 40
#define SLOT 100
#define BIG_OFF 8192                    /* large ranges go above this */
#define NCOMMITS 100
#define ROUNDS 200

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

/* Write V to FD; nonzero on success.  */
static int
report (int fd, uint32_t v)
{
  return write (fd, &v, sizeof v) == (ssize_t) sizeof v;
}

/* --- simple cases: when commits become durable ------------------- */

/* A writer's script: STEPS commits (no-flush unless listed durable),
   some followed by rvm_flush; the writer reports after each durable
   commit or flush, and after the last step waits to be killed.  */
struct step
{
  const char *seg;
  size_t off;
  unsigned flags;
  int flush;
};

struct script
{
  const char *dir;
  const struct step *s;
  size_t n;
  int fd;
};

static int
script_writer (void *arg)
{
  const struct script *sc = arg;
  rvm_t rvm;
  void *segs[2];
  size_t i;

  if (rvm_open (sc->dir, NULL, &rvm) != 0
      || rvm_map_segment (rvm, "a", SEG2, &segs[0], NULL) != 0
      || rvm_map_segment (rvm, "b", SEG2, &segs[1], NULL) != 0)
    return 3;
  for (i = 0; i < sc->n; i++)
    {
      void *seg = segs[strcmp (sc->s[i].seg, "b") == 0];
      trans_t tid;

      if (rvm_begin (rvm, 1, &seg, 0, &tid) != 0
          || rvm_modify (tid, seg, sc->s[i].off, 100) != 0)
        return 4;
      fill ((unsigned char *) seg + sc->s[i].off, 100, (unsigned) i + 1);
      if (rvm_commit (tid, sc->s[i].flags) != 0)
        return 5;
      if (sc->s[i].flush && rvm_flush (rvm) != 0)
        return 6;
      if ((sc->s[i].flags == 0 || sc->s[i].flush)
          && !report (sc->fd, (uint32_t) i + 1))
        return 7;
    }
  if (!report (sc->fd, 0))
    return 8;
  for (;;)
    pause ();
}

struct expect
{
  const char *dir;
  const struct step *s;
  size_t found;                 /* steps 1..found are found */
};

/* Each segment holds the values of steps 1..FOUND and zeros for the
   others.  */
static int
expect_child (void *arg)
{
  const struct expect *e = arg;
  unsigned char *want[2], *got[2];
  rvm_t rvm;
  size_t i;
  int k, r = 0;

  if (rvm_open (e->dir, NULL, &rvm) != 0
      || rvm_map_segment (rvm, "a", SEG2, (void **) &got[0], NULL) != 0
      || rvm_map_segment (rvm, "b", SEG2, (void **) &got[1], NULL) != 0)
    return 3;
  want[0] = calloc (1, SEG2);
  want[1] = calloc (1, SEG2);
  if (want[0] == NULL || want[1] == NULL)
    return 4;
  for (i = 0; i < e->found; i++)
    fill (want[strcmp (e->s[i].seg, "b") == 0] + e->s[i].off, 100,
          (unsigned) i + 1);
  for (k = 0; k < 2; k++)
    if (memcmp (want[k], got[k], SEG2) != 0)
      r = 1;
  free (want[0]);
  free (want[1]);
  return rvm_close (rvm) == 0 ? r : 5;
}

/* Run the script, kill the writer once it reported WAIT_FOR (0: the
   end of the script), and check that steps 1..FOUND are found, and no
   other.  */
static void
run_script (const char *what, const struct step *s, size_t n,
            uint32_t wait_for, size_t found)
{
  char *d = t_tmpdir ("script");
  struct script sc;
  struct expect e;
  uint32_t v = 1;
  int fds[2], st, ok;
  char how[64];
  pid_t pid;

  if (pipe (fds) != 0)
    t_bail ("pipe: %s", strerror (errno));
  sc.dir = d;
  sc.s = s;
  sc.n = n;
  sc.fd = fds[1];
  pid = t_fork (script_writer, &sc);
  close (fds[1]);
  while (read (fds[0], &v, sizeof v) == (ssize_t) sizeof v
         && v != wait_for)
    ;
  kill (pid, SIGKILL);
  close (fds[0]);
  t_wait (pid, &st, how, sizeof how);
  t_note ("%s: the writer's last report %u, ended with %s", what,
          (unsigned) v, how);
  t_check (v == wait_for && WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL,
           "%s: the writer reported and was killed", what);
  e.dir = d;
  e.s = s;
  e.found = found;
  ok = t_run_child (expect_child, &e, how, sizeof how);
  t_note ("%s: the verifier ended with %s", what, how);
  t_check (ok, "%s: a fresh process finds the first %zu of %zu commits,"
           " and no other", what, found, n);
  t_rmdir (d);
  free (d);
}

static const struct step durable_steps[] = {
  { "a", 0, 0, 0 }, { "b", 200, 0, 0 }, { "a", 400, 0, 0 },
};

static const struct step flush_steps[] = {
  { "a", 0, RVM_NO_FLUSH, 0 }, { "a", 200, RVM_NO_FLUSH, 0 },
  { "b", 0, RVM_NO_FLUSH, 1 },
  /* After the flush: buffered, never written.  */
  { "a", 600, RVM_NO_FLUSH, 0 }, { "b", 600, RVM_NO_FLUSH, 0 },
};

static const struct step carry_steps[] = {
  { "a", 0, RVM_NO_FLUSH, 0 }, { "a", 200, RVM_NO_FLUSH, 0 },
  { "a", 400, RVM_NO_FLUSH, 0 }, { "b", 0, 0, 0 },
};

static void
test_modes (void)
{
  run_script ("durable", durable_steps, 3, 0, 3);
  run_script ("no-flush, rvm_flush", flush_steps, 5, 3, 3);
  run_script ("no-flush, then a durable commit on another segment",
              carry_steps, 4, 4, 4);
}

/* --- crash: the state is a prefix of the commit sequence --------- */

struct range
{
  int seg;                      /* 0: "c", 1: "d" */
  size_t off, len;
};

struct op
{
  struct range r[4];
  int n;
  int durable;                  /* commit without RVM_NO_FLUSH */
  int flush;                    /* rvm_flush after the commit */
  unsigned begin_flags;
};

/* Plan commit I (1..NCOMMITS) from the generator RNG, and apply its new
   values to the images C and D.  Commit I always sets the counter at
   offset 0 of "c" to I and rewrites one slot; some commits also write
   a large range, or a range of "d".  A writer and a verifier that run
   the same plans from the same seed agree on every image.  */
static void
plan (uint64_t *rng, uint32_t i, int flush_rate, unsigned char *c,
      unsigned char *d, struct op *op)
{
  uint64_t x;
  size_t j;

  op->n = 0;
  op->r[op->n++] = (struct range) { 0, 0, 8 };
  for (j = 0; j < 8; j++)
    c[j] = (unsigned char) ((uint64_t) i >> (8 * j));
  j = t_rand (rng) % NSLOT;
  op->r[op->n++] = (struct range) { 0, SLOTS_OFF + j * SLOT, SLOT };
  fill (c + SLOTS_OFF + j * SLOT, SLOT, i);
  x = t_rand (rng);
  if (x % 6 == 0)
    {
      size_t len = 1 + t_rand (rng) % (SEG - BIG_OFF);
      size_t off = BIG_OFF + t_rand (rng) % (SEG - BIG_OFF - len + 1);
      op->r[op->n++] = (struct range) { 0, off, len };
      fill (c + off, len, i);
    }
  if (x % 5 == 1)
    {
      size_t len = 1 + t_rand (rng) % 512;
      size_t off = t_rand (rng) % (SEG2 - len + 1);
      op->r[op->n++] = (struct range) { 1, off, len };
      fill (d + off, len, i + 1000);
    }
  x = t_rand (rng) % (unsigned) flush_rate;
  op->durable = x == 0;
  op->flush = x == 1;
  op->begin_flags = t_rand (rng) % 2 ? RVM_NO_RESTORE : 0;
}

struct round
{
  const char *dir;
  uint64_t seed;
  int mode;
  int flush_rate;
  int fd;
  uint32_t durable;             /* last commit reported durable */
};

static const char *const mode_names[] = { "FLUSH", "DSYNC", "NONE" };

/* Run the NCOMMITS commits of the round, reporting each durable point:
   0 when ready, then I after commit I's durable commit or flush
   returned.  Waits to be killed at the end.  */
static int
crash_writer (void *arg)
{
  const struct round *rd = arg;
  unsigned char *img[2];
  struct rvm_options o;
  uint64_t rng = rd->seed;
  void *segs[2];
  rvm_t rvm;
  uint32_t i;

  img[0] = calloc (1, SEG);
  img[1] = calloc (1, SEG2);
  rvm_options_init (&o);
  o.sync_mode = rd->mode;
  if (img[0] == NULL || img[1] == NULL || rvm_open (rd->dir, &o, &rvm) != 0
      || rvm_map_segment (rvm, "c", SEG, &segs[0], NULL) != 0
      || rvm_map_segment (rvm, "d", SEG2, &segs[1], NULL) != 0
      || !report (rd->fd, 0))
    return 3;
  for (i = 1; i <= NCOMMITS; i++)
    {
      struct op op;
      trans_t tid;
      int k;

      plan (&rng, i, rd->flush_rate, img[0], img[1], &op);
      if (rvm_begin (rvm, op.r[op.n - 1].seg ? 2 : 1, segs, op.begin_flags,
                     &tid) != 0)
        return 4;
      for (k = 0; k < op.n; k++)
        {
          const struct range *r = &op.r[k];
          unsigned char *base = segs[r->seg];
          int e = k % 2 ? rvm_set_range (tid, base + r->off, r->len)
                        : rvm_modify (tid, base, r->off, r->len);
          if (e != 0)
            return 5;
          memcpy (base + r->off, img[r->seg] + r->off, r->len);
        }
      if (rvm_commit (tid, op.durable ? 0 : RVM_NO_FLUSH) != 0)
        return 6;
      if (op.flush && rvm_flush (rvm) != 0)
        return 7;
      if ((op.durable || op.flush) && !report (rd->fd, i))
        return 8;
    }
  if (rvm_flush (rvm) != 0 || !report (rd->fd, NCOMMITS))
    return 9;
  for (;;)
    pause ();
}

/* Open the store as a new program would, read the counter K, replay
   the plans of commits 1..K and compare both segments; K must be at
   least the last durable point.  Exit 0 if all holds; the counter
   goes back to the parent on FD.  */
static int
crash_verifier (void *arg)
{
  const struct round *rd = arg;
  unsigned char *img[2], *c, *d;
  uint64_t rng = rd->seed;
  uint32_t k = 0, i;
  rvm_t rvm;
  int j, r = 0;

  img[0] = calloc (1, SEG);
  img[1] = calloc (1, SEG2);
  if (img[0] == NULL || img[1] == NULL || rvm_open (rd->dir, NULL, &rvm) != 0
      || rvm_map_segment (rvm, "c", SEG, (void **) &c, NULL) != 0
      || rvm_map_segment (rvm, "d", SEG2, (void **) &d, NULL) != 0)
    return 3;
  for (j = 7; j >= 0; j--)
    k = (k << 8) | c[j];
  report (rd->fd, k);
  if (k > NCOMMITS)
    r = 4;
  else if (k < rd->durable)
    r = 5;
  else
    {
      for (i = 1; i <= k; i++)
        {
          struct op op;
          plan (&rng, i, rd->flush_rate, img[0], img[1], &op);
        }
      if (memcmp (img[0], c, SEG) != 0)
        r = 6;
      else if (memcmp (img[1], d, SEG2) != 0)
        r = 7;
    }
  free (img[0]);
  free (img[1]);
  return rvm_close (rvm) == 0 ? r : 8;
}

/* Wait up to MS milliseconds for FD to be readable.  */
static int
readable (int fd, int ms)
{
  struct pollfd p;

  p.fd = fd;
  p.events = POLLIN;
  return poll (&p, 1, ms) > 0;
}

static void
test_crash (void)
{
  uint64_t master = t_seed ("crash"), rng = master;
  unsigned fails[3] = { 0, 0, 0 }, runs[3] = { 0, 0, 0 };
  unsigned mid = 0, beyond = 0, exact = 0, r;

  for (r = 0; r < ROUNDS; r++)
    {
      char *dir = t_tmpdir ("crash");
      struct round rd;
      uint32_t v, wait_for, k = 0;
      unsigned how_kill;
      int fds[2], st, bad = 0;
      char how[64], vhow[64];
      pid_t pid;

      rd.dir = dir;
      rd.seed = t_rand (&rng);
      rd.mode = (int) (r % 3);
      if (rd.mode == RVM_SYNC_DSYNC && !T_DSYNC_MODE)
        rd.mode = RVM_SYNC_FLUSH;
      rd.flush_rate = r % 2 ? 8 : 40;
      rd.durable = 0;
      how_kill = (unsigned) (t_rand (&rng) % 3);
      wait_for = (uint32_t) (t_rand (&rng) % NCOMMITS);
      if (pipe (fds) != 0)
        t_bail ("pipe: %s", strerror (errno));
      rd.fd = fds[1];
      pid = t_fork (crash_writer, &rd);
      close (fds[1]);
      if (read (fds[0], &v, sizeof v) != (ssize_t) sizeof v || v != 0)
        bad = 1;
      /* Kill after a short or a longer random delay, or once the
         writer has reported a durable point at or past a random
         commit.  */
      if (how_kill == 0)
        usleep ((useconds_t) (t_rand (&rng) % 3000));
      else if (how_kill == 1)
        usleep ((useconds_t) (t_rand (&rng) % 30000));
      else if (how_kill == 2)
        while (readable (fds[0], 5000)
               && read (fds[0], &v, sizeof v) == (ssize_t) sizeof v)
          {
            rd.durable = v;
            if (v >= wait_for)
              break;
          }
      kill (pid, SIGKILL);
      while (read (fds[0], &v, sizeof v) == (ssize_t) sizeof v)
        rd.durable = v;
      close (fds[0]);
      t_wait (pid, &st, how, sizeof how);
      if (!WIFSIGNALED (st) || WTERMSIG (st) != SIGKILL)
        bad = 1;

      if (pipe (fds) != 0)
        t_bail ("pipe: %s", strerror (errno));
      rd.fd = fds[1];
      pid = t_fork (crash_verifier, &rd);
      close (fds[1]);
      if (read (fds[0], &k, sizeof k) != (ssize_t) sizeof k)
        k = 0;
      close (fds[0]);
      t_wait (pid, NULL, vhow, sizeof vhow);
      if (strcmp (vhow, "exit 0") != 0)
        bad = 1;
      runs[rd.mode]++;
      if (bad)
        {
          fails[rd.mode]++;
          t_note ("crash round %u (%s, seed %llu, kill %u at %u): writer"
                  " %s, durable point %u, found %u, verifier %s", r,
                  mode_names[rd.mode], (unsigned long long) rd.seed,
                  how_kill, (unsigned) wait_for, how, (unsigned) rd.durable,
                  (unsigned) k, vhow);
        }
      mid += k < NCOMMITS;
      beyond += k > rd.durable;
      exact += k == rd.durable;
      t_rmdir (dir);
      free (dir);
    }
  for (r = 0; r < 3; r++)
    {
      if (r == RVM_SYNC_DSYNC && !T_DSYNC_MODE)
        {
          t_unsupported ("crash %s: after SIGKILL the store holds a prefix"
                         " of the commits (no O_DSYNC or O_SYNC here)",
                         mode_names[r]);
          continue;
        }
      t_note ("crash %s: %u of %u rounds failed", mode_names[r], fails[r],
              runs[r]);
      t_check (fails[r] == 0, "crash %s: after SIGKILL the store holds a"
               " prefix of the commits, at least to the last durable"
               " point", mode_names[r]);
    }
  t_note ("crash: %u of %u rounds killed before the last commit; %u found"
          " commits past the last durable point, %u exactly it", mid,
          ROUNDS, beyond, exact);
  t_check (mid >= ROUNDS / 4, "crash: at least a quarter of the kills"
           " land within the commit sequence");
}

int
main (int argc, char **argv)
{
  t_init (argc, argv);
  test_modes ();
  test_crash ();
  return t_done ();
}
