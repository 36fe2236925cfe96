#!/usr/bin/env bash
# Two shards on a real three-master Redis Cluster, each with its own daemon:
# both route exactly once; then one shard's slot is migrated to another
# node while its daemon drains 20,000 requests and escalations come due:
# every request still gets exactly one ticket and queue entry, nothing is
# left pending or dead-lettered, and each escalation step fires once.
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
kill -0 "$PID1"
check "shard 1's daemon still running" 0 $?
