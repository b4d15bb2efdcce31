/* format.h -- the on-disk format of the log: constants, layouts and
   little-endian encoders.  The manual's "On-disk format" chapter
   describes the same layout byte by byte; keep them in step.  */

#ifndef LRVM_FORMAT_H
#define LRVM_FORMAT_H 1

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Where the compiler tells that the processor is little-endian, the
   encoders below store and load whole words; elsewhere they go byte
   by byte.  Both give the same bytes (a test compiles both).  */
#ifndef LRVM_HOST_LE
# if defined __BYTE_ORDER__ && defined __ORDER_LITTLE_ENDIAN__ \
     && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#  define LRVM_HOST_LE 1
# else
#  define LRVM_HOST_LE 0
# endif
#endif

/* File names inside the store directory.  Segment names cannot start
   with '.', so these never clash with a segment.  */
#define LRVM_LOG_NAME ".lrvm-log"
#define LRVM_LOG_TMP_NAME ".lrvm-log.tmp"
#define LRVM_LOCK_NAME ".lrvm-lock"

/* Log file header: block 0, two 512-byte slots (one per sector).  */
#define LRVM_LOG_MAGIC 0x4d56524cu      /* bytes "LRVM" */
#define LRVM_FORMAT_MAJOR 1
#define LRVM_FORMAT_MINOR 0
#define LRVM_HDR_SLOT_SIZE 512
#define LRVM_HDR_SLOTS 2
#define LRVM_LOG_DATA_START 4096        /* first record offset */

/* Header slot layout (offsets in bytes):
     0  u32 magic             LRVM_LOG_MAGIC
     4  u16 major             LRVM_FORMAT_MAJOR
     6  u16 minor             LRVM_FORMAT_MINOR
     8  u32 incompat          incompatible feature flags (none: 0)
    12  u32 compat            compatible feature flags (none: 0)
    16  u64 generation        slot write counter; the larger valid wins
    24  u64 head_seq          sequence number of the first live record
    32  u64 head_off          offset of the first live record
    40  u32 epoch             epoch of the live records
    44  u32 reserved          0
    48..507                   reserved, 0
   508  u32 crc32c            over bytes 0..507  */
#define LRVM_HDR_CRC_OFF 508

struct lrvm_header
{
  uint16_t major, minor;
  uint32_t incompat, compat;
  uint64_t generation;
  uint64_t head_seq;
  uint64_t head_off;
  uint32_t epoch;
};

/* Record layout: a 32-byte header, then NENTRIES entries.
     0  u32 magic             LRVM_REC_MAGIC
     4  u16 version           LRVM_FORMAT_MAJOR
     6  u16 flags             0
     8  u32 length            whole record, multiple of 8
    12  u32 crc32c            over the record with this field zero
    16  u64 seq               head_seq + index of the record
    24  u32 epoch             the header's epoch when written
    28  u32 nentries          number of entries, at least 1
   Entry:
     0  u16 name_len          1..LRVM_NAME_MAX
     2  u16 reserved          0
     4  u32 data_len          bytes of new value, at least 1
     8  u64 offset            offset in the segment
    16  name, zero-padded to a multiple of 8
        data, zero-padded to a multiple of 8  */
#define LRVM_REC_MAGIC 0x5256524cu      /* bytes "LRVR" */
#define LRVM_REC_HDR_SIZE 32
#define LRVM_ENT_HDR_SIZE 16
#define LRVM_REC_MAX_LEN 0xfffffff8u    /* u32 length field */

#define LRVM_NAME_MAX 200

#define LRVM_PAD8(n) (((n) + 7) & ~(size_t) 7)

static inline void
lrvm_put16 (unsigned char *p, uint16_t v)
{
  if (LRVM_HOST_LE)
    memcpy (p, &v, 2);
  else
    {
      p[0] = (unsigned char) v;
      p[1] = (unsigned char) (v >> 8);
    }
}

static inline void
lrvm_put32 (unsigned char *p, uint32_t v)
{
  if (LRVM_HOST_LE)
    memcpy (p, &v, 4);
  else
    {
      p[0] = (unsigned char) v;
      p[1] = (unsigned char) (v >> 8);
      p[2] = (unsigned char) (v >> 16);
      p[3] = (unsigned char) (v >> 24);
    }
}

static inline void
lrvm_put64 (unsigned char *p, uint64_t v)
{
  if (LRVM_HOST_LE)
    memcpy (p, &v, 8);
  else
    {
      lrvm_put32 (p, (uint32_t) v);
      lrvm_put32 (p + 4, (uint32_t) (v >> 32));
    }
}

static inline uint16_t
lrvm_get16 (const unsigned char *p)
{
  uint16_t v;

  if (!LRVM_HOST_LE)
    return (uint16_t) (p[0] | (p[1] << 8));
  memcpy (&v, p, 2);
  return v;
}

static inline uint32_t
lrvm_get32 (const unsigned char *p)
{
  uint32_t v;

  if (!LRVM_HOST_LE)
    return (uint32_t) p[0] | ((uint32_t) p[1] << 8)
           | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
  memcpy (&v, p, 4);
  return v;
}

static inline uint64_t
lrvm_get64 (const unsigned char *p)
{
  uint64_t v;

  if (!LRVM_HOST_LE)
    return (uint64_t) lrvm_get32 (p) | ((uint64_t) lrvm_get32 (p + 4) << 32);
  memcpy (&v, p, 8);
  return v;
}

/* CRC32C (Castagnoli), as used by iSCSI and ext4: crc32c.c.  */
uint32_t lrvm__crc32c (uint32_t crc, const void *buf, size_t len);
uint32_t lrvm__crc32c_portable (uint32_t crc, const void *buf, size_t len);

/* Header slots: encode into a 512-byte slot; decode returns 0, or -1 if
   the slot does not check (magic, crc), or -2 for a format this version
   cannot read.  */
void lrvm__header_encode (unsigned char *slot, const struct lrvm_header *h);
int lrvm__header_decode (const unsigned char *slot, struct lrvm_header *h);

/* A decoded log record, pointing into the caller's buffer.  */
struct lrvm_entry
{
  const char *name;
  size_t name_len;
  uint64_t offset;
  const unsigned char *data;
  size_t data_len;
};

/* Check the record at P (AVAIL bytes readable) for sequence number SEQ
   and epoch EPOCH.  Returns its length (> 0) if it is valid, 0 if it
   is not (the end of the log).  Never reads outside P[0..AVAIL).  */
size_t lrvm__record_check (const unsigned char *p, size_t avail,
                           uint64_t seq, uint32_t epoch);
/* Store the checksum of the encoded record P[0..LEN).  */
void lrvm__record_seal (unsigned char *p, size_t len);
/* Iterate over the entries of a record that lrvm__record_check
   accepted: *POS starts at 0; returns 1 and fills E while entries
   remain, 0 at the end.  */
int lrvm__record_next (const unsigned char *rec, size_t *pos,
                       struct lrvm_entry *e);
/* Nonzero if NAME[0..LEN) is a valid segment name.  */
int lrvm__name_ok (const char *name, size_t len);

#endif /* LRVM_FORMAT_H */
