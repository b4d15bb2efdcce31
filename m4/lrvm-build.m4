# lrvm-build.m4 -- compiler and linker checks for lrvm: threads,
# symbol visibility and version scripts, warning flags.

# LRVM_CHECK_PTHREAD: find how to build with POSIX threads; sets
# PTHREAD_CFLAGS and PTHREAD_LIBS and adds them to CFLAGS and LIBS.
# Also defines HAVE_SCHED_YIELD, its library in PTHREAD_LIBS.
AC_DEFUN([LRVM_CHECK_PTHREAD],
[
  AC_CACHE_CHECK([whether $CC accepts -pthread], [lrvm_cv_pthread_flag],
    [lrvm_save_CFLAGS=$CFLAGS
     CFLAGS="$CFLAGS -pthread"
     AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <pthread.h>]],
         [[pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
           return pthread_mutex_lock (&m);]])],
       [lrvm_cv_pthread_flag=yes], [lrvm_cv_pthread_flag=no])
     CFLAGS=$lrvm_save_CFLAGS])
  PTHREAD_CFLAGS=
  PTHREAD_LIBS=
  AS_IF([test "x$lrvm_cv_pthread_flag" = xyes],
    [PTHREAD_CFLAGS=-pthread PTHREAD_LIBS=-pthread],
    [AC_SEARCH_LIBS([pthread_create], [pthread], [],
       [AC_MSG_ERROR([POSIX threads are required])])
     AS_CASE([$ac_cv_search_pthread_create],
       ["none required"], [], [PTHREAD_LIBS=$ac_cv_search_pthread_create])])
  # sched_yield, for a thread that finds a mutex taken
  # (lrvm__mutex_wait): in the C library, or in -lrt or -lposix4 on
  # older systems, which then go with the thread libraries.
  lrvm_save_LIBS=$LIBS
  AC_SEARCH_LIBS([sched_yield], [rt posix4],
    [AC_DEFINE([HAVE_SCHED_YIELD], [1],
       [Define to 1 if you have the `sched_yield' function.])
     AS_CASE([$ac_cv_search_sched_yield],
       ["none required"], [],
       [PTHREAD_LIBS="$PTHREAD_LIBS $ac_cv_search_sched_yield"])])
  LIBS=$lrvm_save_LIBS
  CFLAGS="$CFLAGS $PTHREAD_CFLAGS"
  AC_SUBST([PTHREAD_CFLAGS])
  AC_SUBST([PTHREAD_LIBS])
])

# LRVM_CHECK_VISIBILITY: -fvisibility=hidden and a linker version
# script, so that only the public API is exported.
AC_DEFUN([LRVM_CHECK_VISIBILITY],
[
  AC_CACHE_CHECK([whether $CC accepts -fvisibility=hidden],
    [lrvm_cv_visibility],
    [lrvm_save_CFLAGS=$CFLAGS
     CFLAGS="$CFLAGS -fvisibility=hidden -Werror"
     AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[
extern __attribute__ ((__visibility__ ("default"))) int f (void);
int f (void) { return 0; }]], [[]])],
       [lrvm_cv_visibility=yes], [lrvm_cv_visibility=no])
     CFLAGS=$lrvm_save_CFLAGS])
  VISIBILITY_CFLAGS=
  AS_IF([test "x$lrvm_cv_visibility" = xyes],
    [VISIBILITY_CFLAGS=-fvisibility=hidden])
  AC_SUBST([VISIBILITY_CFLAGS])

  AC_CACHE_CHECK([whether the linker accepts a version script],
    [lrvm_cv_version_script],
    [cat > conftest.map <<_LRVM_EOF
VERS_1 { global: sym; local: *; };
_LRVM_EOF
     lrvm_save_LDFLAGS=$LDFLAGS
     LDFLAGS="$LDFLAGS -Wl,--version-script=conftest.map"
     AC_LINK_IFELSE([AC_LANG_PROGRAM([[int sym;]], [[]])],
       [lrvm_cv_version_script=yes], [lrvm_cv_version_script=no])
     LDFLAGS=$lrvm_save_LDFLAGS
     rm -f conftest.map])
  AM_CONDITIONAL([HAVE_VERSION_SCRIPT],
                 [test "x$lrvm_cv_version_script" = xyes])
])

# LRVM_CHECK_WARNINGS: the warning flags the library is built with.
AC_DEFUN([LRVM_CHECK_WARNINGS],
[
  WARN_CFLAGS=
  AS_IF([test "x$GCC" = xyes],
    [WARN_CFLAGS="-Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes"])
  AC_SUBST([WARN_CFLAGS])
])
