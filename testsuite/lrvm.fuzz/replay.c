/* replay.c -- the fuzz corpus as a regression test under the normal
   build: every file of the corpus directory goes through the checks of
   the libFuzzer target, and the seeds listed in the expectations file
   must parse as it says.

   Usage: replay CORPUS-DIR EXPECTED-FILE  */

#include <config.h>

#include "lrvm.h"
#include "logcheck.h"
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line of the expectations file: NAME SLOT0 SLOT1 HEADER RECORDS
   ENTRIES TORN, where HEADER is ok, ECORRUPT or EVERSION and the last
   three are -1 when there is no header in force.  */
struct expect
{
  char name[256];
  int slot[2];
  char header[32];
  long records, entries;
  int torn;
  int seen;
};

static struct expect *ex;
static size_t nex;

static void
read_expected (const char *path)
{
  FILE *f = fopen (path, "r");
  char line[1024];
  size_t cap = 0;

  if (f == NULL)
    t_bail ("%s: %s", path, strerror (errno));
  while (fgets (line, sizeof line, f) != NULL)
    {
      struct expect e;
      if (line[0] == '#' || line[0] == '\n')
        continue;
      memset (&e, 0, sizeof e);
      if (sscanf (line, "%255s %d %d %31s %ld %ld %d", e.name, &e.slot[0],
                  &e.slot[1], e.header, &e.records, &e.entries, &e.torn)
          != 7)
        t_bail ("%s: bad line: %s", path, line);
      if (nex == cap)
        {
          cap = cap ? 2 * cap : 16;
          ex = realloc (ex, cap * sizeof *ex);
          if (ex == NULL)
            t_bail ("out of memory");
        }
      ex[nex++] = e;
    }
  fclose (f);
}

static const char *
header_name (int r)
{
  switch (r)
    {
    case 0: return "ok";
    case RVM_ECORRUPT: return "ECORRUPT";
    case RVM_EVERSION: return "EVERSION";
    default: return "other";
    }
}

static unsigned char *
slurp (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  unsigned char *buf = NULL;
  size_t cap = 0, n = 0, got;

  if (f == NULL)
    t_bail ("%s: %s", path, strerror (errno));
  do
    {
      if (n == cap)
        {
          cap = cap ? 2 * cap : 8192;
          buf = realloc (buf, cap);
          if (buf == NULL)
            t_bail ("out of memory");
        }
      got = fread (buf + n, 1, cap - n, f);
      n += got;
    }
  while (got > 0);
  if (ferror (f))
    t_bail ("%s: read error", path);
  fclose (f);
  /* An exact copy, so that a read past the end is a read past the
     allocation.  */
  {
    unsigned char *exact = malloc (n ? n : 1);
    if (exact == NULL)
      t_bail ("out of memory");
    memcpy (exact, buf, n);
    free (buf);
    *len = n;
    return exact;
  }
}

static void
replay_one (const char *dir, const char *name)
{
  char path[4096];
  struct logcheck_result res;
  unsigned char *img;
  size_t size, i, w, step;
  int r;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  img = slurp (path, &size);
  r = logcheck_run (img, size, 0, LOGCHECK_RECOVERY, &res);
  if (r == -2)
    t_bail ("%s", res.error);
  if (r != 0)
    t_note ("%s: %s", name, res.error);
  if (res.stale > 0)
    t_note ("%s: %ld stale records of the new epoch readable after"
            " recovery", name, res.stale);
  t_check (r == 0, "%s: invariants", name);
  for (i = 0; i < nex; i++)
    if (strcmp (ex[i].name, name) == 0)
      {
        struct expect *e = &ex[i];
        int ok = res.slot[0] == e->slot[0] && res.slot[1] == e->slot[1]
                 && strcmp (header_name (res.header), e->header) == 0
                 && res.records == e->records && res.entries == e->entries
                 && res.torn == e->torn;
        e->seen = 1;
        if (!ok)
          t_note ("%s: got %d %d %s %ld %ld %d, expected %d %d %s %ld %ld"
                  " %d", name, res.slot[0], res.slot[1],
                  header_name (res.header), res.records, res.entries,
                  res.torn, e->slot[0], e->slot[1], e->header, e->records,
                  e->entries, e->torn);
        t_check (ok, "%s: parsed as expected", name);
      }

  /* Every small scan window of the fuzz target.  */
  step = getenv ("LRVM_TEST_QUICK") != NULL ? 7 : 1;
  for (r = 0, w = 32; w < 32 + 1024 && r == 0; w += step)
    r = logcheck_run (img, size, w, 0, &res);
  if (r != 0)
    t_note ("%s: %s", name, res.error);
  t_check (r == 0, "%s: invariants with every small scan window", name);
  free (img);
}

int
main (int argc, char **argv)
{
  struct dirent **list;
  int n, i, files = 0;
  size_t k;

  t_init (argc, argv);
  if (argc != 3)
    t_bail ("usage: replay CORPUS-DIR EXPECTED-FILE");
  read_expected (argv[2]);
  n = scandir (argv[1], &list, NULL, alphasort);
  if (n < 0)
    t_bail ("%s: %s", argv[1], strerror (errno));
  for (i = 0; i < n; i++)
    {
      if (list[i]->d_name[0] != '.')
        {
          replay_one (argv[1], list[i]->d_name);
          files++;
        }
      free (list[i]);
    }
  free (list);
  for (k = 0; k < nex; k++)
    if (!ex[k].seen)
      {
        t_note ("%s: the file is missing", ex[k].name);
        t_fail ("%s: parsed as expected", ex[k].name);
      }
  t_note ("corpus: %d files, %zu with expectations", files, nex);
  t_check (files > 0 && nex > 0, "corpus: not empty");
  free (ex);
  return t_done ();
}
