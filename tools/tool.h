/* tool.h -- what the parts of the lrvm command share: the read-only
   view of a store (inspect.c) and the messages and exit codes of the
   command line (lrvm.c).  */

#ifndef LRVM_TOOL_H
#define LRVM_TOOL_H 1

#include "lrvm-internal.h"

#include <stdio.h>

/* Exit codes.  */
#define EXIT_OK 0
#define EXIT_FAIL 1             /* damage found, or the operation failed */
#define EXIT_USAGE 2

/* Print "lrvm: " and the message on stderr.  */
void tool_error (const char *fmt, ...) LRVM_PRINTF (1, 2);
void tool_note (const char *fmt, ...) LRVM_PRINTF (1, 2);

/* ------------------------------------------------------------------ */
/* inspect.c: a store opened for reading.  Nothing in inspect.c
   creates, writes or recovers anything.  */

struct ro_store
{
  const char *path;
  int dirfd;
  int lockfd;                   /* -1: the store has no lock file */
  int logfd;                    /* -1: the store has no log */
  uint64_t log_size;
};

/* Open the directory DIR and take a shared lock on its lock file, if
   it has one, so that no handle can open the store while it is read;
   then open its log if it exists.  Returns 0, or prints why not
   (a store held by a handle: "held") and returns EXIT_FAIL.  */
int ro_open (const char *dir, struct ro_store *s);
/* Release the lock and the descriptors.  */
void ro_close (struct ro_store *s);
/* ro_open, and fail (with a message) unless the store has a log that
   is at least as long as its header block.  */
int ro_open_log (const char *dir, struct ro_store *s);

/* The state of one header slot.  */
enum slot_state
{
  SLOT_VALID,
  SLOT_EMPTY,                   /* all zeros: never written */
  SLOT_INVALID,                 /* does not check */
  SLOT_FUTURE                   /* valid, of a format this lrvm cannot read */
};

struct slot
{
  enum slot_state state;
  struct lrvm_header h;
};

/* Read the two header slots of S's log into SLOTS.  0, or EXIT_FAIL
   with a message.  */
int ro_read_slots (struct ro_store *s, struct slot slots[LRVM_HDR_SLOTS]);
/* The header in force, as the library chooses it: 0, or EXIT_FAIL with
   a message (no slot checks, or a newer format).  */
int ro_header (struct ro_store *s, struct lrvm_header *h);

/* What a scan of the live log found.  */
struct scan_result
{
  uint64_t end;                 /* offset after the last live record */
  uint64_t next_seq;            /* sequence number after it */
  int torn;                     /* something other than zeros or older
                                   records follows */
  uint64_t records;             /* live records */
  uint64_t bytes;               /* bytes of live records */
};

/* Scan the live records of S from header H, calling CB (if not NULL)
   for each, in order.  0, or EXIT_FAIL with a message.  */
int ro_scan (struct ro_store *s, const struct lrvm_header *h,
             lrvm_record_fn cb, void *ctx, struct scan_result *r);

/* Valid records beyond the end of the live log, which recovery will
   never replay: records of the header's epoch numbered from the end's
   sequence number on, and records of a newer epoch than the header's.
   A log holds such records only after damage (a bit flip that ends the
   log early, or a lost newest header slot) or after a crash tore a
   group of records that were written together but not yet flushed.  */
struct lost_result
{
  uint64_t count;               /* of the header's epoch */
  uint64_t first_seq, last_seq, first_off;
  uint64_t newer;               /* of a newer epoch */
  uint32_t newer_epoch;
  uint64_t newer_off;
};

int ro_find_lost (struct ro_store *s, const struct lrvm_header *h,
                  const struct scan_result *sr, struct lost_result *lost);

/* A directory entry that is not hidden: a segment file, or something
   that should not be there.  */
struct dir_entry
{
  char *name;
  int regular;                  /* a regular file (not followed) */
  int name_ok;                  /* a valid segment name */
  uint64_t size;
};

/* The entries of S's directory whose names do not start with '.',
   sorted by name.  0, or EXIT_FAIL with a message.  */
int ro_list (struct ro_store *s, struct dir_entry **v, size_t *n);
void ro_list_free (struct dir_entry *v, size_t n);

/* The committed contents of one segment: its file with the live
   records for it laid over, as recovery would write them.  */
struct ro_segment
{
  struct ro_store *s;
  const char *name;
  int fd;                       /* -1: the file is missing */
  uint64_t file_size;
  uint64_t size;                /* committed size */
  struct ro_piece
  {
    uint64_t off;               /* in the segment */
    uint64_t len;
    uint64_t log_off;           /* of the new value in the log */
  } *v;
  size_t n, cap;
};

/* Open segment NAME of S (already scanned from H).  0, or EXIT_FAIL
   with a message; a missing file with no live records is an error, a
   missing file with records is not (recovery would create it).  */
int ro_segment_open (struct ro_store *s, const struct lrvm_header *h,
                     const char *name, struct ro_segment *g);
/* Read LEN committed bytes at OFF (within g->size) into BUF.  */
int ro_segment_read (struct ro_segment *g, unsigned char *buf, size_t len,
                     uint64_t off);
void ro_segment_close (struct ro_segment *g);

#endif /* LRVM_TOOL_H */
