/* store.c -- opening and closing a store: options, the store
   directory, its lock, recovery at open, and the registry of open
   handles that lets every call reject a pointer that is not one.  */

#include "lrvm-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef O_DIRECTORY
# define O_DIRECTORY 0
#endif

/* Every call reads the registry, under one part of REGISTRY_LOCK;
   rvm_open and rvm_close change it, under all.  */
static struct lrvm_rlock registry_lock = LRVM_RLOCK_INITIALIZER;
static struct lrvm_store *registry;

void
rvm_options_init (struct rvm_options *o)
{
  if (o == NULL)
    return;
  memset (o, 0, sizeof *o);
  o->size = sizeof *o;
  o->sync_mode = RVM_SYNC_FLUSH;
  o->truncate_threshold = LRVM_DEFAULT_THRESHOLD;
  o->log_reserve = LRVM_DEFAULT_RESERVE;
  o->file_mode = LRVM_DEFAULT_MODE;
}

/* Check that RVM is an open handle; FN names the caller for the
   message.  Never dereferences a pointer that is not registered.  */
int
lrvm__store_check (rvm_t rvm, const char *fn)
{
  struct lrvm_store *p;
  unsigned part;

  if (rvm == NULL)
    return lrvm__error (0, RVM_EHANDLE, "%s: store handle is NULL", fn);
  part = lrvm__read_lock (&registry_lock);
  for (p = registry; p != NULL; p = p->next_open)
    if (p == rvm)
      break;
  lrvm__read_unlock (&registry_lock, part);
  if (p == NULL)
    return lrvm__error (0, RVM_EHANDLE, "%s: %p is not an open store",
                        fn, (void *) rvm);
  return 0;
}

/* Copy the caller's options, of whatever size their version of the
   struct has, over the defaults, and check them.  */
static int
take_options (struct rvm_options *dst, const struct rvm_options *src)
{
  rvm_options_init (dst);
  if (src != NULL)
    {
      size_t n = src->size < sizeof *dst ? src->size : sizeof *dst;
      if (src->size < offsetof (struct rvm_options, sync_mode))
        return lrvm__error (0, RVM_EINVAL, "rvm_open: options.size is %zu;"
                            " call rvm_options_init first", src->size);
      memcpy (dst, src, n);
      dst->size = sizeof *dst;
    }
  if (dst->sync_mode < RVM_SYNC_FLUSH || dst->sync_mode > RVM_SYNC_NONE)
    return lrvm__error (dst->verbose, RVM_EINVAL,
                        "rvm_open: unknown sync_mode %d", dst->sync_mode);
  if (dst->file_mode & ~07777u)
    return lrvm__error (dst->verbose, RVM_EINVAL,
                        "rvm_open: file_mode %o is not a mode",
                        dst->file_mode);
  if (dst->truncate_threshold == 0)
    dst->truncate_threshold = LRVM_DEFAULT_THRESHOLD;
  if (dst->sync_mode == RVM_SYNC_DSYNC && lrvm__dsync_flag () == 0)
    return lrvm__error (dst->verbose, RVM_EINVAL, "rvm_open: this system"
                        " has no O_DSYNC; use RVM_SYNC_FLUSH");
  return 0;
}

static void
store_free (struct lrvm_store *s)
{
  lrvm__trans_free_spare (s);
  lrvm__seg_index_free (s);
  if (s->log.fd >= 0)
    lrvm__close (s->log.fd);
  lrvm__log_destroy (&s->log);
  if (s->lockfd >= 0)
    lrvm__close (s->lockfd);
  if (s->dirfd >= 0)
    lrvm__close (s->dirfd);
  pthread_cond_destroy (&s->begin_cv);
  pthread_cond_destroy (&s->quiet_cv);
  pthread_mutex_destroy (&s->mu);
  free (s->path);
  free (s);
}

/* Make the entry of DIR, a directory just created, durable in its
   parent.  Without this, a power loss could take away the whole store,
   with commits already reported durable.  */
static int
flush_parent (const char *dir)
{
  size_t n = strlen (dir);
  char *parent;
  int fd, r, e;

  while (n > 1 && dir[n - 1] == '/')    /* "a/b/" */
    n--;
  while (n > 0 && dir[n - 1] != '/')    /* the last component */
    n--;
  while (n > 1 && dir[n - 1] == '/')    /* "a//b" */
    n--;
  parent = malloc (n > 0 ? n + 1 : 2);
  if (parent == NULL)
    return -1;
  if (n == 0)
    strcpy (parent, ".");
  else
    {
      memcpy (parent, dir, n);
      parent[n] = '\0';
    }
  fd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  e = errno;
  free (parent);
  if (fd < 0)
    {
      errno = e;
      return -1;
    }
  r = lrvm__flush_dir (fd);
  lrvm__close (fd);
  return r;
}

/* Open the store in DIRECTORY, creating it if needed: take its lock,
   recover its log, and register the handle.  */
int
rvm_open (const char *directory, const struct rvm_options *options,
          rvm_t *rvm)
{
  struct lrvm_store *s, *p;
  struct stat st;
  unsigned part;
  int r, verbose;

  if (rvm != NULL)
    *rvm = NULL;
  verbose = options != NULL && options->size > offsetof (struct rvm_options,
                                                          verbose)
            && options->verbose;
  if (directory == NULL || rvm == NULL)
    return lrvm__error (verbose, RVM_EINVAL, "rvm_open: %s is NULL",
                        directory == NULL ? "directory" : "handle pointer");
  if (*directory == '\0')
    return lrvm__error (verbose, RVM_EINVAL, "rvm_open: empty directory");

  s = calloc (1, sizeof *s);
  if (s == NULL)
    return lrvm__error (verbose, RVM_ENOMEM, "rvm_open: out of memory");
  s->dirfd = s->lockfd = s->log.fd = -1;
  if (pthread_mutex_init (&s->mu, NULL) != 0)
    {
      free (s);
      return lrvm__error (verbose, RVM_ENOMEM, "rvm_open: no mutex");
    }
  if (lrvm__timed_cond_init (&s->quiet_cv, &s->quiet_monotonic) != 0)
    {
      pthread_mutex_destroy (&s->mu);
      free (s);
      return lrvm__error (verbose, RVM_ENOMEM,
                          "rvm_open: no condition variable");
    }
  if (pthread_cond_init (&s->begin_cv, NULL) != 0)
    {
      pthread_cond_destroy (&s->quiet_cv);
      pthread_mutex_destroy (&s->mu);
      free (s);
      return lrvm__error (verbose, RVM_ENOMEM,
                          "rvm_open: no condition variable");
    }
  if ((r = lrvm__log_init (&s->log)) != 0
      || (r = take_options (&s->opt, options)) != 0)
    {
      store_free (s);
      return r;
    }
  s->magic = LRVM_STORE_MAGIC;
  s->path = strdup (directory);
  if (s->path == NULL)
    {
      store_free (s);
      return lrvm__error (verbose, RVM_ENOMEM, "rvm_open: out of memory");
    }
  {
    mode_t um = umask (0);
    umask (um);
    s->mode = (mode_t) s->opt.file_mode & ~um;
  }

  if (mkdir (directory, 0777) != 0)
    {
      if (errno != EEXIST)
        {
          r = lrvm__syserr (verbose, errno, "rvm_open: cannot create %s",
                            directory);
          store_free (s);
          return r;
        }
    }
  else if (s->opt.sync_mode != RVM_SYNC_NONE && flush_parent (directory) != 0)
    {
      r = lrvm__syserr (verbose, errno, "rvm_open: cannot flush the parent"
                        " directory of %s", directory);
      store_free (s);
      return r;
    }
  s->dirfd = open (directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->dirfd < 0 || fstat (s->dirfd, &st) != 0)
    {
      r = lrvm__syserr (verbose, errno, "rvm_open: cannot open %s",
                        directory);
      store_free (s);
      return r;
    }
  if (!S_ISDIR (st.st_mode))
    {
      r = lrvm__syserr (verbose, ENOTDIR, "rvm_open: %s", directory);
      store_free (s);
      return r;
    }
  s->dev = st.st_dev;
  s->ino = st.st_ino;

  /* A second handle on the same directory in this process.  */
  part = lrvm__read_lock (&registry_lock);
  for (p = registry; p != NULL; p = p->next_open)
    if (p->dev == s->dev && p->ino == s->ino)
      break;
  lrvm__read_unlock (&registry_lock, part);
  if (p != NULL)
    {
      store_free (s);
      return lrvm__error (verbose, RVM_EBUSY, "rvm_open: %s is already open"
                          " in this process", directory);
    }

  s->lockfd = lrvm__open_at (s->dirfd, LRVM_LOCK_NAME, O_RDWR | O_CREAT,
                             s->mode | 0600);
  if (s->lockfd < 0)
    {
      r = lrvm__syserr (verbose, errno, "rvm_open: cannot open the lock"
                        " file of %s", directory);
      store_free (s);
      return r;
    }
  if (lrvm__lock (s->lockfd) != 0)
    {
      if (errno == EWOULDBLOCK)
        r = lrvm__error (verbose, RVM_EBUSY, "rvm_open: %s is held by"
                         " another process", directory);
      else
        r = lrvm__syserr (verbose, errno, "rvm_open: cannot lock %s",
                          directory);
      store_free (s);
      return r;
    }

  if ((r = lrvm__recover (s)) != 0)
    {
      store_free (s);
      return r;
    }

  lrvm__write_lock (&registry_lock);
  for (p = registry; p != NULL; p = p->next_open)
    if (p->dev == s->dev && p->ino == s->ino)
      break;
  if (p == NULL)
    {
      s->next_open = registry;
      registry = s;
    }
  lrvm__write_unlock (&registry_lock);
  if (p != NULL)
    {
      store_free (s);
      return lrvm__error (verbose, RVM_EBUSY, "rvm_open: %s is already open"
                          " in this process", directory);
    }
  lrvm__trace (s->opt.verbose, "rvm_open (\"%s\") = %p", directory,
               (void *) s);
  *rvm = s;
  return 0;
}

/* Close RVM: end its active transactions (they are not committed),
   make every no-flush commit durable, unmap its segments, release the
   lock and free everything.  The handle is gone even if the final
   flush fails; the failure is returned.  */
int
rvm_close (rvm_t rvm)
{
  struct lrvm_store *s = rvm, **pp;
  int r;

  if ((r = lrvm__store_check (rvm, "rvm_close")) != 0)
    return r;
  lrvm__write_lock (&registry_lock);
  for (pp = &registry; *pp != NULL; pp = &(*pp)->next_open)
    if (*pp == s)
      {
        *pp = s->next_open;
        break;
      }
  lrvm__write_unlock (&registry_lock);

  lrvm__trans_drop_store (s);
  r = lrvm__log_flush (s);
  lrvm__mutex_lock (&s->mu);
  lrvm__seg_unmap_all (s);
  pthread_mutex_unlock (&s->mu);
  lrvm__trace (s->opt.verbose, "rvm_close (%p) = %d", (void *) s, r);
  s->magic = 0;
  store_free (s);
  return r;
}

int
rvm_stats (rvm_t rvm, struct rvm_statistics *stats, size_t size)
{
  struct lrvm_store *s = rvm;
  struct rvm_statistics st;
  int r;

  if ((r = lrvm__store_check (rvm, "rvm_stats")) != 0)
    return r;
  if (stats == NULL || size == 0)
    return lrvm__error (s->opt.verbose, RVM_EINVAL,
                        "rvm_stats: no statistics buffer");
  lrvm__mutex_lock (&s->log.mu);
  st = s->st;
  st.log_size = s->log.file_size;
  st.log_used = s->log.tail - s->log.hdr.head_off + s->log.buf_len;
  pthread_mutex_unlock (&s->log.mu);
  memcpy (stats, &st, size < sizeof st ? size : sizeof st);
  lrvm__trace (s->opt.verbose, "rvm_stats (%p)", (void *) s);
  return 0;
}
