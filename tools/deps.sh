#!/usr/bin/env bash
# Install what triaged needs to build, test and run, from Debian's
# packages, if anything is missing.  Safe to run again.
set -eu
pkgs="build-essential cmake pkg-config libevent-dev libhiredis-dev
      libyaml-dev libcmocka-dev libsystemd-dev redis-server redis-tools
      tzdata curl python3 systemd clang libclang-rt-dev
      dpkg-dev groff-base bash-completion prometheus
      libcurl4-openssl-dev libjansson-dev libcsv-dev openssl
      prometheus-alertmanager chromium fonts-wqy-zenhei libfaketime"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
