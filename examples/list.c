/* list.c -- a persistent sorted list of KEY VALUE records, kept in a
   recoverable segment and changed in transactions with the full lrvm
   interface.

   Usage: list [OPTION]... STORE COMMAND...
   Commands (several may follow one another in one run):
     add KEY VALUE   insert KEY, or give it a new VALUE
     del KEY         remove KEY
     get KEY         print the VALUE of KEY
     dump            print every KEY VALUE, in the order of the keys
     check           walk the structure and check its invariants
   Options:
     --flush-every N  make the changes durable every N changes (by
                      default, once at the end of the run)
     --kill-after N   after N changes, die with SIGKILL in the middle of
                      the next one, as a crash would

   Every change is one transaction, committed without a flush
   (RVM_NO_FLUSH): cheap, but lost if the process dies before the next
   rvm_flush.  A run prints "flushed through change N" each time it
   flushes; after a crash, the list holds exactly the changes up to some
   number at least as large as the last one printed.  */

#include <config.h>

#include <lrvm.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The segment "list" holds a header, then an array of fixed-size nodes.
   A node is either on the list, which is sorted by key, or on the free
   list.  Links are byte offsets from the start of the segment, 0 for
   none (the header is at offset 0, so no node is).  They cannot be
   pointers: the segment is mapped at a different address in each run,
   and moves again when it grows.  */

#define SEGNAME "list"
#define LIST_MAGIC 0x5453494cu  /* "LIST" */
#define KEY_MAX 31              /* bytes of a key, without the NUL */
#define VALUE_MAX 63
#define FIRST_CAPACITY 8        /* nodes of a new list; doubles when full */
#define MAX_CAPACITY (1u << 24) /* so that offsets fit in 32 bits */

struct header
{
  uint32_t magic;
  uint32_t capacity;            /* nodes after the header */
  uint32_t count;               /* nodes on the list */
  uint32_t head;                /* first node of the list, or 0 */
  uint32_t free;                /* first node of the free list, or 0 */
  uint32_t reserved;
  uint64_t changes;             /* adds and dels committed, ever */
};

struct node
{
  uint32_t next;                /* next node of the same list, or 0 */
  uint32_t used;                /* 1 on the list, 0 on the free list */
  char key[KEY_MAX + 1];        /* NUL-terminated */
  char value[VALUE_MAX + 1];
};

/* The open list of this run.  */
struct list
{
  rvm_t rvm;
  void *base;                   /* where the segment is mapped now */
  size_t size;                  /* bytes mapped */
  struct header *h;             /* == base */
};

static long flush_every;        /* --flush-every, 0 for "at the end" */
static long kill_after = -1;    /* --kill-after, -1 for never */
static long changes_this_run;   /* committed by this run */
static long unflushed;          /* committed since the last flush */

/* Print what failed and give up.  Nothing needs cleaning up: what was
   flushed is safe, and the rest is forgotten, as after a crash.  */
static void
die (const char *what, int code)
{
  fprintf (stderr, "list: %s: %s (%s)\n", what, rvm_strerror (code),
           rvm_errmsg ());
  exit (2);
}

/* Translating between offsets and addresses, for this mapping.  */
static struct node *
node_at (const struct list *l, uint32_t off)
{
  return off == 0 ? NULL : (struct node *) ((char *) l->base + off);
}

static uint32_t
offset_of (const struct list *l, const void *p)
{
  return (uint32_t) ((const char *) p - (const char *) l->base);
}

/* Where node number I (from 0) lives.  */
static uint32_t
node_offset (uint32_t i)
{
  return (uint32_t) (sizeof (struct header) + i * sizeof (struct node));
}

static size_t
segment_size (uint32_t capacity)
{
  return node_offset (capacity);
}

/* --kill-after N: called in the middle of each change, after some of
   the segment has been changed and before the commit.  */
static void
maybe_die (void)
{
  if (kill_after >= 0 && changes_this_run == kill_after)
    {
      fflush (stdout);
      kill (getpid (), SIGKILL);
    }
}

static void
begin (struct list *l, trans_t *tid)
{
  int r = rvm_begin (l->rvm, 1, &l->base, 0, tid);
  if (r != 0)
    die ("begin", r);
}

/* Declare that the SIZE bytes at ADDR are about to change.  */
static void
declare (trans_t tid, void *addr, size_t size)
{
  int r = rvm_set_range (tid, addr, size);
  if (r != 0)
    die ("set_range", r);
}

/* Make every change committed so far durable, and say so.  */
static void
flush (struct list *l)
{
  int r = rvm_flush (l->rvm);
  if (r != 0)
    die ("flush", r);
  printf ("flushed through change %llu\n",
          (unsigned long long) l->h->changes);
  unflushed = 0;
}

/* Commit a change without waiting for the disk, then flush if
   --flush-every says it is time.  */
static void
commit_change (struct list *l, trans_t tid)
{
  int r = rvm_commit (tid, RVM_NO_FLUSH);
  if (r != 0)
    die ("commit", r);
  changes_this_run++;
  unflushed++;
  if (flush_every > 0 && unflushed >= flush_every)
    flush (l);
}

/* Put nodes FROM to TO - 1, fresh from a grown segment, at the front
   of the free list, inside the transaction TID.  */
static void
add_free_nodes (struct list *l, trans_t tid, uint32_t from, uint32_t to)
{
  uint32_t i;

  declare (tid, node_at (l, node_offset (from)),
           (to - from) * sizeof (struct node));
  for (i = from; i < to; i++)
    {
      struct node *n = node_at (l, node_offset (i));
      n->used = 0;
      n->next = i + 1 < to ? node_offset (i + 1) : l->h->free;
    }
  l->h->free = node_offset (from);
}

/* Map the segment with room for CAPACITY nodes, growing it if it is
   smaller.  */
static void
map (struct list *l, uint32_t capacity)
{
  int r = rvm_map_segment (l->rvm, SEGNAME, segment_size (capacity),
                           &l->base, &l->size);
  if (r != 0)
    die ("map", r);
  l->h = l->base;
}

/* Double the capacity of a full list.  The segment can only grow while
   it is unmapped, so it is mapped again, larger -- most likely at
   another address, which the offsets do not mind.  The new nodes join
   the free list in a transaction of their own: if it does not commit,
   the list keeps its old capacity and the bytes beyond are unused.  */
static void
grow (struct list *l)
{
  uint32_t old = l->h->capacity;
  trans_t tid;
  int r;

  if (old >= MAX_CAPACITY)
    {
      fprintf (stderr, "list: the list is full (%lu records)\n",
               (unsigned long) old);
      exit (2);
    }
  if ((r = rvm_unmap_segment (l->rvm, l->base)) != 0)
    die ("unmap", r);
  map (l, old * 2);
  begin (l, &tid);
  declare (tid, l->h, sizeof *l->h);
  add_free_nodes (l, tid, old, old * 2);
  l->h->capacity = old * 2;
  if ((r = rvm_commit (tid, RVM_NO_FLUSH)) != 0)
    die ("commit", r);
}

/* Open the store DIR and map the list, making a new one the first
   time.  Opening recovers the store: every change flushed before a
   crash is there, perhaps with some committed after the last flush (in
   the order they were made), and never a part of a change.  */
static void
open_list (struct list *l, const char *dir)
{
  struct rvm_options options;
  trans_t tid;
  int r;

  rvm_options_init (&options);  /* defaults: durable flushes */
  if ((r = rvm_open (dir, &options, &l->rvm)) != 0)
    die (dir, r);
  map (l, FIRST_CAPACITY);
  if (l->h->magic == 0)
    {
      /* A new segment is all zeros: write the header and make every
         node free, and make that durable at once.  */
      begin (l, &tid);
      declare (tid, l->h, sizeof *l->h);
      l->h->magic = LIST_MAGIC;
      l->h->capacity = FIRST_CAPACITY;
      add_free_nodes (l, tid, 0, FIRST_CAPACITY);
      if ((r = rvm_commit (tid, 0)) != 0)
        die ("commit", r);
    }
  if (l->h->magic != LIST_MAGIC
      || l->size < segment_size (l->h->capacity))
    {
      fprintf (stderr, "list: %s: the segment \"%s\" does not hold a"
               " list\n", dir, SEGNAME);
      exit (2);
    }
}

/* The link that points at KEY's node, or at the place where KEY would
   be inserted: the header's head, or the next field of the node before.
   The list is sorted, so the walk stops at the first key >= KEY.  */
static uint32_t *
find (struct list *l, const char *key)
{
  uint32_t *link = &l->h->head;
  struct node *n;

  while ((n = node_at (l, *link)) != NULL && strcmp (n->key, key) < 0)
    link = &n->next;
  return link;
}

static void
set_string (char *dst, size_t size, const char *src)
{
  memset (dst, 0, size);
  strncpy (dst, src, size - 1);
}

/* add KEY VALUE: one transaction, whether KEY is new or not.  */
static void
add (struct list *l, const char *key, const char *value)
{
  uint32_t *link = find (l, key);
  struct node *n = node_at (l, *link);
  trans_t tid;

  if (n != NULL && strcmp (n->key, key) == 0)
    {
      begin (l, &tid);
      declare (tid, n->value, sizeof n->value);
      declare (tid, &l->h->changes, sizeof l->h->changes);
      memset (n->value, 0, sizeof n->value);
      maybe_die ();
      set_string (n->value, sizeof n->value, value);
      l->h->changes++;
      commit_change (l, tid);
      printf ("updated %s\n", key);
      return;
    }
  if (l->h->free == 0)
    {
      /* The segment moves as it grows: LINK, a pointer into it, is
         stale.  Only the offsets kept inside the segment are not.  */
      grow (l);
      link = find (l, key);
    }

  /* Take the first free node, fill it, and link it in at LINK.  Each
     range is declared before its first change; the declarations of the
     header and of LINK may overlap (LINK may be the head), which is
     fine.  */
  begin (l, &tid);
  n = node_at (l, l->h->free);
  declare (tid, l->h, sizeof *l->h);
  declare (tid, n, sizeof *n);
  declare (tid, link, sizeof *link);
  l->h->free = n->next;
  set_string (n->key, sizeof n->key, key);
  set_string (n->value, sizeof n->value, value);
  n->used = 1;
  maybe_die ();
  n->next = *link;
  *link = offset_of (l, n);
  l->h->count++;
  l->h->changes++;
  commit_change (l, tid);
  printf ("added %s\n", key);
}

/* del KEY: unlink its node and put it back on the free list.  Returns
   0, or 1 if there is no such key.  */
static int
del (struct list *l, const char *key)
{
  uint32_t *link = find (l, key);
  struct node *n = node_at (l, *link);
  trans_t tid;

  if (n == NULL || strcmp (n->key, key) != 0)
    {
      fprintf (stderr, "list: %s: not found\n", key);
      return 1;
    }
  begin (l, &tid);
  declare (tid, l->h, sizeof *l->h);
  declare (tid, link, sizeof *link);
  declare (tid, n, sizeof *n);
  *link = n->next;
  maybe_die ();
  memset (n, 0, sizeof *n);
  n->next = l->h->free;
  l->h->free = offset_of (l, n);
  l->h->count--;
  l->h->changes++;
  commit_change (l, tid);
  printf ("deleted %s\n", key);
  return 0;
}

/* get KEY: reading needs no transaction.  */
static int
get (struct list *l, const char *key)
{
  struct node *n = node_at (l, *find (l, key));

  if (n == NULL || strcmp (n->key, key) != 0)
    {
      fprintf (stderr, "list: %s: not found\n", key);
      return 1;
    }
  printf ("%s\n", n->value);
  return 0;
}

static void
dump (struct list *l)
{
  struct node *n;

  for (n = node_at (l, l->h->head); n != NULL; n = node_at (l, n->next))
    printf ("%s %s\n", n->key, n->value);
}

/* Follow the links from FIRST, and count the nodes met.  Every node must
   be a real node of the array, met for the first time (SEEN), marked
   USED as its list requires; on the list, keys must be nonempty and
   increasing.  Returns the count, or -1 after saying what is wrong.  */
static long
walk (struct list *l, uint32_t first, uint32_t used, char *seen)
{
  const char *name = used ? "list" : "free list";
  const struct node *prev = NULL, *n;
  uint32_t off;
  long count = 0;

  for (off = first; off != 0; off = n->next)
    {
      uint32_t i = (off - node_offset (0)) / sizeof (struct node);

      if (off < node_offset (0) || off != node_offset (i)
          || i >= l->h->capacity)
        {
          printf ("damaged: the %s links to offset %lu, not a node\n",
                  name, (unsigned long) off);
          return -1;
        }
      if (seen[i])
        {
          printf ("damaged: node %lu is met twice\n", (unsigned long) i);
          return -1;
        }
      seen[i] = 1;
      n = node_at (l, off);
      if (n->used != used)
        {
          printf ("damaged: node %lu on the %s is marked %s\n",
                  (unsigned long) i, name, n->used ? "used" : "free");
          return -1;
        }
      if (used && (n->key[0] == '\0' || n->key[KEY_MAX] != '\0'
                   || n->value[VALUE_MAX] != '\0'
                   || (prev != NULL && strcmp (prev->key, n->key) >= 0)))
        {
          printf ("damaged: node %lu has a bad or unsorted key\n",
                  (unsigned long) i);
          return -1;
        }
      prev = n;
      count++;
    }
  return count;
}

/* check: every node is met exactly once, on the list or on the free
   list, and the header's count is right.  Returns 0 if all is well.  */
static int
check (struct list *l)
{
  char *seen = calloc (l->h->capacity, 1);
  long used, unused;
  int ok = 0;

  if (seen == NULL)
    {
      fprintf (stderr, "list: out of memory\n");
      exit (2);
    }
  used = walk (l, l->h->head, 1, seen);
  unused = used < 0 ? -1 : walk (l, l->h->free, 0, seen);
  if (unused < 0)
    ;                           /* walk said what is wrong */
  else if (used != (long) l->h->count)
    printf ("damaged: %ld records on the list, the header says %lu\n",
            used, (unsigned long) l->h->count);
  else if (used + unused != (long) l->h->capacity)
    printf ("damaged: %ld records and %ld free nodes, of %lu nodes\n",
            used, unused, (unsigned long) l->h->capacity);
  else
    {
      printf ("ok: %ld records, %ld free nodes, %llu changes committed\n",
              used, unused, (unsigned long long) l->h->changes);
      ok = 1;
    }
  free (seen);
  return ok ? 0 : 1;
}

static int
usage (void)
{
  fprintf (stderr,
           "usage: list [--flush-every N] [--kill-after N] STORE COMMAND...\n"
           "commands: add KEY VALUE, del KEY, get KEY, dump, check\n");
  return 2;
}

/* A key or a value must fit its field; a key may not hold a space, so
   that the lines of dump can be read back.  */
static int
bad_string (const char *s, size_t max, int is_key)
{
  return s[0] == '\0' || strlen (s) > max
         || (is_key && strpbrk (s, " \t\n") != NULL)
         || (!is_key && strchr (s, '\n') != NULL);
}

/* The number of arguments of the command at ARGV[I], or -1 if it is
   not a valid command.  */
static int
command_args (int argc, char **argv, int i)
{
  const char *cmd = argv[i];
  int nargs = strcmp (cmd, "add") == 0 ? 2
              : strcmp (cmd, "del") == 0 || strcmp (cmd, "get") == 0 ? 1
              : strcmp (cmd, "dump") == 0 || strcmp (cmd, "check") == 0 ? 0
              : -1;

  if (nargs < 0)
    fprintf (stderr, "list: unknown command \"%s\"\n", cmd);
  else if (argc - i - 1 < nargs)
    {
      fprintf (stderr, "list: %s: missing argument\n", cmd);
      nargs = -1;
    }
  else if (nargs >= 1 && bad_string (argv[i + 1], KEY_MAX, 1))
    {
      fprintf (stderr, "list: bad key \"%s\" (1 to %d bytes, no spaces)\n",
               argv[i + 1], KEY_MAX);
      nargs = -1;
    }
  else if (nargs == 2 && bad_string (argv[i + 2], VALUE_MAX, 0))
    {
      fprintf (stderr, "list: bad value \"%s\" (1 to %d bytes)\n",
               argv[i + 2], VALUE_MAX);
      nargs = -1;
    }
  return nargs;
}

int
main (int argc, char **argv)
{
  struct list l;
  int first, i, n, r, status = 0;

  /* One line at a time, so that whoever reads our output sees each
     line when it happens, even if we are killed the next moment.  */
  setvbuf (stdout, NULL, _IOLBF, 0);

  for (i = 1; i + 1 < argc && strncmp (argv[i], "--", 2) == 0; i += 2)
    if (strcmp (argv[i], "--flush-every") == 0)
      flush_every = atol (argv[i + 1]);
    else if (strcmp (argv[i], "--kill-after") == 0)
      kill_after = atol (argv[i + 1]);
    else
      return usage ();
  if (i + 1 >= argc)
    return usage ();

  /* Read every command before doing any.  */
  first = i + 1;
  for (i = first; i < argc; i += n + 1)
    if ((n = command_args (argc, argv, i)) < 0)
      return usage ();

  open_list (&l, argv[first - 1]);
  for (i = first; i < argc; i += n + 1)
    {
      const char *cmd = argv[i];

      n = command_args (argc, argv, i);
      if (strcmp (cmd, "add") == 0)
        add (&l, argv[i + 1], argv[i + 2]);
      else if (strcmp (cmd, "del") == 0)
        status |= del (&l, argv[i + 1]);
      else if (strcmp (cmd, "get") == 0)
        status |= get (&l, argv[i + 1]);
      else if (strcmp (cmd, "dump") == 0)
        dump (&l);
      else
        status |= check (&l);
    }

  /* The changes not flushed yet become durable now.  rvm_close would
     flush them too, but this way we can say so.  */
  if (unflushed > 0)
    flush (&l);
  if ((r = rvm_close (l.rvm)) != 0)
    die ("close", r);
  return status;
}
