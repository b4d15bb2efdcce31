/* toolrun.c -- see toolrun.h.  */

#include <config.h>

#include "lrvm.h"
#include "testlib.h"
#include "toolrun.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *tool;

void
tr_init (int argc, char **argv)
{
  t_init (argc, argv);
  if (argc < 2)
    t_bail ("usage: %s PATH-OF-THE-LRVM-TOOL", argv[0]);
  tool = argv[1];
  if (access (tool, X_OK) != 0)
    t_bail ("the tool %s cannot be run: %s", tool, strerror (errno));
}

/* A temporary file for the child's output, already unlinked.  */
static int
scratch_file (void)
{
  const char *base = getenv ("TMPDIR");
  char path[4096];
  int fd;

  if (base == NULL || *base == '\0')
    base = "/tmp";
  snprintf (path, sizeof path, "%s/lrvm-toolout.XXXXXX", base);
  fd = mkstemp (path);
  if (fd < 0)
    t_bail ("mkstemp %s: %s", path, strerror (errno));
  unlink (path);
  return fd;
}

static char *
slurp (int fd, size_t *len)
{
  size_t cap = 4096, n = 0;
  char *p = malloc (cap);
  ssize_t k;

  if (p == NULL || lseek (fd, 0, SEEK_SET) < 0)
    t_bail ("cannot read the tool's output");
  for (;;)
    {
      if (n + 1 >= cap)
        {
          char *np = realloc (p, cap * 2);
          if (np == NULL)
            t_bail ("out of memory");
          p = np;
          cap *= 2;
        }
      k = read (fd, p + n, cap - n - 1);
      if (k < 0 && errno == EINTR)
        continue;
      if (k < 0)
        t_bail ("read: %s", strerror (errno));
      if (k == 0)
        break;
      n += (size_t) k;
    }
  p[n] = '\0';
  *len = n;
  close (fd);
  return p;
}

void
tr_run (struct tr_result *r, ...)
{
  const char *argv[32];
  va_list ap;
  int n = 1, out = scratch_file (), err = scratch_file (), st;
  pid_t pid;

  argv[0] = tool;
  va_start (ap, r);
  while (n < 31 && (argv[n] = va_arg (ap, const char *)) != NULL)
    n++;
  va_end (ap);
  argv[n] = NULL;
  pid = fork ();
  if (pid < 0)
    t_bail ("fork: %s", strerror (errno));
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDONLY);
      if (null < 0 || dup2 (null, 0) < 0 || dup2 (out, 1) < 0
          || dup2 (err, 2) < 0)
        _exit (126);
      execv (tool, (char *const *) argv);
      _exit (127);
    }
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      t_bail ("waitpid: %s", strerror (errno));
  r->code = WIFEXITED (st) ? WEXITSTATUS (st)
            : WIFSIGNALED (st) ? 128 + WTERMSIG (st) : 255;
  r->out = slurp (out, &r->outlen);
  r->err = slurp (err, &r->errlen);
  {
    char cmd[512];
    int i;
    size_t k = 0;
    cmd[0] = '\0';
    for (i = 1; i < n && k < sizeof cmd - 1; i++)
      k += (size_t) snprintf (cmd + k, sizeof cmd - k, " %s", argv[i]);
    /* One line: the first line of stderr, if any.  */
    t_note ("lrvm%s: exit %d%s%.*s", cmd, r->code,
            r->errlen ? ", stderr: " : "", (int) strcspn (r->err, "\n"),
            r->err);
  }
}

void
tr_free (struct tr_result *r)
{
  free (r->out);
  free (r->err);
  memset (r, 0, sizeof *r);
}

const char *
tr_line (const struct tr_result *r, const char *prefix)
{
  const char *p = r->out;
  size_t n = strlen (prefix);

  while (p != NULL && *p != '\0')
    {
      if (strncmp (p, prefix, n) == 0)
        return p + n;
      p = strchr (p, '\n');
      if (p != NULL)
        p++;
    }
  return NULL;
}

int
tr_u64 (const struct tr_result *r, const char *prefix, uint64_t *v)
{
  const char *p = tr_line (r, prefix);
  char *end;

  if (p == NULL || *p < '0' || *p > '9')
    return -1;
  *v = strtoull (p, &end, 10);
  return 0;
}

int
tr_failed (const struct tr_result *r, int code)
{
  return r->code == code && strncmp (r->err, "lrvm: ", 6) == 0;
}

/* ------------------------------------------------------------------ */

static void
put (struct tr_snap *s, size_t *cap, const void *p, size_t n)
{
  if (s->len + n > *cap)
    {
      size_t c = *cap ? *cap : 65536;
      unsigned char *np;
      while (c < s->len + n)
        c *= 2;
      np = realloc (s->p, c);
      if (np == NULL)
        t_bail ("out of memory");
      s->p = np;
      *cap = c;
    }
  memcpy (s->p + s->len, p, n);
  s->len += n;
}

static int
name_cmp (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

void
tr_snapshot (const char *dir, struct tr_snap *s)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  char **names = NULL;
  size_t n = 0, i, cap = 0;

  s->p = NULL;
  s->len = 0;
  if (d == NULL)
    {
      put (s, &cap, "(no directory)", 14);
      return;
    }
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      names = realloc (names, (n + 1) * sizeof *names);
      if (names == NULL || (names[n] = strdup (de->d_name)) == NULL)
        t_bail ("out of memory");
      n++;
    }
  closedir (d);
  if (n > 1)
    qsort (names, n, sizeof *names, name_cmp);
  for (i = 0; i < n; i++)
    {
      char path[4096], meta[64];
      struct stat st;

      snprintf (path, sizeof path, "%s/%s", dir, names[i]);
      put (s, &cap, names[i], strlen (names[i]) + 1);
      if (lstat (path, &st) != 0)
        t_bail ("lstat %s: %s", path, strerror (errno));
      snprintf (meta, sizeof meta, "%o %lld", (unsigned) st.st_mode,
                (long long) st.st_size);
      put (s, &cap, meta, strlen (meta) + 1);
      if (S_ISREG (st.st_mode))
        {
          size_t len;
          unsigned char *c = tr_read_file (dir, names[i], &len);
          if (c == NULL)
            t_bail ("cannot read %s", path);
          put (s, &cap, c, len);
          free (c);
        }
      free (names[i]);
    }
  free (names);
}

int
tr_snap_equal (const struct tr_snap *a, const struct tr_snap *b)
{
  return a->len == b->len
         && (a->len == 0 || memcmp (a->p, b->p, a->len) == 0);
}

void
tr_snap_free (struct tr_snap *s)
{
  free (s->p);
  s->p = NULL;
  s->len = 0;
}

unsigned char *
tr_read_file (const char *dir, const char *name, size_t *len)
{
  char path[4096];
  struct stat st;
  unsigned char *p;
  size_t n = 0;
  int fd;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  fd = open (path, O_RDONLY);
  if (fd < 0)
    return NULL;
  if (fstat (fd, &st) != 0)
    {
      close (fd);
      return NULL;
    }
  p = malloc ((size_t) st.st_size + 1);
  if (p == NULL)
    t_bail ("out of memory");
  while (n < (size_t) st.st_size)
    {
      ssize_t k = read (fd, p + n, (size_t) st.st_size - n);
      if (k < 0 && errno == EINTR)
        continue;
      if (k <= 0)
        break;
      n += (size_t) k;
    }
  close (fd);
  *len = n;
  return p;
}

/* ------------------------------------------------------------------ */

#define PAD8(n) (((n) + 7) & ~(size_t) 7)

static int
range_cmp (const void *a, const void *b)
{
  const struct tr_range *x = a, *y = b;

  if (x->seg != y->seg)
    return x->seg - y->seg;
  return x->off < y->off ? -1 : x->off > y->off;
}

/* Run one transaction that declares and writes the NR ranges of DECL
   (data random), and record in S what its log record must hold: the
   ranges of each segment sorted and merged where they overlap or
   touch, in the order of the segments given to rvm_begin.  */
static void
transaction (struct tr_store *s, rvm_t rvm, void **base, struct tr_range *decl,
             size_t nr, uint64_t *rng, int live, uint64_t seq)
{
  struct tr_record *rec = live ? &s->rec[s->nrec] : NULL;
  struct tr_range m[TR_MAXRANGE];
  size_t i, j, nm = 0;
  trans_t tid;
  int g;

  if (rec != NULL)
    for (g = 0; g < TR_NSEG; g++)
      {
        rec->before[g] = malloc (s->size[g]);
        if (rec->before[g] == NULL)
          t_bail ("out of memory");
        memcpy (rec->before[g], s->seg[g], s->size[g]);
      }
  if (rvm_begin (rvm, TR_NSEG, base, 0, &tid) != 0)
    t_bail ("rvm_begin: %s", rvm_errmsg ());
  for (i = 0; i < nr; i++)
    {
      unsigned char *p = (unsigned char *) base[decl[i].seg] + decl[i].off;
      if (rvm_modify (tid, base[decl[i].seg], decl[i].off, decl[i].len) != 0)
        t_bail ("rvm_modify: %s", rvm_errmsg ());
      for (j = 0; j < decl[i].len; j++)
        p[j] = decl[i].data != NULL ? decl[i].data[j]
                                    : (unsigned char) t_rand (rng);
      memcpy (s->seg[decl[i].seg] + decl[i].off, p, decl[i].len);
    }
  if (rvm_commit (tid, 0) != 0)
    t_bail ("rvm_commit: %s", rvm_errmsg ());
  if (rec == NULL)
    return;

  memcpy (m, decl, nr * sizeof *m);
  qsort (m, nr, sizeof *m, range_cmp);
  for (i = 0; i < nr; i++)
    if (nm > 0 && m[nm - 1].seg == m[i].seg
        && m[i].off <= m[nm - 1].off + m[nm - 1].len)
      {
        size_t end = m[i].off + m[i].len;
        if (end > m[nm - 1].off + m[nm - 1].len)
          m[nm - 1].len = end - m[nm - 1].off;
      }
    else
      m[nm++] = m[i];
  rec->seq = seq;
  rec->nranges = nm;
  rec->length = 32;
  for (i = 0; i < nm; i++)
    {
      rec->r[i] = m[i];
      rec->r[i].data = malloc (m[i].len);
      if (rec->r[i].data == NULL)
        t_bail ("out of memory");
      memcpy (rec->r[i].data, s->seg[m[i].seg] + m[i].off, m[i].len);
      rec->length += 16 + PAD8 (strlen (s->name[m[i].seg]))
                     + PAD8 (m[i].len);
    }
  s->nrec++;
}

/* Random ranges for transaction I of phase PHASE.  */
static size_t
random_ranges (const struct tr_store *s, struct tr_range *decl, int phase,
               int i, uint64_t *rng, unsigned char *fill)
{
  size_t n = 0, k, want = 1 + t_rand (rng) % 3;

  if (phase == 1 && i == 0)
    {
      /* A run of equal bytes, which the hex dump abbreviates.  */
      memset (fill, 0x55, 100);
      decl[n].seg = 0;
      decl[n].off = 1000;
      decl[n].len = 100;
      decl[n++].data = fill;
    }
  if (phase == 1 && i == 1)
    {
      decl[n].seg = 1;
      decl[n].off = 7;
      decl[n].len = 40;
      decl[n++].data = NULL;
    }
  for (k = 0; k < want; k++, n++)
    {
      int g = (int) (t_rand (rng) % TR_NSEG);
      /* Nothing may break the run of equal bytes: its other ranges go
         to the other segment.  */
      if (phase == 1 && i == 0)
        g = 1;
      decl[n].seg = g;
      decl[n].len = 1 + t_rand (rng) % 200;
      decl[n].off = t_rand (rng) % (s->size[g] - decl[n].len + 1);
      decl[n].data = NULL;
    }
  return n;
}

void
tr_store_build (struct tr_store *s, const char *tag, int nrec, uint64_t *rng)
{
  static const char *const names[TR_NSEG] = { "alpha", "beta" };
  static const size_t sizes[TR_NSEG] = { 8192, 3000 };
  struct rvm_options o;
  struct rvm_statistics st;
  unsigned char fill[100];
  int phase, i, g;
  uint64_t seq = 1;

  if (nrec > TR_MAXREC)
    t_bail ("too many records");
  memset (s, 0, sizeof *s);
  s->dir = t_tmpdir (tag);
  for (g = 0; g < TR_NSEG; g++)
    {
      s->name[g] = names[g];
      s->size[g] = sizes[g];
      s->file[g] = calloc (1, sizes[g]);
      s->seg[g] = calloc (1, sizes[g]);
      if (s->file[g] == NULL || s->seg[g] == NULL)
        t_bail ("out of memory");
    }
  rvm_options_init (&o);
  o.sync_mode = RVM_SYNC_NONE;
  for (phase = 0; phase < 2; phase++)
    {
      void *base[TR_NSEG];
      rvm_t rvm;
      int n = phase == 0 ? 3 : nrec;

      if (rvm_open (s->dir, &o, &rvm) != 0)
        t_bail ("rvm_open %s: %s", s->dir, rvm_errmsg ());
      for (g = 0; g < TR_NSEG; g++)
        if (rvm_map_segment (rvm, names[g], sizes[g], &base[g], NULL) != 0)
          t_bail ("rvm_map_segment: %s", rvm_errmsg ());
      if (phase == 1)
        s->first_seq = seq;
      for (i = 0; i < n; i++)
        {
          struct tr_range decl[TR_MAXRANGE];
          size_t nr = random_ranges (s, decl, phase, i, rng, fill);
          transaction (s, rvm, base, decl, nr, rng, phase == 1, seq++);
        }
      if (rvm_stats (rvm, &st, sizeof st) != 0)
        t_bail ("rvm_stats: %s", rvm_errmsg ());
      s->log_used = st.log_used;
      if (rvm_close (rvm) != 0)
        t_bail ("rvm_close: %s", rvm_errmsg ());
      /* The next open applies phase one to the files.  */
      if (phase == 0)
        for (g = 0; g < TR_NSEG; g++)
          memcpy (s->file[g], s->seg[g], sizes[g]);
    }
}

void
tr_store_free (struct tr_store *s)
{
  int i, g;
  size_t k;

  for (i = 0; i < s->nrec; i++)
    {
      for (k = 0; k < s->rec[i].nranges; k++)
        free (s->rec[i].r[k].data);
      for (g = 0; g < TR_NSEG; g++)
        free (s->rec[i].before[g]);
    }
  for (g = 0; g < TR_NSEG; g++)
    {
      free (s->file[g]);
      free (s->seg[g]);
    }
  t_rmdir (s->dir);
  free (s->dir);
  memset (s, 0, sizeof *s);
}

void
tr_ranges_text (const struct tr_store *s, const struct tr_record *r,
                char *buf, size_t size)
{
  size_t i, k = 0;

  buf[0] = '\0';
  for (i = 0; i < r->nranges && k < size; i++)
    k += (size_t) snprintf (buf + k, size - k, "%s%s:%zu+%zu",
                            i ? " " : "", s->name[r->r[i].seg],
                            r->r[i].off, r->r[i].len);
}
