#!/usr/bin/env bash
# The systemd unit, checked offline (no running systemd needed): what it
# must say, its exposure score, and what `cmake --install` puts where.
# (Its notifications are tested against a fake NOTIFY_SOCKET in
# test_ops_health.sh.)
. "$(dirname "$0")/ops.sh"

UNIT=$SOURCE_DIR/systemd/triaged.service
has() { grep -qx -- "$1" "$UNIT"; }
check_true "Type=notify" has "Type=notify"
check_true "a watchdog" grep -q "^WatchdogSec=" "$UNIT"
check_true "reload sends SIGHUP" has 'ExecReload=/bin/kill -HUP $MAINPID'
check_true "the rules are checked before a start" \
    has "ExecStartPre=/usr/bin/triaged -c /etc/triaged/triage.yaml --check"
check_true "a user of its own" has "DynamicUser=yes"
check_true "and it is named" has "User=triaged"
for d in ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes \
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" \
    SystemCallFilter=@system-service CapabilityBoundingSet=; do
	check_true "hardening: $d" has "$d"
done

if command -v systemd-analyze >/dev/null; then
	score=$(systemd-analyze security --offline=true "$UNIT" 2>/dev/null |
	    sed -n 's/.*Overall exposure level for triaged.service: \([0-9.]*\).*/\1/p')
	echo "# exposure $score"
	check_true "exposure $score is 2.0 or lower" \
	    awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'
	# verify wants the binary where the unit says it is.
	mkdir -p "$T_DIR/unit"
	sed "s|/usr/bin/triaged|$TRIAGED|g" "$UNIT" >"$T_DIR/unit/triaged.service"
	check "systemd-analyze verify finds nothing" "" \
	    "$(systemd-analyze verify "$T_DIR/unit/triaged.service" 2>&1)"
else
	echo "# systemd-analyze missing: exposure not checked"
fi

# The sample config passes the unit's ExecStartPre.
check_true "the sample config passes --check" \
    bash -c "\"$TRIAGED\" -c \"$SOURCE_DIR/conf/triage.yaml\" --check >/dev/null"

# cmake --install: binaries, the unit (naming the installed paths), the
# sample config, the ACL rule; an operator's config is never overwritten.
BUILD=$(dirname "$TRIAGED")
if [ -f "$BUILD/cmake_install.cmake" ]; then
	cmake --install "$BUILD" --prefix "$T_DIR/inst" >/dev/null
	for f in bin/triaged bin/triagectl etc/triaged/triage.yaml \
	    lib/systemd/system/triaged.service share/doc/triaged/redis-acl.conf \
	    share/doc/triaged/README.md; do
		check_true "installed $f" test -s "$T_DIR/inst/$f"
	done
	echo "# my rules" >"$T_DIR/inst/etc/triaged/triage.yaml"
	cmake --install "$BUILD" --prefix "$T_DIR/inst" >/dev/null
	check "an installed rules file is kept" "# my rules" \
	    "$(cat "$T_DIR/inst/etc/triaged/triage.yaml")"
	check_true "the installed unit runs the installed binary" grep -q \
	    "^ExecStart=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt")/bin/triaged " \
	    "$T_DIR/inst/lib/systemd/system/triaged.service"
fi
