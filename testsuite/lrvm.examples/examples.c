/* examples.c -- runs the example programs as a user would, and checks
   what they print and what they leave behind: the counter across runs
   and crashes, the list against a model of its contents (also after
   crashes at random moments), the bank demo.

   Usage: examples counter|list|bank PATH-OF-THE-EXAMPLE  */

#include <config.h>

#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *prog;        /* the example under test */

/* ------------------------------------------------------------------ */
/* Running the example.  */

struct result
{
  int code;                     /* exit status; 128 + signal if killed */
  char *out, *err;              /* NUL-terminated */
  double seconds;
};

/* Arguments being built for one run.  */
struct args
{
  int n;
  char *v[1024];
};

static void
arg (struct args *a, const char *s)
{
  if (a->n >= (int) (sizeof a->v / sizeof a->v[0]) - 2)
    t_bail ("too many arguments");
  a->v[a->n] = strdup (s);
  if (a->v[a->n] == NULL)
    t_bail ("out of memory");
  a->n++;
}

static void
args_free (struct args *a)
{
  while (a->n > 0)
    free (a->v[--a->n]);
}

static double
now (void)
{
  struct timeval tv;

  gettimeofday (&tv, NULL);
  return (double) tv.tv_sec + tv.tv_usec / 1e6;
}

static char *
slurp_fd (int fd)
{
  size_t cap = 4096, n = 0;
  char *p = malloc (cap);
  ssize_t k;

  if (p == NULL || lseek (fd, 0, SEEK_SET) < 0)
    t_bail ("cannot read the example's stderr");
  while ((k = read (fd, p + n, cap - n - 1)) != 0)
    {
      if (k < 0 && errno == EINTR)
        continue;
      if (k < 0)
        t_bail ("read: %s", strerror (errno));
      n += (size_t) k;
      if (n + 1 >= cap && (p = realloc (p, cap *= 2)) == NULL)
        t_bail ("out of memory");
    }
  p[n] = '\0';
  close (fd);
  return p;
}

/* Run the example with the arguments A.  ENV, if not NULL, goes into
   its environment ("NAME=VALUE").  If KILL_USEC >= 0, SIGKILL it that
   many microseconds after it starts, unless it has ended by then.  */
static void
run (struct result *r, const struct args *a, const char *env,
     long kill_usec)
{
  char template[4096], note[300];
  const char *base = getenv ("TMPDIR");
  char *argv[1026];
  size_t cap = 4096, n = 0, k;
  int p[2], errfd, st, i, killed = 0;
  double start;
  pid_t pid;

  if (base == NULL || *base == '\0')
    base = "/tmp";
  snprintf (template, sizeof template, "%s/lrvm-exerr.XXXXXX", base);
  if ((errfd = mkstemp (template)) < 0)
    t_bail ("mkstemp: %s", strerror (errno));
  unlink (template);
  argv[0] = (char *) prog;
  for (i = 0; i < a->n; i++)
    argv[i + 1] = a->v[i];
  argv[a->n + 1] = NULL;
  if (pipe (p) != 0)
    t_bail ("pipe: %s", strerror (errno));
  start = now ();
  pid = fork ();
  if (pid < 0)
    t_bail ("fork: %s", strerror (errno));
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDONLY);
      if (null < 0 || dup2 (null, 0) < 0 || dup2 (p[1], 1) < 0
          || dup2 (errfd, 2) < 0)
        _exit (126);
      close (p[0]);
      if (env != NULL)
        putenv ((char *) env);
      execv (prog, argv);
      _exit (127);
    }
  close (p[1]);
  r->out = malloc (cap);
  if (r->out == NULL)
    t_bail ("out of memory");
  for (;;)
    {
      struct pollfd pfd;
      int timeout = -1;
      ssize_t got;

      if (kill_usec >= 0 && !killed)
        {
          double left = kill_usec / 1e6 - (now () - start);
          if (left <= 0)
            {
              kill (pid, SIGKILL);
              killed = 1;
            }
          else
            timeout = (int) (left * 1000) + 1;
        }
      pfd.fd = p[0];
      pfd.events = POLLIN;
      if (poll (&pfd, 1, timeout) <= 0)
        continue;
      if (n + 1024 >= cap && (r->out = realloc (r->out, cap *= 2)) == NULL)
        t_bail ("out of memory");
      got = read (p[0], r->out + n, cap - n - 1);
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        break;
      n += (size_t) got;
    }
  r->out[n] = '\0';
  close (p[0]);
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      t_bail ("waitpid: %s", strerror (errno));
  r->seconds = now () - start;
  r->code = WIFEXITED (st) ? WEXITSTATUS (st)
            : WIFSIGNALED (st) ? 128 + WTERMSIG (st) : 255;
  r->err = slurp_fd (errfd);

  /* One line for the log: the command, abbreviated, and its end.  */
  for (i = 0, k = 0; i < a->n && k < 200; i++)
    k += (size_t) snprintf (note + k, sizeof note - k, " %s", a->v[i]);
  if (k >= 200)
    strcpy (note + 200, " ...");
  t_note ("%s%s%s: exit %d%s%.*s", env ? env : "", env ? " " : "", note,
          r->code, *r->err ? ", stderr: " : "",
          (int) strcspn (r->err, "\n"), r->err);
}

static void
result_free (struct result *r)
{
  free (r->out);
  free (r->err);
}

/* Run the example with the arguments given, up to a NULL.  */
static void
run_simple (struct result *r, ...)
{
  struct args a = { 0 };
  const char *s;
  va_list ap;

  va_start (ap, r);
  while ((s = va_arg (ap, const char *)) != NULL)
    arg (&a, s);
  va_end (ap);
  run (r, &a, NULL, -1);
  args_free (&a);
}

/* Number of lines of TEXT that start with PREFIX.  */
static int
count_lines (const char *text, const char *prefix)
{
  size_t n = strlen (prefix);
  int count = 0;

  for (; *text != '\0'; text++)
    {
      if (strncmp (text, prefix, n) == 0)
        count++;
      text = strchr (text, '\n');
      if (text == NULL)
        break;
    }
  return count;
}

/* The number after the last PREFIX at the start of a line of TEXT, or
   DFLT if there is none.  */
static long
last_number (const char *text, const char *prefix, long dflt)
{
  size_t n = strlen (prefix);
  long v = dflt;

  for (; *text != '\0'; text++)
    {
      if (strncmp (text, prefix, n) == 0)
        v = strtol (text + n, NULL, 10);
      text = strchr (text, '\n');
      if (text == NULL)
        break;
    }
  return v;
}

/* ------------------------------------------------------------------ */
/* counter: each run adds one; a crash keeps exactly what was committed;
   an abort changes nothing.  */

/* Run the counter with OPTION (or none) and check that it says EXPECT
   and ends with CODE.  */
static int
counter_run (const char *dir, const char *option, int code,
             const char *expect)
{
  struct result r;
  int ok;

  if (option != NULL)
    run_simple (&r, option, dir, NULL);
  else
    run_simple (&r, dir, NULL);
  ok = r.code == code && strcmp (r.out, expect) == 0;
  if (!ok)
    t_note ("expected exit %d and \"%s\", got %d and \"%s\"", code, expect,
            r.code, r.out);
  result_free (&r);
  return ok;
}

static void
test_counter (void)
{
  static const char *const option[] = {
    NULL, "--crash=after-commit", "--crash=before-commit", "--abort"
  };
  uint64_t rng = t_seed ("counter");
  char *dir = t_tmpdir ("ex-counter");
  char expect[100];
  struct result r;
  long value = 2;
  int i, ok = 1;

  t_check (counter_run (dir, NULL, 0, "counter = 1\n"),
           "counter: the first run counts 1");
  t_check (counter_run (dir, NULL, 0, "counter = 2\n"),
           "counter: the second run counts 2");
  t_check (counter_run (dir, "--crash=after-commit", 128 + SIGKILL,
                        "counter = 3, committed; crashing now\n"),
           "counter: --crash=after-commit commits 3 and dies of SIGKILL");
  t_check (counter_run (dir, NULL, 0, "counter = 4\n"),
           "counter: an increment committed before a crash is kept");
  t_check (counter_run (dir, "--crash=before-commit", 128 + SIGKILL,
                        "counter = 5 in memory, not committed; crashing"
                        " now\n"),
           "counter: --crash=before-commit dies of SIGKILL");
  t_check (counter_run (dir, NULL, 0, "counter = 5\n"),
           "counter: an increment not committed before a crash is lost");
  t_check (counter_run (dir, "--abort", 0,
                        "counter = 5 (the increment was aborted)\n"),
           "counter: --abort gives back the old value");
  t_check (counter_run (dir, NULL, 0, "counter = 6\n"),
           "counter: an aborted increment is not kept");

  /* Runs ending at random; the value must follow exactly.  */
  value = 6;
  for (i = 0; i < 16 && ok; i++)
    {
      int e = (int) (t_rand (&rng) % 4);
      switch (e)
        {
        case 0:
          snprintf (expect, sizeof expect, "counter = %ld\n", ++value);
          break;
        case 1:
          snprintf (expect, sizeof expect,
                    "counter = %ld, committed; crashing now\n", ++value);
          break;
        case 2:
          snprintf (expect, sizeof expect, "counter = %ld in memory, not"
                    " committed; crashing now\n", value + 1);
          break;
        default:
          snprintf (expect, sizeof expect,
                    "counter = %ld (the increment was aborted)\n", value);
        }
      ok = counter_run (dir, option[e], e == 1 || e == 2 ? 128 + SIGKILL
                                                         : 0, expect);
    }
  snprintf (expect, sizeof expect, "counter = %ld\n", ++value);
  t_check (ok && counter_run (dir, NULL, 0, expect),
           "counter: 16 runs ending at random count exactly the committed"
           " increments");

  run_simple (&r, "--frobnicate", dir, NULL);
  t_check (r.code == 2 && strncmp (r.err, "usage: counter", 14) == 0,
           "counter: an unknown option is refused with a usage message");
  result_free (&r);
  t_rmdir (dir);
  free (dir);
}

/* ------------------------------------------------------------------ */
/* list: a model of the contents, and the list checked against it.  */

#define MAXKEYS 128
#define POOL 40                 /* keys of the crash rounds: k00..k39 */

struct model
{
  int n;
  char key[MAXKEYS][16];        /* sorted as strcmp sorts */
  char value[MAXKEYS][32];
};

/* The position of KEY in M, or where it would go; *FOUND says which.  */
static int
model_find (const struct model *m, const char *key, int *found)
{
  int i;

  for (i = 0; i < m->n && strcmp (m->key[i], key) < 0; i++)
    ;
  *found = i < m->n && strcmp (m->key[i], key) == 0;
  return i;
}

static void
model_add (struct model *m, const char *key, const char *value)
{
  int found, i = model_find (m, key, &found);

  if (!found)
    {
      if (m->n == MAXKEYS)
        t_bail ("model full");
      memmove (m->key[i + 1], m->key[i], (size_t) (m->n - i) * 16);
      memmove (m->value[i + 1], m->value[i], (size_t) (m->n - i) * 32);
      m->n++;
      snprintf (m->key[i], sizeof m->key[i], "%s", key);
    }
  snprintf (m->value[i], sizeof m->value[i], "%s", value);
}

/* Returns 1 if KEY was there (a change), else 0.  */
static int
model_del (struct model *m, const char *key)
{
  int found, i = model_find (m, key, &found);

  if (!found)
    return 0;
  memmove (m->key[i], m->key[i + 1], (size_t) (m->n - i - 1) * 16);
  memmove (m->value[i], m->value[i + 1], (size_t) (m->n - i - 1) * 32);
  m->n--;
  return 1;
}

/* What "list STORE dump" must print for M (malloc'ed).  */
static char *
model_text (const struct model *m)
{
  char *t = malloc ((size_t) m->n * 50 + 1), *p = t;
  int i;

  if (t == NULL)
    t_bail ("out of memory");
  *p = '\0';
  for (i = 0; i < m->n; i++)
    p += sprintf (p, "%s %s\n", m->key[i], m->value[i]);
  return t;
}

/* Run "list STORE check dump": if the store checks, return 1 with the
   number of changes it says it holds in *CHANGES, and what dump printed
   in *DUMP (malloc'ed); else say why and return 0.  */
static int
list_read (const char *dir, long *changes, char **dump)
{
  struct result r;
  const char *nl;
  long records;
  int ok;

  run_simple (&r, dir, "check", "dump", NULL);
  nl = strchr (r.out, '\n');
  ok = r.code == 0 && nl != NULL
       && sscanf (r.out, "ok: %ld records, %*d free nodes, %ld changes",
                  &records, changes) == 2
       && records == count_lines (nl + 1, "");
  if (ok)
    *dump = strdup (nl + 1);
  else
    t_note ("list check: exit %d: %.*s", r.code,
            (int) strcspn (r.out, "\n"), r.out);
  result_free (&r);
  return ok;
}

/* Nonzero if DUMP is what dump must print for M.  */
static int
same_as_model (const char *dump, const struct model *m)
{
  char *want = model_text (m);
  int same = strcmp (dump, want) == 0;

  if (!same)
    t_note ("list dump differs from the model of %d keys", m->n);
  free (want);
  return same;
}

/* The fixed script: each step a run, its output and status checked.  */
static void
test_list_script (void)
{
  static const struct step
  {
    const char *name;
    const char *args[10];
    int code;
    const char *out, *err;
  } steps[] = {
    { "three adds in one run, flushed once",
      { "add", "pear", "green", "add", "apple", "red", "add", "fig",
        "purple" }, 0,
      "added pear\nadded apple\nadded fig\nflushed through change 3\n", "" },
    { "get finds a key in a new process and misses another",
      { "get", "apple", "get", "kiwi" }, 1, "red\n",
      "list: kiwi: not found\n" },
    { "add of a key there updates its value",
      { "add", "apple", "dark red" }, 0,
      "updated apple\nflushed through change 4\n", "" },
    { "del removes a key, once",
      { "del", "pear", "del", "pear" }, 1,
      "deleted pear\nflushed through change 5\n", "list: pear: not found\n" },
    { "dump lists the keys in order",
      { "dump" }, 0, "apple dark red\nfig purple\n", "" },
    { "check counts records, free nodes and changes",
      { "check" }, 0, "ok: 2 records, 6 free nodes, 5 changes committed\n",
      "" },
    { "a bad command is refused before any change",
      { "add", "plum", "blue", "frob" }, 2, "", NULL },
    { "a key with a space is refused",
      { "add", "two words", "x" }, 2, "", NULL },
    { "nothing changed by refused commands",
      { "dump", "check" }, 0,
      "apple dark red\nfig purple\n"
      "ok: 2 records, 6 free nodes, 5 changes committed\n", "" },
  };
  char *dir = t_tmpdir ("ex-list");
  size_t i, j;

  for (i = 0; i < sizeof steps / sizeof steps[0]; i++)
    {
      struct args a = { 0 };
      struct result r;

      arg (&a, dir);
      for (j = 0; j < 10 && steps[i].args[j] != NULL; j++)
        arg (&a, steps[i].args[j]);
      run (&r, &a, NULL, -1);
      if (!t_check (r.code == steps[i].code
                    && strcmp (r.out, steps[i].out) == 0
                    && (steps[i].err == NULL
                        ? *r.err != '\0'
                        : strcmp (r.err, steps[i].err) == 0),
                    "list: %s", steps[i].name))
        t_note ("got exit %d, stdout \"%s\", stderr \"%s\"", r.code, r.out,
                r.err);
      result_free (&r);
      args_free (&a);
    }
  t_rmdir (dir);
  free (dir);
}

/* One hundred keys in one run: the list grows from 8 nodes to 128,
   moving in memory each time, with a flush every 7 changes.  */
static void
test_list_growth (void)
{
  char *dir = t_tmpdir ("ex-grow");
  struct model m = { 0 };
  struct args a = { 0 };
  struct result r;
  char key[16], value[32], *dump = NULL;
  long changes;
  int i;

  arg (&a, "--flush-every");
  arg (&a, "7");
  arg (&a, dir);
  for (i = 0; i < 100; i++)
    {
      snprintf (key, sizeof key, "g%03d", (i * 37) % 100);
      snprintf (value, sizeof value, "value %d", i);
      arg (&a, "add");
      arg (&a, key);
      arg (&a, value);
      model_add (&m, key, value);
    }
  run (&r, &a, NULL, -1);
  t_check (r.code == 0 && count_lines (r.out, "added ") == 100
           && count_lines (r.out, "flushed through change ") == 15
           && last_number (r.out, "flushed through change ", -1) == 100,
           "list: 100 adds in one run, flushed every 7 changes and at the"
           " end");
  result_free (&r);
  t_check (list_read (dir, &changes, &dump) && changes == 100
           && same_as_model (dump, &m),
           "list: after growing to 128 nodes the list holds the 100 keys"
           " in order");
  free (dump);
  args_free (&a);
  t_rmdir (dir);
  free (dir);
}

/* How a crash round ends the writer.  */
enum kill_mode
{
  SELF_KILL,                    /* --kill-after N */
  RANDOM_KILL,                  /* SIGKILL from us, at a random moment */
  FAILPOINT_KILL                /* a failpoint in the library */
};

/* Failpoints a list run passes through, and how often, from a run
   with LRVM_FAILPOINT_LIST.  */
struct passages
{
  int n;
  char name[32][64];
  long count[32];
};

static int
passage_index (struct passages *ps, const char *name)
{
  int i;

  for (i = 0; i < ps->n && strcmp (ps->name[i], name) != 0; i++)
    ;
  if (i == ps->n && ps->n < 32)
    {
      snprintf (ps->name[ps->n], sizeof ps->name[0], "%.63s", name);
      ps->count[ps->n++] = 0;
    }
  return i < ps->n ? i : -1;
}

/* Add to PS the failpoints listed in FILE (one passage a line), each
   with the largest count of passages seen in one run.  */
static void
read_passages (const char *file, struct passages *ps)
{
  FILE *f = fopen (file, "r");
  struct passages run = { 0 };
  char line[128];
  int i, k;

  if (f == NULL)
    return;
  while (fgets (line, sizeof line, f) != NULL)
    {
      line[strcspn (line, "\n")] = '\0';
      if ((i = passage_index (&run, line)) >= 0)
        run.count[i]++;
    }
  fclose (f);
  for (i = 0; i < run.n; i++)
    if ((k = passage_index (ps, run.name[i])) >= 0
        && run.count[i] > ps->count[k])
      ps->count[k] = run.count[i];
}

/* A random batch of adds and dels of the keys k00..k39 from the state
   M: its arguments go to A, the state after each change to STATES
   (STATES[0] is M), and the number of changes is returned.  *MISSES
   counts dels of keys not there (which make the run end with 1).  */
static int
random_batch (const struct model *m, int nops, uint64_t *rng,
              struct args *a, struct model *states, int *misses)
{
  int i, e = 0;

  states[0] = *m;
  *misses = 0;
  for (i = 0; i < nops; i++)
    {
      char key[16], value[32];
      struct model next = states[e];

      snprintf (key, sizeof key, "k%02d", (int) (t_rand (rng) % POOL));
      if (t_rand (rng) % 100 < 65)
        {
          if (t_rand (rng) % 4 == 0)
            snprintf (value, sizeof value, "two words %u",
                      (unsigned) (t_rand (rng) % 1000));
          else
            snprintf (value, sizeof value, "v%u",
                      (unsigned) (t_rand (rng) % 100000));
          arg (a, "add");
          arg (a, key);
          arg (a, value);
          model_add (&next, key, value);
          states[++e] = next;
        }
      else
        {
          arg (a, "del");
          arg (a, key);
          if (model_del (&next, key))
            states[++e] = next;
          else
            ++*misses;
        }
    }
  return e;
}

/* ROUNDS crash rounds of MODE on a new store.  Each round runs a
   random batch of changes, which a crash interrupts, then checks the
   store and compares it with the model; the model then follows what
   the store holds, and the next round goes on from there.  */
static void
test_list_crashes (enum kill_mode mode, const char *what, uint64_t *rng,
                   int rounds)
{
  struct model *states = malloc (201 * sizeof *states), model = { 0 };
  struct model *m = &model;
  struct passages ps = { 0 };
  char *dir = t_tmpdir ("ex-crash");
  long max_usec = 0, changes_base = 0, *base = &changes_base;
  int round, runs = 0, died = 0, bad_death = 0, bad_check = 0;
  int bad_data = 0;

  if (states == NULL)
    t_bail ("out of memory");

  /* Learn how long a batch takes, or where it passes, on a scratch
     store, new then existing: killing at random needs a time scale, a
     failpoint its name and count.  */
  if (mode != SELF_KILL)
    {
      char *scratch = t_tmpdir ("ex-scratch");
      char list[4200], env[4300];
      struct args a = { 0 };
      struct result r;
      int misses, pass;
      uint64_t copy = *rng;

      snprintf (list, sizeof list, "%s/passages", scratch);
      snprintf (env, sizeof env, "LRVM_FAILPOINT_LIST=%s", list);
      for (pass = 0; pass < 2; pass++)
        {
          arg (&a, "--flush-every");
          arg (&a, "2");
          arg (&a, scratch);
          random_batch (m, 150, &copy, &a, states, &misses);
          unlink (list);
          run (&r, &a, mode == FAILPOINT_KILL ? env : NULL, -1);
          if (pass == 0 || r.seconds * 1e6 < max_usec)
            max_usec = (long) (r.seconds * 1e6);
          read_passages (list, &ps);
          result_free (&r);
          args_free (&a);
        }
      if (mode == RANDOM_KILL)
        t_note ("%s: a batch takes %ld us", what, max_usec);
      else
        t_note ("%s: a batch passes %d distinct failpoints", what, ps.n);
      t_rmdir (scratch);
      free (scratch);
      if (mode == FAILPOINT_KILL && ps.n == 0)
        t_bail ("a list run passes no failpoint");
    }

  for (round = 0; round < rounds; round++)
    {
      struct args a = { 0 };
      struct result r;
      char num[32], env[200], *dump;
      const char *envp = NULL;
      int nops = mode == SELF_KILL ? 20 + (int) (t_rand (rng) % 80) : 150;
      int flush = (int) (t_rand (rng) % 6), e, misses, reported, same;
      long kill_after = -1, kill_usec = -1, flushed, changes, hi;

      snprintf (num, sizeof num, "%d", flush);
      arg (&a, "--flush-every");
      arg (&a, mode == SELF_KILL ? num : "2");
      /* The kill point is chosen once the batch is known.  */
      arg (&a, "--kill-after");
      arg (&a, "-1");
      arg (&a, dir);
      e = random_batch (m, nops, rng, &a, states, &misses);
      if (mode == SELF_KILL)
        {
          kill_after = e > 0 ? (long) (t_rand (rng) % (uint64_t) e) : 0;
          snprintf (num, sizeof num, "%ld", kill_after);
          free (a.v[3]);
          a.v[3] = strdup (num);
        }
      else if (mode == RANDOM_KILL)
        kill_usec = (long) (t_rand (rng) % (uint64_t) (max_usec + 1));
      else
        {
          int k = (int) (t_rand (rng) % (uint64_t) ps.n);
          snprintf (env, sizeof env, "LRVM_FAILPOINT=%s:%ld", ps.name[k],
                    1 + (long) (t_rand (rng) % (uint64_t) ps.count[k]));
          envp = env;
        }
      run (&r, &a, envp, kill_usec);
      runs++;

      /* What the writer said: the changes it made, and the last one it
         saw flushed.  A change may be committed and not yet said.  */
      reported = count_lines (r.out, "added ")
                 + count_lines (r.out, "updated ")
                 + count_lines (r.out, "deleted ");
      flushed = last_number (r.out, "flushed through change ", *base);
      if (r.code == 128 + SIGKILL)
        {
          died++;
          hi = *base + reported + 1;
          if (mode == SELF_KILL && e > 0 && reported != kill_after)
            {
              t_note ("round %d: killed after %d changes, not %ld", round,
                      reported, kill_after);
              bad_death++;
            }
        }
      else
        {
          /* A run that ended before its kill: aim earlier next time.  */
          if (mode == RANDOM_KILL && r.seconds * 1e6 < max_usec)
            max_usec = (long) (r.seconds * 1e6);
          hi = *base + e;
          if ((mode == SELF_KILL && e > 0) || r.code != (misses ? 1 : 0)
              || reported != e || flushed != *base + e)
            {
              t_note ("round %d: exit %d after %d of %d changes, flushed"
                      " through %ld", round, r.code, reported, e, flushed);
              bad_death++;
            }
        }
      if (hi > *base + e)
        hi = *base + e;
      result_free (&r);
      args_free (&a);

      /* The store must check, and hold exactly the model after some
         number of changes between the last flushed and the last
         possible.  */
      if (!list_read (dir, &changes, &dump))
        {
          bad_check++;
          t_note ("round %d: the store does not check", round);
          break;
        }
      t_note ("round %d: %d changes said, flushed through %ld; the store"
              " holds %ld (allowed: %ld to %ld)", round, reported, flushed,
              changes, flushed, hi);
      same = changes >= flushed && changes <= hi
             && same_as_model (dump, &states[changes - *base]);
      free (dump);
      if (!same)
        {
          t_note ("round %d: the store holds %ld changes, expected the"
                  " model after a number in [%ld, %ld]", round, changes,
                  flushed, hi);
          bad_data++;
          break;
        }
      *m = states[changes - *base];
      *base = changes;
    }
  t_note ("%s: %d of %d runs killed; the store holds %d keys after %ld"
          " changes", what, died, runs, m->n, *base);
  t_check (bad_death == 0, "list: %s: every run ended as expected", what);
  t_check (bad_check == 0, "list: %s: the store checks after every run",
           what);
  t_check (round == rounds && bad_data == 0,
           "list: %s: the list is the model after a committed prefix of"
           " the changes, at least up to the last flushed", what);
  if (mode == RANDOM_KILL)
    t_check (died > 0, "list: %s: some runs were killed", what);
  free (states);
  t_rmdir (dir);
  free (dir);
}

static void
test_list (void)
{
  uint64_t rng;

  test_list_script ();
  test_list_growth ();

  rng = t_seed ("list crashes");
  test_list_crashes (SELF_KILL, "--kill-after", &rng, 16);
  test_list_crashes (RANDOM_KILL, "killed at random", &rng, 16);
#ifdef LRVM_FAILPOINTS
  test_list_crashes (FAILPOINT_KILL, "killed at a failpoint", &rng, 16);
#else
  t_unsupported ("list: killed at a failpoint: failpoints not built"
                 " (configure --enable-failpoints)");
#endif
}

/* ------------------------------------------------------------------ */
/* bank: the demo says ok, and its figures add up.  */

/* Check the output of a bank run of ROUNDS rounds that started with
   FIRST transfers in the store; the transfers at its end go to *LAST.
   Returns 1 if every round says ok and its figures agree.  */
static int
bank_rounds (const char *out, int rounds, long first, long *last)
{
  const char *p = out;
  long total = first, made, recovered;
  int round = 0, ok = 1, n;

  while ((p = strstr (p, "\nround ")) != NULL)
    {
      p++;
      if (sscanf (p, "round %d: %ld transfers committed", &n, &made) != 2
          || n != round + 1
          || (p = strstr (p, "\n  recovered ")) == NULL
          || sscanf (p, "\n  recovered %ld transfers in all", &recovered)
             != 1)
        return 0;
      p++;
      total += made;
      if (recovered != total
          || strncmp (p + strcspn (p, "\n") - 4, ": ok", 4) != 0)
        {
          t_note ("round %d: %ld recovered, %ld expected", n, recovered,
                  total);
          ok = 0;
        }
      round++;
    }
  *last = total;
  return ok && round == rounds;
}

static void
test_bank (void)
{
  char *dir = t_tmpdir ("ex-bank");
  struct result r;
  long last = 0, again;

  run_simple (&r, dir, "3", NULL);
  t_check (r.code == 0, "bank: three rounds exit with status 0");
  t_check (count_lines (r.out, "  recovered ") == 3
           && strstr (r.out, "WRONG") == NULL
           && count_lines (r.out, "bank: ok: 3 rounds") == 1,
           "bank: every round and the summary say ok");
  t_check (bank_rounds (r.out, 3, 0, &last),
           "bank: the transfers recovered add up, round after round");
  result_free (&r);

  run_simple (&r, dir, "1", NULL);
  t_check (r.code == 0 && bank_rounds (r.out, 1, last, &again),
           "bank: a second run goes on from the transfers recovered");
  result_free (&r);
  t_rmdir (dir);
  free (dir);
}

int
main (int argc, char **argv)
{
  t_init (argc, argv);
  if (argc != 3)
    t_bail ("usage: examples counter|list|bank PATH-OF-THE-EXAMPLE");
  prog = argv[2];
  if (access (prog, X_OK) != 0)
    t_bail ("%s cannot be run: %s", prog, strerror (errno));
  if (strcmp (argv[1], "counter") == 0)
    test_counter ();
  else if (strcmp (argv[1], "list") == 0)
    test_list ();
  else if (strcmp (argv[1], "bank") == 0)
    test_bank ();
  else
    t_bail ("unknown example %s", argv[1]);
  return t_done ();
}
