/* fuzz-log.c -- the libFuzzer target for the log parsers: each input
   is a log file image (header slots, then records from offset 4096),
   run through logcheck; a broken invariant aborts, and so does any
   report of AddressSanitizer or UndefinedBehaviorSanitizer.  */

#include <config.h>

#include "logcheck.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct logcheck_result res;

  if (logcheck_run (data, size, 0, &res) != 0)
    {
      fprintf (stderr, "fuzz-log: %s\n", res.error);
      abort ();
    }
  return 0;
}
