#!/usr/bin/env bash
# A team renamed in the rules strands the tickets in its old queue: the
# reload warns, and /metrics counts them (triaged_queue_orphaned_tickets),
# after a reload and after a restart alike.
. "$(dirname "$0")/ops.sh"

redis_start
make_config "$T_DIR/triage.yaml"
daemon_start "$T_DIR/triage.yaml"
wait_until 15 healthy
for i in 1 2 3; do
	rcli xadd ${P}requests '*' id BILL-$i customer_id C$i channel email \
	    category billing >/dev/null
done
wait_until 10 is_eq 3 rcli zcard ${P}queue:billing
check "three tickets in billing's queue" 3 "$(rcli zcard ${P}queue:billing)"
check "no orphaned queue yet" "" "$(metric 'triaged_queue_orphaned_tickets{team="billing"}')"

# billing becomes invoicing.
cp "$T_DIR/triage.yaml" "$T_DIR/before.yaml"
sed -i -e 's/\bbilling\b/invoicing/g' "$T_DIR/triage.yaml"
# --check, before the reload, looks at the Redis the file names.
"$TRIAGED" -c "$T_DIR/triage.yaml" --check >/dev/null 2>"$T_DIR/check.err"
check "--check still passes the file" 0 "$?"
check "--check warns of the queue left behind, with its tickets" \
    "$T_DIR/triage.yaml: warning: ${P}queue:billing holds 3 tickets, and this file has no team 'billing': no agent would see them (a team renamed or removed?); keep the team until its queue is empty, or move them" \
    "$(cat "$T_DIR/check.err")"
"$TRIAGED" -c "$T_DIR/before.yaml" --check >/dev/null 2>"$T_DIR/check.err"
check "--check of a file that keeps the team says nothing of it" "" \
    "$(cat "$T_DIR/check.err")"
kill -HUP "$DAEMON_PID"
wait_until 10 grep -q "team billing is gone from the rules" "$T_DIR/triaged.log"
check_true "the reload warns of the team that is gone" \
    grep -q "warning: reload: team billing is gone from the rules; tickets still in ${P}queue:billing are seen by no agent" "$T_DIR/triaged.log"
wait_until 15 is_eq 3 metric 'triaged_queue_orphaned_tickets{team="billing"}'
check "its tickets are counted as orphaned" 3 \
    "$(metric 'triaged_queue_orphaned_tickets{team="billing"}')"
wait_until 10 grep -q "queue ${P}queue:billing holds 3 tickets of team billing" "$T_DIR/triaged.log"
check_true "and a warning names the queue and the count" \
    grep -q "queue ${P}queue:billing holds 3 tickets of team billing, which the rules in force do not name" "$T_DIR/triaged.log"
check "the new team's queue is not orphaned" "" \
    "$(metric 'triaged_queue_orphaned_tickets{team="invoicing"}')"

# An agent moves them: the gauge follows.
rcli zpopmin ${P}queue:billing 1 >/dev/null
wait_until 10 is_eq 2 metric 'triaged_queue_orphaned_tickets{team="billing"}'
check "the gauge follows the queue" 2 \
    "$(metric 'triaged_queue_orphaned_tickets{team="billing"}')"

# After a restart with the new rules: found again at start.
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
daemon_start "$T_DIR/triage.yaml" second
wait_until 30 is_eq 2 metric 'triaged_queue_orphaned_tickets{team="billing"}'
check "found again after a restart" 2 \
    "$(metric 'triaged_queue_orphaned_tickets{team="billing"}')"

# Redis away: --check says nothing of queues and does not wait for it.
redis_stop
t0=$(date +%s%3N)
"$TRIAGED" -c "$T_DIR/triage.yaml" --check >/dev/null 2>"$T_DIR/check.err"
check "--check with Redis away still passes the file" 0 "$?"
took=$(( $(date +%s%3N) - t0 ))
check "and says nothing of queues" "" "$(cat "$T_DIR/check.err")"
check_true "within a few seconds (${took} ms)" test "$took" -lt 5000
