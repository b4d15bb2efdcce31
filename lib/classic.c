/* classic.c -- the classic RVM API as thin wrappers over the full API.
   These calls cannot return a status: each failure sets errno (see
   lrvm__errno_for) and stays readable through rvm_errcode and
   rvm_errmsg.  None of them ever ends the caller's process.  */

#include "lrvm-internal.h"

#include <errno.h>

/* After a failed call, set errno for its status R; after a successful
   one, put back SAVED, the caller's errno, so that a caller of a void
   call can clear errno before it and test it after.  */
static int
set_errno (int r, int saved)
{
  errno = r != 0 ? lrvm__last_errno () : saved;
  return r;
}

rvm_t
rvm_init (const char *directory)
{
  int saved = errno;
  rvm_t rvm;

  if (set_errno (rvm_open (directory, NULL, &rvm), saved) != 0)
    return NULL;
  return rvm;
}

void *
rvm_map (rvm_t rvm, const char *segname, int size_to_create)
{
  int saved = errno;
  void *base;

  if (size_to_create <= 0)
    {
      lrvm__error (0, RVM_EINVAL, "rvm_map: \"%s\": size %d is not positive",
                   segname ? segname : "(null)", size_to_create);
      errno = EINVAL;
      return NULL;
    }
  if (set_errno (rvm_map_segment (rvm, segname, (size_t) size_to_create,
                                  &base, NULL), saved) != 0)
    return NULL;
  return base;
}

void
rvm_unmap (rvm_t rvm, void *segbase)
{
  int saved = errno;

  set_errno (rvm_unmap_segment (rvm, segbase), saved);
}

void
rvm_destroy (rvm_t rvm, const char *segname)
{
  int saved = errno;

  set_errno (rvm_destroy_segment (rvm, segname), saved);
}

trans_t
rvm_begin_trans (rvm_t rvm, int numsegs, void **segbases)
{
  int saved = errno;
  trans_t tid;

  if (numsegs <= 0)
    {
      lrvm__error (0, RVM_EINVAL, "rvm_begin_trans: numsegs %d is not"
                   " positive", numsegs);
      errno = EINVAL;
      return (trans_t) -1;
    }
  if (set_errno (rvm_begin (rvm, (size_t) numsegs, segbases, 0, &tid),
                 saved) != 0)
    return (trans_t) -1;
  return tid;
}

void
rvm_about_to_modify (trans_t tid, void *segbase, int offset, int size)
{
  int saved = errno;

  if (offset < 0 || size <= 0)
    {
      lrvm__error (0, offset < 0 ? RVM_ERANGE : RVM_EINVAL,
                   "rvm_about_to_modify: transaction %d: %s %d", tid,
                   offset < 0 ? "negative offset" : "size not positive:",
                   offset < 0 ? offset : size);
      errno = offset < 0 ? ERANGE : EINVAL;
      return;
    }
  set_errno (rvm_modify (tid, segbase, (size_t) offset, (size_t) size),
             saved);
}

void
rvm_commit_trans (trans_t tid)
{
  int saved = errno;

  set_errno (rvm_commit (tid, 0), saved);
}

void
rvm_abort_trans (trans_t tid)
{
  int saved = errno;

  set_errno (rvm_abort (tid), saved);
}

void
rvm_truncate_log (rvm_t rvm)
{
  int saved = errno;

  set_errno (rvm_truncate (rvm), saved);
}

void
rvm_verbose (int enable_flag)
{
  lrvm__verbose_all = enable_flag != 0;
}
