/* truncate.c -- applying the log to the segment files and starting an
   empty log: the step shared by recovery at open and by truncation of
   a live store.  Replay writes absolute new values, so repeating it
   after a crash gives the same files.  */

#include "lrvm-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

/* The segment files a replay has opened.  */
struct applier
{
  struct lrvm_store *s;
  struct
  {
    char name[LRVM_NAME_MAX + 1];
    int fd;
  } *f;
  size_t n, cap;
  uint64_t records;
  int created;
};

static int
applier_fd (struct applier *a, const struct lrvm_entry *e)
{
  size_t i;
  int fd;

  for (i = 0; i < a->n; i++)
    if (strlen (a->f[i].name) == e->name_len
        && memcmp (a->f[i].name, e->name, e->name_len) == 0)
      return a->f[i].fd;
  if (a->n == a->cap)
    {
      size_t cap = a->cap ? a->cap * 2 : 8;
      void *v = realloc (a->f, cap * sizeof *a->f);
      if (v == NULL)
        {
          errno = ENOMEM;
          return -1;
        }
      a->f = v;
      a->cap = cap;
    }
  memcpy (a->f[a->n].name, e->name, e->name_len);
  a->f[a->n].name[e->name_len] = '\0';
  fd = lrvm__open_at (a->s->dirfd, a->f[a->n].name, O_RDWR, 0);
  if (fd < 0 && errno == ENOENT)
    {
      fd = lrvm__open_at (a->s->dirfd, a->f[a->n].name,
                          O_RDWR | O_CREAT, a->s->mode);
      a->created = 1;
    }
  if (fd < 0)
    return -1;
  a->f[a->n++].fd = fd;
  return fd;
}

static int
apply_record (void *ctx, const unsigned char *rec, size_t len, uint64_t seq,
              uint64_t off)
{
  struct applier *a = ctx;
  struct lrvm_entry e;
  size_t pos = 0;
  int e2;

  (void) len;
  (void) seq;
  (void) off;
  while (lrvm__record_next (rec, &pos, &e))
    {
      int fd = applier_fd (a, &e);
      if (fd < 0)
        return lrvm__syserr (a->s->opt.verbose, errno, "cannot open segment"
                             " \"%.*s\" of %s to replay the log",
                             (int) e.name_len, e.name, a->s->path);
      if (lrvm__write_at (fd, e.data, e.data_len, e.offset) != 0)
        return lrvm__syserr (a->s->opt.verbose, errno, "cannot write"
                             " segment \"%.*s\" of %s", (int) e.name_len,
                             e.name, a->s->path);
    }
  a->records++;
  if ((e2 = LRVM_FAILPOINT ("replay.after_record")) != 0)
    return lrvm__syserr (a->s->opt.verbose, e2, "replay");
  return 0;
}

int
lrvm__apply_and_reset (struct lrvm_store *s, uint64_t end,
                       uint64_t next_seq, uint64_t *records)
{
  struct lrvm_log *L = &s->log;
  struct applier a;
  struct lrvm_header h;
  uint64_t got_end, got_seq;
  size_t i;
  int r = 0, torn, e;

  memset (&a, 0, sizeof a);
  a.s = s;
  if (end > L->hdr.head_off)
    {
      r = lrvm__log_scan (L->fd, end, &L->hdr, apply_record, &a, &got_end,
                          &got_seq, &torn);
      if (r == 0 && (got_end != end || got_seq != next_seq))
        r = lrvm__error (s->opt.verbose, RVM_ECORRUPT, "the log of %s"
                         " changed under the library: records end at %llu,"
                         " expected %llu", s->path,
                         (unsigned long long) got_end,
                         (unsigned long long) end);
      else if (r == RVM_EIO || r == RVM_ENOMEM)
        r = lrvm__error (s->opt.verbose, r, "cannot read the log of %s",
                         s->path);
    }
  /* Make every segment file durable before the header lets go of the
     records that produced it.  */
  for (i = 0; i < a.n; i++)
    {
      if (r == 0 && s->opt.sync_mode != RVM_SYNC_NONE)
        {
          if ((e = LRVM_FAILPOINT ("truncate.before_segment_flush")) != 0
              || lrvm__flush (a.f[i].fd) != 0)
            r = lrvm__syserr (s->opt.verbose, e ? e : errno, "cannot flush"
                              " segment \"%s\" of %s", a.f[i].name, s->path);
          else if ((e = LRVM_FAILPOINT ("truncate.after_segment")) != 0)
            r = lrvm__syserr (s->opt.verbose, e, "truncate");
        }
      lrvm__close (a.f[i].fd);
    }
  free (a.f);
  if (r == 0 && a.created && s->opt.sync_mode != RVM_SYNC_NONE
      && lrvm__flush_dir (s->dirfd) != 0)
    r = lrvm__syserr (s->opt.verbose, errno, "cannot flush %s", s->path);
  if (r != 0)
    return r;
  if ((e = LRVM_FAILPOINT ("truncate.before_header")) != 0)
    return lrvm__syserr (s->opt.verbose, e, "truncate");
  h = L->hdr;
  h.generation++;
  h.head_seq = next_seq;
  h.head_off = LRVM_LOG_DATA_START;
  h.epoch++;
  if ((r = lrvm__log_write_header (s, &h)) != 0)
    return r;
  if ((e = LRVM_FAILPOINT ("truncate.after_header")) != 0)
    return lrvm__syserr (s->opt.verbose, e, "truncate");
  L->hdr = h;
  *records = a.records;
  return 0;
}

/* Truncate the live store S (S->mu held): apply the log, empty it, and
   give back the file space above the reserve.  Commits wait meanwhile;
   active transactions are untouched, since only committed records
   reach the segment files.  */
int
lrvm__truncate_locked (struct lrvm_store *s)
{
  struct lrvm_log *L = &s->log;
  struct lrvm_seg *g;
  uint64_t records = 0, keep;
  int r;

  if ((r = lrvm__log_exclusive (s)) != 0)
    return r;
  r = lrvm__apply_and_reset (s, L->tail, L->written_seq, &records);
  pthread_mutex_lock (&L->mu);
  if (r == 0)
    {
      L->tail = LRVM_LOG_DATA_START;
      lrvm__names_clear (&L->names);
      for (g = s->segs; g != NULL; g = g->next)
        g->logged = 0;
      L->truncate_wanted = 0;
      s->st.truncations++;
      keep = LRVM_LOG_DATA_START + s->opt.log_reserve;
      keep -= keep % 4096;
      if (L->file_size > keep && lrvm__resize (L->fd, keep) == 0)
        L->file_size = keep;
    }
  else
    L->failed = 1;
  pthread_mutex_unlock (&L->mu);
  lrvm__log_release (s);
  lrvm__trace (s->opt.verbose, "truncate (%s): %llu records applied = %d",
               s->path, (unsigned long long) records, r);
  return r;
}

int
rvm_truncate (rvm_t rvm)
{
  int r;

  if ((r = lrvm__store_check (rvm, "rvm_truncate")) != 0)
    return r;
  pthread_mutex_lock (&rvm->mu);
  r = lrvm__truncate_locked (rvm);
  pthread_mutex_unlock (&rvm->mu);
  return r;
}
