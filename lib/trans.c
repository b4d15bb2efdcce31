/* trans.c -- transactions: begin, range declaration with undo copies,
   abort, and the process-wide table that turns a trans_t back into its
   transaction (or rejects it) for the calls that take only a tid.  */

#include "lrvm-internal.h"

#include <stdlib.h>
#include <string.h>

/* The table of active transactions, in TT_STRIPES stripes: tid T
   belongs to stripe T % TT_STRIPES, which has its own mutex, id
   counter and buckets.  A thread takes its ids from its own stripe
   (lrvm__stripe), so threads running transactions at once mostly use
   different stripes, and the lookups of a transaction's calls neither
   wait for another thread nor move a cache line between processors.
   Any thread can still reach any tid.  */
#define TT_STRIPES LRVM_STRIPES
#define TT_BUCKETS 16           /* per stripe */

struct tt_stripe
{
  pthread_mutex_t mu;
  trans_t next;                 /* next id to try, in this stripe */
  struct lrvm_trans *b[TT_BUCKETS];
};

/* Each stripe padded so that no cache line holds two of them, to a
   power of two so that finding one takes a shift.  */
#define TT_SLOT 512
union tt_slot
{
  struct tt_stripe s;
  char pad[TT_SLOT];
};
typedef char lrvm_tt_slot_fits[sizeof (struct tt_stripe) + LRVM_CACHE_LINE
                               <= TT_SLOT ? 1 : -1];

#define TT_INIT(k) { { PTHREAD_MUTEX_INITIALIZER, (k) ? (k) : TT_STRIPES, \
                       { NULL } } }
static union tt_slot tt[TT_STRIPES] = {
  TT_INIT (0), TT_INIT (1), TT_INIT (2), TT_INIT (3),
  TT_INIT (4), TT_INIT (5), TT_INIT (6), TT_INIT (7),
  TT_INIT (8), TT_INIT (9), TT_INIT (10), TT_INIT (11),
  TT_INIT (12), TT_INIT (13), TT_INIT (14), TT_INIT (15)
};

/* The transaction table chains through this field.  */
#define TT_NEXT(t) ((t)->tt_next)

/* The stripe that TID belongs to, and whose thread began it.  */
static unsigned
tt_home (trans_t tid)
{
  return (unsigned) tid % TT_STRIPES;
}

static struct tt_stripe *
tt_of (trans_t tid)
{
  return &tt[tt_home (tid)].s;
}

static struct lrvm_trans **
tt_bucket (struct tt_stripe *st, trans_t tid)
{
  return &st->b[(unsigned) tid / TT_STRIPES % TT_BUCKETS];
}

static struct lrvm_trans *
tt_lookup_locked (struct tt_stripe *st, trans_t tid)
{
  struct lrvm_trans *t;

  for (t = *tt_bucket (st, tid); t != NULL; t = TT_NEXT (t))
    if (t->tid == tid)
      return t;
  return NULL;
}

/* Give T a fresh id of stripe HOME, never -1 or 0, and not one in
   use.  */
static void
tt_insert (struct lrvm_trans *t, unsigned home)
{
  struct tt_stripe *st = &tt[home].s;
  struct lrvm_trans **b;

  lrvm__mutex_lock (&st->mu);
  do
    {
      t->tid = st->next;
      st->next = st->next > 0x7fffffff - TT_STRIPES
                 ? (home ? (trans_t) home : TT_STRIPES)
                 : st->next + TT_STRIPES;
    }
  while (tt_lookup_locked (st, t->tid) != NULL);
  b = tt_bucket (st, t->tid);
  TT_NEXT (t) = *b;
  *b = t;
  pthread_mutex_unlock (&st->mu);
}

static inline struct lrvm_trans *
tt_lookup (trans_t tid)
{
  struct tt_stripe *st;
  struct lrvm_trans *t;

  if (tid <= 0)
    return NULL;
  st = tt_of (tid);
  lrvm__mutex_lock (&st->mu);
  t = tt_lookup_locked (st, tid);
  pthread_mutex_unlock (&st->mu);
  return t;
}

/* Remove TID from the table; return its transaction or NULL.  Once
   removed, no other call can reach it.  */
static inline struct lrvm_trans *
tt_remove (trans_t tid)
{
  struct tt_stripe *st;
  struct lrvm_trans **pp, *t = NULL;

  if (tid <= 0)
    return NULL;
  st = tt_of (tid);
  lrvm__mutex_lock (&st->mu);
  for (pp = tt_bucket (st, tid); *pp != NULL; pp = &TT_NEXT (*pp))
    if ((*pp)->tid == tid)
      {
        t = *pp;
        *pp = TT_NEXT (t);
        break;
      }
  pthread_mutex_unlock (&st->mu);
  return t;
}

#define ALIGN16(n) (((n) + 15) & ~(size_t) 15)
#define CHUNK_HDR ALIGN16 (sizeof (struct lrvm_chunk))

/* Allocate a transaction for NSEGS segments: the struct, its segment
   table and its first memory chunk in one block.  */
static struct lrvm_trans *
trans_alloc (size_t nsegs)
{
  size_t head = ALIGN16 (sizeof (struct lrvm_trans))
                + ALIGN16 (nsegs * sizeof (struct lrvm_tseg));
  struct lrvm_trans *t;

  if (nsegs > (SIZE_MAX - CHUNK_HDR - LRVM_TRANS_INLINE - 64)
              / sizeof (struct lrvm_tseg))
    return NULL;
  t = malloc (head + CHUNK_HDR + LRVM_TRANS_INLINE);
  if (t == NULL)
    return NULL;
  memset (t, 0, sizeof *t);
  t->seg_cap = nsegs;
  t->segs = (struct lrvm_tseg *) ((char *) t
                                  + ALIGN16 (sizeof (struct lrvm_trans)));
  t->chunks = (struct lrvm_chunk *) ((char *) t + head);
  t->chunks->next = NULL;
  t->chunks->cap = LRVM_TRANS_INLINE;
  t->chunks->used = 0;
  return t;
}

/* Make T empty for NSEGS segments (NSEGS <= T->seg_cap): free all but
   its inline chunk.  */
static void
trans_reset (struct lrvm_trans *t, size_t nsegs)
{
  while (t->chunks->next != NULL)
    {
      struct lrvm_chunk *c = t->chunks;
      t->chunks = c->next;
      free (c);
    }
  t->chunks->used = 0;
  t->nsegs = nsegs;
  t->flags = 0;
  memset (t->segs, 0, nsegs * sizeof *t->segs);
}

/* N bytes of T's memory, aligned to 16, valid until T ends.  */
static void *
trans_mem (struct lrvm_trans *t, size_t n)
{
  struct lrvm_chunk *c = t->chunks;
  size_t need = ALIGN16 (n);

  if (need < n)
    return NULL;
  if (c->cap - c->used < need)
    {
      size_t cap = need > 65536 ? need : 65536;
      if (cap > SIZE_MAX - CHUNK_HDR)
        return NULL;
      c = malloc (CHUNK_HDR + cap);
      if (c == NULL)
        return NULL;
      c->cap = cap;
      c->used = 0;
      c->next = t->chunks;
      t->chunks = c;
    }
  c->used += need;
  return (char *) c + CHUNK_HDR + c->used - need;
}

void
lrvm__trans_free (struct lrvm_trans *t)
{
  if (t == NULL)
    return;
  trans_reset (t, 0);
  free (t);
}

void
lrvm__trans_free_spare (struct lrvm_store *s)
{
  size_t k;

  for (k = 0; k < LRVM_STRIPES; k++)
    {
      lrvm__trans_free (s->spare[k]);
      s->spare[k] = NULL;
    }
}

/* T's segments hold changes that no record will carry: truncation
   must not write them from memory.  T still owns them, so no
   truncation reads the flag meanwhile.  */
static void
diverge (struct lrvm_trans *t)
{
  size_t i;

  for (i = 0; i < t->nsegs; i++)
    t->segs[i].seg->diverged = 1;
}

/* Release the segments of T, and keep T for reuse or free it.  */
static void
trans_end (struct lrvm_trans *t)
{
  struct lrvm_store *s = t->store;
  /* The spare of the stripe T's thread took its id from: that thread
     most likely begins the next transaction there.  */
  struct lrvm_trans **spare = &s->spare[tt_home (t->tid)];
  size_t i;

  lrvm__mutex_lock (&s->mu);
  for (i = 0; i < t->nsegs; i++)
    t->segs[i].seg->owner = NULL;
  s->active--;
  if (s->quiescing)
    pthread_cond_signal (&s->quiet_cv);
  if (*spare == NULL)
    {
      trans_reset (t, 0);
      *spare = t;
      t = NULL;
    }
  pthread_mutex_unlock (&s->mu);
  lrvm__trans_free (t);
}

/* End, without committing, every transaction of S (rvm_close).  */
void
lrvm__trans_drop_store (struct lrvm_store *s)
{
  unsigned k, b;

  for (k = 0; k < TT_STRIPES; k++)
    for (b = 0; b < TT_BUCKETS; b++)
      for (;;)
        {
          struct lrvm_trans *t;
          lrvm__mutex_lock (&tt[k].s.mu);
          for (t = tt[k].s.b[b]; t != NULL && t->store != s; t = TT_NEXT (t))
            ;
          pthread_mutex_unlock (&tt[k].s.mu);
          if (t == NULL || tt_remove (t->tid) != t)
            break;
          diverge (t);
          trans_end (t);
        }
}

int
rvm_begin (rvm_t rvm, size_t nsegs, void *const *segbases,
           unsigned int flags, trans_t *tid)
{
  struct lrvm_store *s = rvm;
  struct lrvm_trans *t;
  size_t i, j, mapped;
  unsigned home = lrvm__stripe ();
  int r;

  if (tid != NULL)
    *tid = (trans_t) -1;
  if ((r = lrvm__store_check (rvm, "rvm_begin")) != 0)
    return r;
  if (tid == NULL || segbases == NULL || nsegs == 0)
    return lrvm__error (s->opt.verbose, RVM_EINVAL, "rvm_begin: %s",
                        tid == NULL ? "tid pointer is NULL"
                        : segbases == NULL ? "segbases is NULL"
                        : "no segments");
  if (flags & ~RVM_NO_RESTORE)
    return lrvm__error (s->opt.verbose, RVM_EINVAL,
                        "rvm_begin: unknown flags %#x", flags);
  /* Each listed segment must be a distinct mapped one: a larger count
     is refused before it sizes an allocation.  One critical section
     then takes a transaction (the spare one of this thread's stripe if
     it is large enough) and claims the segments.  */
  lrvm__mutex_lock (&s->mu);
  /* A truncation waits for the active transactions to end.  */
  while (s->quiescing)
    pthread_cond_wait (&s->begin_cv, &s->mu);
  mapped = s->nsegs;
  if (nsegs > mapped)
    {
      pthread_mutex_unlock (&s->mu);
      return lrvm__error (s->opt.verbose, RVM_EINVAL, "rvm_begin: %zu"
                          " segments listed, but only %zu are mapped",
                          nsegs, mapped);
    }
  t = s->spare[home];
  if (t != NULL && t->seg_cap >= nsegs)
    s->spare[home] = NULL;
  else if ((t = trans_alloc (nsegs)) == NULL)
    {
      pthread_mutex_unlock (&s->mu);
      return lrvm__error (s->opt.verbose, RVM_ENOMEM,
                          "rvm_begin: out of memory");
    }
  trans_reset (t, nsegs);
  t->store = s;
  t->thread = pthread_self ();
  t->flags = flags;
  for (i = 0; i < nsegs; i++)
    {
      struct lrvm_seg *g = lrvm__seg_find (s, segbases[i]);
      if (g == NULL)
        {
          r = lrvm__error (s->opt.verbose, RVM_ENOTMAPPED, "rvm_begin:"
                           " segbases[%zu] = %p is not a mapped segment",
                           i, segbases[i]);
          break;
        }
      for (j = 0; j < i; j++)
        if (t->segs[j].seg == g)
          break;
      if (j < i)
        {
          r = lrvm__error (s->opt.verbose, RVM_EINVAL, "rvm_begin:"
                           " segment \"%s\" is listed twice", g->name);
          break;
        }
      if (g->owner != NULL)
        {
          r = lrvm__error (s->opt.verbose, RVM_EINTRANS, "rvm_begin:"
                           " segment \"%s\" is in active transaction %d",
                           g->name, g->owner->tid);
          break;
        }
      t->segs[i].seg = g;
    }
  if (r == 0)
    {
      /* Number T before any segment names it as its owner: other
         threads read OWNER->tid under S->mu (so S->mu, then a stripe's
         mutex).  */
      tt_insert (t, home);
      for (i = 0; i < nsegs; i++)
        t->segs[i].seg->owner = t;
      s->active++;
    }
  pthread_mutex_unlock (&s->mu);
  if (r != 0)
    {
      lrvm__trans_free (t);
      return r;
    }
  *tid = t->tid;
  lrvm__trace (s->opt.verbose, "rvm_begin (%zu segments%s) = %d", nsegs,
               flags & RVM_NO_RESTORE ? ", no-restore" : "", t->tid);
  return 0;
}

/* Declare [OFF, OFF+LEN) of TS's segment.  The declared ranges stay
   sorted, disjoint and not adjacent; each byte's old value is copied
   once, the first time it is declared.  */
static int
add_range (struct lrvm_trans *t, struct lrvm_tseg *ts, size_t off,
           size_t len)
{
  unsigned char *mem = ts->seg->base;
  size_t end = off + len, i, j, k, lo, hi;
  unsigned char *undo = NULL;

  /* First range that ends at or after OFF.  */
  lo = 0;
  hi = ts->n;
  while (lo < hi)
    {
      size_t mid = (lo + hi) / 2;
      if (ts->r[mid].off + ts->r[mid].len < off)
        lo = mid + 1;
      else
        hi = mid;
    }
  i = lo;
  if (i < ts->n && ts->r[i].off <= off
      && ts->r[i].off + ts->r[i].len >= end)
    return 0;                   /* already declared */
  /* Ranges i..j-1 overlap or touch [off, end).  */
  for (j = i; j < ts->n && ts->r[j].off <= end; j++)
    ;
  if (j > i)
    {
      if (ts->r[i].off < off)
        off = ts->r[i].off;
      if (ts->r[j - 1].off + ts->r[j - 1].len > end)
        end = ts->r[j - 1].off + ts->r[j - 1].len;
    }
  if (!(t->flags & RVM_NO_RESTORE))
    {
      undo = trans_mem (t, end - off);
      if (undo == NULL)
        return RVM_ENOMEM;
      memcpy (undo, mem + off, end - off);
      for (k = i; k < j; k++)
        memcpy (undo + (ts->r[k].off - off), ts->r[k].undo, ts->r[k].len);
    }
  if (j == i)
    {
      if (ts->cap == 0)
        {
          ts->r = ts->inl;
          ts->cap = LRVM_TSEG_INLINE;
        }
      if (ts->n == ts->cap)
        {
          size_t cap = ts->cap * 2;
          struct lrvm_range *v = trans_mem (t, cap * sizeof *v);
          if (v == NULL)
            return RVM_ENOMEM;
          if (ts->n > 0)
            memcpy (v, ts->r, ts->n * sizeof *v);
          ts->r = v;
          ts->cap = cap;
        }
      if (i < ts->n)
        memmove (ts->r + i + 1, ts->r + i, (ts->n - i) * sizeof *ts->r);
      ts->n++;
    }
  else if (j > i + 1)
    {
      memmove (ts->r + i + 1, ts->r + j, (ts->n - j) * sizeof *ts->r);
      ts->n -= j - i - 1;
    }
  ts->r[i].off = off;
  ts->r[i].len = end - off;
  ts->r[i].undo = undo;
  return 0;
}

static int
modify (const char *fn, trans_t tid, struct lrvm_trans *t, size_t k,
        size_t offset, size_t size)
{
  struct lrvm_store *s = t->store;
  struct lrvm_seg *g = t->segs[k].seg;
  int r;

  if (size == 0)
    return lrvm__error (s->opt.verbose, RVM_EINVAL,
                        "%s: transaction %d: size is 0", fn, tid);
  if (offset > g->size || size > g->size - offset)
    return lrvm__error (s->opt.verbose, RVM_ERANGE, "%s: transaction %d:"
                        " range %zu+%zu is outside \"%s\" (%zu bytes)",
                        fn, tid, offset, size, g->name, g->size);
  if ((r = add_range (t, &t->segs[k], offset, size)) != 0)
    return lrvm__error (s->opt.verbose, r, "%s: out of memory", fn);
  lrvm__trace (s->opt.verbose, "%s (%d, \"%s\", %zu, %zu)", fn, tid,
               g->name, offset, size);
  return 0;
}

/* Start loading the first and last cache lines of the range at A,
   SIZE bytes, that a call declares.  Its undo copy reads them after
   the table lookup; in a segment larger than the caches they are
   misses, and begun here, a miss overlaps the lookup instead of
   following it.  (Loading every line of the range measured slower:
   the lines between are few, and the processor fetches them anyway.)
   Integer arithmetic: A + SIZE may lie anywhere when the call is
   refused, and a prefetch never faults.  */
static inline void
prefetch_range (uintptr_t a, size_t size)
{
  LRVM_PREFETCH (a);
  LRVM_PREFETCH (a + size - 1);
}

int
rvm_modify (trans_t tid, void *segbase, size_t offset, size_t size)
{
  struct lrvm_trans *t;
  size_t k;

  prefetch_range ((uintptr_t) segbase + offset, size);
  t = tt_lookup (tid);
  if (t == NULL)
    return lrvm__error (0, RVM_ETRANS, "rvm_about_to_modify: %d is not an"
                        " active transaction", tid);
  for (k = 0; k < t->nsegs; k++)
    if (t->segs[k].seg->base == segbase)
      return modify ("rvm_about_to_modify", tid, t, k, offset, size);
  return lrvm__error (t->store->opt.verbose, RVM_ENOTINTRANS,
                      "rvm_about_to_modify: %p is not a segment of"
                      " transaction %d", segbase, tid);
}

int
rvm_set_range (trans_t tid, void *addr, size_t size)
{
  struct lrvm_trans *t;
  size_t k;

  prefetch_range ((uintptr_t) addr, size);
  t = tt_lookup (tid);
  if (t == NULL)
    return lrvm__error (0, RVM_ETRANS, "rvm_set_range: %d is not an"
                        " active transaction", tid);
  for (k = 0; k < t->nsegs; k++)
    {
      struct lrvm_seg *g = t->segs[k].seg;
      char *b = g->base;
      if ((char *) addr >= b && (char *) addr < b + g->size)
        return modify ("rvm_set_range", tid, t, k,
                       (size_t) ((char *) addr - b), size);
    }
  return lrvm__error (t->store->opt.verbose, RVM_ENOTINTRANS,
                      "rvm_set_range: %p is in no segment of"
                      " transaction %d", addr, tid);
}

/* Put back the old value of every range T declared (T keeps undo
   copies).  */
static void
restore (struct lrvm_trans *t)
{
  size_t i, j;

  for (i = 0; i < t->nsegs; i++)
    {
      struct lrvm_tseg *ts = &t->segs[i];
      for (j = 0; j < ts->n; j++)
        memcpy ((char *) ts->seg->base + ts->r[j].off, ts->r[j].undo,
                ts->r[j].len);
    }
}

/* Commit: append the new values of every declared range to the log as
   one record (durable before returning unless RVM_NO_FLUSH), then end
   the transaction.  If it fails before the record reached the log
   buffer (RVM_ERANGE, RVM_ENOMEM, or RVM_EFAILED because the log had
   already failed), nothing of it can be recovered, so its ranges get
   their old values back (unless it is a no-restore transaction).  If
   writing or flushing the log fails after the record was appended (in
   this thread or in the batch of another: RVM_EIO or RVM_EFAILED), its
   new values stay in memory, and recovery at the next open shows it
   either whole or not at all.  The transaction ends either way.  */
int
rvm_commit (trans_t tid, unsigned int flags)
{
  struct lrvm_trans *t;
  struct lrvm_store *s;
  int r, appended, truncate;

  if (flags & ~RVM_NO_FLUSH)
    return lrvm__error (0, RVM_EINVAL, "rvm_commit: unknown flags %#x",
                        flags);
  t = tt_remove (tid);
  if (t == NULL)
    return lrvm__error (0, RVM_ETRANS, "rvm_commit: %d is not an active"
                        " transaction", tid);
  s = t->store;
  r = lrvm__log_commit (s, t, !(flags & RVM_NO_FLUSH), &appended,
                        &truncate);
  if (r != 0 && !appended)
    {
      if (!(t->flags & RVM_NO_RESTORE))
        restore (t);
      else
        diverge (t);
    }
  trans_end (t);
  lrvm__trace (s->opt.verbose, "rvm_commit (%d%s) = %d", tid,
               flags & RVM_NO_FLUSH ? ", no-flush" : "", r);
  if (r == 0 && truncate)
    {
      /* The commit stands whatever happens here.  A failed truncation
         marks the log failed, and the next commit reports it.  */
      lrvm__mutex_lock (&s->mu);
      if (lrvm__log_truncate_wanted (s) && lrvm__quiesce (s)
          && lrvm__log_truncate_wanted (s))
        lrvm__truncate_locked (s, 0);
      pthread_mutex_unlock (&s->mu);
    }
  return r;
}

/* Abort: put back the old value of every declared range.  A no-restore
   transaction kept no old values: it is refused and stays active.  */
int
rvm_abort (trans_t tid)
{
  struct lrvm_trans *t = tt_lookup (tid);
  struct lrvm_store *s;

  if (t == NULL)
    return lrvm__error (0, RVM_ETRANS, "rvm_abort: %d is not an active"
                        " transaction", tid);
  s = t->store;
  if (t->flags & RVM_NO_RESTORE)
    return lrvm__error (s->opt.verbose, RVM_ENORESTORE, "rvm_abort:"
                        " transaction %d was begun with RVM_NO_RESTORE and"
                        " kept no old values; it is still active", tid);
  if (tt_remove (tid) != t)
    return lrvm__error (0, RVM_ETRANS, "rvm_abort: %d is not an active"
                        " transaction", tid);
  restore (t);
  lrvm__mutex_lock (&s->log.mu);
  s->st.aborts++;
  pthread_mutex_unlock (&s->log.mu);
  trans_end (t);
  lrvm__trace (s->opt.verbose, "rvm_abort (%d)", tid);
  return 0;
}
