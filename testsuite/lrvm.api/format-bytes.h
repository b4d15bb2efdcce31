/* format-bytes.h -- format.h's encoders, byte by byte (format-bytes.c):
   a 16-, a 32- and a 64-bit value at P, P + 2 and P + 6.  */

#ifndef FORMAT_BYTES_H
#define FORMAT_BYTES_H 1

#include <stdint.h>

void bytes_put (unsigned char *p, uint16_t a, uint32_t b, uint64_t c);
void bytes_get (const unsigned char *p, uint16_t *a, uint32_t *b,
                uint64_t *c);

#endif
