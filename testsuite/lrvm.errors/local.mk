## testsuite/lrvm.errors/local.mk
