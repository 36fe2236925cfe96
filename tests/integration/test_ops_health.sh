#!/usr/bin/env bash
# /healthz and /metrics, the systemd notifications, and the log's manners:
# 503 with the reason until Redis is there, READY=1 only once the group
# exists, every series of the README's Metrics table in valid Prometheus text, and no log
# line per routed request; a breach counted by metric, team and policy.
. "$(dirname "$0")/ops.sh"

check_true "the sample config serves HTTP on loopback only" \
    grep -q "^  listen: 127.0.0.1:" "$SOURCE_DIR/conf/triage.yaml"

# A stand-in for systemd's notification socket.
NOTIFY=$T_DIR/notify.sock
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        msg = s.recv(4096).decode()
        out.write(msg.replace("\n", " ") + "\n")
        out.flush()
' "$NOTIFY" "$T_DIR/notify.txt" &
T_DAEMONS+=("$!")
wait_until 5 test -S "$NOTIFY"
touch "$T_DIR/notify.txt"

# Redis is not there yet.
make_config "$T_DIR/triage.yaml"
NOTIFY_SOCKET=$NOTIFY daemon_start "$T_DIR/triage.yaml"
wait_until 10 unhealthy
check "503 while Redis is away" 503 "$(health_code)"
check_true "the reason names the connection" \
    grep -q "^unhealthy: redis .*: cannot connect" <<<"$(health_body)"
wait_until 5 grep -q WATCHDOG=1 "$T_DIR/notify.txt"
check_true "the watchdog is fed while Redis is away" \
    grep -q WATCHDOG=1 "$T_DIR/notify.txt"
check_true "not READY before Redis answers" \
    bash -c "! grep -q READY=1 '$T_DIR/notify.txt'"

redis_start
wait_until 20 healthy
check "200 once connected" 200 "$(health_code)"
check "and says ok" "ok" "$(health_body)"
wait_until 5 grep -q READY=1 "$T_DIR/notify.txt"
check_true "READY=1 sent" grep -q READY=1 "$T_DIR/notify.txt"
check "the group exists when READY is sent" 1 \
    "$(rcli xinfo groups ${P}requests | grep -cx routers)"
check "404 elsewhere" 404 "$(curl -s -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$HTTP_PORT/nothing")"

# Before any traffic: the counters are there at zero.
check "alerts fired starts at zero" 0 "$(metric 'triaged_alerts_fired_total{kind="breach"}')"
check "rejections start at zero" 0 "$(metric 'triaged_requests_rejected_total{reason="bad_channel"}')"
check "routed series exist before the first request" 0 \
    "$(metric 'triaged_requests_routed_total{team="billing",tier="vip",urgency="critical"}')"
check "SLA met starts at zero" 0 \
    "$(metric 'triaged_sla_met_total{metric="first_response",team="general",policy="standard"}')"
check "build info" 1 "$(metrics | awk '/^triaged_build_info\{version="[0-9.]+"\}/ { print $2 }')"

# Traffic: 500 requests, two of them bad, one repeated.
gen --count 500 --id-prefix H- | rcli --pipe >/dev/null
rcli xadd ${P}requests '*' channel phone subject "no customer" >/dev/null
rcli xadd ${P}requests '*' customer_id C1 channel fax >/dev/null
rcli xadd ${P}requests '*' id H-7 customer_id C1 channel web >/dev/null
wait_until 20 is_eq 2 xlen ${P}dead
wait_until 20 is_eq 0 pending
check "500 tickets" 500 "$(count_keys "${P}ticket:H-*")"

metrics >"$T_DIR/metrics.txt"
check "content type of the exposition format" \
    "text/plain; version=0.0.4" "$(curl -s -o /dev/null -w '%{content_type}' \
    "http://127.0.0.1:$HTTP_PORT/metrics")"
# Every line a comment or a sample; every sample's family declared first;
# histogram buckets cumulative and ending in +Inf = _count.
python3 - "$T_DIR/metrics.txt" >"$T_DIR/lint.txt" 2>&1 <<'PY'
import re, sys
sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*)?\})? (-?[0-9.e+-]+|\+Inf|NaN)$')
types, seen_help, errors, buckets = {}, set(), [], {}
for n, line in enumerate(open(sys.argv[1]), 1):
    line = line.rstrip("\n")
    if line.startswith("# HELP "):
        seen_help.add(line.split()[2]); continue
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split(" ", 3)
        if name in types: errors.append("%d: %s declared twice" % (n, name))
        if kind not in ("counter", "gauge", "histogram"): errors.append("%d: type %s" % (n, kind))
        types[name] = kind; continue
    m = sample.match(line)
    if not m: errors.append("%d: not a sample: %r" % (n, line)); continue
    name = m.group(1)
    fam = re.sub(r'_(bucket|sum|count)$', '', name) if re.sub(r'_(bucket|sum|count)$', '', name) in types else name
    if fam not in types: errors.append("%d: %s has no TYPE" % (n, name))
    if fam not in seen_help: errors.append("%d: %s has no HELP" % (n, name))
    if types.get(fam) == "counter" and not name.endswith("_total"): errors.append("%d: counter %s without _total" % (n, name))
    if name.endswith("_bucket"):
        le = re.search(r'le="([^"]+)"', m.group(2)).group(1)
        buckets.setdefault(fam, []).append((float(le), float(m.group(5))))
    if name.endswith("_count") and fam in buckets:
        if buckets[fam][-1][0] != float("inf") or buckets[fam][-1][1] != float(m.group(5)):
            errors.append("%s: +Inf bucket differs from _count" % fam)
for fam, b in buckets.items():
    if any(b[i][0] >= b[i + 1][0] or b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
        errors.append("%s: buckets not cumulative" % fam)
print("\n".join(errors))
PY
check "the exposition is valid Prometheus text" "" "$(cat "$T_DIR/lint.txt")"

has() { grep -q -- "$1" "$T_DIR/metrics.txt"; }
check "routed, by team, tier and urgency" 500 "$(metric_sum triaged_requests_routed_total)"
check_true "routed series carry team, tier and urgency" \
    has 'triaged_requests_routed_total{team="[a-z_]*",tier="[a-z]*",urgency="[a-z]*"} [0-9]'
check "rejected: missing field" 1 \
    "$(metric 'triaged_requests_rejected_total{reason="missing_field"}')"
check "rejected, in all" 2 "$(metric_sum triaged_requests_rejected_total)"
check "the repeated id counted as a duplicate" 1 \
    "$(metric triaged_requests_duplicate_total)"
check "reloads ok" 0 "$(metric triaged_reloads_ok_total)"
check "reloads failed" 0 "$(metric triaged_reloads_failed_total)"
check_true "alerts fired, by kind: the family is declared" \
    has '^# TYPE triaged_alerts_fired_total counter'
check "latency histogram counts every routed request" 500 \
    "$(metric triaged_routing_latency_seconds_count)"
check "latency histogram +Inf bucket" 500 \
    "$(metric 'triaged_routing_latency_seconds_bucket{le="+Inf"}')"
check_true "latency sum is positive" \
    awk '$1 == "triaged_routing_latency_seconds_sum" { exit !($2 > 0) }' \
    "$T_DIR/metrics.txt"
check "the three Redis connections up" "1 1 1" \
    "$(metric 'triaged_redis_connected{connection="reader"}') $(metric 'triaged_redis_connected{connection="writer"}') $(metric 'triaged_redis_connected{connection="alerts"}')"
check "healthy gauge" 1 "$(metric triaged_healthy)"
check "rules version shown" 1 "$(metric "triaged_rules_info{version=\"$(rcli hget ${P}ticket:H-1 rules_version)\"}")"
# Queue depths are polled every 2 s: they match ZCARD once it ran.
wait_until 10 is_eq 500 metric_sum triaged_queue_depth
check "queue depths add up to the queued tickets" "$(queued)" \
    "$(metric_sum triaged_queue_depth)"
wait_until 10 is_eq 0 metric 'triaged_stream_pending{stream="requests"}'
check "nothing pending on the requests stream" 0 \
    "$(metric 'triaged_stream_pending{stream="requests"}')"
check "nothing undelivered: lag 0" 0 "$(metric 'triaged_stream_lag{stream="requests"}')"
check "the events stream too" 0 "$(metric 'triaged_stream_pending{stream="events"}')"

# Events: rejected ones counted apart from requests; clocks met counted.
rcli xadd ${P}events '*' ticket NOPE event responded >/dev/null
rcli xadd ${P}events '*' ticket H-1 event responded >/dev/null
wait_until 10 is_eq 1 metric 'triaged_events_rejected_total{reason="unknown_ticket"}'
check "an event for no ticket: counted as an event" 1 \
    "$(metric 'triaged_events_rejected_total{reason="unknown_ticket"}')"
check "not as a request" 2 "$(metric_sum triaged_requests_rejected_total)"
wait_until 10 is_eq 1 metric_sum triaged_sla_met_total
check "a response within its target counts as met" 1 "$(metric_sum triaged_sla_met_total)"
check "by team and policy" 1 "$(metric "triaged_sla_met_total{metric=\"first_response\",team=\"$(rcli hget ${P}ticket:H-1 team)\",policy=\"$(rcli hget ${P}ticket:H-1 policy)\"}")"
check "none breached" 0 "$(metric_sum triaged_sla_breached_total)"

check "queue depth of billing" "$(rcli zcard ${P}queue:billing)" \
    "$(metric 'triaged_queue_depth{team="billing"}')"
check "one gauge per team" 5 "$(metrics | grep -c '^triaged_queue_depth{team=')"
rcli zpopmin ${P}queue:general 3 >/dev/null
wait_until 10 is_eq 497 metric_sum triaged_queue_depth
check "an agent taking tickets lowers the gauge" 497 \
    "$(metric_sum triaged_queue_depth)"

# The log: start-up and state changes, the two dead letters, nothing per
# routed request.
lines=$(wc -l <"$T_DIR/triaged.log")
check_true "no log line per routed request ($lines lines for 500)" \
    test "$lines" -lt 30
check_true "a dead letter says which entry and why" \
    grep -q "entry [0-9]*-[0-9]* to the dead-letter stream: .*customer_id" \
    "$T_DIR/triaged.log"

# A breach, counted by its labelled series: a critical request (an outage
# by phone: policy critical, 15m on the 24x7 calendar) received 20 minutes
# ago, responded to now, stopped its first-response clock past the target.
BREACHED='triaged_sla_breached_total{metric="first_response",team="tech_support",policy="critical"}'
check "the breach series exists at zero" 0 "$(metric "$BREACHED")"
rcli xadd ${P}requests '*' id BR-1 customer_id C1 channel phone \
    category outage received_at $(( $(now_ms) - 20 * 60 * 1000 )) >/dev/null
wait_until 10 key_exists ${P}ticket:BR-1
check "the late request: tech_support, policy critical" "tech_support critical" \
    "$(rcli hget ${P}ticket:BR-1 team) $(rcli hget ${P}ticket:BR-1 policy)"
rcli xadd ${P}events '*' ticket BR-1 event responded >/dev/null
wait_until 10 is_eq 1 metric "$BREACHED"
check "a response past its target counts as breached, by metric, team and policy" \
    1 "$(metric "$BREACHED")"
check "and in no other breach series" 1 "$(metric_sum triaged_sla_breached_total)"
check "nor as met" 1 "$(metric_sum triaged_sla_met_total)"

# Reload and stop, as systemd hears them.
kill -HUP "$DAEMON_PID"
wait_until 5 grep -q RELOADING=1 "$T_DIR/notify.txt"
wait_until 5 bash -c "grep -A1 RELOADING=1 $T_DIR/notify.txt | grep -q READY=1"
check "RELOADING=1 with its time, then READY=1" "READY=1" \
    "$(grep -A1 "RELOADING=1 MONOTONIC_USEC=[0-9]" "$T_DIR/notify.txt" |
    tail -1)"
wait_until 5 grep -q "^STATUS=rules [0-9a-f]* loaded .*; redis reader ready, writer ready" "$T_DIR/notify.txt"
check_true "STATUS= names the rules in force and the Redis connections" \
    grep -q "^STATUS=rules [0-9a-f]* loaded .*; redis reader ready, writer ready" "$T_DIR/notify.txt"
check "a good reload: last reload successful" 1 "$(metric triaged_config_last_reload_successful)"
ts=$(metric triaged_config_last_reload_success_timestamp_seconds)
check_true "and its time is now ($ts)" test $(( $(date +%s) - ts )) -lt 60

# A refused reload is visible: the gauge, the timestamp kept, STATUS=.
cp "$T_DIR/triage.yaml" "$T_DIR/good.yaml"
echo "teams: [" >>"$T_DIR/triage.yaml"
kill -HUP "$DAEMON_PID"
wait_until 10 is_eq 0 metric triaged_config_last_reload_successful
check "a refused reload: last reload successful 0" 0 "$(metric triaged_config_last_reload_successful)"
check "the success timestamp stays" "$ts" "$(metric triaged_config_last_reload_success_timestamp_seconds)"
wait_until 5 grep -q "^STATUS=.*last reload REFUSED" "$T_DIR/notify.txt"
check_true "STATUS= says the reload was refused" grep -q "^STATUS=.*last reload REFUSED" "$T_DIR/notify.txt"
cp "$T_DIR/good.yaml" "$T_DIR/triage.yaml"
kill -HUP "$DAEMON_PID"
wait_until 10 is_eq 1 metric triaged_config_last_reload_successful
check "a good reload after it: 1 again" 1 "$(metric triaged_config_last_reload_successful)"

kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
check "clean stop" 0 "$?"
check_true "STOPPING=1 sent" grep -q STOPPING=1 "$T_DIR/notify.txt"
