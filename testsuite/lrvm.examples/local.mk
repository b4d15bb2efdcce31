## testsuite/lrvm.examples/local.mk -- the example programs, run as a
## user runs them, with their results checked.

check_PROGRAMS += testsuite/lrvm.examples/examples
testsuite_lrvm_examples_examples_SOURCES = testsuite/lrvm.examples/examples.c
testsuite_lrvm_examples_examples_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_examples_examples_LDADD = testsuite/libtestlib.la

# The tests run the examples: build them first.
EXTRA_testsuite_lrvm_examples_examples_DEPENDENCIES = \
	examples/counter$(EXEEXT) examples/list$(EXEEXT) examples/bank$(EXEEXT)

EXTRA_DIST += testsuite/lrvm.examples/counter.exp \
	testsuite/lrvm.examples/list.exp testsuite/lrvm.examples/bank.exp
