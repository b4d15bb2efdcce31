## testsuite/lrvm.damage/local.mk -- damaged logs and segment files.

check_PROGRAMS += testsuite/lrvm.damage/damage
testsuite_lrvm_damage_damage_SOURCES = testsuite/lrvm.damage/damage.c
testsuite_lrvm_damage_damage_CPPFLAGS = $(TEST_CPPFLAGS)
testsuite_lrvm_damage_damage_LDADD = $(CORE_TESTLIBS)

EXTRA_DIST += testsuite/lrvm.damage/damage.exp
