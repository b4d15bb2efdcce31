/* plshim.c -- an LD_PRELOAD library that simulates a power loss below
   lrvm: it lets every file system call through, keeps a model of what
   a disk would hold durably, and at a chosen operation replaces the
   store directory with one possible post-crash state and exits.

   What it models, for the store directory LRVM_PL_DIR and the files
   directly inside it (those there when the program starts are taken
   as durable):
   - The store's own creation, if the program makes it (mkdir), is
     pending until an fsync of its parent directory: until then, the
     crash loses the whole store or keeps it, with equal chances.
   - Every write (write, pwrite, writev, pwritev and their 64-bit
     names) and every size change (ftruncate, fallocate,
     posix_fallocate, open with O_TRUNC) of a file is pending until an
     fsync or fdatasync of that file (or sync, syncfs), which makes all
     of the file's pending changes durable.
   - A write on a descriptor opened with O_DSYNC or O_SYNC is durable
     once it returns, and only it, as POSIX says: the file's other
     pending changes stay pending, those before it as well as those
     after.  It stays in order among them, so an earlier pending write
     that the crash keeps cannot overwrite it, and a later one can; the
     file is at least long enough to hold it, unless a later pending
     size change that the crash keeps cuts it.
   - Directory changes (a file created by open, a rename, an unlink)
     are pending until an fsync of the directory.  fsync of a file
     never makes its name durable.
   - At the crash, the state is built from the durable image: each
     pending write, in order, is dropped, kept, or torn (each of its
     512-byte sectors, aligned on file offsets, kept or not), with
     equal chances, except those made durable by O_DSYNC, which are
     kept whole; each pending size change is kept or dropped; a
     random prefix of the pending directory changes is kept, as a
     journaling file system that commits metadata in order would.
     Bytes kept past the end extend the file, any gap reads as zeros.
     Writes are chosen independently even within a sector, so a later
     one may survive where an earlier one did not: more states than a
     disk writing whole sectors from the page cache can show, never
     fewer.

   What it does not model: a disk that reorders or loses writes that a
   flush made durable, or lies about flushes; torn sectors (a sector is
   written whole or not at all); metadata
   other than names and sizes (modes, times); writes through shared
   mappings; descriptors duplicated with dup or fcntl; hard links;
   subdirectories of the store; O_TMPFILE; pwritev2 with flags;
   copy_file_range and sendfile; truncate by path; renames into or out
   of the store; anything done by another process.  lrvm uses none of
   these.  Those the shim sees (a writable MAP_SHARED mapping of a
   store file, O_TMPFILE, mkdir in the store, a rename across its
   boundary, renameat2 or fallocate flags) end the program with a
   message rather than produce a state that never was.

   Flushes of the store are not passed on to the system (the state
   after a crash is the model's, and real flushes would only slow the
   tests down) unless LRVM_PL_REAL_SYNC is set; every other call is.

   Environment:
     LRVM_PL_DIR=DIR         the store directory (nothing is done unset)
     LRVM_PL_CRASH_AT=N      crash at the Nth counted operation, counting
                             from 1; N = count + 1 crashes at exit
     LRVM_PL_SEED=S          seed of the crash-state choices
     LRVM_PL_COUNT_FILE=F    write the number of counted operations to F
                             at exit
     LRVM_PL_TRACE=F         append one line per counted operation to F
     LRVM_PL_REAL_SYNC=1     pass flushes of the store on to the system
   Counted operations are those that change the model: writes, size
   changes, flushes, creations, renames and unlinks in the store.  At
   the crash, the Nth operation has been issued but not completed: a
   write is pending, a flush has made nothing durable.  The process
   then ends with _exit (PL_CRASH_STATUS).

   The shim is built for Linux, with glibc or musl; elsewhere it is
   empty and the tests that need it are unsupported.  */

#include <config.h>

/* The shim defines open, pwrite... and their 64-bit names separately:
   the large-file renaming and the fortified wrappers must not apply.  */
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS
#undef _FORTIFY_SOURCE
#ifndef _LARGEFILE64_SOURCE
# define _LARGEFILE64_SOURCE 1
#endif

#include <stdio.h>              /* __GLIBC__ */

#if defined __linux__

/* glibc has separate 64-bit names (open64, pwrite64...) and fortified
   entry points (__open_2...), which the shim must interpose as well;
   musl has one name for each call, whose off_t has 64 bits, and its
   headers make the 64-bit names macros for it.  */
#ifdef __GLIBC__
# define PL_LFS64 1
#else
# define PL_LFS64 0
#endif

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* The exit status of a simulated crash; powerloss.c knows it too.  */
#define PL_CRASH_STATUS 86
#define SECTOR 512

/* ---- The real calls. ---- */

static struct
{
  int (*openat) (int, const char *, int, ...);
  int (*close) (int);
  ssize_t (*write) (int, const void *, size_t);
  ssize_t (*writev) (int, const struct iovec *, int);
  ssize_t (*pwrite) (int, const void *, size_t, off64_t);
  ssize_t (*pwritev) (int, const struct iovec *, int, off64_t);
  int (*ftruncate) (int, off64_t);
  int (*fallocate) (int, int, off64_t, off64_t);
  int (*posix_fallocate) (int, off64_t, off64_t);
  int (*fsync) (int);
  int (*fdatasync) (int);
  void (*sync) (void);
  int (*syncfs) (int);
  int (*renameat) (int, const char *, int, const char *);
  int (*unlinkat) (int, const char *, int);
  int (*mkdirat) (int, const char *, mode_t);
  void *(*mmap) (void *, size_t, int, int, int, off64_t);
} real;

/* ---- The model. ---- */

/* A pending change of a file: a write of LEN bytes at OFF, or (DATA
   NULL) a change of size to OFF.  A write is DURABLE if it went
   through an O_DSYNC descriptor and returned: the crash keeps it.  */
struct change
{
  off64_t off;
  size_t len;
  unsigned char *data;
  int durable;
};

/* A file (an inode): its durable bytes and its pending changes.  */
struct obj
{
  unsigned char *dur;
  size_t size, cap;
  struct change *ch;
  size_t nch, capch;
};

/* A name of the store directory and the file it names.  */
struct entry
{
  char *name;
  int obj;
};

/* A pending directory change: create NAME (OBJ), rename NAME to TO,
   or unlink NAME.  */
enum { OP_CREATE, OP_RENAME, OP_UNLINK };
struct dirop
{
  int kind;
  char *name, *to;
  int obj;
};

struct namemap
{
  struct entry *e;
  size_t n, cap;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int resolved;            /* the real calls are known */
static int state;               /* 0 not loaded yet, 1 off, 2 on */
static char *store;             /* the store directory */
static dev_t store_dev, parent_dev;
static ino_t store_ino, parent_ino;
static const char *store_base;  /* its name in its parent */
static int store_exists;        /* 0 until the program creates it */
static int store_pending;       /* created, its parent not flushed */
static unsigned long crash_at, ops;
static uint64_t seed;
static char *count_file;
static int real_sync;
static int trace_fd = -1;

static struct obj *objs;
static size_t nobjs, capobjs;
static struct namemap cur, dur; /* the names now, the durable names */
static struct dirop *dops;
static size_t ndops, capdops;

/* What a descriptor refers to: 0 nothing the model knows, 1 the store
   directory, 2 the file OBJ (DSYNC: writes are synchronous), 3 the
   store's parent directory.  */
struct fdinfo
{
  int kind, obj, dsync;
};
static struct fdinfo *fds;
static size_t nfds;

static void die (const char *fmt, ...)
  __attribute__ ((__noreturn__, __format__ (__printf__, 1, 2)));

static void
die (const char *fmt, ...)
{
  va_list ap;

  fprintf (stderr, "plshim: ");
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  _exit (99);
}

static void *
xrealloc (void *p, size_t n)
{
  p = realloc (p, n ? n : 1);
  if (p == NULL)
    die ("out of memory");
  return p;
}

static char *
xstrdup (const char *s)
{
  size_t n = strlen (s) + 1;
  return memcpy (xrealloc (NULL, n), s, n);
}

/* splitmix64: the crash-state choices.  */
static uint64_t
rnd (void)
{
  uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Set the size of the bytes P (*SIZE, capacity *CAP) to N, zero-filling
   any growth.  */
static void
blob_resize (unsigned char **p, size_t *size, size_t *cap, size_t n)
{
  if (n > *cap)
    {
      size_t c = *cap ? *cap : 4096;
      while (c < n)
        c *= 2;
      *p = xrealloc (*p, c);
      *cap = c;
    }
  if (n > *size)
    memset (*p + *size, 0, n - *size);
  *size = n;
}

static void
blob_write (unsigned char **p, size_t *size, size_t *cap, off64_t off,
            const unsigned char *data, size_t len)
{
  if ((size_t) off + len > *size)
    blob_resize (p, size, cap, (size_t) off + len);
  memcpy (*p + off, data, len);
}

static int
new_obj (void)
{
  if (nobjs == capobjs)
    {
      capobjs = capobjs ? 2 * capobjs : 16;
      objs = xrealloc (objs, capobjs * sizeof *objs);
    }
  memset (&objs[nobjs], 0, sizeof objs[nobjs]);
  return (int) nobjs++;
}

static void
add_change (int o, off64_t off, const void *data, size_t len)
{
  struct obj *b = &objs[o];
  struct change *c;

  if (b->nch == b->capch)
    {
      b->capch = b->capch ? 2 * b->capch : 16;
      b->ch = xrealloc (b->ch, b->capch * sizeof *b->ch);
    }
  c = &b->ch[b->nch++];
  c->off = off;
  c->len = len;
  c->data = NULL;
  c->durable = 0;
  if (data != NULL)
    c->data = memcpy (xrealloc (NULL, len), data, len);
}

/* Move the first N pending changes of O into its durable image.  */
static void
settle (int o, size_t n)
{
  struct obj *b = &objs[o];
  size_t i;

  for (i = 0; i < n; i++)
    {
      struct change *c = &b->ch[i];
      if (c->data == NULL)
        blob_resize (&b->dur, &b->size, &b->cap, (size_t) c->off);
      else
        blob_write (&b->dur, &b->size, &b->cap, c->off, c->data, c->len);
      free (c->data);
    }
  memmove (b->ch, b->ch + n, (b->nch - n) * sizeof *b->ch);
  b->nch -= n;
}

/* fsync or fdatasync of O: every pending change becomes durable.  */
static void
flush_obj (int o)
{
  settle (o, objs[o].nch);
}

/* The O_DSYNC writes that begin the pending changes of O are applied
   whole and first at any crash: they may as well be durable now.  This
   keeps a file written only through O_DSYNC from piling them up.  */
static void
settle_durable (int o)
{
  struct obj *b = &objs[o];
  size_t n = 0;

  while (n < b->nch && b->ch[n].durable)
    n++;
  settle (o, n);
}

static struct entry *
map_find (struct namemap *m, const char *name)
{
  size_t i;

  for (i = 0; i < m->n; i++)
    if (strcmp (m->e[i].name, name) == 0)
      return &m->e[i];
  return NULL;
}

static void
map_set (struct namemap *m, const char *name, int o)
{
  struct entry *e = map_find (m, name);

  if (e != NULL)
    {
      e->obj = o;
      return;
    }
  if (m->n == m->cap)
    {
      m->cap = m->cap ? 2 * m->cap : 16;
      m->e = xrealloc (m->e, m->cap * sizeof *m->e);
    }
  m->e[m->n].name = xstrdup (name);
  m->e[m->n++].obj = o;
}

static void
map_del (struct namemap *m, const char *name)
{
  struct entry *e = map_find (m, name);

  if (e != NULL)
    {
      free (e->name);
      *e = m->e[--m->n];
    }
}

static void
map_apply (struct namemap *m, const struct dirop *d)
{
  struct entry *e;

  switch (d->kind)
    {
    case OP_CREATE:
      map_set (m, d->name, d->obj);
      break;
    case OP_RENAME:
      if ((e = map_find (m, d->name)) != NULL)
        {
          int o = e->obj;
          map_del (m, d->name);
          map_set (m, d->to, o);
        }
      break;
    default:
      map_del (m, d->name);
      break;
    }
}

/* Record a directory change, and make it on the current names.  */
static void
add_dirop (int kind, const char *name, const char *to, int o)
{
  struct dirop *d;

  if (ndops == capdops)
    {
      capdops = capdops ? 2 * capdops : 16;
      dops = xrealloc (dops, capdops * sizeof *dops);
    }
  d = &dops[ndops++];
  d->kind = kind;
  d->name = xstrdup (name);
  d->to = to ? xstrdup (to) : NULL;
  d->obj = o;
  map_apply (&cur, d);
}

/* fsync of the store directory: its pending changes become durable.  */
static void
flush_dir (void)
{
  size_t i;

  for (i = 0; i < ndops; i++)
    {
      map_apply (&dur, &dops[i]);
      free (dops[i].name);
      free (dops[i].to);
    }
  ndops = 0;
}

static struct fdinfo *
fdinfo (int fd)
{
  static struct fdinfo none;

  if (fd < 0)
    return &none;
  if ((size_t) fd >= nfds)
    {
      size_t n = nfds ? nfds : 64;
      while (n <= (size_t) fd)
        n *= 2;
      fds = xrealloc (fds, n * sizeof *fds);
      memset (fds + nfds, 0, (n - nfds) * sizeof *fds);
      nfds = n;
    }
  return &fds[fd];
}

/* The file of FD if the model tracks it, else -1.  */
static int
fd_obj (int fd)
{
  return fd >= 0 && (size_t) fd < nfds && fds[fd].kind == 2
         ? fds[fd].obj : -1;
}

static int
fd_is_store (int fd)
{
  return fd >= 0 && (size_t) fd < nfds && fds[fd].kind == 1;
}

static int
fd_is_parent (int fd)
{
  return fd >= 0 && (size_t) fd < nfds && fds[fd].kind == 3;
}

/* Read the file NAME of the store, as it is now, into a new object.  */
static int
load_obj (const char *name)
{
  int o = new_obj (), fd;
  struct obj *b;
  unsigned char buf[65536];
  ssize_t n;
  off64_t off = 0;

  fd = real.openat (AT_FDCWD, store, O_RDONLY | O_DIRECTORY);
  if (fd >= 0)
    {
      int f = real.openat (fd, name, O_RDONLY | O_NOFOLLOW);
      real.close (fd);
      fd = f;
    }
  if (fd < 0)
    die ("cannot read %s/%s: %s", store, name, strerror (errno));
  b = &objs[o];
  while ((n = pread64 (fd, buf, sizeof buf, off)) > 0)
    {
      blob_write (&b->dur, &b->size, &b->cap, off, buf, (size_t) n);
      off += n;
    }
  real.close (fd);
  return o;
}

#define RESOLVE(f) (*(void **) &real.f = dlsym (RTLD_NEXT, #f))
/* The calls that take an offset: their 64-bit names where the C
   library has them apart.  */
#if PL_LFS64
# define RESOLVE64(f) (*(void **) &real.f = dlsym (RTLD_NEXT, #f "64"))
#else
# define RESOLVE64(f) RESOLVE (f)
#endif

static void
resolve (void)
{
  resolved = 1;
  RESOLVE64 (openat);
  RESOLVE (close);
  RESOLVE (write);
  RESOLVE (writev);
  RESOLVE64 (pwrite);
  RESOLVE64 (pwritev);
  RESOLVE64 (ftruncate);
  RESOLVE64 (fallocate);
  RESOLVE64 (posix_fallocate);
  RESOLVE (fsync);
  RESOLVE (fdatasync);
  RESOLVE (sync);
  RESOLVE (syncfs);
  RESOLVE (renameat);
  RESOLVE (unlinkat);
  RESOLVE (mkdirat);
  RESOLVE64 (mmap);
  if (!real.openat || !real.close || !real.write || !real.writev
      || !real.pwrite || !real.pwritev || !real.ftruncate
      || !real.fallocate || !real.posix_fallocate || !real.fsync
      || !real.fdatasync || !real.sync || !real.syncfs || !real.renameat
      || !real.unlinkat || !real.mkdirat || !real.mmap)
    die ("cannot find the real system calls: %s", dlerror ());
}

/* Read the environment and the store.  This runs as a constructor: a
   sanitizer's runtime may call into the shim earlier, before the
   environment can be read, and the calls made then are let through.  */
static void __attribute__ ((__constructor__))
load (void)
{
  const char *e;
  struct stat st;
  DIR *d;
  struct dirent *de;

  pthread_mutex_lock (&mu);
  if (!resolved)
    resolve ();
  state = 1;
  e = getenv ("LRVM_PL_DIR");
  if (e == NULL || *e == '\0')
    goto out;
  store = xstrdup (e);
  {
    /* The parent, where the store's own name lives.  */
    char *parent = xstrdup (store), *slash;
    size_t n = strlen (parent);
    while (n > 1 && parent[n - 1] == '/')
      parent[--n] = '\0';
    slash = strrchr (parent, '/');
    store_base = xstrdup (slash ? slash + 1 : parent);
    if (slash == NULL)
      strcpy (parent, ".");
    else
      slash[slash == parent] = '\0';
    if (stat (parent, &st) != 0)
      die ("LRVM_PL_DIR %s: no parent directory %s", store, parent);
    parent_dev = st.st_dev;
    parent_ino = st.st_ino;
    free (parent);
  }
  if ((e = getenv ("LRVM_PL_CRASH_AT")) != NULL)
    crash_at = strtoul (e, NULL, 10);
  if ((e = getenv ("LRVM_PL_SEED")) != NULL)
    seed = strtoull (e, NULL, 0);
  seed = seed * 0x2545F4914F6CDD1Dull + crash_at;
  real_sync = getenv ("LRVM_PL_REAL_SYNC") != NULL;
  if ((e = getenv ("LRVM_PL_COUNT_FILE")) != NULL && *e != '\0')
    count_file = xstrdup (e);
  if ((e = getenv ("LRVM_PL_TRACE")) != NULL && *e != '\0')
    trace_fd = real.openat (AT_FDCWD, e, O_WRONLY | O_CREAT | O_APPEND
                            | O_CLOEXEC, 0666);

  state = 2;
  if (stat (store, &st) != 0 && errno == ENOENT)
    goto out;                   /* the program will create it */
  if (!S_ISDIR (st.st_mode))
    die ("LRVM_PL_DIR %s is not a directory", store);
  store_dev = st.st_dev;
  store_ino = st.st_ino;
  store_exists = 1;

  /* Whatever the store holds now is durable.  */
  d = opendir (store);
  if (d == NULL)
    die ("cannot read %s: %s", store, strerror (errno));
  while ((de = readdir (d)) != NULL)
    {
      struct stat fst;
      if (fstatat (dirfd (d), de->d_name, &fst, AT_SYMLINK_NOFOLLOW) != 0)
        continue;
      if (S_ISREG (fst.st_mode))
        {
          int o = load_obj (de->d_name);
          map_set (&cur, de->d_name, o);
          map_set (&dur, de->d_name, o);
        }
      else if (!S_ISDIR (fst.st_mode))
        die ("%s/%s: only regular files are modelled", store, de->d_name);
      else if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, ".."))
        die ("%s/%s: subdirectories are not modelled", store, de->d_name);
    }
  closedir (d);
out:
  pthread_mutex_unlock (&mu);
}

/* Take the shim's lock; nonzero if the model is on.  */
static int
enter (void)
{
  pthread_mutex_lock (&mu);
  if (!resolved)
    resolve ();
  return state == 2;
}

static void
leave (void)
{
  pthread_mutex_unlock (&mu);
}

/* ---- The crash. ---- */

/* Write P[0..SIZE) to the empty file FD, leaving holes for blocks of
   zeros: the same bytes, less for the next reader's flush to write.  */
static int
write_sparse (int fd, const unsigned char *p, size_t size)
{
  static const unsigned char zeros[4096];
  size_t off;

  if (real.ftruncate (fd, (off64_t) size) != 0)
    return -1;
  for (off = 0; off < size; off += sizeof zeros)
    {
      size_t n = size - off < sizeof zeros ? size - off : sizeof zeros;
      if (memcmp (p + off, zeros, n) != 0
          && real.pwrite (fd, p + off, n, (off64_t) off) != (ssize_t) n)
        return -1;
    }
  return 0;
}

/* Write the post-crash state into the store directory and end the
   process.  */
static void crash (void) __attribute__ ((__noreturn__));

static void
crash (void)
{
  struct namemap m = { NULL, 0, 0 };
  size_t i, j, keep;
  DIR *d;
  struct dirent *de;
  int dfd, lost;

  if (!store_exists)
    _exit (PL_CRASH_STATUS);
  /* A store whose creation is pending is lost or kept, whole.  */
  lost = store_pending && rnd () % 2;

  for (i = 0; i < dur.n; i++)
    map_set (&m, dur.e[i].name, dur.e[i].obj);
  keep = (size_t) (rnd () % (ndops + 1));
  for (i = 0; i < keep; i++)
    map_apply (&m, &dops[i]);

  /* The store directory holds exactly those names.  */
  d = opendir (store);
  if (d == NULL)
    die ("crash: cannot read %s: %s", store, strerror (errno));
  dfd = dirfd (d);
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0
        && real.unlinkat (dfd, de->d_name, 0) != 0)
      die ("crash: cannot remove %s/%s: %s", store, de->d_name,
           strerror (errno));
  if (lost)
    {
      closedir (d);
      if (real.unlinkat (AT_FDCWD, store, AT_REMOVEDIR) != 0)
        die ("crash: cannot remove %s: %s", store, strerror (errno));
      if (trace_fd >= 0)
        real.write (trace_fd, "crash: the store is lost\n", 25);
      _exit (PL_CRASH_STATUS);
    }

  for (i = 0; i < m.n; i++)
    {
      struct obj *b = &objs[m.e[i].obj];
      unsigned char *p = NULL;
      size_t size = 0, cap = 0;
      int fd;

      blob_resize (&p, &size, &cap, b->size);
      if (b->size)
        memcpy (p, b->dur, b->size);
      for (j = 0; j < b->nch; j++)
        {
          struct change *c = &b->ch[j];
          uint64_t how = rnd () % 3;    /* drop, keep, tear */
          off64_t s, end;

          if (c->data == NULL)
            {
              if (rnd () % 2)
                blob_resize (&p, &size, &cap, (size_t) c->off);
              continue;
            }
          if (c->durable)
            how = 1;
          if (how == 0)
            continue;
          /* Sector by sector; a torn write keeps each with chance 1/2. */
          for (s = c->off, end = c->off + (off64_t) c->len; s < end;)
            {
              off64_t next = (s / SECTOR + 1) * SECTOR;
              if (next > end)
                next = end;
              if (how == 1 || rnd () % 2)
                blob_write (&p, &size, &cap, s, c->data + (s - c->off),
                            (size_t) (next - s));
              s = next;
            }
        }
      fd = real.openat (dfd, m.e[i].name, O_WRONLY | O_CREAT | O_TRUNC,
                        0644);
      if (fd < 0 || write_sparse (fd, p, size) != 0)
        die ("crash: cannot write %s/%s", store, m.e[i].name);
      real.close (fd);
      free (p);
    }
  closedir (d);
  if (trace_fd >= 0)
    {
      char line[128];
      int n = snprintf (line, sizeof line, "crash: %zu of %zu directory"
                        " changes kept\n", keep, ndops);
      real.write (trace_fd, line, (size_t) n);
    }
  _exit (PL_CRASH_STATUS);
}

/* Count an operation of the store; crash if it is the chosen one.
   FLUSH operations are counted before they take effect.  */
static void
count (const char *what, const char *name, int o, long long a,
       long long b)
{
  ops++;
  if (trace_fd >= 0)
    {
      char line[512];
      size_t i;
      int n;
      for (i = 0; name == NULL && o >= 0 && i < cur.n; i++)
        if (cur.e[i].obj == o)
          name = cur.e[i].name;
      n = snprintf (line, sizeof line, "%lu %s %s %lld %lld\n", ops, what,
                    name ? name : "-", a, b);
      real.write (trace_fd, line, (size_t) n);
    }
  if (ops == crash_at)
    crash ();
}

static void __attribute__ ((__destructor__))
at_exit (void)
{
  pthread_mutex_lock (&mu);
  if (state == 2 && crash_at == ops + 1)
    crash ();
  if (state == 2 && count_file != NULL)
    {
      FILE *f = fopen (count_file, "w");
      if (f != NULL)
        {
          fprintf (f, "%lu\n", ops);
          fclose (f);
        }
    }
  pthread_mutex_unlock (&mu);
}

/* ---- Names. ---- */

/* If PATH (relative to DIRFD) names an entry of the store directory,
   return its last component, else NULL.  */
static const char *
store_name (int dirfd, const char *path)
{
  const char *slash = strrchr (path, '/');
  const char *base = slash ? slash + 1 : path;
  struct stat st;
  int r;

  if (*base == '\0' || strcmp (base, ".") == 0 || strcmp (base, "..") == 0)
    return NULL;
  if (slash == NULL)
    r = dirfd == AT_FDCWD ? stat (".", &st) : fstat (dirfd, &st);
  else if (slash == path)
    r = stat ("/", &st);
  else
    {
      char *parent = xstrdup (path);
      parent[slash - path] = '\0';
      r = fstatat (dirfd, parent, &st, 0);
      free (parent);
    }
  return r == 0 && store_exists && st.st_dev == store_dev
         && st.st_ino == store_ino ? base : NULL;
}

/* ---- The interposed calls. ---- */

static int
do_open (int dirfd, const char *path, int flags, mode_t mode)
{
  const char *name;
  struct entry *e;
  struct stat st;
  int fd, o, created = 0;

  if (!enter ())
    {
      leave ();
      return real.openat (dirfd, path, flags, mode);
    }
  name = store_name (dirfd, path);
  if (name != NULL && (flags & O_TMPFILE) == O_TMPFILE)
    die ("O_TMPFILE in the store is not modelled");
  if (name != NULL && (flags & O_CREAT) && map_find (&cur, name) == NULL)
    created = 1;
  fd = real.openat (dirfd, path, flags, mode);
  if (fd < 0 || fstat (fd, &st) != 0)
    {
      leave ();
      return fd;
    }
  *fdinfo (fd) = (struct fdinfo) { 0, 0, 0 };
  if (S_ISDIR (st.st_mode) && store_exists && st.st_dev == store_dev
      && st.st_ino == store_ino)
    fdinfo (fd)->kind = 1;
  else if (S_ISDIR (st.st_mode) && st.st_dev == parent_dev
           && st.st_ino == parent_ino)
    fdinfo (fd)->kind = 3;
  else if (name != NULL && S_ISREG (st.st_mode))
    {
      if (created)
        {
          o = new_obj ();
          add_dirop (OP_CREATE, name, NULL, o);
          count ("create", name, o, 0, 0);
        }
      else if ((e = map_find (&cur, name)) != NULL)
        o = e->obj;
      else
        {
          /* Made behind the model's back: take it as durable.  */
          o = load_obj (name);
          map_set (&cur, name, o);
          map_set (&dur, name, o);
        }
      *fdinfo (fd) = (struct fdinfo) { 2, o, (flags & O_DSYNC) != 0 };
      if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY)
        {
          add_change (o, 0, NULL, 0);
          count ("trunc", name, o, 0, 0);
        }
    }
  leave ();
  return fd;
}

#define OPEN_MODE(flags, mode)                                  \
  do                                                            \
    if ((flags) & O_CREAT || ((flags) & O_TMPFILE) == O_TMPFILE) \
      {                                                         \
        va_list ap;                                             \
        va_start (ap, flags);                                   \
        mode = (mode_t) va_arg (ap, int);                       \
        va_end (ap);                                            \
      }                                                         \
  while (0)

int
open (const char *path, int flags, ...)
{
  mode_t mode = 0;
  OPEN_MODE (flags, mode);
  return do_open (AT_FDCWD, path, flags, mode);
}

#if PL_LFS64
int
open64 (const char *path, int flags, ...)
{
  mode_t mode = 0;
  OPEN_MODE (flags, mode);
  return do_open (AT_FDCWD, path, flags | O_LARGEFILE, mode);
}
#endif

int
openat (int dirfd, const char *path, int flags, ...)
{
  mode_t mode = 0;
  OPEN_MODE (flags, mode);
  return do_open (dirfd, path, flags, mode);
}

#if PL_LFS64
int
openat64 (int dirfd, const char *path, int flags, ...)
{
  mode_t mode = 0;
  OPEN_MODE (flags, mode);
  return do_open (dirfd, path, flags | O_LARGEFILE, mode);
}
#endif

#if PL_LFS64
/* The fortified entry points (no mode: no O_CREAT).  */
int __open_2 (const char *, int);
int __open64_2 (const char *, int);
int __openat_2 (int, const char *, int);
int __openat64_2 (int, const char *, int);

int
__open_2 (const char *path, int flags)
{
  return do_open (AT_FDCWD, path, flags, 0);
}

int
__open64_2 (const char *path, int flags)
{
  return do_open (AT_FDCWD, path, flags | O_LARGEFILE, 0);
}

int
__openat_2 (int dirfd, const char *path, int flags)
{
  return do_open (dirfd, path, flags, 0);
}

int
__openat64_2 (int dirfd, const char *path, int flags)
{
  return do_open (dirfd, path, flags | O_LARGEFILE, 0);
}
#endif

int
creat (const char *path, mode_t mode)
{
  return do_open (AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

#if PL_LFS64
int
creat64 (const char *path, mode_t mode)
{
  return do_open (AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC
                  | O_LARGEFILE, mode);
}
#endif

int
close (int fd)
{
  int r;

  enter ();
  r = real.close (fd);
  if (fd >= 0 && (size_t) fd < nfds)
    fds[fd].kind = 0;
  leave ();
  return r;
}

/* After a write of N bytes at OFF to FD: record it.  On an O_DSYNC
   descriptor it is durable once counted (a crash at this very write
   finds it still pending), and nothing else of the file is.  Called
   with the lock held.  */
static void
wrote (int fd, const void *data, size_t n, off64_t off)
{
  int o = fd_obj (fd);

  if (o < 0)
    return;
  add_change (o, off, data, n);
  count (fds[fd].dsync ? "dsync-write" : "write", NULL, o, (long long) off,
         (long long) n);
  if (fds[fd].dsync)
    {
      objs[o].ch[objs[o].nch - 1].durable = 1;
      settle_durable (o);
    }
}

/* The bytes of IOV that a call transferred (N of them), in one buffer
   the caller frees.  */
static unsigned char *
gather (const struct iovec *iov, int cnt, size_t n)
{
  unsigned char *p = xrealloc (NULL, n), *q = p;
  int i;

  for (i = 0; i < cnt && n > 0; i++)
    {
      size_t k = iov[i].iov_len < n ? iov[i].iov_len : n;
      memcpy (q, iov[i].iov_base, k);
      q += k;
      n -= k;
    }
  return p;
}

ssize_t
write (int fd, const void *buf, size_t len)
{
  ssize_t n;

  if (!enter () || fd_obj (fd) < 0)
    {
      leave ();
      return real.write (fd, buf, len);
    }
  n = real.write (fd, buf, len);
  if (n > 0)
    wrote (fd, buf, (size_t) n, lseek64 (fd, 0, SEEK_CUR) - n);
  leave ();
  return n;
}

ssize_t
writev (int fd, const struct iovec *iov, int cnt)
{
  ssize_t n;

  if (!enter () || fd_obj (fd) < 0)
    {
      leave ();
      return real.writev (fd, iov, cnt);
    }
  n = real.writev (fd, iov, cnt);
  if (n > 0)
    {
      unsigned char *p = gather (iov, cnt, (size_t) n);
      wrote (fd, p, (size_t) n, lseek64 (fd, 0, SEEK_CUR) - n);
      free (p);
    }
  leave ();
  return n;
}

static ssize_t
do_pwrite (int fd, const void *buf, size_t len, off64_t off)
{
  ssize_t n;

  enter ();
  n = real.pwrite (fd, buf, len, off);
  if (n > 0)
    wrote (fd, buf, (size_t) n, off);
  leave ();
  return n;
}

ssize_t
pwrite (int fd, const void *buf, size_t len, off_t off)
{
  return do_pwrite (fd, buf, len, off);
}

#if PL_LFS64
ssize_t
pwrite64 (int fd, const void *buf, size_t len, off64_t off)
{
  return do_pwrite (fd, buf, len, off);
}
#endif

static ssize_t
do_pwritev (int fd, const struct iovec *iov, int cnt, off64_t off)
{
  ssize_t n;

  enter ();
  n = real.pwritev (fd, iov, cnt, off);
  if (n > 0 && fd_obj (fd) >= 0)
    {
      unsigned char *p = gather (iov, cnt, (size_t) n);
      wrote (fd, p, (size_t) n, off);
      free (p);
    }
  leave ();
  return n;
}

ssize_t
pwritev (int fd, const struct iovec *iov, int cnt, off_t off)
{
  return do_pwritev (fd, iov, cnt, off);
}

#if PL_LFS64
ssize_t
pwritev64 (int fd, const struct iovec *iov, int cnt, off64_t off)
{
  return do_pwritev (fd, iov, cnt, off);
}
#endif

/* A new size SIZE for the file of FD, if at least its current one when
   GROW_ONLY (fallocate).  Called with the lock held.  */
static void
resized (int fd, off64_t size, int grow_only)
{
  int o = fd_obj (fd);
  struct stat st;

  if (o < 0)
    return;
  if (grow_only)
    {
      if (fstat (fd, &st) != 0)
        die ("fstat: %s", strerror (errno));
      size = st.st_size;
    }
  add_change (o, size, NULL, 0);
  count ("resize", NULL, o, (long long) size, 0);
}

static int
do_ftruncate (int fd, off64_t size)
{
  int r;

  enter ();
  r = real.ftruncate (fd, size);
  if (r == 0)
    resized (fd, size, 0);
  leave ();
  return r;
}

int
ftruncate (int fd, off_t size)
{
  return do_ftruncate (fd, size);
}

#if PL_LFS64
int
ftruncate64 (int fd, off64_t size)
{
  return do_ftruncate (fd, size);
}
#endif

static int
do_fallocate (int fd, int mode, off64_t off, off64_t len, int posix)
{
  int r;

  enter ();
  if (mode != 0 && fd_obj (fd) >= 0)
    die ("fallocate mode %#x is not modelled", (unsigned) mode);
  r = posix ? real.posix_fallocate (fd, off, len)
            : real.fallocate (fd, mode, off, len);
  if (r == 0)
    resized (fd, 0, 1);
  leave ();
  return r;
}

int
fallocate (int fd, int mode, off_t off, off_t len)
{
  return do_fallocate (fd, mode, off, len, 0);
}

#if PL_LFS64
int
fallocate64 (int fd, int mode, off64_t off, off64_t len)
{
  return do_fallocate (fd, mode, off, len, 0);
}
#endif

int
posix_fallocate (int fd, off_t off, off_t len)
{
  return do_fallocate (fd, 0, off, len, 1);
}

#if PL_LFS64
int
posix_fallocate64 (int fd, off64_t off, off64_t len)
{
  return do_fallocate (fd, 0, off, len, 1);
}
#endif

/* fsync or fdatasync: the same in the model.  A flush of the store is
   not passed on unless LRVM_PL_REAL_SYNC is set.  */
static int
do_flush (int fd, int data_only)
{
  int r, o;

  enter ();
  o = fd_obj (fd);
  if (o >= 0 || fd_is_store (fd) || fd_is_parent (fd))
    {
      count (data_only ? "fdatasync" : "fsync",
             o >= 0 ? NULL : fd_is_store (fd) ? "." : "..", o, 0, 0);
      r = real_sync ? (data_only ? real.fdatasync (fd) : real.fsync (fd))
                    : fcntl (fd, F_GETFD) < 0 ? -1 : 0;
    }
  else
    r = data_only ? real.fdatasync (fd) : real.fsync (fd);
  if (r == 0 && o >= 0)
    flush_obj (o);
  else if (r == 0 && fd_is_store (fd))
    flush_dir ();
  else if (r == 0 && fd_is_parent (fd))
    store_pending = 0;
  leave ();
  return r;
}

int
fsync (int fd)
{
  return do_flush (fd, 0);
}

int
fdatasync (int fd)
{
  return do_flush (fd, 1);
}

static void
flush_all (void)
{
  size_t i;

  for (i = 0; i < nobjs; i++)
    flush_obj ((int) i);
  flush_dir ();
  store_pending = 0;
}

void
sync (void)
{
  if (enter ())
    count ("sync", NULL, -1, 0, 0);
  real.sync ();
  if (state == 2)
    flush_all ();
  leave ();
}

int
syncfs (int fd)
{
  int r;

  if (enter ())
    count ("syncfs", NULL, -1, 0, 0);
  r = real.syncfs (fd);
  if (r == 0 && state == 2)
    flush_all ();
  leave ();
  return r;
}

static int
do_rename (int fd1, const char *from, int fd2, const char *to,
           unsigned int flags)
{
  const char *n1, *n2;
  int r;

  if (flags != 0)
    die ("renameat2 flags %#x are not modelled", flags);
  if (!enter ())
    {
      leave ();
      return real.renameat (fd1, from, fd2, to);
    }
  n1 = store_name (fd1, from);
  n2 = store_name (fd2, to);
  if ((n1 != NULL) != (n2 != NULL))
    die ("rename into or out of the store is not modelled");
  r = real.renameat (fd1, from, fd2, to);
  if (r == 0 && n1 != NULL && map_find (&cur, n1) != NULL)
    {
      add_dirop (OP_RENAME, n1, n2, -1);
      count ("rename", n1, -1, 0, 0);
    }
  leave ();
  return r;
}

int
rename (const char *from, const char *to)
{
  return do_rename (AT_FDCWD, from, AT_FDCWD, to, 0);
}

int
renameat (int fd1, const char *from, int fd2, const char *to)
{
  return do_rename (fd1, from, fd2, to, 0);
}

#ifdef RENAME_NOREPLACE
/* renameat2 without flags is renameat; flags are not modelled.  */
int
renameat2 (int fd1, const char *from, int fd2, const char *to,
           unsigned int flags)
{
  return do_rename (fd1, from, fd2, to, flags);
}
#endif

static int
do_unlink (int dirfd, const char *path, int flags)
{
  const char *name;
  int r;

  if (!enter ())
    {
      leave ();
      return real.unlinkat (dirfd, path, flags);
    }
  name = store_name (dirfd, path);
  r = real.unlinkat (dirfd, path, flags);
  if (r == 0 && name != NULL && map_find (&cur, name) != NULL)
    {
      add_dirop (OP_UNLINK, name, NULL, -1);
      count ("unlink", name, -1, 0, 0);
    }
  leave ();
  return r;
}

int
unlink (const char *path)
{
  return do_unlink (AT_FDCWD, path, 0);
}

int
unlinkat (int dirfd, const char *path, int flags)
{
  return do_unlink (dirfd, path, flags);
}

/* mkdir: the creation of the store itself is a pending change of its
   parent directory; subdirectories of the store are not modelled.  */
static int
do_mkdir (int dirfd, const char *path, mode_t mode)
{
  struct stat st, made;
  int r;

  enter ();
  r = real.mkdirat (dirfd, path, mode);
  if (r == 0 && state == 2 && store_name (dirfd, path) != NULL)
    die ("mkdir %s: subdirectories of the store are not modelled", path);
  if (r == 0 && state == 2 && !store_exists && stat (store, &st) == 0
      && fstatat (dirfd, path, &made, 0) == 0 && made.st_dev == st.st_dev
      && made.st_ino == st.st_ino)
    {
      store_dev = st.st_dev;
      store_ino = st.st_ino;
      store_exists = 1;
      store_pending = 1;
      count ("mkdir", store_base, -1, 0, 0);
    }
  leave ();
  return r;
}

int
mkdir (const char *path, mode_t mode)
{
  return do_mkdir (AT_FDCWD, path, mode);
}

int
mkdirat (int dirfd, const char *path, mode_t mode)
{
  return do_mkdir (dirfd, path, mode);
}

static void *
do_mmap (void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
  enter ();
  if ((prot & PROT_WRITE) && (flags & MAP_SHARED) && fd_obj (fd) >= 0)
    die ("a writable shared mapping of a store file is not modelled");
  leave ();
  return real.mmap (addr, len, prot, flags, fd, off);
}

void *
mmap (void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
  return do_mmap (addr, len, prot, flags, fd, off);
}

#if PL_LFS64
void *
mmap64 (void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
  return do_mmap (addr, len, prot, flags, fd, off);
}
#endif

#else /* !__linux__ */

/* Nothing is interposed: the power-loss tests are unsupported here.  */
int lrvm_plshim_unsupported (void);

int
lrvm_plshim_unsupported (void)
{
  return 1;
}

#endif
