## bench/local.mk -- benchmarks, run by make bench (not by make check).

noinst_PROGRAMS += bench/lrvm-bench
bench_lrvm_bench_SOURCES = bench/lrvm-bench.c
bench_lrvm_bench_LDADD = lib/liblrvm.la $(LIB_FDATASYNC) $(PTHREAD_LIBS)
# A real executable in the build tree, not a libtool wrapper script, so
# that perf and strace see the benchmark itself.
bench_lrvm_bench_LDFLAGS = -no-install

# make bench: durable, group and no-flush commit rates beside the
# physical limit of the same machine, and recovery time.  Set
# LRVM_BENCH_DIR to measure another file system; BENCH_FLAGS passes
# options (e.g. BENCH_FLAGS='-t 3 -r 5').
.PHONY: bench
bench: bench/lrvm-bench$(EXEEXT)
	./bench/lrvm-bench$(EXEEXT) $(BENCH_FLAGS)

# make bench-syscalls: count with strace the system calls of a durable
# commit (one pwrite, one flush) and the batches of group commit.
EXTRA_DIST += bench/syscall-check.sh
.PHONY: bench-syscalls
bench-syscalls: bench/lrvm-bench$(EXEEXT)
	$(SHELL) $(srcdir)/bench/syscall-check.sh ./bench/lrvm-bench$(EXEEXT)
