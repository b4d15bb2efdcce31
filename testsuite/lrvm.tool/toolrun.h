/* toolrun.h -- scaffolding for the tests of the lrvm command: running
   the built tool and capturing what it says, snapshots of a store
   directory, and stores built through the library with a model of
   what they committed.  */

#ifndef LRVM_TOOLRUN_H
#define LRVM_TOOLRUN_H 1

#include <stddef.h>
#include <stdint.h>

/* t_init, and take the path of the tool from argv[1].  */
void tr_init (int argc, char **argv);

/* One run of the tool.  */
struct tr_result
{
  int code;                     /* exit status; 128 + signal if killed */
  char *out, *err;              /* NUL-terminated */
  size_t outlen, errlen;
};

/* Run the tool with the arguments given, up to a NULL.  */
void tr_run (struct tr_result *r, ...);
void tr_free (struct tr_result *r);

/* The text after "PREFIX" at the start of a line of R's stdout, or
   NULL.  */
const char *tr_line (const struct tr_result *r, const char *prefix);
/* The number after PREFIX: 0, or -1 if there is no such line.  */
int tr_u64 (const struct tr_result *r, const char *prefix, uint64_t *v);
/* Nonzero if R exited with CODE and said "lrvm: ..." on stderr, as
   the tool does when it fails.  */
int tr_failed (const struct tr_result *r, int code);

/* Everything in DIR, dot-files included: names, types, modes, sizes
   and contents, in one buffer (sorted by name, so two snapshots of an
   unchanged directory are equal).  */
struct tr_snap
{
  unsigned char *p;
  size_t len;
};
void tr_snapshot (const char *dir, struct tr_snap *s);
int tr_snap_equal (const struct tr_snap *a, const struct tr_snap *b);
void tr_snap_free (struct tr_snap *s);

/* Read all of DIR/NAME: a malloc'ed buffer, its length in *LEN, or
   NULL if it cannot be read.  */
unsigned char *tr_read_file (const char *dir, const char *name,
                             size_t *len);

/* A store built through the library, and what it committed.  Two
   segments; phase one commits some transactions and closes, and the
   store is opened again, which applies them to the files; phase two
   commits NREC more and closes, leaving them live in the log.  */
#define TR_NSEG 2
#define TR_MAXREC 64
#define TR_MAXRANGE 8

struct tr_range
{
  int seg;
  size_t off, len;
  unsigned char *data;          /* the new value */
};

struct tr_record
{
  uint64_t seq;
  size_t nranges;
  struct tr_range r[TR_MAXRANGE];
  size_t length;                /* of the record in the log */
  unsigned char *before[TR_NSEG];       /* committed contents before it */
};

struct tr_store
{
  char *dir;
  const char *name[TR_NSEG];
  size_t size[TR_NSEG];
  unsigned char *file[TR_NSEG];         /* what the files hold */
  unsigned char *seg[TR_NSEG];          /* the committed contents */
  int nrec;                             /* live records */
  struct tr_record rec[TR_MAXREC];
  uint64_t first_seq;
  uint64_t log_used;                    /* rvm_stats before the close */
};

/* Build the store of TAG with NREC live records, from RNG.  */
void tr_store_build (struct tr_store *s, const char *tag, int nrec,
                     uint64_t *rng);
void tr_store_free (struct tr_store *s);

/* Record R's expected "ranges" text, e.g. "alpha:0+13 beta:7+40".  */
void tr_ranges_text (const struct tr_store *s, const struct tr_record *r,
                     char *buf, size_t size);

#endif
