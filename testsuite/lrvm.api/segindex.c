/* segindex.c -- finding segments by address and by name while many are
   mapped and unmapped.

   A store finds a mapped segment by its base address (rvm_begin) and
   by its name (rvm_map refuses a name mapped already, rvm_destroy a
   mapped segment) through tables that grow and from which unmapping
   removes entries.  A seeded random sequence maps, remaps, commits to
   and unmaps segments of a pool of names, and checks every answer of
   the store against a model of what is mapped, and every mapped
   segment's bytes against what was committed to it.  */

#include <config.h>

#include <lrvm.h>
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL 600                /* segment names */
#define OPS 30000               /* random operations */
#define SWEEP 2000              /* operations between full checks */
#define STAMP_OFF 8             /* where each segment keeps its stamp */

struct seg
{
  void *base;                   /* NULL while unmapped */
  unsigned char stamp;          /* last committed value */
};

struct tally
{
  unsigned long maps, unmaps, commits, refusals;
  unsigned long bad_map, bad_unmap, bad_dup, bad_destroy, bad_begin,
    bad_stale, bad_bytes;
};

static void
seg_name (char *buf, size_t size, size_t i)
{
  snprintf (buf, size, "ix-%zu", i);
}

/* Map segment I, which is not mapped; its bytes must be what was
   committed to it.  */
static void
do_map (rvm_t rvm, struct seg *v, size_t i, struct tally *t)
{
  char name[32];
  void *base;

  seg_name (name, sizeof name, i);
  if (rvm_map_segment (rvm, name, 4096 * (1 + i % 3), &base, NULL) != 0)
    {
      if (t->bad_map++ == 0)
        t_note ("segindex: rvm_map (%s): %s", name, rvm_errmsg ());
      return;
    }
  t->maps++;
  v[i].base = base;
  if (((unsigned char *) base)[STAMP_OFF] != v[i].stamp
      && t->bad_bytes++ == 0)
    t_note ("segindex: %s holds %u, not %u", name,
            ((unsigned char *) base)[STAMP_OFF], v[i].stamp);
}

/* The mapped segment I: mapping it again and destroying it are both
   refused as mapped.  */
static void
check_refused (rvm_t rvm, size_t i, struct tally *t)
{
  char name[32];
  void *base = NULL;
  int r;

  seg_name (name, sizeof name, i);
  r = rvm_map_segment (rvm, name, 4096, &base, NULL);
  if (r != RVM_EMAPPED && t->bad_dup++ == 0)
    t_note ("segindex: mapping %s twice gave %d", name, r);
  if (r == 0)
    rvm_unmap_segment (rvm, base);
  r = rvm_destroy_segment (rvm, name);
  if (r != RVM_EMAPPED && t->bad_destroy++ == 0)
    t_note ("segindex: destroying mapped %s gave %d", name, r);
  t->refusals++;
}

/* rvm_begin on the mapped segment I finds it; with COMMIT, a new stamp
   is committed to it, else the transaction is aborted.  */
static void
check_begin (rvm_t rvm, struct seg *v, size_t i, int commit,
             unsigned char stamp, struct tally *t)
{
  trans_t tid;
  int r = rvm_begin (rvm, 1, &v[i].base, 0, &tid);

  if (r != 0)
    {
      if (t->bad_begin++ == 0)
        t_note ("segindex: rvm_begin on mapped ix-%zu gave %d", i, r);
      return;
    }
  if (!commit)
    {
      rvm_abort (tid);
      return;
    }
  if (rvm_modify (tid, v[i].base, STAMP_OFF, 1) != 0)
    {
      rvm_abort (tid);
      t->bad_begin++;
      return;
    }
  ((unsigned char *) v[i].base)[STAMP_OFF] = stamp;
  if (rvm_commit (tid, RVM_NO_FLUSH) != 0)
    t_bail ("rvm_commit: %s", rvm_errmsg ());
  v[i].stamp = stamp;
  t->commits++;
}

/* Unmap the mapped segment I; its old address is then unknown.  */
static void
do_unmap (rvm_t rvm, struct seg *v, size_t i, struct tally *t)
{
  void *old = v[i].base;
  trans_t tid;
  int r;

  if (rvm_unmap_segment (rvm, old) != 0)
    {
      if (t->bad_unmap++ == 0)
        t_note ("segindex: rvm_unmap (ix-%zu): %s", i, rvm_errmsg ());
      return;
    }
  t->unmaps++;
  v[i].base = NULL;
  r = rvm_begin (rvm, 1, &old, 0, &tid);
  if (r != RVM_ENOTMAPPED && t->bad_stale++ == 0)
    t_note ("segindex: rvm_begin on unmapped ix-%zu gave %d", i, r);
  if (r == 0)
    rvm_abort (tid);
}

int
main (int argc, char **argv)
{
  char *d;
  struct rvm_options o;
  struct seg *v = calloc (POOL, sizeof *v);
  struct tally t;
  uint64_t rs;
  size_t i, n, mapped, most = 0, kept = 0;
  rvm_t rvm;

  t_init (argc, argv);
  if (v == NULL)
    t_bail ("out of memory");
  memset (&t, 0, sizeof t);
  rs = t_seed ("segindex");
  d = t_tmpdir ("segindex");
  rvm_options_init (&o);
  o.sync_mode = RVM_SYNC_NONE;
  if (rvm_open (d, &o, &rvm) != 0)
    t_bail ("cannot open %s: %s", d, rvm_errmsg ());

  for (n = 1; n <= OPS; n++)
    {
      uint64_t x = t_rand (&rs);
      i = (size_t) (x % POOL);
      if (v[i].base == NULL)
        do_map (rvm, v, i, &t);
      else
        switch ((x >> 32) % 4)
          {
          case 0:
            check_refused (rvm, i, &t);
            break;
          case 1:
            check_begin (rvm, v, i, 1, (unsigned char) (x >> 40 | 1), &t);
            break;
          case 2:
            check_begin (rvm, v, i, 0, 0, &t);
            break;
          default:
            do_unmap (rvm, v, i, &t);
          }
      if (n % SWEEP == 0)
        {
          for (i = mapped = 0; i < POOL; i++)
            if (v[i].base != NULL)
              {
                mapped++;
                check_begin (rvm, v, i, 0, 0, &t);
                check_refused (rvm, i, &t);
              }
          if (mapped > most)
            most = mapped;
        }
    }
  t_note ("segindex: %lu maps, %lu unmaps, %lu commits, %lu refusal"
          " checks; at most %zu segments mapped at once", t.maps, t.unmaps,
          t.commits, t.refusals, most);
  t_check (t.bad_map == 0 && t.bad_unmap == 0 && t.unmaps > OPS / 10,
           "segindex: every map of an unmapped name and every unmap of a"
           " mapped segment succeeds (%lu and %lu failed)", t.bad_map,
           t.bad_unmap);
  t_check (t.bad_begin == 0,
           "segindex: rvm_begin finds every mapped segment by its address"
           " (%lu not found)", t.bad_begin);
  t_check (t.bad_stale == 0,
           "segindex: rvm_begin refuses the address of a segment just"
           " unmapped (%lu not refused)", t.bad_stale);
  t_check (t.bad_dup == 0 && t.bad_destroy == 0,
           "segindex: mapping a mapped name again and destroying it are"
           " refused as mapped (%lu and %lu not refused)", t.bad_dup,
           t.bad_destroy);
  t_check (t.bad_bytes == 0,
           "segindex: each segment mapped again holds its last committed"
           " byte (%lu did not)", t.bad_bytes);

  /* Close with segments mapped, reopen, and find every stamp.  */
  if (rvm_close (rvm) != 0)
    t_bail ("rvm_close: %s", rvm_errmsg ());
  if (rvm_open (d, &o, &rvm) != 0)
    t_bail ("cannot reopen %s: %s", d, rvm_errmsg ());
  for (i = 0; i < POOL; i++)
    {
      char name[32];
      void *base;
      seg_name (name, sizeof name, i);
      if (rvm_map_segment (rvm, name, 4096, &base, NULL) == 0)
        kept += ((unsigned char *) base)[STAMP_OFF] == v[i].stamp;
    }
  rvm_close (rvm);
  t_check (kept == POOL, "segindex: after reopening, all %d segments hold"
           " their last committed byte (%zu do)", POOL, kept);
  t_rmdir (d);
  free (d);
  free (v);
  return t_done ();
}
