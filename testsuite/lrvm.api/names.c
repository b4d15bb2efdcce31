/* names.c -- the sets of segment names: those with records in the live
   log, and those a truncation writes from memory, whose records it
   then skips when it applies the log for the others.

   The sets are hash tables; the first tests check them directly (many
   names, duplicates, names that are prefixes of others, emptying and
   refilling).  The last runs a truncation that writes hundreds of
   mapped segments from memory and applies the log for one unmapped
   segment only, and checks every file.  */

#include <config.h>

#include "lrvm-internal.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MANY 5000
#define MAPPED 300

static void
test_set (void)
{
  struct lrvm_names ns = { NULL, 0, 0 };
  char name[32];
  size_t i, found = 0, absent = 0, refound = 0;
  int ok = 1;

  for (i = 0; i < MANY; i++)
    {
      snprintf (name, sizeof name, "seg-%zu-x", i);
      if (lrvm__names_add (&ns, name, strlen (name)) != 0)
        t_bail ("out of memory");
    }
  for (i = 0; i < MANY; i++)
    {
      snprintf (name, sizeof name, "seg-%zu-x", i);
      found += lrvm__names_has (&ns, name);
      snprintf (name, sizeof name, "seg-%zu-y", i);
      absent += !lrvm__names_has (&ns, name);
    }
  t_check (ns.n == MANY && found == MANY && absent == MANY,
           "names: a set of %d names holds each (%zu) and no other (%zu"
           " absent of %d)", MANY, found, absent, MANY);

  if (lrvm__names_add (&ns, "seg-7-x", 7) != 0 || ns.n != MANY)
    ok = 0;
  t_check (ok, "names: adding a name already there leaves %d names (%zu)",
           MANY, ns.n);

  /* Names of LEN bytes inside longer buffers, as in log records.  */
  t_check (lrvm__names_has_n (&ns, "seg-12-xyz", 8)
           && !lrvm__names_has_n (&ns, "seg-12-x", 7)
           && !lrvm__names_has_n (&ns, "seg-12-xy", 9),
           "names: a name of N bytes is found only if the set holds"
           " exactly those N bytes");

  lrvm__names_clear (&ns);
  for (i = 0; i < MANY; i++)
    {
      snprintf (name, sizeof name, "seg-%zu-x", i);
      found -= lrvm__names_has (&ns, name);
    }
  ok = ns.n == 0 && found == MANY;
  for (i = 0; i < 100; i++)
    {
      snprintf (name, sizeof name, "again-%zu", i);
      if (lrvm__names_add (&ns, name, strlen (name)) != 0)
        t_bail ("out of memory");
    }
  for (i = 0; i < 100; i++)
    {
      snprintf (name, sizeof name, "again-%zu", i);
      refound += lrvm__names_has (&ns, name);
    }
  t_check (ok && ns.n == 100 && refound == 100,
           "names: an emptied set holds nothing, then takes new names"
           " (%zu of 100 found)", refound);
  lrvm__names_clear (&ns);
  free (ns.v);
}

/* A truncation with MAPPED segments mapped and one with records
   unmapped: the mapped ones are written from memory, and from the log
   only the unmapped one's records are applied.  */
static void
test_truncation (void)
{
  char *d = t_tmpdir ("names"), name[32];
  struct rvm_options o;
  struct rvm_statistics st;
  unsigned char one[8];
  void *base[MAPPED], *x;
  size_t i, held = 0;
  rvm_t rvm;
  trans_t tid;

  rvm_options_init (&o);
  o.sync_mode = RVM_SYNC_NONE;
  if (rvm_open (d, &o, &rvm) != 0)
    t_bail ("cannot open %s: %s", d, rvm_errmsg ());
  for (i = 0; i < MAPPED; i++)
    {
      snprintf (name, sizeof name, "m%zu", i);
      if (rvm_map_segment (rvm, name, 4096, &base[i], NULL) != 0)
        t_bail ("rvm_map (%s): %s", name, rvm_errmsg ());
    }
  if (rvm_map_segment (rvm, "gone", 4096, &x, NULL) != 0
      || rvm_begin (rvm, 1, &x, 0, &tid) != 0
      || rvm_modify (tid, x, 0, sizeof one) != 0)
    t_bail ("setting up \"gone\": %s", rvm_errmsg ());
  memset (x, 0x5c, sizeof one);
  memset (one, 0x5c, sizeof one);
  if (rvm_commit (tid, RVM_NO_FLUSH) != 0 || rvm_unmap_segment (rvm, x) != 0)
    t_bail ("committing to \"gone\": %s", rvm_errmsg ());
  for (i = 0; i < MAPPED; i++)
    {
      if (rvm_begin (rvm, 1, &base[i], 0, &tid) != 0
          || rvm_modify (tid, base[i], 100, 1) != 0)
        t_bail ("rvm_begin: %s", rvm_errmsg ());
      ((unsigned char *) base[i])[100] = (unsigned char) (i % 251 + 1);
      if (rvm_commit (tid, RVM_NO_FLUSH) != 0)
        t_bail ("rvm_commit: %s", rvm_errmsg ());
    }
  if (rvm_truncate (rvm) != 0)
    t_bail ("rvm_truncate: %s", rvm_errmsg ());
  memset (&st, 0, sizeof st);
  if (rvm_stats (rvm, &st, sizeof st) != 0)
    t_bail ("rvm_stats: %s", rvm_errmsg ());
  t_check (st.truncated_records == 1 && st.truncated_blocks == MAPPED,
           "names: with %d segments mapped, the truncation writes them from"
           " memory (%llu blocks) and applies one record from the log"
           " (%llu)", MAPPED, (unsigned long long) st.truncated_blocks,
           (unsigned long long) st.truncated_records);
  for (i = 0; i < MAPPED; i++)
    {
      unsigned char v = (unsigned char) (i % 251 + 1);
      snprintf (name, sizeof name, "m%zu", i);
      held += t_file_holds (d, name, 100, &v, 1);
    }
  t_check (held == MAPPED && t_file_holds (d, "gone", 0, one, sizeof one),
           "names: after it, every segment file holds its committed"
           " bytes (%zu of %d mapped ones)", held, MAPPED);
  rvm_close (rvm);
  t_rmdir (d);
  free (d);
}

int
main (int argc, char **argv)
{
  t_init (argc, argv);
  test_set ();
  test_truncation ();
  return t_done ();
}
