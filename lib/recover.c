/* recover.c -- reading the log: the scan that finds the valid records
   from the header on, and recovery at open, which replays them into
   the segment files and starts an empty log.  */

#include "lrvm-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

/* The scan's read window, at least LRVM_REC_HDR_SIZE bytes.  Tests
   make it small, so that small logs reach every refill path.  */
size_t lrvm__scan_window = (size_t) 1 << 20;

/* Read the log of FD through a sliding window.  A record longer than
   the window gets a buffer of its own size, which is bounded by the
   file size: no length read from disk is trusted before that.  */
int
lrvm__log_scan (int fd, uint64_t file_size, const struct lrvm_header *h,
                lrvm_record_fn cb, void *ctx, uint64_t *end,
                uint64_t *next_seq, int *torn)
{
  unsigned char *buf;
  size_t cap = lrvm__scan_window, have = 0, got;
  uint64_t start = 0, off = h->head_off, seq = h->head_seq;
  int r = 0;

  *torn = 0;
  buf = malloc (cap);
  if (buf == NULL)
    return RVM_ENOMEM;
  while (off < file_size && file_size - off >= LRVM_REC_HDR_SIZE)
    {
      const unsigned char *p;
      size_t len, n;

      /* The window must hold the record header...  */
      if (off < start || off + LRVM_REC_HDR_SIZE > start + have)
        {
          start = off;
          n = file_size - off < cap ? (size_t) (file_size - off) : cap;
          if (lrvm__read_at (fd, buf, n, start, &got) != 0)
            {
              r = RVM_EIO;
              break;
            }
          have = got;
          if (have < LRVM_REC_HDR_SIZE)
            break;
        }
      p = buf + (off - start);
      len = lrvm_get32 (p + 8);
      if (lrvm_get32 (p) != LRVM_REC_MAGIC || lrvm_get64 (p + 16) != seq
          || lrvm_get32 (p + 24) != h->epoch || len < LRVM_REC_HDR_SIZE
          || len > file_size - off)
        {
          /* Only the header of a record of this epoch that does not
             check is a torn tail.  Zeros, records of older epochs and
             the remains of them that newer records partly overwrote
             all end the log cleanly.  */
          *torn = lrvm_get32 (p) == LRVM_REC_MAGIC
                  && lrvm_get32 (p + 24) == h->epoch;
          break;
        }
      /* ...and then the whole record.  */
      if (off + len > start + have)
        {
          if (len > cap)
            {
              unsigned char *nb = realloc (buf, len);
              if (nb == NULL)
                {
                  r = RVM_ENOMEM;
                  break;
                }
              buf = nb;
              cap = len;
            }
          start = off;
          n = file_size - off < cap ? (size_t) (file_size - off) : cap;
          if (lrvm__read_at (fd, buf, n, start, &got) != 0)
            {
              r = RVM_EIO;
              break;
            }
          have = got;
          p = buf;
        }
      if (lrvm__record_check (p, (size_t) (start + have - off), seq,
                              h->epoch) == 0)
        {
          *torn = 1;
          break;
        }
      if (cb != NULL && (r = cb (ctx, p, len, seq, off)) != 0)
        break;
      off += len;
      seq++;
    }
  free (buf);
  *end = off;
  *next_seq = seq;
  return r;
}

/* If a valid record of a newer epoch than H's starts at OFF, the
   header slot that started that epoch was damaged after it was written
   (records of an epoch are only written once its header is durable):
   move H to that record and return 1.  Otherwise return 0.  This keeps
   a damaged newest slot from hiding records that check.  If WANT is
   not NULL, the record's sequence number must be at least *WANT.  */
static int
newer_epoch_at (int fd, uint64_t file_size, uint64_t off,
                struct lrvm_header *h, const uint64_t *want)
{
  unsigned char hd[LRVM_REC_HDR_SIZE], *rec;
  uint64_t seq;
  uint32_t epoch;
  size_t got, len;
  int ok;

  if (off >= file_size || file_size - off < LRVM_REC_HDR_SIZE
      || lrvm__read_at (fd, hd, sizeof hd, off, &got) != 0
      || got < sizeof hd || lrvm_get32 (hd) != LRVM_REC_MAGIC)
    return 0;
  epoch = lrvm_get32 (hd + 24);
  seq = lrvm_get64 (hd + 16);
  len = lrvm_get32 (hd + 8);
  if ((int32_t) (epoch - h->epoch) <= 0 || len > file_size - off
      || len < LRVM_REC_HDR_SIZE || (want != NULL && seq < *want))
    return 0;
  rec = malloc (len);
  if (rec == NULL)
    return 0;
  ok = lrvm__read_at (fd, rec, len, off, &got) == 0 && got == len
       && lrvm__record_check (rec, len, seq, epoch) == len;
  free (rec);
  if (!ok)
    return 0;
  h->epoch = epoch;
  h->head_seq = seq;
  h->head_off = off;
  return 1;
}

/* Move the header H read from the log FD forward past any damaged
   newest slot: while a valid record of a newer epoch starts where the
   live records of H end, continue from it.  A header that a truncation
   by checkpoint wrote starts its log at the checkpoint, after the old
   records; the empty log that truncation started next is back at the
   start of the data, and may since have grown over the checkpoint.  So
   under such a header only the start of the data is looked at: a
   record there of a newer epoch, numbered after the checkpoint's
   head, begins the log that followed (the segment files already hold
   the checkpoint then).  *ADOPTED tells whether H moved.  *END,
   *NEXT_SEQ and *TORN, unless NULL, get what lrvm__log_scan gives for
   the final H: its last scan, which need not be made again.  Returns
   0, RVM_EIO or RVM_ENOMEM.  Recovery and every reader of the log see
   the same live records this way.  */
int
lrvm__log_follow (int fd, uint64_t file_size, struct lrvm_header *h,
                  int *adopted, uint64_t *end_out, uint64_t *next_seq_out,
                  int *torn_out)
{
  uint64_t end, next_seq;
  int r, torn;

  *adopted = 0;
  for (;;)
    {
      r = lrvm__log_scan (fd, file_size, h, NULL, NULL, &end, &next_seq,
                          &torn);
      if (r != 0)
        return r;
      if (h->head_off != LRVM_LOG_DATA_START)
        {
          uint64_t after = h->head_seq;
          if (!newer_epoch_at (fd, file_size, LRVM_LOG_DATA_START, h,
                               &after))
            break;
        }
      else if (!newer_epoch_at (fd, file_size, end, h, NULL))
        break;
      *adopted = 1;
    }
  if (end_out != NULL)
    *end_out = end;
  if (next_seq_out != NULL)
    *next_seq_out = next_seq;
  if (torn_out != NULL)
    *torn_out = torn;
  return 0;
}

/* Open (or create) the log of S and recover: replay every valid record
   into the segment files, flush them, and write a header that starts
   an empty log in a new epoch, so nothing left behind in the file,
   torn or stale, can ever be read as a record again.  */
int
lrvm__recover (struct lrvm_store *s)
{
  struct lrvm_log *L = &s->log;
  uint64_t end, next_seq, records = 0, t0 = lrvm__now_usec ();
  int r, torn, adopted, flags = O_RDWR;

  if (s->opt.sync_mode == RVM_SYNC_DSYNC)
    flags |= lrvm__dsync_flag ();
  L->fd = lrvm__open_at (s->dirfd, LRVM_LOG_NAME, flags, 0);
  if (L->fd < 0 && errno == ENOENT)
    {
      if ((r = lrvm__log_create (s)) != 0)
        return r;
      L->fd = lrvm__open_at (s->dirfd, LRVM_LOG_NAME, flags, 0);
    }
  if (L->fd < 0)
    return lrvm__syserr (s->opt.verbose, errno, "rvm_open: cannot open the"
                         " log of %s", s->path);
  /* Without it, writes of the header flush the whole log, and
     truncation never writes a checkpoint.  */
  if (s->opt.sync_mode == RVM_SYNC_FLUSH)
    L->dfd = lrvm__open_range_durable (s->dirfd, LRVM_LOG_NAME);
  if (lrvm__file_size (L->fd, &L->file_size) != 0)
    return lrvm__syserr (s->opt.verbose, errno, "rvm_open: cannot stat the"
                         " log of %s", s->path);
  if (L->file_size < LRVM_LOG_DATA_START)
    return lrvm__error (s->opt.verbose, RVM_ECORRUPT, "rvm_open: the log"
                        " of %s is cut short (%llu bytes); see lrvm verify",
                        s->path, (unsigned long long) L->file_size);
  r = lrvm__log_read_header (L->fd, &L->hdr);
  if (r == RVM_EIO)
    return lrvm__syserr (s->opt.verbose, errno, "rvm_open: cannot read the"
                         " log of %s", s->path);
  if (r == RVM_ECORRUPT)
    return lrvm__error (s->opt.verbose, r, "rvm_open: neither header slot"
                        " of the log of %s checks; see lrvm verify",
                        s->path);
  if (r == RVM_EVERSION)
    return lrvm__error (s->opt.verbose, r, "rvm_open: the log of %s has"
                        " format %u (this library reads %u)", s->path,
                        L->hdr.major, LRVM_FORMAT_MAJOR);

  r = lrvm__log_follow (L->fd, L->file_size, &L->hdr, &adopted, &end,
                        &next_seq, &torn);
  if (r != 0)
    return r == RVM_EIO ? lrvm__syserr (s->opt.verbose, errno, "rvm_open:"
                                        " cannot read the log of %s",
                                        s->path)
                        : lrvm__error (s->opt.verbose, r, "rvm_open: out"
                                       " of memory reading the log");
  if (adopted)
    lrvm__trace (s->opt.verbose, "recovery: %s: the newest header slot is"
                 " damaged; continuing from the records of epoch %lu at"
                 " offset %llu", s->path, (unsigned long) L->hdr.epoch,
                 (unsigned long long) L->hdr.head_off);
  if (torn)
    lrvm__trace (s->opt.verbose, "recovery: %s: the log ends with an"
                 " incomplete record at offset %llu; it was never"
                 " committed", s->path, (unsigned long long) end);
  /* The new epoch skips one: the newest header slot, if it was lost,
     had the epoch after the one in force, and records of that epoch
     that recovery did not adopt must never become readable.  */
  r = lrvm__apply_and_reset (s, end, next_seq, 2, NULL, 0, &records);
  if (r != 0)
    return r;
  L->tail = L->flushed_off = LRVM_LOG_DATA_START;
  L->next_seq = L->written_seq = L->durable_seq = next_seq;
  s->st.recovery_records = records;
  s->st.recovery_usec = lrvm__now_usec () - t0;
  lrvm__trace (s->opt.verbose, "recovery: %s: %llu records replayed",
               s->path, (unsigned long long) records);
  return 0;
}
