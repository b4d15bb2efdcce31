## examples/local.mk -- example programs, and make demo.

noinst_PROGRAMS += examples/bank
examples_bank_SOURCES = examples/bank.c
examples_bank_LDADD = lib/liblrvm.la

# make demo: a writer commits bank transfers and kills itself in the
# middle of one, five times over; each time the store is recovered and
# checked.
.PHONY: demo
demo: examples/bank$(EXEEXT)
	rm -rf demo-store
	./examples/bank$(EXEEXT) demo-store 5
	rm -rf demo-store
