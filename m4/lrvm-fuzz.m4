# lrvm-fuzz.m4 -- the compiler of the test suite's libFuzzer target,
# apart from CC, so that the library itself can be built by any
# compiler.

# LRVM_CHECK_FUZZER: FUZZ_CC (clang by default) must link a program
# that defines LLVMFuzzerTestOneInput with
# -fsanitize=fuzzer,address,undefined.  Sets the HAVE_FUZZER
# conditional and HAVE_LRVM_FUZZER in config.h.  --disable-fuzzer
# skips the check; --enable-fuzzer makes its failure an error.  Also
# checks for memfd_create, which the parser checks use where it exists.
AC_DEFUN([LRVM_CHECK_FUZZER],
[
  AC_ARG_VAR([FUZZ_CC], [C compiler of the libFuzzer target (clang)])
  AC_ARG_VAR([FUZZ_CFLAGS], [extra flags of the libFuzzer target
    (default: -g -O1)])
  AC_ARG_ENABLE([fuzzer],
    [AS_HELP_STRING([--disable-fuzzer],
      [do not build the libFuzzer target even where clang can])],
    [], [enable_fuzzer=auto])
  AC_CHECK_FUNCS([memfd_create])
  lrvm_fuzzer=no
  AS_IF([test "x$enable_fuzzer" != xno],
    [AC_CHECK_PROGS([FUZZ_CC], [clang], [])
     AS_IF([test -n "$FUZZ_CC"],
       [AC_CACHE_CHECK([whether $FUZZ_CC links a libFuzzer target],
          [lrvm_cv_fuzzer],
          [lrvm_save_CC=$CC lrvm_save_CFLAGS=$CFLAGS
           lrvm_save_LDFLAGS=$LDFLAGS lrvm_save_LIBS=$LIBS
           CC=$FUZZ_CC
           CFLAGS="-fsanitize=fuzzer,address,undefined"
           LDFLAGS= LIBS=
           AC_LINK_IFELSE([AC_LANG_SOURCE([[
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  return size > 0 && data[0] == 'x';
}]])],
             [lrvm_cv_fuzzer=yes], [lrvm_cv_fuzzer=no])
           CC=$lrvm_save_CC CFLAGS=$lrvm_save_CFLAGS
           LDFLAGS=$lrvm_save_LDFLAGS LIBS=$lrvm_save_LIBS])
        lrvm_fuzzer=$lrvm_cv_fuzzer])])
  AS_IF([test "x$enable_fuzzer" = xyes && test "x$lrvm_fuzzer" != xyes],
    [AC_MSG_ERROR([--enable-fuzzer: no compiler links a libFuzzer target; set FUZZ_CC to a clang with its fuzzer runtime])])
  AS_IF([test "x$lrvm_fuzzer" = xyes],
    [AC_DEFINE([HAVE_LRVM_FUZZER], [1],
       [Define to 1 if the test suite builds its libFuzzer target.])])
  AS_IF([test -z "$FUZZ_CFLAGS"], [FUZZ_CFLAGS="-g -O1"])
  AM_CONDITIONAL([HAVE_FUZZER], [test "x$lrvm_fuzzer" = xyes])
])
