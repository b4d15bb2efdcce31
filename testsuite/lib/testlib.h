/* testlib.h -- reporting and scaffolding for lrvm's test programs.

   Results are printed in DejaGnu's unit-test format ("\tPASSED: name"),
   which testsuite/lib/lrvm.exp reads.  Output is unbuffered, so a
   forked or killed child never duplicates or loses a line.  */

#ifndef LRVM_TESTLIB_H
#define LRVM_TESTLIB_H 1

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#if defined __GNUC__
# define T_PRINTF(f, a) __attribute__ ((__format__ (__printf__, f, a)))
#else
# define T_PRINTF(f, a)
#endif

/* 1 where the library writes log headers and checkpoints durable
   alone (configure: LRVM_RANGE_DURABLE), else 0: truncation then never
   writes a checkpoint, and the tests of checkpoints are UNSUPPORTED or
   check the flush of the log instead.  A test program includes
   config.h first.  */
#ifdef LRVM_RANGE_DURABLE
# define T_CHECKPOINTS 1
#else
# define T_CHECKPOINTS 0
#endif

/* 1 where rvm_open accepts RVM_SYNC_DSYNC: configure found O_DSYNC or
   O_SYNC.  Elsewhere it refuses that mode with RVM_EINVAL.  */
#if HAVE_DECL_O_DSYNC || HAVE_DECL_O_SYNC
# define T_DSYNC_MODE 1
#else
# define T_DSYNC_MODE 0
#endif

void t_init (int argc, char **argv);
void t_pass (const char *fmt, ...) T_PRINTF (1, 2);
void t_fail (const char *fmt, ...) T_PRINTF (1, 2);
void t_unsupported (const char *fmt, ...) T_PRINTF (1, 2);
void t_note (const char *fmt, ...) T_PRINTF (1, 2);
/* PASS or FAIL the check NAME by COND; returns COND.  */
int t_check (int cond, const char *fmt, ...) T_PRINTF (2, 3);
/* Print totals; the exit status for main (0: the harness worked).  */
int t_done (void);
/* Abandon the program on a harness error (not a test failure).  */
void t_bail (const char *fmt, ...) T_PRINTF (1, 2);

/* A new empty directory for a store, removed by t_rmdir or at exit.  */
char *t_tmpdir (const char *tag);
void t_rmdir (const char *dir);
/* Nonzero if PATH exists (a symbolic link counts as itself).  */
int t_exists (const char *path);
/* The sorted names in DIR and, recursively, in its directories, as
   "a|b|sub/{c|}|"; "(absent)" if DIR cannot be read.  A new string.  */
char *t_listing (const char *dir);
/* Size of DIR/NAME, or -1.  */
long long t_file_size (const char *dir, const char *name);
/* Nonzero if the file DIR/NAME holds DATA[0..LEN) at OFF.  If it does
   not, a note says where they first differ.  */
int t_file_holds (const char *dir, const char *name, uint64_t off,
                  const void *data, size_t len);
/* The shared object of the libtool module DIR/LA (a module the suite
   preloads into a child), in PATH: nonzero if it exists.  Shared
   libraries may not be built at all.  */
int t_find_module (const char *dir, const char *la, char *path,
                   size_t size);

/* Fork a child that runs FN (ARG) and _exits with its return value.  */
pid_t t_fork (int (*fn) (void *), void *arg);
/* Wait for PID; return a text such as "exit 0" or "signal 9" in BUF,
   and the raw status in *STATUS.  */
const char *t_wait (pid_t pid, int *status, char *buf, size_t size);
/* Run FN (ARG) in a fresh process (t_fork) and wait for it (t_wait):
   nonzero if it exited 0.  How it ended is in BUF either way, for the
   caller's message.  */
int t_run_child (int (*fn) (void *), void *arg, char *buf, size_t size);

/* A crash-test driver's reader: the uint64_t values child PID writes
   on FD, T_READY meaning "set up, about to work".  PID is SIGKILLed at
   DEADLINE (t_now_usec time), or AFTER_READY microseconds after T_READY
   if that is sooner (UINT64_MAX: no such limit); then FD is read until
   it closes.  Returns the last value other than T_READY, or DFLT if
   none came, and their number in *COUNT.  */
#define T_READY UINT64_MAX
uint64_t t_run_until (pid_t pid, int fd, uint64_t deadline,
                      uint64_t after_ready, uint64_t dflt, uint64_t *count);
/* t_run_until, also calling EACH (V, ARG), unless EACH is NULL, as
   each value V other than T_READY is read, in the order PID wrote
   them.  A child whose messages are several values writes each one
   with a single write (at most PIPE_BUF bytes, so its threads'
   messages never interleave) and never puts T_READY in one; EACH
   reassembles them.  */
uint64_t t_run_until_each (pid_t pid, int fd, uint64_t deadline,
                           uint64_t after_ready, uint64_t dflt,
                           uint64_t *count,
                           void (*each) (uint64_t v, void *arg), void *arg);

/* The kill moments of a crash test's rounds, which adapt to a slow
   writer (under valgrind, say): after T_PACE_SLOW rounds in a row whose
   writer reported no commit, both delays double, up to 64 times.
   Start with { 1, 0, 0, 0 }.  */
#define T_PACE_SLOW 16
struct t_pace
{
  uint64_t scale, early_run;
  uint64_t reported;            /* values writers reported, all rounds */
  uint64_t early;               /* rounds whose writer reported none */
};

/* One round of a crash-test driver that never calls the library
   itself (t_pace_round).  A writer child runs WRITER (ARG) and is read
   by t_run_until: SIGKILLed DELAY microseconds after its fork, or
   AFTER_READY after T_READY; its last value (or DFLT) goes to *LAST
   and their number to COUNT before the verifier is forked, so LAST may
   point into ARG.  The writer must have died of SIGKILL.  Then a
   verifier child runs VERIFIER (ARG), is read until it exits, and must
   exit 0 having sent a value, its last in GOT.  Each child gets a new
   pipe in FD (which ARG holds, so that the children see it), writes on
   FD[1] and closes FD[0].  A writer that ended otherwise is noted
   ("round ROUND: writer ended with ..., not SIGKILL"); how the failing
   child ended (t_wait's text) is in WHY for the caller's note.  */
struct t_round
{
  int round;                    /* its number, for messages */
  int *fd;                      /* the pipe: int[2] */
  int (*writer) (void *);
  int (*verifier) (void *);
  void *arg;
  uint64_t delay;               /* kill the writer after this many us */
  uint64_t after_ready;         /* or this many after it is ready */
  uint64_t dflt;                /* the value reported before any */
  uint64_t *last;               /* the writer's last value, stored
                                   before the verifier forks */
  uint64_t count;               /* values the writer reported */
  uint64_t got;                 /* the verifier's last value */
  char why[64];                 /* how the failing child ended */
};
enum { T_ROUND_OK, T_ROUND_WRITER, T_ROUND_VERIFIER };
/* Run round R with delays drawn from *RS at P's scale (the kill delay
   below MAX_DELAY, and in three rounds in four a delay after ready
   below READY_DELAY) and count it in P unless its writer ended badly:
   T_ROUND_OK, or which child ended badly.  */
int t_pace_round (struct t_pace *p, uint64_t *rs, uint64_t max_delay,
                  uint64_t ready_delay, struct t_round *r);

/* A small deterministic generator (xorshift64*), for reproducible
   random choices; the seed is printed by t_seed.  */
uint64_t t_rand (uint64_t *state);
uint64_t t_seed (const char *what);
/* A 64-bit mixing function (splitmix64's finalizer): a deterministic
   value from a seed and an index, for workloads a verifier replays.  */
uint64_t t_mix (uint64_t x);
/* Microseconds of the wall clock, for the times tests print.  */
uint64_t t_now_usec (void);
/* Sleep USEC microseconds, through signals.  */
void t_sleep_usec (long usec);

#endif
