#!/usr/bin/env bash
# Redis faults in the middle of a stream: paused (SIGSTOP) and resumed,
# killed and restarted, its script cache flushed.  The daemon notices within
# seconds, says so on /healthz and in the log, recovers by itself, and every
# request ends up routed exactly once.
. "$(dirname "$0")/ops.sh"

# appendfsync always: what Redis acknowledged survives its kill -9, as it
# would with the persistence a production Redis has.
AOF="--appendonly yes --appendfsync always"
redis_start $AOF
make_config "$T_DIR/triage.yaml" -e "s/^  batch: .*/  batch: 64/"
daemon_start "$T_DIR/triage.yaml"
wait_until 15 healthy || not_ok "daemon became healthy"

# 1. Paused.  3,000 requests arrive; Redis stops answering part way.
gen --count 3000 --id-prefix PAUSE- | rcli --pipe >/dev/null
wait_until 20 is_ge 300 rcli dbsize
kill -STOP "$REDIS_PID"
stopped=$(now_ms)
wait_until 20 unhealthy
noticed=$(now_ms)
check "paused Redis: /healthz says 503" 503 "$(health_code)"
detect=$((noticed - stopped))
echo "# paused Redis noticed after $detect ms"
check_true "noticed within 8 s ($detect ms)" test "$detect" -le 8000
check_true "/healthz gives the reason" \
    grep -q "^unhealthy: redis \(reader\|writer\) .*: no reply for [0-9]* ms" \
    <<<"$(health_body)"
check_true "the log says so" grep -q "warning: redis .*: no reply for" \
    "$T_DIR/triaged.log"
check "metrics say a connection is down" 0 "$(metric triaged_healthy)"
sleep 2
kill -CONT "$REDIS_PID"
resumed=$(now_ms)
wait_until 30 healthy
echo "# healthy again $(( $(now_ms) - resumed )) ms after Redis resumed"
check "resumed Redis: /healthz says 200 again" 200 "$(health_code)"
wait_until 30 is_eq 3000 count_keys "${P}ticket:PAUSE-*"
check "every request of the paused stretch routed" 3000 \
    "$(count_keys "${P}ticket:PAUSE-*")"
check "each queued once" 3000 "$(queued)"

# 2. Killed and restarted: 5,000 more, Redis killed part way, down ~2 s.
gen --count 5000 --seed 2 --id-prefix KILL- | rcli --pipe >/dev/null
wait_until 20 is_ge 1000 count_keys "${P}ticket:KILL-*"
redis_stop
killed=$(now_ms)
wait_until 10 unhealthy
check "Redis gone: 503" 503 "$(health_code)"
probe() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/$1"; }
check "/readyz says not ready" 503 "$(probe readyz)"
check "/livez still says alive: no restart for a Redis outage" 200 "$(probe livez)"
check_true "the reason says why" grep -q "^unhealthy: redis .*: \(connection lost\|cannot connect\)" \
    <<<"$(health_body)"
alerts_conn() { metric 'triaged_redis_connected{connection="alerts"}'; }
wait_until 10 is_eq 0 alerts_conn
check "the alerts reader's connection shown down too" 0 "$(alerts_conn)"
sleep 2
# The gateway writes more while Redis comes back.
redis_start $AOF
gen --count 500 --seed 3 --id-prefix LATE- | rcli --pipe >/dev/null
wait_until 30 healthy
check "Redis back: 200" 200 "$(health_code)"
check "/readyz: ready again" 200 "$(probe readyz)"
echo "# healthy again $(( $(now_ms) - killed )) ms after the kill"
wait_until 15 is_eq 1 alerts_conn
check "the alerts reader's connection up again" 1 "$(alerts_conn)"
wait_until 40 is_eq 5500 bash -c "redis-cli -p $REDIS_PORT eval \"return #redis.call('KEYS', 'triage:ticket:KILL-*') + #redis.call('KEYS', 'triage:ticket:LATE-*')\" 0"
check "every request before and after the restart routed" 5500 \
    $(( $(count_keys "${P}ticket:KILL-*") + $(count_keys "${P}ticket:LATE-*") ))
check "8,500 tickets, each queued once" 8500 "$(queued)"
check_true "reconnects were backed off" \
    grep -q "redis [a-z]*: connecting -> backoff: cannot connect" "$T_DIR/triaged.log"
backoffs=$(grep -c "redis reader: connecting -> backoff" "$T_DIR/triaged.log")
check_true "and not in a tight loop ($backoffs reader retries in ~2 s down)" \
    test "$backoffs" -le 8

# 3. The script cache is flushed (as after a restart without the daemon
# noticing, or SCRIPT FLUSH): loaded again, nothing lost.
rcli script flush >/dev/null
rcli xadd ${P}requests '*' id AFTER-FLUSH customer_id C1 channel web >/dev/null
wait_until 15 key_exists ${P}ticket:AFTER-FLUSH
check "routed after SCRIPT FLUSH" 1 "$(rcli exists ${P}ticket:AFTER-FLUSH)"
check_true "the script was loaded again" \
    grep -q "the routing script is missing on the server; loading it again" \
    "$T_DIR/triaged.log"

wait_until 15 is_eq 0 pending
check "nothing left pending" 0 "$(pending)"
check "nothing dead-lettered" 0 "$(xlen ${P}dead)"
# A script call whose reply was lost (Redis paused or killed after running
# it) is sent again and finds its tickets written: counted as duplicates.
routed=$(metric_sum triaged_requests_routed_total)
dups=$(metric triaged_requests_duplicate_total)
check_true "routed ($routed) + found written ($dups) cover the 8,501" \
    test "$routed" -le 8501 -a $((routed + dups)) -ge 8501
check_true "daemon still running" kill -0 "$DAEMON_PID"
