#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` in the build tree, then what is in the
# .deb (control fields, conffiles, the layout), what the extracted binaries
# do, the manual pages and the bash completion.  No Redis needed.
. "$(dirname "$0")/lib.sh"

BUILD=$(cd "$(dirname "$TRIAGED")" && pwd)
PKG=$T_DIR/pkg
ROOT=$T_DIR/root

if ! command -v dpkg-shlibdeps >/dev/null; then
	not_ok "dpkg-shlibdeps is missing (package dpkg-dev, tools/deps.sh)"
	exit 1
fi
(cd "$BUILD" && cpack -G DEB -B "$PKG") >"$T_DIR/cpack.log" 2>&1
check "cpack -G DEB succeeds" 0 "$?"
debs=("$PKG"/*.deb)
check "it makes one .deb" 1 "${#debs[@]}"
DEB=${debs[0]}
if [ ! -f "$DEB" ]; then
	cat "$T_DIR/cpack.log"
	exit 1
fi
echo "# $(basename "$DEB"), $(stat -c %s "$DEB") bytes"

# Control fields.
field() { dpkg-deb -f "$DEB" "$1"; }
version=$("$TRIAGED" --version | awk '{ print $2 }')
check "Package: triaged" triaged "$(field Package)"
check "Version: the project's" "$version" "$(field Version)"
depends=$(field Depends)
echo "# Depends: $depends"
for lib in libevent libhiredis libyaml libc6 tzdata; do
	check_true "Depends names $lib" grep -q "$lib" <<<"$depends"
done
check_true "dpkg-deb -I shows the control file" \
    bash -c "dpkg-deb -I \"$DEB\" | grep -q '^ Maintainer: '"

# conffiles: the rules file, so dpkg keeps an operator's edits.
dpkg-deb -e "$DEB" "$T_DIR/control"
check "conffiles lists the rules file" "/etc/triaged/triage.yaml" \
    "$(cat "$T_DIR/control/conffiles" 2>/dev/null)"

# The layout.
dpkg-deb -x "$DEB" "$ROOT"
for f in usr/bin/triaged usr/bin/triagectl; do
	check_true "$f is executable" test -x "$ROOT/$f"
done
unit=
for f in lib/systemd/system/triaged.service usr/lib/systemd/system/triaged.service; do
	[ -f "$ROOT/$f" ] && unit=$ROOT/$f
done
check_true "the systemd unit is in the package" test -n "$unit"
check_true "the unit starts /usr/bin/triaged on /etc/triaged/triage.yaml" \
    grep -qx "ExecStart=/usr/bin/triaged -c /etc/triaged/triage.yaml" "$unit"
check_true "the unit checks the rules first" grep -qx \
    "ExecStartPre=/usr/bin/triaged -c /etc/triaged/triage.yaml --check" "$unit"
check_true "etc/triaged/triage.yaml is the sample rules" \
    cmp -s "$ROOT/etc/triaged/triage.yaml" "$SOURCE_DIR/conf/triage.yaml"
for f in configuration.md sla.md README.md redis-acl.conf triage.yaml; do
	check_true "usr/share/doc/triaged/$f" test -s "$ROOT/usr/share/doc/triaged/$f"
done
check_true "the bash completion" \
    test -s "$ROOT/usr/share/bash-completion/completions/triagectl"
check "nothing outside /etc, /usr and /lib" "" \
    "$(cd "$ROOT" && ls | grep -vx -e etc -e usr -e lib)"

# Manual pages: compressed, and they render without a warning.
for page in man8/triaged.8 man8/triagectl.8 man5/triage.yaml.5; do
	f=$ROOT/usr/share/man/$page.gz
	check_true "usr/share/man/$page.gz" gzip -t "$f"
	out=$(zcat "$f" | groff -man -ww -z 2>&1)
	check "$page renders without warnings" "" "$out"
	check_true "$page renders to text" bash -c \
	    "zcat \"$f\" | groff -man -Tutf8 -P-cbou 2>/dev/null | grep -q '^SYNOPSIS\$'"
done

# The installed docs stand on their own: none sends the reader to a file
# outside the source tree (the brackets keep this line from matching).
outside='\.\./shar[e]d/|CONTRAC[T]\.md'
check "no installed doc points outside the package" "" \
    "$(grep -rlE "$outside" "$ROOT/usr/share" 2>/dev/null;
       for f in "$ROOT"/usr/share/man/*/*.gz; do
	       zcat "$f" | grep -qE "$outside" && echo "$f"
       done)"

# The extracted binaries run.
check "the packaged triaged runs --version" "triaged $version" \
    "$("$ROOT/usr/bin/triaged" --version)"
check "the packaged triagectl runs --version" "triagectl $version" \
    "$("$ROOT/usr/bin/triagectl" --version)"
"$ROOT/usr/bin/triaged" -c "$ROOT/etc/triaged/triage.yaml" --check \
    >"$T_DIR/check.out" 2>&1
check "the packaged triaged accepts the packaged rules" 0 "$?"
check_true "and says so" grep -q "configuration OK" "$T_DIR/check.out"

# `cmake --install` puts the same pages, docs and completion under its
# prefix (test_ops_systemd.sh checks the rest of what it installs).
cmake --install "$BUILD" --prefix "$T_DIR/inst" >/dev/null
for f in share/man/man8/triaged.8.gz share/man/man8/triagectl.8.gz \
    share/man/man5/triage.yaml.5.gz share/doc/triaged/configuration.md \
    share/doc/triaged/sla.md share/bash-completion/completions/triagectl; do
	check_true "cmake --install: $f" cmp -s "$T_DIR/inst/$f" "$ROOT/usr/$f"
done

# The bash completion, with and without the bash-completion package's
# helpers.  complete_line MODE LINE prints the candidates, sorted, on one
# line; COMP_WORDS is split as readline splits it (at blanks and `=`).
cat >"$T_DIR/complete.sh" <<'EOF'
mode=$1 line=$2
if [ "$mode" = helpers ]; then
	. /usr/share/bash-completion/bash_completion || exit 1
fi
. "$COMPLETION"
COMP_LINE=$line
COMP_POINT=${#line}
read -ra COMP_WORDS <<<"${line//=/ = }"
[[ $line == *' ' || $line == *= ]] && COMP_WORDS+=('')
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_triagectl
printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
EOF
mkdir -p "$T_DIR/files/dir"
touch "$T_DIR/files/rules.yaml" "$T_DIR/files/other.yml" "$T_DIR/files/reqs.txt"
complete_line() {
	(cd "$T_DIR/files" && COMPLETION=$ROOT/usr/share/bash-completion/completions/triagectl \
	    bash --norc --noprofile "$T_DIR/complete.sh" "$@" 2>&1)
}
modes=plain
if [ -f /usr/share/bash-completion/bash_completion ]; then
	modes="plain helpers"
else
	echo "# bash-completion not installed: completion checked without its helpers"
fi
CONF=$SOURCE_DIR/conf/triage.yaml
# Channels of a rules file, as a flow list and as a block list.
printf 'intake:\n  batch: 10\n  channels: [phone, wechat, "whatsapp"]  # ours\nteams: [a]\n' \
    >"$T_DIR/chan-flow.yaml"
printf 'intake:\n  channels:\n    - phone\n    - wechat # ours\n  batch: 10\nteams: [a]\n' \
    >"$T_DIR/chan-block.yaml"
for m in $modes; do
	check "completion ($m): commands" \
	    "crm dead event explain oncall queues replay submit ticket" \
	    "$(complete_line $m 'triagectl ')"
	check "completion ($m): global options" "--config --help --version -c" \
	    "$(complete_line $m 'triagectl -')"
	check "completion ($m): rules files after -c" "- dir other.yml rules.yaml" \
	    "$(complete_line $m 'triagectl -c ')"
	check "completion ($m): commands after -c FILE" "queues" \
	    "$(complete_line $m 'triagectl -c rules.yaml qu')"
	check "completion ($m): events after event TICKET" \
	    "pending reassigned reopened resolved responded resumed" \
	    "$(complete_line $m 'triagectl -c rules.yaml event T-1 ')"
	check "completion ($m): team= after reassigned" "team=" \
	    "$(complete_line $m 'triagectl -c rules.yaml event T-1 reassigned ')"
	check "completion ($m): teams of the rules file" \
	    "after_sales billing general key_accounts tech_support" \
	    "$(complete_line $m "triagectl -c $CONF event T-1 reassigned team=")"
	check "completion ($m): teams of TRIAGED_CONFIG" "billing" \
	    "$(TRIAGED_CONFIG=$CONF complete_line $m "triagectl event T-1 reassigned team=bi")"
	check "completion ($m): replay options" \
	    "--examples --format --from --help --last --no-crm --rules --since" \
	    "$(complete_line $m 'triagectl -c rules.yaml replay --')"
	check "completion ($m): --rules takes a rules file" "dir other.yml rules.yaml" \
	    "$(complete_line $m 'triagectl -c rules.yaml replay --rules ')"
	check "completion ($m): --from takes any file" "- dir other.yml reqs.txt rules.yaml" \
	    "$(complete_line $m 'triagectl -c rules.yaml replay --from ')"
	check "completion ($m): --format" "json text" \
	    "$(complete_line $m 'triagectl -c rules.yaml replay --format ')"
	check "completion ($m): channels after channel=" "email" \
	    "$(complete_line $m 'triagectl -c rules.yaml submit channel=e')"
	check "completion ($m): channels of the rules file" "wechat whatsapp" \
	    "$(complete_line $m "triagectl -c $T_DIR/chan-flow.yaml submit channel=w")"
	check "completion ($m): channels of the rules file, a block list" "phone wechat" \
	    "$(complete_line $m "triagectl -c $T_DIR/chan-block.yaml explain channel=")"
	check "completion ($m): --help of a command" "--help" \
	    "$(complete_line $m 'triagectl ticket --he')"
	check "completion ($m): -o takes text or json" "json text" \
	    "$(complete_line $m 'triagectl queues -o ')"
	check "completion ($m): dead redrive" "redrive" \
	    "$(complete_line $m 'triagectl dead re')"
	check "completion ($m): options of dead redrive" "--all --help --reason --since" \
	    "$(complete_line $m 'triagectl dead redrive -')"
	check "completion ($m): options of oncall" "--at --help --next -o" \
	    "$(complete_line $m 'triagectl oncall -')"
done
