# lrvm-sync.m4 -- how to make data durable, and how to lock a store.
#
# LRVM_CHECK_SYNC detects fsync, fdatasync (and whether it is declared;
# it may live in -lrt or -lposix4), O_DSYNC, O_SYNC, F_FULLFSYNC,
# posix_fallocate, flock and open-file-description locks, and chooses
# the flush call (--with-sync overrides) and whether single writes can
# be made durable alone (LRVM_RANGE_DURABLE).  Results go to config.h as
# HAVE_* and LRVM_SYNC_*; lib/sync.c and lib/lock.c turn them into code.

AC_DEFUN([LRVM_CHECK_SYNC],
[
  AC_CHECK_FUNCS([fsync posix_fallocate flock])
  AC_CHECK_DECLS([fdatasync], [], [], [[#include <unistd.h>]])
  AC_CHECK_DECLS([O_DSYNC, O_SYNC, F_FULLFSYNC, F_OFD_SETLK],
                 [], [], [[#include <fcntl.h>]])

  # Link fdatasync only where it is declared; find its library with
  # LIBS saved and restored, and substitute it as LIB_FDATASYNC.
  LIB_FDATASYNC=
  lrvm_have_fdatasync=no
  AS_IF([test "x$ac_cv_have_decl_fdatasync" = xyes],
    [lrvm_save_LIBS=$LIBS
     AC_SEARCH_LIBS([fdatasync], [rt posix4],
       [lrvm_have_fdatasync=yes
        AS_CASE([$ac_cv_search_fdatasync],
          ["none required"], [],
          [LIB_FDATASYNC=$ac_cv_search_fdatasync])])
     LIBS=$lrvm_save_LIBS])
  AC_SUBST([LIB_FDATASYNC])

  AC_ARG_WITH([sync],
    [AS_HELP_STRING([--with-sync=METHOD],
      [flush call for durable commits: auto (default), fdatasync,
       fsync or fullfsync])],
    [lrvm_sync_method=$withval], [lrvm_sync_method=auto])

  AC_MSG_CHECKING([the flush call for durable commits])
  AS_CASE([$lrvm_sync_method],
    [auto],
      [AS_IF([test "x$ac_cv_have_decl_F_FULLFSYNC" = xyes],
             [lrvm_sync_method=fullfsync],
             [test "x$lrvm_have_fdatasync" = xyes],
             [lrvm_sync_method=fdatasync],
             [lrvm_sync_method=fsync])],
    [fdatasync],
      [AS_IF([test "x$lrvm_have_fdatasync" != xyes],
        [AC_MSG_ERROR([--with-sync=fdatasync, but fdatasync is not available])])],
    [fullfsync],
      [AS_IF([test "x$ac_cv_have_decl_F_FULLFSYNC" != xyes],
        [AC_MSG_ERROR([--with-sync=fullfsync, but F_FULLFSYNC is not declared])])],
    [fsync], [],
    [AC_MSG_ERROR([--with-sync: unknown method '$lrvm_sync_method'])])
  AC_MSG_RESULT([$lrvm_sync_method])
  AS_IF([test "x$ac_cv_func_fsync" != xyes && test "x$lrvm_sync_method" != xfdatasync],
    [AC_MSG_ERROR([fsync is required])])
  AS_CASE([$lrvm_sync_method],
    [fullfsync], [AC_DEFINE([LRVM_SYNC_FULLFSYNC], [1],
                   [Define to flush with fcntl (F_FULLFSYNC).])],
    [fdatasync], [AC_DEFINE([LRVM_SYNC_FDATASYNC], [1],
                   [Define to flush with fdatasync.])],
    [AC_DEFINE([LRVM_SYNC_FSYNC], [1], [Define to flush with fsync.])])

  AC_MSG_CHECKING([the open flag of the O_DSYNC flush mode])
  AS_IF([test "x$ac_cv_have_decl_O_DSYNC" = xyes], [lrvm_dsync_flag=O_DSYNC],
        [test "x$ac_cv_have_decl_O_SYNC" = xyes], [lrvm_dsync_flag=O_SYNC],
        [lrvm_dsync_flag=none])
  AC_MSG_RESULT([$lrvm_dsync_flag])

  # A write through a descriptor opened with that flag is durable when it
  # returns, and makes nothing else of the file durable: the library
  # writes log headers and checkpoints that way.  Not with F_FULLFSYNC,
  # the only way to reach stable storage where it exists; not without a
  # flag.  Then headers are written and the whole log flushed, and
  # truncation never writes a checkpoint.
  AC_MSG_CHECKING([whether single writes can be made durable alone])
  AS_IF([test "x$lrvm_sync_method" != xfullfsync &&
         test "x$lrvm_dsync_flag" != xnone],
    [lrvm_range_durable=yes
     AC_DEFINE([LRVM_RANGE_DURABLE], [1],
       [Define to 1 if a write through a descriptor opened with the
        O_DSYNC mode flag is durable alone (log headers, checkpoints).])],
    [lrvm_range_durable=no])
  AC_MSG_RESULT([$lrvm_range_durable])

  AC_MSG_CHECKING([how to lock a store])
  AS_IF([test "x$ac_cv_func_flock" = xyes], [lrvm_lock_method=flock],
        [test "x$ac_cv_have_decl_F_OFD_SETLK" = xyes], [lrvm_lock_method=ofd],
        [lrvm_lock_method=fcntl])
  AC_MSG_RESULT([$lrvm_lock_method])
  AS_CASE([$lrvm_lock_method],
    [flock], [AC_DEFINE([LRVM_LOCK_FLOCK], [1], [Define to lock with flock.])],
    [ofd], [AC_DEFINE([LRVM_LOCK_OFD], [1],
             [Define to lock with open-file-description locks.])],
    [AC_DEFINE([LRVM_LOCK_FCNTL], [1], [Define to lock with fcntl locks.])])
])
