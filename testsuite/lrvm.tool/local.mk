## testsuite/lrvm.tool/local.mk
