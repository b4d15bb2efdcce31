/* crc32c.c -- CRC32C (Castagnoli polynomial 0x82F63B78, reflected),
   the checksum of every header slot and log record.  Portable
   slicing-by-8 tables, and the SSE4.2 crc32 instruction where the
   compiler can emit it and the processor has it (checked at run
   time); both give the same result.  */

#include "lrvm-internal.h"

#include <string.h>

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void
make_table (void)
{
  uint32_t i, j, c;

  for (i = 0; i < 256; i++)
    {
      c = i;
      for (j = 0; j < 8; j++)
        c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      table[0][i] = c;
    }
  for (i = 0; i < 256; i++)
    for (j = 1; j < 8; j++)
      table[j][i] = (table[j - 1][i] >> 8) ^ table[0][table[j - 1][i] & 0xff];
}

static uint32_t
crc32c_table (uint32_t crc, const unsigned char *p, size_t len)
{
  crc = ~crc;
  while (len > 0 && ((uintptr_t) p & 7) != 0)
    {
      crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
      len--;
    }
  while (len >= 8)
    {
      uint32_t lo = crc ^ ((uint32_t) p[0] | (uint32_t) p[1] << 8
                           | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24);
      crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff]
            ^ table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24]
            ^ table[3][p[4]] ^ table[2][p[5]] ^ table[1][p[6]]
            ^ table[0][p[7]];
      p += 8;
      len -= 8;
    }
  while (len-- > 0)
    crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
  return ~crc;
}

#if defined __x86_64__ && defined __GNUC__ \
    && (__GNUC__ >= 5 || defined __clang__)
# define LRVM_CRC_HW 1
__attribute__ ((__target__ ("sse4.2")))
static uint32_t
crc32c_sse42 (uint32_t crc, const unsigned char *p, size_t len)
{
  uint64_t c = ~crc;

  while (len > 0 && ((uintptr_t) p & 7) != 0)
    {
      c = __builtin_ia32_crc32qi ((uint32_t) c, *p++);
      len--;
    }
  while (len >= 8)
    {
      uint64_t w;
      memcpy (&w, p, 8);
      c = __builtin_ia32_crc32di (c, w);
      p += 8;
      len -= 8;
    }
  while (len-- > 0)
    c = __builtin_ia32_crc32qi ((uint32_t) c, *p++);
  return ~(uint32_t) c;
}
#endif

static uint32_t (*crc_fn) (uint32_t, const unsigned char *, size_t);

static void
choose (void)
{
  make_table ();
  crc_fn = crc32c_table;
#ifdef LRVM_CRC_HW
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("sse4.2"))
    crc_fn = crc32c_sse42;
#endif
}

/* Extend CRC (0 to start) over BUF[0..LEN).  */
uint32_t
lrvm__crc32c (uint32_t crc, const void *buf, size_t len)
{
  pthread_once (&table_once, choose);
  return crc_fn (crc, buf, len);
}

/* The portable version, for the test that both agree.  */
uint32_t
lrvm__crc32c_portable (uint32_t crc, const void *buf, size_t len)
{
  pthread_once (&table_once, choose);
  return crc32c_table (crc, buf, len);
}
