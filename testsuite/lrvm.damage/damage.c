/* damage.c -- damaged stores: a log cut at every offset, flipped bits
   in records and header slots, garbage, a wrong magic, a future format
   version, huge lengths, missing and short segment files.  Opening must
   recover exactly the valid prefix of committed transactions, or refuse
   with a clear error; it must never crash nor drop a record that
   checks.  */

#include <config.h>

#include "lrvm-internal.h"
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NTRANS 12
#define SEGSIZE 8192

static const char *const segnames[2] = { "alpha", "beta" };

/* Transaction I (1-based) writes pattern bytes into ranges that depend
   on I, in one or both segments.  */
static void
trans_ranges (int i, int *nr, int seg[3], size_t off[3], size_t len[3])
{
  *nr = 1 + i % 3;
  for (int k = 0; k < *nr; k++)
    {
      seg[k] = (i + k) % 2;
      len[k] = 1 + (size_t) ((i * 37 + k * 101) % 700);
      off[k] = (size_t) ((i * 997 + k * 2003) % (SEGSIZE - len[k]));
    }
}

static unsigned char
pattern (int i, int k, size_t j)
{
  return (unsigned char) (i * 31 + k * 7 + j);
}

/* The contents of both segments after the first K transactions.  */
static void
expected (int k, unsigned char out[2][SEGSIZE])
{
  memset (out, 0, 2 * SEGSIZE);
  for (int i = 1; i <= k; i++)
    {
      int nr, seg[3];
      size_t off[3], len[3];
      trans_ranges (i, &nr, seg, off, len);
      for (int r = 0; r < nr; r++)
        for (size_t j = 0; j < len[r]; j++)
          out[seg[r]][off[r] + j] = pattern (i, r, j);
    }
}

/* Build the pristine store: NTRANS commits left in the log.  */
static void
build (const char *dir)
{
  rvm_t rvm;
  void *b[2];

  if (rvm_open (dir, NULL, &rvm) != 0
      || rvm_map_segment (rvm, segnames[0], SEGSIZE, &b[0], NULL) != 0
      || rvm_map_segment (rvm, segnames[1], SEGSIZE, &b[1], NULL) != 0)
    t_bail ("build: %s", rvm_errmsg ());
  for (int i = 1; i <= NTRANS; i++)
    {
      int nr, seg[3];
      size_t off[3], len[3];
      trans_t tid;
      trans_ranges (i, &nr, seg, off, len);
      if (rvm_begin (rvm, 2, b, 0, &tid) != 0)
        t_bail ("build: begin: %s", rvm_errmsg ());
      for (int r = 0; r < nr; r++)
        {
          rvm_modify (tid, b[seg[r]], off[r], len[r]);
          for (size_t j = 0; j < len[r]; j++)
            ((unsigned char *) b[seg[r]])[off[r] + j] = pattern (i, r, j);
        }
      if (rvm_commit (tid, 0) != 0)
        t_bail ("build: commit: %s", rvm_errmsg ());
    }
  rvm_close (rvm);
}

static unsigned char *
slurp (const char *dir, const char *name, size_t *len)
{
  char path[4096];
  struct stat st;
  unsigned char *buf;
  int fd;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  fd = open (path, O_RDONLY);
  if (fd < 0 || fstat (fd, &st) != 0)
    t_bail ("open %s: %s", path, strerror (errno));
  buf = malloc ((size_t) st.st_size + 1);
  if (buf == NULL || read (fd, buf, (size_t) st.st_size) != st.st_size)
    t_bail ("read %s", path);
  close (fd);
  *len = (size_t) st.st_size;
  return buf;
}

static void
spit (const char *dir, const char *name, const unsigned char *buf,
      size_t len)
{
  char path[4096];
  int fd;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || (len > 0 && write (fd, buf, len) != (ssize_t) len))
    t_bail ("write %s: %s", path, strerror (errno));
  close (fd);
}

/* The pristine files.  */
static unsigned char *plog, *pseg[2];
static size_t plog_len, pseg_len[2];
/* Offsets and lengths of the records in the pristine log.  */
static uint64_t rec_off[NTRANS + 1], rec_len[NTRANS + 1];
static int nrec;

static int
note_record (void *ctx, const unsigned char *rec, size_t len, uint64_t seq,
             uint64_t off)
{
  (void) ctx;
  (void) rec;
  (void) seq;
  if (nrec < NTRANS)
    {
      rec_off[nrec] = off;
      rec_len[nrec] = len;
    }
  nrec++;
  return 0;
}

/* A copy of the pristine store with LOG (LOG_LEN bytes) as its log.  */
static char *
make_copy (const unsigned char *log, size_t log_len)
{
  char *d = t_tmpdir ("damage-trial");
  spit (d, LRVM_LOG_NAME, log, log_len);
  spit (d, segnames[0], pseg[0], pseg_len[0]);
  spit (d, segnames[1], pseg[1], pseg_len[1]);
  return d;
}

/* Trials need no durability: their stores are thrown away.  */
static struct rvm_options trial_options;

/* Check that WHY (a check_state result) is NULL, under the name made
   of FMT: the same name whether it passes or fails, WHY in a note.  */
static void
check_why (const char *why, const char *fmt, ...)
{
  char name[256];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (name, sizeof name, fmt, ap);
  va_end (ap);
  if (why != NULL)
    t_note ("%s: %s", name, why);
  t_check (why == NULL, "%s", name);
}

/* Open the store D and compare both segments with the state after K
   transactions.  Returns 0 if equal, else a description.  */
static const char *
check_state (const char *d, int k)
{
  static unsigned char want[2][SEGSIZE];
  static char why[256];
  rvm_t rvm;
  void *b;
  int r;

  expected (k, want);
  if ((r = rvm_open (d, &trial_options, &rvm)) != 0)
    {
      snprintf (why, sizeof why, "open failed: %s", rvm_errmsg ());
      return why;
    }
  for (int s = 0; s < 2; s++)
    {
      if (rvm_map_segment (rvm, segnames[s], SEGSIZE, &b, NULL) != 0)
        {
          snprintf (why, sizeof why, "map failed: %s", rvm_errmsg ());
          rvm_close (rvm);
          return why;
        }
      if (memcmp (b, want[s], SEGSIZE) != 0)
        {
          snprintf (why, sizeof why, "segment %s differs from the state"
                    " after %d transactions", segnames[s], k);
          rvm_close (rvm);
          return why;
        }
      rvm_unmap_segment (rvm, b);
    }
  rvm_close (rvm);
  return NULL;
}

/* Records wholly inside the first LEN bytes.  */
static int
records_within (uint64_t len)
{
  int k = 0;
  while (k < NTRANS && rec_off[k] + rec_len[k] <= len)
    k++;
  return k;
}

static void
test_cuts (void)
{
  uint64_t cut;
  int bad = 0, trials = 0, refused_ok = 1;
  const char *why = NULL;
  uint64_t first_bad = 0;

  uint64_t last = rec_off[NTRANS - 1] + rec_len[NTRANS - 1];

  /* Every offset through the first two records, every 7th after, up to
     a little past the last record (the rest of the file is zeros).  */
  for (cut = 0; cut <= last + 64; cut += (cut < LRVM_LOG_DATA_START ? 512
                                          : cut < rec_off[2] ? 1 : 7))
    {
      char *d = make_copy (plog, (size_t) cut);
      trials++;
      if (cut < LRVM_LOG_DATA_START)
        {
          rvm_t rvm;
          int r = rvm_open (d, NULL, &rvm);
          if (r != RVM_ECORRUPT)
            {
              refused_ok = 0;
              if (r == 0)
                rvm_close (rvm);
            }
        }
      else if ((why = check_state (d, records_within (cut))) != NULL)
        {
          if (!bad++)
            first_bad = cut;
          t_note ("cut at %llu: %s", (unsigned long long) cut, why);
        }
      t_rmdir (d);
      free (d);
    }
  t_check (refused_ok, "cut: a log shorter than its header block is"
           " refused with RVM_ECORRUPT");
  if (bad)
    t_note ("cut: %d of %d cuts recover wrongly, the first at %llu", bad,
            trials, (unsigned long long) first_bad);
  else
    t_note ("cut: %d cuts", trials);
  t_check (bad == 0, "cut: a log cut at any offset recovers exactly its"
           " whole records");
}

static void
test_bitflips (uint64_t seed)
{
  int bad = 0, trials = 0;
  unsigned char *log = malloc (plog_len);
  uint64_t st = seed;

  for (int t = 0; t < 400; t++)
    {
      int j = (int) (t_rand (&st) % NTRANS);
      uint64_t at = rec_off[j] + t_rand (&st) % rec_len[j];
      int bit = (int) (t_rand (&st) % 8);
      const char *why;
      char *d;

      memcpy (log, plog, plog_len);
      log[at] ^= (unsigned char) (1 << bit);
      d = make_copy (log, plog_len);
      trials++;
      if ((why = check_state (d, j)) != NULL)
        {
          if (!bad++)
            t_note ("bit %d of byte %llu (record %d): %s", bit,
                    (unsigned long long) at, j, why);
        }
      t_rmdir (d);
      free (d);
    }
  free (log);
  t_check (bad == 0, "bitflip: a flipped bit in record j recovers exactly"
           " records before j (%d trials)", trials);
}

static void
test_garbage (uint64_t seed)
{
  uint64_t st = seed;
  size_t extra = 8192;
  unsigned char *log = malloc (plog_len + extra);
  const char *why;
  char *d;

  /* Garbage after the last record.  */
  memcpy (log, plog, plog_len);
  for (size_t i = 0; i < extra; i++)
    log[rec_off[NTRANS - 1] + rec_len[NTRANS - 1] + i] = (unsigned char)
      t_rand (&st);
  d = make_copy (log, (size_t) (rec_off[NTRANS - 1] + rec_len[NTRANS - 1]
                                + extra));
  why = check_state (d, NTRANS);
  check_why (why, "garbage: garbage after the last record keeps every"
             " record");
  t_rmdir (d);
  free (d);

  /* Garbage over record 5 onwards.  */
  memcpy (log, plog, plog_len);
  for (uint64_t i = rec_off[5]; i < plog_len; i++)
    log[i] = (unsigned char) t_rand (&st);
  d = make_copy (log, plog_len);
  why = check_state (d, 5);
  check_why (why, "garbage: garbage from record 5 on recovers records"
             " 0-4");
  t_rmdir (d);
  free (d);

  /* A huge length in record 3, checksum fixed up: the scan must not
     trust it.  */
  memcpy (log, plog, plog_len);
  lrvm_put32 (log + rec_off[3] + 8, 0xfffffff8u);
  lrvm__record_seal (log + rec_off[3], rec_len[3]);
  d = make_copy (log, plog_len);
  why = check_state (d, 3);
  check_why (why, "garbage: a huge record length ends the log there");
  t_rmdir (d);
  free (d);
  free (log);
}

/* Rewrite header slot I of LOG with H (valid checksum).  */
static void
put_slot (unsigned char *log, int i, const struct lrvm_header *h)
{
  lrvm__header_encode (log + i * LRVM_HDR_SLOT_SIZE, h);
}

static void
test_headers (void)
{
  unsigned char *log = malloc (plog_len);
  struct lrvm_header h[2];
  int valid[2], newest, r;
  const char *why;
  rvm_t rvm;
  char *d;

  for (int i = 0; i < 2; i++)
    valid[i] = lrvm__header_decode (plog + i * LRVM_HDR_SLOT_SIZE, &h[i])
               == 0;
  if (!valid[0] || !valid[1])
    t_bail ("headers: the pristine log should have two valid slots");
  newest = h[1].generation > h[0].generation;

  /* The newest slot damaged: the records still count.  */
  memcpy (log, plog, plog_len);
  log[newest * LRVM_HDR_SLOT_SIZE + 30] ^= 0x10;
  d = make_copy (log, plog_len);
  why = check_state (d, NTRANS);
  check_why (why, "header: a damaged newest slot loses no record");
  t_rmdir (d);
  free (d);

  /* The older slot damaged.  */
  memcpy (log, plog, plog_len);
  log[!newest * LRVM_HDR_SLOT_SIZE + 100] ^= 0x01;
  d = make_copy (log, plog_len);
  why = check_state (d, NTRANS);
  check_why (why, "header: a damaged older slot loses no record");
  t_rmdir (d);
  free (d);

  /* Both damaged, or a wrong magic: refused.  */
  memcpy (log, plog, plog_len);
  log[0] ^= 0xff;
  log[LRVM_HDR_SLOT_SIZE] ^= 0xff;
  d = make_copy (log, plog_len);
  r = rvm_open (d, NULL, &rvm);
  t_note ("both slots with a wrong magic: %s", rvm_errmsg ());
  t_check (r == RVM_ECORRUPT && strstr (rvm_errmsg (), "header") != NULL,
           "header: both slots with a wrong magic are refused");
  if (r == 0)
    rvm_close (rvm);
  {
    /* ...and nothing was changed by the refusal.  */
    size_t n;
    unsigned char *after = slurp (d, LRVM_LOG_NAME, &n);
    t_check (n == plog_len && memcmp (after, log, n) == 0,
             "header: a refused log is left as it was");
    free (after);
  }
  t_rmdir (d);
  free (d);

  /* A future major version in the newest slot.  */
  memcpy (log, plog, plog_len);
  {
    struct lrvm_header fut = h[newest];
    fut.major = LRVM_FORMAT_MAJOR + 1;
    put_slot (log, newest, &fut);
  }
  d = make_copy (log, plog_len);
  r = rvm_open (d, NULL, &rvm);
  t_note ("a future format version: %s", rvm_errmsg ());
  t_check (r == RVM_EVERSION, "header: a future format version is refused"
           " with RVM_EVERSION");
  if (r == 0)
    rvm_close (rvm);
  t_rmdir (d);
  free (d);

  /* An unknown incompatible feature flag.  */
  memcpy (log, plog, plog_len);
  {
    struct lrvm_header fut = h[newest];
    fut.incompat = 1;
    put_slot (log, newest, &fut);
  }
  d = make_copy (log, plog_len);
  r = rvm_open (d, NULL, &rvm);
  t_note ("an unknown incompatible feature: %s", rvm_errmsg ());
  t_check (r == RVM_EVERSION, "header: an unknown incompatible feature is"
           " refused with RVM_EVERSION");
  if (r == 0)
    rvm_close (rvm);
  t_rmdir (d);
  free (d);
  free (log);
}

static void
test_segment_files (void)
{
  static unsigned char want[2][SEGSIZE];
  const char *why;
  char *d;
  char path[4096];
  rvm_t rvm;
  void *b;
  size_t mapped = 0;

  /* A segment file missing while the log has records for it.  */
  d = make_copy (plog, plog_len);
  snprintf (path, sizeof path, "%s/%s", d, segnames[1]);
  unlink (path);
  /* Records recreate the bytes they hold; the rest is zeros, exactly as
     in the expected state, since the pristine file was all zeros.  */
  why = check_state (d, NTRANS);
  check_why (why, "segment: a missing segment file is rebuilt from"
             " its records");
  t_rmdir (d);
  free (d);

  /* A short segment file: mapping grows it with zeros.  */
  d = make_copy (plog, plog_len);
  expected (NTRANS, want);
  if (rvm_open (d, NULL, &rvm) != 0)
    t_bail ("short: open: %s", rvm_errmsg ());
  rvm_close (rvm);
  snprintf (path, sizeof path, "%s/%s", d, segnames[0]);
  if (truncate (path, 100) != 0)
    t_bail ("truncate: %s", strerror (errno));
  if (rvm_open (d, NULL, &rvm) != 0
      || rvm_map_segment (rvm, segnames[0], SEGSIZE, &b, &mapped) != 0)
    t_bail ("short: reopen: %s", rvm_errmsg ());
  {
    int ok = mapped == SEGSIZE && memcmp (b, want[0], 100) == 0;
    for (size_t i = 100; ok && i < SEGSIZE; i++)
      ok = ((unsigned char *) b)[i] == 0;
    t_check (ok, "segment: a short segment file maps grown with zeros");
  }
  rvm_close (rvm);
  t_rmdir (d);
  free (d);

  /* A segment file replaced by a directory: a clear error.  */
  d = make_copy (plog, plog_len);
  snprintf (path, sizeof path, "%s/%s", d, segnames[0]);
  unlink (path);
  mkdir (path, 0755);
  {
    int r = rvm_open (d, NULL, &rvm);
    t_note ("a directory in place of a segment file: %s", rvm_errmsg ());
    t_check (r == RVM_EIO && strstr (rvm_errmsg (), segnames[0]) != NULL,
             "segment: a directory in place of a segment file is reported");
    if (r == 0)
      rvm_close (rvm);
  }
  t_rmdir (d);
  free (d);
}

int
main (int argc, char **argv)
{
  char *d;
  struct lrvm_header h;
  uint64_t end, next;
  int torn = 0, fd;
  uint64_t seed;

  t_init (argc, argv);
  rvm_options_init (&trial_options);
  trial_options.sync_mode = RVM_SYNC_NONE;
  seed = t_seed ("damage");
  d = t_tmpdir ("damage");
  build (d);
  plog = slurp (d, LRVM_LOG_NAME, &plog_len);
  pseg[0] = slurp (d, segnames[0], &pseg_len[0]);
  pseg[1] = slurp (d, segnames[1], &pseg_len[1]);
  {
    char path[4096];
    snprintf (path, sizeof path, "%s/%s", d, LRVM_LOG_NAME);
    fd = open (path, O_RDONLY);
  }
  if (fd < 0 || lrvm__log_read_header (fd, &h) != 0
      || lrvm__log_scan (fd, plog_len, &h, note_record, NULL, &end, &next,
                         &torn) != 0)
    t_bail ("cannot scan the pristine log");
  close (fd);
  t_note ("setup: the pristine log holds %d records%s", nrec,
          torn ? " and a torn one" : "");
  if (!t_check (nrec == NTRANS && !torn, "setup: the pristine log holds %d"
                " records", NTRANS))
    return t_done ();
  {
    const char *why = check_state (d, NTRANS);
    check_why (why, "setup: the pristine store recovers all %d"
               " transactions", NTRANS);
  }
  test_cuts ();
  test_bitflips (seed);
  test_garbage (seed);
  test_headers ();
  test_segment_files ();
  t_rmdir (d);
  free (d);
  return t_done ();
}
