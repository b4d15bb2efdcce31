/* mutex.c -- lrvm__mutex_lock, how the library takes its mutexes, and
   the striped lock (struct lrvm_rlock) of the registry of open stores.

   A thread that finds a mutex taken tries again a few times, then
   yields a few times, trying again after each, and then sleeps until
   the mutex is free.  Whichever way it gets the mutex, it must hold it
   alone: threads that count under it lose no increment, and a thread
   kept waiting longer than its yields last gets the mutex only once
   its holder lets it go.

   A reader of a striped lock takes the part of its own stripe, a
   writer all of them: no reader may see a writer's change half made,
   and a writer must wait for a reader of any part.  */

#include <config.h>

#include "lrvm-internal.h"
#include "testlib.h"

#include <stdio.h>
#include <string.h>

#define THREADS 4
#define ROUNDS 200000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long counter;   /* changed only under MU */
static int released;            /* set under MU just before unlocking */

/* The counting threads start together, once all are ready.  */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int ready, go;

static void *
count (void *arg)
{
  long i;

  (void) arg;
  pthread_mutex_lock (&gate_mu);
  ready++;
  pthread_cond_broadcast (&gate_cv);
  while (!go)
    pthread_cond_wait (&gate_cv, &gate_mu);
  pthread_mutex_unlock (&gate_mu);
  for (i = 0; i < ROUNDS; i++)
    {
      lrvm__mutex_lock (&mu);
      counter++;
      pthread_mutex_unlock (&mu);
    }
  return NULL;
}

/* Take MU while the main thread holds it: note whether its holder had
   let it go.  */
static void *
late_taker (void *arg)
{
  int *saw_released = arg;

  lrvm__mutex_lock (&mu);
  *saw_released = released;
  counter++;
  pthread_mutex_unlock (&mu);
  return NULL;
}

/* The striped lock, and two values that a writer keeps equal under
   it; readers count the times they saw them differ.  */
static struct lrvm_rlock rl = LRVM_RLOCK_INITIALIZER;
static volatile unsigned long rl_a, rl_b;
static unsigned long torn_reads;        /* under MU */
static int stripe_changed;              /* under MU */

static void *
rl_reader (void *arg)
{
  unsigned long torn = 0;
  unsigned home = lrvm__stripe ();
  long i;
  int changed = 0;

  (void) arg;
  for (i = 0; i < ROUNDS; i++)
    {
      unsigned part = lrvm__read_lock (&rl);
      unsigned long a = rl_a;
      unsigned long b = rl_b;
      lrvm__read_unlock (&rl, part);
      if (a != b)
        torn++;
      if (part != home || part >= LRVM_STRIPES)
        changed = 1;
    }
  lrvm__mutex_lock (&mu);
  torn_reads += torn;
  stripe_changed |= changed;
  pthread_mutex_unlock (&mu);
  return NULL;
}

static void *
rl_writer (void *arg)
{
  long i, n = arg != NULL ? *(long *) arg : ROUNDS / 10;

  for (i = 0; i < n; i++)
    {
      volatile int k;
      lrvm__write_lock (&rl);
      rl_a++;
      for (k = 0; k < 100; k++)   /* a change long half made */
        ;
      rl_b = rl_a;
      lrvm__write_unlock (&rl);
    }
  return NULL;
}

/* Readers on THREADS threads and one writer at once.  */
static void
test_rlock (void)
{
  pthread_t th[THREADS + 1];
  long one = 1;
  int i, started = 0, writer;
  unsigned part;

  for (i = 0; i < THREADS; i++)
    if (pthread_create (&th[started], NULL, rl_reader, NULL) == 0)
      started++;
  writer = pthread_create (&th[started], NULL, rl_writer, NULL) == 0;
  for (i = 0; i < started + writer; i++)
    pthread_join (th[i], NULL);
  if (started != THREADS || !writer)
    t_bail ("could start only %d of %d threads", started + writer,
            THREADS + 1);
  t_check (torn_reads == 0 && rl_a == ROUNDS / 10 && rl_b == rl_a,
           "rlock: %d readers never see a writer's change half made"
           " (%lu torn reads, %lu of %d changes)", THREADS, torn_reads,
           rl_a, ROUNDS / 10);
  t_check (!stripe_changed, "rlock: each reader takes one part, below"
           " %d, the same every time", LRVM_STRIPES);

  /* A reader holding its part keeps a writer out until it lets go.  */
  part = lrvm__read_lock (&rl);
  if (pthread_create (&th[0], NULL, rl_writer, &one) != 0)
    t_bail ("pthread_create failed");
  t_sleep_usec (100000);
  t_check (rl_a == ROUNDS / 10, "rlock: a writer waits while a reader"
           " holds part %u for 100 ms", part);
  lrvm__read_unlock (&rl, part);
  pthread_join (th[0], NULL);
  t_check (rl_a == ROUNDS / 10 + 1 && rl_b == rl_a,
           "rlock: the writer goes on once the reader lets go");
}

int
main (int argc, char **argv)
{
  pthread_t th[THREADS];
  int i, started = 0, saw_released = -1;
  unsigned long before;

  t_init (argc, argv);

  /* Contended counting.  */
  for (i = 0; i < THREADS; i++)
    if (pthread_create (&th[i], NULL, count, NULL) == 0)
      started++;
  pthread_mutex_lock (&gate_mu);
  while (ready < started)
    pthread_cond_wait (&gate_cv, &gate_mu);
  go = 1;
  pthread_cond_broadcast (&gate_cv);
  pthread_mutex_unlock (&gate_mu);
  for (i = 0; i < started; i++)
    pthread_join (th[i], NULL);
  if (started != THREADS)
    t_bail ("could start only %d of %d threads", started, THREADS);
  t_check (counter == (unsigned long) THREADS * ROUNDS,
           "mutex: %d threads counting %d times each under"
           " lrvm__mutex_lock reach %lu (%lu)", THREADS, ROUNDS,
           (unsigned long) THREADS * ROUNDS, counter);

  /* A holder that keeps the mutex far longer than the yields last.  */
  lrvm__mutex_lock (&mu);
  before = counter;
  if (pthread_create (&th[0], NULL, late_taker, &saw_released) != 0)
    t_bail ("pthread_create failed");
  t_sleep_usec (100000);
  t_check (counter == before,
           "mutex: a thread does not get the mutex while another holds"
           " it for 100 ms");
  released = 1;
  pthread_mutex_unlock (&mu);
  pthread_join (th[0], NULL);
  t_check (saw_released == 1 && counter == before + 1,
           "mutex: the waiting thread gets it once its holder lets it go"
           " (saw released: %d)", saw_released);

  test_rlock ();
  return t_done ();
}
