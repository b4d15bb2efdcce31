/* inspect.c -- a read-only view of a store for the lrvm command: the
   shared lock, the header slots, the scan of the live log, what lies
   beyond it, the segment files and their committed contents.  Nothing
   here creates, writes, locks exclusively or recovers anything.  */

#include "tool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef O_DIRECTORY
# define O_DIRECTORY 0
#endif
#ifndef O_CLOEXEC
# define O_CLOEXEC 0
#endif

#define WINDOW ((size_t) 1 << 20)

int
ro_open (const char *dir, struct ro_store *s)
{
  struct stat st;

  memset (s, 0, sizeof *s);
  s->path = dir;
  s->lockfd = s->logfd = -1;
  s->dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->dirfd < 0)
    {
      tool_error ("%s: %s", dir, strerror (errno));
      return EXIT_FAIL;
    }
  if (fstat (s->dirfd, &st) != 0)
    {
      tool_error ("%s: %s", dir, strerror (errno));
      goto fail;
    }
  if (!S_ISDIR (st.st_mode))
    {
      tool_error ("%s: %s", dir, strerror (ENOTDIR));
      goto fail;
    }
  /* A store that has no lock file has never been opened by a handle
     that could still hold it; reading it needs no lock, and creating
     the file would be a change.  */
  s->lockfd = lrvm__open_at (s->dirfd, LRVM_LOCK_NAME, O_RDONLY, 0);
  if (s->lockfd < 0 && errno != ENOENT)
    {
      tool_error ("%s: cannot open %s: %s", dir, LRVM_LOCK_NAME,
                  strerror (errno));
      goto fail;
    }
  if (s->lockfd >= 0 && lrvm__lock_shared (s->lockfd) != 0)
    {
      if (errno == EWOULDBLOCK)
        tool_error ("%s: the store is held by another process (it has the"
                    " store open); nothing was read", dir);
      else
        tool_error ("%s: cannot lock the store: %s", dir, strerror (errno));
      goto fail;
    }
  s->logfd = lrvm__open_at (s->dirfd, LRVM_LOG_NAME, O_RDONLY, 0);
  if (s->logfd < 0 && errno != ENOENT)
    {
      tool_error ("%s: cannot open the log %s: %s", dir, LRVM_LOG_NAME,
                  strerror (errno));
      goto fail;
    }
  if (s->logfd >= 0)
    {
      if (fstat (s->logfd, &st) != 0)
        {
          tool_error ("%s: cannot stat the log: %s", dir, strerror (errno));
          goto fail;
        }
      if (!S_ISREG (st.st_mode))
        {
          tool_error ("%s: the log %s is not a regular file", dir,
                      LRVM_LOG_NAME);
          goto fail;
        }
      s->log_size = (uint64_t) st.st_size;
    }
  return 0;
fail:
  ro_close (s);
  return EXIT_FAIL;
}

void
ro_close (struct ro_store *s)
{
  /* Closing the lock file's only descriptor releases the lock.  */
  if (s->logfd >= 0)
    close (s->logfd);
  if (s->lockfd >= 0)
    close (s->lockfd);
  if (s->dirfd >= 0)
    close (s->dirfd);
  s->logfd = s->lockfd = s->dirfd = -1;
}

int
ro_open_log (const char *dir, struct ro_store *s)
{
  if (ro_open (dir, s) != 0)
    return EXIT_FAIL;
  if (s->logfd < 0)
    {
      tool_error ("%s: no log (%s): not an lrvm store", dir, LRVM_LOG_NAME);
      ro_close (s);
      return EXIT_FAIL;
    }
  if (s->log_size < LRVM_LOG_DATA_START)
    {
      tool_error ("%s: the log is cut short (%llu bytes, less than its"
                  " %u-byte header block): it is damaged", dir,
                  (unsigned long long) s->log_size, LRVM_LOG_DATA_START);
      ro_close (s);
      return EXIT_FAIL;
    }
  return 0;
}

int
ro_read_slots (struct ro_store *s, struct slot slots[LRVM_HDR_SLOTS])
{
  unsigned char buf[LRVM_HDR_SLOTS * LRVM_HDR_SLOT_SIZE];
  size_t got, i, j;

  if (lrvm__read_at (s->logfd, buf, sizeof buf, 0, &got) != 0)
    {
      tool_error ("%s: cannot read the log header: %s", s->path,
                  strerror (errno));
      return EXIT_FAIL;
    }
  if (got < sizeof buf)
    memset (buf + got, 0, sizeof buf - got);
  for (i = 0; i < LRVM_HDR_SLOTS; i++)
    {
      const unsigned char *p = buf + i * LRVM_HDR_SLOT_SIZE;
      struct slot *sl = &slots[i];

      memset (sl, 0, sizeof *sl);
      for (j = 0; j < LRVM_HDR_SLOT_SIZE && p[j] == 0; j++)
        continue;
      if (j == LRVM_HDR_SLOT_SIZE)
        sl->state = SLOT_EMPTY;
      else
        switch (lrvm__header_decode (p, &sl->h))
          {
          case 0:
            sl->state = SLOT_VALID;
            break;
          case -2:
            sl->state = SLOT_FUTURE;
            break;
          default:
            sl->state = SLOT_INVALID;
            break;
          }
    }
  return 0;
}

/* The header in force, as recovery would see it: past a damaged newest
   slot (lrvm__log_follow).  */
int
ro_header (struct ro_store *s, struct lrvm_header *h)
{
  int adopted, e;

  switch (lrvm__log_read_header (s->logfd, h))
    {
    case 0:
      e = lrvm__log_follow (s->logfd, s->log_size, h, &adopted, NULL, NULL,
                            NULL);
      if (e == RVM_EIO)
        {
          tool_error ("%s: cannot read the log: %s", s->path,
                      strerror (errno));
          return EXIT_FAIL;
        }
      if (e != 0)
        {
          tool_error ("%s: out of memory reading the log", s->path);
          return EXIT_FAIL;
        }
      if (adopted)
        tool_note ("%s: the newest header slot is damaged; the live"
                   " records continue in epoch %lu at offset %llu",
                   s->path, (unsigned long) h->epoch,
                   (unsigned long long) h->head_off);
      return 0;
    case RVM_EIO:
      tool_error ("%s: cannot read the log header: %s", s->path,
                  strerror (errno));
      return EXIT_FAIL;
    case RVM_EVERSION:
      if (h->incompat != 0)
        tool_error ("%s: the log has format %u.%u with incompatible"
                    " features %#x; this lrvm reads format %u", s->path,
                    h->major, h->minor, (unsigned) h->incompat,
                    LRVM_FORMAT_MAJOR);
      else
        tool_error ("%s: the log has format %u.%u; this lrvm reads format"
                    " %u", s->path, h->major, h->minor, LRVM_FORMAT_MAJOR);
      return EXIT_FAIL;
    default:
      tool_error ("%s: neither header slot of the log checks: the log is"
                  " damaged (see lrvm verify)", s->path);
      return EXIT_FAIL;
    }
}

/* The scan's callback: count, then pass the record on.  */
struct scan_ctx
{
  struct scan_result *r;
  lrvm_record_fn cb;
  void *ctx;
};

static int
scan_one (void *ctx, const unsigned char *rec, size_t len, uint64_t seq,
          uint64_t off)
{
  struct scan_ctx *c = ctx;

  c->r->records++;
  c->r->bytes += len;
  return c->cb != NULL ? c->cb (c->ctx, rec, len, seq, off) : 0;
}

int
ro_scan (struct ro_store *s, const struct lrvm_header *h,
         lrvm_record_fn cb, void *ctx, struct scan_result *r)
{
  struct scan_ctx c;
  int e;

  memset (r, 0, sizeof *r);
  c.r = r;
  c.cb = cb;
  c.ctx = ctx;
  e = lrvm__log_scan (s->logfd, s->log_size, h, scan_one, &c, &r->end,
                      &r->next_seq, &r->torn);
  if (e == RVM_EIO)
    tool_error ("%s: cannot read the log: %s", s->path, strerror (errno));
  else if (e == RVM_ENOMEM)
    tool_error ("%s: out of memory reading the log", s->path);
  return e == 0 ? 0 : EXIT_FAIL;
}

/* Nonzero if a record of EPOCH numbered SEQ found beyond the end of
   the live log would have been replayed but for what ended the log.
   Epochs count up by one per recovery or truncation; the comparison
   allows them to wrap.  */
static int
lost_candidate (const struct lrvm_header *h, const struct scan_result *sr,
                uint32_t epoch, uint64_t seq)
{
  if (epoch == h->epoch)
    return seq >= sr->next_seq;
  return (int32_t) (epoch - h->epoch) > 0;
}

/* Read the window BUF (CAP bytes) of the log of S from POS, as much as
   the file holds: *START is POS, *HAVE the bytes read.  0, or -1 on a
   read error.  */
static int
read_window (struct ro_store *s, unsigned char *buf, size_t cap, uint64_t pos,
             uint64_t *start, size_t *have)
{
  uint64_t size = s->log_size;

  *start = pos;
  return lrvm__read_at (s->logfd, buf,
                        size - pos < cap ? (size_t) (size - pos) : cap,
                        pos, have);
}

/* Search every 8-byte boundary from the end of the live log to the end
   of the file for records that check.  A candidate's length is bounded
   by the file size before anything is allocated for it.  */
int
ro_find_lost (struct ro_store *s, const struct lrvm_header *h,
              const struct scan_result *sr, struct lost_result *lost)
{
  unsigned char *buf;
  size_t cap = WINDOW, have = 0;
  uint64_t start = 0, pos = sr->end, size = s->log_size;
  int r = 0;

  memset (lost, 0, sizeof *lost);
  pos += (8 - pos % 8) % 8;
  buf = malloc (cap);
  if (buf == NULL)
    {
      tool_error ("out of memory");
      return EXIT_FAIL;
    }
  while (pos < size && size - pos >= LRVM_REC_HDR_SIZE)
    {
      const unsigned char *p;
      uint64_t seq;
      uint32_t epoch;
      size_t len;

      if (pos < start || pos + LRVM_REC_HDR_SIZE > start + have)
        {
          if (read_window (s, buf, cap, pos, &start, &have) != 0)
            {
              r = -1;
              break;
            }
          if (have < LRVM_REC_HDR_SIZE)
            break;
        }
      p = buf + (pos - start);
      if (lrvm_get32 (p) != LRVM_REC_MAGIC)
        {
          pos += 8;
          continue;
        }
      seq = lrvm_get64 (p + 16);
      epoch = lrvm_get32 (p + 24);
      len = lrvm_get32 (p + 8);
      if (!lost_candidate (h, sr, epoch, seq) || len < LRVM_REC_HDR_SIZE
          || len > size - pos)
        {
          pos += 8;
          continue;
        }
      if (pos + len > start + have)
        {
          if (len > cap)
            {
              unsigned char *nb = realloc (buf, len);
              if (nb == NULL)
                {
                  r = -2;
                  break;
                }
              buf = nb;
              cap = len;
            }
          if (read_window (s, buf, cap, pos, &start, &have) != 0)
            {
              r = -1;
              break;
            }
          p = buf;
        }
      if (lrvm__record_check (p, (size_t) (start + have - pos), seq, epoch)
          == 0)
        {
          pos += 8;
          continue;
        }
      if (epoch == h->epoch)
        {
          if (lost->count == 0)
            {
              lost->first_seq = seq;
              lost->first_off = pos;
            }
          lost->count++;
          lost->last_seq = seq;
        }
      else
        {
          if (lost->newer == 0)
            {
              lost->newer_epoch = epoch;
              lost->newer_off = pos;
            }
          lost->newer++;
        }
      pos += len;
    }
  free (buf);
  if (r == -1)
    tool_error ("%s: cannot read the log: %s", s->path, strerror (errno));
  else if (r == -2)
    tool_error ("out of memory");
  return r == 0 ? 0 : EXIT_FAIL;
}

static int
entry_cmp (const void *a, const void *b)
{
  return strcmp (((const struct dir_entry *) a)->name,
                 ((const struct dir_entry *) b)->name);
}

int
ro_list (struct ro_store *s, struct dir_entry **vp, size_t *np)
{
  struct dir_entry *v = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  DIR *d;
  int fd;

  *vp = NULL;
  *np = 0;
  fd = openat (s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      tool_error ("%s: cannot list the directory: %s", s->path,
                  strerror (errno));
      if (fd >= 0)
        close (fd);
      return EXIT_FAIL;
    }
  errno = 0;
  while ((de = readdir (d)) != NULL)
    {
      struct stat st;
      struct dir_entry *e;

      if (de->d_name[0] == '.')
        continue;
      if (n == cap)
        {
          size_t c = cap ? cap * 2 : 16;
          void *nv = realloc (v, c * sizeof *v);
          if (nv == NULL)
            goto nomem;
          v = nv;
          cap = c;
        }
      e = &v[n];
      memset (e, 0, sizeof *e);
      e->name = strdup (de->d_name);
      if (e->name == NULL)
        goto nomem;
      n++;
      e->name_ok = lrvm__name_ok (e->name, strlen (e->name));
      if (fstatat (s->dirfd, e->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        {
          e->regular = S_ISREG (st.st_mode);
          e->size = (uint64_t) st.st_size;
        }
      else if (errno != ENOENT)
        {
          tool_error ("%s: cannot stat %s: %s", s->path, e->name,
                      strerror (errno));
          closedir (d);
          ro_list_free (v, n);
          return EXIT_FAIL;
        }
      else
        n--, free (e->name);    /* removed meanwhile */
      errno = 0;
    }
  if (errno != 0)
    {
      tool_error ("%s: cannot list the directory: %s", s->path,
                  strerror (errno));
      closedir (d);
      ro_list_free (v, n);
      return EXIT_FAIL;
    }
  closedir (d);
  if (n > 1)
    qsort (v, n, sizeof *v, entry_cmp);
  *vp = v;
  *np = n;
  return 0;
nomem:
  closedir (d);
  ro_list_free (v, n);
  tool_error ("out of memory");
  return EXIT_FAIL;
}

void
ro_list_free (struct dir_entry *v, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    free (v[i].name);
  free (v);
}

/* The scan's callback for ro_segment_open: note where each new value
   for the segment lies in the log.  */
static int
collect_pieces (void *ctx, const unsigned char *rec, size_t len,
                uint64_t seq, uint64_t off)
{
  struct ro_segment *g = ctx;
  struct lrvm_entry e;
  size_t pos = 0, namelen = strlen (g->name);

  (void) len;
  (void) seq;
  while (lrvm__record_next (rec, &pos, &e))
    {
      struct ro_piece *p;

      if (e.name_len != namelen
          || memcmp (e.name, g->name, e.name_len) != 0)
        continue;
      if (g->n == g->cap)
        {
          size_t c = g->cap ? g->cap * 2 : 16;
          void *nv = realloc (g->v, c * sizeof *g->v);
          if (nv == NULL)
            {
              tool_error ("out of memory");
              return -1;
            }
          g->v = nv;
          g->cap = c;
        }
      p = &g->v[g->n++];
      p->off = e.offset;
      p->len = e.data_len;
      p->log_off = off + (uint64_t) (e.data - rec);
      if (p->off + p->len > g->size)
        g->size = p->off + p->len;
    }
  return 0;
}

int
ro_segment_open (struct ro_store *s, const struct lrvm_header *h,
                 const char *name, struct ro_segment *g)
{
  struct scan_result sr;
  struct stat st;

  memset (g, 0, sizeof *g);
  g->s = s;
  g->name = name;
  g->fd = lrvm__open_at (s->dirfd, name, O_RDONLY, 0);
  if (g->fd < 0 && errno != ENOENT)
    {
      tool_error ("%s: cannot open segment %s: %s", s->path, name,
                  strerror (errno));
      return EXIT_FAIL;
    }
  if (g->fd >= 0)
    {
      if (fstat (g->fd, &st) != 0)
        {
          tool_error ("%s: cannot stat segment %s: %s", s->path, name,
                      strerror (errno));
          ro_segment_close (g);
          return EXIT_FAIL;
        }
      if (!S_ISREG (st.st_mode))
        {
          tool_error ("%s: segment %s is not a regular file", s->path, name);
          ro_segment_close (g);
          return EXIT_FAIL;
        }
      g->file_size = g->size = (uint64_t) st.st_size;
    }
  if (ro_scan (s, h, collect_pieces, g, &sr) != 0)
    {
      ro_segment_close (g);
      return EXIT_FAIL;
    }
  if (g->fd < 0 && g->n == 0)
    {
      tool_error ("%s: no segment %s", s->path, name);
      ro_segment_close (g);
      return EXIT_FAIL;
    }
  return 0;
}

/* The file's bytes (zeros past its end), then every live new value
   for the range, in log order: the bytes recovery would leave.  */
int
ro_segment_read (struct ro_segment *g, unsigned char *buf, size_t len,
                 uint64_t off)
{
  size_t got = 0, i;

  if (g->fd >= 0 && off < g->file_size)
    {
      size_t n = g->file_size - off < len ? (size_t) (g->file_size - off)
                                          : len;
      if (lrvm__read_at (g->fd, buf, n, off, &got) != 0)
        {
          tool_error ("%s: cannot read segment %s: %s", g->s->path, g->name,
                      strerror (errno));
          return EXIT_FAIL;
        }
    }
  memset (buf + got, 0, len - got);
  for (i = 0; i < g->n; i++)
    {
      const struct ro_piece *p = &g->v[i];
      uint64_t a = p->off > off ? p->off : off;
      uint64_t b = p->off + p->len < off + len ? p->off + p->len : off + len;

      if (a >= b)
        continue;
      if (lrvm__read_at (g->s->logfd, buf + (a - off), (size_t) (b - a),
                         p->log_off + (a - p->off), &got) != 0)
        {
          tool_error ("%s: cannot read the log: %s", g->s->path,
                      strerror (errno));
          return EXIT_FAIL;
        }
      if (got != b - a)
        {
          tool_error ("%s: the log is shorter than its records", g->s->path);
          return EXIT_FAIL;
        }
    }
  return 0;
}

void
ro_segment_close (struct ro_segment *g)
{
  if (g->fd >= 0)
    close (g->fd);
  g->fd = -1;
  free (g->v);
  g->v = NULL;
  g->n = g->cap = 0;
}
