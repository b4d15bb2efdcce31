/* reading.c -- the lrvm command's read-only subcommands against stores
   built through the library: info and log report what was committed,
   cat gives the committed bytes, verify tells a torn tail from damage,
   and none of them changes a byte.

   Usage: reading PATH-OF-THE-LRVM-TOOL  */

#include <config.h>

#include "lrvm-internal.h"
#include "testlib.h"
#include "toolrun.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NREC 6

static uint64_t rng;

/* Offset in the log of live record I of S (the first is at 4096).  */
static uint64_t
rec_offset (const struct tr_store *s, int i)
{
  uint64_t off = LRVM_LOG_DATA_START;
  int k;

  for (k = 0; k < i; k++)
    off += s->rec[k].length;
  return off;
}

static void
patch (const char *dir, const char *name, uint64_t off, const void *p,
       size_t len)
{
  char path[4096];
  int fd;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  fd = open (path, O_WRONLY);
  if (fd < 0 || pwrite (fd, p, len, (off_t) off) != (ssize_t) len)
    t_bail ("cannot patch %s: %s", path, strerror (errno));
  close (fd);
}

static void
flip_bit (const char *dir, const char *name, uint64_t off)
{
  size_t len;
  unsigned char *p = tr_read_file (dir, name, &len), b;

  if (p == NULL || off >= len)
    t_bail ("cannot flip a bit of %s/%s at %llu", dir, name,
            (unsigned long long) off);
  b = p[off] ^ 0x10;
  free (p);
  patch (dir, name, off, &b, 1);
}

/* The header in force, read by the library's own reader.  */
static void
read_header (const char *dir, struct lrvm_header *h)
{
  char path[4096];
  int fd;

  snprintf (path, sizeof path, "%s/%s", dir, LRVM_LOG_NAME);
  fd = open (path, O_RDONLY);
  if (fd < 0 || lrvm__log_read_header (fd, h) != 0)
    t_bail ("cannot read the header of %s", path);
  close (fd);
}

static int
cat_equals (const struct tr_store *s, int g, const unsigned char *want,
            size_t off, size_t len, const char *what)
{
  struct tr_result r;
  char a[32], b[32];
  int ok;

  snprintf (a, sizeof a, "%zu", off);
  snprintf (b, sizeof b, "%zu", len);
  tr_run (&r, "cat", "--offset", a, "--length", b, s->dir, s->name[g], NULL);
  ok = t_check (r.code == 0 && r.outlen == len
                && memcmp (r.out, want + off, len) == 0, "%s", what);
  tr_free (&r);
  return ok;
}

/* --- info ---------------------------------------------------------- */

static void
test_info (void)
{
  struct tr_store s;
  struct tr_result r;
  struct lrvm_header h;
  uint64_t v, sum = 0;
  unsigned slot, major, minor;
  unsigned long long gen, seq, off;
  unsigned long epoch;
  const char *p;
  char want[64];
  int i, g;

  tr_store_build (&s, "info", NREC, &rng);
  for (i = 0; i < s.nrec; i++)
    sum += s.rec[i].length;
  read_header (s.dir, &h);
  tr_run (&r, "info", s.dir, NULL);
  t_check (r.code == 0 && r.errlen == 0, "info: exit 0, no message");
  t_check (tr_u64 (&r, "live records: ", &v) == 0 && v == NREC,
           "info: live records are the commits since the last open");
  t_check (tr_u64 (&r, "first seq: ", &v) == 0 && v == s.first_seq
           && v == h.head_seq, "info: first sequence number");
  t_check (tr_u64 (&r, "last seq: ", &v) == 0
           && v == s.first_seq + NREC - 1, "info: last sequence number");
  t_check (tr_u64 (&r, "live bytes: ", &v) == 0 && v == sum
           && v == s.log_used, "info: bytes of live records");
  t_check (tr_u64 (&r, "log: ", &v) == 0
           && (long long) v == t_file_size (s.dir, LRVM_LOG_NAME),
           "info: log size");
  p = tr_line (&r, "header: ");
  t_check (p != NULL
           && sscanf (p, "slot %u, generation %llu, format %u.%u, epoch %lu,"
                      " head seq %llu, head offset %llu", &slot, &gen,
                      &major, &minor, &epoch, &seq, &off) == 7
           && slot == h.generation % 2 && gen == h.generation
           && major == h.major && minor == h.minor && epoch == h.epoch
           && seq == h.head_seq && off == h.head_off,
           "info: the header in force");
  for (g = 0; g < TR_NSEG; g++)
    {
      snprintf (want, sizeof want, "segment %s: ", s.name[g]);
      t_check (tr_u64 (&r, want, &v) == 0 && v == s.size[g]
               && (long long) v == t_file_size (s.dir, s.name[g]),
               "info: size of segment %s", s.name[g]);
    }
  t_check (tr_u64 (&r, "segments: ", &v) == 0 && v == TR_NSEG,
           "info: number of segments");
  t_check (tr_u64 (&r, "reserve: ", &v) == 0 && v == LRVM_DEFAULT_RESERVE
           && tr_u64 (&r, "threshold: ", &v) == 0
           && v == LRVM_DEFAULT_THRESHOLD,
           "info: the library's default reserve and threshold");
  t_check ((p = tr_line (&r, "recovery: ")) != NULL
           && strncmp (p, "pending", 7) == 0, "info: recovery is pending");
  t_check ((p = tr_line (&r, "tail: ")) != NULL
           && strncmp (p, "clean", 5) == 0, "info: the tail is clean");
  tr_free (&r);

  /* Open and close through the library: the records are applied.  */
  {
    rvm_t rvm;
    if (rvm_open (s.dir, NULL, &rvm) != 0 || rvm_close (rvm) != 0)
      t_bail ("rvm_open: %s", rvm_errmsg ());
  }
  read_header (s.dir, &h);
  tr_run (&r, "info", s.dir, NULL);
  t_check (r.code == 0 && tr_u64 (&r, "live records: ", &v) == 0 && v == 0
           && tr_u64 (&r, "live bytes: ", &v) == 0 && v == 0
           && (p = tr_line (&r, "first seq: ")) != NULL
           && strncmp (p, "none", 4) == 0
           && (p = tr_line (&r, "recovery: ")) != NULL
           && strncmp (p, "not needed", 10) == 0,
           "info: no live records after an open");
  p = tr_line (&r, "log end: ");
  t_check (p != NULL && sscanf (p, "offset %llu, next seq %llu", &off, &seq)
           == 2 && off == LRVM_LOG_DATA_START && seq == h.head_seq
           && seq == s.first_seq + NREC, "info: where the next record goes");
  tr_free (&r);
  tr_store_free (&s);
}

/* --- log ----------------------------------------------------------- */

static const char *
next_line (const char *p)
{
  const char *e = strchr (p, '\n');

  return e != NULL ? e + 1 : p + strlen (p);
}

/* Parse the hex dump at *PP of LEN bytes at BASE into OUT.  Returns 0
   if it is well formed and complete; counts its '*' lines in *STARS.  */
static int
parse_dump (const char **pp, uint64_t base, size_t len, unsigned char *out,
            int *stars)
{
  const char *p = *pp;
  unsigned char last[16];
  uint64_t next = base;
  int star = 0, have_last = 0;

  for (;;)
    {
      const char *eol = strchr (p, '\n'), *q;
      unsigned char line[16];
      uint64_t off;
      char *end;
      size_t n = 0;

      if (eol == NULL || strncmp (p, "    ", 4) != 0)
        return -1;
      q = p + 4;
      if (*q == '*')
        {
          star = 1;
          (*stars)++;
          p = eol + 1;
          continue;
        }
      off = strtoull (q, &end, 16);
      if (end == q)
        return -1;
      if (star)
        {
          if (!have_last)
            return -1;
          while (next < off && next + 16 <= base + len)
            {
              memcpy (out + (next - base), last, 16);
              next += 16;
            }
          star = 0;
        }
      if (off != next)
        return -1;
      if (end == eol)
        {
          *pp = eol + 1;
          return off == base + len ? 0 : -1;
        }
      q = end;
      while (n < 16)
        {
          unsigned int v;
          while (*q == ' ')
            q++;
          if (*q == '|' || sscanf (q, "%2x", &v) != 1)
            break;
          line[n++] = (unsigned char) v;
          q += 2;
        }
      if (n == 0 || next - base + n > len)
        return -1;
      memcpy (out + (next - base), line, n);
      memcpy (last, line, n);
      have_last = n == 16;
      next += n;
      p = eol + 1;
    }
}

static void
test_log (void)
{
  struct tr_store s;
  struct tr_result r;
  const char *p;
  int i, nlines = 0, seq_ok = 1, off_ok = 1, count_ok = 1, ranges_ok = 1;
  int hex_ok = 1, stars = 0;
  uint64_t expect_off = LRVM_LOG_DATA_START;

  tr_store_build (&s, "log", NREC, &rng);
  tr_run (&r, "log", s.dir, NULL);
  t_check (r.code == 0 && r.errlen == 0, "log: exit 0, no message");
  for (p = r.out; *p != '\0'; p = next_line (p))
    {
      unsigned long long seq, off, len, ent, segs, bytes;
      int n = 0;

      if (sscanf (p, "seq %llu offset %llu length %llu entries %llu segments"
                  " %llu bytes %llu ranges %n", &seq, &off, &len, &ent,
                  &segs, &bytes, &n) != 6 || n == 0)
        {
          count_ok = 0;
          continue;
        }
      if (nlines < s.nrec)
        {
          const struct tr_record *rec = &s.rec[nlines];
          char want[1024];
          size_t k, nb = 0, eol = strcspn (p + n, "\n");
          int seen[TR_NSEG] = { 0 }, nseg = 0;

          for (k = 0; k < rec->nranges; k++)
            {
              nb += rec->r[k].len;
              nseg += !seen[rec->r[k].seg];
              seen[rec->r[k].seg] = 1;
            }
          seq_ok &= seq == rec->seq;
          off_ok &= off == expect_off && len == rec->length;
          count_ok &= ent == rec->nranges && segs == (unsigned) nseg
                      && bytes == nb;
          tr_ranges_text (&s, rec, want, sizeof want);
          ranges_ok &= eol == strlen (want) && memcmp (p + n, want, eol) == 0;
          if (!ranges_ok)
            t_note ("record %d: ranges \"%.*s\", expected \"%s\"", nlines,
                    (int) eol, p + n, want);
          expect_off += len;
        }
      nlines++;
    }
  t_note ("log: %d lines for %d live records", nlines, s.nrec);
  t_check (nlines == s.nrec, "log: one line per live record");
  t_check (seq_ok, "log: sequence numbers");
  t_check (off_ok, "log: offsets and lengths in the log");
  t_check (count_ok, "log: entries, segments and bytes of each record");
  t_check (ranges_ok, "log: ranges (merged as the library logs them)");
  tr_free (&r);

  tr_run (&r, "log", "--hex", s.dir, NULL);
  t_check (r.code == 0, "log --hex: exit 0");
  p = r.out;
  for (i = 0; i < s.nrec && hex_ok; i++)
    {
      const struct tr_record *rec = &s.rec[i];
      size_t k;

      p = strstr (p, "seq ");
      if (p == NULL || (p = strchr (p, '\n')) == NULL)
        {
          hex_ok = 0;
          break;
        }
      p++;
      for (k = 0; k < rec->nranges && hex_ok; k++)
        {
          char want[300];
          unsigned char *got = calloc (1, rec->r[k].len);

          snprintf (want, sizeof want, "  %s:%zu+%zu\n",
                    s.name[rec->r[k].seg], rec->r[k].off, rec->r[k].len);
          if (got == NULL)
            t_bail ("out of memory");
          if (strncmp (p, want, strlen (want)) != 0)
            hex_ok = 0;
          else
            {
              p += strlen (want);
              if (parse_dump (&p, rec->r[k].off, rec->r[k].len, got,
                              &stars) != 0
                  || memcmp (got, rec->r[k].data, rec->r[k].len) != 0)
                hex_ok = 0;
            }
          if (!hex_ok)
            t_note ("record %d range %zu: the dump does not match", i, k);
          free (got);
        }
    }
  t_check (hex_ok, "log --hex: every range's new value, hexdump -C style");
  t_check (stars > 0, "log --hex: repeated lines are abbreviated with *");
  tr_free (&r);
  tr_store_free (&s);
}

/* --- cat ----------------------------------------------------------- */

static void
test_cat (void)
{
  struct tr_store s;
  struct tr_result r;
  int g, differs = 1;
  char big[32];

  tr_store_build (&s, "cat", NREC, &rng);
  for (g = 0; g < TR_NSEG; g++)
    {
      size_t len;
      unsigned char *f = tr_read_file (s.dir, s.name[g], &len);
      t_check (f != NULL && len == s.size[g]
               && memcmp (f, s.file[g], len) == 0,
               "cat: precondition: file %s holds what the last open"
               " applied", s.name[g]);
      differs &= f != NULL && memcmp (f, s.seg[g], s.size[g]) != 0;
      free (f);
    }
  t_check (differs, "cat: precondition: the files lack the live records");
  for (g = 0; g < TR_NSEG; g++)
    {
      tr_run (&r, "cat", s.dir, s.name[g], NULL);
      t_check (r.code == 0 && r.errlen == 0 && r.outlen == s.size[g]
               && memcmp (r.out, s.seg[g], s.size[g]) == 0,
               "cat: segment %s is its committed bytes, live records"
               " included", s.name[g]);
      tr_free (&r);
    }
  cat_equals (&s, 0, s.seg[0], 1000, 100, "cat: --offset and --length");
  cat_equals (&s, 1, s.seg[1], 0, 1, "cat: the first byte");
  cat_equals (&s, 1, s.seg[1], s.size[1] - 1, 1, "cat: the last byte");
  cat_equals (&s, 0, s.seg[0], s.size[0], 0, "cat: nothing at the end");
  tr_run (&r, "cat", "--offset=1K", s.dir, s.name[0], NULL);
  t_check (r.code == 0 && r.outlen == s.size[0] - 1024
           && memcmp (r.out, s.seg[0] + 1024, s.size[0] - 1024) == 0,
           "cat: an offset with a K suffix, to the end");
  tr_free (&r);

  snprintf (big, sizeof big, "%zu", s.size[0] + 1);
  tr_run (&r, "cat", "--offset", big, s.dir, s.name[0], NULL);
  t_check (tr_failed (&r, 1) && r.outlen == 0,
           "cat: an offset beyond the end fails");
  tr_free (&r);
  tr_run (&r, "cat", "--offset", "8000", "--length", "193", s.dir,
          s.name[0], NULL);
  t_check (tr_failed (&r, 1) && r.outlen == 0,
           "cat: a length beyond the end fails");
  tr_free (&r);
  tr_run (&r, "cat", "--length", "12x", s.dir, s.name[0], NULL);
  t_check (tr_failed (&r, 2), "cat: a length that is no number is a usage"
           " error");
  tr_free (&r);
  tr_run (&r, "cat", s.dir, "../alpha", NULL);
  t_check (tr_failed (&r, 2) && r.outlen == 0,
           "cat: a name with a slash is a usage error");
  tr_free (&r);
  tr_run (&r, "cat", s.dir, LRVM_LOG_NAME, NULL);
  t_check (tr_failed (&r, 2) && r.outlen == 0,
           "cat: the log is not a segment");
  tr_free (&r);
  tr_run (&r, "cat", s.dir, "nosuch", NULL);
  t_check (tr_failed (&r, 1) && r.outlen == 0,
           "cat: a segment that does not exist fails");
  tr_free (&r);
  tr_store_free (&s);
}

/* --- verify -------------------------------------------------------- */

static void
test_verify_good (void)
{
  struct tr_store s;
  struct tr_result r;
  uint64_t v;
  const char *p;

  tr_store_build (&s, "good", NREC, &rng);
  tr_run (&r, "verify", s.dir, NULL);
  t_check (r.code == 0 && r.errlen == 0, "verify: a good store: exit 0");
  t_check ((p = tr_line (&r, "header slot 0: ")) != NULL
           && strncmp (p, "valid", 5) == 0
           && (p = tr_line (&r, "header slot 1: ")) != NULL
           && strncmp (p, "valid", 5) == 0,
           "verify: both header slots are valid");
  t_check (tr_u64 (&r, "records: ", &v) == 0 && v == NREC,
           "verify: every live record checks");
  t_check ((p = tr_line (&r, "tail: ")) != NULL
           && strncmp (p, "clean", 5) == 0
           && (p = tr_line (&r, "status: ")) != NULL
           && strncmp (p, "ok", 2) == 0, "verify: clean tail, status ok");
  tr_free (&r);
  tr_store_free (&s);
}

/* A record of the live epoch cut short where zeros were: a record
   being written, torn by a crash.  Bytes that are not such a record
   (here, text) end the log cleanly: they may be the remains of older
   records that newer ones partly overwrote.  */
static void
test_torn_garbage (void)
{
  static const char text[] = "not a record: remains of an older epoch..";
  unsigned char junk[64];
  struct lrvm_header h;
  struct tr_store s;
  struct tr_result r;
  uint64_t end, v;
  const char *p;
  char want[64];

  tr_store_build (&s, "torn", NREC, &rng);
  end = rec_offset (&s, s.nrec);
  read_header (s.dir, &h);
  patch (s.dir, LRVM_LOG_NAME, end, text, sizeof text);
  tr_run (&r, "verify", s.dir, NULL);
  t_check (r.code == 0 && (p = tr_line (&r, "tail: ")) != NULL
           && strncmp (p, "clean", 5) == 0
           && tr_u64 (&r, "records: ", &v) == 0 && v == NREC,
           "verify: bytes that are no record of the live epoch end the"
           " log cleanly");
  tr_free (&r);

  memset (junk, 0x5a, sizeof junk);
  lrvm_put32 (junk, LRVM_REC_MAGIC);
  lrvm_put16 (junk + 4, LRVM_FORMAT_MAJOR);
  lrvm_put16 (junk + 6, 0);
  lrvm_put32 (junk + 8, sizeof junk);
  lrvm_put64 (junk + 16, h.head_seq + (uint64_t) s.nrec);
  lrvm_put32 (junk + 24, h.epoch);
  lrvm_put32 (junk + 28, 1);
  patch (s.dir, LRVM_LOG_NAME, end, junk, sizeof junk);
  tr_run (&r, "verify", s.dir, NULL);
  snprintf (want, sizeof want, "torn at offset %llu",
            (unsigned long long) end);
  t_check (r.code == 0, "verify: a torn record after the last one: exit 0");
  t_check ((p = tr_line (&r, "tail: ")) != NULL
           && strncmp (p, want, strlen (want)) == 0,
           "verify: a record of the live epoch that does not check is a"
           " torn tail");
  t_check (tr_u64 (&r, "records: ", &v) == 0 && v == NREC
           && tr_line (&r, "damage: ") == NULL,
           "verify: a torn tail loses nothing");
  tr_free (&r);
  tr_run (&r, "info", s.dir, NULL);
  t_check (r.code == 0 && (p = tr_line (&r, "tail: ")) != NULL
           && strncmp (p, want, strlen (want)) == 0
           && tr_u64 (&r, "live records: ", &v) == 0 && v == NREC,
           "info: reports the torn tail");
  tr_free (&r);
  tr_store_free (&s);
}

/* The last record with only its first half written.  */
static void
test_torn_half (void)
{
  struct tr_store s;
  struct tr_result r;
  uint64_t off, v;
  const char *p;
  unsigned char *zero;
  size_t half;
  char want[64];
  int g;

  tr_store_build (&s, "half", NREC, &rng);
  off = rec_offset (&s, s.nrec - 1);
  half = s.rec[s.nrec - 1].length / 2;
  zero = calloc (1, half + 8);
  if (zero == NULL)
    t_bail ("out of memory");
  patch (s.dir, LRVM_LOG_NAME, off + half, zero,
         s.rec[s.nrec - 1].length - half);
  free (zero);
  tr_run (&r, "verify", s.dir, NULL);
  snprintf (want, sizeof want, "torn at offset %llu",
            (unsigned long long) off);
  t_check (r.code == 0 && (p = tr_line (&r, "tail: ")) != NULL
           && strncmp (p, want, strlen (want)) == 0
           && tr_u64 (&r, "records: ", &v) == 0 && v == NREC - 1,
           "verify: a half-written last record is a torn tail, exit 0");
  tr_free (&r);
  tr_run (&r, "info", s.dir, NULL);
  t_check (tr_u64 (&r, "live records: ", &v) == 0 && v == NREC - 1,
           "info: a half-written record is not live");
  tr_free (&r);
  for (g = 0; g < TR_NSEG; g++)
    {
      const unsigned char *want_seg = s.rec[s.nrec - 1].before[g];
      tr_run (&r, "cat", s.dir, s.name[g], NULL);
      t_check (r.code == 0 && r.outlen == s.size[g]
               && memcmp (r.out, want_seg, s.size[g]) == 0,
               "cat: %s without the half-written transaction", s.name[g]);
      tr_free (&r);
    }
  tr_store_free (&s);
}

static void
test_headers (void)
{
  struct tr_store s;
  struct tr_result r;
  struct lrvm_header h;
  const char *p;
  unsigned newest, oldest;

  /* Both slots damaged.  */
  tr_store_build (&s, "hdr2", NREC, &rng);
  flip_bit (s.dir, LRVM_LOG_NAME, 20);
  flip_bit (s.dir, LRVM_LOG_NAME, LRVM_HDR_SLOT_SIZE + 20);
  tr_run (&r, "verify", s.dir, NULL);
  t_check (tr_failed (&r, 1), "verify: both header slots damaged: exit 1");
  t_check ((p = tr_line (&r, "header slot 0: ")) != NULL
           && strncmp (p, "invalid", 7) == 0
           && (p = tr_line (&r, "header slot 1: ")) != NULL
           && strncmp (p, "invalid", 7) == 0
           && tr_line (&r, "damage: ") != NULL,
           "verify: reports both slots invalid");
  tr_free (&r);
  tr_run (&r, "info", s.dir, NULL);
  t_check (tr_failed (&r, 1), "info: no header: exit 1");
  tr_free (&r);
  tr_run (&r, "cat", s.dir, "alpha", NULL);
  t_check (tr_failed (&r, 1) && r.outlen == 0, "cat: no header: exit 1");
  tr_free (&r);
  tr_store_free (&s);

  /* The older slot damaged: harmless.  */
  tr_store_build (&s, "hdrold", NREC, &rng);
  read_header (s.dir, &h);
  newest = (unsigned) (h.generation % 2);
  oldest = 1 - newest;
  flip_bit (s.dir, LRVM_LOG_NAME, oldest * LRVM_HDR_SLOT_SIZE + 30);
  tr_run (&r, "verify", s.dir, NULL);
  {
    char a[32], b[32];
    snprintf (a, sizeof a, "header slot %u: ", oldest);
    snprintf (b, sizeof b, "header slot %u: ", newest);
    t_check (r.code == 0 && (p = tr_line (&r, a)) != NULL
             && strncmp (p, "invalid", 7) == 0
             && (p = tr_line (&r, b)) != NULL
             && strncmp (p, "valid", 5) == 0 && strstr (p, "in force")
             && tr_line (&r, "damage: ") == NULL,
             "verify: the older slot damaged: reported, exit 0");
  }
  tr_free (&r);
  tr_store_free (&s);

  /* The newer slot damaged: the older one points at an old epoch, but
     the records of the newer epoch follow it, and recovery (and so the
     tool) continues from them: nothing is lost.  */
  tr_store_build (&s, "hdrnew", NREC, &rng);
  read_header (s.dir, &h);
  newest = (unsigned) (h.generation % 2);
  flip_bit (s.dir, LRVM_LOG_NAME, newest * LRVM_HDR_SLOT_SIZE + 30);
  tr_run (&r, "verify", s.dir, NULL);
  {
    char want[64];
    snprintf (want, sizeof want, "records: %d live", s.nrec);
    t_check (r.code == 0 && strstr (r.out, "newest header slot was lost")
             != NULL && strstr (r.out, want) != NULL
             && tr_line (&r, "damage: ") == NULL,
             "verify: the newer slot damaged: the newer epoch's records"
             " stay live, exit 0");
  }
  tr_free (&r);
  tr_run (&r, "info", s.dir, NULL);
  {
    char want[64];
    snprintf (want, sizeof want, "live records: %d", s.nrec);
    t_check (r.code == 0 && strstr (r.out, want) != NULL,
             "info: the newer slot damaged: %d live records", s.nrec);
  }
  tr_free (&r);
  tr_store_free (&s);

  /* A valid slot of a future format.  */
  tr_store_build (&s, "future", NREC, &rng);
  read_header (s.dir, &h);
  {
    unsigned char slot[LRVM_HDR_SLOT_SIZE];
    h.major = LRVM_FORMAT_MAJOR + 1;
    h.generation++;
    lrvm__header_encode (slot, &h);
    patch (s.dir, LRVM_LOG_NAME, (h.generation % 2) * LRVM_HDR_SLOT_SIZE,
           slot, sizeof slot);
    snprintf ((char *) slot, sizeof slot, "header slot %u: ",
              (unsigned) (h.generation % 2));
    tr_run (&r, "verify", s.dir, NULL);
    t_check (tr_failed (&r, 1) && (p = tr_line (&r, (char *) slot)) != NULL
             && strncmp (p, "future version", 14) == 0,
             "verify: a slot of a future format: reported, exit 1");
    tr_free (&r);
  }
  tr_run (&r, "info", s.dir, NULL);
  t_check (tr_failed (&r, 1), "info: a future format: exit 1");
  tr_free (&r);
  tr_store_free (&s);
}

/* A bit flipped in a record in the middle of the log: the scan ends
   there, and the records after it are lost.  */
static void
test_middle (void)
{
  struct tr_store s;
  struct tr_result r;
  uint64_t off, v;
  const char *p;
  char want[128];

  tr_store_build (&s, "middle", NREC, &rng);
  off = rec_offset (&s, 2);
  flip_bit (s.dir, LRVM_LOG_NAME, off + s.rec[2].length - 3);
  tr_run (&r, "verify", s.dir, NULL);
  t_check (tr_failed (&r, 1), "verify: a damaged record mid-log: exit 1");
  snprintf (want, sizeof want, "the log ends at offset %llu",
            (unsigned long long) off);
  t_check ((p = tr_line (&r, "end: ")) != NULL
           && strncmp (p, want, strlen (want)) == 0
           && tr_u64 (&r, "records: ", &v) == 0 && v == 2,
           "verify: says where the log ends");
  snprintf (want, sizeof want, "records %llu to %llu",
            (unsigned long long) s.rec[3].seq,
            (unsigned long long) s.rec[NREC - 1].seq);
  t_check ((p = tr_line (&r, "damage: ")) != NULL
           && strncmp (p, want, strlen (want)) == 0,
           "verify: names the records beyond the end");
  tr_free (&r);
  tr_run (&r, "info", s.dir, NULL);
  t_check (tr_u64 (&r, "live records: ", &v) == 0 && v == 2,
           "info: the records before the damage are live");
  tr_free (&r);
  tr_run (&r, "log", s.dir, NULL);
  t_check (r.code == 0 && strstr (r.out, "seq ") != NULL
           && tr_line (&r, "seq ") != NULL
           && (p = strstr (r.out, "\nseq ")) != NULL
           && strstr (p + 1, "\nseq ") == NULL,
           "log: lists the two live records only");
  tr_free (&r);
  tr_store_free (&s);
}

static void
test_segments (void)
{
  struct tr_store s;
  struct tr_result r;
  const char *p;
  char path[4096];

  tr_store_build (&s, "missing", NREC, &rng);
  snprintf (path, sizeof path, "%s/beta", s.dir);
  if (unlink (path) != 0)
    t_bail ("unlink %s: %s", path, strerror (errno));
  tr_run (&r, "verify", s.dir, NULL);
  t_check (tr_failed (&r, 1) && (p = tr_line (&r, "damage: ")) != NULL
           && strncmp (p, "segment beta is missing", 23) == 0,
           "verify: a segment the log changes is missing: exit 1");
  tr_free (&r);
  {
    /* Without its file, the segment is what its live records wrote.  */
    unsigned char *want = calloc (1, s.size[1]);
    size_t end = 0, k;
    int i;

    if (want == NULL)
      t_bail ("out of memory");
    for (i = 0; i < s.nrec; i++)
      for (k = 0; k < s.rec[i].nranges; k++)
        if (s.rec[i].r[k].seg == 1)
          {
            const struct tr_range *g = &s.rec[i].r[k];
            memcpy (want + g->off, g->data, g->len);
            if (g->off + g->len > end)
              end = g->off + g->len;
          }
    tr_run (&r, "cat", s.dir, "beta", NULL);
    t_check (r.code == 0 && end > 0 && r.outlen == end
             && memcmp (r.out, want, end) == 0
             && strstr (r.err, "missing") != NULL,
             "cat: a missing segment's bytes come from the log, with a"
             " warning");
    tr_free (&r);
    free (want);
  }
  tr_store_free (&s);

  tr_store_build (&s, "irregular", NREC, &rng);
  snprintf (path, sizeof path, "%s/gamma", s.dir);
  if (mkdir (path, 0755) != 0)
    t_bail ("mkdir %s: %s", path, strerror (errno));
  tr_run (&r, "verify", s.dir, NULL);
  t_check (tr_failed (&r, 1) && (p = tr_line (&r, "damage: ")) != NULL
           && strncmp (p, "segment gamma is not a regular file", 35) == 0,
           "verify: a segment that is not a regular file: exit 1");
  tr_free (&r);
  tr_store_free (&s);
}

/* --- nothing changes ----------------------------------------------- */

static void
readonly_pass (const char *dir, const char *tag)
{
  static const char *const cmds[][5] = {
    { "info", NULL },
    { "verify", NULL },
    { "log", NULL },
    { "log", "--hex", NULL },
    { "cat", "alpha", NULL },
    { "cat", "--offset=100", "--length=10", "beta", NULL },
  };
  size_t i;

  for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    {
      struct tr_snap a, b;
      struct tr_result r;
      const char *const *c = cmds[i];

      tr_snapshot (dir, &a);
      if (c[1] == NULL)
        tr_run (&r, c[0], dir, NULL);
      else if (strcmp (c[0], "log") == 0)
        tr_run (&r, c[0], c[1], dir, NULL);
      else if (c[2] == NULL)
        tr_run (&r, c[0], dir, c[1], NULL);
      else
        tr_run (&r, c[0], c[1], c[2], dir, c[3], NULL);
      tr_snapshot (dir, &b);
      t_check (r.code == 0 && tr_snap_equal (&a, &b),
               "read-only (%s): %s%s%s changes nothing", tag, c[0],
               strcmp (c[0], "log") == 0 && c[1] ? " " : "",
               strcmp (c[0], "log") == 0 && c[1] ? c[1] : "");
      tr_free (&r);
      tr_snap_free (&a);
      tr_snap_free (&b);
    }
}

static void
test_readonly (void)
{
  static const char junk[] = "torn";
  struct tr_store s;
  char path[4096];
  struct stat st;

  /* Live records and a torn tail: what recovery would change.  */
  tr_store_build (&s, "readonly", NREC, &rng);
  patch (s.dir, LRVM_LOG_NAME, rec_offset (&s, s.nrec), junk, sizeof junk);
  readonly_pass (s.dir, "lock file present");
  snprintf (path, sizeof path, "%s/%s", s.dir, LRVM_LOCK_NAME);
  if (unlink (path) != 0)
    t_bail ("unlink %s: %s", path, strerror (errno));
  readonly_pass (s.dir, "no lock file");
  t_check (lstat (path, &st) != 0 && errno == ENOENT,
           "read-only: no lock file is created");
  tr_store_free (&s);

  /* A directory that is no store is not made one.  */
  {
    char *d = t_tmpdir ("nostore");
    struct tr_result r;
    struct tr_snap a, b;

    tr_snapshot (d, &a);
    tr_run (&r, "info", d, NULL);
    tr_snapshot (d, &b);
    t_check (tr_failed (&r, 1) && tr_snap_equal (&a, &b),
             "info: a directory without a log fails, unchanged");
    tr_free (&r);
    tr_snap_free (&a);
    tr_snap_free (&b);
    snprintf (path, sizeof path, "%s/sub", d);
    tr_run (&r, "verify", path, NULL);
    t_check (tr_failed (&r, 1) && lstat (path, &st) != 0,
             "verify: a directory that does not exist fails, not created");
    tr_free (&r);
    t_rmdir (d);
    free (d);
  }
}

int
main (int argc, char **argv)
{
  tr_init (argc, argv);
  rng = t_seed ("reading");
  test_info ();
  test_log ();
  test_cat ();
  test_verify_good ();
  test_torn_garbage ();
  test_torn_half ();
  test_headers ();
  test_middle ();
  test_segments ();
  test_readonly ();
  return t_done ();
}
