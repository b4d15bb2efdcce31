## testsuite/lrvm.fuzz/local.mk -- the log parsers under libFuzzer, the
## fuzz corpus as a regression test, and the suite under valgrind.

# The corpus replay: every file of the corpus through the fuzz target's
# checks, built like any test program, so that the corpus is a
# regression test wherever the suite runs.
check_PROGRAMS += testsuite/lrvm.fuzz/replay
testsuite_lrvm_fuzz_replay_SOURCES = testsuite/lrvm.fuzz/replay.c \
	testsuite/lrvm.fuzz/logcheck.c testsuite/lrvm.fuzz/logcheck.h
testsuite_lrvm_fuzz_replay_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_fuzz_replay_LDADD = $(CORE_TESTLIBS)

# The generator of the seed corpus and of its expectations; built on
# demand only (see mkcorpus.c).
EXTRA_PROGRAMS = testsuite/lrvm.fuzz/mkcorpus
testsuite_lrvm_fuzz_mkcorpus_SOURCES = testsuite/lrvm.fuzz/mkcorpus.c
testsuite_lrvm_fuzz_mkcorpus_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_fuzz_mkcorpus_LDADD = $(CORE_TESTLIBS)

# The libFuzzer target, built by FUZZ_CC whatever CC is: the library's
# own sources compiled into it with AddressSanitizer and
# UndefinedBehaviorSanitizer, and a scan window small enough for its
# inputs to cross.
FUZZ_LOG_SRC = testsuite/lrvm.fuzz/fuzz-log.c \
	testsuite/lrvm.fuzz/logcheck.c \
	$(filter %.c,$(lib_liblrvm_core_la_SOURCES))
FUZZ_LOG_DEPS = $(FUZZ_LOG_SRC:%=$(srcdir)/%) \
	$(srcdir)/testsuite/lrvm.fuzz/logcheck.h $(srcdir)/lib/format.h \
	$(srcdir)/lib/lrvm-internal.h $(srcdir)/include/lrvm.h config.h
if HAVE_FUZZER
check_SCRIPTS = testsuite/lrvm.fuzz/fuzz-log
endif
testsuite/lrvm.fuzz/fuzz-log: $(FUZZ_LOG_DEPS)
	@$(MKDIR_P) testsuite/lrvm.fuzz
	$(AM_V_CCLD)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=all -fno-omit-frame-pointer $(FUZZ_CFLAGS) \
	  $(WARN_CFLAGS) $(DEFS) -DLRVM_BUILDING -DLRVM_SCAN_WINDOW=256 \
	  $(AM_CPPFLAGS) -I$(srcdir)/testsuite/lrvm.fuzz $(CPPFLAGS) \
	  $(PTHREAD_CFLAGS) -o $@ $(FUZZ_LOG_SRC:%=$(srcdir)/%) \
	  $(LIB_FDATASYNC) $(PTHREAD_LIBS)

# Run the fuzzer by hand, for as long as you like (seconds), keeping
# what it finds in testsuite/lrvm.fuzz/found; LRVM_FUZZ_RECOVERY=1 in
# the environment recovers every input as a store's log too.
FUZZ_TIME = 600
fuzz: testsuite/lrvm.fuzz/fuzz-log
	@$(MKDIR_P) testsuite/lrvm.fuzz/found
	testsuite/lrvm.fuzz/fuzz-log -max_total_time=$(FUZZ_TIME) \
	  -max_len=16384 -timeout=10 -print_final_stats=1 \
	  -artifact_prefix=testsuite/lrvm.fuzz/ testsuite/lrvm.fuzz/found \
	  $(srcdir)/testsuite/lrvm.fuzz/corpus

FUZZ_CORPUS = \
	testsuite/lrvm.fuzz/corpus/bad-slots \
	testsuite/lrvm.fuzz/corpus/ckpt-head-newer-epoch \
	testsuite/lrvm.fuzz/corpus/empty \
	testsuite/lrvm.fuzz/corpus/future-version \
	testsuite/lrvm.fuzz/corpus/multi \
	testsuite/lrvm.fuzz/corpus/newest-slot-bad \
	testsuite/lrvm.fuzz/corpus/reused \
	testsuite/lrvm.fuzz/corpus/stale-epoch \
	testsuite/lrvm.fuzz/corpus/three \
	testsuite/lrvm.fuzz/corpus/torn \
	testsuite/lrvm.fuzz/corpus/torn-zeros

EXTRA_DIST += testsuite/lrvm.fuzz/fuzz.exp testsuite/lrvm.fuzz/replay.exp \
	testsuite/lrvm.fuzz/fuzz-log.c testsuite/lrvm.fuzz/expected \
	$(FUZZ_CORPUS)
CLEANFILES += testsuite/lrvm.fuzz/fuzz-log \
	testsuite/lrvm.fuzz/mkcorpus$(EXEEXT)

# make check-valgrind: the whole suite with every test program run by
# valgrind's memcheck (through libtool, which finds the real program
# behind a wrapper script).  An error or a definite leak makes the
# program exit 99, which the suite reports as a FAIL.  LRVM_TEST_QUICK
# asks long tests for fewer rounds.  valgrind runs one thread at a time;
# --fair-sched=try hands its lock round in turn, where the default can
# let threads that commit in a tight loop starve the one that truncates
# (a run of lrvm.api/threads once went past its 600 s timeout with the
# default).
VALGRIND = valgrind
VALGRIND_FLAGS = --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --trace-children=no \
	--fair-sched=try -q
check-valgrind:
	LRVM_TEST_WRAPPER="$(SHELL) $(abs_top_builddir)/libtool --mode=execute $(VALGRIND) $(VALGRIND_FLAGS)" \
	LRVM_TEST_QUICK=1 $(MAKE) $(AM_MAKEFLAGS) check

.PHONY: fuzz check-valgrind
