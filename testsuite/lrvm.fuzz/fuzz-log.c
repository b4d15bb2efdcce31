/* fuzz-log.c -- the libFuzzer target for the log parsers: each input
   is a log file image (header slots, then records from offset 4096),
   run through logcheck; a broken invariant aborts, and so does any
   report of AddressSanitizer or UndefinedBehaviorSanitizer.  With
   LRVM_FUZZ_RECOVERY=1 in the environment, each image is also
   recovered as the log of a store (slower: files are made each
   time).  */

#include <config.h>

#include "logcheck.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int flags;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  const char *e = getenv ("LRVM_FUZZ_RECOVERY");

  (void) argc;
  (void) argv;
  if (e != NULL && *e != '\0' && strcmp (e, "0") != 0)
    flags |= LOGCHECK_RECOVERY;
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct logcheck_result res;

  if (logcheck_run (data, size, 0, flags, &res) != 0)
    {
      fprintf (stderr, "fuzz-log: %s\n", res.error);
      abort ();
    }
  return 0;
}
