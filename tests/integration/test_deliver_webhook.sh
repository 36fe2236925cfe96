#!/usr/bin/env bash
# Alert delivery to webhooks (json and slack), end to end: a breach is
# posted once with its key; the page is resolved after `responded`; a
# receiver failing its first calls gets it once it answers; a 400 is
# dead-lettered at once; a kill -9 before the receiver accepted loses
# nothing; two daemons sharing the group post no alert twice.
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
