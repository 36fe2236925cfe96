#!/usr/bin/env bash
# Hostile rules files and hostile subjects against the real binary.
#
# Each file below used to hold triaged for seconds to minutes (on --check,
# and on SIGHUP inside the event loop): 200,000 nested lists, an alias
# bomb, nested counted repetitions in a regex, a regex that glibc's regcomp()
# spends seconds on as written, and a file over 4 MiB.  Each must now be
# refused quickly with a located error, by --check and by a running daemon,
# which keeps its rules and keeps answering /healthz.  Then a batch of
# requests with 64,000-byte subjects against the ordinary rule `x.*y`
# (seconds each with a plain regexec()) must route while /healthz answers
# within a second each time.
. "$(dirname "$0")/ops.sh"

# The most --check may take to refuse a hostile file (the issue's bound).
CHECK_MS=2000
# The most /healthz may take to answer while triaged works.
HEALTH_MS=1000

# Milliseconds since the epoch.
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Time of one /healthz answer in ms; 99999 if it is not a 200 within 5 s.
health_ms() {
	local s code
	s=$(ms)
	code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' \
	    "http://127.0.0.1:$HTTP_PORT/healthz")
	[ "$code" = 200 ] || { echo 99999; return; }
	echo $(( $(ms) - s ))
}

# The sample rules with a first route on `x.*y` in the subject.
XY_ROUTE='  - {name: xy, when: {subject: {regex: "x.*y"}}, team: tech_support}'
make_config "$T_DIR/good.yaml" -e "/^routes:/a\\$XY_ROUTE"
check_true "the rule file with the x.*y route is valid" \
    "$TRIAGED" -c "$T_DIR/good.yaml" --check
good_version=$("$TRIAGED" -c "$T_DIR/good.yaml" --check |
    sed -n 's/^version: //p')

# The hostile files: the valid rules with one hostile part each.
H=$T_DIR/hostile
mkdir -p "$H"
{ cat "$T_DIR/good.yaml"; printf 'zz: '; head -c 200000 /dev/zero |
    tr '\0' '['; echo; } >"$H/nesting.yaml"
{
	cat "$T_DIR/good.yaml"
	echo "lol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"
	for i in 1 2 3 4 5 6 7 8 9; do
		printf 'lol%d: &a%d [' $i $i
		for j in 1 2 3 4 5 6 7 8 9; do printf '*a%d, ' $((i - 1)); done
		printf '*a%d]\n' $((i - 1))
	done
} >"$H/aliases.yaml"
make_config "$H/regex_nested.yaml" -e "/^routes:/a\\
  - {name: bomb, when: {subject: {regex: \"((a{1,100}){1,100}){1,100}\"}}, team: tech_support}"
make_config "$H/regex_optional.yaml" -e "/^routes:/a\\
  - {name: bomb, when: {subject: {regex: \"^(a|b?){0,250}\"}}, team: tech_support}"
{ cat "$T_DIR/good.yaml"; printf '#'; head -c $((4 * 1024 * 1024)) /dev/zero |
    tr '\0' 'x'; echo; } >"$H/size.yaml"

# name  what its error says
HOSTILE="
nesting|lists and mappings nested more than 64 deep
aliases|more than 1000000 nodes in the file, counting each use of an alias
regex_nested|repetitions nested inside each other make 10000 copies
regex_optional|it has more than 64 optional parts
size|the file is longer than 4194304 bytes
"

while IFS='|' read -r name why; do
	[ -n "$name" ] || continue
	f=$H/$name.yaml
	s=$(ms)
	timeout 10 "$TRIAGED" -c "$f" --check >"$H/$name.out" 2>&1
	rc=$?
	took=$(( $(ms) - s ))
	check "--check refuses $name (exit 1)" 1 "$rc"
	check_true "--check: $name refused in ${took} ms (< $CHECK_MS)" \
	    test "$took" -lt "$CHECK_MS"
	check_true "--check: $name error located and explained" \
	    grep -q "^$f:[0-9][0-9]*:[0-9][0-9]*: error: .*$why" "$H/$name.out"
done <<<"$HOSTILE"

# The running daemon, with the x.*y route.
redis_start
CFG=$T_DIR/triage.yaml
cp "$T_DIR/good.yaml" "$CFG"
daemon_start "$CFG"
wait_until 15 healthy || not_ok "daemon became healthy"

# route_of ID: the route that routed it ("" until it is routed).
route_of() { rcli hget "${P}ticket:$1" route; }
submit() {
	rcli xadd ${P}requests '*' id "$1" customer_id C1 channel web \
	    subject "$2" >/dev/null
}
submit R-0 "the xenon light is dying"
wait_until 10 key_exists ${P}ticket:R-0
check "before the reloads, x.*y routes" xy "$(route_of R-0)"

# SIGHUP with each hostile file: refused, the rules kept, /healthz live.
n=0
while IFS='|' read -r name why; do
	[ -n "$name" ] || continue
	n=$((n + 1))
	cp "$H/$name.yaml" "$CFG"
	kill -HUP "$DAEMON_PID"
	worst=0
	for _ in 1 2 3 4 5; do
		t=$(health_ms)
		[ "$t" -gt "$worst" ] && worst=$t
		sleep 0.1
	done
	check_true "reload of $name: /healthz within ${worst} ms (< $HEALTH_MS)" \
	    test "$worst" -lt "$HEALTH_MS"
	wait_until 10 is_eq $n metric triaged_reloads_failed_total
	check "reload of $name refused" $n \
	    "$(metric triaged_reloads_failed_total)"
	check_true "reload of $name: the rules in force are kept (logged)" \
	    test "$(grep -c "reload of $CFG failed; rules $good_version stay in force" \
	    "$T_DIR/triaged.log")" -eq $n
	check_true "reload of $name: error located and explained in the log" \
	    grep -q "$CFG:[0-9][0-9]*:[0-9][0-9]*: error: .*$why" \
	    "$T_DIR/triaged.log"
	submit "R-$n" "xylophone? no: a xenon yoyo"
	wait_until 10 key_exists "${P}ticket:R-$n"
	check "after reload of $name, requests route by the old rules" \
	    "xy $good_version" "$(rcli hmget "${P}ticket:R-$n" route \
	    rules_version | tr '\n' ' ' | sed 's/ $//')"
done <<<"$HOSTILE"
check "no reload succeeded" 0 "$(metric triaged_reloads_ok_total)"
cp "$T_DIR/good.yaml" "$CFG"

# 300 requests with 64,000-byte subjects, while /healthz is polled.  Most
# are all x (no match, the worst case for x.*y); BIG-Y-* have a y at byte
# 1000, within the 1024 bytes a regex sees; BIG-FAR-* only at byte 63,000.
BIG=300
python3 - "$BIG" "$P" >"$T_DIR/big.resp" <<'EOF'
import sys
n, prefix = int(sys.argv[1]), sys.argv[2]
def cmd(*args):
    out = ["*%d\r\n" % len(args)]
    for a in args:
        out.append("$%d\r\n%s\r\n" % (len(a.encode()), a))
    return "".join(out)
for i in range(n):
    subject = ["x"] * 64000
    rid = "BIG-%d" % i
    if i % 50 == 7:
        subject[1000] = "y"
        rid = "BIG-Y-%d" % i
    elif i % 50 == 8:
        subject[63000] = "y"
        rid = "BIG-FAR-%d" % i
    sys.stdout.write(cmd("XADD", prefix + "requests", "*", "id", rid,
                         "customer_id", "C%d" % i, "channel", "email",
                         "subject", "".join(subject)))
EOF
s=$(ms)
rcli --pipe <"$T_DIR/big.resp" >/dev/null
worst=0
polls=0
end=$(( $(date +%s) + 120 ))
while [ "$(date +%s)" -le "$end" ]; do
	t=$(health_ms)
	polls=$((polls + 1))
	[ "$t" -gt "$worst" ] && worst=$t
	[ "$(count_keys "${P}ticket:BIG-*")" -ge "$BIG" ] && break
	sleep 0.2
done
took=$(( $(ms) - s ))
check "every 64 KB request routed" "$BIG" "$(count_keys "${P}ticket:BIG-*")"
check_true "while they routed ($took ms), /healthz answered $polls times, the slowest in $worst ms (< $HEALTH_MS)" \
    test "$worst" -lt "$HEALTH_MS" -a "$polls" -ge 1
check "a y within the first 1024 bytes matches x.*y" xy "$(route_of BIG-Y-7)"
check "a y only past them does not (the documented bound)" default \
    "$(route_of BIG-FAR-8)"
check "no y at all: no match" default "$(route_of BIG-0)"
check "nothing dead-lettered" 0 "$(xlen ${P}dead)"

kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
check "exit status 0" 0 "$?"
