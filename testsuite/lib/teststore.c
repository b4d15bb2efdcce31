/* teststore.c -- store set-up for the test programs (teststore.h).  In
   a file of its own, so that programs that never call the library do
   not need it to link.  */

#include <config.h>

#include "teststore.h"
#include "testlib.h"

rvm_t
t_open (const char *dir, const struct rvm_options *opt)
{
  rvm_t rvm;

  if (rvm_open (dir, opt, &rvm) != 0)
    t_bail ("cannot open %s: %s", dir, rvm_errmsg ());
  return rvm;
}

void *
t_map (rvm_t rvm, const char *name, size_t size)
{
  void *base;

  if (rvm_map_segment (rvm, name, size, &base, NULL) != 0)
    t_bail ("cannot map %s: %s", name, rvm_errmsg ());
  return base;
}
