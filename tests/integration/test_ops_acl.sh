#!/usr/bin/env bash
# The daemon under exactly the ACL rule of conf/redis-acl.conf, with the
# default user switched off: every path (CRM lookups, routing, dead
# letters, claims, a flushed script cache, queue gauges, a reload) runs
# without one denial, and the password shows up nowhere.
. "$(dirname "$0")/ops.sh"

redis_start
PW="s3cr3t-$RANDOM-$RANDOM"
ADMIN_PW="admin-$RANDOM"

# The test's own admin user; then the default user goes.
rcli acl setuser admin on ">$ADMIN_PW" '~*' '&*' +@all >/dev/null
rcli() { redis-cli -p "$REDIS_PORT" --user admin --pass "$ADMIN_PW" \
    --no-auth-warning "$@"; }
rcli acl setuser default off >/dev/null
check_true "the default user is off" \
    bash -c "redis-cli -p $REDIS_PORT ping 2>&1 | grep -q NOAUTH"

rule=$(sed -n 's/^user triaged //p' "$SOURCE_DIR/conf/redis-acl.conf")
check_true "conf/redis-acl.conf holds the rule" test -n "$rule"
# Word splitting on purpose: the rule is a list of ACL tokens.
# shellcheck disable=SC2086
check "ACL SETUSER with the documented rule" OK \
    "$(rcli acl setuser triaged reset ${rule/>CHANGE-ME/>$PW})"
as_triaged() { redis-cli -p "$REDIS_PORT" --user triaged --pass "$PW" \
    --no-auth-warning "$@" 2>&1; }
check_true "the rule denies FLUSHALL" grep -q NOPERM <<<"$(as_triaged flushall)"
check_true "the rule denies CONFIG" grep -q NOPERM <<<"$(as_triaged config get '*')"
check_true "the rule denies KEYS" grep -q NOPERM <<<"$(as_triaged keys '*')"
check_true "the rule denies keys outside the prefix" \
    grep -q NOPERM <<<"$(as_triaged hgetall session:1)"
# The CRM push writes customer records (HSET); nothing deletes them.
check_true "the rule denies deleting CRM records" \
    grep -q NOPERM <<<"$(as_triaged del crm:customer:X)"
rcli acl log reset >/dev/null

make_config "$T_DIR/triage.yaml"
check_true "the sample config names the ACL user" \
    grep -q "^  username: triaged" "$T_DIR/triage.yaml"
rcli hset crm:customer:VIP1 level vip >/dev/null
TRIAGED_REDIS_PASSWORD=$PW daemon_start "$T_DIR/triage.yaml"
main_pid=$DAEMON_PID
wait_until 15 healthy
check "healthy as the ACL user" 200 "$(health_code)"
check "the three connections (reader, writer, alerts reader) authenticated as triaged" 3 \
    "$(rcli client list | grep -c ' user=triaged ')"

# Routing, CRM lookups, dead letters, a repeated id.
gen --count 500 --id-prefix ACL- | rcli --pipe >/dev/null
rcli xadd ${P}requests '*' id ACL-VIP customer_id VIP1 channel phone \
    category outage >/dev/null
rcli xadd ${P}requests '*' id ACL-1 customer_id C1 channel web >/dev/null
rcli xadd ${P}requests '*' customer_id C1 channel fax >/dev/null
wait_until 20 is_eq 501 count_keys "${P}ticket:ACL-*"
check "requests routed under the ACL user" 501 "$(count_keys "${P}ticket:ACL-*")"
check "the CRM record was read" vip "$(rcli hget ${P}ticket:ACL-VIP tier)"
wait_until 10 is_eq 1 xlen ${P}dead
check "a bad request dead-lettered" 1 "$(xlen ${P}dead)"

# Another consumer's entry, idle past claim_idle (2 s): taken over.
rcli xadd ${P}requests '*' id ACL-CLAIM customer_id C2 channel chat >/dev/null
# (the daemon may read it first; then there is nothing to claim, so
# deliver one to the ghost while the daemon is between reads)
rcli xgroup createconsumer ${P}requests routers ghost >/dev/null
eid=$(rcli xadd ${P}requests '*' id ACL-GHOST customer_id C2 channel chat)
rcli xclaim ${P}requests routers ghost 0 "$eid" force >/dev/null
wait_until 20 key_exists ${P}ticket:ACL-GHOST
check "an idle entry of another consumer claimed and routed" 1 \
    "$(rcli exists ${P}ticket:ACL-GHOST)"

# The script cache flushed: loaded again under the ACL user.
rcli script flush >/dev/null
rcli xadd ${P}requests '*' id ACL-FLUSH customer_id C3 channel web >/dev/null
wait_until 15 key_exists ${P}ticket:ACL-FLUSH
check "routed after SCRIPT FLUSH" 1 "$(rcli exists ${P}ticket:ACL-FLUSH)"

# Queue gauges (ZCARD) and a reload.
wait_until 10 is_eq "$(queued)" metric_sum triaged_queue_depth
check "queue gauges read under the ACL user" "$(queued)" \
    "$(metric_sum triaged_queue_depth)"
kill -HUP "$main_pid"
wait_until 10 grep -q "reload: rules" "$T_DIR/triaged.log"
wait_until 10 is_eq 0 pending
check "nothing left pending" 0 "$(pending)"

# An entry trimmed while another consumer held it: the claim finds it gone,
# and XRANGE (in the ACL rule) tells trimmed from settled.
rcli xgroup createconsumer ${P}requests routers ghost2 >/dev/null
eid=$(rcli xadd ${P}requests '*' id ACL-TRIM customer_id C2 channel chat)
rcli xclaim ${P}requests routers ghost2 0 "$eid" force >/dev/null
rcli xdel ${P}requests "$eid" >/dev/null
wait_until 20 is_eq 1 metric triaged_entries_trimmed_total
check "a trimmed entry is seen under the ACL user" 1 \
    "$(metric triaged_entries_trimmed_total)"

# The operator's user: every triagectl command that talks to Redis, with
# no denial.
orule=$(sed -n 's/^user triagectl //p' "$SOURCE_DIR/conf/redis-acl.conf")
# shellcheck disable=SC2086
check "ACL SETUSER with the operator's rule" OK \
    "$(rcli acl setuser triagectl reset ${orule/>CHANGE-ME/>op-$PW})"
sed -e 's/^  username: .*/  username: triagectl/' \
    -e 's/^  password_env: .*/  password_env: OP_PW/' "$T_DIR/triage.yaml" >"$T_DIR/op.yaml"
op() { OP_PW="op-$PW" "$TRIAGECTL" -c "$T_DIR/op.yaml" "$@"; }
op queues >"$T_DIR/q.txt"
check "operator: queues" 0 "$?"
check_true "operator: queues shows depths" grep -qE '^general +[0-9]+ ' "$T_DIR/q.txt"
op ticket ACL-1 >/dev/null
check "operator: ticket" 0 "$?"
op dead >/dev/null
check "operator: dead" 0 "$?"
op replay --rules "$T_DIR/triage.yaml" --last 100 >/dev/null
check "operator: replay (no change)" 0 "$?"
op submit customer_id=C1 channel=web id=ACL-OP >/dev/null
check "operator: submit" 0 "$?"
wait_until 10 key_exists ${P}ticket:ACL-OP
op event ACL-OP responded >/dev/null
check "operator: event" 0 "$?"
op dead redrive --all >/dev/null 2>&1
check_true "operator: dead redrive runs (the bad request is re-driven)" \
    test "$(rcli xlen ${P}dead)" -le 1

# The escalation timer fires under the user: a VIP ticket written 70
# minutes ago has its warning (75%) and its breach (100%) overdue.  The
# warning notifies a name only (delivery acks it without a post), the
# breach pages through receivers that are down here (retried).
old=$(( $(date +%s%3N) - 70 * 60000 ))
rcli hset ${P}ticket:ACL-LATE ticket_id ACL-LATE customer_id VIP1 channel web \
    tier vip urgency low score 0 team general route default policy vip \
    status open created_at $old routed_at $old \
    first_response_due $(( old + 3600000 )) first_response_target 3600000 \
    resolution_due $(( old + 28800000 )) resolution_target 28800000 >/dev/null
rcli zadd ${P}queue:general $(( old + 3600000 )) ACL-LATE >/dev/null
rcli zadd ${P}sla $(( old + 2700000 )) "ACL-LATE|first_response|0|0|vip" >/dev/null
late_steps() {
	rcli --raw xrange ${P}alerts - + | awk 'p == "ticket" { t = $0 } p == "step" && t == "ACL-LATE" { print } { p = $0 }' |
	    sort | paste -sd' '
}
wait_until 15 eval '[ "$(late_steps)" = "0 1" ]'
check "the warning and the breach fired as the ACL user" "0 1" "$(late_steps)"
wait_until 15 eval '[ "$(rcli xpending ${P}alerts deliver | head -n 1)" -le 1 ]'
check_true "delivery acked the warning as the ACL user" \
    test "$(rcli xpending ${P}alerts deliver | head -n 1)" -le 1

# The wallboard's script reads queues, tickets and alerts under the user.
# The first GET after an idle spell gets the copy cached before and starts
# a refresh: poll until a refresh has run.
board_head() {
	curl -s "http://127.0.0.1:$HTTP_PORT/api/state" | python3 -c 'import json,sys; s=json.load(sys.stdin); print([(t["next"] or {}).get("ticket") for t in s["teams"] if t["name"]=="key_accounts"][0])'
}
wait_until 15 eval '[ "$(board_head)" = ACL-VIP ]'
check "the wallboard's state read as the ACL user" ACL-VIP "$(board_head)"
check "Redis logged no ACL denial" "" "$(rcli acl log)"
check_true "the daemon met no NOPERM" \
    bash -c "! grep -q NOPERM '$T_DIR/triaged.log'"
check "no Redis error counted" 0 "$(metric triaged_redis_errors_total)"

# The secret: never in the log, --check, /metrics or /healthz.
TRIAGED_REDIS_PASSWORD=$PW "$TRIAGED" -c "$T_DIR/triage.yaml" --check \
    >"$T_DIR/check.txt" 2>&1
check_true "--check names where the password comes from" \
    grep -q 'password from \$TRIAGED_REDIS_PASSWORD' "$T_DIR/check.txt"
check_true "--check does not show it" bash -c "! grep -qF '$PW' '$T_DIR/check.txt'"
check_true "/metrics does not show it" bash -c "! curl -s http://127.0.0.1:$HTTP_PORT/metrics | grep -qF '$PW'"

# A wrong password: refused, said so, and still not shown.
HTTP2=$(free_port)
make_config "$T_DIR/wrong.yaml" -e "s/^  listen: .*/  listen: 127.0.0.1:$HTTP2/"
TRIAGED_REDIS_PASSWORD="$PW-wrong" daemon_start "$T_DIR/wrong.yaml" wrong
wrong_pid=$DAEMON_PID
wait_until 10 grep -q "AUTH failed" "$T_DIR/wrong.log"
check_true "a wrong password is reported" \
    grep -q "AUTH failed: WRONGPASS" "$T_DIR/wrong.log"
check "and /healthz says why" 503 \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP2/healthz")"
check_true "with the reason" grep -q "AUTH failed" \
    <<<"$(curl -s "http://127.0.0.1:$HTTP2/healthz")"
kill -TERM "$wrong_pid"
wait "$wrong_pid"
check "a daemon that never connected stops cleanly" 0 "$?"

kill -TERM "$main_pid"
wait "$main_pid"
check "clean stop" 0 "$?"
check_true "no log holds the password" \
    bash -c "! grep -qF '$PW' '$T_DIR/triaged.log' '$T_DIR/wrong.log'"

# routes_and_stops ID CUSTOMER PID: a request routed with no restart, then a
# clean stop of daemon PID.
routes_and_stops() {
	rcli xadd ${P}requests '*' id "$1" customer_id "$2" channel web >/dev/null
	wait_until 15 key_exists "${P}ticket:$1"
	check "routed without a restart" 1 "$(rcli exists "${P}ticket:$1")"
	kill -TERM "$3"
	wait "$3"
	check "clean stop" 0 "$?"
}

# start_as USER PASSWORD PORT [DAEMON ARGS]: a daemon logged in as USER,
# its HTTP on PORT, its log in $T_DIR/USER.log; DAEMON_PID is its PID.
start_as() {
	local user=$1 pw=$2 port=$3
	shift 3
	make_config "$T_DIR/$user.yaml" -e "s/^  listen: .*/  listen: 127.0.0.1:$port/" \
	    -e "s/^  username: .*/  username: $user/" \
	    -e 's/^  password_env: .*/  password_env: USER_PW/'
	USER_PW=$pw daemon_start "$T_DIR/$user.yaml" "$user" "$@"
}

# A rule without XRANGE on the streams read through the group (the
# wallboard keeps it on the alerts, by a selector, so its script's errors
# count nothing here): the check of a trimmed entry is refused, and the
# refusal is logged and counted, not mistaken for a settled entry.
NOXR_PW="noxr-$RANDOM-$RANDOM"
noxr_rule=${rule/>CHANGE-ME/>$NOXR_PW}
noxr_rule=${noxr_rule/ +xrange / }
check_true "the rule had +xrange to take out" test "$noxr_rule" != "${rule/>CHANGE-ME/>$NOXR_PW}"
# shellcheck disable=SC2086
check "ACL SETUSER with the rule less XRANGE" OK \
    "$(rcli acl setuser noxr reset $noxr_rule "(+xrange ~${P}alerts)")"
check_true "that rule denies XRANGE" grep -q NOPERM <<<"$(redis-cli \
    -p "$REDIS_PORT" --user noxr --pass "$NOXR_PW" --no-auth-warning \
    xrange ${P}requests - + 2>&1)"
HTTP3=$(free_port)
start_as noxr "$NOXR_PW" "$HTTP3"
noxr_pid=$DAEMON_PID
noxr_metric() { HTTP_PORT=$HTTP3 metric "$1"; }
wait_until 15 eval 'HTTP_PORT=$HTTP3 healthy'
check "no Redis error counted before the trimmed entry" 0 \
    "$(noxr_metric triaged_redis_errors_total)"
rcli xgroup createconsumer ${P}requests routers ghost3 >/dev/null
eid=$(rcli xadd ${P}requests '*' id ACL-TRIM2 customer_id C2 channel chat)
rcli xclaim ${P}requests routers ghost3 0 "$eid" force >/dev/null
rcli xdel ${P}requests "$eid" >/dev/null
wait_until 30 grep -q "checking whether entry $eid ${P}requests was trimmed failed: NOPERM" \
    "$T_DIR/noxr.log"
check_true "the refused XRANGE is logged as a warning with the entry" grep -q \
    "warning: checking whether entry $eid ${P}requests was trimmed failed: NOPERM" \
    "$T_DIR/noxr.log"
wait_until 10 is_ge 1 noxr_metric triaged_redis_errors_total
check_true "and counted in triaged_redis_errors_total" \
    is_ge 1 noxr_metric triaged_redis_errors_total
check "not counted as trimmed" 0 "$(noxr_metric triaged_entries_trimmed_total)"
kill -TERM "$noxr_pid"
wait "$noxr_pid"

# A rule without SCRIPT LOAD: /healthz says why the daemon is not ready,
# the refusal is logged once however often it is tried, and once the
# operator grants the command the daemon routes, with no restart.
NOSL_PW="nosl-$RANDOM-$RANDOM"
nosl_rule=${rule/>CHANGE-ME/>$NOSL_PW}
nosl_rule=${nosl_rule/ +script|load / }
check_true "the rule had +script|load to take out" \
    test "$nosl_rule" != "${rule/>CHANGE-ME/>$NOSL_PW}"
# shellcheck disable=SC2086
check "ACL SETUSER with the rule less SCRIPT LOAD" OK \
    "$(rcli acl setuser nosl reset $nosl_rule)"
HTTP4=$(free_port)
start_as nosl "$NOSL_PW" "$HTTP4" --log-level debug
nosl_pid=$DAEMON_PID
wait_until 15 grep -q "SCRIPT LOAD of the routing script failed: NOPERM" \
    "$T_DIR/nosl.log"
check "not ready without SCRIPT LOAD" 503 "$(HTTP_PORT=$HTTP4 health_code)"
check_true "and /healthz says why" grep -q \
    "routing script not loaded: SCRIPT LOAD failed: NOPERM" \
    <<<"$(HTTP_PORT=$HTTP4 health_body)"
retries() { grep -c "SCRIPT LOAD of the routing script failed again: NOPERM" "$T_DIR/nosl.log"; }
wait_until 20 is_ge 3 retries
check_true "tried again (every second)" is_ge 3 retries
check "warned of once" 1 \
    "$(grep -c "warning: SCRIPT LOAD of the routing script failed" "$T_DIR/nosl.log")"
rcli acl setuser nosl '+script|load' >/dev/null
wait_until 15 eval 'HTTP_PORT=$HTTP4 healthy'
check "ready once SCRIPT LOAD is granted" 200 "$(HTTP_PORT=$HTTP4 health_code)"
check_true "and the log says so" \
    grep -q "SCRIPT LOAD of the routing script worked" "$T_DIR/nosl.log"
routes_and_stops ACL-NOSL C4 "$nosl_pid"

# A rule without XPENDING: the reader cannot take back its pending entries.
# It says so on /healthz, and asks again after 1 s, 2 s, 4 s ... (not in a
# tight loop); granted the command, it reads and routes, with no restart.
NOXP_PW="noxp-$RANDOM-$RANDOM"
noxp_rule=${rule/>CHANGE-ME/>$NOXP_PW}
noxp_rule=${noxp_rule/ +xpending / }
check_true "the rule had +xpending to take out" \
    test "$noxp_rule" != "${rule/>CHANGE-ME/>$NOXP_PW}"
# shellcheck disable=SC2086
check "ACL SETUSER with the rule less XPENDING" OK \
    "$(rcli acl setuser noxp reset $noxp_rule)"
HTTP5=$(free_port)
start_as noxp "$NOXP_PW" "$HTTP5"
noxp_pid=$DAEMON_PID
refusals() { grep -c "warning: XPENDING on ${P}requests failed: NOPERM" "$T_DIR/noxp.log"; }
wait_until 15 is_ge 1 refusals
check "not ready without XPENDING" 503 "$(HTTP_PORT=$HTTP5 health_code)"
check_true "and /healthz says why" grep -q \
    "redis reader: XPENDING on ${P}requests failed: NOPERM" \
    <<<"$(HTTP_PORT=$HTTP5 health_body)"
sleep 4
check_true "asked again with a growing wait: $(refusals) times in about 4 s" \
    test "$(refusals)" -ge 2 -a "$(refusals)" -le 4
rcli acl setuser noxp '+xpending' >/dev/null
wait_until 40 eval 'HTTP_PORT=$HTTP5 healthy'
check "ready once XPENDING is granted" 200 "$(HTTP_PORT=$HTTP5 health_code)"
routes_and_stops ACL-NOXP C5 "$noxp_pid"
