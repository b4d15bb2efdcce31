/* log.c -- the redo log at run time: record encoding, append, group
   commit, flush, growth, and the header slots.

   Committers encode their record into an in-memory buffer under the
   log mutex.  A committer that needs its record written (or durable)
   and finds no writer at work becomes the leader: it takes the whole
   buffer, writes it with one pwrite and, for a durable commit, flushes
   once, for itself and everyone who appended before it.  The others
   wait on the condition variable.  A failed write or flush poisons the
   log: every later commit is refused until the store is reopened.  */

#include "lrvm-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
lrvm__log_init (struct lrvm_log *L)
{
  memset (L, 0, sizeof *L);
  L->fd = L->dfd = -1;
  if (pthread_mutex_init (&L->mu, NULL) != 0)
    return lrvm__error (0, RVM_ENOMEM, "rvm_open: no mutex");
  if (pthread_cond_init (&L->cv, NULL) != 0)
    {
      pthread_mutex_destroy (&L->mu);
      return lrvm__error (0, RVM_ENOMEM, "rvm_open: no condition variable");
    }
  if (lrvm__timed_cond_init (&L->gather_cv, &L->gather_monotonic) != 0)
    {
      pthread_cond_destroy (&L->cv);
      pthread_mutex_destroy (&L->mu);
      return lrvm__error (0, RVM_ENOMEM, "rvm_open: no condition variable");
    }
  return 0;
}

void
lrvm__log_destroy (struct lrvm_log *L)
{
  lrvm__names_clear (&L->names);
  free (L->names.v);
  free (L->buf);
  free (L->spare);
  if (L->dfd >= 0)
    lrvm__close (L->dfd);
  pthread_cond_destroy (&L->gather_cv);
  pthread_cond_destroy (&L->cv);
  pthread_mutex_destroy (&L->mu);
}

/* Read both header slots of FD and return the newest valid one in H:
   0, RVM_ECORRUPT if neither checks, RVM_EVERSION if the newest is of
   a format this version cannot read, RVM_EIO on a read error.  */
int
lrvm__log_read_header (int fd, struct lrvm_header *h)
{
  unsigned char slots[LRVM_HDR_SLOTS * LRVM_HDR_SLOT_SIZE];
  struct lrvm_header cand;
  size_t got;
  int i, best = 0, found = 0;

  if (lrvm__read_at (fd, slots, sizeof slots, 0, &got) != 0)
    return RVM_EIO;
  if (got < sizeof slots)
    return RVM_ECORRUPT;
  for (i = 0; i < LRVM_HDR_SLOTS; i++)
    {
      int d = lrvm__header_decode (slots + i * LRVM_HDR_SLOT_SIZE, &cand);
      if (d == -1)
        continue;
      if (!found || cand.generation > h->generation)
        {
          *h = cand;
          best = d;
          found = 1;
        }
    }
  if (!found)
    return RVM_ECORRUPT;
  return best == -2 ? RVM_EVERSION : 0;
}

/* Write H into the slot its generation selects and make it durable
   (the slot only: records need not be; callers make durable what the
   header points at first).  The other slot keeps the previous header,
   so a torn write loses at most the new one.  */
int
lrvm__log_write_header (struct lrvm_store *s, struct lrvm_header *h)
{
  unsigned char slot[LRVM_HDR_SLOT_SIZE];
  unsigned idx = (unsigned) (h->generation % LRVM_HDR_SLOTS);

  uint64_t off = (uint64_t) idx * LRVM_HDR_SLOT_SIZE;
  int r;

  lrvm__header_encode (slot, h);
  if (s->opt.sync_mode == RVM_SYNC_NONE)
    r = lrvm__write_at (s->log.fd, slot, sizeof slot, off);
  else
    r = lrvm__write_durable (s->log.fd, s->log.dfd, slot, sizeof slot, off);
  if (r != 0)
    return lrvm__syserr (s->opt.verbose, errno,
                         "cannot write the log header of %s", s->path);
  return 0;
}

/* Create an empty log: written under a temporary name, flushed, then
   renamed into place, so a log file that exists always has a header.  */
int
lrvm__log_create (struct lrvm_store *s)
{
  unsigned char block[LRVM_LOG_DATA_START];
  struct lrvm_header h;
  int fd, e;

  memset (&h, 0, sizeof h);
  h.major = LRVM_FORMAT_MAJOR;
  h.minor = LRVM_FORMAT_MINOR;
  h.generation = 2;             /* slot 0 */
  h.head_seq = 1;
  h.head_off = LRVM_LOG_DATA_START;
  h.epoch = 1;
  memset (block, 0, sizeof block);
  lrvm__header_encode (block, &h);

  if (lrvm__unlink_at (s->dirfd, LRVM_LOG_TMP_NAME) != 0 && errno != ENOENT)
    return lrvm__syserr (s->opt.verbose, errno, "rvm_open: cannot remove"
                         " %s/%s", s->path, LRVM_LOG_TMP_NAME);
  fd = lrvm__open_at (s->dirfd, LRVM_LOG_TMP_NAME,
                      O_RDWR | O_CREAT | O_EXCL, s->mode | 0600);
  if (fd < 0)
    return lrvm__syserr (s->opt.verbose, errno, "rvm_open: cannot create"
                         " the log in %s", s->path);
  if ((e = LRVM_FAILPOINT ("log.create")) != 0
      || lrvm__write_at (fd, block, sizeof block, 0) != 0
      || (s->opt.sync_mode != RVM_SYNC_NONE && lrvm__flush (fd) != 0))
    {
      e = e ? e : errno;
      lrvm__close (fd);
      return lrvm__syserr (s->opt.verbose, e, "rvm_open: cannot write the"
                           " log in %s", s->path);
    }
  lrvm__close (fd);
  if (lrvm__rename_at (s->dirfd, LRVM_LOG_TMP_NAME, LRVM_LOG_NAME) != 0
      || (s->opt.sync_mode != RVM_SYNC_NONE
          && lrvm__flush_dir (s->dirfd) != 0))
    return lrvm__syserr (s->opt.verbose, errno, "rvm_open: cannot install"
                         " the log in %s", s->path);
  return 0;
}

/* Bytes the record of T takes.  Ranges longer than a u32 entry can
   hold are split over several entries.  */
#define ENTRY_MAX ((size_t) 1 << 30)

static size_t
record_size (const struct lrvm_trans *t, uint32_t *nentries)
{
  size_t len = LRVM_REC_HDR_SIZE, i, j;
  uint32_t n = 0;

  for (i = 0; i < t->nsegs; i++)
    {
      const struct lrvm_tseg *ts = &t->segs[i];
      size_t name = LRVM_PAD8 (ts->seg->namelen);
      for (j = 0; j < ts->n; j++)
        {
          size_t left = ts->r[j].len;
          while (left > 0)
            {
              size_t piece = left < ENTRY_MAX ? left : ENTRY_MAX;
              len += LRVM_ENT_HDR_SIZE + name + LRVM_PAD8 (piece);
              left -= piece;
              n++;
            }
        }
    }
  *nentries = n;
  return len;
}

/* record_encode copies a name with its padding out of struct
   lrvm_seg: the longest name's padding must lie inside the array.  */
typedef char lrvm_name_padding_fits[LRVM_PAD8 (LRVM_NAME_MAX)
                                    <= LRVM_NAME_MAX + 1 ? 1 : -1];

static void
record_encode (unsigned char *p, size_t len, const struct lrvm_trans *t,
               uint32_t nentries, uint64_t seq, uint32_t epoch)
{
  size_t pos = LRVM_REC_HDR_SIZE, i, j;

  lrvm_put32 (p, LRVM_REC_MAGIC);
  lrvm_put16 (p + 4, LRVM_FORMAT_MAJOR);
  lrvm_put16 (p + 6, 0);
  lrvm_put32 (p + 8, (uint32_t) len);
  lrvm_put64 (p + 16, seq);
  lrvm_put32 (p + 24, epoch);
  lrvm_put32 (p + 28, nentries);
  for (i = 0; i < t->nsegs; i++)
    {
      const struct lrvm_tseg *ts = &t->segs[i];
      const struct lrvm_seg *g = ts->seg;
      size_t nl = g->namelen;
      for (j = 0; j < ts->n; j++)
        {
          size_t off = ts->r[j].off, left = ts->r[j].len;
          while (left > 0)
            {
              size_t piece = left < ENTRY_MAX ? left : ENTRY_MAX;
              unsigned char *e = p + pos;
              size_t k;
              lrvm_put16 (e, (uint16_t) nl);
              lrvm_put16 (e + 2, 0);
              lrvm_put32 (e + 4, (uint32_t) piece);
              lrvm_put64 (e + 8, off);
              pos += LRVM_ENT_HDR_SIZE;
              /* The name with its padding, in words: G->name is
                 zero-filled to its end.  */
              for (k = 0; k < LRVM_PAD8 (nl); k += 8)
                memcpy (p + pos + k, g->name + k, 8);
              pos += LRVM_PAD8 (nl);
              /* Zero the last word first, then copy the data over:
                 the padding, without a call for a few bytes.  */
              memset (p + pos + LRVM_PAD8 (piece) - 8, 0, 8);
              memcpy (p + pos, (const char *) g->base + off, piece);
              pos += LRVM_PAD8 (piece);
              off += piece;
              left -= piece;
            }
        }
    }
  lrvm__record_seal (p, len);
}

/* Note the blocks of every range of T as changed, for truncation.  */
static void
mark_dirty (const struct lrvm_trans *t)
{
  size_t i, j;

  for (i = 0; i < t->nsegs; i++)
    {
      const struct lrvm_tseg *ts = &t->segs[i];
      struct lrvm_seg *g = ts->seg;
      uint64_t *d = g->dirty;
      if (d == NULL)
        continue;
      for (j = 0; j < ts->n; j++)
        {
          size_t b = ts->r[j].off >> LRVM_DIRTY_SHIFT;
          size_t last = (ts->r[j].off + ts->r[j].len - 1) >> LRVM_DIRTY_SHIFT;
          for (; b <= last; b++)
            {
              uint64_t bit = (uint64_t) 1 << (b % 64);
              if (!(d[b / 64] & bit))
                {
                  d[b / 64] |= bit;
                  g->ndirty++;
                }
            }
        }
    }
}

/* Write BUF[0..LEN) at OFF, growing the zero-filled file first if
   needed, and flush when FLUSH.  Runs without the mutex: the caller is
   the only writer (L->busy).  Returns 0 or an errno value.  */
static int
write_batch (struct lrvm_store *s, const unsigned char *buf, size_t len,
             uint64_t off, int flush, uint64_t *file_size)
{
  int fd = s->log.fd, e;

  if (off + len > *file_size)
    {
      uint64_t want = off + len + LRVM_GROW_STEP - 1;
      want -= want % LRVM_GROW_STEP;
      if ((e = LRVM_FAILPOINT ("log.grow")) != 0)
        return e;
      /* A batch that is not flushed leaves its zeros unflushed too:
         the next flush of the log covers both, and nothing here was
         promised durable before it.  */
      if (lrvm__zero_fill (fd, *file_size, want, flush) != 0)
        return errno;
      *file_size = want;
    }
  if (len > 0)
    {
      if ((e = LRVM_FAILPOINT ("commit.before_write")) != 0)
        return e;
#ifdef LRVM_FAILPOINTS
      /* A crash with only the first half of the batch written.  */
      if (len >= 2 * LRVM_REC_HDR_SIZE)
        {
          size_t half = len / 2;
          if (lrvm__write_at (fd, buf, half, off) != 0)
            return errno;
          if ((e = LRVM_FAILPOINT ("commit.partial_write")) != 0)
            return e;
          if (lrvm__write_at (fd, buf + half, len - half, off + half) != 0)
            return errno;
        }
      else
#endif
      if (lrvm__write_at (fd, buf, len, off) != 0)
        return errno;
      if ((e = LRVM_FAILPOINT ("commit.after_write")) != 0)
        return e;
    }
  if (flush)
    {
      if (lrvm__flush (fd) != 0)
        return errno;
      if ((e = LRVM_FAILPOINT ("commit.after_flush")) != 0)
        return e;
    }
  return 0;
}

/* Nonzero once the live records (written and buffered) reach the
   truncation threshold.  TAIL never falls below HEAD_OFF, so the
   difference cannot wrap, where HEAD_OFF + THRESHOLD would for a
   threshold near UINT64_MAX ("never truncate").  */
static int
over_threshold (const struct lrvm_store *s)
{
  const struct lrvm_log *L = &s->log;

  return L->tail - L->hdr.head_off + L->buf_len
         >= s->opt.truncate_threshold;
}

/* With L->mu held, as the next leader of a durable flush: if the last
   flush made several commits durable (counting those that came while
   it ran) and fewer are waiting now, the other committers are most
   likely between two transactions.  Let them append (L->busy = 3 keeps
   the others from leading) until the batch is that large, or for at
   most half a flush.  A thread that alone makes only durable commits
   never waits (its batches hold one commit); one whose durable commits
   close batches of no-flush commits may wait while the batch is
   smaller than the last.  A batch that shrank, because a thread
   stopped committing, lowers the next wait's goal.  The durable
   committer whose record completes the batch leads it at once
   (batch_complete in drain) without waking this thread, which finds
   out when its wait ends: at its deadline or when that flush ends.
   Returns 1 if this thread leads; 0 if another took the batch, and
   this thread then waits like the others.  */
static int
gather (struct lrvm_log *L)
{
  struct timespec until;
  uint64_t usec = L->flush_usec / 2;
  unsigned gen;

  if (L->last_batch < 2 || L->next_seq - L->durable_seq >= L->last_batch
      || usec == 0)
    return 1;
  lrvm__deadline (L->gather_monotonic, usec, &until);
  L->busy = 3;
  gen = ++L->gather_gen;
  L->gather_sleepers++;
  while (L->busy == 3 && L->gather_gen == gen
         && L->next_seq - L->durable_seq < L->last_batch)
    if (pthread_cond_timedwait (&L->gather_cv, &L->mu, &until) != 0)
      break;
  L->gather_sleepers--;
  if (L->busy != 3 || L->gather_gen != gen)
    return 0;
  L->busy = 0;
  return 1;
}

/* Nonzero if a leader gathers a batch that is now as large as the last
   one.  */
static int
batch_complete (const struct lrvm_log *L)
{
  return L->busy == 3 && L->next_seq - L->durable_seq >= L->last_batch;
}

/* With L->mu held, make every record below UPTO written, and durable
   if DURABLE: lead a write (and flush) or wait for the leader.  */
static int
drain (struct lrvm_store *s, uint64_t upto, int durable)
{
  struct lrvm_log *L = &s->log;
  /* Durable in RVM_SYNC_FLUSH mode: a leader flushes, and gathers a
     batch first.  */
  int by_flush = durable && s->opt.sync_mode == RVM_SYNC_FLUSH;

  for (;;)
    {
      unsigned char *b;
      size_t len, cap;
      uint64_t off, last, file_size, t0;
      int flush, e, sleepers;

      if (L->failed)
        return lrvm__error (s->opt.verbose, RVM_EFAILED, "commit refused:"
                            " an earlier write or flush of the log of %s"
                            " failed; reopen the store", s->path);
      if (durable ? L->durable_seq >= upto : L->written_seq >= upto)
        return 0;
      /* A durable record that completes a gathered batch leads it at
         once.  Waking the gathering thread, to lead or only to tell
         it, would put a wake-up before the flush, one that on this
         processor preempts this thread while it holds the mutex.  */
      if (!(by_flush && batch_complete (L)))
        {
          if (L->busy)
            {
              pthread_cond_wait (&L->cv, &L->mu);
              continue;
            }
          if (by_flush && !gather (L))
            continue;
        }
      /* Lead: take the buffer, leave an empty one for the others.  */
      L->busy = 1;
      b = L->buf;
      len = L->buf_len;
      cap = L->buf_cap;
      L->buf = L->spare;
      L->buf_cap = L->spare_cap;
      L->buf_len = 0;
      L->spare = NULL;
      L->spare_cap = 0;
      last = L->next_seq;
      off = L->tail;
      file_size = L->file_size;
      flush = by_flush && L->durable_seq < last;
      pthread_mutex_unlock (&L->mu);
      t0 = flush ? lrvm__now_usec () : 0;
      e = write_batch (s, b, len, off, flush, &file_size);
      if (flush)
        t0 = lrvm__now_usec () - t0;
      lrvm__mutex_lock (&L->mu);
      L->spare = b;
      L->spare_cap = cap;
      L->file_size = file_size;
      L->busy = 0;
      if (e != 0)
        {
          L->failed = 1;
          pthread_cond_broadcast (&L->cv);
          pthread_cond_broadcast (&L->gather_cv);
          return lrvm__syserr (s->opt.verbose, e, "cannot %s the log of %s",
                               flush ? "write and flush" : "write", s->path);
        }
      L->tail = off + len;
      if (flush)
        {
          s->st.flushes++;
          s->st.flushed_commits += last - L->durable_seq;
          /* The next batch's goal: this one's commits and those that
             came during its flush.  Counting only the first, a batch
             that missed a thread's commit would set a goal that never
             grows back, since a batch is led as soon as it meets its
             goal.  */
          L->last_batch = L->next_seq - L->durable_seq;
          L->flush_usec = L->flush_usec == 0 ? t0
                          : (7 * L->flush_usec + t0) / 8;
        }
      L->written_seq = last;
      if (flush || s->opt.sync_mode != RVM_SYNC_FLUSH)
        {
          L->durable_seq = last;
          L->flushed_off = L->tail;
        }
      if (over_threshold (s))
        L->truncate_wanted = 1;
      /* Wake the waiters with the mutex released: woken while it is
         held, each would block on it at once and need waking again.
         A gatherer whose batch this was may sleep still.  */
      sleepers = L->gather_sleepers;
      pthread_mutex_unlock (&L->mu);
      pthread_cond_broadcast (&L->cv);
      if (sleepers > 0)
        pthread_cond_broadcast (&L->gather_cv);
      lrvm__mutex_lock (&L->mu);
    }
}

/* Append the record of T (if it declared anything) and, if DURABLE,
   return only once it (and every record before it) is durable.
   *APPENDED tells whether the record reached the log buffer: if not,
   nothing of T can ever be recovered.  *TRUNCATE tells whether the log
   has passed its threshold.  */
int
lrvm__log_commit (struct lrvm_store *s, struct lrvm_trans *t, int durable,
                  int *appended, int *truncate)
{
  struct lrvm_log *L = &s->log;
  uint32_t nentries;
  size_t len = record_size (t, &nentries), i;
  uint64_t seq;
  int r = 0;

  *appended = 0;
  *truncate = 0;
  lrvm__mutex_lock (&L->mu);
  while (L->busy == 2 || L->excl_waiting)  /* a truncation runs or waits */
    pthread_cond_wait (&L->cv, &L->mu);
  if (L->failed)
    {
      r = lrvm__error (s->opt.verbose, RVM_EFAILED, "rvm_commit: refused:"
                       " an earlier write or flush of the log of %s failed;"
                       " reopen the store", s->path);
      goto out;
    }
  if (nentries == 0)
    {
      /* Nothing to log; a durable commit still makes every earlier
         no-flush commit durable.  */
      if (durable)
        {
          s->st.commits++;
          r = drain (s, L->next_seq, 1);
        }
      else
        s->st.commits_noflush++;
      goto out;
    }
  if (len > LRVM_REC_MAX_LEN)
    {
      r = lrvm__error (s->opt.verbose, RVM_ERANGE, "rvm_commit: transaction"
                       " %d declares too much (%zu bytes in one record)",
                       t->tid, len);
      goto out;
    }
  if (L->buf_len + len > L->buf_cap)
    {
      size_t cap = L->buf_cap ? L->buf_cap : 65536;
      unsigned char *nb;
      while (cap < L->buf_len + len)
        cap *= 2;
      nb = realloc (L->buf, cap);
      if (nb == NULL)
        {
          r = lrvm__error (s->opt.verbose, RVM_ENOMEM,
                           "rvm_commit: out of memory");
          goto out;
        }
      L->buf = nb;
      L->buf_cap = cap;
    }
  for (i = 0; i < t->nsegs; i++)
    {
      struct lrvm_seg *g = t->segs[i].seg;
      if (!g->logged && t->segs[i].n > 0)
        {
          if (lrvm__names_add (&L->names, g->name, g->namelen) != 0)
            {
              r = lrvm__error (s->opt.verbose, RVM_ENOMEM,
                               "rvm_commit: out of memory");
              goto out;
            }
          g->logged = 1;
        }
    }
  seq = L->next_seq++;
  record_encode (L->buf + L->buf_len, len, t, nentries, seq, L->hdr.epoch);
  mark_dirty (t);
  L->buf_len += len;
  *appended = 1;
  s->st.bytes_logged += len;
  /* A gathering leader waits for the record that completes its batch;
     a durable commit leads that batch itself (drain).  */
  if (!durable && batch_complete (L))
    pthread_cond_signal (&L->gather_cv);
  if (durable)
    {
      s->st.commits++;
      r = drain (s, seq + 1, 1);
    }
  else
    {
      s->st.commits_noflush++;
      if (L->buf_len >= LRVM_BUFFER_LIMIT && !L->busy)
        r = drain (s, seq + 1, 0);
    }
  if (over_threshold (s))
    L->truncate_wanted = 1;
out:
  *truncate = L->truncate_wanted;
  pthread_mutex_unlock (&L->mu);
  return r;
}

int
lrvm__log_truncate_wanted (struct lrvm_store *s)
{
  int r;

  lrvm__mutex_lock (&s->log.mu);
  r = s->log.truncate_wanted;
  pthread_mutex_unlock (&s->log.mu);
  return r;
}

/* Make every commit so far durable.  */
int
lrvm__log_flush (struct lrvm_store *s)
{
  int r;

  lrvm__mutex_lock (&s->log.mu);
  r = drain (s, s->log.next_seq, 1);
  pthread_mutex_unlock (&s->log.mu);
  return r;
}

int
rvm_flush (rvm_t rvm)
{
  int r;

  if ((r = lrvm__store_check (rvm, "rvm_flush")) != 0)
    return r;
  r = lrvm__log_flush (rvm);
  lrvm__trace (rvm->opt.verbose, "rvm_flush (%p) = %d", (void *) rvm, r);
  return r;
}

/* Make every commit written (durable if DURABLE) and take the log for
   a truncation: until lrvm__log_release, no record is appended or
   written.  Appends stop
   first: a record appended while this thread waits for a write would
   stay in the buffer, encoded with the epoch the truncation is about
   to end, and would end the log where it is written.  */
int
lrvm__log_exclusive (struct lrvm_store *s, int durable)
{
  struct lrvm_log *L = &s->log;
  int r;

  lrvm__mutex_lock (&L->mu);
  L->excl_waiting++;
  r = drain (s, L->next_seq, durable);
  while (r == 0 && (L->busy || (durable ? L->durable_seq : L->written_seq)
                               < L->next_seq))
    {
      if (L->busy)
        pthread_cond_wait (&L->cv, &L->mu);
      r = drain (s, L->next_seq, durable);
    }
  L->excl_waiting--;
  if (r == 0)
    L->busy = 2;
  else
    pthread_cond_broadcast (&L->cv);
  pthread_mutex_unlock (&L->mu);
  return r;
}

/* With the log held (lrvm__log_exclusive), make every written record
   durable.  */
int
lrvm__log_flush_held (struct lrvm_store *s)
{
  struct lrvm_log *L = &s->log;

  if (s->opt.sync_mode == RVM_SYNC_FLUSH && L->durable_seq < L->written_seq
      && lrvm__flush (L->fd) != 0)
    return lrvm__syserr (s->opt.verbose, errno, "cannot flush the log of %s",
                         s->path);
  lrvm__mutex_lock (&L->mu);
  L->durable_seq = L->written_seq;
  L->flushed_off = L->tail;
  pthread_mutex_unlock (&L->mu);
  return 0;
}

void
lrvm__log_release (struct lrvm_store *s)
{
  lrvm__mutex_lock (&s->log.mu);
  s->log.busy = 0;
  pthread_cond_broadcast (&s->log.cv);
  pthread_mutex_unlock (&s->log.mu);
}
