/* mutex.c -- lrvm__mutex_lock, how the library takes its mutexes.

   A thread that finds a mutex taken yields a few times, trying again
   after each, and then sleeps until the mutex is free.  Whichever way
   it gets the mutex, it must hold it alone: threads that count under
   it lose no increment, and a thread kept waiting longer than its
   yields last gets the mutex only once its holder lets it go.  */

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
  return t_done ();
}
