## testsuite/lrvm.api/local.mk -- the classic and full API.

check_PROGRAMS += testsuite/lrvm.api/classic
testsuite_lrvm_api_classic_SOURCES = testsuite/lrvm.api/classic.c
testsuite_lrvm_api_classic_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_api_classic_LDADD = $(TESTLIBS)

EXTRA_DIST += testsuite/lrvm.api/classic.exp

check_PROGRAMS += testsuite/lrvm.api/fullapi
testsuite_lrvm_api_fullapi_SOURCES = testsuite/lrvm.api/fullapi.c
testsuite_lrvm_api_fullapi_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_api_fullapi_LDADD = $(TESTLIBS)

EXTRA_DIST += testsuite/lrvm.api/fullapi.exp

check_PROGRAMS += testsuite/lrvm.api/noflush
testsuite_lrvm_api_noflush_SOURCES = testsuite/lrvm.api/noflush.c
testsuite_lrvm_api_noflush_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_api_noflush_LDADD = $(TESTLIBS)

EXTRA_DIST += testsuite/lrvm.api/noflush.exp

check_PROGRAMS += testsuite/lrvm.api/threads
testsuite_lrvm_api_threads_SOURCES = testsuite/lrvm.api/threads.c
testsuite_lrvm_api_threads_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_api_threads_LDADD = $(TESTLIBS)

EXTRA_DIST += testsuite/lrvm.api/threads.exp

check_PROGRAMS += testsuite/lrvm.api/quiesce
testsuite_lrvm_api_quiesce_SOURCES = testsuite/lrvm.api/quiesce.c
testsuite_lrvm_api_quiesce_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_api_quiesce_LDADD = $(TESTLIBS)

EXTRA_DIST += testsuite/lrvm.api/quiesce.exp

check_PROGRAMS += testsuite/lrvm.api/bigseg
testsuite_lrvm_api_bigseg_SOURCES = testsuite/lrvm.api/bigseg.c
testsuite_lrvm_api_bigseg_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_api_bigseg_LDADD = $(TESTLIBS)

EXTRA_DIST += testsuite/lrvm.api/bigseg.exp

check_PROGRAMS += testsuite/lrvm.api/memtrunc
testsuite_lrvm_api_memtrunc_SOURCES = testsuite/lrvm.api/memtrunc.c
testsuite_lrvm_api_memtrunc_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_api_memtrunc_LDADD = $(CORE_TESTLIBS)

EXTRA_DIST += testsuite/lrvm.api/memtrunc.exp

check_PROGRAMS += testsuite/lrvm.api/format
testsuite_lrvm_api_format_SOURCES = testsuite/lrvm.api/format.c \
	testsuite/lrvm.api/format-bytes.c testsuite/lrvm.api/format-bytes.h
testsuite_lrvm_api_format_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_api_format_LDADD = $(CORE_TESTLIBS)

EXTRA_DIST += testsuite/lrvm.api/format.exp

# The time-of-day shim (a module preloaded into a child: -rpath makes
# libtool build it shared) and the program that runs itself under it,
# a real executable (-no-install) so that the shim reaches the program
# and not a wrapper script.
check_LTLIBRARIES += testsuite/lrvm.api/clockshim.la
testsuite_lrvm_api_clockshim_la_SOURCES = testsuite/lrvm.api/clockshim.c
testsuite_lrvm_api_clockshim_la_LDFLAGS = -module -avoid-version \
	-rpath /nowhere
testsuite_lrvm_api_clockshim_la_LIBADD = $(DLSYM_LIBS)

check_PROGRAMS += testsuite/lrvm.api/clockstep
testsuite_lrvm_api_clockstep_SOURCES = testsuite/lrvm.api/clockstep.c
testsuite_lrvm_api_clockstep_CPPFLAGS = $(TEST_CPPFLAGS) \
	-DCLOCK_BUILDDIR='"$(abs_top_builddir)/testsuite/lrvm.api"'
testsuite_lrvm_api_clockstep_LDADD = $(TESTLIBS) $(PTHREAD_LIBS)
testsuite_lrvm_api_clockstep_LDFLAGS = -no-install

EXTRA_DIST += testsuite/lrvm.api/clockstep.exp

check_PROGRAMS += testsuite/lrvm.api/segindex
testsuite_lrvm_api_segindex_SOURCES = testsuite/lrvm.api/segindex.c
testsuite_lrvm_api_segindex_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_api_segindex_LDADD = $(TESTLIBS)

EXTRA_DIST += testsuite/lrvm.api/segindex.exp

check_PROGRAMS += testsuite/lrvm.api/mutex
testsuite_lrvm_api_mutex_SOURCES = testsuite/lrvm.api/mutex.c
testsuite_lrvm_api_mutex_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_api_mutex_LDADD = $(CORE_TESTLIBS)

EXTRA_DIST += testsuite/lrvm.api/mutex.exp

check_PROGRAMS += testsuite/lrvm.api/names
testsuite_lrvm_api_names_SOURCES = testsuite/lrvm.api/names.c
testsuite_lrvm_api_names_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_api_names_LDADD = $(CORE_TESTLIBS)

EXTRA_DIST += testsuite/lrvm.api/names.exp
