/* segment.c -- mapping, unmapping and destroying segments, and the
   name rules.  A segment's memory is a private copy-on-write mapping of
   its file: the file changes only through the log, never through the
   mapping, so uncommitted bytes cannot reach it.  */

#include "lrvm-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* FNV-1a of the LEN bytes of NAME.  */
static uint64_t
name_hash (const char *name, size_t len)
{
  uint64_t h = 0xcbf29ce484222325ull;
  size_t i;

  for (i = 0; i < len; i++)
    h = (h ^ (unsigned char) name[i]) * 0x100000001b3ull;
  return h;
}

/* Spread the bits of X over a slot number of a table of CAP slots.  */
static size_t
spread (uint64_t x, size_t cap)
{
  return (size_t) ((x * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

/* The slot of NS that holds the name of LEN bytes at NAME, or the
   empty slot where it would go.  NS->cap is not 0.  */
static size_t
names_slot (const struct lrvm_names *ns, const char *name, size_t len)
{
  size_t i;

  for (i = spread (name_hash (name, len), ns->cap); ns->v[i] != NULL;
       i = (i + 1) & (ns->cap - 1))
    if (strncmp (ns->v[i], name, len) == 0 && ns->v[i][len] == '\0')
      break;
  return i;
}

/* Add the name of LEN bytes at NAME to NS, if it is not there: 0, or
   -1 without memory.  */
int
lrvm__names_add (struct lrvm_names *ns, const char *name, size_t len)
{
  char *copy;
  size_t i;

  if (2 * (ns->n + 1) > ns->cap)
    {
      struct lrvm_names bigger;
      bigger.cap = ns->cap ? ns->cap * 2 : 16;
      bigger.n = ns->n;
      bigger.v = calloc (bigger.cap, sizeof *bigger.v);
      if (bigger.v == NULL)
        return -1;
      for (i = 0; i < ns->cap; i++)
        if (ns->v[i] != NULL)
          bigger.v[names_slot (&bigger, ns->v[i], strlen (ns->v[i]))]
            = ns->v[i];
      free (ns->v);
      *ns = bigger;
    }
  i = names_slot (ns, name, len);
  if (ns->v[i] != NULL)
    return 0;
  copy = malloc (len + 1);
  if (copy == NULL)
    return -1;
  memcpy (copy, name, len);
  copy[len] = '\0';
  ns->v[i] = copy;
  ns->n++;
  return 0;
}

int
lrvm__names_has (const struct lrvm_names *ns, const char *name)
{
  return lrvm__names_has_n (ns, name, strlen (name));
}

/* The same for a name of LEN bytes that need not end in a NUL.  */
int
lrvm__names_has_n (const struct lrvm_names *ns, const char *name,
                   size_t len)
{
  return ns->n > 0 && ns->v[names_slot (ns, name, len)] != NULL;
}

/* Empty NS; it keeps its slots for the next names.  */
void
lrvm__names_clear (struct lrvm_names *ns)
{
  size_t i;

  for (i = 0; i < ns->cap; i++)
    {
      free (ns->v[i]);
      ns->v[i] = NULL;
    }
  ns->n = 0;
}

/* Segment lookup.  S->segs lists the mapped segments, both ways.  S's
   index holds two open-addressing tables of S->seg_index_cap slots
   each: by base address (rvm_begin's lookup), then by name (rvm_map's
   and rvm_destroy's check).  Linear probing; a removal shifts the
   entries after it back, so that no slot is ever a tombstone and
   mapping and unmapping stay O(1) however many segments are mapped.  */

/* The home slot of BASE.  Bases are page addresses: their low bits
   say nothing.  */
static size_t
base_slot (const void *base, size_t cap)
{
  return spread ((uint64_t) (uintptr_t) base >> 12, cap);
}

static size_t
base_home (const struct lrvm_seg *g, size_t cap)
{
  return base_slot (g->base, cap);
}

static size_t
name_home (const struct lrvm_seg *g, size_t cap)
{
  return spread (g->namehash, cap);
}

typedef size_t (*home_fn) (const struct lrvm_seg *, size_t);

static void
table_put (struct lrvm_seg **v, size_t cap, struct lrvm_seg *g,
           home_fn home)
{
  size_t i;

  for (i = home (g, cap); v[i] != NULL; i = (i + 1) & (cap - 1))
    ;
  v[i] = g;
}

/* Remove G from V.  Each entry after it in the run moves into the
   hole unless its home slot lies between the hole and it.  */
static void
table_del (struct lrvm_seg **v, size_t cap, struct lrvm_seg *g,
           home_fn home)
{
  size_t i, j;

  for (i = home (g, cap); v[i] != g; i = (i + 1) & (cap - 1))
    if (v[i] == NULL)
      return;                   /* not there: nothing to remove */
  for (j = (i + 1) & (cap - 1); v[j] != NULL; j = (j + 1) & (cap - 1))
    if (((j - home (v[j], cap)) & (cap - 1)) >= ((j - i) & (cap - 1)))
      {
        v[i] = v[j];
        i = j;
      }
  v[i] = NULL;
}

/* Make S's index anew, sized for S->nsegs (and one more).  Without
   memory there is none, and lookups search the list.  */
static void
index_rebuild (struct lrvm_store *s)
{
  size_t cap = 16;
  struct lrvm_seg *g, **v;

  while (cap < 2 * (s->nsegs + 1))
    cap *= 2;
  v = calloc (2 * cap, sizeof *v);
  free (s->seg_index);
  s->seg_index = v;
  s->seg_index_cap = v != NULL ? cap : 0;
  if (v != NULL)
    for (g = s->segs; g != NULL; g = g->next)
      {
        table_put (v, cap, g, base_home);
        table_put (v + cap, cap, g, name_home);
      }
}

/* With S->mu held: link G, just mapped, into S's segments.  */
static void
seg_link (struct lrvm_store *s, struct lrvm_seg *g)
{
  size_t cap = s->seg_index_cap;

  g->prev = NULL;
  g->next = s->segs;
  if (g->next != NULL)
    g->next->prev = g;
  s->segs = g;
  s->nsegs++;
  if (s->seg_index == NULL || 2 * s->nsegs > cap)
    index_rebuild (s);
  else
    {
      table_put (s->seg_index, cap, g, base_home);
      table_put (s->seg_index + cap, cap, g, name_home);
    }
}

/* With S->mu held: unlink G, about to be unmapped, from S's segments.  */
static void
seg_unlink (struct lrvm_store *s, struct lrvm_seg *g)
{
  size_t cap = s->seg_index_cap;

  if (g->prev != NULL)
    g->prev->next = g->next;
  else
    s->segs = g->next;
  if (g->next != NULL)
    g->next->prev = g->prev;
  s->nsegs--;
  if (s->seg_index != NULL)
    {
      table_del (s->seg_index, cap, g, base_home);
      table_del (s->seg_index + cap, cap, g, name_home);
    }
}

void
lrvm__seg_index_free (struct lrvm_store *s)
{
  free (s->seg_index);
  s->seg_index = NULL;
  s->seg_index_cap = 0;
}

struct lrvm_seg *
lrvm__seg_find (struct lrvm_store *s, const void *base)
{
  struct lrvm_seg *g;
  size_t cap = s->seg_index_cap, i;

  if (s->seg_index != NULL)
    {
      for (i = base_slot (base, cap); (g = s->seg_index[i]) != NULL;
           i = (i + 1) & (cap - 1))
        if (g->base == base)
          return g;
      return NULL;
    }
  for (g = s->segs; g != NULL; g = g->next)
    if (g->base == base)
      return g;
  return NULL;
}

/* The mapped segment named NAME, or NULL.  */
static struct lrvm_seg *
find_name (struct lrvm_store *s, const char *name)
{
  struct lrvm_seg *g;
  size_t cap = s->seg_index_cap, i, len = strlen (name);
  uint64_t h = name_hash (name, len);

  if (s->seg_index != NULL)
    {
      struct lrvm_seg **v = s->seg_index + cap;
      for (i = spread (h, cap); (g = v[i]) != NULL; i = (i + 1) & (cap - 1))
        if (g->namehash == h && g->namelen == len
            && memcmp (g->name, name, len) == 0)
          return g;
      return NULL;
    }
  for (g = s->segs; g != NULL; g = g->next)
    if (g->namelen == len && memcmp (g->name, name, len) == 0)
      return g;
  return NULL;
}

static int
check_name (struct lrvm_store *s, const char *fn, const char *name)
{
  size_t len;

  if (name == NULL)
    return lrvm__error (s->opt.verbose, RVM_EINVAL,
                        "%s: segment name is NULL", fn);
  len = strnlen (name, LRVM_NAME_MAX + 1);
  if (!lrvm__name_ok (name, len))
    return lrvm__error (s->opt.verbose, RVM_ENAME,
                        "%s: \"%.*s%s\": a segment name is 1 to %d"
                        " characters of A-Z a-z 0-9 . _ - not starting"
                        " with '.'", fn, 40, name, len > 40 ? "..." : "",
                        LRVM_NAME_MAX);
  return 0;
}

/* Nonzero if NAME has records in the live log; those must reach its
   file before the file is read or removed.  */
static int
has_records (struct lrvm_store *s, const char *name)
{
  int r;

  lrvm__mutex_lock (&s->log.mu);
  r = lrvm__names_has (&s->log.names, name);
  pthread_mutex_unlock (&s->log.mu);
  return r;
}

/* Undo what a failed rvm_map did to the segment file FD: remove it if
   the call created it, else give it back its OLD size.  Nothing of it
   is mapped and the log has no record for it, so either is safe.  */
static void
map_undo (struct lrvm_store *s, int fd, const char *segname, int created,
          uint64_t old)
{
  int saved = errno;

  if (created)
    lrvm__unlink_at (s->dirfd, segname);
  else
    lrvm__resize (fd, old);
  lrvm__close (fd);
  errno = saved;
}

int
rvm_map_segment (rvm_t rvm, const char *segname, size_t size, void **base,
                 size_t *mapped)
{
  struct lrvm_store *s = rvm;
  struct lrvm_seg *g;
  uint64_t fsize, old;
  size_t maplen;
  int fd, r, e, created = 0;
  void *p;

  if (base != NULL)
    *base = NULL;
  if ((r = lrvm__store_check (rvm, "rvm_map")) != 0
      || (r = check_name (s, "rvm_map", segname)) != 0)
    return r;
  if (base == NULL)
    return lrvm__error (s->opt.verbose, RVM_EINVAL,
                        "rvm_map: base pointer is NULL");
  if (size == 0)
    return lrvm__error (s->opt.verbose, RVM_EINVAL,
                        "rvm_map: \"%s\": size is 0", segname);
  if (size > (size_t) PTRDIFF_MAX)
    return lrvm__error (s->opt.verbose, RVM_ERANGE, "rvm_map: \"%s\": size"
                        " %zu is too large for this address space",
                        segname, size);

  lrvm__mutex_lock (&s->mu);
  if (find_name (s, segname) != NULL)
    {
      r = lrvm__error (s->opt.verbose, RVM_EMAPPED,
                       "rvm_map: \"%s\" is already mapped", segname);
      goto out;
    }
  if (has_records (s, segname) && (r = lrvm__truncate_locked (s, 0)) != 0)
    goto out;

  fd = lrvm__open_at (s->dirfd, segname, O_RDWR, 0);
  if (fd < 0 && errno == ENOENT)
    {
      fd = lrvm__open_at (s->dirfd, segname, O_RDWR | O_CREAT | O_EXCL,
                          s->mode);
      created = 1;
    }
  if (fd < 0)
    {
      r = lrvm__syserr (s->opt.verbose, errno, "rvm_map: cannot open"
                        " segment \"%s\"", segname);
      goto out;
    }
  {
    struct stat st;
    if (fstat (fd, &st) != 0)
      {
        r = lrvm__syserr (s->opt.verbose, errno, "rvm_map: cannot stat"
                          " \"%s\"", segname);
        lrvm__close (fd);
        goto out;
      }
    if (!S_ISREG (st.st_mode))
      {
        r = lrvm__error (s->opt.verbose, RVM_EINVAL, "rvm_map: \"%s\" is"
                         " not a regular file", segname);
        lrvm__close (fd);
        goto out;
      }
    fsize = old = (uint64_t) st.st_size;
  }
  if (fsize > SIZE_MAX)
    {
      r = lrvm__error (s->opt.verbose, RVM_ERANGE, "rvm_map: \"%s\" is too"
                       " large for this address space", segname);
      lrvm__close (fd);
      goto out;
    }
  if (fsize < size)
    {
      /* Grow, zero-filled, and make the new size durable before anyone
         can log a change beyond the old end.  */
      if ((e = LRVM_FAILPOINT ("segment.grow")) != 0
          || lrvm__resize (fd, size) != 0
          || (s->opt.sync_mode != RVM_SYNC_NONE && lrvm__flush (fd) != 0))
        {
          r = lrvm__syserr (s->opt.verbose, e ? e : errno,
                            "rvm_map: cannot grow \"%s\" to %zu bytes",
                            segname, size);
          map_undo (s, fd, segname, created, old);
          goto out;
        }
      fsize = size;
    }
  /* A new file's name must be durable before any commit to it.  An
     empty file may be one whose creator died before flushing the
     directory: flush it too.  */
  if ((created || old == 0) && s->opt.sync_mode != RVM_SYNC_NONE
      && lrvm__flush_dir (s->dirfd) != 0)
    {
      r = lrvm__syserr (s->opt.verbose, errno, "rvm_map: cannot flush the"
                        " directory after creating \"%s\"", segname);
      map_undo (s, fd, segname, created, old);
      goto out;
    }
  maplen = (size_t) fsize;
  p = mmap (NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED)
    {
      e = errno;
      r = e == ENOMEM ? lrvm__error (s->opt.verbose, RVM_ENOMEM,
                                     "rvm_map: no memory to map \"%s\"",
                                     segname)
                      : lrvm__syserr (s->opt.verbose, e,
                                      "rvm_map: cannot map \"%s\"", segname);
      map_undo (s, fd, segname, created, old);
      goto out;
    }
  g = calloc (1, sizeof *g);
  if (g != NULL)
    /* Without the bitmap, truncation takes the segment from the log.  */
    g->dirty = calloc ((maplen >> LRVM_DIRTY_SHIFT) / 64 + 1,
                       sizeof *g->dirty);
  if (g == NULL)
    {
      munmap (p, maplen);
      r = lrvm__error (s->opt.verbose, RVM_ENOMEM, "rvm_map: out of memory");
      map_undo (s, fd, segname, created, old);
      goto out;
    }
  lrvm__close (fd);
  g->base = p;
  g->size = maplen;
  g->maplen = maplen;
  g->namelen = strlen (segname);
  memcpy (g->name, segname, g->namelen + 1);
  g->namehash = name_hash (segname, g->namelen);
  seg_link (s, g);
  *base = p;
  if (mapped != NULL)
    *mapped = maplen;
  lrvm__trace (s->opt.verbose, "rvm_map (\"%s\", %zu) = %p, %zu bytes",
               segname, size, p, maplen);
  r = 0;
out:
  pthread_mutex_unlock (&s->mu);
  return r;
}

int
rvm_unmap_segment (rvm_t rvm, void *base)
{
  struct lrvm_store *s = rvm;
  struct lrvm_seg *g;
  int r;

  if ((r = lrvm__store_check (rvm, "rvm_unmap")) != 0)
    return r;
  lrvm__mutex_lock (&s->mu);
  g = lrvm__seg_find (s, base);
  if (g == NULL)
    r = lrvm__error (s->opt.verbose, RVM_ENOTMAPPED,
                     "rvm_unmap: %p is not a mapped segment", base);
  else if (g->owner != NULL)
    r = lrvm__error (s->opt.verbose, RVM_EINTRANS, "rvm_unmap: \"%s\" is in"
                     " active transaction %d", g->name, g->owner->tid);
  else
    {
      seg_unlink (s, g);
      munmap (g->base, g->maplen);
      lrvm__trace (s->opt.verbose, "rvm_unmap (\"%s\")", g->name);
      free (g->dirty);
      free (g);
    }
  pthread_mutex_unlock (&s->mu);
  return r;
}

/* Unmap every segment of S; the caller holds S->mu and has ended the
   transactions.  */
void
lrvm__seg_unmap_all (struct lrvm_store *s)
{
  while (s->segs != NULL)
    {
      struct lrvm_seg *g = s->segs;
      s->segs = g->next;
      munmap (g->base, g->maplen);
      free (g->dirty);
      free (g);
    }
  s->nsegs = 0;
  lrvm__seg_index_free (s);
}

/* Remove the segment SEGNAME.  Its records in the log are applied
   first, so that none can reach a new segment of the same name.  */
int
rvm_destroy_segment (rvm_t rvm, const char *segname)
{
  struct lrvm_store *s = rvm;
  int r, e;

  if ((r = lrvm__store_check (rvm, "rvm_destroy")) != 0
      || (r = check_name (s, "rvm_destroy", segname)) != 0)
    return r;
  lrvm__mutex_lock (&s->mu);
  if (find_name (s, segname) != NULL)
    {
      r = lrvm__error (s->opt.verbose, RVM_EMAPPED,
                       "rvm_destroy: \"%s\" is mapped; unmap it first",
                       segname);
      goto out;
    }
  if (has_records (s, segname) && (r = lrvm__truncate_locked (s, 0)) != 0)
    goto out;
  if ((e = LRVM_FAILPOINT ("destroy.before_unlink")) != 0
      || lrvm__unlink_at (s->dirfd, segname) != 0)
    {
      e = e ? e : errno;
      r = e == ENOENT ? lrvm__error (s->opt.verbose, RVM_ENOENT,
                                     "rvm_destroy: no segment \"%s\"",
                                     segname)
                      : lrvm__syserr (s->opt.verbose, e, "rvm_destroy:"
                                      " cannot remove \"%s\"", segname);
      goto out;
    }
  if (s->opt.sync_mode != RVM_SYNC_NONE && lrvm__flush_dir (s->dirfd) != 0)
    {
      r = lrvm__syserr (s->opt.verbose, errno, "rvm_destroy: cannot flush"
                        " the directory after removing \"%s\"", segname);
      goto out;
    }
  lrvm__trace (s->opt.verbose, "rvm_destroy (\"%s\")", segname);
  r = 0;
out:
  pthread_mutex_unlock (&s->mu);
  return r;
}
