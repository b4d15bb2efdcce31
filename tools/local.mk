## tools/local.mk -- the lrvm command.

bin_PROGRAMS += tools/lrvm
tools_lrvm_SOURCES = tools/lrvm.c tools/inspect.c tools/tool.h
# The tool reads the log below the public API (the scan, the header
# slots), so it links the library with its internal symbols.
tools_lrvm_LDADD = lib/liblrvm-core.la $(PTHREAD_LIBS)
