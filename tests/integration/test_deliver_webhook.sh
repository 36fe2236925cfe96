#!/usr/bin/env bash
# Alert delivery to webhooks (json and slack), end to end: a breach is
# posted once with its key; the page is resolved after `responded`; a
# receiver failing its first calls gets it once it answers; a 400 is
# dead-lettered at once; a kill -9 before the receiver accepted loses
# nothing; two daemons sharing the group post no alert twice; a receiver
# answering 503 until give_up_after is retried with backoff, then the alert
# is dead-lettered and never posted to it again; a receiver that holds
# every post it gets slows neither routing nor delivery to the others.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deliver.sh"

redis_start
webhook_start hook
webhook_start flaky --fail 3 --status 503
webhook_start bad --fail 1000 --status 400
webhook_start floor
CFG=$T_DIR/deliver.yaml
deliver_config "$CFG" "  hook:
    webhook: {url: \"http://127.0.0.1:$hook_PORT/hooks/a\", format: json, give_up_after: 60s, timeout: 2s}
  flaky:
    webhook: {url: \"http://127.0.0.1:$flaky_PORT/\", give_up_after: 60s, timeout: 2s}
  bad:
    webhook: {url: \"http://127.0.0.1:$bad_PORT/\", give_up_after: 60s}
  floor:
    webhook: {url: \"http://127.0.0.1:$floor_PORT/\", format: slack}" \
    "hook, flaky, bad, floor"

daemon_start "$CFG" node-a
wait_until 10 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" ||
    not_ok "daemon became healthy"

# --- A breach reaches every receiver of its target.
submit VIP-1 "打印机 \"on fire\""
wait_until 15 eval '[ "$(count_posts hook "^VIP-1:first_response:0 firing VIP-1$")" -ge 1 ]'
check "json webhook got the breach once, with its Idempotency-Key" 1 \
    "$(count_posts hook "^VIP-1:first_response:0 firing VIP-1$")"
body=$(head -n 1 "$T_DIR/hook.jsonl")
check "the json body carries the §1.5 fields, the key, who is paged" \
    "/hooks/a VIP-1:first_response:0 VIP-1 general standard low fast first_response 0 breach page li_na Li Na 打印机 \"on fire\" True True" \
    "$(python3 -c '
import json, sys
r = json.loads(sys.argv[1]); b = r["body"]
print(r["path"], b["key"], b["ticket"], b["team"], b["tier"], b["urgency"],
      b["policy"], b["metric"], b["step"], b["kind"], b["notify"],
      b.get("oncall"), b.get("oncall_name"), b.get("subject"),
      isinstance(b["fired_at"], int), b["due"] <= b["fired_at"])' "$body")"
wait_until 10 eval '[ "$(count_posts floor "^VIP-1:first_response:0 text")" -ge 1 ]'
check_true "the slack webhook got a text a person reads" \
    grep -q 'VIP-1:first_response:0 text Ticket VIP-1 (standard, low) first_response breach — paged Li Na\. Due .* UTC\. Team general\. 打印机 "on fire"' \
    <(posts floor)
check_true "the log says which alert went where, for a person" \
    grep -qE "deliver: ticket VIP-1 first_response breach \(step 0\) -> li_na via hook \(webhook json, [0-9]+ ms\)" \
    "$T_DIR/node-a.log"

# --- 503 three times, then 200: delivered once, the retries counted.
wait_until 30 eval '[ "$(count_posts flaky "^VIP-1:first_response:0 firing")" -ge 1 ]'
check "the failing receiver got it once it answered 200" 1 \
    "$(count_posts flaky "^VIP-1:first_response:0 firing")"
check "retries counted" 3 \
    "$(metric 'triaged_deliveries_total{receiver="flaky",outcome="retried"}')"
check "delivered counted" 1 \
    "$(metric 'triaged_deliveries_total{receiver="flaky",outcome="delivered"}')"
check_true "each failure logged with the receiver, status and next retry" \
    grep -qE "deliver: ticket VIP-1 .* via flaky failed \(HTTP 503\); attempt 2, next in 2\.0s" \
    "$T_DIR/node-a.log"

# --- 400: dead-lettered at once, with the status and the answer.
wait_until 15 eval '[ "$(xlen ${P}dead)" -ge 1 ]'
dead=$(rcli --raw xrange ${P}dead - + | tr '\n' ' ')
check_true "the 400 is in P+dead with the receiver and the reason" \
    grep -q 'receiver bad error bad answered 400: {"error":"bad request"}' <<<"$dead"
check_true "the dead letter keeps the alert and where it came from" \
    grep -q "ticket VIP-1 .*source_stream alerts" <<<"$dead"
check "rejected, not retried" "1 0" \
    "$(metric 'triaged_deliveries_total{receiver="bad",outcome="rejected"}') $(metric 'triaged_deliveries_total{receiver="bad",outcome="retried"}')"
wait_until 15 eval '[ "$(rcli xpending ${P}alerts deliver | head -n 1)" = 0 ]'
check "the alert is acked once every receiver is settled" 0 \
    "$(rcli xpending ${P}alerts deliver | head -n 1)"
check "its progress is forgotten" 0 "$(count_keys "${P}delivery:*")"
wait_until 10 eval '[ "$(metric triaged_alerts_undelivered)" = 0 ]'
check "undelivered gauge back to 0" 0 "$(metric triaged_alerts_undelivered)"
check_true "latency histogram counts the deliveries" \
    test "$(metric triaged_delivery_latency_seconds_count)" -ge 3

# --- Resolved after `responded`: the json webhook is told, slack is not.
event VIP-1 responded
wait_until 15 eval '[ "$(count_posts hook "^VIP-1:first_response:0:resolved resolved")" -ge 1 ]'
check "json webhook told of the resolution" 1 \
    "$(count_posts hook "^VIP-1:first_response:0:resolved resolved VIP-1$")"
check "nothing left firing" 0 "$(rcli zcard ${P}firing)"
check "slack got one post for VIP-1 only" 1 "$(count_posts floor "^VIP-1:")"

# --- An alert older than give_up_after when first read (the stream's
# history, when delivery is turned on): nobody is paged for it now.
old=$(( $(date +%s) * 1000 - 7200000 ))
rcli xadd ${P}alerts '*' ticket OLD-1 team general tier standard urgency low \
    policy fast metric first_response step 0 kind breach notify page \
    due "$old" fired_at "$old" >/dev/null
wait_until 15 eval '[ "$(metric "triaged_deliveries_total{receiver=\"hook\",outcome=\"expired\"}")" = 1 ]'
check "the two-hour-old alert is not posted" 0 "$(count_posts hook "^OLD-1:")"
wait_until 15 eval '[ "$(count_posts floor "^OLD-1:")" -ge 1 ]'
check "each receiver by its own give_up_after: hook (60s) skips it, floor (24h) posts it" "1 0 1" \
    "$(metric 'triaged_deliveries_total{receiver="hook",outcome="expired"}') $(metric 'triaged_deliveries_total{receiver="floor",outcome="expired"}') $(count_posts floor "^OLD-1:")"
wait_until 10 eval '[ "$(rcli xpending ${P}alerts deliver | head -n 1)" = 0 ]'
check "and acknowledged, without a dead letter" "0 1" \
    "$(rcli xpending ${P}alerts deliver | head -n 1) $(xlen ${P}dead)"

# --- Dead letters sent again for one receiver (what `dead redrive` appends:
# the alert with `receiver`), after the rules changed: to a receiver its
# target no longer lists, it is posted still; to one the rules no longer
# define, it is dead-lettered again with the reason, never acked unsaid.
now=$(( $(date +%s) * 1000 ))
rcli xadd ${P}alerts '*' ticket RE-1 team general tier standard urgency low \
    policy fast metric first_response step 0 kind breach notify gone_target \
    due "$now" fired_at "$now" receiver hook >/dev/null
rcli xadd ${P}alerts '*' ticket RE-2 team general tier standard urgency low \
    policy fast metric first_response step 0 kind breach notify page \
    due "$now" fired_at "$now" receiver ghost >/dev/null
wait_until 15 eval '[ "$(count_posts hook "^RE-1:first_response:0 firing")" -ge 1 ]'
check "to a receiver the target no longer lists: posted" 1 \
    "$(count_posts hook "^RE-1:first_response:0 firing")"
wait_until 15 eval '[ -n "$(dead_for RE-2)" ]'
check_true "to a receiver no longer defined: dead-lettered, saying so ($(dead_for RE-2))" \
    grep -q "^ghost|receiver ghost is not defined in the rules in force|" <<<"$(dead_for RE-2)"
check_true "and logged" grep -q "deliver: alert .* cannot be delivered: receiver ghost is not defined" \
    "$T_DIR/node-a.log"
wait_until 10 eval '[ "$(rcli xpending ${P}alerts deliver | head -n 1)" = 0 ]'
check "both acknowledged" 0 "$(rcli xpending ${P}alerts deliver | head -n 1)"

kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null

# --- kill -9 while the receiver is down: nothing lost.
kill "$hook_PID"; wait "$hook_PID" 2>/dev/null
CFG2=$T_DIR/one.yaml
deliver_config "$CFG2" "  hook:
    webhook: {url: \"http://127.0.0.1:$hook_PORT/hooks/a\", give_up_after: 120s, timeout: 2s}"
daemon_start "$CFG2" node-a
wait_until 10 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" ||
    not_ok "daemon became healthy again"
submit KILL-1
wait_until 15 grep -q "ticket KILL-1 .* failed" "$T_DIR/node-a.log"
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null
check "the fired alert is still pending in the deliver group" 1 \
    "$(rcli xpending ${P}alerts deliver | head -n 1)"
webhook_start hook --port "$hook_PORT"
daemon_start "$CFG2" node-a
wait_until 20 eval '[ "$(count_posts hook "^KILL-1:first_response:0 firing")" -ge 1 ]'
check "delivered after the restart, once" 1 \
    "$(count_posts hook "^KILL-1:first_response:0 firing")"
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null

# --- Two daemons share the group: no alert posted twice.
daemon_start "$CFG2" node-a
A_PID=$DAEMON_PID
daemon_start "$CFG2" node-b
wait_until 10 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz"
for i in $(seq 1 20); do submit "TWO-$i"; done
wait_until 30 eval '[ "$(count_posts hook "^TWO-[0-9]+:first_response:0 firing")" -ge 20 ]'
sleep 3
check "20 alerts, 20 posts" 20 \
    "$(count_posts hook "^TWO-[0-9]+:first_response:0 firing")"
check "no key posted twice" "" \
    "$(posts hook | grep "^TWO-" | grep firing | awk '{ print $1 }' | sort | uniq -d)"
check "every alert acked" 0 "$(rcli xpending ${P}alerts deliver | head -n 1)"
kill -9 "$A_PID" "$DAEMON_PID"; wait "$A_PID" "$DAEMON_PID" 2>/dev/null

# --- 503 until give_up_after (5s from fired_at): retried 1 s, 2 s, then at
# give_up_after itself; then dead-lettered with the receiver and the reason,
# counted as gave_up, acked, and not posted to that receiver again.
webhook_start down --fail 1000000 --status 503
CFG3=$T_DIR/down.yaml
deliver_config "$CFG3" "  down:
    webhook: {url: \"http://127.0.0.1:$down_PORT/\", give_up_after: 5s, timeout: 2s}" down
daemon_start "$CFG3" node-a
wait_until 10 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" ||
    not_ok "daemon became healthy with the failing receiver"
submit DOWN-1
wait_until 40 eval '[ -n "$(dead_for DOWN-1)" ]'
dl=$(dead_for DOWN-1)
n=$(count_tries down "^DOWN-1:first_response:0 503$")
check_true "dead-lettered with the receiver and why: '$dl'" \
    grep -qxE "down\|gave up delivering to down after $n attempts over [0-9]+s: HTTP 503\|[0-9]+\|[0-9]+" <<<"$dl"
IFS='|' read -r _ _ fired failed <<<"$dl"
check_true "not given up before give_up_after (failed_at $failed, fired_at $fired)" \
    test "$failed" -ge "$(( fired + 5000 ))"
check_true "retried with a doubling backoff: 2 to 4 attempts in 5s ($n)" \
    test "$n" -ge 2 -a "$n" -le 4
check "every attempt but the last counted as retried" "$(( n - 1 ))" \
    "$(metric 'triaged_deliveries_total{receiver="down",outcome="retried"}')"
check "the gave-up metric counts it" 1 \
    "$(metric 'triaged_deliveries_total{receiver="down",outcome="gave_up"}')"
check_true "the give-up is logged with the receiver" \
    grep -qE "deliver: ticket DOWN-1 first_response breach \(step 0\) -> li_na via down: gave up delivering to down after $n attempts" \
    "$T_DIR/node-a.log"
wait_until 15 eval '[ "$(rcli xpending ${P}alerts deliver | head -n 1)" = 0 ]'
check "the alert is acked and its progress forgotten" "0 0" \
    "$(rcli xpending ${P}alerts deliver | head -n 1) $(count_keys "${P}delivery:*")"
check "a page given up on is not kept firing (no resolution is posted for it)" "" \
    "$(rcli zscore ${P}firing "down|DOWN-1|first_response|0")"
# Longer than the claim cycle (claim_idle 2s), and across a restart.
sleep 5
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null
daemon_start "$CFG3" node-a
wait_until 10 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" ||
    not_ok "daemon became healthy again"
sleep 5
check "not posted to it again, not dead-lettered again" "$n 1" \
    "$(count_tries down "^DOWN-1:") $(dead_for DOWN-1 | wc -l)"
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null

# --- A receiver that holds every post it gets (it answers after 300 s)
# beside one that answers at once: routing, firing and the fast receiver
# carry on; the slow one has at most 8 posts in flight.
webhook_start slow --slow 300
webhook_start fast
CFG4=$T_DIR/slow.yaml
deliver_config "$CFG4" "  slow:
    webhook: {url: \"http://127.0.0.1:$slow_PORT/\", give_up_after: 1h, timeout: 10m}
  fast:
    webhook: {url: \"http://127.0.0.1:$fast_PORT/\", give_up_after: 1h, timeout: 5s}" \
    "slow, fast"
daemon_start "$CFG4" node-a
wait_until 10 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" ||
    not_ok "daemon became healthy with the slow receiver"
for i in $(seq 1 12); do submit "SLOW-$i"; done
wait_until 60 eval '[ "$(count_posts fast "^SLOW-[0-9]+:first_response:0 firing")" -ge 12 ]'
check "the fast receiver got all 12 alerts" 12 \
    "$(count_posts fast "^SLOW-[0-9]+:first_response:0 firing")"
wait_until 30 eval '[ "$(count_tries slow "^SLOW-")" -ge 8 ]'
sleep 2
check "the slow receiver holds 8 posts, no more" 8 \
    "$(count_tries slow "^SLOW-")"
# While those 8 wait: new requests are routed and fire, and reach fast.
for i in $(seq 1 5); do submit "LATE-$i"; done
wait_until 30 eval '[ "$(count_keys "${P}ticket:LATE-*")" -ge 5 ]'
check "new requests routed while the slow receiver holds its posts" 5 \
    "$(count_keys "${P}ticket:LATE-*")"
wait_until 60 eval '[ "$(count_posts fast "^LATE-[0-9]+:first_response:0 firing")" -ge 5 ]'
check "their breaches fired and reached the fast receiver" 5 \
    "$(count_posts fast "^LATE-[0-9]+:first_response:0 firing")"
check "the slow receiver answered none of them meanwhile, and took no more" \
    "0 8" "$(count_posts slow "." ) $(count_tries slow ".")"
check "nothing dead-lettered" "" \
    "$(for t in SLOW-1 LATE-1; do dead_for $t; done)"
