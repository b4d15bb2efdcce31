/* mkcorpus.c -- make the seed corpus of the log fuzzer: small logs
   written by the library itself, cut after their records, and damaged
   copies of them; and the expectations file of the replay test, whose
   values follow from how each seed was made (commits, ranges, damage),
   not from parsing it.  Not run by make check; run it again by hand
   when the format changes:

     make testsuite/lrvm.fuzz/mkcorpus
     testsuite/lrvm.fuzz/mkcorpus SRCDIR/testsuite/lrvm.fuzz/corpus \
       SRCDIR/testsuite/lrvm.fuzz/expected  */

#include <config.h>

#include "lrvm-internal.h"
#include "testlib.h"
#include "teststore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct range
{
  int seg;
  size_t off, len;
};

#define NR(a) ((int) (sizeof (a) / sizeof *(a)))

/* The line of the expectations file after which lines are kept.  */
#define FOUND_MARK "# Found by the fuzzer (kept by mkcorpus):"

static const char *outdir;
static FILE *exp_file;

/* The log of the last store loaded, and its records.  */
static unsigned char *img;
static size_t img_len;
static uint64_t rec_off[16], rec_len[16];
static int nrec;
static uint64_t rec_end;

/* Commit one transaction over the segments BASES[0..NSEG) that writes
   bytes made from SALT into the ranges R[0..N).  */
static void
commit (rvm_t rvm, void **bases, int nseg, const struct range *r, int n,
        int salt)
{
  trans_t tid;
  int k;

  if (rvm_begin (rvm, (size_t) nseg, bases, 0, &tid) != 0)
    t_bail ("begin: %s", rvm_errmsg ());
  for (k = 0; k < n; k++)
    {
      unsigned char *p = (unsigned char *) bases[r[k].seg] + r[k].off;
      size_t j;
      if (rvm_modify (tid, bases[r[k].seg], r[k].off, r[k].len) != 0)
        t_bail ("modify: %s", rvm_errmsg ());
      for (j = 0; j < r[k].len; j++)
        p[j] = (unsigned char) (salt * 13 + (int) j * 7 + k + 1);
    }
  if (rvm_commit (tid, 0) != 0)
    t_bail ("commit: %s", rvm_errmsg ());
}

static void
close_store (rvm_t rvm)
{
  if (rvm_close (rvm) != 0)
    t_bail ("close: %s", rvm_errmsg ());
}

static int
note_record (void *ctx, const unsigned char *rec, size_t len, uint64_t seq,
             uint64_t off)
{
  (void) ctx;
  (void) rec;
  (void) seq;
  if (nrec < NR (rec_off))
    {
      rec_off[nrec] = off;
      rec_len[nrec] = len;
    }
  nrec++;
  return 0;
}

/* Read the log of DIR into IMG and find its records, which must be the
   WANT transactions committed since the store was last opened.  */
static void
load (const char *dir, int want)
{
  char path[4096];
  struct lrvm_header h;
  struct stat st;
  uint64_t next_seq;
  int fd, torn;
  size_t got;

  snprintf (path, sizeof path, "%s/%s", dir, LRVM_LOG_NAME);
  fd = open (path, O_RDONLY);
  if (fd < 0 || fstat (fd, &st) != 0)
    t_bail ("%s: %s", path, strerror (errno));
  free (img);
  img_len = (size_t) st.st_size;
  img = malloc (img_len);
  if (img == NULL || lrvm__read_at (fd, img, img_len, 0, &got) != 0
      || got != img_len)
    t_bail ("%s: cannot read it", path);
  nrec = 0;
  if (lrvm__log_read_header (fd, &h) != 0
      || lrvm__log_scan (fd, img_len, &h, note_record, NULL, &rec_end,
                         &next_seq, &torn) != 0
      || nrec != want)
    t_bail ("%s: %d records, expected %d", path, nrec, want);
  close (fd);
}

/* Write the seed NAME, the first LEN bytes of BUF, and its expected
   parse: the two slots' decoding, the header in force, and from it the
   records, their entries and whether the log ends torn.  */
static void
emit (const char *name, const unsigned char *buf, size_t len, int slot0,
      int slot1, const char *header, long records, long entries, int torn)
{
  char path[4096];
  FILE *f;

  if (len > img_len)
    t_bail ("%s: cut at %zu of %zu bytes", name, len, img_len);
  snprintf (path, sizeof path, "%s/%s", outdir, name);
  f = fopen (path, "wb");
  if (f == NULL || fwrite (buf, 1, len, f) != len || fclose (f) != 0)
    t_bail ("%s: %s", path, strerror (errno));
  fprintf (exp_file, "%-16s %2d %2d %-8s %2ld %2ld %2d\n", name, slot0, slot1,
           header, records, entries, torn);
  printf ("%s: %zu bytes\n", name, len);
}

/* The lines of the expectations file PATH after FOUND_MARK, kept by
   hand for the inputs the fuzzer found; NULL if none.  */
static char *
kept_lines (const char *path)
{
  FILE *f = fopen (path, "r");
  char line[1024], *kept = NULL;
  size_t len = 0;
  int after = 0;

  if (f == NULL)
    return NULL;
  while (fgets (line, sizeof line, f) != NULL)
    {
      size_t n = strlen (line);
      char *k;
      if (!after)
        {
          after = strncmp (line, FOUND_MARK, strlen (FOUND_MARK)) == 0;
          continue;
        }
      k = realloc (kept, len + n + 1);
      if (k == NULL)
        t_bail ("out of memory");
      kept = k;
      memcpy (kept + len, line, n + 1);
      len += n;
    }
  fclose (f);
  return kept;
}

/* The slot of IMG with the larger generation.  */
static int
newest_slot (void)
{
  struct lrvm_header a, b;

  if (lrvm__header_decode (img, &a) != 0
      || lrvm__header_decode (img + LRVM_HDR_SLOT_SIZE, &b) != 0)
    t_bail ("a slot does not decode");
  return b.generation > a.generation;
}

int
main (int argc, char **argv)
{
  static const struct range three[3][1] = {
    { { 0, 0, 20 } }, { { 0, 100, 100 } }, { { 0, 3000, 40 } }
  };
  static const struct range multi1[] = { { 0, 0, 10 }, { 1, 100, 50 } };
  static const struct range multi2[] = { { 0, 1000, 600 } };
  static const struct range multi3[] = {
    { 0, 5, 1 }, { 0, 300, 40 }, { 1, 7000, 100 }
  };
  static const struct range multi4[] = { { 1, 0, 8 } };
  static const struct range epoch1[3][1] = {
    { { 0, 0, 40 } }, { { 0, 100, 100 } }, { { 0, 500, 20 } }
  };
  static const struct range epoch2[] = { { 0, 2000, 40 } };
  unsigned char *copy;
  char *kept;
  uint64_t old_end;
  size_t end, cut;
  struct lrvm_header h;
  rvm_t rvm;
  void *b[2];
  char *dir;
  int i;

  t_init (argc, argv);
  if (argc != 3)
    t_bail ("usage: mkcorpus CORPUS-DIR EXPECTED-FILE");
  outdir = argv[1];
  mkdir (outdir, 0777);
  kept = kept_lines (argv[2]);
  exp_file = fopen (argv[2], "w");
  if (exp_file == NULL)
    t_bail ("%s: %s", argv[2], strerror (errno));
  fprintf (exp_file, "# The seeds of the log fuzzer and how they parse; made"
           " by mkcorpus.\n# name            slot0 slot1 header records"
           " entries torn\n");

  /* A new store: a header, no record.  */
  dir = t_tmpdir ("mkcorpus");
  close_store (t_open (dir, NULL));
  load (dir, 0);
  emit ("empty", img, LRVM_LOG_DATA_START, 0, 0, "ok", 0, 0, 0);
  t_rmdir (dir);
  free (dir);

  /* Three commits of one range, each in a segment; the file ends with
     the last record.  */
  dir = t_tmpdir ("mkcorpus");
  rvm = t_open (dir, NULL);
  b[0] = t_map (rvm, "seg", 4096);
  for (i = 0; i < 3; i++)
    commit (rvm, b, 1, three[i], 1, i);
  close_store (rvm);
  load (dir, 3);
  end = (size_t) rec_end;
  emit ("three", img, end, 0, 0, "ok", 3, 3, 0);

  /* Damaged copies of it.  The third record cut short, or half zeros:
     a torn tail after two records.  */
  cut = (size_t) (rec_off[2] + rec_len[2] / 2);
  emit ("torn", img, cut, 0, 0, "ok", 2, 2, 1);
  copy = malloc (end);
  if (copy == NULL)
    t_bail ("out of memory");
  memcpy (copy, img, end);
  memset (copy + cut, 0, end - cut);
  emit ("torn-zeros", copy, end, 0, 0, "ok", 2, 2, 1);
  /* A changed byte in both slots: no header.  */
  memcpy (copy, img, end);
  copy[100] ^= 0x20;
  copy[LRVM_HDR_SLOT_SIZE + 100] ^= 0x20;
  emit ("bad-slots", copy, end, -1, -1, "ECORRUPT", -1, -1, -1);
  /* The newest slot damaged: the older one, from before recovery
     started this epoch, sees no record of its own epoch.  */
  memcpy (copy, img, end);
  copy[newest_slot () * LRVM_HDR_SLOT_SIZE + 100] ^= 0x20;
  emit ("newest-slot-bad", copy, end, newest_slot () ? 0 : -1,
        newest_slot () ? -1 : 0, "ok", 0, 0, 0);
  /* Both slots of a future major version.  */
  memcpy (copy, img, end);
  for (i = 0; i < LRVM_HDR_SLOTS; i++)
    {
      if (lrvm__header_decode (copy + i * LRVM_HDR_SLOT_SIZE, &h) != 0)
        t_bail ("slot %d does not decode", i);
      h.major = LRVM_FORMAT_MAJOR + 1;
      lrvm__header_encode (copy + i * LRVM_HDR_SLOT_SIZE, &h);
    }
  emit ("future-version", copy, end, -2, -2, "EVERSION", -1, -1, -1);
  free (copy);
  t_rmdir (dir);
  free (dir);

  /* Two segments, several ranges per record, a record longer than the
     fuzz build's scan window; zeros after the last record.  */
  dir = t_tmpdir ("mkcorpus");
  rvm = t_open (dir, NULL);
  b[0] = t_map (rvm, "alpha", 8192);
  b[1] = t_map (rvm, "beta-2", 8192);
  commit (rvm, b, 2, multi1, NR (multi1), 1);
  commit (rvm, b, 2, multi2, NR (multi2), 2);
  commit (rvm, b, 2, multi3, NR (multi3), 3);
  commit (rvm, b, 2, multi4, NR (multi4), 4);
  close_store (rvm);
  load (dir, 4);
  emit ("multi", img, (size_t) rec_end + 64, 0, 0, "ok", 4, 7, 0);
  t_rmdir (dir);
  free (dir);

  /* A reused log: after recovery, a new epoch writes from the front
     again; its record is as long as the first old one, so the older
     epoch's second and third records follow it and end it cleanly.  */
  dir = t_tmpdir ("mkcorpus");
  rvm = t_open (dir, NULL);
  b[0] = t_map (rvm, "seg", 4096);
  for (i = 0; i < 3; i++)
    commit (rvm, b, 1, epoch1[i], 1, 10 + i);
  close_store (rvm);
  load (dir, 3);
  old_end = rec_end;
  rvm = t_open (dir, NULL);
  b[0] = t_map (rvm, "seg", 4096);
  commit (rvm, b, 1, epoch2, 1, 20);
  close_store (rvm);
  load (dir, 1);
  emit ("reused", img, (size_t) old_end, 0, 0, "ok", 1, 1, 0);
  t_rmdir (dir);
  free (dir);

  free (img);
  fprintf (exp_file, "%s\n", FOUND_MARK);
  if (kept != NULL)
    fputs (kept, exp_file);
  free (kept);
  if (fclose (exp_file) != 0)
    t_bail ("%s: %s", argv[2], strerror (errno));
  return 0;
}
