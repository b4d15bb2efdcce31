/* truncate.c -- applying the log to the segment files and starting an
   empty log: the step shared by recovery at open and by truncation of
   a live store.  Replay writes absolute new values, so repeating it
   after a crash gives the same files.  */

#include "lrvm-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

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
  lrvm__mutex_lock (&L->mu);
  L->hdr = h;
  pthread_mutex_unlock (&L->mu);
  return 0;
}

/* Nonzero if truncation may write G's file from its memory: G has a
   block bitmap, no active transaction (none can begin while the caller
   holds S->mu) and no change that the log lacks.  Its memory is then
   exactly its file at rvm_map plus every record since.  */
static int
from_memory (const struct lrvm_seg *g)
{
  return g->dirty != NULL && g->owner == NULL && !g->diverged;
}

/* Call FN (S, G, OFF, LEN, ARG) for each run of changed blocks of G, of
   at most MAXRUN blocks, clipped to the segment's size; stop at the
   first nonzero return.  *BLOCKS counts the blocks.  */
static int
each_run (struct lrvm_store *s, struct lrvm_seg *g, size_t maxrun,
          int (*fn) (struct lrvm_store *, struct lrvm_seg *, size_t,
                     size_t, void *),
          void *arg, uint64_t *blocks)
{
  size_t nb = (g->size + LRVM_DIRTY_BLOCK - 1) >> LRVM_DIRTY_SHIFT, b = 0;
  int r = 0;

  while (b < nb && r == 0)
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
      r = fn (s, g, off, len, arg);
      *blocks += b - first;
    }
  return r;
}

static int
write_run (struct lrvm_store *s, struct lrvm_seg *g, size_t off, size_t len,
           void *arg)
{
  (void) s;
  (void) g;
  return lrvm__write_at (*(int *) arg, (const char *) g->base + off, len,
                         off) != 0 ? errno : 0;
}

/* Write the changed blocks of G from memory to its file, in runs of up
   to 1 MiB, and make the file durable.  *BLOCKS counts them.  */
static int
write_from_memory (struct lrvm_store *s, struct lrvm_seg *g,
                   uint64_t *blocks)
{
  int fd, e;

  fd = lrvm__open_at (s->dirfd, g->name, O_RDWR, 0);
  if (fd < 0)
    return lrvm__syserr (s->opt.verbose, errno, "cannot open segment"
                         " \"%s\" of %s to truncate the log", g->name,
                         s->path);
  e = each_run (s, g, ((size_t) 1 << 20) >> LRVM_DIRTY_SHIFT, write_run, &fd,
                blocks);
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

/* A checkpoint being written: records holding the current value of
   every changed block, each gathered from a staged header and the
   segment's memory, written durably at OFF by one writev per CKPT_IOV
   buffers.  */
#if defined IOV_MAX && IOV_MAX < 1024
# define CKPT_IOV IOV_MAX
#elif defined IOV_MAX
# define CKPT_IOV 1024
#else
# define CKPT_IOV 16              /* _XOPEN_IOV_MAX, the least POSIX allows */
#endif
#define CKPT_RUN (((size_t) 256 << 10) >> LRVM_DIRTY_SHIFT)
#define CKPT_HDR (LRVM_REC_HDR_SIZE + LRVM_ENT_HDR_SIZE \
                  + LRVM_PAD8 (LRVM_NAME_MAX))

struct ckpt
{
  struct iovec iov[CKPT_IOV];
  unsigned char hdr[CKPT_IOV / 2][CKPT_HDR];
  int niov, nhdr;
  uint64_t len;                 /* bytes gathered */
  uint64_t off;                 /* where they go in the log */
  uint64_t seq;                 /* the next record's */
  uint32_t epoch;
};

/* Write the gathered records durably, growing the log first if
   needed.  */
static int
ckpt_write (struct lrvm_store *s, struct ckpt *c)
{
  struct lrvm_log *L = &s->log;

  if (c->niov == 0)
    return 0;
  if (c->off + c->len > L->file_size)
    {
      uint64_t want = c->off + c->len + LRVM_GROW_STEP - 1;
      want -= want % LRVM_GROW_STEP;
      if (lrvm__zero_fill (L->fd, L->file_size, want, 0) != 0)
        return errno;
      L->file_size = want;
    }
  if (lrvm__writev_durable (L->fd, L->dfd, c->iov, c->niov, c->off) != 0)
    return errno;
  c->off += c->len;
  c->len = 0;
  c->niov = c->nhdr = 0;
  return 0;
}

/* Gather one record holding G's bytes [OFF, OFF+LEN).  */
static int
ckpt_run (struct lrvm_store *s, struct lrvm_seg *g, size_t off, size_t len,
          void *arg)
{
  static const unsigned char zeros[8];
  struct ckpt *c = arg;
  size_t hlen = LRVM_REC_HDR_SIZE + LRVM_ENT_HDR_SIZE
                + LRVM_PAD8 (g->namelen);
  size_t pad = LRVM_PAD8 (len) - len, rlen = hlen + len + pad;
  const unsigned char *data = (const unsigned char *) g->base + off;
  unsigned char *p, *e;
  uint32_t crc;
  int r;

  if (c->niov + 3 > CKPT_IOV && (r = ckpt_write (s, c)) != 0)
    return r;
  p = c->hdr[c->nhdr++];
  memset (p, 0, hlen);
  lrvm_put32 (p, LRVM_REC_MAGIC);
  lrvm_put16 (p + 4, LRVM_FORMAT_MAJOR);
  lrvm_put32 (p + 8, (uint32_t) rlen);
  lrvm_put64 (p + 16, c->seq++);
  lrvm_put32 (p + 24, c->epoch);
  lrvm_put32 (p + 28, 1);
  e = p + LRVM_REC_HDR_SIZE;
  lrvm_put16 (e, (uint16_t) g->namelen);
  lrvm_put32 (e + 4, (uint32_t) len);
  lrvm_put64 (e + 8, off);
  memcpy (e + LRVM_ENT_HDR_SIZE, g->name, g->namelen);
  /* The checksum of the record with its own field zero, as
     lrvm__record_seal computes it over a record in one piece.  */
  crc = lrvm__crc32c (0, p, hlen);
  crc = lrvm__crc32c (crc, data, len);
  crc = lrvm__crc32c (crc, zeros, pad);
  lrvm_put32 (p + 12, crc);
  c->iov[c->niov].iov_base = p;
  c->iov[c->niov++].iov_len = hlen;
  c->iov[c->niov].iov_base = (void *) data;
  c->iov[c->niov++].iov_len = len;
  if (pad > 0)
    {
      c->iov[c->niov].iov_base = (void *) zeros;
      c->iov[c->niov++].iov_len = pad;
    }
  c->len += rlen;
  return 0;
}

/* Truncate by checkpoint: append to the log, after its last record
   and in its epoch, records holding the current value of every changed
   block of every segment in the log (all mapped, all from_memory), and
   make only them durable; point both header slots at them; then write the
   blocks to the segment files and start an empty log.  A crash at any
   point replays either the old log (segment files untouched yet),
   then whatever part of the checkpoint it reaches (the values the old
   records end with, so any prefix of it changes nothing), or, once the
   header points at it, the checkpoint alone (whole blocks over
   whatever the files hold).  So the log's own records never need to
   reach the disk: a run of no-flush commits costs its changed blocks
   twice instead of every record once.  The checkpoint must not be in
   a newer epoch: recovery adopts records of a newer epoch that begin
   where the live ones end (lrvm__log_follow), and would replay the
   first writes of a checkpoint cut short instead of the old log.  */
static int
truncate_by_checkpoint (struct lrvm_store *s, uint64_t *blocks)
{
  struct lrvm_log *L = &s->log;
  struct lrvm_header h = L->hdr;
  struct lrvm_seg *g;
  struct ckpt *c;
  uint64_t records, counted = 0, end, next_seq;
  int r = 0, e;

  c = malloc (sizeof *c);
  if (c == NULL)
    return lrvm__error (s->opt.verbose, RVM_ENOMEM, "out of memory");
  c->niov = c->nhdr = 0;
  c->len = 0;
  c->off = L->tail;
  c->seq = L->next_seq;
  c->epoch = h.epoch;
  for (g = s->segs; g != NULL && r == 0; g = g->next)
    if (g->logged)
      r = each_run (s, g, CKPT_RUN, ckpt_run, c, &counted);
  if (r == 0)
    r = ckpt_write (s, c);
  end = c->off;
  next_seq = c->seq;
  free (c);
  if (r == 0)
    r = LRVM_FAILPOINT ("truncate.after_checkpoint");
  if (r != 0)
    return lrvm__syserr (s->opt.verbose, r, "cannot write a checkpoint in"
                         " the log of %s", s->path);
  /* The header goes into both slots, the second a copy with the next
     generation, before any segment file is written: once a file holds
     a block of the checkpoint, the old header must never be in force
     again, since a power loss may have taken records of the old log
     that were never flushed.  A damaged slot then leaves the other
     copy.  */
  h.generation++;
  h.head_seq = L->next_seq;
  h.head_off = L->tail;
  if ((r = lrvm__log_write_header (s, &h)) != 0)
    return r;
  if ((e = LRVM_FAILPOINT ("truncate.after_first_checkpoint_header")) != 0)
    return lrvm__syserr (s->opt.verbose, e, "truncate");
  h.generation++;
  if ((r = lrvm__log_write_header (s, &h)) != 0)
    return r;
  if ((e = LRVM_FAILPOINT ("truncate.after_checkpoint_header")) != 0)
    return lrvm__syserr (s->opt.verbose, e, "truncate");
  lrvm__mutex_lock (&L->mu);
  L->hdr = h;
  L->next_seq = L->written_seq = L->durable_seq = next_seq;
  pthread_mutex_unlock (&L->mu);
  for (g = s->segs; g != NULL && r == 0; g = g->next)
    if (g->logged)
      r = write_from_memory (s, g, blocks);
  if (r == 0)
    r = lrvm__apply_and_reset (s, end, next_seq, 1, NULL, 1, &records);
  return r;
}

/* Nonzero if a checkpoint costs less than flushing the log: every
   segment in the log can be written from memory, the flush mode is the
   default, writes of a range can be made durable alone, and the
   changed blocks take fewer bytes than the records not yet flushed.  */
static int
want_checkpoint (struct lrvm_store *s)
{
  struct lrvm_log *L = &s->log;
  struct lrvm_seg *g;
  uint64_t bytes = 0, unflushed;
  size_t n = 0;

  if (s->opt.sync_mode != RVM_SYNC_FLUSH || L->dfd < 0)
    return 0;
  /* LOGGED and NDIRTY change under the log mutex as commits append
     (before the caller holds the log).  */
  lrvm__mutex_lock (&L->mu);
  for (g = s->segs; g != NULL; g = g->next)
    if (g->logged)
      {
        if (!from_memory (g))
          break;
        bytes += (uint64_t) g->ndirty << LRVM_DIRTY_SHIFT;
        n++;
      }
  unflushed = L->tail + L->buf_len - L->flushed_off;
  if (g != NULL || n != L->names.n)
    unflushed = 0;              /* a segment must come from the log */
  pthread_mutex_unlock (&L->mu);
  return bytes < unflushed;
}

/* With S->mu held: 1 if a transaction begun by another thread holds
   a segment with records in the log, and none begun by this thread
   does (this thread would wait for itself), else 0.  */
static int
worth_waiting (struct lrvm_store *s)
{
  pthread_t self = pthread_self ();
  struct lrvm_seg *g;
  int others = 0, mine = 0;

  /* LOGGED changes under the log mutex; OWNER under S->mu.  */
  lrvm__mutex_lock (&s->log.mu);
  for (g = s->segs; g != NULL; g = g->next)
    if (g->logged && g->owner != NULL)
      {
        if (pthread_equal (g->owner->thread, self))
          mine = 1;
        else
          others = 1;
      }
  pthread_mutex_unlock (&s->log.mu);
  return others && !mine;
}

/* With S->mu held, before a truncation: a segment with records that
   an active transaction holds cannot be written from memory, which
   holds that transaction's uncommitted changes; it must come from the
   log, which is then flushed and read whole.  When only transactions
   of other threads hold such segments, wait for them to end, for at
   most LRVM_QUIESCE_USEC, with S->mu released and rvm_begin held back,
   so that the truncation can take every segment from memory.  Returns
   0, without waiting, if another thread is waiting so already (its
   truncation follows); else 1, once no such segment is held or the
   time is up.  */
int
lrvm__quiesce (struct lrvm_store *s)
{
  struct timespec until;

  if (s->quiescing)
    return 0;
  if (!worth_waiting (s))
    return 1;
  lrvm__deadline (s->quiet_monotonic, LRVM_QUIESCE_USEC, &until);
  s->quiescing = 1;
  while (worth_waiting (s))
    if (pthread_cond_timedwait (&s->quiet_cv, &s->mu, &until) != 0)
      break;
  s->quiescing = 0;
  pthread_cond_broadcast (&s->begin_cv);
  return 1;
}

/* Truncate the live store S (S->mu held): make the segment files
   reflect every commit and empty the log; if SHRINK, give back the
   file space above the reserve.  Three ways, all ending in a header
   that starts an empty log in a new epoch:
   - by checkpoint (truncate_by_checkpoint), when that is cheaper than
     flushing the log;
   - else the log is flushed, and the files of mapped segments are
     written from memory, only the blocks that records changed, while
     the records of other segments (unmapped ones, those in an active
     transaction) are applied from the log, which is not read at all
     if there are none.  A crash before the new header replays the
     durable log over the files, which then end exactly as memory was.
   Automatic truncation does not shrink: the log would only grow back
   to the threshold, zero-filling again.  Commits wait meanwhile;
   active transactions are untouched, since only committed values
   reach the segment files.  */
int
lrvm__truncate_locked (struct lrvm_store *s, int shrink)
{
  struct lrvm_log *L = &s->log;
  struct lrvm_names mem = { NULL, 0, 0 };
  struct lrvm_seg *g;
  uint64_t records = 0, blocks = 0, keep;
  int r, ckpt = want_checkpoint (s);

  if ((r = lrvm__log_exclusive (s, !ckpt)) != 0)
    return r;
  if (ckpt)
    {
      /* Commits that were still appending may have brought records of
         a segment that must come from the log: then flush it after
         all.  */
      size_t n = 0;
      for (g = s->segs; g != NULL; g = g->next)
        if (g->logged && (n++, !from_memory (g)))
          break;
      if (g != NULL || n != L->names.n)
        {
          ckpt = 0;
          r = lrvm__log_flush_held (s);
        }
    }
  if (r != 0)
    ;
  else if (ckpt)
    r = truncate_by_checkpoint (s, &blocks);
  else
    {
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
    }
  lrvm__mutex_lock (&L->mu);
  if (r == 0)
    {
      L->tail = L->flushed_off = LRVM_LOG_DATA_START;
      lrvm__names_clear (&L->names);
      for (g = s->segs; g != NULL; g = g->next)
        {
          if (g->logged && g->dirty != NULL)
            {
              memset (g->dirty, 0, ((g->maplen >> LRVM_DIRTY_SHIFT) / 64 + 1)
                                   * sizeof *g->dirty);
              g->ndirty = 0;
            }
          g->logged = 0;
        }
      L->truncate_wanted = 0;
      s->st.truncations++;
      s->st.checkpoints += ckpt;
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
  lrvm__trace (s->opt.verbose, "truncate (%s): %s, %llu blocks written from"
               " memory, %llu records applied = %d", s->path,
               ckpt ? "checkpoint" : "log flushed",
               (unsigned long long) blocks, (unsigned long long) records, r);
  return r;
}

int
rvm_truncate (rvm_t rvm)
{
  int r;

  if ((r = lrvm__store_check (rvm, "rvm_truncate")) != 0)
    return r;
  lrvm__mutex_lock (&rvm->mu);
  lrvm__quiesce (rvm);
  r = lrvm__truncate_locked (rvm, 1);
  pthread_mutex_unlock (&rvm->mu);
  return r;
}
