/* lrvm.c -- the lrvm command: inspect, check and repair a store.
   info, verify, log and cat only read (through inspect.c, under a
   shared lock); recover, truncate, create and destroy go through the
   library's public API like any program.  */

#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const usage_text =
"Usage: lrvm COMMAND [OPTION]... DIR [ARGUMENT]...\n"
"Inspect, check and repair the lrvm store in the directory DIR.\n"
"\n"
"Commands that only read (they change no byte of any file):\n"
"  info DIR             show the segments, the log, the header in force,\n"
"                         the live records and whether recovery is pending\n"
"  verify DIR           check both header slots, every live record, what\n"
"                         follows the log's end, and the segment files\n"
"  log [--hex] DIR      list the live records, one line each\n"
"  cat [--offset=N] [--length=N] DIR SEGMENT\n"
"                       write the committed bytes of SEGMENT (its file\n"
"                         with the live records laid over) to stdout\n"
"\n"
"Commands that change the store:\n"
"  recover DIR          replay the log into the segment files\n"
"  truncate DIR         replay the log, then shrink the log file to its\n"
"                         reserve\n"
"  create DIR SEGMENT SIZE\n"
"                       create SEGMENT with SIZE zero bytes (or grow it to\n"
"                         SIZE; a larger segment is left as it is);\n"
"                         DIR becomes a store if it is not one\n"
"  destroy DIR SEGMENT  remove SEGMENT, after applying its log records\n"
"\n"
"Options:\n"
"  -x, --hex            (log) dump the new value of every range, as\n"
"                         hexdump -C does, at its offset in the segment\n"
"  -o, --offset=N       (cat) start at byte N of the segment (default 0)\n"
"  -l, --length=N       (cat) write N bytes (default: up to the end)\n"
"  -h, --help           display this help and exit\n"
"  -V, --version        display version information and exit\n"
"\n"
"SIZE and N are decimal numbers of bytes, optionally followed by K, M or\n"
"G (units of 1024, 1024^2, 1024^3).\n"
"\n"
"Every command refuses a store that another process has open (\"held\")\n"
"and then reads and changes nothing.  recover, truncate and destroy\n"
"refuse a directory that holds no store.\n"
"\n"
"A torn tail -- a record that was being written when the writer or the\n"
"machine stopped, so its transaction was never committed -- is the\n"
"normal trace of a crash: verify reports it but does not count it as\n"
"damage.  Damage is an unreadable header, valid records that lie beyond\n"
"the end of the log (recovery would lose them), or a segment file that\n"
"is missing or not a regular file.\n"
"\n"
"Exit status: 0 if all is well; 1 if verify found damage, or the command\n"
"failed (a held store included); 2 for a usage error.\n";

void
tool_error (const char *fmt, ...)
{
  va_list ap;

  fflush (stdout);
  fputs ("lrvm: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}

void
tool_note (const char *fmt, ...)
{
  va_list ap;

  fflush (stdout);
  fputs ("lrvm: note: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}

static int
usage_error (const char *fmt, ...) LRVM_PRINTF (1, 2);

static int
usage_error (const char *fmt, ...)
{
  va_list ap;

  fputs ("lrvm: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputs ("\nTry 'lrvm --help' for more information.\n", stderr);
  return EXIT_USAGE;
}

/* Parse a size: decimal digits, then an optional K, M or G.  Returns 0
   and sets *V, or -1 if S is not one or overflows.  */
static int
parse_size (const char *s, uint64_t *v)
{
  unsigned long long n;
  unsigned int shift = 0;
  char *end;

  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  n = strtoull (s, &end, 10);
  if (errno != 0)
    return -1;
  switch (*end)
    {
    case '\0':
      break;
    case 'k': case 'K':
      shift = 10;
      break;
    case 'm': case 'M':
      shift = 20;
      break;
    case 'g': case 'G':
      shift = 30;
      break;
    default:
      return -1;
    }
  if (*end != '\0' && end[1] != '\0')
    return -1;
  if (shift > 0 && n > (UINT64_MAX >> shift))
    return -1;
  *v = (uint64_t) n << shift;
  return 0;
}

static int
check_name (const char *name)
{
  if (!lrvm__name_ok (name, strlen (name)))
    return usage_error ("'%s' is not a segment name (1 to %d characters of"
                        " A-Z a-z 0-9 . _ -, not starting with '.')", name,
                        LRVM_NAME_MAX);
  return 0;
}

/* ------------------------------------------------------------------ */
/* The segments the live records change.  */

struct ref
{
  char *name;
  uint64_t records;
  uint64_t bytes;
};

struct refs
{
  struct ref *v;
  size_t n, cap;
  size_t *seen;                 /* refs the current record changed */
  size_t nseen, capseen;
};

/* V, of *CAP elements of SIZE bytes of which N are used, with room
   for one more: V itself or a larger copy, or NULL (and a message).  */
static void *
grow (void *v, size_t *cap, size_t n, size_t size)
{
  size_t c;
  void *nv;

  if (n < *cap)
    return v;
  c = *cap ? *cap * 2 : 8;
  nv = realloc (v, c * size);
  if (nv == NULL)
    {
      tool_error ("out of memory");
      return NULL;
    }
  *cap = c;
  return nv;
}

/* The scan's callback: count the records and bytes of each segment.  */
static int
refs_record (void *ctx, const unsigned char *rec, size_t len, uint64_t seq,
             uint64_t off)
{
  struct refs *r = ctx;
  struct lrvm_entry e;
  size_t pos = 0, i, k;

  (void) len;
  (void) seq;
  (void) off;
  r->nseen = 0;
  while (lrvm__record_next (rec, &pos, &e))
    {
      for (k = 0; k < r->n; k++)
        if (strlen (r->v[k].name) == e.name_len
            && memcmp (r->v[k].name, e.name, e.name_len) == 0)
          break;
      if (k == r->n)
        {
          void *nv = grow (r->v, &r->cap, r->n, sizeof *r->v);
          if (nv == NULL)
            return -1;
          r->v = nv;
          memset (&r->v[k], 0, sizeof r->v[k]);
          r->v[k].name = malloc (e.name_len + 1);
          if (r->v[k].name == NULL)
            {
              tool_error ("out of memory");
              return -1;
            }
          memcpy (r->v[k].name, e.name, e.name_len);
          r->v[k].name[e.name_len] = '\0';
          r->n++;
        }
      for (i = 0; i < r->nseen && r->seen[i] != k; i++)
        continue;
      if (i == r->nseen)
        {
          void *nv = grow (r->seen, &r->capseen, r->nseen, sizeof *r->seen);
          if (nv == NULL)
            return -1;
          r->seen = nv;
          r->seen[r->nseen++] = k;
          r->v[k].records++;
        }
      r->v[k].bytes += e.data_len;
    }
  return 0;
}

static struct ref *
refs_find (struct refs *r, const char *name)
{
  size_t i;

  for (i = 0; i < r->n; i++)
    if (strcmp (r->v[i].name, name) == 0)
      return &r->v[i];
  return NULL;
}

static void
refs_free (struct refs *r)
{
  size_t i;

  for (i = 0; i < r->n; i++)
    free (r->v[i].name);
  free (r->v);
  free (r->seen);
  memset (r, 0, sizeof *r);
}
/* ------------------------------------------------------------------ */
/* info */

static const char *
slot_text (enum slot_state st)
{
  switch (st)
    {
    case SLOT_VALID:
      return "valid";
    case SLOT_EMPTY:
      return "empty (never written)";
    case SLOT_FUTURE:
      return "future version";
    default:
      return "invalid (does not check)";
    }
}

static void
print_header (const struct lrvm_header *h)
{
  printf ("generation %llu, format %u.%u, epoch %lu, head seq %llu,"
          " head offset %llu",
          (unsigned long long) h->generation, h->major, h->minor,
          (unsigned long) h->epoch, (unsigned long long) h->head_seq,
          (unsigned long long) h->head_off);
}

/* Show what a store holds: the state recovery would start from.  */
static int
cmd_info (const char *dir)
{
  struct ro_store s;
  struct lrvm_header h;
  struct scan_result sr;
  struct dir_entry *v;
  size_t n, i, nseg = 0;
  uint64_t total = 0;

  if (ro_open_log (dir, &s) != 0)
    return EXIT_FAIL;
  if (ro_header (&s, &h) != 0 || ro_scan (&s, &h, NULL, NULL, &sr) != 0
      || ro_list (&s, &v, &n) != 0)
    {
      ro_close (&s);
      return EXIT_FAIL;
    }
  printf ("store: %s\n", dir);
  for (i = 0; i < n; i++)
    if (v[i].regular && v[i].name_ok)
      {
        printf ("segment %s: %llu bytes\n", v[i].name,
                (unsigned long long) v[i].size);
        nseg++;
        total += v[i].size;
      }
    else
      printf ("ignored: %s (%s)\n", v[i].name,
              v[i].regular ? "not a segment name" : "not a regular file");
  printf ("segments: %zu, %llu bytes\n", nseg, (unsigned long long) total);
  ro_list_free (v, n);
  printf ("log: %llu bytes\n", (unsigned long long) s.log_size);
  printf ("header: slot %u, ",
          (unsigned) (h.generation % LRVM_HDR_SLOTS));
  print_header (&h);
  putchar ('\n');
  printf ("reserve: %llu bytes (the library's default; a program may set"
          " another, which is not recorded in the store)\n",
          (unsigned long long) LRVM_DEFAULT_RESERVE);
  printf ("threshold: %llu bytes (the library's default; likewise)\n",
          (unsigned long long) LRVM_DEFAULT_THRESHOLD);
  printf ("live records: %llu\n", (unsigned long long) sr.records);
  if (sr.records > 0)
    {
      printf ("first seq: %llu\n", (unsigned long long) h.head_seq);
      printf ("last seq: %llu\n", (unsigned long long) (sr.next_seq - 1));
    }
  else
    {
      printf ("first seq: none\n");
      printf ("last seq: none\n");
    }
  printf ("live bytes: %llu\n", (unsigned long long) sr.bytes);
  printf ("log end: offset %llu, next seq %llu\n",
          (unsigned long long) sr.end, (unsigned long long) sr.next_seq);
  if (sr.records > 0)
    printf ("recovery: pending (the next open replays %llu record%s)\n",
            (unsigned long long) sr.records, sr.records == 1 ? "" : "s");
  else
    printf ("recovery: not needed\n");
  if (sr.torn)
    printf ("tail: torn at offset %llu (a record there does not check:"
            " a transaction a crash left uncommitted, or damage; lrvm"
            " verify tells which)\n", (unsigned long long) sr.end);
  else
    printf ("tail: clean\n");
  ro_close (&s);
  return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* verify */

/* Check everything that can be checked without changing anything.
   Returns EXIT_FAIL if anything is damaged: no header slot checks,
   valid records lie beyond the end of the log, or a segment file is
   missing or not a regular file.  A torn tail is reported, but it is
   what a crash leaves, not damage.  */
static int
cmd_verify (const char *dir)
{
  struct ro_store s;
  struct slot sl[LRVM_HDR_SLOTS];
  struct scan_result sr;
  struct lost_result lost;
  struct refs refs;
  struct dir_entry *v = NULL;
  struct stat st;
  size_t n = 0, i;
  int best = -1, problems = 0, torn = 0, rc = EXIT_FAIL;

  memset (&refs, 0, sizeof refs);
  if (ro_open_log (dir, &s) != 0)
    return EXIT_FAIL;
  if (ro_read_slots (&s, sl) != 0)
    goto out;
  printf ("log: %llu bytes\n", (unsigned long long) s.log_size);
  for (i = 0; i < LRVM_HDR_SLOTS; i++)
    if ((sl[i].state == SLOT_VALID || sl[i].state == SLOT_FUTURE)
        && (best < 0 || sl[i].h.generation > sl[best].h.generation))
      best = (int) i;
  for (i = 0; i < LRVM_HDR_SLOTS; i++)
    {
      printf ("header slot %zu: %s", i, slot_text (sl[i].state));
      if (sl[i].state == SLOT_VALID || sl[i].state == SLOT_FUTURE)
        {
          printf (", ");
          print_header (&sl[i].h);
        }
      if ((int) i == best)
        printf (" (in force)");
      putchar ('\n');
    }
  if (best < 0)
    {
      printf ("damage: neither header slot checks: the log cannot be"
              " read\n");
      problems++;
    }
  else if (sl[best].state == SLOT_FUTURE)
    {
      tool_error ("%s: the log has format %u.%u; this lrvm reads format %u"
                  " and cannot verify it", dir, sl[best].h.major,
                  sl[best].h.minor, LRVM_FORMAT_MAJOR);
      goto out;
    }
  else
    {
      struct lrvm_header follow = sl[best].h;
      const struct lrvm_header *h = &follow;
      int adopted;

      for (i = 0; i < LRVM_HDR_SLOTS; i++)
        if (sl[i].state == SLOT_INVALID)
          printf ("note: header slot %zu does not check (a header write"
                  " that a crash tore, or damage); slot %d is in force\n",
                  i, best);
      /* Past a damaged newest slot, as recovery goes.  */
      if (lrvm__log_follow (s.logfd, s.log_size, &follow, &adopted, NULL,
                            NULL, NULL) != 0)
        {
          tool_error ("%s: cannot read the log", dir);
          goto out;
        }
      if (adopted)
        printf ("note: records of epoch %lu, newer than the slot in force,"
                " start at offset %llu: the newest header slot was lost;"
                " recovery continues from them\n",
                (unsigned long) follow.epoch,
                (unsigned long long) follow.head_off);
      if (h->head_off > s.log_size)
        {
          printf ("damage: the header's head offset %llu lies beyond the"
                  " end of the log\n", (unsigned long long) h->head_off);
          problems++;
        }
      if (ro_scan (&s, h, refs_record, &refs, &sr) != 0
          || ro_find_lost (&s, h, &sr, &lost) != 0)
        goto out;
      if (sr.records > 0)
        printf ("records: %llu live, all check: seq %llu to %llu, %llu"
                " bytes from offset %llu\n",
                (unsigned long long) sr.records,
                (unsigned long long) h->head_seq,
                (unsigned long long) (sr.next_seq - 1),
                (unsigned long long) sr.bytes,
                (unsigned long long) h->head_off);
      else
        printf ("records: none live\n");
      printf ("end: the log ends at offset %llu; the next record is seq"
              " %llu\n", (unsigned long long) sr.end,
              (unsigned long long) sr.next_seq);
      if (lost.count > 0)
        {
          printf ("damage: records %llu to %llu (%llu, from offset %llu)"
                  " check but lie beyond the end of the log: recovery"
                  " would not replay them (the log is damaged at offset"
                  " %llu, or a crash tore a group of records written"
                  " together)\n",
                  (unsigned long long) lost.first_seq,
                  (unsigned long long) lost.last_seq,
                  (unsigned long long) lost.count,
                  (unsigned long long) lost.first_off,
                  (unsigned long long) sr.end);
          problems++;
        }
      if (lost.newer > 0)
        {
          printf ("damage: %llu record%s of epoch %lu, newer than the"
                  " header in force (epoch %lu), from offset %llu: the"
                  " newest header slot is lost, and recovery would lose"
                  " these records\n", (unsigned long long) lost.newer,
                  lost.newer == 1 ? "" : "s",
                  (unsigned long) lost.newer_epoch, (unsigned long) h->epoch,
                  (unsigned long long) lost.newer_off);
          problems++;
        }
      if (sr.torn && lost.count == 0)
        {
          printf ("tail: torn at offset %llu: the last transaction was not"
                  " committed (what a crash leaves; not damage)\n",
                  (unsigned long long) sr.end);
          torn = 1;
        }
      else if (!sr.torn)
        printf ("tail: clean\n");
    }

  if (ro_list (&s, &v, &n) != 0)
    goto out;
  for (i = 0; i < n; i++)
    {
      struct ref *f = refs_find (&refs, v[i].name);

      if (!v[i].name_ok)
        printf ("note: %s is not a segment name; ignored\n", v[i].name);
      else if (!v[i].regular)
        {
          printf ("damage: segment %s is not a regular file\n", v[i].name);
          problems++;
        }
      else if (f != NULL)
        printf ("segment %s: %llu bytes, %llu live record%s\n", v[i].name,
                (unsigned long long) v[i].size,
                (unsigned long long) f->records,
                f->records == 1 ? "" : "s");
      else
        printf ("segment %s: %llu bytes\n", v[i].name,
                (unsigned long long) v[i].size);
    }
  for (i = 0; i < refs.n; i++)
    if (fstatat (s.dirfd, refs.v[i].name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      {
        printf ("damage: segment %s is missing, but %llu live record%s"
                " change it\n", refs.v[i].name,
                (unsigned long long) refs.v[i].records,
                refs.v[i].records == 1 ? "" : "s");
        problems++;
      }
  if (fstatat (s.dirfd, LRVM_LOG_TMP_NAME, &st, AT_SYMLINK_NOFOLLOW) == 0)
    printf ("note: %s is left from an interrupted creation of the log;"
            " the next open removes it\n", LRVM_LOG_TMP_NAME);

  if (problems > 0)
    {
      printf ("status: damaged (%d problem%s)\n", problems,
              problems == 1 ? "" : "s");
      tool_error ("%s: damaged: %d problem%s found", dir, problems,
                  problems == 1 ? "" : "s");
    }
  else
    {
      printf ("status: ok%s\n", torn ? " (torn tail)" : "");
      rc = EXIT_OK;
    }
out:
  ro_list_free (v, n);
  refs_free (&refs);
  ro_close (&s);
  return rc;
}

/* ------------------------------------------------------------------ */
/* log */

/* Dump P[0..LEN) as hexdump -C does, with offsets from BASE.  */
static void
hexdump (const unsigned char *p, size_t len, uint64_t base)
{
  size_t i, j;
  int star = 0;

  for (i = 0; i < len; i += 16)
    {
      size_t n = len - i < 16 ? len - i : 16;

      if (i > 0 && n == 16 && memcmp (p + i, p + i - 16, 16) == 0)
        {
          if (!star)
            puts ("    *");
          star = 1;
          continue;
        }
      star = 0;
      printf ("    %08llx  ", (unsigned long long) (base + i));
      for (j = 0; j < 16; j++)
        {
          if (j < n)
            printf ("%02x ", p[i + j]);
          else
            fputs ("   ", stdout);
          if (j == 7)
            putchar (' ');
        }
      fputs (" |", stdout);
      for (j = 0; j < n; j++)
        putchar (p[i + j] >= 0x20 && p[i + j] < 0x7f ? p[i + j] : '.');
      puts ("|");
    }
  printf ("    %08llx\n", (unsigned long long) (base + len));
}

/* The scan's callback for log: one line per record.  */
static int
log_record (void *ctx, const unsigned char *rec, size_t len, uint64_t seq,
            uint64_t off)
{
  const int *hex = ctx;
  struct lrvm_entry e, e2;
  size_t pos = 0, pos2, nent = 0, nseg = 0;
  uint64_t bytes = 0;

  while (lrvm__record_next (rec, &pos, &e))
    {
      int seen = 0;

      nent++;
      bytes += e.data_len;
      /* A segment counts once, at its first entry.  */
      pos2 = 0;
      while (lrvm__record_next (rec, &pos2, &e2) && e2.name != e.name)
        if (e2.name_len == e.name_len
            && memcmp (e2.name, e.name, e.name_len) == 0)
          seen = 1;
      nseg += !seen;
    }
  printf ("seq %llu offset %llu length %zu entries %zu segments %zu bytes"
          " %llu ranges", (unsigned long long) seq, (unsigned long long) off,
          len, nent, nseg, (unsigned long long) bytes);
  pos = 0;
  while (lrvm__record_next (rec, &pos, &e))
    printf (" %.*s:%llu+%zu", (int) e.name_len, e.name,
            (unsigned long long) e.offset, e.data_len);
  putchar ('\n');
  if (*hex)
    {
      pos = 0;
      while (lrvm__record_next (rec, &pos, &e))
        {
          printf ("  %.*s:%llu+%zu\n", (int) e.name_len, e.name,
                  (unsigned long long) e.offset, e.data_len);
          hexdump (e.data, e.data_len, e.offset);
        }
    }
  return ferror (stdout) ? -1 : 0;
}

static int
cmd_log (const char *dir, int hex)
{
  struct ro_store s;
  struct lrvm_header h;
  struct scan_result sr;
  int rc = EXIT_FAIL;

  if (ro_open_log (dir, &s) != 0)
    return EXIT_FAIL;
  if (ro_header (&s, &h) == 0 && ro_scan (&s, &h, log_record, &hex, &sr) == 0)
    rc = EXIT_OK;
  ro_close (&s);
  return rc;
}

/* ------------------------------------------------------------------ */
/* cat */

#define CAT_CHUNK ((size_t) 1 << 20)

static int
cmd_cat (const char *dir, const char *name, uint64_t off, int have_len,
         uint64_t len)
{
  struct ro_store s;
  struct lrvm_header h;
  struct ro_segment g;
  unsigned char *buf = NULL;
  int rc = EXIT_FAIL;

  if (check_name (name) != 0)
    return EXIT_USAGE;
  if (ro_open_log (dir, &s) != 0)
    return EXIT_FAIL;
  if (ro_header (&s, &h) != 0 || ro_segment_open (&s, &h, name, &g) != 0)
    {
      ro_close (&s);
      return EXIT_FAIL;
    }
  if (off > g.size)
    {
      tool_error ("%s: offset %llu lies beyond the end of segment %s (%llu"
                  " bytes)", dir, (unsigned long long) off, name,
                  (unsigned long long) g.size);
      goto out;
    }
  if (!have_len)
    len = g.size - off;
  else if (len > g.size - off)
    {
      tool_error ("%s: %llu bytes from offset %llu reach beyond the end of"
                  " segment %s (%llu bytes)", dir, (unsigned long long) len,
                  (unsigned long long) off, name,
                  (unsigned long long) g.size);
      goto out;
    }
  if (g.fd < 0)
    tool_error ("warning: %s: segment file %s is missing; its bytes come"
                " from the log alone", dir, name);
  buf = malloc (CAT_CHUNK);
  if (buf == NULL)
    {
      tool_error ("out of memory");
      goto out;
    }
  while (len > 0)
    {
      size_t n = len < CAT_CHUNK ? (size_t) len : CAT_CHUNK;
      if (ro_segment_read (&g, buf, n, off) != 0)
        goto out;
      if (fwrite (buf, 1, n, stdout) != n)
        {
          tool_error ("write error: %s", strerror (errno));
          goto out;
        }
      off += n;
      len -= n;
    }
  rc = EXIT_OK;
out:
  free (buf);
  ro_segment_close (&g);
  ro_close (&s);
  return rc;
}

/* ------------------------------------------------------------------ */
/* Commands that change the store: through the public API.  */

/* Open DIR as a program would (which recovers it).  Unless CREATE,
   DIR must already be a store: a directory with a log.  */
static int
open_store (const char *dir, int create, rvm_t *rvm)
{
  struct rvm_options o;
  struct stat st;
  char *p;
  int r;

  *rvm = NULL;
  if (!create)
    {
      if (stat (dir, &st) != 0)
        {
          tool_error ("%s: %s", dir, strerror (errno));
          return EXIT_FAIL;
        }
      if (!S_ISDIR (st.st_mode))
        {
          tool_error ("%s: %s", dir, strerror (ENOTDIR));
          return EXIT_FAIL;
        }
      p = malloc (strlen (dir) + sizeof LRVM_LOG_NAME + 1);
      if (p == NULL)
        {
          tool_error ("out of memory");
          return EXIT_FAIL;
        }
      sprintf (p, "%s/%s", dir, LRVM_LOG_NAME);
      r = lstat (p, &st);
      free (p);
      if (r != 0)
        {
          tool_error ("%s: no log (%s): not an lrvm store; nothing was"
                      " changed", dir, LRVM_LOG_NAME);
          return EXIT_FAIL;
        }
    }
  rvm_options_init (&o);
  r = rvm_open (dir, &o, rvm);
  if (r == RVM_EBUSY)
    {
      tool_error ("%s: the store is held by another process (it has the"
                  " store open); nothing was changed", dir);
      return EXIT_FAIL;
    }
  if (r != 0)
    {
      tool_error ("%s", rvm_errmsg ());
      return EXIT_FAIL;
    }
  return 0;
}

static int
close_store (rvm_t rvm)
{
  if (rvm_close (rvm) != 0)
    {
      tool_error ("%s", rvm_errmsg ());
      return EXIT_FAIL;
    }
  return 0;
}

static uint64_t
replayed (rvm_t rvm)
{
  struct rvm_statistics st;

  if (rvm_stats (rvm, &st, sizeof st) != 0)
    return 0;
  return st.recovery_records;
}

static int
cmd_recover (const char *dir)
{
  rvm_t rvm;
  uint64_t n;

  if (open_store (dir, 0, &rvm) != 0)
    return EXIT_FAIL;
  n = replayed (rvm);
  if (close_store (rvm) != 0)
    return EXIT_FAIL;
  printf ("recovered %s: %llu record%s replayed\n", dir,
          (unsigned long long) n, n == 1 ? "" : "s");
  return EXIT_OK;
}

static int
cmd_truncate (const char *dir)
{
  struct rvm_statistics st;
  rvm_t rvm;
  uint64_t n;

  if (open_store (dir, 0, &rvm) != 0)
    return EXIT_FAIL;
  n = replayed (rvm);
  if (rvm_truncate (rvm) != 0 || rvm_stats (rvm, &st, sizeof st) != 0)
    {
      tool_error ("%s", rvm_errmsg ());
      rvm_close (rvm);
      return EXIT_FAIL;
    }
  if (close_store (rvm) != 0)
    return EXIT_FAIL;
  printf ("truncated %s: %llu record%s replayed; the log is %llu bytes\n",
          dir, (unsigned long long) n, n == 1 ? "" : "s",
          (unsigned long long) st.log_size);
  return EXIT_OK;
}

static int
cmd_create (const char *dir, const char *name, const char *size_arg)
{
  struct stat st;
  uint64_t size, before = 0;
  size_t mapped = 0;
  rvm_t rvm;
  void *base;
  char *p;
  int r, existed;

  if (check_name (name) != 0)
    return EXIT_USAGE;
  if (parse_size (size_arg, &size) != 0 || size == 0)
    return usage_error ("invalid size '%s'", size_arg);
  if (size > SIZE_MAX)
    {
      tool_error ("%s: %llu bytes do not fit in this address space", name,
                  (unsigned long long) size);
      return EXIT_FAIL;
    }
  p = malloc (strlen (dir) + strlen (name) + 2);
  if (p == NULL)
    {
      tool_error ("out of memory");
      return EXIT_FAIL;
    }
  if (open_store (dir, 1, &rvm) != 0)
    {
      free (p);
      return EXIT_FAIL;
    }
  /* The store is locked now: nobody else changes the file.  */
  sprintf (p, "%s/%s", dir, name);
  existed = lstat (p, &st) == 0;
  if (existed)
    before = (uint64_t) st.st_size;
  free (p);
  r = rvm_map_segment (rvm, name, (size_t) size, &base, &mapped);
  if (r == 0)
    r = rvm_unmap_segment (rvm, base);
  if (r != 0)
    {
      tool_error ("%s", rvm_errmsg ());
      rvm_close (rvm);
      return EXIT_FAIL;
    }
  if (close_store (rvm) != 0)
    return EXIT_FAIL;
  if (!existed)
    printf ("created segment %s: %zu bytes\n", name, mapped);
  else if (before < mapped)
    printf ("grew segment %s from %llu to %zu bytes\n", name,
            (unsigned long long) before, mapped);
  else
    printf ("segment %s already has %zu bytes; unchanged\n", name, mapped);
  return EXIT_OK;
}

static int
cmd_destroy (const char *dir, const char *name)
{
  rvm_t rvm;
  int r;

  if (check_name (name) != 0)
    return EXIT_USAGE;
  if (open_store (dir, 0, &rvm) != 0)
    return EXIT_FAIL;
  r = rvm_destroy_segment (rvm, name);
  if (r != 0)
    {
      if (r == RVM_ENOENT)
        tool_error ("%s: no segment %s", dir, name);
      else
        tool_error ("%s", rvm_errmsg ());
      rvm_close (rvm);
      return EXIT_FAIL;
    }
  if (close_store (rvm) != 0)
    return EXIT_FAIL;
  printf ("destroyed segment %s\n", name);
  return EXIT_OK;
}

/* ------------------------------------------------------------------ */

enum
{
  OPT_HEX = 1,
  OPT_OFFSET = 2,
  OPT_LENGTH = 4
};

static const struct command
{
  const char *name;
  int nargs;                    /* operands after the command */
  int opts;                     /* OPT_* it accepts */
  const char *synopsis;
} commands[] = {
  { "info", 1, 0, "info DIR" },
  { "verify", 1, 0, "verify DIR" },
  { "log", 1, OPT_HEX, "log [--hex] DIR" },
  { "cat", 2, OPT_OFFSET | OPT_LENGTH,
    "cat [--offset=N] [--length=N] DIR SEGMENT" },
  { "recover", 1, 0, "recover DIR" },
  { "truncate", 1, 0, "truncate DIR" },
  { "create", 3, 0, "create DIR SEGMENT SIZE" },
  { "destroy", 2, 0, "destroy DIR SEGMENT" },
};

static const struct option long_options[] = {
  { "hex", no_argument, NULL, 'x' },
  { "offset", required_argument, NULL, 'o' },
  { "length", required_argument, NULL, 'l' },
  { "help", no_argument, NULL, 'h' },
  { "version", no_argument, NULL, 'V' },
  { NULL, 0, NULL, 0 }
};

static int
finish (int rc)
{
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      tool_error ("write error: %s", strerror (errno));
      return EXIT_FAIL;
    }
  return rc;
}

int
main (int argc, char **argv)
{
  const struct command *cmd = NULL;
  const char *offset_arg = NULL, *length_arg = NULL;
  uint64_t offset = 0, length = 0;
  int c, opts = 0, help = 0, version = 0;
  size_t i;
  char **arg;

  opterr = 0;
  while ((c = getopt_long (argc, argv, ":xo:l:hV", long_options, NULL))
         != -1)
    switch (c)
      {
      case 'x':
        opts |= OPT_HEX;
        break;
      case 'o':
        opts |= OPT_OFFSET;
        offset_arg = optarg;
        break;
      case 'l':
        opts |= OPT_LENGTH;
        length_arg = optarg;
        break;
      case 'h':
        help = 1;
        break;
      case 'V':
        version = 1;
        break;
      case ':':
        return usage_error ("option '%s' requires an argument",
                            argv[optind - 1]);
      default:
        if (optopt != 0)
          return usage_error ("invalid option -- '%c'", optopt);
        return usage_error ("unrecognized option '%s'", argv[optind - 1]);
      }
  if (help)
    {
      fputs (usage_text, stdout);
      return finish (EXIT_OK);
    }
  if (version)
    {
      printf ("lrvm (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
      printf ("log format %u.%u\n", LRVM_FORMAT_MAJOR, LRVM_FORMAT_MINOR);
      fputs ("Copyright (c) 2026 The lrvm authors.\n"
             "License: the MIT license (see COPYING).\n"
             "This is free software: you are free to change and"
             " redistribute it.\n"
             "There is NO WARRANTY, to the extent permitted by law.\n",
             stdout);
      return finish (EXIT_OK);
    }
  if (optind >= argc)
    return usage_error ("missing command");
  for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (argv[optind], commands[i].name) == 0)
      cmd = &commands[i];
  if (cmd == NULL)
    return usage_error ("unknown command '%s'", argv[optind]);
  if (opts & ~cmd->opts)
    return usage_error ("%s takes no option %s", cmd->name,
                        (opts & ~cmd->opts) & OPT_HEX ? "--hex"
                        : (opts & ~cmd->opts) & OPT_OFFSET ? "--offset"
                        : "--length");
  if (argc - optind - 1 != cmd->nargs)
    return usage_error ("%s operands; usage: lrvm %s",
                        argc - optind - 1 < cmd->nargs ? "missing"
                                                       : "too many",
                        cmd->synopsis);
  if (offset_arg != NULL && parse_size (offset_arg, &offset) != 0)
    return usage_error ("invalid offset '%s'", offset_arg);
  if (length_arg != NULL && parse_size (length_arg, &length) != 0)
    return usage_error ("invalid length '%s'", length_arg);
  arg = argv + optind + 1;
  if (*arg[0] == '\0')
    return usage_error ("the store directory is an empty string");

  switch (cmd - commands)
    {
    case 0:
      return finish (cmd_info (arg[0]));
    case 1:
      return finish (cmd_verify (arg[0]));
    case 2:
      return finish (cmd_log (arg[0], (opts & OPT_HEX) != 0));
    case 3:
      return finish (cmd_cat (arg[0], arg[1], offset, length_arg != NULL,
                              length));
    case 4:
      return finish (cmd_recover (arg[0]));
    case 5:
      return finish (cmd_truncate (arg[0]));
    case 6:
      return finish (cmd_create (arg[0], arg[1], arg[2]));
    default:
      return finish (cmd_destroy (arg[0], arg[1]));
    }
}
