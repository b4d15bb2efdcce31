/* memtrunc.c -- truncation writes a mapped segment's file from its
   memory, only the 4 KiB blocks that committed records changed, and
   takes from the log every segment whose memory it cannot trust: one
   in an active transaction, one unmapped, one that a failed no-restore
   commit left changed.  After no-flush commits it writes a checkpoint
   of the changed blocks instead of flushing the log.  Each case reads the segment files back and
   checks the counters rvm_stats gives for the two ways.  */

#include <config.h>

#include "lrvm-internal.h"
#include "testlib.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Not a multiple of the block: the last block is partial.  */
#define SEGSIZE 70000
#define BLOCK 4096

static char *dir;

static void
ok (int r, const char *what)
{
  if (r != 0)
    t_bail ("%s: %s", what, rvm_strerror (r));
}

/* Nonzero if the whole file DIR/NAME equals MEM[0..LEN).  */
static int
file_is (const char *name, const void *mem, size_t len)
{
  return t_file_holds (dir, name, 0, mem, len)
         && t_file_size (dir, name) == (long long) len;
}

static struct rvm_statistics
stats (rvm_t rvm)
{
  struct rvm_statistics st;
  ok (rvm_stats (rvm, &st, sizeof st), "rvm_stats");
  return st;
}

/* Commit LEN bytes of VAL at OFF of segment BASE, no-flush.  */
static void
put (rvm_t rvm, void *base, size_t off, size_t len, int val)
{
  trans_t tid;

  ok (rvm_begin (rvm, 1, &base, 0, &tid), "rvm_begin");
  ok (rvm_modify (tid, base, off, len), "rvm_modify");
  memset ((char *) base + off, val, len);
  ok (rvm_commit (tid, RVM_NO_FLUSH), "rvm_commit");
}

static rvm_t
open_store (void)
{
  rvm_t rvm;
  ok (rvm_open (dir, NULL, &rvm), "rvm_open");
  return rvm;
}

/* Blocks a truncation writes from memory, and which.  */
static void
test_blocks (void)
{
  rvm_t rvm = open_store ();
  struct rvm_statistics a, b;
  void *base;
  size_t want;

  ok (rvm_map_segment (rvm, "blocks", SEGSIZE, &base, NULL), "rvm_map");
  a = stats (rvm);
  put (rvm, base, 10, 20, 0x11);                /* block 0 */
  put (rvm, base, 100, 20, 0x12);               /* block 0 again */
  put (rvm, base, 3 * BLOCK - 5, 10, 0x13);     /* blocks 2 and 3 */
  put (rvm, base, 9 * BLOCK, 2 * BLOCK, 0x14);  /* blocks 9 and 10 */
  put (rvm, base, SEGSIZE - 7, 7, 0x15);        /* the partial block 17 */
  want = 1 + 2 + 2 + 1;
  ok (rvm_truncate (rvm), "rvm_truncate");
  b = stats (rvm);
  t_note ("blocks written from memory: %llu, want %zu",
          (unsigned long long) (b.truncated_blocks - a.truncated_blocks),
          want);
  t_check (b.truncated_blocks - a.truncated_blocks == want,
           "blocks written from memory");
  t_check (b.truncated_records == a.truncated_records,
           "no record applied from the log when every segment"
           " is mapped and idle");
  t_check (file_is ("blocks", base, SEGSIZE),
           "the file equals memory, the partial last block"
           " without growing the file");

  /* A second truncation with nothing new writes nothing; new changes
     write only their blocks.  */
  ok (rvm_truncate (rvm), "rvm_truncate");
  put (rvm, base, 5 * BLOCK + 1, 1, 0x16);
  a = b;
  ok (rvm_truncate (rvm), "rvm_truncate");
  b = stats (rvm);
  t_note ("blocks written by the second truncation: %llu, want 1",
          (unsigned long long) (b.truncated_blocks - a.truncated_blocks));
  t_check (b.truncated_blocks - a.truncated_blocks == 1,
           "only blocks changed since the last truncation are written");
  t_check (file_is ("blocks", base, SEGSIZE),
           "the file equals memory after the second change");
  ok (rvm_close (rvm), "rvm_close");
}

/* A segment in an active transaction: its committed bytes reach the
   file through the log, its uncommitted ones never; an idle segment
   beside it is written from memory.  */
static void
test_active (void)
{
  rvm_t rvm = open_store ();
  struct rvm_statistics a, b;
  unsigned char v1[50], v2[50], zero[50];
  void *busy, *idle;
  trans_t tid;

  memset (v1, 0x21, sizeof v1);
  memset (v2, 0x22, sizeof v2);
  memset (zero, 0, sizeof zero);
  ok (rvm_map_segment (rvm, "busy", SEGSIZE, &busy, NULL), "rvm_map");
  ok (rvm_map_segment (rvm, "idle", SEGSIZE, &idle, NULL), "rvm_map");
  put (rvm, busy, 1000, 50, 0x21);
  put (rvm, idle, 2000, 50, 0x23);
  ok (rvm_begin (rvm, 1, &busy, 0, &tid), "rvm_begin");
  ok (rvm_modify (tid, busy, 1000, 50), "rvm_modify");
  ok (rvm_modify (tid, busy, 30000, 50), "rvm_modify");
  memset ((char *) busy + 1000, 0x22, 50);
  memset ((char *) busy + 30000, 0x22, 50);
  a = stats (rvm);
  ok (rvm_truncate (rvm), "rvm_truncate");
  b = stats (rvm);
  t_check (t_file_holds (dir, "busy", 1000, v1, 50)
           && t_file_holds (dir, "busy", 30000, zero, 50),
           "a segment in a transaction gets its committed bytes,"
           " not its uncommitted ones");
  t_check (file_is ("idle", idle, SEGSIZE),
           "the idle segment beside it equals its memory");
  t_note ("busy and idle segments: %llu records from the log, %llu"
          " blocks from memory, want 1 and 1",
          (unsigned long long) (b.truncated_records - a.truncated_records),
          (unsigned long long) (b.truncated_blocks - a.truncated_blocks));
  t_check (b.truncated_records - a.truncated_records == 1
           && b.truncated_blocks - a.truncated_blocks == 1,
           "the busy segment's record came from the log, the idle"
           " segment's block from memory");

  /* Commit it now: the next truncation writes it from memory, and
     both of its blocks' worth of changes land.  */
  ok (rvm_commit (tid, RVM_NO_FLUSH), "rvm_commit");
  ok (rvm_truncate (rvm), "rvm_truncate");
  t_check (t_file_holds (dir, "busy", 1000, v2, 50)
           && t_file_holds (dir, "busy", 30000, v2, 50)
           && file_is ("busy", busy, SEGSIZE),
           "once committed, the transaction's bytes reach the"
           " file");

  /* Abort instead: memory goes back, and the file keeps what it had. */
  ok (rvm_begin (rvm, 1, &busy, 0, &tid), "rvm_begin");
  ok (rvm_modify (tid, busy, 1000, 50), "rvm_modify");
  memset ((char *) busy + 1000, 0x24, 50);
  ok (rvm_truncate (rvm), "rvm_truncate");
  ok (rvm_abort (tid), "rvm_abort");
  ok (rvm_truncate (rvm), "rvm_truncate");
  t_check (t_file_holds (dir, "busy", 1000, v2, 50)
           && file_is ("busy", busy, SEGSIZE),
           "an aborted transaction's bytes never reach the file");
  ok (rvm_close (rvm), "rvm_close");
}

/* A segment unmapped with records in the log gets them from the log.  */
static void
test_unmapped (void)
{
  rvm_t rvm = open_store ();
  struct rvm_statistics a, b;
  unsigned char copy[SEGSIZE];
  void *gone, *kept;

  ok (rvm_map_segment (rvm, "gone", SEGSIZE, &gone, NULL), "rvm_map");
  ok (rvm_map_segment (rvm, "kept", SEGSIZE, &kept, NULL), "rvm_map");
  put (rvm, gone, 40000, 300, 0x31);
  put (rvm, kept, 40000, 300, 0x32);
  memcpy (copy, gone, SEGSIZE);
  ok (rvm_unmap_segment (rvm, gone), "rvm_unmap");
  a = stats (rvm);
  ok (rvm_truncate (rvm), "rvm_truncate");
  b = stats (rvm);
  t_check (file_is ("gone", copy, SEGSIZE) && file_is ("kept", kept, SEGSIZE),
           "an unmapped segment's records reach its file");
  t_check (b.truncated_records - a.truncated_records == 1
           && b.truncated_blocks - a.truncated_blocks == 1,
           "from the log for the unmapped segment, from memory"
           " for the mapped one");
  ok (rvm_close (rvm), "rvm_close");
}

/* A no-restore transaction whose commit is refused before its record
   reaches the log leaves its bytes in memory: from then on truncation
   takes that segment from the log, and the refused bytes stay out of
   the file.  The refusal needs a record over 4 GiB, so a sparse
   segment a little larger.  */
static void
test_diverged (void)
{
  rvm_t rvm;
  struct rvm_statistics a, b;
  unsigned char v[64], zero[64];
  size_t size;
  void *base;
  trans_t tid;
  int r;

  if (sizeof (size_t) < 8)
    {
      t_unsupported ("a refused no-restore commit (needs a"
                     " 64-bit size_t)");
      return;
    }
  size = (size_t) 0x110000000ull;
  rvm = open_store ();
  r = rvm_map_segment (rvm, "sparse", size, &base, NULL);
  if (r != 0)
    {
      t_note ("mapping 4.25 GiB: %s", rvm_strerror (r));
      t_unsupported ("a refused no-restore commit (cannot map"
                     " 4.25 GiB)");
      ok (rvm_close (rvm), "rvm_close");
      return;
    }
  memset (v, 0x41, sizeof v);
  memset (zero, 0, sizeof zero);
  ok (rvm_begin (rvm, 1, &base, RVM_NO_RESTORE, &tid), "rvm_begin");
  ok (rvm_modify (tid, base, 0, size), "rvm_modify");
  /* In the block the next commit changes.  */
  memset ((char *) base + 300, 0x42, 64);
  r = rvm_commit (tid, RVM_NO_FLUSH);
  t_note ("a record over 4 GiB: %s", rvm_strerror (r));
  t_check (r == RVM_ERANGE, "a record over 4 GiB is refused");
  put (rvm, base, 100, 64, 0x41);
  a = stats (rvm);
  ok (rvm_truncate (rvm), "rvm_truncate");
  b = stats (rvm);
  t_check (t_file_holds (dir, "sparse", 100, v, 64)
           && t_file_holds (dir, "sparse", 300, zero, 64),
           "after a refused no-restore commit, the committed bytes"
           " reach the file and the refused ones do not");
  t_check (b.truncated_records - a.truncated_records == 1
           && b.truncated_blocks == a.truncated_blocks,
           "that segment is taken from the log");
  ok (rvm_unmap_segment (rvm, base), "rvm_unmap");
  ok (rvm_destroy_segment (rvm, "sparse"), "rvm_destroy");
  ok (rvm_close (rvm), "rvm_close");
}

/* A checkpoint replaces the flush of the log when the log holds more
   unflushed bytes than the changed blocks take; a durable commit just
   before makes the flush the cheaper way.  Either way the files equal
   memory, and a fresh handle finds them so.  */
static void
test_checkpoint (void)
{
  rvm_t rvm = open_store ();
  struct rvm_statistics a, b;
  unsigned char copy[SEGSIZE];
  void *base;
  trans_t tid;
  int i;

  ok (rvm_map_segment (rvm, "ckpt", SEGSIZE, &base, NULL), "rvm_map");
  for (i = 0; i < 400; i++)
    put (rvm, base, (size_t) (i * 37) % 2000, 200, i & 0xff);
  a = stats (rvm);
  ok (rvm_truncate (rvm), "rvm_truncate");
  b = stats (rvm);
  t_note ("400 no-flush commits to one block: %llu checkpoints, %llu"
          " blocks, want %d and 1",
          (unsigned long long) (b.checkpoints - a.checkpoints),
          (unsigned long long) (b.truncated_blocks - a.truncated_blocks),
          T_CHECKPOINTS);
  t_check (b.checkpoints - a.checkpoints == T_CHECKPOINTS
           && b.truncated_blocks - a.truncated_blocks == 1, "%s",
           T_CHECKPOINTS ? "400 no-flush commits to one block are"
                           " truncated by a checkpoint of that block"
                         : "400 no-flush commits to one block: without"
                           " checkpoints in this build, the log is"
                           " flushed and that block written");
  t_check (file_is ("ckpt", base, SEGSIZE), "%s",
           T_CHECKPOINTS ? "after a checkpoint the file equals memory"
                         : "after that truncation the file equals memory");

  for (i = 0; i < 400; i++)
    put (rvm, base, (size_t) (i * 37) % 2000, 200, (i + 7) & 0xff);
  ok (rvm_begin (rvm, 1, &base, 0, &tid), "rvm_begin");
  ok (rvm_modify (tid, base, 60000, 10), "rvm_modify");
  memset ((char *) base + 60000, 0x5a, 10);
  ok (rvm_commit (tid, 0), "rvm_commit");
  a = b;
  ok (rvm_truncate (rvm), "rvm_truncate");
  b = stats (rvm);
  t_note ("after a durable commit: %llu checkpoints, %llu blocks, want"
          " 0 and 2", (unsigned long long) (b.checkpoints - a.checkpoints),
          (unsigned long long) (b.truncated_blocks - a.truncated_blocks));
  t_check (b.checkpoints == a.checkpoints
           && b.truncated_blocks - a.truncated_blocks == 2,
           "after a durable commit the log is flushed instead");
  memcpy (copy, base, SEGSIZE);
  ok (rvm_close (rvm), "rvm_close");
  t_check (file_is ("ckpt", copy, SEGSIZE),
           "after the flushed truncation the file equals memory");
  rvm = open_store ();
  ok (rvm_map_segment (rvm, "ckpt", SEGSIZE, &base, NULL), "rvm_map");
  t_check (memcmp (base, copy, SEGSIZE) == 0,
           "a new handle maps what the truncations wrote");
  ok (rvm_close (rvm), "rvm_close");
}

/* The writer of test_lost_slot: no-flush commits, a truncation by
   checkpoint, then *ARG commits of 600 bytes and one durable commit of
   a marker; it dies without closing.  Exit status 3 if the truncation
   was not a checkpoint.  */
static int
lost_slot_writer (void *arg)
{
  int more = *(int *) arg;
  rvm_t rvm;
  struct rvm_statistics st;
  void *base;
  trans_t tid;
  int i;

  (void) arg;
  ok (rvm_open (dir, NULL, &rvm), "rvm_open");
  ok (rvm_map_segment (rvm, "lost", SEGSIZE, &base, NULL), "rvm_map");
  for (i = 0; i < 400; i++)
    put (rvm, base, (size_t) (i * 37) % 2000, 200, i & 0xff);
  ok (rvm_truncate (rvm), "rvm_truncate");
  st = stats (rvm);
  for (i = 0; i < more; i++)
    put (rvm, base, 10000 + (size_t) (i % 50) * 600, 600, 0x60 + i % 50);
  ok (rvm_begin (rvm, 1, &base, 0, &tid), "rvm_begin");
  ok (rvm_modify (tid, base, 50000, 6), "rvm_modify");
  memcpy ((char *) base + 50000, "MARKER", 6);
  ok (rvm_commit (tid, 0), "rvm_commit");
  _exit (st.checkpoints == 1 ? 0 : 3);
}

/* After a truncation by checkpoint, the older header slot holds the
   checkpoint's header, whose log starts after the old records.  If the
   newest slot is then damaged, recovery must still find the records of
   the log that truncation started, at the start of the data, whether
   or not that log has grown over the checkpoint (MORE commits of 600
   bytes after it; 250 pass it).  */
static void
test_lost_slot (int more)
{
  unsigned char slots[2 * LRVM_HDR_SLOT_SIZE], want[SEGSIZE];
  struct lrvm_header h[2];
  char path[4096], how[64];
  int fd, st, k, newest = -1, i;
  void *base;
  rvm_t rvm;
  pid_t pid;

  if (!T_CHECKPOINTS)
    {
      t_unsupported ("lost slot, %d more: no checkpoints in this build"
                     " (no write is durable alone)", more);
      return;
    }
  t_rmdir (dir);
  if (mkdir (dir, 0700) != 0)
    t_bail ("cannot make %s", dir);
  pid = t_fork (lost_slot_writer, &more);
  t_wait (pid, &st, how, sizeof how);
  t_note ("lost slot, %d more: the writer ended with %s", more, how);
  t_check (WIFEXITED (st) && WEXITSTATUS (st) == 0, "lost slot, %d more:"
           " the writer truncated by checkpoint and committed", more);
  snprintf (path, sizeof path, "%s/.lrvm-log", dir);
  fd = open (path, O_RDWR);
  if (fd < 0 || pread (fd, slots, sizeof slots, 0) != (ssize_t) sizeof slots)
    t_bail ("cannot read %s", path);
  for (k = 0; k < 2; k++)
    if (lrvm__header_decode (slots + k * LRVM_HDR_SLOT_SIZE, &h[k]) == 0
        && (newest < 0 || h[k].generation > h[newest].generation))
      newest = k;
  t_check (newest >= 0 && h[1 - newest].head_off != LRVM_LOG_DATA_START
           && h[newest].head_off == LRVM_LOG_DATA_START,
           "lost slot, %d more: the older slot holds the"
           " checkpoint's header, the newest an empty log at the start of"
           " the data", more);
  if (newest < 0)
    t_bail ("no header slot decodes");
  slots[newest * LRVM_HDR_SLOT_SIZE + 40] ^= 0x5a;
  if (pwrite (fd, slots, sizeof slots, 0) != (ssize_t) sizeof slots)
    t_bail ("cannot write %s", path);
  close (fd);

  memset (want, 0, sizeof want);
  for (i = 0; i < 400; i++)
    memset (want + (i * 37) % 2000, i & 0xff, 200);
  for (i = 0; i < more; i++)
    memset (want + 10000 + (i % 50) * 600, 0x60 + i % 50, 600);
  memcpy (want + 50000, "MARKER", 6);
  rvm = open_store ();
  ok (rvm_map_segment (rvm, "lost", SEGSIZE, &base, NULL), "rvm_map");
  t_check (memcmp (base, want, SEGSIZE) == 0,
           "lost slot, %d more: recovery finds the checkpoint's"
           " state and every commit after it", more);
  ok (rvm_close (rvm), "rvm_close");
  t_check (file_is ("lost", want, SEGSIZE),
           "lost slot, %d more: the segment file holds them too",
           more);
}

/* Automatic truncation takes the same way: a small threshold (but more
   than the segment's size, so that checkpoints are the cheaper way),
   many commits, and the file equals memory at the end.  */
static void
test_automatic (void)
{
  struct rvm_options o;
  struct rvm_statistics st;
  uint64_t rng = t_seed ("memtrunc automatic");
  rvm_t rvm;
  void *base;
  int i;

  rvm_options_init (&o);
  o.truncate_threshold = 256 << 10;
  ok (rvm_open (dir, &o, &rvm), "rvm_open");
  ok (rvm_map_segment (rvm, "auto", SEGSIZE, &base, NULL), "rvm_map");
  for (i = 0; i < 10000; i++)
    {
      uint64_t x = t_rand (&rng);
      size_t len = 1 + (size_t) (x % 300);
      put (rvm, base, (size_t) ((x >> 16) % (SEGSIZE - len)), len,
           (int) (x >> 56));
    }
  st = stats (rvm);
  t_note ("automatic truncations: %llu, by checkpoint: %llu",
          (unsigned long long) st.truncations,
          (unsigned long long) st.checkpoints);
  t_check (st.truncations >= 5 && st.truncated_blocks > 0
           && st.truncated_records == 0
           && st.checkpoints == (T_CHECKPOINTS ? st.truncations : 0), "%s",
           T_CHECKPOINTS ? "automatic truncations write from memory, by"
                           " checkpoints"
                         : "automatic truncations write from memory,"
                           " without checkpoints in this build");
  ok (rvm_truncate (rvm), "rvm_truncate");
  t_check (file_is ("auto", base, SEGSIZE),
           "after automatic truncations the file equals memory");
  ok (rvm_close (rvm), "rvm_close");
}

int
main (int argc, char **argv)
{
  t_init (argc, argv);
  dir = t_tmpdir ("memtrunc");
  test_blocks ();
  test_active ();
  test_unmapped ();
  test_diverged ();
  test_checkpoint ();
  test_lost_slot (0);
  test_lost_slot (300);
  test_automatic ();
  t_rmdir (dir);
  return t_done ();
}
