#!/usr/bin/env bash
# triagectl dead and dead redrive against the real daemon: dead letters are
# listed with their reasons (filtered by reason and age, as text or JSON);
# after the rules are fixed, re-driving routes them, exactly once; a dead
# letter whose fields were cut is not re-driven.
. "$(dirname "$0")/ops.sh"

redis_start
make_config "$T_DIR/triage.yaml"
CFG=$T_DIR/triage.yaml
ctl() { "$TRIAGECTL" -c "$CFG" "$@"; }

daemon_start "$CFG"
wait_until 15 healthy

# Three requests for a channel not configured yet, one with no customer, an
# event for a ticket that does not exist yet.
rcli xadd ${P}requests '*' id FAX-1 customer_id C1 channel fax subject "传真 1" >/dev/null
rcli xadd ${P}requests '*' id FAX-2 customer_id C2 channel fax >/dev/null
nid=$(rcli xadd ${P}requests '*' customer_id C3 channel fax)
rcli xadd ${P}requests '*' channel web subject "who am I" >/dev/null
rcli xadd ${P}events '*' ticket LATE-1 event responded >/dev/null
wait_until 20 is_eq 5 xlen ${P}dead
check "five dead letters" 5 "$(xlen ${P}dead)"

out=$(ctl dead)
check "dead lists each with its reason" 3 "$(grep -c "why: channel 'fax' is not configured" <<<"$out")"
check_true "and what it held, as text" grep -q 'subject=传真 1' <<<"$out"
check_true "and the stream it came from" grep -q "from events " <<<"$out"
check "--reason filters" 1 "$(ctl dead --reason customer_id | grep -c 'why:')"
check "--since filters by age" "no dead letters" "$(sleep 2; ctl dead --since 1s)"
check "-o json is a list of all five" 5 \
    "$(ctl dead -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"

# A dead letter for FAX-2's id with a ticket already there: re-driving it
# changes nothing.
rcli xadd ${P}requests '*' id FAX-2 customer_id C2 channel web >/dev/null
wait_until 10 key_exists ${P}ticket:FAX-2

# Fix the rules (fax becomes a channel), reload, re-drive the fax ones.
sed -i 's/^  channels: \[\(.*\)\]/  channels: [\1, fax]/' "$CFG"
grep -q 'fax\]' "$CFG" || not_ok "the test could not add fax to intake.channels"
kill -HUP "$DAEMON_PID"
wait_until 10 grep -q "reload: rules" "$T_DIR/triaged.log"
ctl dead redrive --all --reason fax >"$T_DIR/out" 2>"$T_DIR/err"
check "redrive --all --reason fax: exit 0" 0 "$?"
check_true "says how many" grep -q "^3 re-driven" "$T_DIR/out"
wait_until 10 key_exists ${P}ticket:FAX-1
check "a re-driven request is routed" fax "$(rcli hget ${P}ticket:FAX-1 channel)"
check "as it was sent" "传真 1" "$(rcli hget ${P}ticket:FAX-1 subject)"
wait_until 10 key_exists "${P}ticket:$nid"
check "one without an id keeps its original entry ID as ticket ID" C3 \
    "$(rcli hget "${P}ticket:$nid" customer_id)"
check "a re-driven request whose ticket exists changes nothing" web \
    "$(rcli hget ${P}ticket:FAX-2 channel)"
check "the re-driven dead letters are gone" 2 "$(xlen ${P}dead)"
ctl dead redrive --all --reason fax >"$T_DIR/out"
check "re-driving again finds nothing" "0 re-driven" "$(cat "$T_DIR/out")"

# The event, once its ticket exists.
rcli xadd ${P}requests '*' id LATE-1 customer_id C1 channel web >/dev/null
wait_until 10 key_exists ${P}ticket:LATE-1
eid=$(ctl dead -o json | python3 -c '
import json, sys
print([d["id"] for d in json.load(sys.stdin) if d["stream"] == "events"][0])')
ctl dead redrive "$eid" >/dev/null
check "redrive ID: exit 0" 0 "$?"
wait_until 10 is_eq responded rcli hget ${P}ticket:LATE-1 status
check "a re-driven event is applied" responded "$(rcli hget ${P}ticket:LATE-1 status)"
ctl dead redrive "$eid" >/dev/null 2>"$T_DIR/err"
check "the same ID again: exit 1" 1 "$?"
check_true "and says it is gone" grep -q "no dead letter $eid" "$T_DIR/err"

# A dead letter whose fields were cut is not what was sent: refused.
python3 -c '
import sys
args = [b"XADD", sys.argv[1].encode(), b"*", b"customer_id", b"C1", b"channel", b"web"]
for i in range(1100):
    args += [b"f%d" % i, b"v"]
out = sys.stdout.buffer
out.write(b"*%d\r\n" % len(args))
for a in args:
    out.write(b"$%d\r\n%s\r\n" % (len(a), a))
' ${P}requests | rcli --pipe >/dev/null
wait_until 10 is_eq 2 xlen ${P}dead
ctl dead | grep -q "not re-drivable"
check "a cut dead letter is marked" 0 "$?"
ctl dead redrive --all >"$T_DIR/out" 2>"$T_DIR/err"
check "re-driving it: exit 1" 1 "$?"
check_true "and says why" grep -q "fields were cut" "$T_DIR/err"

# Usage.
ctl dead redrive >/dev/null 2>&1
check "redrive without IDs or --all: exit 2" 2 "$?"
ctl dead --since soon >/dev/null 2>&1
check "a bad duration: exit 2" 2 "$?"
