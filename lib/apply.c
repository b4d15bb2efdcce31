/* apply.c -- applying log entries to segment files through a page
   image: each touched page of a file is read once, every entry for it
   is copied into memory in log order, and the pages are written back
   in runs.  Replay then costs a few large writes instead of one small
   write per entry, and the result is the same as writing each entry
   in order: the newest value of every byte wins.  */

#include "lrvm-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#define APAGE 4096u
/* Pages held in memory before they are written out early.  */
#define APAGE_LIMIT 16384u
/* Pages written by one pwrite.  */
#define ARUN 256u

struct apage
{
  uint64_t idx;
  unsigned char data[APAGE];
};

struct afile
{
  char name[LRVM_NAME_MAX + 1];
  int fd;
  uint64_t end;                 /* size the file must have */
  struct apage **tab;           /* open addressing on idx */
  size_t cap, n;
};

struct lrvm_applier
{
  struct lrvm_store *s;
  struct afile *f;
  size_t n, cap;
  size_t pages;                 /* pages held, all files */
  unsigned char *run;
  uint64_t records;
  int created;
  int failed;                   /* an entry could not be applied */
  const struct lrvm_names *skip;  /* segments not to apply, or NULL */
};

struct lrvm_applier *
lrvm__applier_new (struct lrvm_store *s)
{
  struct lrvm_applier *a = calloc (1, sizeof *a);

  if (a != NULL)
    a->s = s;
  return a;
}

void
lrvm__applier_skip (struct lrvm_applier *a, const struct lrvm_names *skip)
{
  a->skip = skip;
}

uint64_t
lrvm__applier_records (const struct lrvm_applier *a)
{
  return a->records;
}

/* Nonzero if the replay stopped because an entry could not be applied
   (the error is recorded), rather than because the log could not be
   read.  */
int
lrvm__applier_failed (const struct lrvm_applier *a)
{
  return a->failed;
}

static int
cmp_page (const void *x, const void *y)
{
  const struct apage *p = *(struct apage *const *) x;
  const struct apage *q = *(struct apage *const *) y;
  return p->idx < q->idx ? -1 : p->idx > q->idx;
}

/* Write every page held for F, in runs of consecutive pages, never
   past F->end, and free them.  Returns 0 or -1 with errno.  */
static int
write_pages (struct lrvm_applier *a, struct afile *f)
{
  size_t i, k = 0, j;
  int r = 0;

  if (f->n == 0)
    return 0;
  if (a->run == NULL && (a->run = malloc ((size_t) APAGE * ARUN)) == NULL)
    return -1;
  /* Compact the table into a sorted array.  */
  for (i = 0; i < f->cap; i++)
    if (f->tab[i] != NULL)
      f->tab[k++] = f->tab[i];
  qsort (f->tab, k, sizeof *f->tab, cmp_page);
  for (i = 0; i < k && r == 0; i = j)
    {
      uint64_t off = f->tab[i]->idx * APAGE;
      size_t len;
      for (j = i; j < k && j - i < ARUN
                  && f->tab[j]->idx == f->tab[i]->idx + (j - i); j++)
        memcpy (a->run + (j - i) * APAGE, f->tab[j]->data, APAGE);
      len = (j - i) * APAGE;
      if (off + len > f->end)
        len = (size_t) (f->end - off);
      r = lrvm__write_at (f->fd, a->run, len, off);
    }
  for (i = 0; i < k; i++)
    free (f->tab[i]);
  memset (f->tab, 0, f->cap * sizeof *f->tab);
  a->pages -= f->n;
  f->n = 0;
  return r;
}

static struct afile *
get_file (struct lrvm_applier *a, const char *name, size_t len)
{
  struct afile *f;
  uint64_t size;
  size_t i;

  for (i = 0; i < a->n; i++)
    if (strlen (a->f[i].name) == len && memcmp (a->f[i].name, name, len) == 0)
      return &a->f[i];
  if (a->n == a->cap)
    {
      size_t cap = a->cap ? a->cap * 2 : 8;
      void *v = realloc (a->f, cap * sizeof *a->f);
      if (v == NULL)
        return NULL;
      a->f = v;
      a->cap = cap;
    }
  f = &a->f[a->n];
  memset (f, 0, sizeof *f);
  memcpy (f->name, name, len);
  f->name[len] = '\0';
  f->fd = lrvm__open_at (a->s->dirfd, f->name, O_RDWR, 0);
  if (f->fd < 0 && errno == ENOENT)
    {
      f->fd = lrvm__open_at (a->s->dirfd, f->name, O_RDWR | O_CREAT,
                             a->s->mode);
      a->created = 1;
    }
  if (f->fd < 0)
    return NULL;
  if (lrvm__file_size (f->fd, &size) != 0)
    {
      lrvm__close (f->fd);
      return NULL;
    }
  f->end = size;
  a->n++;
  return f;
}

/* The page IDX of F, read from the file unless WHOLE (the caller
   overwrites all of it).  NULL with errno on failure.  */
static struct apage *
get_page (struct lrvm_applier *a, struct afile *f, uint64_t idx, int whole)
{
  struct apage *p;
  size_t h, got, i;

  if (f->cap > 0)
    for (h = (size_t) (idx * 0x9E3779B97F4A7C15ull) & (f->cap - 1);
         (p = f->tab[h]) != NULL; h = (h + 1) & (f->cap - 1))
      if (p->idx == idx)
        return p;
  if (a->pages >= APAGE_LIMIT)
    for (i = 0; i < a->n; i++)
      if (write_pages (a, &a->f[i]) != 0)
        return NULL;
  if (2 * (f->n + 1) > f->cap)
    {
      size_t cap = f->cap ? f->cap * 2 : 64, k;
      struct apage **t = calloc (cap, sizeof *t);
      if (t == NULL)
        return NULL;
      for (k = 0; k < f->cap; k++)
        if ((p = f->tab[k]) != NULL)
          {
            for (h = (size_t) (p->idx * 0x9E3779B97F4A7C15ull) & (cap - 1);
                 t[h] != NULL; h = (h + 1) & (cap - 1))
              ;
            t[h] = p;
          }
      free (f->tab);
      f->tab = t;
      f->cap = cap;
    }
  p = malloc (sizeof *p);
  if (p == NULL)
    return NULL;
  p->idx = idx;
  if (!whole)
    {
      if (lrvm__read_at (f->fd, p->data, APAGE, idx * APAGE, &got) != 0)
        {
          free (p);
          return NULL;
        }
      memset (p->data + got, 0, APAGE - got);
    }
  for (h = (size_t) (idx * 0x9E3779B97F4A7C15ull) & (f->cap - 1);
       f->tab[h] != NULL; h = (h + 1) & (f->cap - 1))
    ;
  f->tab[h] = p;
  f->n++;
  a->pages++;
  return p;
}

/* A scan callback: apply every entry of one record.  */
int
lrvm__applier_record (void *ctx, const unsigned char *rec, size_t len,
                      uint64_t seq, uint64_t off)
{
  struct lrvm_applier *a = ctx;
  struct lrvm_entry e;
  size_t pos = 0;
  int fe, applied = 0;

  (void) len;
  (void) seq;
  (void) off;
  while (lrvm__record_next (rec, &pos, &e))
    {
      struct afile *f;
      uint64_t o = e.offset, end = e.offset + e.data_len;
      const unsigned char *d = e.data;

      if (a->skip != NULL && lrvm__names_has_n (a->skip, e.name, e.name_len))
        continue;
      applied = 1;
      f = get_file (a, e.name, e.name_len);
      if (f == NULL)
        return a->failed = 1,
               lrvm__syserr (a->s->opt.verbose, errno, "cannot open segment"
                             " \"%.*s\" of %s to apply the log",
                             (int) e.name_len, e.name, a->s->path);
      while (o < end)
        {
          uint64_t idx = o / APAGE;
          size_t in = (size_t) (o % APAGE);
          size_t n = end - o < APAGE - in ? (size_t) (end - o) : APAGE - in;
          struct apage *p = get_page (a, f, idx, in == 0 && n == APAGE);
          if (p == NULL)
            return a->failed = 1, lrvm__syserr (a->s->opt.verbose, errno, "cannot apply"
                                 " the log to segment \"%s\" of %s",
                                 f->name, a->s->path);
          memcpy (p->data + in, d, n);
          d += n;
          o += n;
        }
      if (end > f->end)
        f->end = end;
    }
  if (!applied)
    return 0;                   /* every entry skipped */
  a->records++;
  if ((fe = LRVM_FAILPOINT ("replay.after_record")) != 0)
    return a->failed = 1, lrvm__syserr (a->s->opt.verbose, fe, "replay");
  return 0;
}

/* Write every page, set each file's size, and make the files (and the
   directory, if a file was created) durable.  */
int
lrvm__applier_finish (struct lrvm_applier *a)
{
  struct lrvm_store *s = a->s;
  size_t i;
  int e;

  for (i = 0; i < a->n; i++)
    {
      struct afile *f = &a->f[i];
      uint64_t size;
      if (write_pages (a, f) != 0
          || lrvm__file_size (f->fd, &size) != 0
          || (size < f->end && lrvm__resize (f->fd, f->end) != 0))
        return lrvm__syserr (s->opt.verbose, errno, "cannot write segment"
                             " \"%s\" of %s", f->name, s->path);
      if (s->opt.sync_mode == RVM_SYNC_NONE)
        continue;
      if ((e = LRVM_FAILPOINT ("truncate.before_segment_flush")) != 0
          || lrvm__flush (f->fd) != 0)
        return lrvm__syserr (s->opt.verbose, e ? e : errno, "cannot flush"
                             " segment \"%s\" of %s", f->name, s->path);
      if ((e = LRVM_FAILPOINT ("truncate.after_segment")) != 0)
        return lrvm__syserr (s->opt.verbose, e, "truncate");
    }
  if (a->created && s->opt.sync_mode != RVM_SYNC_NONE
      && lrvm__flush_dir (s->dirfd) != 0)
    return lrvm__syserr (s->opt.verbose, errno, "cannot flush %s", s->path);
  return 0;
}

void
lrvm__applier_free (struct lrvm_applier *a)
{
  size_t i, k;

  if (a == NULL)
    return;
  for (i = 0; i < a->n; i++)
    {
      for (k = 0; k < a->f[i].cap; k++)
        free (a->f[i].tab[k]);
      free (a->f[i].tab);
      lrvm__close (a->f[i].fd);
    }
  free (a->f);
  free (a->run);
  free (a);
}
