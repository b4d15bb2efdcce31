/* testlib.c -- see testlib.h.  */

#include <config.h>

#include "testlib.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int n_pass, n_fail, n_unsup;
static const char *prog = "test";

void
t_init (int argc, char **argv)
{
  const char *p;

  (void) argc;
  setvbuf (stdout, NULL, _IONBF, 0);
  if (argv != NULL && argv[0] != NULL)
    {
      p = strrchr (argv[0], '/');
      prog = p ? p + 1 : argv[0];
    }
}

static void
report (const char *kind, const char *fmt, va_list ap)
{
  char buf[1024];

  vsnprintf (buf, sizeof buf, fmt, ap);
  printf ("\t%s: %s\n", kind, buf);
}

void
t_pass (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  report ("PASSED", fmt, ap);
  va_end (ap);
  n_pass++;
}

void
t_fail (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  report ("FAILED", fmt, ap);
  va_end (ap);
  n_fail++;
}

void
t_unsupported (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  report ("UNSUPPORTED", fmt, ap);
  va_end (ap);
  n_unsup++;
}

void
t_note (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  report ("NOTE", fmt, ap);
  va_end (ap);
}

int
t_check (int cond, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  report (cond ? "PASSED" : "FAILED", fmt, ap);
  va_end (ap);
  if (cond)
    n_pass++;
  else
    n_fail++;
  return cond;
}

void
t_bail (const char *fmt, ...)
{
  va_list ap;
  char buf[1024];

  va_start (ap, fmt);
  vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  printf ("\tFAILED: %s: harness error: %s\n", prog, buf);
  exit (2);
}

int
t_done (void)
{
  printf ("%s: %d passed, %d failed, %d unsupported\n", prog, n_pass,
          n_fail, n_unsup);
  return 0;
}

static int
rm_one (const char *path, const struct stat *st, int flag, struct FTW *f)
{
  (void) st;
  (void) f;
  if (flag == FTW_DP || flag == FTW_D)
    return rmdir (path) == 0 || errno == ENOENT ? 0 : 0;
  unlink (path);
  return 0;
}

void
t_rmdir (const char *dir)
{
  if (dir != NULL)
    nftw (dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *
t_tmpdir (const char *tag)
{
  const char *base = getenv ("TMPDIR");
  char *d;
  size_t n;

  if (base == NULL || *base == '\0')
    base = "/tmp";
  n = strlen (base) + strlen (tag) + 32;
  d = malloc (n);
  if (d == NULL)
    t_bail ("out of memory");
  snprintf (d, n, "%s/lrvm-%s.XXXXXX", base, tag);
  if (mkdtemp (d) == NULL)
    t_bail ("mkdtemp %s: %s", d, strerror (errno));
  return d;
}

long long
t_file_size (const char *dir, const char *name)
{
  char path[4096];
  struct stat st;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  if (stat (path, &st) != 0)
    return -1;
  return (long long) st.st_size;
}

int
t_file_holds (const char *dir, const char *name, uint64_t off,
              const void *data, size_t len)
{
  char path[4096];
  unsigned char *buf = malloc (len ? len : 1);
  const unsigned char *want = data;
  ssize_t got = -1;
  size_t i = 0;
  int fd;

  if (buf == NULL)
    t_bail ("out of memory");
  snprintf (path, sizeof path, "%s/%s", dir, name);
  fd = open (path, O_RDONLY);
  if (fd >= 0)
    {
      got = pread (fd, buf, len, (off_t) off);
      close (fd);
    }
  if (got == (ssize_t) len)
    for (i = 0; i < len && buf[i] == want[i]; i++)
      ;
  free (buf);
  if (got != (ssize_t) len)
    t_note ("%s: cannot read %zu bytes at %llu", path, len,
            (unsigned long long) off);
  else if (i < len)
    t_note ("%s differs first at byte %llu", path,
            (unsigned long long) (off + i));
  return got == (ssize_t) len && i == len;
}

pid_t
t_fork (int (*fn) (void *), void *arg)
{
  pid_t pid = fork ();

  if (pid < 0)
    t_bail ("fork: %s", strerror (errno));
  if (pid == 0)
    _exit (fn (arg));
  return pid;
}

const char *
t_wait (pid_t pid, int *status, char *buf, size_t size)
{
  int st = 0;

  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      t_bail ("waitpid: %s", strerror (errno));
  if (WIFEXITED (st))
    snprintf (buf, size, "exit %d", WEXITSTATUS (st));
  else if (WIFSIGNALED (st))
    snprintf (buf, size, "signal %d", WTERMSIG (st));
  else
    snprintf (buf, size, "status %#x", st);
  if (status != NULL)
    *status = st;
  return buf;
}

int
t_run_child (int (*fn) (void *), void *arg, char *buf, size_t size)
{
  int st;

  t_wait (t_fork (fn, arg), &st, buf, size);
  return WIFEXITED (st) && WEXITSTATUS (st) == 0;
}

uint64_t
t_rand (uint64_t *s)
{
  uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1Dull;
}

/* The seed is LRVM_TEST_SEED if set, else taken from the clock; it is
   printed so that a failing run can be replayed.  */
uint64_t
t_seed (const char *what)
{
  const char *e = getenv ("LRVM_TEST_SEED");
  uint64_t seed;

  if (e != NULL && *e != '\0')
    seed = strtoull (e, NULL, 0);
  else
    {
      struct timeval tv;
      gettimeofday (&tv, NULL);
      seed = ((uint64_t) tv.tv_sec * 1000003u) ^ (uint64_t) tv.tv_usec
             ^ ((uint64_t) getpid () << 32);
    }
  t_note ("%s: seed %llu (replay with LRVM_TEST_SEED=%llu)", what,
          (unsigned long long) seed, (unsigned long long) seed);
  return seed;
}

uint64_t
t_mix (uint64_t x)
{
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t
t_now_usec (void)
{
  struct timeval tv;

  gettimeofday (&tv, NULL);
  return (uint64_t) tv.tv_sec * 1000000u + (uint64_t) tv.tv_usec;
}

void
t_sleep_usec (long usec)
{
  struct timespec ts;

  ts.tv_sec = usec / 1000000;
  ts.tv_nsec = (usec % 1000000) * 1000;
  while (nanosleep (&ts, &ts) != 0 && errno == EINTR)
    ;
}

int
t_find_module (const char *dir, const char *la, char *path, size_t size)
{
  char line[1024], dlname[256] = "";
  FILE *f;

  snprintf (path, size, "%s/%s", dir, la);
  f = fopen (path, "r");
  if (f == NULL)
    return 0;
  while (fgets (line, sizeof line, f) != NULL)
    if (sscanf (line, "dlname='%255[^']'", dlname) == 1)
      break;
  fclose (f);
  if (dlname[0] == '\0')
    return 0;
  snprintf (path, size, "%s/%s%s", dir, LT_OBJDIR, dlname);
  return access (path, R_OK) == 0;
}

int
t_exists (const char *path)
{
  struct stat st;
  return lstat (path, &st) == 0;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

char *
t_listing (const char *dir)
{
  char *names[256], *out, sub[4096];
  size_t n = 0, len = 1, i;
  DIR *d = opendir (dir);
  struct dirent *de;

  if (d == NULL)
    return strdup ("(absent)");
  while ((de = readdir (d)) != NULL && n < 256)
    {
      struct stat st;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      snprintf (sub, sizeof sub, "%s/%s", dir, de->d_name);
      if (lstat (sub, &st) == 0 && S_ISDIR (st.st_mode))
        {
          char *inner = t_listing (sub);
          size_t m = strlen (de->d_name) + strlen (inner) + 4;
          names[n] = malloc (m);
          snprintf (names[n], m, "%s/{%s}", de->d_name, inner);
          free (inner);
        }
      else
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

/* Read the values PID sends on FD and kill it at DEADLINE
   (microseconds), or AFTER_READY microseconds after it sent READY if
   that comes first; then read the rest until the pipe closes.  Each
   value (READY aside) goes to EACH if it is not NULL.  Returns the
   last value (READY aside), or DFLT if none came, and the number of
   values in *COUNT.  */
uint64_t
t_run_until_each (pid_t pid, int fd, uint64_t deadline,
                  uint64_t after_ready, uint64_t dflt, uint64_t *count,
                  void (*each) (uint64_t v, void *arg), void *arg)
{
  uint64_t last = dflt, v;
  int killed = 0;

  *count = 0;
  for (;;)
    {
      ssize_t got;

      if (!killed)
        {
          uint64_t t = t_now_usec (), wait;
          struct timeval tv;
          fd_set set;
          int n;

          if (t >= deadline)
            {
              kill (pid, SIGKILL);
              killed = 1;
              continue;
            }
          /* At most a second at a time: a far deadline (UINT64_MAX for
             none) does not fit a 32-bit time_t, and select refuses a
             timeout that wrapped to a negative one.  */
          wait = deadline - t < 1000000u ? deadline - t : 1000000u;
          tv.tv_sec = (time_t) (wait / 1000000u);
          tv.tv_usec = (suseconds_t) (wait % 1000000u);
          FD_ZERO (&set);
          FD_SET (fd, &set);
          n = select (fd + 1, &set, NULL, NULL, &tv);
          if (n < 0 && errno != EINTR)
            t_bail ("select: %s", strerror (errno));
          if (n <= 0)
            continue;
        }
      got = read (fd, &v, sizeof v);
      if (got < 0 && errno == EINTR)
        continue;
      if (got != (ssize_t) sizeof v)
        break;
      if (v == T_READY)
        {
          if (after_ready != UINT64_MAX
              && t_now_usec () + after_ready < deadline)
            deadline = t_now_usec () + after_ready;
          continue;
        }
      if (each != NULL)
        each (v, arg);
      last = v;
      ++*count;
    }
  return last;
}

uint64_t
t_run_until (pid_t pid, int fd, uint64_t deadline, uint64_t after_ready,
             uint64_t dflt, uint64_t *count)
{
  return t_run_until_each (pid, fd, deadline, after_ready, dflt, count,
                           NULL, NULL);
}

/* Run round R: T_ROUND_OK, or which child ended badly.  The writer's
   deadline counts from its fork.  The verifier is never killed: it
   ends by itself, or lrvm_run's timeout ends the test.  */
static int
kill_round (struct t_round *r)
{
  uint64_t vcount;
  pid_t pid;
  int st;

  if (pipe (r->fd) != 0)
    t_bail ("pipe: %s", strerror (errno));
  pid = t_fork (r->writer, r->arg);
  close (r->fd[1]);
  *r->last = t_run_until (pid, r->fd[0], t_now_usec () + r->delay,
                          r->after_ready, r->dflt, &r->count);
  close (r->fd[0]);
  t_wait (pid, &st, r->why, sizeof r->why);
  if (!WIFSIGNALED (st) || WTERMSIG (st) != SIGKILL)
    {
      t_note ("round %d: writer ended with %s, not SIGKILL", r->round,
              r->why);
      return T_ROUND_WRITER;
    }

  if (pipe (r->fd) != 0)
    t_bail ("pipe: %s", strerror (errno));
  pid = t_fork (r->verifier, r->arg);
  close (r->fd[1]);
  r->got = t_run_until (pid, r->fd[0], UINT64_MAX, UINT64_MAX, UINT64_MAX,
                        &vcount);
  close (r->fd[0]);
  t_wait (pid, &st, r->why, sizeof r->why);
  if (!WIFEXITED (st) || WEXITSTATUS (st) != 0 || r->got == UINT64_MAX)
    return T_ROUND_VERIFIER;
  return T_ROUND_OK;
}

/* Draw a round's delays from *RS: *DELAY below MAX_DELAY, and in three
   rounds in four *AFTER_READY below READY_DELAY (else UINT64_MAX),
   both times the scale.  */
static void
pace_draw (struct t_pace *p, uint64_t *rs, uint64_t max_delay,
           uint64_t ready_delay, uint64_t *delay, uint64_t *after_ready)
{
  *delay = t_rand (rs) % (max_delay * p->scale);
  *after_ready = t_rand (rs) % 4 == 0 ? UINT64_MAX
                 : t_rand (rs) % (ready_delay * p->scale);
}

/* Count a round whose writer reported COUNT values.  */
static void
pace_count (struct t_pace *p, uint64_t count)
{
  p->reported += count;
  p->early += count == 0;
  p->early_run = count == 0 ? p->early_run + 1 : 0;
  if (p->early_run == T_PACE_SLOW && p->scale < 64)
    {
      p->scale *= 2;
      p->early_run = 0;
    }
}

int
t_pace_round (struct t_pace *p, uint64_t *rs, uint64_t max_delay,
              uint64_t ready_delay, struct t_round *r)
{
  int res;

  pace_draw (p, rs, max_delay, ready_delay, &r->delay, &r->after_ready);
  res = kill_round (r);
  if (res != T_ROUND_WRITER)
    pace_count (p, r->count);
  return res;
}
