## testsuite/lrvm.powerloss/local.mk -- power loss simulated below the
## library: the plshim LD_PRELOAD module, the workload it crashes, and
## the driver that sweeps the crash point.

# A shared module though it is never installed: -rpath makes libtool
# build one.  DLSYM_LIBS is the library dlsym needs where libc lacks it
# (glibc before 2.34), if configure looked for one; without it there,
# the shim does not load and the tests are unsupported.
check_LTLIBRARIES += testsuite/lrvm.powerloss/plshim.la
testsuite_lrvm_powerloss_plshim_la_SOURCES = \
	testsuite/lrvm.powerloss/plshim.c
testsuite_lrvm_powerloss_plshim_la_LDFLAGS = -module -avoid-version \
	-rpath /nowhere
testsuite_lrvm_powerloss_plshim_la_LIBADD = $(DLSYM_LIBS) $(PTHREAD_LIBS)

# Real executables (-no-install), so that the shim is preloaded into
# the workload itself and not into a libtool wrapper script.
check_PROGRAMS += testsuite/lrvm.powerloss/plworkload
testsuite_lrvm_powerloss_plworkload_SOURCES = \
	testsuite/lrvm.powerloss/plworkload.c
testsuite_lrvm_powerloss_plworkload_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_powerloss_plworkload_LDADD = $(TESTLIBS)
testsuite_lrvm_powerloss_plworkload_LDFLAGS = -no-install

check_PROGRAMS += testsuite/lrvm.powerloss/powerloss
testsuite_lrvm_powerloss_powerloss_SOURCES = \
	testsuite/lrvm.powerloss/powerloss.c
testsuite_lrvm_powerloss_powerloss_CPPFLAGS = $(TEST_CPPFLAGS) \
	-DPL_BUILDDIR='"$(abs_top_builddir)/testsuite/lrvm.powerloss"'
testsuite_lrvm_powerloss_powerloss_LDADD = testsuite/libtestlib.la
testsuite_lrvm_powerloss_powerloss_LDFLAGS = -no-install

EXTRA_DIST += testsuite/lrvm.powerloss/powerloss.exp
