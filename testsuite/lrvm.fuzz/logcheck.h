/* logcheck.h -- run the library's log parsers over an arbitrary log
   file image and check their invariants.  Shared by the libFuzzer
   target (fuzz-log.c) and the corpus replay test (replay.c).  */

#ifndef LRVM_LOGCHECK_H
#define LRVM_LOGCHECK_H 1

#include <stddef.h>
#include <stdint.h>

/* What the parsers made of an image, as it was given.  */
struct logcheck_result
{
  int slot[2];          /* lrvm__header_decode of each slot; 1: absent */
  int header;           /* lrvm__log_read_header: 0 or an RVM_E... code */
  long records;         /* records found from the header in force, or -1 */
  long entries;         /* entries in those records, or -1 */
  int torn;             /* the scan's torn flag, or -1 */
  uint64_t end;         /* the scan's end offset, or 0 */
  long stale;           /* stale records readable after recovery */
  char error[512];      /* the first broken invariant, or "" */
};

/* Flags of logcheck_run.  */
#define LOGCHECK_RECOVERY 1     /* also recover a store with the image */

/* Run the parsers over DATA[0..SIZE): both header slots, the choice of
   the header in force, the in-memory record walk and the file scan
   from every valid slot (through a memory file or an unlinked
   temporary file), then the same once more with every checksum made
   right, so that the checks reach past the CRCs.  The scan runs with
   its usual window and with one of WINDOW bytes (at least 32), or if
   WINDOW is 0, of 32 to 1055 bytes chosen by the image's checksum, so
   that the fuzzer tries windows of every size.  With
   LOGCHECK_RECOVERY in FLAGS, each image is also the log of a store
   opened in a scratch directory under TMPDIR, and recovery must apply
   exactly the entries the parsers found.  Fill *RES from the image as
   given and the usual window.  Returns 0 if every invariant held, -1
   if one did not (RES->error says which), -2 on a harness error (no
   temporary file; RES->error).  */
int logcheck_run (const unsigned char *data, size_t size, size_t window,
                  int flags, struct logcheck_result *res);

#endif
