## testsuite/lrvm.powerloss/local.mk
