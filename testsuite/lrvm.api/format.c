/* format.c -- the checksum and the record seal, against values computed
   here independently: CRC32C test vectors, both implementations (the
   processor's instruction where there is one, and the portable tables)
   at every alignment and length up to a few records, and a sealed
   record that checks, with the seal covering every byte but its own
   field; and the little-endian encoders, the ones the library was
   built with against the byte-by-byte ones.  */

#include <config.h>

#include "lrvm-internal.h"
#include "testlib.h"
#include "format-bytes.h"

#include <string.h>

/* CRC32C bit by bit, as the definition says.  */
static uint32_t
crc_bitwise (const unsigned char *p, size_t len)
{
  uint32_t c = 0xffffffffu;
  size_t i;
  int k;

  for (i = 0; i < len; i++)
    {
      c ^= p[i];
      for (k = 0; k < 8; k++)
        c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
  return ~c;
}

static void
test_vectors (void)
{
  unsigned char zeros[32], ones[32], inc[32];
  int i;

  memset (zeros, 0, sizeof zeros);
  memset (ones, 0xff, sizeof ones);
  for (i = 0; i < 32; i++)
    inc[i] = (unsigned char) i;
  /* RFC 3720, appendix B.4, and the classic check value.  */
  t_check (lrvm__crc32c (0, "123456789", 9) == 0xE3069283u,
           "format: crc32c (\"123456789\") = e3069283");
  t_check (lrvm__crc32c (0, zeros, 32) == 0x8A9136AAu
           && lrvm__crc32c (0, ones, 32) == 0x62A8AB43u
           && lrvm__crc32c (0, inc, 32) == 0x46DD794Eu,
           "format: crc32c of the RFC 3720 test vectors");
  t_check (lrvm__crc32c_portable (0, "123456789", 9) == 0xE3069283u
           && lrvm__crc32c_portable (0, inc, 32) == 0x46DD794Eu,
           "format: the portable crc32c gives the same vectors");
}

static void
test_lengths (void)
{
  static unsigned char buf[1100];
  uint64_t rng = t_seed ("format lengths");
  size_t off, len, bad = 0, split = 0;

  for (off = 0; off < sizeof buf; off++)
    buf[off] = (unsigned char) t_rand (&rng);
  for (off = 0; off < 8; off++)
    for (len = 0; len <= 1024; len++)
      {
        uint32_t want = crc_bitwise (buf + off, len);
        size_t cut = len / 3;
        if (lrvm__crc32c (0, buf + off, len) != want
            || lrvm__crc32c_portable (0, buf + off, len) != want)
          bad++;
        if (lrvm__crc32c (lrvm__crc32c (0, buf + off, cut), buf + off + cut,
                          len - cut) != want)
          split++;
      }
  t_note ("format: %zu crc32c values differ from the definition, %zu"
          " extended ones from the whole", bad, split);
  t_check (bad == 0, "format: both crc32c implementations agree with the"
           " definition at 8 alignments and lengths 0 to 1024");
  t_check (split == 0, "format: a crc32c extended over two pieces equals"
           " the crc32c of the whole");
}

/* A record of one entry: its checksum is CRC32C of the record with the
   checksum field zeroed; it checks; any changed byte outside the field
   makes it fail.  */
static void
test_seal (void)
{
  unsigned char rec[32 + 16 + 8 + 104], copy[sizeof rec];
  size_t len = sizeof rec, i, missed = 0;
  uint32_t want;

  memset (rec, 0, sizeof rec);
  lrvm_put32 (rec, LRVM_REC_MAGIC);
  lrvm_put16 (rec + 4, LRVM_FORMAT_MAJOR);
  lrvm_put32 (rec + 8, (uint32_t) len);
  lrvm_put64 (rec + 16, 77);
  lrvm_put32 (rec + 24, 5);
  lrvm_put32 (rec + 28, 1);
  lrvm_put16 (rec + 32, 3);
  lrvm_put32 (rec + 36, 100);
  lrvm_put64 (rec + 40, 4000);
  memcpy (rec + 48, "seg", 3);
  for (i = 0; i < 100; i++)
    rec[56 + i] = (unsigned char) (i * 7 + 1);
  memset (rec + 12, 0xa5, 4);     /* whatever the field held */
  lrvm__record_seal (rec, len);
  memcpy (copy, rec, len);
  memset (copy + 12, 0, 4);
  want = crc_bitwise (copy, len);
  t_note ("format: seal %08x, want %08x", (unsigned) lrvm_get32 (rec + 12),
          (unsigned) want);
  t_check (lrvm_get32 (rec + 12) == want, "format: the seal is the crc32c"
           " of the record with its field zeroed");
  t_check (lrvm__record_check (rec, len, 77, 5) == len,
           "format: a sealed record checks");
  for (i = 0; i < len; i++)
    {
      if (i >= 12 && i < 16)
        continue;
      memcpy (copy, rec, len);
      copy[i] ^= 0x10;
      lrvm__record_seal (copy, len);
      if (lrvm_get32 (copy + 12) == lrvm_get32 (rec + 12))
        missed++;
    }
  t_note ("format: %zu changed bytes leave the seal unchanged", missed);
  t_check (missed == 0, "format: the seal changes when any byte outside"
           " its field does");
}

/* The encoders: for values of every width, the library's (word stores
   on a little-endian processor) and format-bytes.c's (byte by byte)
   give the bytes of the definition, least significant first, and read
   them back.  */
static void
test_encoders (void)
{
  uint64_t rng = t_seed ("format encoders");
  size_t i, k, wrong = 0, mixed = 0, unread = 0;

  for (i = 0; i < 10000; i++)
    {
      unsigned char lib[15], bytes[15], want[15];
      uint64_t c = t_rand (&rng) >> (i % 64), c2, c3;
      uint32_t b = (uint32_t) t_rand (&rng), b2, b3;
      uint16_t a = (uint16_t) t_rand (&rng), a2, a3;

      for (k = 0; k < 2; k++)
        want[k] = (unsigned char) (a >> (8 * k));
      for (k = 0; k < 4; k++)
        want[2 + k] = (unsigned char) (b >> (8 * k));
      for (k = 0; k < 8; k++)
        want[6 + k] = (unsigned char) (c >> (8 * k));
      want[14] = lib[14] = bytes[14] = 0x5a;
      lrvm_put16 (lib, a);
      lrvm_put32 (lib + 2, b);
      lrvm_put64 (lib + 6, c);
      bytes_put (bytes, a, b, c);
      wrong += memcmp (lib, want, sizeof want) != 0;
      mixed += memcmp (bytes, want, sizeof want) != 0;
      a2 = lrvm_get16 (want);
      b2 = lrvm_get32 (want + 2);
      c2 = lrvm_get64 (want + 6);
      bytes_get (want, &a3, &b3, &c3);
      unread += a2 != a || b2 != b || c2 != c || a3 != a || b3 != b
                || c3 != c;
    }
  t_note ("format: %zu wrong, %zu wrong byte by byte, %zu misread",
          wrong, mixed, unread);
  t_check (wrong == 0, "format: the encoders store least significant"
           " byte first");
  t_check (mixed == 0, "format: byte-by-byte encoders store the same"
           " bytes");
  t_check (unread == 0, "format: both decoders read the values back");
}

int
main (int argc, char **argv)
{
  t_init (argc, argv);
  test_vectors ();
  test_lengths ();
  test_seal ();
  test_encoders ();
  return t_done ();
}
