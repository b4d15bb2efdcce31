/* format.c -- encoding and validation of the log's header slots and
   records.  The parsers take only a buffer and its length, so they can
   be tested and fuzzed apart from any file.  */

#include "lrvm-internal.h"

#include <string.h>

/* Nonzero if NAME[0..LEN) is a valid segment name: 1 to LRVM_NAME_MAX
   bytes of [A-Za-z0-9._-], not starting with '.'.  Such a name cannot
   contain '/', cannot be "." or "..", and cannot name the log.  */
int
lrvm__name_ok (const char *name, size_t len)
{
  size_t i;

  if (name == NULL || len == 0 || len > LRVM_NAME_MAX || name[0] == '.')
    return 0;
  for (i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char) name[i];
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
        return 0;
    }
  return 1;
}

void
lrvm__header_encode (unsigned char *slot, const struct lrvm_header *h)
{
  memset (slot, 0, LRVM_HDR_SLOT_SIZE);
  lrvm_put32 (slot + 0, LRVM_LOG_MAGIC);
  lrvm_put16 (slot + 4, h->major);
  lrvm_put16 (slot + 6, h->minor);
  lrvm_put32 (slot + 8, h->incompat);
  lrvm_put32 (slot + 12, h->compat);
  lrvm_put64 (slot + 16, h->generation);
  lrvm_put64 (slot + 24, h->head_seq);
  lrvm_put64 (slot + 32, h->head_off);
  lrvm_put32 (slot + 40, h->epoch);
  lrvm_put32 (slot + LRVM_HDR_CRC_OFF,
              lrvm__crc32c (0, slot, LRVM_HDR_CRC_OFF));
}

/* Decode a slot: 0 if valid, -1 if it does not check, -2 if it is a
   valid slot of a format this version cannot read.  */
int
lrvm__header_decode (const unsigned char *slot, struct lrvm_header *h)
{
  if (lrvm_get32 (slot) != LRVM_LOG_MAGIC
      || lrvm_get32 (slot + LRVM_HDR_CRC_OFF)
         != lrvm__crc32c (0, slot, LRVM_HDR_CRC_OFF))
    return -1;
  h->major = lrvm_get16 (slot + 4);
  h->minor = lrvm_get16 (slot + 6);
  h->incompat = lrvm_get32 (slot + 8);
  h->compat = lrvm_get32 (slot + 12);
  h->generation = lrvm_get64 (slot + 16);
  h->head_seq = lrvm_get64 (slot + 24);
  h->head_off = lrvm_get64 (slot + 32);
  h->epoch = lrvm_get32 (slot + 40);
  if (h->major != LRVM_FORMAT_MAJOR || h->incompat != 0)
    return -2;
  if (h->head_off < LRVM_LOG_DATA_START || h->head_off % 8 != 0)
    return -1;
  return 0;
}

static uint32_t
record_crc (const unsigned char *p, size_t len)
{
  /* The first 16 bytes with the checksum field zeroed, in an aligned
     copy, so that both calls run on whole 8-byte words.  */
  uint64_t head[2];

  memcpy (head, p, 12);
  memset ((unsigned char *) head + 12, 0, 4);
  return lrvm__crc32c (lrvm__crc32c (0, head, 16), p + 16, len - 16);
}

/* Seal an encoded record: store its checksum, computed (in one pass,
   as commits need it fast) with the field zero, as record_crc does.  */
void
lrvm__record_seal (unsigned char *p, size_t len)
{
  lrvm_put32 (p + 12, 0);
  lrvm_put32 (p + 12, lrvm__crc32c (0, p, len));
}

size_t
lrvm__record_check (const unsigned char *p, size_t avail, uint64_t seq,
                    uint32_t epoch)
{
  size_t len, pos;
  uint32_t n, i;

  if (avail < LRVM_REC_HDR_SIZE || lrvm_get32 (p) != LRVM_REC_MAGIC
      || lrvm_get16 (p + 4) != LRVM_FORMAT_MAJOR || lrvm_get16 (p + 6) != 0)
    return 0;
  len = lrvm_get32 (p + 8);
  if (len < LRVM_REC_HDR_SIZE + LRVM_ENT_HDR_SIZE + 16 || len % 8 != 0
      || len > avail)
    return 0;
  if (lrvm_get64 (p + 16) != seq || lrvm_get32 (p + 24) != epoch)
    return 0;
  n = lrvm_get32 (p + 28);
  if (n == 0)
    return 0;
  pos = LRVM_REC_HDR_SIZE;
  for (i = 0; i < n; i++)
    {
      size_t nl, dl;
      uint64_t off;

      if (len - pos < LRVM_ENT_HDR_SIZE)
        return 0;
      nl = lrvm_get16 (p + pos);
      dl = lrvm_get32 (p + pos + 4);
      off = lrvm_get64 (p + pos + 8);
      if (lrvm_get16 (p + pos + 2) != 0 || dl == 0
          || off > ((uint64_t) 1 << 62) - dl)
        return 0;
      pos += LRVM_ENT_HDR_SIZE;
      if (nl > len - pos || LRVM_PAD8 (nl) > len - pos
          || !lrvm__name_ok ((const char *) p + pos, nl))
        return 0;
      pos += LRVM_PAD8 (nl);
      if (LRVM_PAD8 (dl) > len - pos)
        return 0;
      pos += LRVM_PAD8 (dl);
    }
  if (pos != len || lrvm_get32 (p + 12) != record_crc (p, len))
    return 0;
  return len;
}

int
lrvm__record_next (const unsigned char *rec, size_t *pos,
                   struct lrvm_entry *e)
{
  size_t len = lrvm_get32 (rec + 8);
  size_t p = *pos ? *pos : LRVM_REC_HDR_SIZE;

  if (p >= len)
    return 0;
  e->name_len = lrvm_get16 (rec + p);
  e->data_len = lrvm_get32 (rec + p + 4);
  e->offset = lrvm_get64 (rec + p + 8);
  p += LRVM_ENT_HDR_SIZE;
  e->name = (const char *) rec + p;
  p += LRVM_PAD8 (e->name_len);
  e->data = rec + p;
  p += LRVM_PAD8 (e->data_len);
  *pos = p;
  return 1;
}
