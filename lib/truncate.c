/* truncate.c -- applying the log to the segment files and starting an
   empty log: the step shared by recovery at open and by truncation of
   a live store.  Replay writes absolute new values, so repeating it
   after a crash gives the same files.  */

#include "lrvm-internal.h"

#include <errno.h>
#include <string.h>

int
lrvm__apply_and_reset (struct lrvm_store *s, uint64_t end,
                       uint64_t next_seq, uint32_t epoch_step,
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
  if (end > L->hdr.head_off)
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

/* Truncate the live store S (S->mu held): apply the log and empty it;
   if SHRINK, give back the file space above the reserve.  Automatic
   truncation does not shrink: the log would only grow back to the
   threshold, zero-filling again.  Commits wait meanwhile;
   active transactions are untouched, since only committed records
   reach the segment files.  */
int
lrvm__truncate_locked (struct lrvm_store *s, int shrink)
{
  struct lrvm_log *L = &s->log;
  struct lrvm_seg *g;
  uint64_t records = 0, keep;
  int r;

  if ((r = lrvm__log_exclusive (s)) != 0)
    return r;
  r = lrvm__apply_and_reset (s, L->tail, L->written_seq, 1, &records);
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
      if (shrink && L->file_size > keep && lrvm__resize (L->fd, keep) == 0)
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
  r = lrvm__truncate_locked (rvm, 1);
  pthread_mutex_unlock (&rvm->mu);
  return r;
}
