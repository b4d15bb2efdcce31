/* logcheck.c -- see logcheck.h.  Every check states a rule of the
   on-disk format (lib/format.h) or of a parser's contract
   (lib/lrvm-internal.h), and the in-memory walk of the records is the
   reference that the file scan must agree with.  */

#include <config.h>

#include "lrvm-internal.h"
#include "logcheck.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_MEMFD_CREATE
# include <sys/mman.h>
#endif

/* The smallest record: a header and one entry of a one-byte name and
   one byte of data, each padded to 8.  */
#define MIN_RECORD (LRVM_REC_HDR_SIZE + LRVM_ENT_HDR_SIZE + 16)
/* What the scan's callback returns to stop it.  */
#define STOP 7

struct ctx
{
  struct logcheck_result *res;
  const char *image;            /* "given" or "sealed" */
  int failed;
};

/* Note the first broken invariant.  */
static void LRVM_PRINTF (2, 3)
broken (struct ctx *c, const char *fmt, ...)
{
  va_list ap;
  int n;

  if (c->failed)
    return;
  c->failed = 1;
  n = snprintf (c->res->error, sizeof c->res->error, "%s image: ",
                c->image);
  if (n < 0 || (size_t) n >= sizeof c->res->error)
    return;
  va_start (ap, fmt);
  vsnprintf (c->res->error + n, sizeof c->res->error - (size_t) n, fmt, ap);
  va_end (ap);
}

#define CHECK(c, cond, ...) ((cond) ? 1 : (broken ((c), __VA_ARGS__), 0))

static void *
xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (p == NULL)
    {
      fprintf (stderr, "logcheck: out of memory\n");
      abort ();
    }
  return p;
}

static int
same_header (const struct lrvm_header *a, const struct lrvm_header *b)
{
  return a->major == b->major && a->minor == b->minor
         && a->incompat == b->incompat && a->compat == b->compat
         && a->generation == b->generation && a->head_seq == b->head_seq
         && a->head_off == b->head_off && a->epoch == b->epoch;
}

/* ------------------------------------------------------------------ */
/* The image as a file.  */

static int image_fd = -1;
/* The library's own scan window.  */
static size_t default_window;

/* A file for the image: a memory file where there is one, else an
   unlinked temporary file.  Kept open for every later call.  */
static int
image_file (void)
{
  const char *dir;
  char path[4096];

  if (image_fd >= 0)
    return image_fd;
#ifdef HAVE_MEMFD_CREATE
  image_fd = memfd_create ("lrvm-logcheck", MFD_CLOEXEC);
  if (image_fd >= 0)
    return image_fd;
#endif
  dir = getenv ("TMPDIR");
  if (dir == NULL || *dir == '\0')
    dir = "/tmp";
  snprintf (path, sizeof path, "%s/lrvm-logcheck.XXXXXX", dir);
  image_fd = mkstemp (path);
  if (image_fd >= 0)
    unlink (path);
  return image_fd;
}

/* Make the file hold exactly IMG[0..SIZE).  */
static int
image_write (int fd, const unsigned char *img, size_t size)
{
  size_t done = 0;

  if (ftruncate (fd, 0) != 0)
    return -1;
  while (done < size)
    {
      ssize_t n = pwrite (fd, img + done, size - done, (off_t) done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      done += (size_t) n;
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Header slots.  */

/* The fields of a slot read straight from the layout in format.h.  */
static void
slot_fields (const unsigned char *slot, struct lrvm_header *h)
{
  h->major = lrvm_get16 (slot + 4);
  h->minor = lrvm_get16 (slot + 6);
  h->incompat = lrvm_get32 (slot + 8);
  h->compat = lrvm_get32 (slot + 12);
  h->generation = lrvm_get64 (slot + 16);
  h->head_seq = lrvm_get64 (slot + 24);
  h->head_off = lrvm_get64 (slot + 32);
  h->epoch = lrvm_get32 (slot + 40);
}

/* Decode slot I of IMG into *H, check the result against the format's
   rules, and return it (1 if the image is too short for the slot).  */
static int
check_slot (struct ctx *c, const unsigned char *img, size_t size, int i,
            struct lrvm_header *h)
{
  unsigned char *slot, again[LRVM_HDR_SLOT_SIZE];
  struct lrvm_header raw, h2;
  int d, sealed;

  memset (h, 0, sizeof *h);
  if (size < (size_t) (i + 1) * LRVM_HDR_SLOT_SIZE)
    return 1;
  /* An exact copy: AddressSanitizer catches a read past the slot.  */
  slot = xmalloc (LRVM_HDR_SLOT_SIZE);
  memcpy (slot, img + (size_t) i * LRVM_HDR_SLOT_SIZE, LRVM_HDR_SLOT_SIZE);
  d = lrvm__header_decode (slot, h);
  slot_fields (slot, &raw);
  sealed = lrvm_get32 (slot) == LRVM_LOG_MAGIC
           && lrvm_get32 (slot + LRVM_HDR_CRC_OFF)
              == lrvm__crc32c (0, slot, LRVM_HDR_CRC_OFF);
  switch (d)
    {
    case 0:
      CHECK (c, sealed && raw.major == LRVM_FORMAT_MAJOR
             && raw.incompat == 0 && raw.head_off >= LRVM_LOG_DATA_START
             && raw.head_off % 8 == 0,
             "slot %d: decoded as valid against the format's rules", i);
      CHECK (c, same_header (h, &raw), "slot %d: decoded fields differ"
             " from the slot's bytes", i);
      lrvm__header_encode (again, h);
      CHECK (c, lrvm__header_decode (again, &h2) == 0 && same_header (h, &h2),
             "slot %d: the header does not survive encoding and decoding",
             i);
      break;
    case -2:
      CHECK (c, sealed && (raw.major != LRVM_FORMAT_MAJOR
                           || raw.incompat != 0),
             "slot %d: called a future format (major %u, incompat %#x)",
             i, raw.major, raw.incompat);
      CHECK (c, h->major == raw.major, "slot %d: a future format's version"
             " is not reported", i);
      break;
    case -1:
      CHECK (c, !sealed || (raw.major == LRVM_FORMAT_MAJOR
                            && raw.incompat == 0
                            && (raw.head_off < LRVM_LOG_DATA_START
                                || raw.head_off % 8 != 0)),
             "slot %d: a sealed slot with head offset %llu refused", i,
             (unsigned long long) raw.head_off);
      break;
    default:
      broken (c, "slot %d: lrvm__header_decode returned %d", i, d);
    }
  if (d == -2)
    h->generation = raw.generation;
  free (slot);
  return d;
}

/* lrvm__log_read_header on the file must return the valid or future
   slot of the larger generation (either one on a tie).  Returns its
   result; *H gets the header in force.  */
static int
check_read_header (struct ctx *c, int fd, size_t size, const int d[2],
                   const struct lrvm_header hs[2], struct lrvm_header *h)
{
  int r, i, cand = 0, want_ok = 0, want_version = 0, match = 0;
  uint64_t top = 0;

  memset (h, 0, sizeof *h);
  r = lrvm__log_read_header (fd, h);
  if (size >= LRVM_HDR_SLOTS * LRVM_HDR_SLOT_SIZE)
    for (i = 0; i < LRVM_HDR_SLOTS; i++)
      if ((d[i] == 0 || d[i] == -2) && (!cand || hs[i].generation > top))
        {
          top = hs[i].generation;
          cand = 1;
        }
  for (i = 0; cand && i < LRVM_HDR_SLOTS; i++)
    if ((d[i] == 0 || d[i] == -2) && hs[i].generation == top)
      {
        if (d[i] == 0)
          {
            want_ok = 1;
            match |= same_header (h, &hs[i]);
          }
        else
          want_version = 1;
      }
  if (!cand)
    CHECK (c, r == RVM_ECORRUPT, "lrvm__log_read_header returned %d with"
           " no valid slot", r);
  else if (r == 0)
    CHECK (c, want_ok && match, "lrvm__log_read_header chose a header"
           " that is not the newest valid slot");
  else
    CHECK (c, r == RVM_EVERSION && want_version, "lrvm__log_read_header"
           " returned %d", r);
  return r;
}

/* ------------------------------------------------------------------ */
/* Records.  */

/* Check the record REC[0..LEN) that a parser accepted for SEQ and
   EPOCH, on an exact copy so that a read past its end is caught: it
   checks on its own, not with fewer bytes nor for another sequence
   number or epoch; its entries lie inside it, back to back, as many as
   its header says, with valid names and offsets; a flipped bit in its
   entries is caught.  Returns its number of entries.  */
static long
check_record (struct ctx *c, const unsigned char *rec, size_t len,
              uint64_t seq, uint32_t epoch)
{
  unsigned char *copy;
  size_t pos = 0, start = LRVM_REC_HDR_SIZE, flip;
  long n = 0, max;
  uint32_t nentries;
  struct lrvm_entry e;

  if (!CHECK (c, len >= MIN_RECORD && len % 8 == 0
              && len == lrvm_get32 (rec + 8), "record %llu: accepted with"
              " length %zu (field %lu)", (unsigned long long) seq, len,
              (unsigned long) lrvm_get32 (rec + 8)))
    return 0;
  copy = xmalloc (len);
  memcpy (copy, rec, len);
  CHECK (c, lrvm__record_check (copy, len, seq, epoch) == len,
         "record %llu: does not check on its own", (unsigned long long) seq);
  CHECK (c, lrvm__record_check (copy, len - 8, seq, epoch) == 0,
         "record %llu: accepted with %zu of its %zu bytes",
         (unsigned long long) seq, len - 8, len);
  CHECK (c, lrvm__record_check (copy, len, seq + 1, epoch) == 0
         && lrvm__record_check (copy, len, seq, epoch + 1) == 0,
         "record %llu: accepted for another sequence number or epoch",
         (unsigned long long) seq);

  nentries = lrvm_get32 (copy + 28);
  max = (long) (len / LRVM_ENT_HDR_SIZE);
  while (n <= max && lrvm__record_next (copy, &pos, &e))
    {
      size_t name_at = (size_t) ((const unsigned char *) e.name - copy);
      size_t data_at = (size_t) (e.data - copy);

      n++;
      if (!CHECK (c, name_at == start + LRVM_ENT_HDR_SIZE
                  && e.name_len >= 1 && e.name_len <= LRVM_NAME_MAX
                  && name_at + LRVM_PAD8 (e.name_len) <= len
                  && lrvm__name_ok (e.name, e.name_len),
                  "record %llu, entry %ld: name of %zu bytes at %zu is not"
                  " a valid name inside the record",
                  (unsigned long long) seq, n, e.name_len, name_at)
          || !CHECK (c, data_at == name_at + LRVM_PAD8 (e.name_len)
                     && e.data_len >= 1
                     && data_at + LRVM_PAD8 (e.data_len) <= len
                     && pos == data_at + LRVM_PAD8 (e.data_len),
                     "record %llu, entry %ld: %zu bytes of data at %zu are"
                     " not inside the record", (unsigned long long) seq, n,
                     e.data_len, data_at)
          || !CHECK (c, e.offset <= ((uint64_t) 1 << 62) - e.data_len,
                     "record %llu, entry %ld: offset %llu out of range",
                     (unsigned long long) seq, n,
                     (unsigned long long) e.offset))
        break;
      start = pos;
    }
  CHECK (c, n == (long) nentries && pos == len, "record %llu: %ld entries"
         " end at %zu; its header says %lu entries in %zu bytes",
         (unsigned long long) seq, n, pos, (unsigned long) nentries, len);

  flip = LRVM_REC_HDR_SIZE
         + (size_t) ((seq * 2654435761u + len) % (len - LRVM_REC_HDR_SIZE));
  copy[flip] ^= (unsigned char) (1u << (seq % 8));
  CHECK (c, lrvm__record_check (copy, len, seq, epoch) == 0,
         "record %llu: accepted with a bit flipped at byte %zu",
         (unsigned long long) seq, flip);
  free (copy);
  return n;
}

struct recpos
{
  uint64_t off;
  size_t len;
};

/* The reference: walk the records of IMG from H in memory with
   lrvm__record_check.  Stores at most MAX records in V; returns their
   number and adds their entries to *ENTRIES.  */
static size_t
walk_memory (struct ctx *c, const unsigned char *img, size_t size,
             const struct lrvm_header *h, struct recpos *v, size_t max,
             long *entries)
{
  uint64_t off = h->head_off, seq = h->head_seq;
  size_t n = 0;

  while (off < size && size - off >= LRVM_REC_HDR_SIZE && n < max)
    {
      size_t avail = size - (size_t) off;
      size_t len = lrvm__record_check (img + off, avail, seq, h->epoch);

      if (len == 0
          || !CHECK (c, len <= avail, "record %llu at %llu: length %zu"
                     " beyond the %zu bytes available",
                     (unsigned long long) seq, (unsigned long long) off,
                     len, avail))
        break;
      *entries += check_record (c, img + off, len, seq, h->epoch);
      v[n].off = off;
      v[n].len = len;
      n++;
      off += len;
      seq++;
    }
  return n;
}

struct scan
{
  struct ctx *c;
  const unsigned char *img;
  uint64_t size;                /* the file size given to the scan */
  uint32_t epoch;
  struct recpos *v;
  size_t n, max;
  long stop_at;                 /* stop at this record, or -1 */
  uint64_t next_off, next_seq;
  long entries;
};

/* The scan's callback: records come in order, back to back, inside
   the file, with the file's bytes.  */
static int
on_record (void *p, const unsigned char *rec, size_t len, uint64_t seq,
           uint64_t off)
{
  struct scan *s = p;
  struct ctx *c = s->c;

  if (s->stop_at >= 0 && s->n == (size_t) s->stop_at)
    return STOP;
  if (!CHECK (c, off == s->next_off && seq == s->next_seq, "scan: record"
              " %llu at %llu, expected record %llu at %llu",
              (unsigned long long) seq, (unsigned long long) off,
              (unsigned long long) s->next_seq,
              (unsigned long long) s->next_off)
      || !CHECK (c, off <= s->size && len <= s->size - off
                 && len == lrvm_get32 (rec + 8), "scan: record %llu of %zu"
                 " bytes at %llu is not inside the %llu bytes scanned",
                 (unsigned long long) seq, len, (unsigned long long) off,
                 (unsigned long long) s->size)
      || !CHECK (c, memcmp (rec, s->img + off, len) == 0, "scan: record"
                 " %llu: the bytes handed over are not the file's",
                 (unsigned long long) seq))
    return STOP;
  s->entries += check_record (c, rec, len, seq, s->epoch);
  if (s->n < s->max)
    {
      s->v[s->n].off = off;
      s->v[s->n].len = len;
    }
  s->n++;
  s->next_off = off + len;
  s->next_seq = seq + 1;
  return 0;
}

static void
scan_init (struct scan *s, struct ctx *c, const unsigned char *img,
           uint64_t size, const struct lrvm_header *h, struct recpos *v,
           size_t max, long stop_at)
{
  memset (s, 0, sizeof *s);
  s->c = c;
  s->img = img;
  s->size = size;
  s->epoch = h->epoch;
  s->v = v;
  s->max = max;
  s->stop_at = stop_at;
  s->next_off = h->head_off;
  s->next_seq = h->head_seq;
}

/* Scan the file FD (the image IMG[0..SIZE)) from H with lrvm__log_scan
   through a window of WINDOW bytes and hold it to the in-memory walk;
   then scan again as recovery does, up to the end found, and once more
   stopping halfway.  Returns the torn flag; if PRIMARY, the results go
   to C->res.  */
static int
check_scan (struct ctx *c, int fd, const unsigned char *img, size_t size,
            const struct lrvm_header *h, size_t window, int primary)
{
  size_t max = size / MIN_RECORD + 1, nmem, i;
  struct recpos *mem = xmalloc (max * sizeof *mem);
  struct recpos *got = xmalloc (max * sizeof *got);
  long mem_entries = 0;
  uint64_t end, next_seq, end2, next_seq2;
  struct scan s, s2;
  int r, torn, torn2;

  torn = -1;
  lrvm__scan_window = window;
  nmem = walk_memory (c, img, size, h, mem, max, &mem_entries);
  scan_init (&s, c, img, size, h, got, max, -1);
  r = lrvm__log_scan (fd, size, h, on_record, &s, &end, &next_seq, &torn);
  if (!CHECK (c, r == 0, "scan from %llu, window %zu: returned %d",
              (unsigned long long) h->head_off, window, r))
    goto out;
  CHECK (c, s.n == nmem, "scan from %llu, window %zu: found %zu records,"
         " the in-memory walk %zu", (unsigned long long) h->head_off,
         window, s.n, nmem);
  for (i = 0; i < s.n && i < nmem; i++)
    if (!CHECK (c, got[i].off == mem[i].off && got[i].len == mem[i].len,
                "scan: record %zu at %llu (%zu bytes), in memory at %llu"
                " (%zu bytes)", i, (unsigned long long) got[i].off,
                got[i].len, (unsigned long long) mem[i].off, mem[i].len))
      break;
  CHECK (c, s.entries == mem_entries, "scan: %ld entries, the in-memory"
         " walk %ld", s.entries, mem_entries);
  CHECK (c, next_seq == h->head_seq + s.n, "scan: next sequence number"
         " %llu after %zu records from %llu", (unsigned long long) next_seq,
         s.n, (unsigned long long) h->head_seq);
  if (s.n == 0)
    CHECK (c, end == h->head_off, "scan: no record, but the end moved from"
           " %llu to %llu", (unsigned long long) h->head_off,
           (unsigned long long) end);
  else
    CHECK (c, end == s.next_off && end > h->head_off && end <= size,
           "scan: end %llu is not after the last record (%llu) inside the"
           " %zu-byte file", (unsigned long long) end,
           (unsigned long long) s.next_off, size);

  /* Torn means the header of a record of the live epoch, which does
     not check, stands at the end; anything else there (zeros, records
     of other epochs, the remains of older records) is a clean end.  */
  {
    int live = end < size && size - end >= LRVM_REC_HDR_SIZE
               && lrvm_get32 (img + end) == LRVM_REC_MAGIC
               && lrvm_get32 (img + end + 24) == h->epoch;
    CHECK (c, !torn == !live, "scan: %s at %llu, but %s follows",
           torn ? "torn" : "a clean end", (unsigned long long) end,
           live ? "a record header of the live epoch"
                : "no record header of the live epoch");
  }

  if (s.n > 0 && !c->failed)
    {
      /* Recovery and truncation scan again up to the end found.  */
      scan_init (&s2, c, img, end, h, NULL, 0, -1);
      r = lrvm__log_scan (fd, end, h, on_record, &s2, &end2, &next_seq2,
                          &torn2);
      CHECK (c, r == 0 && s2.n == s.n && end2 == end
             && next_seq2 == next_seq && !torn2, "scan up to %llu: %zu"
             " records to %llu (torn %d), not %zu", (unsigned long long) end,
             s2.n, (unsigned long long) end2, torn2, s.n);

      /* A callback's nonzero result stops the scan at its record.  */
      scan_init (&s2, c, img, size, h, NULL, 0, (long) (s.n / 2));
      r = lrvm__log_scan (fd, size, h, on_record, &s2, &end2, &next_seq2,
                          &torn2);
      CHECK (c, r == STOP && end2 == got[s.n / 2].off
             && next_seq2 == h->head_seq + s.n / 2, "scan stopped at"
             " record %zu: returned %d, end %llu", s.n / 2, r,
             (unsigned long long) end2);
    }
  if (primary)
    {
      c->res->records = (long) s.n;
      c->res->entries = s.entries;
      c->res->torn = torn;
      c->res->end = end;
    }
 out:
  lrvm__scan_window = default_window;
  free (mem);
  free (got);
  return torn;
}


/* ------------------------------------------------------------------ */
/* Recovery.  */

static char *store_dir;

/* Remove every file of the scratch directory.  */
static int
empty_scratch (void)
{
  DIR *d = opendir (store_dir);
  struct dirent *e;

  if (d == NULL)
    return -1;
  while ((e = readdir (d)) != NULL)
    if (strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0)
      unlinkat (dirfd (d), e->d_name, 0);
  closedir (d);
  return 0;
}

static void
remove_scratch (void)
{
  if (store_dir != NULL && empty_scratch () == 0)
    rmdir (store_dir);
  free (store_dir);
  store_dir = NULL;
}

/* A scratch store directory, made once and removed at exit; emptied
   before each use.  */
static const char *
scratch_store (void)
{
  const char *tmp;
  size_t n;

  if (store_dir == NULL)
    {
      tmp = getenv ("TMPDIR");
      if (tmp == NULL || *tmp == '\0')
        tmp = "/tmp";
      n = strlen (tmp) + 32;
      store_dir = xmalloc (n);
      snprintf (store_dir, n, "%s/lrvm-logcheck.XXXXXX", tmp);
      if (mkdtemp (store_dir) == NULL)
        {
          free (store_dir);
          store_dir = NULL;
          return NULL;
        }
      atexit (remove_scratch);
    }
  return empty_scratch () == 0 ? store_dir : NULL;
}

struct model_entry
{
  const char *name;
  size_t name_len;
  uint64_t offset;
  const unsigned char *data;
  size_t data_len;
};

/* The entries recovery must apply, in order: the records from the
   header in force H; but where a valid record of a newer epoch starts
   at their end, recovery takes it as the sign of a damaged newest slot
   and applies the records of that epoch from there instead (those
   before it were applied when that epoch began).  Under the header of
   a checkpoint (head offset past the start of the data), that record
   is looked for only at the start of the data, with a sequence number
   at least the header's head.  Returns their number, at most MAX, in
   V; -1 if there are more.  */
static long
model_entries (const unsigned char *img, size_t size, struct lrvm_header h,
               struct model_entry *v, long max)
{
  uint64_t off = h.head_off, seq = h.head_seq;
  long n = 0;

  for (;;)
    {
      size_t len, pos;
      struct lrvm_entry e;

      while (off < size && size - off >= LRVM_REC_HDR_SIZE
             && (len = lrvm__record_check (img + off, size - off, seq,
                                           h.epoch)) != 0)
        {
          for (pos = 0; lrvm__record_next (img + off, &pos, &e);)
            {
              if (n == max)
                return -1;
              v[n].name = e.name;
              v[n].name_len = e.name_len;
              v[n].offset = e.offset;
              v[n].data = e.data;
              v[n].data_len = e.data_len;
              n++;
            }
          off += len;
          seq++;
        }
      if (h.head_off != LRVM_LOG_DATA_START)
        off = LRVM_LOG_DATA_START;
      if (off >= size || size - off < LRVM_REC_HDR_SIZE
          || lrvm_get32 (img + off) != LRVM_REC_MAGIC
          || (int32_t) (lrvm_get32 (img + off + 24) - h.epoch) <= 0
          || (h.head_off != LRVM_LOG_DATA_START
              && lrvm_get64 (img + off + 16) < h.head_seq)
          || lrvm__record_check (img + off, size - off,
                                 lrvm_get64 (img + off + 16),
                                 lrvm_get32 (img + off + 24)) == 0)
        return n;
      h.epoch = lrvm_get32 (img + off + 24);
      h.head_seq = seq = lrvm_get64 (img + off + 16);
      h.head_off = off;
      n = 0;
    }
}

/* Nonzero if one of the entries V[K+1..N) writes the byte at OFFSET of
   segment NAME.  */
static int
later_write (const struct model_entry *v, long k, long n, const char *name,
             size_t name_len, uint64_t offset)
{
  long i;

  for (i = n - 1; i > k; i--)
    if (v[i].name_len == name_len
        && memcmp (v[i].name, name, name_len) == 0
        && offset >= v[i].offset && offset - v[i].offset < v[i].data_len)
      return 1;
  return 0;
}

struct stale
{
  const unsigned char *img;
  size_t size;
  int ok;                       /* every record so far is stale */
  long n;
};

/* A record readable after recovery: it must be the image's own, of the
   new epoch (the scan checked that).  */
static int
stale_record (void *p, const unsigned char *rec, size_t len, uint64_t seq,
              uint64_t off)
{
  struct stale *st = p;

  (void) seq;
  st->ok = st->ok && off <= st->size && len <= st->size - off
           && memcmp (rec, st->img + off, len) == 0;
  st->n++;
  return 0;
}

/* Open a store whose log is IMG[0..SIZE) (no flushes), which recovers
   it; HEADER and H are what lrvm__log_read_header made of the image.
   Opening either fails with a status code that says why, or succeeds;
   then every byte that an entry recovery must apply wrote last has
   that value in its segment file, and after closing, the log holds a
   valid header and no record (but see below).  */
static void
check_recovery (struct ctx *c, const unsigned char *img, size_t size,
                int header, const struct lrvm_header *h)
{
  struct rvm_options opt;
  struct lrvm_header after;
  struct model_entry *v = NULL;
  const char *dir = scratch_store ();
  char path[4096];
  rvm_t rvm;
  uint64_t end, next_seq;
  long n = -1, k;
  int r, fd, dfd, torn;
  struct stale st;

  if (dir == NULL)
    {
      broken (c, "recovery: no scratch directory: %s", strerror (errno));
      return;
    }
  snprintf (path, sizeof path, "%s/%s", dir, LRVM_LOG_NAME);
  fd = open (path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || image_write (fd, img, size) != 0)
    {
      broken (c, "recovery: cannot write %s: %s", path, strerror (errno));
      if (fd >= 0)
        close (fd);
      return;
    }
  close (fd);

  rvm_options_init (&opt);
  opt.sync_mode = RVM_SYNC_NONE;
  r = rvm_open (dir, &opt, &rvm);
  if (r != 0)
    {
      /* A log cut short or without a valid header is refused, and so
         is a newer format; applying an entry can fail (an offset past
         the largest file).  */
      CHECK (c, (r == RVM_ECORRUPT && (size < LRVM_LOG_DATA_START
                                       || header == RVM_ECORRUPT))
             || (r == RVM_EVERSION && header == RVM_EVERSION)
             || (r == RVM_EIO && header == 0),
             "recovery: rvm_open returned %d (%s); the header read %d", r,
             rvm_errmsg (), header);
      return;
    }
  CHECK (c, header == 0 && size >= LRVM_LOG_DATA_START, "recovery:"
         " rvm_open succeeded on a log whose header read %d", header);
  CHECK (c, rvm_close (rvm) == 0, "recovery: rvm_close failed: %s",
         rvm_errmsg ());
  if (c->failed)
    return;

  st.img = img;
  st.size = size;
  st.ok = 1;
  st.n = 0;

  /* The segment files hold the newest value of every byte written.  */
  v = xmalloc ((size / LRVM_ENT_HDR_SIZE + 1) * sizeof *v);
  n = model_entries (img, size, *h, v, (long) (size / LRVM_ENT_HDR_SIZE));
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (k = n - 1; k >= 0 && dfd >= 0 && !c->failed; k--)
    {
      char name[LRVM_NAME_MAX + 1];
      unsigned char *got = xmalloc (v[k].data_len);
      size_t j, nread = 0;

      memcpy (name, v[k].name, v[k].name_len);
      name[v[k].name_len] = '\0';
      fd = openat (dfd, name, O_RDONLY | O_CLOEXEC);
      if (fd < 0 || lrvm__read_at (fd, got, v[k].data_len, v[k].offset,
                                   &nread) != 0)
        nread = 0;
      if (fd >= 0)
        close (fd);
      for (j = 0; j < v[k].data_len && !c->failed; j++)
        if (!later_write (v, k, n, v[k].name, v[k].name_len,
                          v[k].offset + j))
          CHECK (c, j < nread && got[j] == v[k].data[j], "recovery: byte"
                 " %llu of segment %s is not that of entry %ld",
                 (unsigned long long) (v[k].offset + j), name, k);
      free (got);
    }
  if (dfd >= 0)
    close (dfd);
  free (v);

  /* The log starts over: a valid header, and no record from it.  One
     exception is known: the new epoch is the old one plus one, so
     records of that epoch that the image held but that were never in
     the log in force (only a lost newer header slot could have let
     them be written) can become readable.  Such records are counted,
     not failed: they must be the image's own bytes.  */
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (!CHECK (c, fd >= 0 && lrvm__log_read_header (fd, &after) == 0,
              "recovery: the log has no valid header after it"))
    {
      if (fd >= 0)
        close (fd);
      return;
    }
  r = lrvm__log_scan (fd, (uint64_t) lseek (fd, 0, SEEK_END), &after,
                      stale_record, &st, &end, &next_seq, &torn);
  close (fd);
  CHECK (c, r == 0 && (end == after.head_off || st.ok), "recovery: the log"
         " still holds records after it (end %llu from %llu), not stale"
         " ones of its new epoch %lu", (unsigned long long) end,
         (unsigned long long) after.head_off, (unsigned long) after.epoch);
  if (end != after.head_off)
    c->res->stale = st.n;
}

/* ------------------------------------------------------------------ */

/* Run every check over IMG[0..SIZE), held in FD, scanning with the
   usual window and with one of SMALL bytes; recovery too if FLAGS
   says so.  */
static void
check_image (struct ctx *c, int fd, const unsigned char *img, size_t size,
             size_t small, int flags, int primary)
{
  struct lrvm_header hs[LRVM_HDR_SLOTS], h;
  int d[LRVM_HDR_SLOTS], r, i;
  size_t large = default_window;

  for (i = 0; i < LRVM_HDR_SLOTS; i++)
    d[i] = check_slot (c, img, size, i, &hs[i]);
  r = check_read_header (c, fd, size, d, hs, &h);
  if (primary)
    {
      c->res->slot[0] = d[0];
      c->res->slot[1] = d[1];
      c->res->header = r;
    }
  /* The usual window reads the whole file at once, and so does one of
     the file's size, which costs less to allocate.  */
  if (size < default_window)
    large = size < LRVM_REC_HDR_SIZE ? LRVM_REC_HDR_SIZE : size;
  for (i = 0; i < LRVM_HDR_SLOTS && !c->failed; i++)
    if (d[i] == 0)
      {
        int t1 = check_scan (c, fd, img, size, &hs[i], large,
                             primary && r == 0 && same_header (&h, &hs[i]));
        int t2 = check_scan (c, fd, img, size, &hs[i], small, 0);
        CHECK (c, t1 == t2, "scan from %llu: torn %d with a window of %zu"
               " bytes, %d with %zu", (unsigned long long) hs[i].head_off,
               t1, large, t2, small);
      }
  if ((flags & LOGCHECK_RECOVERY) && !c->failed)
    check_recovery (c, img, size, r, &h);
}

/* Make the checksums of IMG right: the slots that have the magic, then
   the records from the head of the newest valid slot for as long as
   their length fields fit the image.  */
static void
seal (unsigned char *img, size_t size)
{
  struct lrvm_header h, best;
  uint64_t off;
  int i, found = 0;

  memset (&best, 0, sizeof best);
  for (i = 0; i < LRVM_HDR_SLOTS; i++)
    {
      unsigned char *p = img + (size_t) i * LRVM_HDR_SLOT_SIZE;
      if (size < (size_t) (i + 1) * LRVM_HDR_SLOT_SIZE
          || lrvm_get32 (p) != LRVM_LOG_MAGIC)
        continue;
      lrvm_put32 (p + LRVM_HDR_CRC_OFF,
                  lrvm__crc32c (0, p, LRVM_HDR_CRC_OFF));
      if (lrvm__header_decode (p, &h) == 0
          && (!found || h.generation > best.generation))
        {
          best = h;
          found = 1;
        }
    }
  if (!found)
    return;
  for (off = best.head_off; off < size && size - off >= MIN_RECORD;)
    {
      size_t len = lrvm_get32 (img + off + 8);
      if (len < MIN_RECORD || len % 8 != 0 || len > size - off)
        break;
      lrvm__record_seal (img + off, len);
      off += len;
    }
}

int
logcheck_run (const unsigned char *data, size_t size, size_t window,
              int flags, struct logcheck_result *res)
{
  struct ctx c;
  unsigned char *copy;
  int fd;

  memset (res, 0, sizeof *res);
  res->slot[0] = res->slot[1] = 1;
  res->records = res->entries = -1;
  res->torn = -1;
  c.res = res;
  c.image = "given";
  c.failed = 0;
  if (default_window == 0)
    default_window = lrvm__scan_window;
  if (window == 0)
    window = 32 + lrvm__crc32c (0, data, size) % 1024;
  else if (window < LRVM_REC_HDR_SIZE)
    window = LRVM_REC_HDR_SIZE;
  fd = image_file ();
  if (fd < 0 || image_write (fd, data, size) != 0)
    {
      snprintf (res->error, sizeof res->error, "cannot write the image to"
                " a temporary file: %s", strerror (errno));
      return -2;
    }
  check_image (&c, fd, data, size, window, flags, 1);
  if (!c.failed)
    {
      copy = xmalloc (size);
      if (size > 0)
        memcpy (copy, data, size);
      seal (copy, size);
      if (size > 0 && memcmp (copy, data, size) != 0)
        {
          c.image = "sealed";
          if (image_write (fd, copy, size) != 0)
            {
              snprintf (res->error, sizeof res->error, "cannot write the"
                        " image to a temporary file: %s", strerror (errno));
              free (copy);
              return -2;
            }
          check_image (&c, fd, copy, size, window, flags, 0);
        }
      free (copy);
    }
  return c.failed ? -1 : 0;
}
