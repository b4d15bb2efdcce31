/* format-bytes.c -- the encoders of format.h compiled byte by byte, as
   on a processor that is not little-endian, for format.c to compare
   with the encoders the library was built with.  */

#include <config.h>

#define LRVM_HOST_LE 0
#include "format.h"

#include "format-bytes.h"

void
bytes_put (unsigned char *p, uint16_t a, uint32_t b, uint64_t c)
{
  lrvm_put16 (p, a);
  lrvm_put32 (p + 2, b);
  lrvm_put64 (p + 6, c);
}

void
bytes_get (const unsigned char *p, uint16_t *a, uint32_t *b, uint64_t *c)
{
  *a = lrvm_get16 (p);
  *b = lrvm_get32 (p + 2);
  *c = lrvm_get64 (p + 6);
}
