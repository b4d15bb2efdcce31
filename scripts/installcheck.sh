#!/bin/sh
# installcheck.sh -- check an installed lrvm as its users meet it: the
# pkg-config module, a program built with it against the shared and the
# static library, the lrvm tool, the info manual and a manual page for
# every function <lrvm.h> declares.  Run by make installcheck (and so by
# make distcheck), which passes the installation directories in the
# environment:
#   srcdir VERSION CC CFLAGS PKG_CONFIG SHLIBPATH_VAR EXEEXT LIBS_PRIVATE
#   bindir libdir includedir pkgconfigdir infodir man1dir man3dir
# Prints a PASS or FAIL line per check; exits 1 if any failed.

set -u
: "${SHLIBPATH_VAR:=LD_LIBRARY_PATH}" "${LIBS_PRIVATE=}" "${EXEEXT=}"
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lrvm-installcheck.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

pass () { echo "PASS: $*"; }
failed () { echo "FAIL: $*"; fail=1; }
note () { echo "      $*"; }
# FAIL with the message $1, and the file $2 indented under it.
failed_log () { failed "$1"; sed 's/^/      /' "$2"; }

# The pkg-config module, found where make install put it.
PKG_CONFIG_PATH=$pkgconfigdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH
have_pc=no
if [ -n "$PKG_CONFIG" ] && command -v "$PKG_CONFIG" >/dev/null 2>&1; then
  have_pc=yes
  v=$("$PKG_CONFIG" --modversion lrvm 2>&1)
  if [ "$v" = "$VERSION" ]; then
    pass "pkg-config finds lrvm $v"
  else
    failed "pkg-config --modversion lrvm: $v (expected $VERSION)"
  fi
  cflags=$("$PKG_CONFIG" --cflags lrvm)
  libs=$("$PKG_CONFIG" --libs lrvm)
  static_libs=$("$PKG_CONFIG" --static --libs lrvm)
else
  note "pkg-config not found: building with -I and -L instead"
  cflags="-I$includedir"
  libs="-L$libdir -llrvm"
  static_libs="$libs $LIBS_PRIVATE"
fi

# Build the program twice, run each build twice: one process commits
# with the classic API and exits without closing, a fresh one recovers
# the store and reads the value back with the full API.
run_build () {
  kind=$1 prog=$2
  store=$tmp/store-$kind
  value="installed $kind library, $$"
  if ! env "$SHLIBPATH_VAR=$libdir" "$prog" write "$store" "$value"; then
    failed "$kind library: a commit with the classic API"
    return
  fi
  got=$(env "$SHLIBPATH_VAR=$libdir" "$prog" read "$store")
  if [ "$got" = "$value" ]; then
    pass "$kind library: the commit recovered by a fresh process"
  else
    failed "$kind library: read \"$got\", expected \"$value\""
  fi
}

src=$srcdir/scripts/installcheck.c
# Build the program as $1, with $cflags (a word list), linked with the
# rest of the arguments; the compiler's messages go to $tmp/cc.log.
build () {
  out=$1
  shift
  $CC $CFLAGS $cflags -DPACKAGE_VERSION="\"$VERSION\"" -o "$out" "$src" \
    "$@" 2>"$tmp/cc.log"
}

shared=$tmp/shared$EXEEXT
# What -llrvm finds: the shared library, unless none was installed.
kind=shared
have_so=no
for f in "$libdir"/liblrvm.so* "$libdir"/liblrvm*.dylib "$libdir"/liblrvm.sl; do
  [ -e "$f" ] && have_so=yes
done
if [ "$have_so" = no ]; then
  note "no shared library in $libdir (--disable-shared): -llrvm is"
  note "liblrvm.a, linked with pkg-config --static --libs"
  kind=-llrvm
  libs=$static_libs
fi
# $libs is a word list.
if build "$shared" $libs; then
  pass "a program builds with <rvm.h> and <lrvm.h> and links -llrvm"
  run_build "$kind" "$shared"
else
  failed_log "a program does not build against the installed library:" \
    "$tmp/cc.log"
fi

if [ -f "$libdir/liblrvm.a" ]; then
  static=$tmp/static$EXEEXT
  # The archive by its path, so that the shared library cannot stand in
  # for it, and the libraries it needs from Libs.private.
  others=
  for w in $static_libs; do
    case $w in
      -llrvm) ;;
      *) others="$others $w" ;;
    esac
  done
  if build "$static" "$libdir/liblrvm.a" $others; then
    pass "a program links liblrvm.a and the libraries it needs"
    run_build static "$static"
  else
    failed_log "a program does not link liblrvm.a:" "$tmp/cc.log"
  fi
else
  note "no $libdir/liblrvm.a (configured with --disable-static)"
fi

# A C++ program sees the declarations with C linkage.  configure does
# not look for a C++ compiler: $CXX, or c++ where there is one.
cxx=${CXX:-c++}
if command -v "$cxx" >/dev/null 2>&1; then
  cat >"$tmp/cxx.cc" <<'EOF'
#include <rvm.h>
#include <cstdio>
int main () { std::printf ("%s\n", rvm_strerror (RVM_EBUSY)); return 0; }
EOF
  if "$cxx" $cflags -o "$tmp/cxx$EXEEXT" "$tmp/cxx.cc" $libs \
       2>"$tmp/cc.log" \
     && env "$SHLIBPATH_VAR=$libdir" "$tmp/cxx$EXEEXT" >"$tmp/cxx.out" \
     && [ -s "$tmp/cxx.out" ]; then
    pass "a C++ program includes <rvm.h> and links -llrvm"
  else
    failed_log "a C++ program with <rvm.h>:" "$tmp/cc.log"
  fi
else
  note "no C++ compiler ($cxx): the header's C linkage not checked"
fi

# The tool, on the store the shared build left.
tool=$bindir/lrvm$EXEEXT
v=$(env "$SHLIBPATH_VAR=$libdir" "$tool" --version 2>&1 | sed 1q)
case $v in
  *" $VERSION") pass "lrvm --version: $v" ;;
  *) failed "lrvm --version: $v (expected version $VERSION)" ;;
esac
if [ -d "$tmp/store-$kind" ]; then
  if env "$SHLIBPATH_VAR=$libdir" "$tool" verify "$tmp/store-$kind" \
       >"$tmp/verify.log" 2>&1; then
    pass "lrvm verify accepts the store the program left"
  else
    failed_log "lrvm verify:" "$tmp/verify.log"
  fi
fi

# The manuals: the info manual, lrvm(1), lrvm(3), and a page for every
# function of the installed header.
for f in "$infodir/lrvm.info" "$man1dir/lrvm.1" "$man3dir/lrvm.3"; do
  if [ -f "$f" ]; then pass "installed: $f"; else failed "missing: $f"; fi
done
funcs=$(sed -n 's/^LRVM_EXTERN .*[ *]\(rvm_[a-z_]*\) *(.*/\1/p' \
          "$includedir/lrvm.h")
n=0
missing=
for f in $funcs; do
  n=$((n + 1))
  [ -f "$man3dir/$f.3" ] || missing="$missing $f"
done
if [ "$n" -lt 20 ]; then
  failed "only $n functions found in $includedir/lrvm.h"
elif [ -n "$missing" ]; then
  failed "no manual page in $man3dir for:$missing"
else
  pass "a manual page in $man3dir for each of the $n functions"
fi

exit $fail
