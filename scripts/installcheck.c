/* installcheck.c -- a program built against the installed library, as
   a user builds one (make installcheck, scripts/installcheck.sh).

   installcheck write STORE VALUE
       commits VALUE at offset 8 of segment "check" with the classic
       API (<rvm.h>), after its own length at offset 0;
   installcheck read STORE
       prints what segment "check" holds there, read with the full API
       (<lrvm.h>) in a fresh process, and checks the library's version.

   Exit status 0 on success, 1 on a failure, which is printed.  */

#include <rvm.h>
#include <lrvm.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEGMENT "check"
#define SEG_SIZE 4096

static int
write_value (const char *dir, const char *value)
{
  size_t len = strlen (value);
  rvm_t rvm;
  char *seg;
  trans_t tid;

  if (len > SEG_SIZE - 8)
    {
      fprintf (stderr, "installcheck: value too long\n");
      return 1;
    }
  if ((rvm = rvm_init (dir)) == NULL)
    {
      fprintf (stderr, "installcheck: rvm_init: %s\n", strerror (errno));
      return 1;
    }
  if ((seg = rvm_map (rvm, SEGMENT, SEG_SIZE)) == NULL)
    {
      fprintf (stderr, "installcheck: rvm_map: %s\n", rvm_errmsg ());
      return 1;
    }
  tid = rvm_begin_trans (rvm, 1, (void **) &seg);
  if (tid == (trans_t) -1)
    {
      fprintf (stderr, "installcheck: rvm_begin_trans: %s\n", rvm_errmsg ());
      return 1;
    }
  rvm_about_to_modify (tid, seg, 0, (int) (8 + len));
  snprintf (seg, 8, "%7zu", len);
  memcpy (seg + 8, value, len);
  errno = 0;
  rvm_commit_trans (tid);
  if (errno != 0)
    {
      fprintf (stderr, "installcheck: rvm_commit_trans: %s\n",
               rvm_errmsg ());
      return 1;
    }
  /* No close: the next process recovers the store.  */
  return 0;
}

static int
read_value (const char *dir)
{
  struct rvm_options opt;
  rvm_t rvm;
  void *base;
  const char *seg;
  size_t len;
  int r;

  if (strcmp (LRVM_VERSION_STRING, PACKAGE_VERSION) != 0)
    {
      fprintf (stderr, "installcheck: <lrvm.h> is version %s, not %s\n",
               LRVM_VERSION_STRING, PACKAGE_VERSION);
      return 1;
    }
  rvm_options_init (&opt);
  if ((r = rvm_open (dir, &opt, &rvm)) != 0)
    {
      fprintf (stderr, "installcheck: rvm_open: %s\n", rvm_strerror (r));
      return 1;
    }
  if ((r = rvm_map_segment (rvm, SEGMENT, SEG_SIZE, &base, NULL)) != 0)
    {
      fprintf (stderr, "installcheck: rvm_map_segment: %s\n",
               rvm_strerror (r));
      rvm_close (rvm);
      return 1;
    }
  seg = base;
  len = strtoul (seg, NULL, 10);
  if (len > SEG_SIZE - 8)
    {
      fprintf (stderr, "installcheck: no value in the segment\n");
      rvm_close (rvm);
      return 1;
    }
  printf ("%.*s\n", (int) len, seg + 8);
  if ((r = rvm_close (rvm)) != 0)
    {
      fprintf (stderr, "installcheck: rvm_close: %s\n", rvm_strerror (r));
      return 1;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 4 && strcmp (argv[1], "write") == 0)
    return write_value (argv[2], argv[3]);
  if (argc == 3 && strcmp (argv[1], "read") == 0)
    return read_value (argv[2]);
  fprintf (stderr, "usage: installcheck write STORE VALUE"
           " | installcheck read STORE\n");
  return 1;
}
