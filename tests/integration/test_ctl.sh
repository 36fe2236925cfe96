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

# What the daemon would dead-letter is refused: exit 1, the reason, nothing
# written.
xlen_before=$(rcli xlen ${P}requests)
ev_before=$(rcli xlen ${P}events)
refuse() {	# refuse DESCRIPTION WORDS COMMAND...
	local d=$1 words=$2; shift 2
	"$@" >"$T_DIR/out" 2>"$T_DIR/err"
	check "$d: exit 1" 1 "$?"
	check_true "$d: says '$words'" grep -q "$words" "$T_DIR/err"
	check "$d: prints no entry ID" "" "$(cat "$T_DIR/out")"
}
refuse "submit channel=fax" "channel 'fax' is not configured" \
    ctl submit customer_id=C1 channel=fax
refuse "submit without customer_id" "'customer_id' is missing" \
    ctl submit channel=web subject=hello
refuse "submit with a reserved field" "'status' is reserved" \
    ctl submit customer_id=C1 channel=web status=resolved
refuse "event of an unknown kind" "unknown event 'closed'" \
    ctl event CTL-1 closed
refuse "reassigned without a team" "needs the field 'team'" \
    ctl event CTL-1 reassigned
refuse "reassigned to an unknown team" "unknown team 'suport'" \
    ctl event CTL-1 reassigned team=suport
refuse "event on a ticket that does not exist" "no ticket 'NOPE-2'" \
    ctl event NOPE-2 responded
refuse "explain of a request the daemon would reject" "would dead-letter" \
    ctl explain customer_id=C1 channel=fax
check "no request written by the refusals" "$xlen_before" "$(rcli xlen ${P}requests)"
check "no event written by the refusals" "$ev_before" "$(rcli xlen ${P}events)"
ctl event CTL-1 responded >/dev/null
check "a good event is still written" $((ev_before + 1)) "$(rcli xlen ${P}events)"

# -o json: one JSON document a script can read.
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
check "queues -o json: billing's depth and head" "1 CTL-1" \
    "$(ctl queues -o json | jq_py '[(t["depth"], t["next"]["ticket"]) for t in d if t["team"] == "billing"][0][0], [t for t in d if t["team"] == "billing"][0]["next"]["ticket"]' | tr -d '(),' )"
check "ticket -o json: its fields" "billing C77" \
    "$(ctl ticket CTL-1 -o json | jq_py 'd["fields"]["team"], d["fields"]["customer_id"]' | tr -d "()',")"
check "explain -o json: verdict and deciding route" "tech_support technical" \
    "$(ctl explain -o json customer_id=C1 channel=phone category=technical | jq_py 'd["team"], d["decided_by"]["route"]' | tr -d "()',")"
ctl queues -o yaml >/dev/null 2>&1
check "-o with another format: exit 2" 2 "$?"

# --help after any command: usage on stdout, exit 0, no config needed.
for cmd in explain submit event queues ticket dead replay oncall crm \
    "crm import"; do
	out=$("$TRIAGECTL" $cmd --help 2>"$T_DIR/err")
	check "$cmd --help: exit 0" 0 "$?"
	check_true "$cmd --help: usage on stdout" grep -q "^usage: triagectl .*$cmd" <<<"$out"
	check "$cmd --help: nothing on stderr" "" "$(cat "$T_DIR/err")"
done
# The rules file from TRIAGED_CONFIG, --config, or standard input.
check_true "TRIAGED_CONFIG names the rules file" \
    bash -c "TRIAGED_CONFIG='$CFG' '$TRIAGECTL' queues | grep -q '^billing '"
check_true "--config FILE" bash -c "'$TRIAGECTL' --config '$CFG' queues | grep -q '^billing '"
check_true "-c - reads standard input" \
    bash -c "'$TRIAGECTL' -c - queues <'$CFG' | grep -q '^billing '"
"$TRIAGECTL" queues >/dev/null 2>"$T_DIR/err"
check "no rules file at all: exit 2" 2 "$?"
check_true "and says how to give one" grep -q "TRIAGED_CONFIG" "$T_DIR/err"

# A permission error is an error, never an empty queue.
rcli acl setuser peek on '>peek' resetkeys -@all +ping +zcard '~*' >/dev/null
sed -e 's/^  username: .*/  username: peek/' \
    -e 's/^  password_env: .*/  password_env: PEEK_PW/' "$CFG" >"$T_DIR/peek.yaml"
PEEK_PW=peek "$TRIAGECTL" -c "$T_DIR/peek.yaml" queues >"$T_DIR/out" 2>"$T_DIR/err"
check "queues without ZRANGE permission: exit 1" 1 "$?"
check_true "and the permission error is shown" grep -q "NOPERM" "$T_DIR/err"

redis_stop
after=$(ctl explain customer_id=C1 channel=phone category=technical subject=down)
check "explain works without Redis" "$before" "$after"
ctl queues >/dev/null 2>"$T_DIR/err"
check "queues without Redis: exit 1" 1 "$?"
check_true "and says where it tried" grep -q "cannot connect to Redis at 127.0.0.1:$REDIS_PORT" "$T_DIR/err"
