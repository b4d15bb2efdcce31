## testsuite/lrvm.tool/local.mk -- the lrvm command, run as a user
## would run it against stores built through the library.

check_LTLIBRARIES += testsuite/lrvm.tool/libtoolrun.la
testsuite_lrvm_tool_libtoolrun_la_SOURCES = testsuite/lrvm.tool/toolrun.c \
	testsuite/lrvm.tool/toolrun.h
testsuite_lrvm_tool_libtoolrun_la_CPPFLAGS = $(TEST_CPPFLAGS)

check_PROGRAMS += testsuite/lrvm.tool/reading testsuite/lrvm.tool/commands
testsuite_lrvm_tool_reading_SOURCES = testsuite/lrvm.tool/reading.c
testsuite_lrvm_tool_reading_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_tool_reading_LDADD = testsuite/lrvm.tool/libtoolrun.la \
	$(CORE_TESTLIBS)
testsuite_lrvm_tool_commands_SOURCES = testsuite/lrvm.tool/commands.c
testsuite_lrvm_tool_commands_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_tool_commands_LDADD = testsuite/lrvm.tool/libtoolrun.la \
	$(CORE_TESTLIBS)

# The tests run the tool itself: build it before them.
EXTRA_testsuite_lrvm_tool_reading_DEPENDENCIES = tools/lrvm$(EXEEXT)
EXTRA_testsuite_lrvm_tool_commands_DEPENDENCIES = tools/lrvm$(EXEEXT)

EXTRA_DIST += testsuite/lrvm.tool/reading.exp testsuite/lrvm.tool/commands.exp
