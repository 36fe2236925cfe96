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
sed -i -e 's/\bbilling\b/invoicing/g' "$T_DIR/triage.yaml"
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
wait_until 15 is_eq 2 metric 'triaged_queue_orphaned_tickets{team="billing"}'
check "found again after a restart" 2 \
    "$(metric 'triaged_queue_orphaned_tickets{team="billing"}')"
