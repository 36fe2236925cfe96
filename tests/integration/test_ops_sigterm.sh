#!/usr/bin/env bash
# SIGTERM during load: the daemon stops reading, finishes the batches in
# flight, acknowledges only what it wrote and exits 0 promptly; a restart
# routes the rest, none twice.  With Redis paused, the stop is still
# bounded (the grace period), and nothing is lost either.
. "$(dirname "$0")/ops.sh"

N=20000
redis_start
make_config "$T_DIR/triage.yaml" -e "s/^  batch: .*/  batch: 64/"
gen --count $N --id-prefix TERM- | rcli --pipe >/dev/null

# Entries the group has handed out (Redis 7: entries-read).
delivered() {
	rcli xinfo groups ${P}requests | awk 'p { print; exit } $0 == "entries-read" { p = 1 }'
}

daemon_start "$T_DIR/triage.yaml" node-a
for _ in $(seq 3000); do
	[ "$(rcli dbsize)" -ge 2000 ] && break
	sleep 0.01
done
kill -TERM "$DAEMON_PID"
t0=$(now_ms)
wait "$DAEMON_PID"
rc=$?
took=$(( $(now_ms) - t0 ))
check "SIGTERM under load: exit status 0" 0 "$rc"
check_true "and within 5 s ($took ms)" test "$took" -le 5000
check_true "the log says what was left" \
    grep -q "stopped: every batch in flight is settled" "$T_DIR/node-a.log"
tickets=$(count_keys "${P}ticket:TERM-*")
check_true "stopped part way ($tickets of $N routed)" test "$tickets" -lt $N
check "every delivered entry was written and acknowledged" 0 "$(pending)"
check "tickets = entries delivered: nothing acked unwritten" \
    "$(delivered)" "$tickets"

daemon_start "$T_DIR/triage.yaml" node-a
wait_until 40 is_eq $N count_keys "${P}ticket:TERM-*"
check "after a restart every request has its ticket" $N \
    "$(count_keys "${P}ticket:TERM-*")"
check "each queued once" $N "$(queued)"
wait_until 10 is_eq 0 pending
check "nothing pending" 0 "$(pending)"
check "the second run routed exactly the rest" $((N - tickets)) \
    "$(metric_sum triaged_requests_routed_total)"
check "and found nothing already written" 0 \
    "$(metric triaged_requests_duplicate_total)"

# SIGTERM while Redis is paused: what is in flight cannot finish; the
# daemon gives up after its grace period and exits 0, and the entries it
# held stay pending for the next start.
base=$(rcli dbsize)
gen --count 10000 --seed 2 --id-prefix HELD- | rcli --pipe >/dev/null
# DBSIZE is O(1): poll it closely, since 10,000 requests route in well
# under a second.
for _ in $(seq 3000); do
	[ "$(rcli dbsize)" -ge $((base + 500)) ] && break
	sleep 0.01
done
kill -STOP "$REDIS_PID"
kill -TERM "$DAEMON_PID"
t0=$(now_ms)
wait "$DAEMON_PID"
rc=$?
took=$(( $(now_ms) - t0 ))
kill -CONT "$REDIS_PID"
held=$(count_keys "${P}ticket:HELD-*")
check_true "stopped part way ($held of 10000 routed)" test "$held" -lt 10000
check "SIGTERM with Redis paused: exit status 0" 0 "$rc"
check_true "within the 20 s grace plus a little ($took ms)" \
    test "$took" -le 23000
daemon_start "$T_DIR/triage.yaml" node-a
wait_until 40 is_eq 10000 count_keys "${P}ticket:HELD-*"
check "then every request is routed after a restart" 10000 \
    "$(count_keys "${P}ticket:HELD-*")"
check "each queued once" $((N + 10000)) "$(queued)"
wait_until 10 is_eq 0 pending
check "nothing pending at the end" 0 "$(pending)"
check "nothing dead-lettered" 0 "$(xlen ${P}dead)"
