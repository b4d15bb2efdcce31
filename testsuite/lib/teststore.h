/* teststore.h -- helpers of the test programs that set up stores
   through the full API: each ends the test with t_bail, saying why,
   if the library refuses.  */

#ifndef LRVM_TESTSTORE_H
#define LRVM_TESTSTORE_H 1

#include <stddef.h>

#include <lrvm.h>

/* Open the store in DIR with OPT (NULL: the defaults).  */
rvm_t t_open (const char *dir, const struct rvm_options *opt);

/* Map segment NAME of RVM, SIZE bytes; its base.  */
void *t_map (rvm_t rvm, const char *name, size_t size);

#endif
