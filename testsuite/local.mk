## testsuite/local.mk -- the DejaGnu suite run by make check.

RUNTESTDEFAULTFLAGS = --tool lrvm --srcdir $$srcdir/testsuite

check_LTLIBRARIES = testsuite/libtestlib.la
testsuite_libtestlib_la_SOURCES = testsuite/lib/testlib.c \
	testsuite/lib/testlib.h testsuite/lib/teststore.c \
	testsuite/lib/teststore.h

# Test programs link the installed-style library and the test helpers.
TESTLIBS = testsuite/libtestlib.la lib/liblrvm.la $(PTHREAD_LIBS)
# Tests that reach below the public API link the internal library.
CORE_TESTLIBS = testsuite/libtestlib.la lib/liblrvm-core.la \
	$(PTHREAD_LIBS)
TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/testsuite/lib

EXTRA_DIST += testsuite/config/default.exp testsuite/lib/lrvm.exp

include testsuite/lrvm.api/local.mk
include testsuite/lrvm.errors/local.mk
include testsuite/lrvm.crash/local.mk
include testsuite/lrvm.powerloss/local.mk
include testsuite/lrvm.tool/local.mk
include testsuite/lrvm.damage/local.mk
include testsuite/lrvm.examples/local.mk
include testsuite/lrvm.fuzz/local.mk

CLEANFILES += lrvm.log lrvm.sum site.exp site.bak
