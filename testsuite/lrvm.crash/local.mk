## testsuite/lrvm.crash/local.mk
