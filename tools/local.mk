## tools/local.mk
