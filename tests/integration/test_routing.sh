#!/usr/bin/env bash
# The routing path end to end: the real triaged against a private Redis.
# A mixed batch lands exactly once; a repeated id gives one ticket; every
# rejection reason of the contract (§1.1) reaches the dead-letter stream.
. "$(dirname "$0")/lib.sh"

redis_start
make_config "$T_DIR/triage.yaml"
P=triage:

# A VIP customer in the CRM (customers.key in the sample rules).
rcli hset crm:customer:VIP1 level vip annual_value 900000 >/dev/null

# Requests written before the daemon first starts are routed too.
rcli xadd ${P}requests '*' id EARLY-1 customer_id C1 channel email \
    subject "Question about my order" category general >/dev/null

daemon_start "$T_DIR/triage.yaml"
wait_until 10 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" ||
    not_ok "daemon became healthy"
check "request from before the first start routed" "general" \
    "$(rcli hget ${P}ticket:EARLY-1 team)"

# 1,200 mixed requests with gateway ids.
python3 "$SOURCE_DIR/tools/gen_requests.py" --count 1200 --prefix $P \
    --id-prefix MIX- | rcli --pipe >/dev/null
wait_until 20 eval '[ "$(count_keys "${P}ticket:MIX-*")" -eq 1200 ]'
check "1200 mixed requests give 1200 tickets" 1200 \
    "$(count_keys "${P}ticket:MIX-*")"
queued=0
for t in key_accounts tech_support billing after_sales general; do
	queued=$((queued + $(rcli zcard ${P}queue:$t)))
done
check "every ticket queued once" 1201 "$queued"
wait_until 5 eval '[ "$(rcli xpending ${P}requests routers | head -1)" -eq 0 ]'
check "nothing left pending" 0 "$(rcli xpending ${P}requests routers | head -1)"

# Classification and the ticket's fields (contract §1.2).
rcli xadd ${P}requests '*' id VIP-OUTAGE customer_id VIP1 channel phone \
    category outage subject "紧急：系统宕机" severity outage \
    received_at 1764000000000 >/dev/null
wait_until 10 key_exists ${P}ticket:VIP-OUTAGE
t=${P}ticket:VIP-OUTAGE
check "vip tier from the CRM record" vip "$(rcli hget $t tier)"
check "outage by phone is critical" critical "$(rcli hget $t urgency)"
check "score adds up: severity 60 + subject 30 + vip 20 + phone 10" 120 \
    "$(rcli hget $t score)"
check "vip-critical route chose key_accounts" "key_accounts/vip-critical" \
    "$(rcli hget $t team)/$(rcli hget $t route)"
check "policy vip applied" vip "$(rcli hget $t policy)"
check "status open" open "$(rcli hget $t status)"
check "created_at is received_at" 1764000000000 "$(rcli hget $t created_at)"
check "subject kept as written" "紧急：系统宕机" "$(rcli hget $t subject)"
check "ticket_id" VIP-OUTAGE "$(rcli hget $t ticket_id)"
check_true "rules_version is a short hash" \
    test "$(rcli hget $t rules_version | tr -d '0-9a-f' | wc -c)" -eq 1
check_true "routed_at after created_at" \
    test "$(rcli hget $t routed_at)" -gt 1764000000000
check_true "source_id is the stream entry" \
    test -n "$(rcli xrange ${P}requests "$(rcli hget $t source_id)" + COUNT 1)"
check "in the key_accounts queue" VIP-OUTAGE \
    "$(rcli zrange ${P}queue:key_accounts 0 -1 | grep -x VIP-OUTAGE)"

# Without an id the stream entry ID is the ticket ID, and its time the clock.
eid=$(rcli xadd ${P}requests '*' customer_id C2 channel chat subject hello)
wait_until 10 key_exists "${P}ticket:$eid"
check "entry ID as ticket ID" "$eid" "$(rcli hget "${P}ticket:$eid" ticket_id)"
check "clock starts at the entry ID time" "${eid%-*}" \
    "$(rcli hget "${P}ticket:$eid" created_at)"

# The same id twice, far apart and within one batch: one ticket.
rcli xadd ${P}requests '*' id DUP-1 customer_id C3 channel web category billing >/dev/null
rcli xadd ${P}requests '*' id DUP-1 customer_id C3 channel web category technical >/dev/null
wait_until 10 key_exists ${P}ticket:DUP-1
sleep 1
check "a repeated id is routed once" billing "$(rcli hget ${P}ticket:DUP-1 team)"
n=0
for t in key_accounts tech_support billing after_sales general; do
	n=$((n + $(rcli zscore ${P}queue:$t DUP-1 | grep -c .)))
done
check "a repeated id is queued once" 1 "$n"

# Every rejection reason: to the dead-letter stream with its reason.
long=$(head -c 70000 /dev/zero | tr '\0' x)
rcli xadd ${P}requests '*' channel phone subject "no customer" >/dev/null
rcli xadd ${P}requests '*' customer_id "" channel phone >/dev/null
rcli xadd ${P}requests '*' customer_id C9 channel fax >/dev/null
rcli xadd ${P}requests '*' id "bad id!" customer_id C9 channel phone >/dev/null
rcli xadd ${P}requests '*' id "$(head -c 129 /dev/zero | tr '\0' a)" customer_id C9 channel phone >/dev/null
rcli xadd ${P}requests '*' customer_id C9 channel phone body "$long" >/dev/null
rcli xadd ${P}requests '*' customer_id C9 channel phone customer_id C10 >/dev/null
printf 'XADD %srequests * customer_id C9 channel phone subject "\xff\xfe bad"\n' $P | rcli >/dev/null
rcli xadd ${P}requests '*' customer_id C9 channel phone received_at yesterday >/dev/null
rcli xadd ${P}requests '*' customer_id C9 channel phone received_at 99999999999999 >/dev/null
wait_until 10 eval '[ "$(xlen ${P}dead)" -ge 10 ]'
check "ten bad requests, ten dead letters" 10 "$(xlen ${P}dead)"
errors=$(rcli --raw xrange ${P}dead - + | grep -A1 -x error | grep -v -x -e error -e --)
for want in "'customer_id' is missing" "'customer_id' is empty" \
    "channel 'fax' is not configured" "field 'id' must be" \
    "field 'body' is 70000 bytes" "appears more than once" \
    "'subject' is not valid UTF-8" "got 'yesterday'" "got '99999999999999'"; do
	check_true "dead letter says: $want" grep -q -- "$want" <<<"$errors"
done
first=$(rcli --raw xrange ${P}dead - + COUNT 1)
check_true "dead letter keeps the original fields" grep -qx "no customer" <<<"$first"
check_true "dead letter has source_id" grep -qx source_id <<<"$first"
check_true "dead letter has failed_at" grep -qx failed_at <<<"$first"
check "bad requests are acknowledged" 0 \
    "$(rcli xpending ${P}requests routers | head -1)"

# Too many deliveries: another consumer took an entry and failed with it
# again and again.  The daemon is stopped meanwhile (SIGTERM: a clean exit)
# so the entry is delivered to the other consumer only.
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
check "SIGTERM: exit status 0" 0 "$?"
pid=$(rcli xadd ${P}requests '*' id POISON-2 customer_id C1 channel phone)
rcli xreadgroup group routers ghost count 100 streams ${P}requests '>' >/dev/null
for i in 1 2 3 4 5; do
	rcli xclaim ${P}requests routers ghost 0 "$pid" >/dev/null
done
daemon_start "$T_DIR/triage.yaml"
wait_until 15 bash -c "redis-cli -p $REDIS_PORT --raw xrange ${P}dead - + | grep -q 'times without being routed'"
check_true "an entry delivered too often is dead-lettered" \
    bash -c "redis-cli -p $REDIS_PORT --raw xrange ${P}dead - + | grep -q 'delivered 6 times without being routed'"
check "and gets no ticket" 0 "$(rcli exists ${P}ticket:POISON-2)"
check "and is no longer pending" 0 "$(rcli xpending ${P}requests routers | head -1)"

# Entries trimmed from the stream while pending: this consumer's own (read
# before a crash) and another consumer's.  Nothing crashes; they are dropped
# from the pending list and counted.
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
own=$(rcli xadd ${P}requests '*' id TRIM-OWN customer_id C1 channel phone)
other=$(rcli xadd ${P}requests '*' id TRIM-OTHER customer_id C1 channel phone)
rcli xreadgroup group routers triaged count 1 streams ${P}requests '>' >/dev/null
rcli xreadgroup group routers ghost count 1 streams ${P}requests '>' >/dev/null
rcli xdel ${P}requests "$own" "$other" >/dev/null
check "two trimmed entries pending" 2 "$(rcli xpending ${P}requests routers | head -1)"
sleep 2	# older than claim_idle
daemon_start "$T_DIR/triage.yaml"
wait_until 15 eval '[ "$(rcli xpending ${P}requests routers | head -1)" -eq 0 ]'
check "trimmed entries leave the pending list" 0 \
    "$(rcli xpending ${P}requests routers | head -1)"
wait_until 5 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz"
check "trimmed entries are counted" 2 "$(curl -s "http://127.0.0.1:$HTTP_PORT/metrics" |
    awk '/^triaged_entries_trimmed_total / { print $2 }')"
check "no ticket for a trimmed entry" 0 "$(rcli exists ${P}ticket:TRIM-OWN ${P}ticket:TRIM-OTHER)"
rcli xadd ${P}requests '*' id AFTER-TRIM customer_id C1 channel phone >/dev/null
wait_until 10 key_exists ${P}ticket:AFTER-TRIM
check "routing goes on after trimmed entries" 1 "$(rcli exists ${P}ticket:AFTER-TRIM)"

# The daemon is still up after all of it.
check_true "daemon survived bad input" kill -0 "$DAEMON_PID"
