#!/bin/sh
# setup-debian.sh -- install the packages lrvm needs to build, test and
# document itself on Debian or Ubuntu, if any is missing.
set -e
pkgs="build-essential autoconf automake libtool pkg-config dejagnu texinfo install-info"
[ -n "$LRVM_EXTRA_PACKAGES" ] && pkgs="$pkgs $LRVM_EXTRA_PACKAGES"
missing=
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
    || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi
echo "installing:$missing"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
