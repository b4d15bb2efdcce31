/* powerloss.c -- power loss below the library: plworkload runs under
   the plshim LD_PRELOAD library, which at a chosen file system
   operation replaces the store with what a disk could hold after a
   power loss; a fresh process without the shim then recovers the store
   and checks that it holds exactly the state after some committed
   prefix of the transactions, no shorter than what was reported
   durable.  The crash point is swept over every operation of the run
   (or an even spread of them), for several seeds, then over every
   operation of recovery itself.  The same is done with the workload's
   O_DSYNC mode, and with its checkpoint mode, whose truncations write
   checkpoints through an O_DSYNC descriptor of the log.

   Replay one trial: LRVM_PL_REPLAY=SEED:POINT (a crash of the workload)
   or SEED:POINT:RPOINT (then a crash of its recovery), followed by
   :dsync or :ckpt for those modes, runs only it, traces the shim's
   operations and keeps the store.  */

#include <config.h>

#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/* The exit status of a simulated crash; plshim.c knows it too.  */
#define PL_CRASH_STATUS 86
#define NSEEDS 3
/* Crash points per sweep, at most: beyond, an even spread.  Programs
   built with a sanitizer start slowly: fewer then.  */
#if defined __SANITIZE_ADDRESS__
# define MAXPOINTS 50
#else
# define MAXPOINTS 200
#endif
/* Crashed states whose recovery is swept, per seed, and the crash
   points of each.  */
#define RECOVERY_BASES 4
#define MAXRPOINTS (MAXPOINTS / 5)
/* Seconds a child may run: a hung one dies of SIGALRM and fails.  */
#define CHILD_TIMEOUT 60

extern char **environ;

static char shim[4096], workload[4096];
static char top[2048], store[4096], countfile[4096], tracefile[4096];
static int tracing;
static const char *run_mode;    /* NULL, "dsync" or "ckpt" */
static unsigned long trials, recovery_trials;

static double
now (void)
{
  struct timeval tv;
  gettimeofday (&tv, NULL);
  return (double) tv.tv_sec + (double) tv.tv_usec / 1e6;
}

/* Find the shim: the shared object named by plshim.la (absent when
   shared libraries are not built).  LRVM_PL_SHIM overrides.  */
static int
find_shim (void)
{
  const char *e = getenv ("LRVM_PL_SHIM");

  if (e != NULL && *e != '\0')
    {
      snprintf (shim, sizeof shim, "%s", e);
      return access (shim, R_OK) == 0;
    }
  return t_find_module (PL_BUILDDIR, "plshim.la", shim, sizeof shim);
}

/* The environment of a child: ours without the shim's variables and
   failpoints, plus, when WITH_SHIM, the shim preloaded for the store
   with crash point POINT (0: none) and SEED.  */
static char **
child_env (int with_shim, unsigned long point, unsigned long long seed)
{
  static char *env[1024];
  static char vars[8][4200];
  const char *asan = getenv ("ASAN_OPTIONS");
  const char *pre = getenv ("LD_PRELOAD");
  size_t n = 0, i;
  char **e;

  for (e = environ; *e != NULL && n < 1000; e++)
    if (strncmp (*e, "LRVM_PL_", 8) != 0
        && strncmp (*e, "LRVM_FAILPOINT", 14) != 0
        && (!with_shim || (strncmp (*e, "LD_PRELOAD=", 11) != 0
                           && strncmp (*e, "ASAN_OPTIONS=", 13) != 0)))
      env[n++] = *e;
  if (with_shim)
    {
      i = 0;
      snprintf (vars[i++], sizeof vars[0], "LD_PRELOAD=%s%s%s", shim,
                pre ? " " : "", pre ? pre : "");
      /* A sanitized program would refuse a library preloaded before
         its runtime.  */
      snprintf (vars[i++], sizeof vars[0], "ASAN_OPTIONS=%s%s"
                "verify_asan_link_order=0", asan ? asan : "",
                asan ? ":" : "");
      snprintf (vars[i++], sizeof vars[0], "LRVM_PL_DIR=%s", store);
      snprintf (vars[i++], sizeof vars[0], "LRVM_PL_SEED=%llu", seed);
      snprintf (vars[i++], sizeof vars[0], "LRVM_PL_CRASH_AT=%lu", point);
      snprintf (vars[i++], sizeof vars[0], "LRVM_PL_COUNT_FILE=%s",
                countfile);
      if (tracing)
        snprintf (vars[i++], sizeof vars[0], "LRVM_PL_TRACE=%s", tracefile);
      while (i > 0)
        env[n++] = vars[--i];
    }
  env[n] = NULL;
  return env;
}

/* Run plworkload ARGS (MODE DIR [A [B [C]]]) with ENV; its output
   (standard output and error) goes to OUT.  Returns the wait status.  */
static int
run (char **env, char *out, size_t size, const char *mode, const char *a,
     const char *b, const char *c)
{
  char *argv[7];
  int fds[2], st;
  size_t len = 0;
  ssize_t n;
  pid_t pid;

  argv[0] = workload;
  argv[1] = (char *) mode;
  argv[2] = store;
  argv[3] = (char *) a;
  argv[4] = (char *) (a ? b : NULL);
  argv[5] = (char *) (a && b ? c : NULL);
  argv[6] = NULL;
  if (pipe (fds) != 0)
    t_bail ("pipe: %s", strerror (errno));
  pid = fork ();
  if (pid < 0)
    t_bail ("fork: %s", strerror (errno));
  if (pid == 0)
    {
      dup2 (fds[1], 1);
      dup2 (fds[1], 2);
      close (fds[0]);
      close (fds[1]);
      alarm (CHILD_TIMEOUT);    /* kept across execve */
      execve (workload, argv, env);
      _exit (127);
    }
  close (fds[1]);
  while ((n = read (fds[0], out + len, size - 1 - len)) != 0)
    if (n > 0 && (len += (size_t) n) == size - 1)
      break;
    else if (n < 0 && errno != EINTR)
      break;
  while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
    len--;
  out[len] = '\0';
  close (fds[0]);
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      t_bail ("waitpid: %s", strerror (errno));
  return st;
}

static void
describe (int st, char *buf, size_t size)
{
  if (WIFEXITED (st))
    snprintf (buf, size, "exit %d", WEXITSTATUS (st));
  else if (WIFSIGNALED (st))
    snprintf (buf, size, "signal %d", WTERMSIG (st));
  else
    snprintf (buf, size, "status %#x", st);
}

/* Remove the store, and make it again empty if CREATE.  */
static void
empty_store (int create)
{
  t_rmdir (store);
  if (create && mkdir (store, 0777) != 0)
    t_bail ("mkdir %s: %s", store, strerror (errno));
}

/* The count the shim wrote at the end of a run, or -1.  */
static long
read_count (void)
{
  FILE *f = fopen (countfile, "r");
  long n = -1;

  if (f != NULL)
    {
      if (fscanf (f, "%ld", &n) != 1)
        n = -1;
      fclose (f);
    }
  unlink (countfile);
  return n;
}

/* ---- Snapshots of the store directory. ---- */

struct file
{
  char name[256];
  unsigned char *data;
  size_t size;
};

struct snapshot
{
  struct file *f;
  size_t n;
  int absent;                   /* no store directory at all */
};

static void
snap_take (struct snapshot *s)
{
  DIR *d = opendir (store);
  struct dirent *de;

  s->f = NULL;
  s->n = 0;
  s->absent = d == NULL && errno == ENOENT;
  if (s->absent)
    return;
  if (d == NULL)
    t_bail ("opendir %s: %s", store, strerror (errno));
  while ((de = readdir (d)) != NULL)
    {
      char path[4600];
      struct stat st;
      struct file *f;
      int fd;

      if (de->d_name[0] == '.' && (de->d_name[1] == '\0'
                                   || strcmp (de->d_name, "..") == 0))
        continue;
      snprintf (path, sizeof path, "%s/%s", store, de->d_name);
      if ((fd = open (path, O_RDONLY)) < 0 || fstat (fd, &st) != 0)
        t_bail ("open %s: %s", path, strerror (errno));
      s->f = realloc (s->f, (s->n + 1) * sizeof *s->f);
      f = &s->f[s->n++];
      snprintf (f->name, sizeof f->name, "%s", de->d_name);
      f->size = (size_t) st.st_size;
      f->data = malloc (f->size ? f->size : 1);
      if (f->data == NULL
          || (f->size && read (fd, f->data, f->size) != (ssize_t) f->size))
        t_bail ("read %s", path);
      close (fd);
    }
  closedir (d);
}

/* Write P[0..SIZE) to the empty file FD, with holes for blocks of
   zeros: the next reader sees the same bytes, and its flushes have
   less to write.  */
static int
write_sparse (int fd, const unsigned char *p, size_t size)
{
  static const unsigned char zeros[4096];
  size_t off;

  if (ftruncate (fd, (off_t) size) != 0)
    return -1;
  for (off = 0; off < size; off += sizeof zeros)
    {
      size_t n = size - off < sizeof zeros ? size - off : sizeof zeros;
      if (memcmp (p + off, zeros, n) != 0
          && pwrite (fd, p + off, n, (off_t) off) != (ssize_t) n)
        return -1;
    }
  return 0;
}

static void
snap_restore (const struct snapshot *s)
{
  size_t i;

  empty_store (!s->absent);
  for (i = 0; i < s->n; i++)
    {
      char path[4600];
      int fd;
      snprintf (path, sizeof path, "%s/%s", store, s->f[i].name);
      fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0 || write_sparse (fd, s->f[i].data, s->f[i].size) != 0)
        t_bail ("write %s: %s", path, strerror (errno));
      close (fd);
    }
}

static void
snap_free (struct snapshot *s)
{
  size_t i;
  for (i = 0; i < s->n; i++)
    free (s->f[i].data);
  free (s->f);
}

/* ---- Trials. ---- */

/* Run the workload in an empty store with a crash at POINT.  Returns
   the last commit it reported durable, or -1 with WHY set.  */
static int
crash_workload (unsigned long point, unsigned long long seed, char *why,
                size_t size)
{
  char out[8192], how[64];
  const char *p;
  int st, last = 0;

  empty_store (0);              /* the library creates it */
  st = run (child_env (1, point, seed), out, sizeof out, "run", run_mode,
            NULL, NULL);
  for (p = out; *p != '\0'; p = strchr (p, '\n') ? strchr (p, '\n') + 1
                                                 : p + strlen (p))
    if (*p >= '0' && *p <= '9')
      last = atoi (p);
  if (tracing)
    t_note ("workload output: %s", out);
  if (!WIFEXITED (st) || WEXITSTATUS (st) != PL_CRASH_STATUS)
    {
      describe (st, how, sizeof how);
      snprintf (why, size, "the workload did not crash at operation %lu"
                " (%s): %.300s", point, how, out);
      return -1;
    }
  return last;
}

/* Recover the store in a fresh process without the shim and check it.
   Returns the commit whose state it holds (in KMIN..KMAX; KMAX -1 is
   the last commit of the workload), or -1 with WHY set.  */
static int
check_store (int kmin, int kmax, char *why, size_t size)
{
  char out[4096], a[32], b[32], how[64];
  int st, k;

  snprintf (a, sizeof a, "%d", kmin);
  snprintf (b, sizeof b, "%d", kmax);
  st = run (child_env (0, 0, 0), out, sizeof out, "verify", a, b, run_mode);
  if (WIFEXITED (st) && WEXITSTATUS (st) == 0
      && sscanf (out, "ok %d", &k) == 1)
    return k;
  describe (st, how, sizeof how);
  snprintf (why, size, "recovery check (%s): %.400s", how, out);
  return -1;
}

/* Crash point J of M spread over 1..LAST; SHIFT in [0, 1) moves the
   spread so that different seeds meet different points.  */
static unsigned long
point_at (unsigned long j, unsigned long m, unsigned long last, double shift)
{
  if (last <= m)
    return j + 1;
  return 1 + (unsigned long) (((double) j + shift) * (double) last
                              / (double) m);
}

/* Sweep the workload's crash point for SEED over 1..LAST, at MAX
   points at most.  Returns the number of failed trials; the first is
   described in FIRST.  */
static unsigned long
sweep_workload (unsigned long long seed, unsigned long last,
                unsigned long max, double shift, char *first, size_t size)
{
  unsigned long m = last < max ? last : max, j, bad = 0;
  long gained = 0;
  char why[1024];

  for (j = 0; j < m; j++)
    {
      unsigned long p = point_at (j, m, last, shift);
      int kmin = crash_workload (p, seed, why, sizeof why), k = -1;

      if (kmin >= 0)
        k = check_store (kmin, -1, why, sizeof why);
      trials++;
      if (k < 0)
        {
          if (bad++ == 0)
            snprintf (first, size, "seed %llu, crash at operation %lu: %s"
                      " (replay: LRVM_PL_REPLAY=%llu:%lu%s%s)", seed, p, why,
                      seed, p, run_mode ? ":" : "", run_mode ? run_mode : "");
        }
      else
        gained += k - kmin;
    }
  t_note ("seed %llu: %lu crash points, %lu failed; %ld commits recovered"
          " beyond those reported durable", seed, m, bad, gained);
  return bad;
}

/* Sweep a crash of recovery itself over the states that crashes of the
   workload leave: after a second recovery, the store must hold exactly
   what a recovery without a crash gives.  */
static unsigned long
sweep_recovery (unsigned long long seed, unsigned long last, char *first,
                size_t size)
{
  unsigned long b, bad = 0, j;
  char why[1024], out[4096];

  for (b = 0; b < RECOVERY_BASES; b++)
    {
      unsigned long p = last / 4 + (b * (last - last / 4)) / RECOVERY_BASES;
      struct snapshot snap;
      int kmin = crash_workload (p, seed, why, sizeof why), k0 = -1;
      long r;
      unsigned long m;

      if (kmin < 0)
        goto fail;
      snap_take (&snap);
      /* How many operations a recovery of this state makes, and what it
         recovers.  */
      run (child_env (1, 0, seed), out, sizeof out, "recover", NULL, NULL,
           NULL);
      r = read_count ();
      if (r < 0)
        {
          snprintf (why, sizeof why, "cannot count the operations of"
                    " recovery: %.300s", out);
          snap_free (&snap);
          goto fail;
        }
      snap_restore (&snap);
      k0 = check_store (kmin, -1, why, sizeof why);
      if (k0 < 0)
        {
          snap_free (&snap);
          goto fail;
        }
      m = (unsigned long) r + 1 < MAXRPOINTS ? (unsigned long) r + 1
                                             : MAXRPOINTS;
      for (j = 0; j < m; j++)
        {
          unsigned long rp = point_at (j, m, (unsigned long) r + 1, 0.5);
          int st, k = -1;
          char how[64];

          snap_restore (&snap);
          st = run (child_env (1, rp, seed), out, sizeof out, "recover",
                    NULL, NULL, NULL);
          recovery_trials++;
          if (!WIFEXITED (st) || WEXITSTATUS (st) != PL_CRASH_STATUS)
            {
              describe (st, how, sizeof how);
              snprintf (why, sizeof why, "recovery did not crash at"
                        " operation %lu (%s): %.300s", rp, how, out);
            }
          else
            k = check_store (k0, k0, why, sizeof why);
          if (k < 0 && bad++ == 0)
            snprintf (first, size, "seed %llu, workload crash at operation"
                      " %lu, recovery crash at operation %lu: %s (replay:"
                      " LRVM_PL_REPLAY=%llu:%lu:%lu%s%s)", seed, p, rp, why,
                      seed, p, rp, run_mode ? ":" : "",
                      run_mode ? run_mode : "");
        }
      snap_free (&snap);
      continue;
    fail:
      recovery_trials++;
      if (bad++ == 0)
        snprintf (first, size, "seed %llu, workload crash at operation %lu:"
                  " %s (replay: LRVM_PL_REPLAY=%llu:%lu%s%s)", seed, p, why,
                  seed, p, run_mode ? ":" : "", run_mode ? run_mode : "");
    }
  return bad;
}

/* LRVM_PL_REPLAY=SEED:POINT[:RPOINT][:dsync|:ckpt]: one trial, traced,
   verbose.  */
static int
replay (const char *spec)
{
  unsigned long long seed;
  unsigned long p, rp = 0;
  char why[1024], out[8192], rest[64];
  const char *mode;
  int kmin, k, n;

  rest[0] = '\0';
  n = sscanf (spec, "%llu:%lu:%63s", &seed, &p, rest);
  if (n < 2)
    t_bail ("LRVM_PL_REPLAY=%s: expected SEED:POINT[:RPOINT][:MODE]", spec);
  if (rest[0] >= '0' && rest[0] <= '9')
    {
      char *end;
      rp = strtoul (rest, &end, 10);
      mode = *end == ':' ? end + 1 : end;
      n = 3;
    }
  else
    {
      mode = rest;
      n = 2;
    }
  if (strcmp (mode, "dsync") == 0)
    run_mode = "dsync";
  else if (strcmp (mode, "ckpt") == 0)
    run_mode = "ckpt";
  else if (*mode != '\0')
    t_bail ("LRVM_PL_REPLAY=%s: unknown mode %s", spec, mode);
  tracing = 1;
  t_note ("replay: store %s, trace %s", store, tracefile);
  t_note ("by hand: rm -rf %s; LD_PRELOAD=%s LRVM_PL_DIR=%s LRVM_PL_SEED=%llu"
          " LRVM_PL_CRASH_AT=%lu %s run %s%s%s; %s verify %s 0 -1%s%s", store,
          shim, store, seed, p, workload, store, run_mode ? " " : "",
          run_mode ? run_mode : "", workload, store, run_mode ? " " : "",
          run_mode ? run_mode : "");
  kmin = crash_workload (p, seed, why, sizeof why);
  if (kmin < 0)
    {
      t_note ("replay: %s", why);
      t_fail ("replay of %s", spec);
      return t_done ();
    }
  t_note ("workload crashed at operation %lu; commit %d was durable", p,
          kmin);
  if (n == 3)
    {
      int st = run (child_env (1, rp, seed), out, sizeof out, "recover",
                    NULL, NULL, NULL);
      char how[64];
      describe (st, how, sizeof how);
      t_note ("recovery crashed at operation %lu: %s %s", rp, how, out);
    }
  k = check_store (kmin, -1, why, sizeof why);
  t_check (k >= 0, "replay of %s", spec);
  if (k < 0)
    t_note ("%s", why);
  else
    t_note ("recovered the state after commit %d", k);
  return t_done ();
}

/* ---- The shim's own test. ---- */

/* The cases, each with one PASS/FAIL name.  */
enum
{
  N_SHIM_COUNT, N_SHIM_LOST, N_SHIM_CREATE, N_SHIM_FLUSHED, N_SHIM_DSYNC,
  N_OPS, N_WORK, N_REC = N_WORK + NSEEDS, N_DSYNC = N_REC + NSEEDS,
  N_CKPT_STATS, N_CKPT_WORK, N_CKPT_REC, NNAMES
};

static const char *const names[NNAMES] = {
  "shim: counts every operation on the store",
  "shim: unflushed writes are lost or torn at sector boundaries",
  "shim: an unflushed file creation is lost or kept",
  "shim: flushed writes and names survive",
  "shim: an O_DSYNC write survives, the file's other writes stay pending",
  "workload: the number of operations is the same in every run",
  "power loss during the workload, sweep 1",
  "power loss during the workload, sweep 2",
  "power loss during the workload, sweep 3",
  "power loss during recovery, sweep 1",
  "power loss during recovery, sweep 2",
  "power loss during recovery, sweep 3",
  "power loss during the workload, O_DSYNC mode",
  "workload: truncations write checkpoints in checkpoint mode",
  "power loss during the workload, checkpoint mode",
  "power loss during recovery, checkpoint mode",
};

static int
read_file (const char *name, unsigned char *buf, size_t cap, size_t *len)
{
  char path[4600];
  int fd;
  ssize_t n;

  snprintf (path, sizeof path, "%s/%s", store, name);
  fd = open (path, O_RDONLY);
  if (fd < 0)
    return 0;
  n = read (fd, buf, cap);
  close (fd);
  *len = n > 0 ? (size_t) n : 0;
  return 1;
}

static int
all (const unsigned char *p, size_t n, unsigned char c)
{
  while (n-- > 0)
    if (*p++ != c)
      return 0;
  return 1;
}

/* The probe of O_DSYNC writes (plworkload probe DIR 2), crashed at its
   end for 16 seeds: "r" holds 4096 bytes 'D' durably, then 'E' is
   written after them, unflushed, and 512 bytes 'F' over the first
   sector through an O_DSYNC descriptor.  The 'F' must always survive,
   the 'E' not always.  */
static void
test_shim_dsync (void)
{
  unsigned char buf[16384];
  char out[4096];
  size_t len, s;
  long n;
  int seed, invalid = 0, f_lost = 0, e_lost = 0, e_kept = 0;

  empty_store (1);
  run (child_env (1, 0, 0), out, sizeof out, "probe", "2", NULL, NULL);
  n = read_count ();
  if (n != 6)
    t_note ("probe 2: the shim counted %ld operations: %s", n, out);
  for (seed = 1; n > 0 && seed <= 16; seed++)
    {
      int st;
      empty_store (1);
      st = run (child_env (1, (unsigned long) n + 1,
                           (unsigned long long) seed),
                out, sizeof out, "probe", "2", NULL, NULL);
      if (!WIFEXITED (st) || WEXITSTATUS (st) != PL_CRASH_STATUS
          || !read_file ("r", buf, sizeof buf, &len)
          || len < 4096 || len > 8192 || len % 512 != 0
          || !all (buf + 512, 4096 - 512, 'D'))
        {
          invalid++;
          continue;
        }
      if (!all (buf, 512, 'F'))
        f_lost++;
      for (s = 4096; s < len; s += 512)
        if (!all (buf + s, 512, 'E') && !all (buf + s, 512, 0))
          invalid++;
      if (len == 8192 && all (buf + 4096, 4096, 'E'))
        e_kept++;
      else
        e_lost++;
    }
  t_check (n == 6 && invalid == 0 && f_lost == 0 && e_lost > 0,
           "%s", names[N_SHIM_DSYNC]);
  t_note ("shim: 16 crashes after an O_DSYNC write: %d lost it, the"
          " unflushed write before it kept %d times, lost or torn %d"
          " times, %d invalid", f_lost, e_kept, e_lost, invalid);
}

/* Returns 0 if the shim does not work here at all.  */
static int
test_shim (void)
{
  unsigned char buf[16384];
  size_t len, s;
  int sync, seed, counts_ok = 1;
  int lost = 0, invalid = 0, q_lost = 0, q_kept = 0, synced_bad = 0;
  char out[4096], arg[8];

  for (sync = 0; sync <= 1; sync++)
    {
      long n;
      snprintf (arg, sizeof arg, "%d", sync);
      empty_store (1);
      run (child_env (1, 0, 0), out, sizeof out, "probe", arg, NULL, NULL);
      n = read_count ();
      if (n < 0)
        {
          t_note ("the shim does not run here: %s", out);
          return 0;
        }
      if (n != (sync ? 10 : 8))
        {
          t_note ("probe %d: the shim counted %ld operations", sync, n);
          counts_ok = 0;
        }
      for (seed = 1; seed <= 16; seed++)
        {
          int st;
          empty_store (1);
          st = run (child_env (1, (unsigned long) n + 1,
                               (unsigned long long) seed),
                    out, sizeof out, "probe", arg, NULL, NULL);
          if (!WIFEXITED (st) || WEXITSTATUS (st) != PL_CRASH_STATUS
              || !read_file ("p", buf, sizeof buf, &len))
            {
              invalid++;
              continue;
            }
          if (sync)
            {
              size_t qlen;
              unsigned char q[2048];
              if (len != 8192 || !all (buf, len, 'B')
                  || !read_file ("q", q, sizeof q, &qlen) || qlen != 1024
                  || !all (q, qlen, 'C'))
                synced_bad++;
              continue;
            }
          /* Each sector holds the old bytes or the new, and past the
             old end, the new or zeros.  */
          if (len < 4096 || len > 8192 || len % 512 != 0)
            invalid++;
          for (s = 0; s + 512 <= len; s += 512)
            if (!all (buf + s, 512, 'B')
                && !all (buf + s, 512, s < 4096 ? 'A' : 0))
              invalid++;
          if (len != 8192 || !all (buf, len, 'B'))
            lost++;
          if (read_file ("q", buf, sizeof buf, &len))
            q_kept++;
          else
            q_lost++;
        }
    }
  t_check (counts_ok, "%s", names[N_SHIM_COUNT]);
  t_check (lost > 0 && invalid == 0, "%s", names[N_SHIM_LOST]);
  t_check (q_lost > 0 && q_kept > 0, "%s", names[N_SHIM_CREATE]);
  t_check (synced_bad == 0, "%s", names[N_SHIM_FLUSHED]);
  t_note ("shim: 16 crashes: %d lost or torn p, %d invalid, q lost %d,"
          " kept %d", lost, invalid, q_lost, q_kept);
  test_shim_dsync ();
  return 1;
}

/* The number of operations the workload makes on the store (in
   RUN_MODE), the same in two runs, or -1.  The output of the second
   run, which ends with the workload's statistics, is left in OUT.  */
static long
count_ops (char *out, size_t size)
{
  long n1, n2;

  empty_store (0);
  run (child_env (1, 0, 0), out, size, "run", run_mode, NULL, NULL);
  n1 = read_count ();
  empty_store (0);
  run (child_env (1, 0, 0), out, size, "run", run_mode, NULL, NULL);
  n2 = read_count ();
  if (n1 > 0 && n1 == n2)
    return n1;
  t_note ("the workload%s%s made %ld, then %ld operations: %s",
          run_mode ? " in mode " : "", run_mode ? run_mode : "", n1, n2, out);
  return -1;
}

static int
all_unsupported (size_t from, const char *why)
{
  size_t i;

  for (i = from; i < NNAMES; i++)
    t_unsupported ("%s (%s)", names[i], why);
  return t_done ();
}

/* The workload in checkpoint mode: its truncations must write
   checkpoints, and power loss anywhere in it or in the recovery of
   the states it leaves must find a committed prefix.  */
static unsigned long
checkpoint_mode (unsigned long long seed)
{
  char out[8192], first[2048];
  const char *st;
  unsigned long long truncs = 0, ckpts = 0;
  unsigned long bad, bad_total = 0;
  long n;

  run_mode = "ckpt";
  n = count_ops (out, sizeof out);
  st = strstr (out, "stats: ");
  if (st == NULL || sscanf (st, "stats: %llu truncations, %llu checkpoints",
                            &truncs, &ckpts) != 2)
    t_note ("the workload in checkpoint mode said: %.400s", out);
  else
    t_note ("the workload in checkpoint mode makes %ld operations on the"
            " store; %llu truncations, %llu by checkpoint", n, truncs,
            ckpts);
  if (T_CHECKPOINTS)
    t_check (ckpts > 0 && truncs > ckpts, "%s", names[N_CKPT_STATS]);
  else
    t_unsupported ("%s (no checkpoints in this build: no write is durable"
                   " alone)", names[N_CKPT_STATS]);
  if (n < 0)
    {
      t_unsupported ("%s (the workload does not run in this mode)",
                     names[N_CKPT_WORK]);
      t_unsupported ("%s (the workload does not run in this mode)",
                     names[N_CKPT_REC]);
      run_mode = NULL;
      return 1;
    }
  first[0] = '\0';
  bad = sweep_workload (seed, (unsigned long) n + 1, MAXPOINTS, 0.25, first,
                        sizeof first);
  if (bad)
    t_note ("%s", first);
  t_check (bad == 0, "%s", names[N_CKPT_WORK]);
  bad_total += bad;
  first[0] = '\0';
  bad = sweep_recovery (seed, (unsigned long) n, first, sizeof first);
  if (bad)
    t_note ("%s", first);
  t_check (bad == 0, "%s", names[N_CKPT_REC]);
  bad_total += bad;
  run_mode = NULL;
  return bad_total;
}

int
main (int argc, char **argv)
{
  unsigned long long base;
  unsigned long bad_total = 0, bad;
  double t0 = now ();
  long n;
  int i;
  char first[2048], out[8192];
  const char *rep = getenv ("LRVM_PL_REPLAY");

  t_init (argc, argv);
  snprintf (workload, sizeof workload, "%s/plworkload", PL_BUILDDIR);
  if (!find_shim ())
    return all_unsupported (0, "no shared plshim");
  {
    char *t = t_tmpdir ("powerloss");
    snprintf (top, sizeof top, "%s", t);
    free (t);
  }
  snprintf (store, sizeof store, "%s/store", top);
  snprintf (countfile, sizeof countfile, "%s/count", top);
  snprintf (tracefile, sizeof tracefile, "%s/trace", top);
  if (rep != NULL && *rep != '\0')
    return replay (rep);

  if (!test_shim ())
    {
      t_rmdir (top);
      return all_unsupported (0, "the shim does not run here");
    }

  /* The crash points: every operation, and N + 1, the crash at exit.  */
  n = count_ops (out, sizeof out);
  if (!t_check (n > 0, "%s", names[N_OPS]))
    return all_unsupported (N_OPS + 1, "no operation count");
  t_note ("the workload makes %ld operations on the store", n);

  base = t_seed ("power loss");
  for (i = 0; i < NSEEDS; i++)
    {
      first[0] = '\0';
      bad = sweep_workload (base + (unsigned) i, (unsigned long) n + 1,
                            MAXPOINTS, (double) i / NSEEDS, first,
                            sizeof first);
      if (bad)
        t_note ("%s", first);
      t_check (bad == 0, "%s", names[N_WORK + i]);
      bad_total += bad;
    }
  for (i = 0; i < NSEEDS; i++)
    {
      first[0] = '\0';
      bad = sweep_recovery (base + (unsigned) i, (unsigned long) n, first,
                            sizeof first);
      if (bad)
        t_note ("%s", first);
      t_check (bad == 0, "%s", names[N_REC + i]);
      bad_total += bad;
    }

  /* The same workload with O_DSYNC writes instead of flushes.  */
  run_mode = "dsync";
  n = count_ops (out, sizeof out);
  if (n < 0)
    t_unsupported ("%s (the workload does not run in this mode)",
                   names[N_DSYNC]);
  else
    {
      first[0] = '\0';
      bad = sweep_workload (base + NSEEDS, (unsigned long) n + 1,
                            MAXPOINTS / 2, 0.5, first, sizeof first);
      if (bad)
        t_note ("%s", first);
      t_check (bad == 0, "%s", names[N_DSYNC]);
      bad_total += bad;
    }
  run_mode = NULL;

  bad_total += checkpoint_mode (base + NSEEDS + 1);

  t_note ("%lu workload trials, %lu recovery trials, %.1f s", trials,
          recovery_trials, now () - t0);
  if (bad_total == 0)
    t_rmdir (top);
  else
    t_note ("the last store is kept in %s", store);
  return t_done ();
}
