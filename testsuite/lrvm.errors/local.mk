## testsuite/lrvm.errors/local.mk -- bad input: every misuse of the
## classic and full API, and of the store directory, fails cleanly.

check_PROGRAMS += testsuite/lrvm.errors/classic-misuse \
	testsuite/lrvm.errors/api-misuse \
	testsuite/lrvm.errors/store-misuse \
	testsuite/lrvm.errors/truncate-active \
	testsuite/lrvm.errors/messages

testsuite_lrvm_errors_classic_misuse_SOURCES = \
	testsuite/lrvm.errors/classic-misuse.c
testsuite_lrvm_errors_classic_misuse_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_errors_classic_misuse_LDADD = $(TESTLIBS)

testsuite_lrvm_errors_api_misuse_SOURCES = \
	testsuite/lrvm.errors/api-misuse.c
testsuite_lrvm_errors_api_misuse_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_errors_api_misuse_LDADD = $(TESTLIBS)

testsuite_lrvm_errors_store_misuse_SOURCES = \
	testsuite/lrvm.errors/store-misuse.c
testsuite_lrvm_errors_store_misuse_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_errors_store_misuse_LDADD = $(TESTLIBS)

testsuite_lrvm_errors_truncate_active_SOURCES = \
	testsuite/lrvm.errors/truncate-active.c
testsuite_lrvm_errors_truncate_active_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_errors_truncate_active_LDADD = $(TESTLIBS)

testsuite_lrvm_errors_messages_SOURCES = \
	testsuite/lrvm.errors/messages.c
testsuite_lrvm_errors_messages_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_errors_messages_LDADD = $(TESTLIBS)

EXTRA_DIST += testsuite/lrvm.errors/classic-misuse.exp \
	testsuite/lrvm.errors/api-misuse.exp \
	testsuite/lrvm.errors/store-misuse.exp \
	testsuite/lrvm.errors/truncate-active.exp \
	testsuite/lrvm.errors/messages.exp
