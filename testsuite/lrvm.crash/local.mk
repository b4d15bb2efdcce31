## testsuite/lrvm.crash/local.mk -- writers killed at random moments or
## at named failpoints; fresh processes verify what recovery finds.

check_PROGRAMS += testsuite/lrvm.crash/crashloop
testsuite_lrvm_crash_crashloop_SOURCES = testsuite/lrvm.crash/crashloop.c
testsuite_lrvm_crash_crashloop_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_crash_crashloop_LDADD = $(TESTLIBS)

EXTRA_DIST += testsuite/lrvm.crash/crashloop.exp

check_PROGRAMS += testsuite/lrvm.crash/bank
testsuite_lrvm_crash_bank_SOURCES = testsuite/lrvm.crash/bank.c
testsuite_lrvm_crash_bank_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_crash_bank_LDADD = $(TESTLIBS)

EXTRA_DIST += testsuite/lrvm.crash/bank.exp

check_PROGRAMS += testsuite/lrvm.crash/concurrent
testsuite_lrvm_crash_concurrent_SOURCES = testsuite/lrvm.crash/concurrent.c
testsuite_lrvm_crash_concurrent_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_crash_concurrent_LDADD = $(TESTLIBS)

EXTRA_DIST += testsuite/lrvm.crash/concurrent.exp

check_PROGRAMS += testsuite/lrvm.crash/failpoints
testsuite_lrvm_crash_failpoints_SOURCES = testsuite/lrvm.crash/failpoints.c
testsuite_lrvm_crash_failpoints_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_crash_failpoints_LDADD = $(TESTLIBS)

EXTRA_DIST += testsuite/lrvm.crash/failpoints.exp

check_PROGRAMS += testsuite/lrvm.crash/checkpoint
testsuite_lrvm_crash_checkpoint_SOURCES = testsuite/lrvm.crash/checkpoint.c
testsuite_lrvm_crash_checkpoint_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_crash_checkpoint_LDADD = $(CORE_TESTLIBS)
# It runs the lrvm tool on a store killed after a checkpoint's header.
EXTRA_testsuite_lrvm_crash_checkpoint_DEPENDENCIES = tools/lrvm$(EXEEXT)

EXTRA_DIST += testsuite/lrvm.crash/checkpoint.exp
