#!/usr/bin/env bash
# Requests and events sent as an attacker or a careless gateway would: none
# may lose its neighbours' work, silence an alert or stall the daemon.
#   - a 4,100-field request in the middle of a batch: the batch is routed,
#     queued, scheduled and acknowledged; the poison is dead-lettered once,
#     bounded, with what was dropped counted; same for an event;
#   - a poison with values over intake.max_field_bytes and over 1,000
#     fields: its dead letter keeps the values cut, and says how many;
#   - a ticket written by a call that failed before queueing it is queued
#     and scheduled when its entry comes back;
#   - request fields named like the ticket's own state are refused;
#   - corrupt clock numbers on a ticket neither crash nor silence it;
#   - a flood of megabyte requests is routed and its memory given back;
#   - a customer_id too long for the CRM key gets no lookup at all;
#   - `triagectl ticket` shows control characters as text;
#   - numbers are decimal: a hex order_value is no number to a rule.
. "$(dirname "$0")/ops.sh"

redis_start
CFG=$T_DIR/hostile.yaml
cat > "$CFG" <<YAML
redis:
  port: $REDIS_PORT
intake:
  claim_idle: 2s
customers:
  key: "crm:customer:{customer_id}"
tiers:
  levels:
    - name: vip
      when: {customer.level: vip}
    - name: standard
urgency:
  levels: [critical, low]
teams: [general, escalations]
routes:
  - name: big-order
    when: {order_value: {gte: 100000}}
    team: escalations
default_team: general
sla:
  - name: slow
    when: {category: slow}
    calendar: always
    first_response:
      within: 1h
      escalate:
        - {at: 50%, notify: lead}
        - {at: 100%, notify: oncall}
  - name: fast
    calendar: always
    first_response:
      within: 4s
      escalate:
        - {at: 50%, notify: lead}
        - {at: 100%, notify: oncall}
    resolution: {within: 1h}
notify: [lead, oncall]
http:
  listen: 127.0.0.1:$HTTP_PORT
YAML

# RESP for one XADD of the given fields: resp KEY f1 v1 f2 v2 ...
resp_xadd() {
	python3 - "$@" <<'PY'
import sys
args = ["XADD", sys.argv[1], "*"] + sys.argv[2:]
out = ["*%d\r\n" % len(args)]
for a in args:
    b = a.encode()
    out.append("$%d\r\n" % len(b)); out.append(b.decode() + "\r\n")
sys.stdout.write("".join(out))
PY
}
# XADD of a request with N extra fields of SIZE bytes each, by RESP.
# big_request KEY ID N SIZE
big_request() {
	python3 - "$@" <<'PY'
import sys
key, rid, n, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
args = [b"XADD", key.encode(), b"*", b"id", rid.encode(), b"customer_id",
        b"C1", b"channel", b"web"]
for i in range(n):
    args += [b"f%d" % i, b"v" * size]
out = sys.stdout.buffer
out.write(b"*%d\r\n" % len(args))
for a in args:
    out.write(b"$%d\r\n%s\r\n" % (len(a), a))
PY
}
# dead_field SOURCE_ID FIELD: a field of the dead letter of that entry.
dead_field() {
	rcli eval "for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
	    local f, d = e[2], {}
	    for i = 1, #f, 2 do d[f[i]] = f[i + 1] end
	    if d.source_id == ARGV[1] then return d[ARGV[2]] or '' end
	  end return ''" 1 ${P}dead "$1" "$2"
}
# dead_pairs SOURCE_ID: how many fields that dead letter has.
dead_pairs() {
	rcli eval "for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
	    local f = e[2]
	    for i = 1, #f, 2 do
	      if f[i] == 'source_id' and f[i + 1] == ARGV[1] then return #f / 2 end
	    end
	  end return 0" 1 ${P}dead "$1"
}
# alerts_for TICKET: "metric step kind" per alert of that ticket.
alerts_for() {
	rcli eval "local out = {}
	  for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
	    local f, d = e[2], {}
	    for i = 1, #f, 2 do d[f[i]] = f[i + 1] end
	    if d.ticket == ARGV[1] then
	      out[#out + 1] = d.metric .. ' ' .. d.step .. ' ' .. d.kind
	    end
	  end return out" 1 ${P}alerts "$1"
}
# scheduled PATTERN: members of P+sla matching a Lua pattern.
scheduled() {
	rcli eval "local n = 0
	  for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
	    if m:find(ARGV[1]) then n = n + 1 end
	  end return n" 1 ${P}sla "$1"
}

# 1. A poison request between good ones, all in one batch: written before
# the daemon starts, so one XREADGROUP reads them together.
for i in $(seq 1 10); do
	rcli xadd ${P}requests '*' id GOOD-$i customer_id C$i channel web \
	    category slow >/dev/null
done
big_request ${P}requests POISON 4100 8 | rcli --pipe >/dev/null
poison=$(rcli xrevrange ${P}requests + - count 1 | head -1)
for i in $(seq 11 20); do
	rcli xadd ${P}requests '*' id GOOD-$i customer_id C$i channel web \
	    category slow >/dev/null
done
daemon_start "$CFG"
wait_until 20 healthy
wait_until 20 is_eq 0 pending
check "the poison's neighbours all became tickets" 20 "$(count_keys "${P}ticket:GOOD-*")"
check "and are all queued" 20 "$(rcli zcard ${P}queue:general)"
check "and all scheduled (the first step of each)" 20 "$(scheduled '^GOOD%-.*|0|0|')"
check "nothing left pending" 0 "$(pending)"
check "the poison is not a ticket" 0 "$(rcli exists ${P}ticket:POISON)"
check "the poison dead-lettered once" 1 "$(xlen ${P}dead)"
check "its dead letter says why" 1 \
    "$(dead_field "$poison" error | grep -c 'has 4103 fields; at most 1000')"
check "it counts the fields left out" 3103 "$(dead_field "$poison" fields_dropped)"
check "it keeps 1000 of them, and error, source_id, failed_at, fields_dropped, source_stream" \
    1005 "$(dead_pairs "$poison")"
sleep 5		# two claim cycles
check "still dead-lettered only once after claim cycles" 1 "$(xlen ${P}dead)"

# The same with an event of 4,100 fields.
big_request ${P}events EV-POISON 4100 8 | rcli --pipe >/dev/null
ev_poison=$(rcli xrevrange ${P}events + - count 1 | head -1)
wait_until 20 is_eq 2 xlen ${P}dead
check "a 4,100-field event is dead-lettered" 2 "$(xlen ${P}dead)"
check "with a reason" 1 "$(dead_field "$ev_poison" error | grep -c 'at most 1000')"
wait_until 10 is_eq 0 eval "rcli xpending ${P}events routers | head -1"
check "and acknowledged" 0 "$(rcli xpending ${P}events routers | head -1)"
rcli xadd ${P}events '*' ticket GOOD-1 event responded >/dev/null
wait_until 10 is_eq responded rcli hget ${P}ticket:GOOD-1 status
check "events after it are applied" responded "$(rcli hget ${P}ticket:GOOD-1 status)"

# 1b. A poison whose values are longer than intake.max_field_bytes (the
# default, 65536) and which has more than 1,000 fields, between good
# requests in one batch: its dead letter keeps each long value cut to
# max_field_bytes and counts them in values_cut; the neighbours are routed.
# mixed_request KEY ID NLONG LONGSIZE NSHORT: NLONG long fields first.
mixed_request() {
	python3 - "$@" <<'PY'
import sys
key, rid = sys.argv[1], sys.argv[2]
nlong, size, nshort = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
args = [b"XADD", key.encode(), b"*", b"id", rid.encode(), b"customer_id",
        b"C1", b"channel", b"web"]
for i in range(nlong):
    args += [b"long%d" % i, b"x" * size]
for i in range(nshort):
    args += [b"s%d" % i, b"v"]
out = sys.stdout.buffer
out.write(b"*%d\r\n" % len(args))
for a in args:
    out.write(b"$%d\r\n%s\r\n" % (len(a), a))
PY
}
# dead_len SOURCE_ID FIELD: the length of that field's value in the dead letter.
dead_len() {
	rcli eval "for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
	    local f, d = e[2], {}
	    for i = 1, #f, 2 do d[f[i]] = f[i + 1] end
	    if d.source_id == ARGV[1] then return #(d[ARGV[2]] or '') end
	  end return -1" 1 ${P}dead "$1" "$2"
}
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
dead_before=$(xlen ${P}dead)
for i in $(seq 1 5); do
	rcli xadd ${P}requests '*' id CUT-GOOD-$i customer_id C$i channel web \
	    category slow >/dev/null
done
# 3 + 5 + 1100 = 1108 fields; 5 values of 70,000 bytes.
mixed_request ${P}requests CUT-POISON 5 70000 1100 | rcli --pipe >/dev/null
cut_poison=$(rcli xrevrange ${P}requests + - count 1 | head -1)
for i in $(seq 6 10); do
	rcli xadd ${P}requests '*' id CUT-GOOD-$i customer_id C$i channel web \
	    category slow >/dev/null
done
daemon_start "$CFG"
wait_until 20 is_eq 10 count_keys "${P}ticket:CUT-GOOD-*"
wait_until 20 is_eq 0 pending
check "the neighbours of a poison with long values are routed" 10 \
    "$(count_keys "${P}ticket:CUT-GOOD-*")"
check "and queued" 10 "$(rcli eval "local n = 0
    for _, t in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
      if t:find('^CUT%-GOOD%-') then n = n + 1 end
    end return n" 1 ${P}queue:general)"
check "the poison is not a ticket" 0 "$(rcli exists ${P}ticket:CUT-POISON)"
check "the poison dead-lettered once" $((dead_before + 1)) "$(xlen ${P}dead)"
check "its dead letter says why" 1 \
    "$(dead_field "$cut_poison" error | grep -c 'has 1108 fields; at most 1000')"
check "it counts the values cut" 5 "$(dead_field "$cut_poison" values_cut)"
check "each long value kept cut to intake.max_field_bytes" \
    "65536 65536 65536 65536 65536" \
    "$(for i in 0 1 2 3 4; do dead_len "$cut_poison" long$i; done | paste -sd' ')"
check "a short value kept whole" v "$(dead_field "$cut_poison" s0)"
check "it counts the fields left out" 108 "$(dead_field "$cut_poison" fields_dropped)"
check "it keeps 1000 fields, and error, source_id, failed_at, fields_dropped, values_cut, source_stream" \
    1006 "$(dead_pairs "$cut_poison")"

# 2. A ticket whose routing call failed after its HSET: its entry is still
# pending to this consumer, the hash exists with its source_id, no rev.
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
hw=$(rcli xadd ${P}requests '*' id HALF-1 customer_id C1 channel web \
    category slow)
rcli xreadgroup group routers triaged count 1 streams ${P}requests '>' >/dev/null
rcli hset ${P}ticket:HALF-1 ticket_id HALF-1 source_id "$hw" customer_id C1 \
    channel web >/dev/null
daemon_start "$CFG"
wait_until 20 eval "[ -n \"\$(rcli zscore ${P}queue:general HALF-1)\" ]"
check_true "a half-written ticket is queued on redelivery" \
    test -n "$(rcli zscore ${P}queue:general HALF-1)"
check "and scheduled (its first step)" 1 "$(scheduled '^HALF%-1|first_response|0|0|')"
wait_until 10 is_eq 0 pending
check "and acknowledged" 0 "$(pending)"
# A duplicate id from another entry is still a duplicate.
rcli xadd ${P}requests '*' id HALF-1 customer_id C9 channel phone >/dev/null
sleep 1
check "a repeated id still changes nothing" C1 "$(rcli hget ${P}ticket:HALF-1 customer_id)"

# 3. Fields named like the ticket's own state: refused, with the reason.
dead_before=$(xlen ${P}dead)
now=$(now_ms)
for f in rev first_response_gen fired:first_response:0 first_response_at \
    resolution_spent status policy; do
	rcli xadd ${P}requests '*' id RES-$(echo "$f" | tr ':_' '--') \
	    customer_id C1 channel web "$f" 9223372036854775807 >/dev/null
done
wait_until 20 is_eq $((dead_before + 7)) xlen ${P}dead
check "seven requests with reserved fields dead-lettered" $((dead_before + 7)) "$(xlen ${P}dead)"
check "none became a ticket" 0 "$(count_keys "${P}ticket:RES-*")"
check_true "the reason names the field" \
    bash -c "redis-cli -p $REDIS_PORT --raw xrange ${P}dead - + | grep -q \"field 'first_response_gen' is reserved\""
wait_until 10 is_eq 7 metric 'triaged_requests_rejected_total{reason="reserved_field"}'
check "counted as reserved_field" 7 \
    "$(metric 'triaged_requests_rejected_total{reason="reserved_field"}')"
# `tier` stays a request field (tiers.trust_request), and alerts still fire.
rcli xadd ${P}requests '*' id ALERT-1 customer_id C1 channel web tier vip \
    received_at "$now" >/dev/null
wait_until 20 eval '[ "$(alerts_for ALERT-1 | wc -l)" -ge 2 ]'
check "a plain request's warning and breach fire" \
    "first_response 0 warning;first_response 1 breach;" \
    "$(alerts_for ALERT-1 | sort | tr '\n' ';')"

# 4. Corrupt clock numbers on a ticket: a rev that is not a number does not
# stop its breach; a huge resolution_spent does not overflow (UBSan would
# abort) and the event still applies.
rcli xadd ${P}requests '*' id CORRUPT-1 customer_id C1 channel web >/dev/null
wait_until 10 key_exists ${P}ticket:CORRUPT-1
rcli hset ${P}ticket:CORRUPT-1 rev x resolution_spent 9223372036854775807 \
    resolution_target 9223372036854775807 >/dev/null
wait_until 20 eval '[ "$(alerts_for CORRUPT-1 | wc -l)" -ge 2 ]'
check "steps fire on a ticket whose rev is corrupt" 2 "$(alerts_for CORRUPT-1 | wc -l)"
rcli xadd ${P}events '*' ticket CORRUPT-1 event pending >/dev/null
rcli xadd ${P}events '*' ticket CORRUPT-1 event resumed >/dev/null
rcli xadd ${P}events '*' ticket CORRUPT-1 event resolved >/dev/null
wait_until 20 is_eq resolved rcli hget ${P}ticket:CORRUPT-1 status
check "events apply to it" resolved "$(rcli hget ${P}ticket:CORRUPT-1 status)"
check_true "the daemon is alive" kill -0 "$DAEMON_PID"
check_true "the corrupt number was reported" \
    grep -q "is not a clock value" "$T_DIR/triaged.log"

# 5. A flood of big requests: 40 of 1.5 MB (25 fields of 60 KiB), written
# while the daemon is down so that one read takes them all, far over a
# batch's byte budget; all routed, and the memory given back.
rss() { awk '/^VmRSS/ { print $2 }' /proc/$DAEMON_PID/status; }
rss_before=$(rss)
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
for i in $(seq 1 40); do big_request ${P}requests BIG-$i 25 61440; done |
    rcli --pipe >/dev/null
daemon_start "$CFG"
wait_until 60 is_eq 40 count_keys "${P}ticket:BIG-*"
check "40 big requests routed" 40 "$(count_keys "${P}ticket:BIG-*")"
check_true "reads were fitted to the byte budget" \
    grep -q "reading [0-9]* at a time" "$T_DIR/triaged.log"
wait_until 10 is_eq 0 pending
# The ack lands before the last batch is put back and its memory freed:
# poll for it.
wait_until 20 eval 'test "$(rss)" -lt $((rss_before + 32768))'
rss_after=$(rss)
echo "# VmRSS before the flood ${rss_before} kB, after ${rss_after} kB"
if ldd "$TRIAGED" | grep -q libasan; then
	echo "# (memory check skipped: AddressSanitizer keeps freed memory)"
else
	check_true "memory given back after the flood (< 32 MB more)" \
	    test "$rss_after" -lt $((rss_before + 32768))
fi

# 6. A customer_id too long for the CRM key: no lookup at all, so not the
# record at the empty key either.
rcli hset "" level vip >/dev/null
rcli hset crm:customer:C1 level standard >/dev/null
long=$(head -c 2000 /dev/zero | tr '\0' 'L')
rcli xadd ${P}requests '*' id LONG-1 customer_id "$long" channel web >/dev/null
wait_until 10 key_exists ${P}ticket:LONG-1
check "an overlong customer key gets no CRM record" standard \
    "$(rcli hget ${P}ticket:LONG-1 tier)"

# 7. triagectl ticket: a subject with terminal escapes is shown as text.
rcli xadd ${P}requests '*' id ESC-1 customer_id C1 channel web \
    subject "$(printf 'hi\033[2J\033]0;owned\007')" >/dev/null
wait_until 10 key_exists ${P}ticket:ESC-1
"$TRIAGECTL" -c "$CFG" ticket ESC-1 >"$T_DIR/ticket.txt"
check_true "no escape byte reaches the terminal" \
    bash -c "! grep -q $'\033' '$T_DIR/ticket.txt'"
check_true "the escape is shown as text" \
    grep -qF 'hi\x1b[2J\x1b]0;owned\x07' "$T_DIR/ticket.txt"

# 8. Numbers are decimal only: a hex order_value (0x186A0 is 100000, 0x1p17
# is 131072 to strtod) is no number, so the route on order_value >= 100000
# does not take it; 100000 and 1e5 are numbers and it does.
num=0
for v in 100000 1e5 0x186A0 0X186a0 0x1p17; do
	num=$((num + 1))
	rcli xadd ${P}requests '*' id NUM-$num customer_id C1 channel web \
	    order_value "$v" >/dev/null
done
wait_until 20 is_eq 5 count_keys "${P}ticket:NUM-*"
check "decimal order values are routed by big-order" \
    "escalations big-order;escalations big-order;" \
    "$(for i in 1 2; do echo "$(rcli hget ${P}ticket:NUM-$i team) $(rcli hget ${P}ticket:NUM-$i route)"; done | tr '\n' ';')"
check "hex order values (0x186A0, 0X186a0, 0x1p17) are not" \
    "general;general;general;" \
    "$(for i in 3 4 5; do rcli hget ${P}ticket:NUM-$i team; done | tr '\n' ';')"
check "and their tickets name no route" "default;default;default;" \
    "$(for i in 3 4 5; do rcli hget ${P}ticket:NUM-$i route; done | tr '\n' ';')"

check_true "the daemon survived it all" kill -0 "$DAEMON_PID"
