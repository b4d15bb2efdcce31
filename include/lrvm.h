/* lrvm.h -- recoverable virtual memory.

   Public interface of liblrvm: the classic RVM calls, which report
   failures through errno, and the full API, whose calls return a status
   code.  See the lrvm manual (info lrvm) for the complete reference.  */

#ifndef LRVM_H
#define LRVM_H 1

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined LRVM_BUILDING && defined __GNUC__ && __GNUC__ >= 4
# define LRVM_EXTERN extern __attribute__ ((__visibility__ ("default")))
#else
# define LRVM_EXTERN extern
#endif

#define LRVM_VERSION_MAJOR 0
#define LRVM_VERSION_MINOR 1
#define LRVM_VERSION_PATCH 0
#define LRVM_VERSION_STRING "0.1.0"

/* A handle on an open store (one directory).  */
typedef struct lrvm_store *rvm_t;

/* A transaction identifier.  (trans_t) -1 means "no transaction".  */
typedef int trans_t;

/* ------------------------------------------------------------------ */
/* The classic API.  Every failure sets errno; rvm_errcode () and
   rvm_errmsg () describe the last failure of the calling thread.  */

LRVM_EXTERN rvm_t rvm_init (const char *directory);
LRVM_EXTERN void *rvm_map (rvm_t rvm, const char *segname,
                           int size_to_create);
LRVM_EXTERN void rvm_unmap (rvm_t rvm, void *segbase);
LRVM_EXTERN void rvm_destroy (rvm_t rvm, const char *segname);
LRVM_EXTERN trans_t rvm_begin_trans (rvm_t rvm, int numsegs,
                                     void **segbases);
LRVM_EXTERN void rvm_about_to_modify (trans_t tid, void *segbase,
                                      int offset, int size);
LRVM_EXTERN void rvm_commit_trans (trans_t tid);
LRVM_EXTERN void rvm_abort_trans (trans_t tid);
LRVM_EXTERN void rvm_truncate_log (rvm_t rvm);
LRVM_EXTERN void rvm_verbose (int enable_flag);

/* ------------------------------------------------------------------ */
/* Status codes of the full API.  0 is success.  */

enum
{
  RVM_OK = 0,
  RVM_EINVAL = 1,       /* invalid argument (NULL, size, flags) */
  RVM_ENAME,            /* invalid segment name */
  RVM_EHANDLE,          /* not an open store handle */
  RVM_EBUSY,            /* store held by another handle or process */
  RVM_EMAPPED,          /* segment is mapped */
  RVM_ENOTMAPPED,       /* address is not a mapped segment of the store */
  RVM_ETRANS,           /* unknown or finished transaction */
  RVM_EINTRANS,         /* segment is part of an active transaction */
  RVM_ENOTINTRANS,      /* segment is not part of this transaction */
  RVM_ERANGE,           /* offset or size outside the segment */
  RVM_ENOMEM,           /* out of memory */
  RVM_EIO,              /* a system call failed; see rvm_errmsg () */
  RVM_ECORRUPT,         /* the log header is damaged */
  RVM_EVERSION,         /* the log was written by a newer format */
  RVM_ENORESTORE,       /* abort of a no-restore transaction */
  RVM_EFAILED,          /* an earlier log write or flush failed */
  RVM_ENOENT,           /* no such segment */
  RVM_ERRMAX
};

/* The message for a status code (never NULL).  */
LRVM_EXTERN const char *rvm_strerror (int code);
/* The status code and the detailed message of the calling thread's last
   failed call (0 and "" if none failed yet).  */
LRVM_EXTERN int rvm_errcode (void);
LRVM_EXTERN const char *rvm_errmsg (void);

/* ------------------------------------------------------------------ */
/* The full API.  */

/* How commits are made durable.  */
enum
{
  RVM_SYNC_FLUSH = 0,   /* write, then fdatasync/fsync (default) */
  RVM_SYNC_DSYNC = 1,   /* O_DSYNC writes: durable when written */
  RVM_SYNC_NONE = 2     /* never flush: for throwaway stores */
};

/* Options for rvm_open.  Initialize with rvm_options_init (), which
   sets SIZE; fields added in later versions are appended, and the
   library reads only the first SIZE bytes.  */
struct rvm_options
{
  size_t size;                  /* sizeof (struct rvm_options) */
  int sync_mode;                /* RVM_SYNC_* */
  int verbose;                  /* one line on stderr per call */
  uint64_t truncate_threshold;  /* log bytes that trigger truncation */
  uint64_t log_reserve;         /* log bytes kept after truncation */
  unsigned int file_mode;       /* mode of created files, before umask */
};

LRVM_EXTERN void rvm_options_init (struct rvm_options *options);
LRVM_EXTERN int rvm_open (const char *directory,
                          const struct rvm_options *options, rvm_t *rvm);
LRVM_EXTERN int rvm_close (rvm_t rvm);

LRVM_EXTERN int rvm_map_segment (rvm_t rvm, const char *segname,
                                 size_t size, void **base, size_t *mapped);
LRVM_EXTERN int rvm_unmap_segment (rvm_t rvm, void *base);
LRVM_EXTERN int rvm_destroy_segment (rvm_t rvm, const char *segname);

/* Flags of rvm_begin.  */
#define RVM_NO_RESTORE 0x1u     /* keep no undo copy; abort is refused */

LRVM_EXTERN int rvm_begin (rvm_t rvm, size_t nsegs, void *const *segbases,
                           unsigned int flags, trans_t *tid);
LRVM_EXTERN int rvm_modify (trans_t tid, void *segbase, size_t offset,
                            size_t size);
LRVM_EXTERN int rvm_set_range (trans_t tid, void *addr, size_t size);

/* Flags of rvm_commit.  */
#define RVM_NO_FLUSH 0x1u       /* durable at the next flush */

LRVM_EXTERN int rvm_commit (trans_t tid, unsigned int flags);
LRVM_EXTERN int rvm_abort (trans_t tid);
LRVM_EXTERN int rvm_flush (rvm_t rvm);
LRVM_EXTERN int rvm_truncate (rvm_t rvm);

struct rvm_statistics
{
  uint64_t commits;             /* durable commits */
  uint64_t commits_noflush;     /* no-flush commits */
  uint64_t aborts;
  uint64_t bytes_logged;        /* record bytes appended to the log */
  uint64_t flushes;             /* log flushes made for commits */
  uint64_t flushed_commits;     /* commits made durable by those flushes */
  uint64_t truncations;
  uint64_t log_size;            /* current size of the log file */
  uint64_t log_used;            /* bytes of live records */
  uint64_t recovery_usec;       /* duration of the last recovery */
  uint64_t recovery_records;    /* records it replayed */
  uint64_t truncated_blocks;    /* 4 KiB blocks truncations wrote from
                                   mapped segments' memory */
  uint64_t truncated_records;   /* records they applied from the log */
  uint64_t checkpoints;         /* truncations that wrote a checkpoint
                                   instead of flushing the log */
};

/* Fill STATS, of SIZE bytes (sizeof (struct rvm_statistics)).  */
LRVM_EXTERN int rvm_stats (rvm_t rvm, struct rvm_statistics *stats,
                           size_t size);

#ifdef __cplusplus
}
#endif

#endif /* LRVM_H */
