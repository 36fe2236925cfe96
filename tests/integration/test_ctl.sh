#!/usr/bin/env bash
# triagectl against a private Redis and the real daemon: submit, queues,
# ticket, explain, and its errors and exit statuses.
. "$(dirname "$0")/lib.sh"

redis_start
make_config "$T_DIR/triage.yaml"
CFG=$T_DIR/triage.yaml
ctl() { "$TRIAGECTL" -c "$CFG" "$@"; }
P=triage:

daemon_start "$CFG"
wait_until 10 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz"

# submit: the entry ID is printed, the request lands in the stream as given.
eid=$(ctl submit id=CTL-1 customer_id=C77 channel=email category=billing \
    subject="发票金额有误 = wrong")
check_true "submit prints the new entry ID ($eid)" \
    grep -qE '^[0-9]+-[0-9]+$' <<<"$eid"
check "a value may contain '='" "发票金额有误 = wrong" \
    "$(rcli --raw xrange ${P}requests "$eid" "$eid" | sed -n '/^subject$/{n;p}')"
wait_until 10 key_exists ${P}ticket:CTL-1
check "submitted request routed" billing "$(rcli hget ${P}ticket:CTL-1 team)"

# queues: each configured team, its depth and most pressing ticket.
out=$(ctl queues)
check "queues lists every team" 5 "$(grep -cE '^(key_accounts|tech_support|billing|after_sales|general) ' <<<"$out")"
check "billing depth and most pressing ticket" "1 CTL-1" \
    "$(awk '$1 == "billing" { print $2, $3 }' <<<"$out")"

# ticket: every field and the clocks.
out=$(ctl ticket CTL-1)
check_true "ticket shows its team" grep -qE '^  team +billing$' <<<"$out"
check_true "ticket shows the first-response clock" \
    grep -qE 'first response due .*\((due in|overdue by)' <<<"$out"
ctl ticket NOPE-1 >/dev/null 2>"$T_DIR/err"
check "unknown ticket: exit 1" 1 "$?"
check_true "and says which key it looked for" \
    grep -q "no ticket 'NOPE-1' (key ${P}ticket:NOPE-1)" "$T_DIR/err"

# explain needs no Redis: the same answer with Redis stopped.
before=$(ctl explain customer_id=C1 channel=phone category=technical subject=down)
check_true "explain names the deciding route" \
    grep -q "route 'technical'" <<<"$before"
check_true "explain shows the score breakdown" grep -q "+30 .*contains" <<<"$before"

# Usage errors exit 2; bad rules exit 1 with positioned errors.
ctl submit novalue >/dev/null 2>&1
check "submit with a malformed pair: exit 2" 2 "$?"
ctl frobnicate >/dev/null 2>&1
check "unknown command: exit 2" 2 "$?"
printf 'teams: [a]\nroutes:\n  - team: b\n' > "$T_DIR/bad.yaml"
"$TRIAGECTL" -c "$T_DIR/bad.yaml" queues >/dev/null 2>"$T_DIR/err"
check "bad rules file: exit 1" 1 "$?"
check_true "with FILE:LINE:COL errors" \
    grep -qE "^$T_DIR/bad.yaml:[0-9]+:[0-9]+: error: " "$T_DIR/err"

redis_stop
after=$(ctl explain customer_id=C1 channel=phone category=technical subject=down)
check "explain works without Redis" "$before" "$after"
ctl queues >/dev/null 2>"$T_DIR/err"
check "queues without Redis: exit 1" 1 "$?"
check_true "and says where it tried" grep -q "cannot connect to Redis at 127.0.0.1:$REDIS_PORT" "$T_DIR/err"
