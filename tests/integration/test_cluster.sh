#!/usr/bin/env bash
# Two shards on a real three-master Redis Cluster, each with its own daemon:
# both route exactly once; then one shard's slot is migrated to another
# node while its daemon drains 20,000 requests and escalations come due:
# every request still gets exactly one ticket and queue entry, nothing is
# left pending or dead-lettered, and each escalation step fires once.
# Last, an escalation comes due while its ticket alone has moved out of a
# migrating slot: the escalation script stops before writing anything, and
# the step fires once when the migration ends; and a reassignment whose new
# queue is not on the node mid-migration moves the ticket once it ends,
# instead of taking it out of one queue without putting it in the other.
. "$(dirname "$0")/cluster.sh"

N=3000		# per shard, before the move
M=20000		# shard 1, drained across the move
K=20		# shard 1 tickets whose escalations come due across it

cluster_start 3 0
P1='triage:{s1}:'
P2='triage:{s2}:'
S1=$(ncli "${NODE_PORTS[0]}" cluster keyslot "$P1")
S2=$(ncli "${NODE_PORTS[0]}" cluster keyslot "$P2")
O1=$(owner_port "$S1")
O2=$(owner_port "$S2")
check_true "the two shards live on two nodes ($S1 on $O1, $S2 on $O2)" \
    test "$O1" != "$O2"
for p in "${NODE_PORTS[@]}"; do
	[ "$p" = "$O1" ] || [ "$p" = "$O2" ] || TO=$p
done
H1=$HTTP_PORT
H2=$(free_port)

# shard_config OUT PREFIX HTTP_PORT REDIS_LINES...
shard_config() {
	local out=$1 prefix=$2 http=$3; shift 3
	{
		echo "redis:"
		echo "  prefix: \"$prefix\""
		for l in "$@"; do echo "  $l"; done
		cat <<YAML
intake:
  claim_idle: 2s
  batch: 4
tiers:
  levels:
    - name: standard
urgency:
  levels: [critical, high, low]
teams: [general, escalations]
default_team: general
sla:
  - name: fast
    when: {subject: {contains: [ESCALATE]}}
    calendar: always
    first_response:
      within: 8s
      escalate:
        - {at: 50%, notify: lead}
        - {at: 100%, notify: oncall}
  - name: linger
    when: {subject: {contains: [LINGER]}}
    calendar: always
    first_response:
      within: 40s
      escalate:
        - {at: 50%, notify: lead}
        - {at: 100%, notify: oncall}
  - name: slow
    when: {subject: {contains: [SLOW]}}
    calendar: always
    first_response:
      within: 1h
      escalate:
        - {at: 100%, notify: oncall}
notify: [lead, oncall]
tickets:
  retention: 1h
http:
  listen: 127.0.0.1:$http
YAML
	} > "$out"
}
# Shard 1 knows every node; shard 2 one seed that does not serve it.
shard_config "$T_DIR/s1.yaml" "$P1" "$H1" "nodes: [$(printf '127.0.0.1:%s, ' "${NODE_PORTS[@]}" | sed 's/, $//')]"
for p in "${NODE_PORTS[@]}"; do [ "$p" = "$O2" ] || SEED2=$p; done
shard_config "$T_DIR/s2.yaml" "$P2" "$H2" "cluster: true" "host: 127.0.0.1" \
    "port: $SEED2"

# Commands about a shard go to whichever master serves it now.
c1() { ncli "$(owner_port "$S1")" "$@"; }
c2() { ncli "$(owner_port "$S2")" "$@"; }
tickets() { "$1" eval "return #redis.call('KEYS', ARGV[1])" 0 "$2ticket:*"; }
queued() { echo $(( $("$1" zcard "$2queue:general") + $("$1" zcard "$2queue:escalations") )); }
pending() { "$1" xpending "$2requests" routers | head -1; }
routed() {
	curl -s "http://127.0.0.1:$1/metrics" |
	    awk -v m="$2" 'index($1, m "{") == 1 || $1 == m { s += $2 } END { print s + 0 }'
}

check_true "--check accepts the cluster settings" \
    "$TRIAGED" --check -c "$T_DIR/s1.yaml"
sed 's/^  prefix: .*/  prefix: "triage:"/' "$T_DIR/s1.yaml" > "$T_DIR/bad.yaml"
check_true "--check refuses a prefix without a hash tag" \
    eval '! "$TRIAGED" --check -c "$T_DIR/bad.yaml" 2>"$T_DIR/bad.out"'
check_true "  ... with the position and the reason" \
    grep -q "bad.yaml:2:11: error: redis.prefix 'triage:' has no hash tag" "$T_DIR/bad.out"

# --- Two shards, two daemons, exactly once.
python3 "$SOURCE_DIR/tools/gen_requests.py" --count $N --prefix "$P1" \
    --id-prefix A- | c1 --pipe >/dev/null
python3 "$SOURCE_DIR/tools/gen_requests.py" --count $N --prefix "$P2" \
    --id-prefix B- | c2 --pipe >/dev/null
daemon_start "$T_DIR/s1.yaml" s1-a
PID1=$DAEMON_PID
daemon_start "$T_DIR/s2.yaml" s2-a
PID2=$DAEMON_PID
wait_until 120 eval '[ "$(queued c1 "$P1")" -ge $N ] && [ "$(queued c2 "$P2")" -ge $N ]'
wait_until 30 eval '[ "$(pending c1 "$P1")" = 0 ] && [ "$(pending c2 "$P2")" = 0 ]'
check "shard 1: every request has its ticket" $N "$(tickets c1 "$P1")"
check "shard 2: every request has its ticket" $N "$(tickets c2 "$P2")"
check "shard 1: every ticket queued once" $N "$(queued c1 "$P1")"
check "shard 2: every ticket queued once" $N "$(queued c2 "$P2")"
check "shard 1: routed once each" $N "$(routed "$H1" triaged_requests_routed_total)"
check "shard 2: routed once each" $N "$(routed "$H2" triaged_requests_routed_total)"
check "shard 1: nothing pending" 0 "$(pending c1 "$P1")"
check "shard 2: nothing pending" 0 "$(pending c2 "$P2")"
check "nothing dead-lettered" "0 0" "$(c1 xlen "${P1}dead") $(c2 xlen "${P2}dead")"
check "shard 1's keys are all on its node" 0 \
    "$(ncli "$O2" eval "return #redis.call('KEYS', ARGV[1])" 0 "${P1}*")"
check_true "each daemon found its slot's master from a seed" \
    grep -q "slot $S2 is served by 127.0.0.1:$O2, not 127.0.0.1:$SEED2" "$T_DIR/s2-a.log"

# triagectl follows the same rules: from a seed to the slot's master.
check_true "triagectl submit reaches the shard from any seed" \
    "$TRIAGECTL" -c "$T_DIR/s2.yaml" submit id=CTL-1 customer_id=C1 channel=web subject=hello
wait_until 30 eval '[ "$(c2 exists "${P2}ticket:CTL-1")" = 1 ]'
check "  ... and its ticket is routed" general "$(c2 hget "${P2}ticket:CTL-1" team)"
check_true "triagectl ticket reads it back" \
    eval '"$TRIAGECTL" -c "$T_DIR/s2.yaml" ticket CTL-1 | grep -q general'

# --- Shard 1's slot moves to the third node while its daemon drains.
# The daemon is held while the backlog is written, so that the move starts
# with most of it still to route.
kill -STOP "$PID1"
python3 "$SOURCE_DIR/tools/gen_requests.py" --count $M --prefix "$P1" \
    --id-prefix C- | c1 --pipe >/dev/null
for i in $(seq $K); do
	c1 xadd "${P1}requests" '*' id "ESC-$i" customer_id C channel web \
	    subject "ESCALATE $i" >/dev/null
done
TOTAL=$((N + M + K + 0))
kill -CONT "$PID1"
wait_until 60 eval '[ "$(tickets c1 "$P1")" -ge $((N + 200)) ]'
at_start=$(tickets c1 "$P1")
migrate_slot "$S1" "$TO" 20 0.02
check "the slot is served by the third node now" "$TO" "$(owner_port "$S1")"
check_true "the move began mid-drain ($at_start of $TOTAL routed)" \
    test "$at_start" -lt "$TOTAL"
check "no key of shard 1 is left on its old node" 0 \
    "$(ncli "$O1" eval "return #redis.call('KEYS', ARGV[1])" 0 "${P1}*")"

wait_until 180 eval '[ "$(queued c1 "$P1")" -ge $TOTAL ] && [ "$(pending c1 "$P1")" = 0 ]'
check "every request has exactly one ticket" $TOTAL "$(tickets c1 "$P1")"
check "every ticket queued once" $TOTAL "$(queued c1 "$P1")"
check "routed once each (none twice)" $TOTAL "$(routed "$H1" triaged_requests_routed_total)"
check "nothing left pending" 0 "$(pending c1 "$P1")"
check "nothing dead-lettered" 0 "$(c1 xlen "${P1}dead")"
check_true "the daemon followed the slot (MOVED)" \
    grep -qE "slot $S1 (moved to|is served by) 127.0.0.1:$TO" "$T_DIR/s1-a.log"
check_true "redirects counted" \
    test "$(routed "$H1" triaged_redis_redirects_total)" -gt 0
check_true "both connections are on the new node" \
    eval '[ "$(ncli "$TO" client list | grep -c "lib-name=\|cmd=")" -ge 2 ]'

# Each escalation step once: K tickets x 2 steps, none twice, none lost.
wait_until 60 eval '[ "$(c1 xlen "${P1}alerts")" -ge $((2 * K)) ] && [ "$(c1 zcard "${P1}sla")" = 0 ]'
sleep 2
check "every escalation step fired" $((2 * K)) "$(c1 xlen "${P1}alerts")"
check "each step once" $((2 * K)) \
    "$(c1 --raw xrange "${P1}alerts" - + | awk '$0 == "ticket" { getline t } $0 == "step" { getline s; print t, s }' | sort -u | wc -l)"
check "nothing left to escalate" 0 "$(c1 zcard "${P1}sla")"

# Shard 2 carried on untouched.
check "shard 2 routed nothing twice" $((N + 1)) \
    "$(routed "$H2" triaged_requests_routed_total)"

# --- An escalation due while its ticket alone has left the migrating slot.
# The alerts stream exists, as in any deployment that has run a day, so the
# call is not refused up front: only the script's read of the ticket fails.
c2 xadd "${P2}alerts" '*' note "alerts stream in use" >/dev/null
# Its first step is 20 s away, time enough to hold the daemon before it is
# due on a loaded machine.
c2 xadd "${P2}requests" '*' id LONE customer_id C channel web \
    subject "LINGER lone" >/dev/null
wait_until 30 eval '[ "$(c2 exists "${P2}ticket:LONE")" = 1 ]'
kill -STOP "$PID2"
created=$(c2 hget "${P2}ticket:LONE" created_at)
migrate_begin "$S2" "$O1" "${P2}ticket:LONE"
# The schedule holds the clock's next step: the first.
LONE_STEP='LONE|first_response|0|0|linger'
check "only the ticket moved" "ASK $LONE_STEP" \
    "$(ncli "$O2" exists "${P2}ticket:LONE" | cut -d' ' -f1) $(echo $(ncli "$O2" zrange "${P2}sla" 0 -1))"
# Past its first step (at 20 s), then the daemon wakes.
while [ $(( $(date +%s%3N) - created )) -lt 21000 ]; do sleep 0.2; done
kill -CONT "$PID2"
wait_until 30 grep -q "slot $S2 is mid-migration" "$T_DIR/s2-a.log"
sleep 2
check "the due step was not taken while the ticket was away" "$LONE_STEP" \
    "$(echo $(ncli "$O2" zrange "${P2}sla" 0 -1))"
check "  ... and nothing fired" 1 "$(ncli "$O2" xlen "${P2}alerts")"
migrate_slot "$S2" "$O1" 20 0
check "shard 2 is served by the node shard 1 left" "$O1" "$(owner_port "$S2")"
wait_until 120 eval '[ "$(c2 zcard "${P2}sla")" = 0 ] && [ "$(c2 xlen "${P2}alerts")" -ge 3 ]'
sleep 1
check "both steps fired once the slot settled, each once" \
    "LONE 0;LONE 1;" \
    "$(c2 --raw xrange "${P2}alerts" - + | awk '$0 == "ticket" { getline t } $0 == "step" { getline s; print t, s }' | sort | tr '\n' ';')"
check "nothing left to escalate" 0 "$(c2 zcard "${P2}sla")"
check "shard 2's ticket count unchanged" $((N + 2)) "$(tickets c2 "$P2")"
kill -0 "$PID1"
check "shard 1's daemon still running" 0 $?

# --- A reassignment to a queue that the migrating node does not have.
T=C-1
check "ticket $T waits in general" general "$(c1 hget "${P1}ticket:$T" team)"
check "shard 1 has no escalations queue yet" 0 "$(c1 exists "${P1}queue:escalations")"
# A request without a channel is dead-lettered: the dead-letter stream, a
# key the event script declares, exists, so the call is not refused up front.
# A ticket due in an hour keeps the schedule in use too, so the escalation
# timer's reads are served while the event waits.
c1 xadd "${P1}requests" '*' id BAD customer_id C subject nochannel >/dev/null
c1 xadd "${P1}requests" '*' id SLOW-1 customer_id C channel web \
    subject "SLOW one" >/dev/null
wait_until 30 eval '[ "$(c1 xlen "${P1}dead")" = 1 ] && [ "$(c1 zcard "${P1}sla")" = 1 ]'
check "a bad request dead-lettered" 1 "$(c1 xlen "${P1}dead")"
before=$(grep -c "slot $S1 is mid-migration" "$T_DIR/s1-a.log")
kill -STOP "$PID1"
migrate_begin "$S1" "$O1"
c1 xadd "${P1}events" '*' ticket "$T" event reassigned team escalations >/dev/null
kill -CONT "$PID1"
wait_until 30 eval '[ "$(grep -c "slot $S1 is mid-migration" "$T_DIR/s1-a.log")" -gt "$before" ]'
sleep 2
check "the ticket did not leave its queue while the slot migrated" \
    "general 1" "$(c1 hget "${P1}ticket:$T" team) $(c1 zscore "${P1}queue:general" "$T" | grep -c .)"
check "  ... and the event waits" 1 "$(c1 xpending "${P1}events" routers | head -1)"
check_true "  ... because the script stopped at the queue it could not reach" \
    grep -q "slot $S1 is mid-migration" "$T_DIR/s1-a.log"
migrate_slot "$S1" "$O1" 50 0
check "shard 1 is back on its first node" "$O1" "$(owner_port "$S1")"
wait_until 60 eval '[ "$(c1 hget "${P1}ticket:$T" team)" = escalations ] && [ "$(c1 xpending "${P1}events" routers | head -1)" = 0 ]'
check "reassigned once the slot settled" escalations "$(c1 hget "${P1}ticket:$T" team)"
check "  ... and moved between the queues" "0 1" \
    "$(c1 zscore "${P1}queue:general" "$T" | grep -c .) $(c1 zscore "${P1}queue:escalations" "$T" | grep -c .)"
check "every ticket still queued once" $((TOTAL + 1)) "$(queued c1 "$P1")"
check "no event dead-lettered" 1 "$(c1 xlen "${P1}dead")"

# triagectl dead and dead redrive on the shard's master.
check_true "triagectl dead lists the shard's dead letter" \
    eval '"$TRIAGECTL" -c "$T_DIR/s1.yaml" dead | grep -q BAD'
old_id=$(c1 --raw xrange "${P1}dead" - + | head -1)
check_true "triagectl dead redrive sends it again" \
    "$TRIAGECTL" -c "$T_DIR/s1.yaml" dead redrive --all
wait_until 30 eval '[ "$(c1 xlen "${P1}dead")" = 1 ] && [ "$(c1 --raw xrange "${P1}dead" - + | head -1)" != "$old_id" ]'
check_true "  ... and the daemon dead-letters it anew (it still has no channel)" \
    test "$(c1 --raw xrange "${P1}dead" - + | head -1)" != "$old_id"

# --- triagectl's reads while the slot migrates, and once it has moved, from
# a seed that is the old node: each command follows the slot as the writes
# do (the keys already moved answer ASK, after the move the old node MOVED).
shard_config "$T_DIR/s1-old.yaml" "$P1" "$(free_port)" "cluster: true" \
    "host: 127.0.0.1" "port: $O1"
q_general=$(c1 zcard "${P1}queue:general")
q_head=$(c1 zrange "${P1}queue:general" 0 0)
dead_id=$(c1 --raw xrange "${P1}dead" - + | head -1)
# What `queues -o json` says, and `ticket -o json`'s team, as one line each.
queues_of() {
	python3 -c 'import json, sys
print(" ".join("%s=%d:%s" % (q["team"], q["depth"], (q["next"] or {}).get("ticket", "-"))
    for q in json.load(sys.stdin)))'
}
team_of() {
	python3 -c 'import json, sys; print(json.load(sys.stdin)["fields"]["team"])'
}
ctl_reads() {
	local when=$1
	check "$when: triagectl queues answers, both queues read" \
	    "0 general=$q_general:$q_head escalations=1:$T" \
	    "$("$TRIAGECTL" -c "$T_DIR/s1-old.yaml" queues -o json \
	    >"$T_DIR/queues.out" 2>&1; echo $?) $(queues_of <"$T_DIR/queues.out")"
	check "$when: triagectl ticket $T answers" "0 escalations" \
	    "$("$TRIAGECTL" -c "$T_DIR/s1-old.yaml" ticket "$T" -o json \
	    >"$T_DIR/ticket.out" 2>&1; echo $?) $(team_of <"$T_DIR/ticket.out")"
	check "$when: triagectl dead lists the dead letter" "0 1 1" \
	    "$("$TRIAGECTL" -c "$T_DIR/s1-old.yaml" dead >"$T_DIR/dead.out" \
	    2>&1; echo $?) $(grep -c "^$dead_id " "$T_DIR/dead.out") $(grep -c 'id=BAD' "$T_DIR/dead.out")"
	check "$when: triagectl replay reads the requests" "0 1" \
	    "$("$TRIAGECTL" -c "$T_DIR/s1-old.yaml" replay --rules \
	    "$T_DIR/s1.yaml" --last 5 >"$T_DIR/replay.out" 2>&1; echo $?) $(grep -c '^replay: 5 requests from' "$T_DIR/replay.out")"
}
kill -STOP "$PID1"
# The escalations queue, the ticket, the dead letters and the requests have
# moved to the importing node; the general queue has not.
migrate_begin "$S1" "$TO" "${P1}queue:escalations" "${P1}ticket:$T" \
    "${P1}dead" "${P1}requests"
check "mid-migration: the old node sends the moved keys on (ASK)" "ASK ASK ASK ASK" \
    "$(echo $(for k in queue:escalations "ticket:$T" dead requests; do
	ncli "$O1" exists "$P1$k" | cut -d' ' -f1; done))"
check "mid-migration: the general queue is still on the old node" \
    "$q_general" "$(ncli "$O1" zcard "${P1}queue:general")"
ctl_reads "mid-migration"
migrate_slot "$S1" "$TO" 50 0
check "shard 1 is served by the third node again" "$TO" "$(owner_port "$S1")"
check "after the move: the old node sends the shard's keys on (MOVED)" \
    MOVED "$(ncli "$O1" zcard "${P1}queue:general" | cut -d' ' -f1)"
ctl_reads "after the move"
kill -CONT "$PID1"
