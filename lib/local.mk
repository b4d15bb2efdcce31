## lib/local.mk -- liblrvm.

include_HEADERS += include/lrvm.h include/rvm.h

# All of the library, with its internal symbols visible: the shared and
# static liblrvm are made from it, and so are the tool and the tests
# that reach below the public API.
noinst_LTLIBRARIES += lib/liblrvm-core.la
lib_liblrvm_core_la_SOURCES = \
	lib/lrvm-internal.h lib/format.h \
	lib/apply.c lib/classic.c lib/clock.c lib/crc32c.c lib/error.c \
	lib/failpoint.c \
	lib/format.c lib/io.c lib/lock.c lib/log.c lib/recover.c \
	lib/segment.c lib/store.c lib/sync.c lib/trans.c lib/truncate.c
lib_liblrvm_core_la_CPPFLAGS = $(AM_CPPFLAGS) -DLRVM_BUILDING
lib_liblrvm_core_la_CFLAGS = $(AM_CFLAGS) $(VISIBILITY_CFLAGS)
lib_liblrvm_core_la_LIBADD = $(LIB_FDATASYNC) $(PTHREAD_LIBS)

lib_LTLIBRARIES += lib/liblrvm.la
lib_liblrvm_la_SOURCES =
nodist_EXTRA_lib_liblrvm_la_SOURCES = dummy.c
lib_liblrvm_la_LIBADD = lib/liblrvm-core.la
lib_liblrvm_la_LDFLAGS = -version-info $(LRVM_LT_VERSION) -no-undefined
if HAVE_VERSION_SCRIPT
lib_liblrvm_la_LDFLAGS += -Wl,--version-script=$(top_srcdir)/lib/liblrvm.map
endif
EXTRA_lib_liblrvm_la_DEPENDENCIES = $(top_srcdir)/lib/liblrvm.map
EXTRA_DIST += lib/liblrvm.map
