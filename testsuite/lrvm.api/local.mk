## testsuite/lrvm.api/local.mk -- the classic and full API.

check_PROGRAMS += testsuite/lrvm.api/classic
testsuite_lrvm_api_classic_SOURCES = testsuite/lrvm.api/classic.c
testsuite_lrvm_api_classic_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_api_classic_LDADD = $(TESTLIBS)

EXTRA_DIST += testsuite/lrvm.api/classic.exp
