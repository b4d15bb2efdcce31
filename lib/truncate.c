/* truncate.c -- applying the log to the segment files and starting an
   empty log: the step shared by recovery at open and by truncation of
   a live store.  Replay writes absolute new values, so repeating it
   after a crash gives the same files.  */

#include "lrvm-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

int
lrvm__apply_and_reset (struct lrvm_store *s, uint64_t end,
                       uint64_t next_seq, uint32_t epoch_step,
                       const struct lrvm_names *skip, int all,
                       uint64_t *records)
{
  struct lrvm_log *L = &s->log;
  struct lrvm_applier *a;
  struct lrvm_header h;
  uint64_t got_end, got_seq;
  int r = 0, torn, e;

  a = lrvm__applier_new (s);
  if (a == NULL)
    return lrvm__error (s->opt.verbose, RVM_ENOMEM, "out of memory");
  lrvm__applier_skip (a, skip);
  if (end > L->hdr.head_off && !all)
    {
      r = lrvm__log_scan (L->fd, end, &L->hdr, lrvm__applier_record, a,
                          &got_end, &got_seq, &torn);
      if (r == 0 && (got_end != end || got_seq != next_seq))
        r = lrvm__error (s->opt.verbose, RVM_ECORRUPT, "the log of %s"
                         " changed under the library: records end at %llu,"
                         " expected %llu", s->path,
                         (unsigned long long) got_end,
                         (unsigned long long) end);
      else if ((r == RVM_EIO || r == RVM_ENOMEM)
               && !lrvm__applier_failed (a))
        r = lrvm__error (s->opt.verbose, r, "cannot read the log of %s",
                         s->path);
    }
  /* Every segment file must be durable before the header lets go of
     the records that produced it.  */
  if (r == 0)
    r = lrvm__applier_finish (a);
  *records = lrvm__applier_records (a);
  lrvm__applier_free (a);
  if (r != 0)
    return r;
  if ((e = LRVM_FAILPOINT ("truncate.before_header")) != 0)
    return lrvm__syserr (s->opt.verbose, e, "truncate");
  h = L->hdr;
  h.generation++;
  h.head_seq = next_seq;
  h.head_off = LRVM_LOG_DATA_START;
  h.epoch += epoch_step;
  if ((r = lrvm__log_write_header (s, &h)) != 0)
    return r;
  if ((e = LRVM_FAILPOINT ("truncate.after_header")) != 0)
    return lrvm__syserr (s->opt.verbose, e, "truncate");
  /* The header is under the log mutex: committers and rvm_stats read
     it there even while a truncation holds the log.  */
  pthread_mutex_lock (&L->mu);
  L->hdr = h;
  pthread_mutex_unlock (&L->mu);
  return 0;
}

/* Nonzero if truncation may write G's file from its memory: G has a
   block bitmap, no active transaction (none can begin while the caller
   holds S->mu) and no change that the log lacks.  Its memory is then
   exactly its file at rvm_map plus every record since, all of them
   durable once the caller holds the log.  */
static int
from_memory (const struct lrvm_seg *g)
{
  return g->dirty != NULL && g->owner == NULL && !g->diverged;
}

/* Write the changed blocks of G from memory to its file, in runs of up
   to 1 MiB, and make the file durable.  *BLOCKS counts them.  */
static int
write_from_memory (struct lrvm_store *s, struct lrvm_seg *g,
                   uint64_t *blocks)
{
  size_t nb = (g->size + LRVM_DIRTY_BLOCK - 1) >> LRVM_DIRTY_SHIFT;
  size_t maxrun = ((size_t) 1 << 20) >> LRVM_DIRTY_SHIFT, b = 0;
  int fd, e = 0;

  fd = lrvm__open_at (s->dirfd, g->name, O_RDWR, 0);
  if (fd < 0)
    return lrvm__syserr (s->opt.verbose, errno, "cannot open segment"
                         " \"%s\" of %s to truncate the log", g->name,
                         s->path);
  while (b < nb && e == 0)
    {
      size_t first, off, len;
      uint64_t w = g->dirty[b / 64] >> (b % 64);
      if (w == 0)
        {
          b = (b / 64 + 1) * 64;  /* the rest of this word is clean */
          continue;
        }
      while (!(w & 1))
        w >>= 1, b++;
      first = b;
      while (b < nb && b - first < maxrun
             && (g->dirty[b / 64] >> (b % 64) & 1))
        b++;
      off = first << LRVM_DIRTY_SHIFT;
      len = (b - first) << LRVM_DIRTY_SHIFT;
      if (len > g->size - off)
        len = g->size - off;
      if (lrvm__write_at (fd, (const char *) g->base + off, len, off) != 0)
        e = errno;
      *blocks += b - first;
    }
  if (e == 0 && s->opt.sync_mode != RVM_SYNC_NONE)
    {
      if ((e = LRVM_FAILPOINT ("truncate.before_segment_flush")) == 0
          && lrvm__flush (fd) != 0)
        e = errno;
    }
  if (e == 0)
    e = LRVM_FAILPOINT ("truncate.after_segment");
  lrvm__close (fd);
  if (e != 0)
    return lrvm__syserr (s->opt.verbose, e, "cannot write segment \"%s\""
                         " of %s from memory", g->name, s->path);
  return 0;
}

/* Truncate the live store S (S->mu held): make the segment files
   reflect every commit and empty the log; if SHRINK, give back the
   file space above the reserve.  The files of mapped segments are
   written from memory, only the blocks that records changed; the
   records of other segments (unmapped ones, those in an active
   transaction) are applied from the log, which is not read at all if
   there are none.  The log is made durable first: a crash before the
   new header is written replays it over the files, which then end
   exactly as memory was.  Automatic truncation does not shrink: the
   log would only grow back to the threshold, zero-filling again.
   Commits wait meanwhile; active transactions are untouched, since
   only committed values reach the segment files.  */
int
lrvm__truncate_locked (struct lrvm_store *s, int shrink)
{
  struct lrvm_log *L = &s->log;
  struct lrvm_names mem = { NULL, 0, 0 };
  struct lrvm_seg *g;
  uint64_t records = 0, blocks = 0, keep;
  int r;

  if ((r = lrvm__log_exclusive (s)) != 0)
    return r;
  for (g = s->segs; g != NULL && r == 0; g = g->next)
    if (g->logged && from_memory (g))
      {
        if (lrvm__names_add (&mem, g->name, g->namelen) != 0)
          r = lrvm__error (s->opt.verbose, RVM_ENOMEM, "out of memory");
        else
          r = write_from_memory (s, g, &blocks);
      }
  if (r == 0)
    r = lrvm__apply_and_reset (s, L->tail, L->written_seq, 1, &mem,
                               mem.n == L->names.n, &records);
  lrvm__names_clear (&mem);
  free (mem.v);
  pthread_mutex_lock (&L->mu);
  if (r == 0)
    {
      L->tail = LRVM_LOG_DATA_START;
      lrvm__names_clear (&L->names);
      for (g = s->segs; g != NULL; g = g->next)
        {
          if (g->logged && g->dirty != NULL)
            memset (g->dirty, 0, ((g->maplen >> LRVM_DIRTY_SHIFT) / 64 + 1)
                                 * sizeof *g->dirty);
          g->logged = 0;
        }
      L->truncate_wanted = 0;
      s->st.truncations++;
      s->st.truncated_blocks += blocks;
      s->st.truncated_records += records;
      keep = LRVM_LOG_DATA_START + s->opt.log_reserve;
      keep -= keep % 4096;
      if (shrink && L->file_size > keep && lrvm__resize (L->fd, keep) == 0)
        L->file_size = keep;
    }
  else
    L->failed = 1;
  pthread_mutex_unlock (&L->mu);
  lrvm__log_release (s);
  lrvm__trace (s->opt.verbose, "truncate (%s): %llu blocks written from"
               " memory, %llu records applied = %d", s->path,
               (unsigned long long) blocks, (unsigned long long) records, r);
  return r;
}

int
rvm_truncate (rvm_t rvm)
{
  int r;

  if ((r = lrvm__store_check (rvm, "rvm_truncate")) != 0)
    return r;
  pthread_mutex_lock (&rvm->mu);
  r = lrvm__truncate_locked (rvm, 1);
  pthread_mutex_unlock (&rvm->mu);
  return r;
}
