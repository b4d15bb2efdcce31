/* lrvm-internal.h -- private structures and internal prototypes of
   liblrvm.  Nothing here is part of the installed interface.  */

#ifndef LRVM_INTERNAL_H
#define LRVM_INTERNAL_H 1

#include <config.h>

#include <pthread.h>
#include <stdarg.h>
#include <sys/types.h>

#include "lrvm.h"
#include "format.h"

/* Defaults of struct rvm_options.  */
#define LRVM_DEFAULT_THRESHOLD ((uint64_t) 64 << 20)
#define LRVM_DEFAULT_RESERVE ((uint64_t) 1 << 20)
#define LRVM_DEFAULT_MODE 0666u
/* The log grows in steps of this many zeroed bytes.  */
#define LRVM_GROW_STEP ((uint64_t) 1 << 20)
/* Truncation tracks changed memory in blocks of this many bytes.  */
#define LRVM_DIRTY_SHIFT 12
#define LRVM_DIRTY_BLOCK ((size_t) 1 << LRVM_DIRTY_SHIFT)
/* No-flush records are written once this many bytes are buffered.  */
#define LRVM_BUFFER_LIMIT ((size_t) 256 << 10)
/* How long a truncation waits for the transactions of other threads
   that hold segments with records to end (lrvm__quiesce).  */
#define LRVM_QUIESCE_USEC 20000

/* Bytes that a cache line holds at most, on the machines the library
   is known on: data that different threads write at once is kept this
   far apart.  */
#define LRVM_CACHE_LINE 128

/* Stripes of the locks that many threads take at once: a thread
   takes the one its stack picks (lrvm__stripe).  The
   transaction table (trans.c) and the registry of open stores
   (store.c) have this many, and a store as many spare transactions.  */
#define LRVM_STRIPES 16

/* LRVM_PREFETCH (A): start loading the cache line at address A (a
   uintptr_t), which may be any value: a prefetch never faults.  */
#if defined __GNUC__ && __GNUC__ >= 3
# define LRVM_UNLIKELY(x) __builtin_expect (!!(x), 0)
# define LRVM_PRINTF(f, a) __attribute__ ((__format__ (__printf__, f, a)))
# define LRVM_PREFETCH(a) __builtin_prefetch ((const void *) (a))
#else
# define LRVM_UNLIKELY(x) (x)
# define LRVM_PRINTF(f, a)
# define LRVM_PREFETCH(a) ((void) (a))
#endif

/* ------------------------------------------------------------------ */
/* Errors and tracing: error.c.  */

extern int lrvm__verbose_all;
/* Record CODE and a message for the calling thread (rvm_errcode,
   rvm_errmsg), print it when VERBOSE, and return CODE.  */
int lrvm__error (int verbose, int code, const char *fmt, ...)
  LRVM_PRINTF (3, 4);
/* Same, appending strerror (ERR) to the message; RVM_EIO.  */
int lrvm__syserr (int verbose, int err, const char *fmt, ...)
  LRVM_PRINTF (3, 4);
/* One line on stderr when VERBOSE or rvm_verbose (1); the arguments
   are not evaluated otherwise.  */
void lrvm__trace_print (const char *fmt, ...) LRVM_PRINTF (1, 2);
#define lrvm__trace(verbose, ...) \
  do \
    if ((verbose) || lrvm__verbose_all) \
      lrvm__trace_print (__VA_ARGS__); \
  while (0)
/* The errno value classic calls set for CODE, and for the calling
   thread's last failure.  */
int lrvm__errno_for (int code);
int lrvm__last_errno (void);

/* ------------------------------------------------------------------ */
/* System calls: io.c.  Every call retries EINTR and completes short
   transfers; all return 0 on success or -1 with errno set.  */

int lrvm__open_at (int dirfd, const char *name, int flags, mode_t mode);
int lrvm__read_at (int fd, void *buf, size_t len, uint64_t off,
                   size_t *got);
int lrvm__write_at (int fd, const void *buf, size_t len, uint64_t off);
struct iovec;
int lrvm__writev_at (int fd, struct iovec *iov, int count, uint64_t off);
int lrvm__file_size (int fd, uint64_t *size);
int lrvm__resize (int fd, uint64_t size);
int lrvm__unlink_at (int dirfd, const char *name);
int lrvm__rename_at (int dirfd, const char *from, const char *to);
void lrvm__close (int fd);

/* Durability: sync.c, the only file that knows how.  */
int lrvm__flush (int fd);              /* data and size of a file */
int lrvm__flush_dir (int dirfd);       /* entries of a directory */
int lrvm__dsync_flag (void);           /* open flag for DSYNC mode, or 0 */
int lrvm__zero_fill (int fd, uint64_t from, uint64_t to, int flush);
int lrvm__open_range_durable (int dirfd, const char *name);
int lrvm__write_durable (int fd, int dfd, const void *buf, size_t len,
                         uint64_t off);
int lrvm__writev_durable (int fd, int dfd, struct iovec *iov, int count,
                          uint64_t off);
const char *lrvm__sync_method (void);

/* Locks: lock.c.  Take the store lock on FD, or fail with EWOULDBLOCK;
   lrvm__lock_shared takes a reader's lock that excludes handles only.  */
int lrvm__lock (int fd);
int lrvm__lock_shared (int fd);

/* Take the mutex M.  A thread that finds it taken tries again
   LRVM_LOCK_SPINS times, a short loop apart, then yields the processor
   up to LRVM_LOCK_YIELDS times, trying again after each, before it
   sleeps (lrvm__mutex_wait, lock.c): a transaction's calls hold the
   mutexes for well under a microsecond, less than a yield, a sleep and
   a wake-up cost.  */
#define LRVM_LOCK_SPINS 20
#define LRVM_LOCK_YIELDS 10
void lrvm__mutex_wait (pthread_mutex_t *m);

static inline void
lrvm__mutex_lock (pthread_mutex_t *m)
{
  if (pthread_mutex_trylock (m) != 0)
    lrvm__mutex_wait (m);
}

/* The stripe, below LRVM_STRIPES, of the calling thread: a hash of
   where its stack is.  Threads whose stacks lie a megabyte or more
   apart (the usual sizes) mostly get different stripes.  */
static inline unsigned
lrvm__stripe (void)
{
  char here;
  uint32_t a = (uint32_t) ((uintptr_t) &here >> 20);

  return (unsigned) ((a * 2654435761u) >> 28) % LRVM_STRIPES;
}

/* A lock for data that every call reads and few change: LRVM_STRIPES
   mutexes, each on its own cache lines.  A reader takes one, the one
   of its stripe, so that readers on different processors neither wait
   for each other nor share a cache line; a writer takes them all.  */
union lrvm_stripe_mutex
{
  pthread_mutex_t mu;
  char pad[(sizeof (pthread_mutex_t) + 2 * LRVM_CACHE_LINE - 1)
           / LRVM_CACHE_LINE * LRVM_CACHE_LINE];
};
struct lrvm_rlock
{
  union lrvm_stripe_mutex part[LRVM_STRIPES];
};
#define LRVM_RLOCK_PART { PTHREAD_MUTEX_INITIALIZER }
#define LRVM_RLOCK_INITIALIZER { { \
  LRVM_RLOCK_PART, LRVM_RLOCK_PART, LRVM_RLOCK_PART, LRVM_RLOCK_PART, \
  LRVM_RLOCK_PART, LRVM_RLOCK_PART, LRVM_RLOCK_PART, LRVM_RLOCK_PART, \
  LRVM_RLOCK_PART, LRVM_RLOCK_PART, LRVM_RLOCK_PART, LRVM_RLOCK_PART, \
  LRVM_RLOCK_PART, LRVM_RLOCK_PART, LRVM_RLOCK_PART, LRVM_RLOCK_PART } }
typedef char lrvm_rlock_initializer_fits[LRVM_STRIPES == 16 ? 1 : -1];
void lrvm__write_lock (struct lrvm_rlock *l);
void lrvm__write_unlock (struct lrvm_rlock *l);

/* Returns the part to give lrvm__read_unlock.  */
static inline unsigned
lrvm__read_lock (struct lrvm_rlock *l)
{
  unsigned part = lrvm__stripe ();

  lrvm__mutex_lock (&l->part[part].mu);
  return part;
}

static inline void
lrvm__read_unlock (struct lrvm_rlock *l, unsigned part)
{
  pthread_mutex_unlock (&l->part[part].mu);
}

/* Failpoints: failpoint.c, compiled in with --enable-failpoints.
   LRVM_FAILPOINT (name) returns 0, or an errno value to inject; a
   "kill" failpoint does not return.  */
#ifdef LRVM_FAILPOINTS
int lrvm__failpoint (const char *name);
# define LRVM_FAILPOINT(name) lrvm__failpoint (name)
#else
# define LRVM_FAILPOINT(name) 0
#endif

/* Clocks: clock.c.  Microseconds of a monotonic clock where there is
   one.  A condition variable for timed waits, monotonic if the system
   allows (*MONOTONIC tells), and the deadline USEC microseconds from
   now on the clock MONOTONIC names.  */
uint64_t lrvm__now_usec (void);
int lrvm__timed_cond_init (pthread_cond_t *cv, int *monotonic);
struct timespec;
void lrvm__deadline (int monotonic, uint64_t usec, struct timespec *ts);

/* ------------------------------------------------------------------ */
/* Structures.  */

struct lrvm_trans;

/* A mapped segment.  */
struct lrvm_seg
{
  struct lrvm_seg *next, *prev;
  void *base;
  size_t size;                  /* bytes the caller may use */
  size_t maplen;                /* bytes of the mapping */
  struct lrvm_trans *owner;     /* active transaction, or NULL */
  int logged;                   /* has records in the live log */
  /* Blocks (LRVM_DIRTY_BLOCK bytes) that committed records changed
     since the last truncation, one bit each: truncation writes them
     from memory.  NULL if there was no memory for it.  Set under the
     log mutex, read and cleared by a truncation holding the log.  */
  uint64_t *dirty;
  size_t ndirty;                /* bits set in DIRTY */
  /* The memory holds changes the log has not (a no-restore commit that
     failed before its record was appended, a transaction dropped by
     rvm_close): truncation must take this segment from the log.  */
  int diverged;
  size_t namelen;
  uint64_t namehash;            /* of the name, for the index by name */
  /* Zero-filled after the name to its end, which lies beyond
     LRVM_PAD8 (namelen): the record encoder copies it in words.  */
  char name[LRVM_NAME_MAX + 1];
};

/* A set of segment names, for those with records in the live log and
   those a truncation writes from memory: open addressing in CAP slots
   (0 or a power of two, at least twice N), each NULL or a name.  */
struct lrvm_names
{
  char **v;
  size_t n, cap;
};

/* The log.  Protected by MU; the file and TAIL belong to the thread
   that set BUSY.  */
struct lrvm_log
{
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int fd;
  int dfd;                      /* the log for durable writes of a range
                                   (lrvm__open_range_durable), or -1 */
  uint64_t file_size;           /* bytes allocated (zeroed) */
  uint64_t tail;                /* where the next write goes */
  uint64_t flushed_off;         /* records below this offset are durable */
  struct lrvm_header hdr;       /* the header in force */
  uint64_t next_seq;            /* seq of the next record appended */
  uint64_t written_seq;         /* records below this are written */
  uint64_t durable_seq;         /* records below this are durable */
  unsigned char *buf;           /* appended, not yet written */
  size_t buf_len, buf_cap;
  unsigned char *spare;         /* buffer being written by the leader */
  size_t spare_cap;
  int busy;                     /* a thread writes, flushes or truncates
                                   (1, 2), or gathers a batch (3) */
  pthread_cond_t gather_cv;     /* a gathering leader waits here */
  int gather_monotonic;         /* its clock (lrvm__timed_cond_init) */
  unsigned gather_gen;          /* counts gathers: a gatherer whose
                                   batch was taken sees a new one */
  int gather_sleepers;          /* threads waiting on gather_cv */
  uint64_t last_batch;          /* commits the last flush made durable,
                                   and those appended while it ran: the
                                   next gather's goal */
  uint64_t flush_usec;          /* moving average of a flush's duration */
  int failed;                   /* a write or flush failed: refuse all */
  struct lrvm_names names;      /* segments with live records */
  int truncate_wanted;
  int excl_waiting;             /* a truncation waits: appends wait too */
};

struct lrvm_store
{
  /* Set at rvm_open, then only read.  */
  unsigned int magic;
  int dirfd;
  int lockfd;
  dev_t dev;
  ino_t ino;
  struct rvm_options opt;
  mode_t mode;
  char *path;
  struct lrvm_store *next_open; /* registry of open stores */
  /* What the threads of a store's transactions write apart from what
     they read only (above): a cache line that another processor keeps
     writing is read from there.  */
  char pad_ro[LRVM_CACHE_LINE];

  pthread_mutex_t mu;           /* segments and transactions */
  struct lrvm_seg *segs;
  size_t nsegs;                 /* segments in SEGS */
  /* SEGS by base address, then by name: two tables of open
     addressing in SEG_INDEX_CAP slots each (a power of two, at least
     twice NSEGS), so that rvm_begin finds its segments, and rvm_map
     and rvm_unmap their own, however many are mapped; NULL if there
     was no memory for it, and lookups then search the list.  */
  struct lrvm_seg **seg_index;
  size_t seg_index_cap;
  size_t active;                /* active transactions */
  /* A truncation waits on QUIET_CV for active transactions to end
     (lrvm__quiesce); while QUIESCING, rvm_begin waits on BEGIN_CV.  */
  pthread_cond_t quiet_cv, begin_cv;
  int quiet_monotonic;          /* QUIET_CV's clock */
  int quiescing;
  /* Ended transactions, for reuse: one per stripe of the transaction
     table (trans.c), so that each thread mostly reuses its own.  */
  struct lrvm_trans *spare[LRVM_STRIPES];
  char pad_mu[LRVM_CACHE_LINE];

  struct lrvm_log log;
  struct rvm_statistics st;     /* counters, under log.mu */
};

#define LRVM_STORE_MAGIC 0x6c72766du

/* A declared range of a segment, with its undo copy.  */
struct lrvm_range
{
  size_t off, len;
  unsigned char *undo;          /* NULL for no-restore transactions */
};

#define LRVM_TSEG_INLINE 4       /* ranges a segment holds in place */

struct lrvm_tseg
{
  struct lrvm_seg *seg;
  struct lrvm_range *r;         /* sorted, disjoint, not adjacent: INL,
                                   until more are declared */
  size_t n, cap;
  struct lrvm_range inl[LRVM_TSEG_INLINE];
};

/* Memory of a transaction (range arrays, undo copies), allocated by
   bumping and freed all at once when the transaction ends.  */
struct lrvm_chunk
{
  struct lrvm_chunk *next;
  size_t cap, used;
  /* data follows, aligned to 16 */
};

#define LRVM_TRANS_INLINE 4096  /* first chunk's bytes */

struct lrvm_trans
{
  trans_t tid;
  struct lrvm_trans *tt_next;   /* chain of the transaction table */
  struct lrvm_store *store;
  pthread_t thread;             /* the thread that began it */
  unsigned int flags;
  size_t nsegs, seg_cap;
  struct lrvm_tseg *segs;       /* seg_cap of them, after the struct */
  struct lrvm_chunk *chunks;    /* newest first; the last is inline */
};

/* ------------------------------------------------------------------ */
/* store.c */
int lrvm__store_check (rvm_t rvm, const char *fn);
void lrvm__store_release_segments (struct lrvm_store *s);

/* segment.c */
struct lrvm_seg *lrvm__seg_find (struct lrvm_store *s, const void *base);
void lrvm__seg_index_free (struct lrvm_store *s);
void lrvm__seg_unmap_all (struct lrvm_store *s);

/* trans.c */
void lrvm__trans_free (struct lrvm_trans *t);
void lrvm__trans_free_spare (struct lrvm_store *s);
void lrvm__trans_drop_store (struct lrvm_store *s);

/* names */
int lrvm__names_add (struct lrvm_names *ns, const char *name, size_t len);
int lrvm__names_has (const struct lrvm_names *ns, const char *name);
int lrvm__names_has_n (const struct lrvm_names *ns, const char *name,
                       size_t len);
void lrvm__names_clear (struct lrvm_names *ns);

/* log.c */
int lrvm__log_init (struct lrvm_log *log);
void lrvm__log_destroy (struct lrvm_log *log);
int lrvm__log_commit (struct lrvm_store *s, struct lrvm_trans *t,
                      int durable, int *appended, int *truncate);
int lrvm__log_flush (struct lrvm_store *s);
int lrvm__log_truncate_wanted (struct lrvm_store *s);
int lrvm__log_exclusive (struct lrvm_store *s, int durable);
int lrvm__log_flush_held (struct lrvm_store *s);
void lrvm__log_release (struct lrvm_store *s);
int lrvm__log_write_header (struct lrvm_store *s, struct lrvm_header *h);
int lrvm__log_read_header (int fd, struct lrvm_header *h);
int lrvm__log_create (struct lrvm_store *s);

/* recover.c: scan the log of FD from the header H.  CB is called for
   each valid record in order; a nonzero return stops the scan and is
   returned.  *END gets the offset after the last valid record,
   *NEXT_SEQ the sequence number after it, *TORN whether anything that
   is not zero follows it.  */
typedef int (*lrvm_record_fn) (void *ctx, const unsigned char *rec,
                               size_t len, uint64_t seq, uint64_t off);
int lrvm__log_scan (int fd, uint64_t file_size, const struct lrvm_header *h,
                    lrvm_record_fn cb, void *ctx, uint64_t *end,
                    uint64_t *next_seq, int *torn);
int lrvm__log_follow (int fd, uint64_t file_size, struct lrvm_header *h,
                      int *adopted, uint64_t *end, uint64_t *next_seq,
                      int *torn);
/* The scan's read window (1 MiB); tests may set a smaller one, of at
   least LRVM_REC_HDR_SIZE bytes, before they scan.  */
extern size_t lrvm__scan_window;
int lrvm__recover (struct lrvm_store *s);

/* apply.c: a page image of the segment files for replay.  */
struct lrvm_applier;
struct lrvm_applier *lrvm__applier_new (struct lrvm_store *s);
/* Entries of the segments named in SKIP are not applied (their files
   were written from memory).  */
void lrvm__applier_skip (struct lrvm_applier *a,
                         const struct lrvm_names *skip);
int lrvm__applier_record (void *ctx, const unsigned char *rec, size_t len,
                          uint64_t seq, uint64_t off);
int lrvm__applier_finish (struct lrvm_applier *a);
uint64_t lrvm__applier_records (const struct lrvm_applier *a);
int lrvm__applier_failed (const struct lrvm_applier *a);
void lrvm__applier_free (struct lrvm_applier *a);

/* truncate.c: apply the records of the log from the header to END to
   the segment files (except those of the segments named in SKIP, if
   not NULL, which the caller wrote; none at all if SKIP names every
   segment of the log, ALL), make them durable, and advance the header
   so that the log is empty with the next record NEXT_SEQ, in an epoch
   EPOCH_STEP after the current one.  The caller holds the log
   exclusively.  */
int lrvm__apply_and_reset (struct lrvm_store *s, uint64_t end,
                           uint64_t next_seq, uint32_t epoch_step,
                           const struct lrvm_names *skip, int all,
                           uint64_t *records);
int lrvm__truncate_locked (struct lrvm_store *s, int shrink);
int lrvm__quiesce (struct lrvm_store *s);

#endif /* LRVM_INTERNAL_H */
