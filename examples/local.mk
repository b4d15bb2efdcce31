## examples/local.mk -- example programs, and make demo.

# Each example is a real executable in the build tree rather than a
# libtool wrapper script, so that it can be run under a debugger as is.
noinst_PROGRAMS += examples/bank examples/counter examples/list
examples_bank_SOURCES = examples/bank.c
examples_bank_LDADD = lib/liblrvm.la
examples_bank_LDFLAGS = -no-install
examples_counter_SOURCES = examples/counter.c
examples_counter_LDADD = lib/liblrvm.la
examples_counter_LDFLAGS = -no-install
examples_list_SOURCES = examples/list.c
examples_list_LDADD = lib/liblrvm.la
examples_list_LDFLAGS = -no-install

# make demo: a writer commits bank transfers and kills itself in the
# middle of one, five times over; each time the store is recovered and
# checked.
.PHONY: demo
demo: examples/bank$(EXEEXT)
	rm -rf demo-store
	./examples/bank$(EXEEXT) demo-store 5
	rm -rf demo-store
