#!/usr/bin/env bash
# SIGHUP under a steady stream of requests: every request is routed once,
# each by one rule set whole, and the new rules apply after the reload.
# An invalid file keeps the rules in force, with every error located, and
# options that need a restart are reported, not half-applied.  A new
# intake.claim_idle sets how soon a dead consumer's entries are claimed.
. "$(dirname "$0")/ops.sh"

redis_start
CFG=$T_DIR/triage.yaml
make_config "$CFG"
# v2 sends billing to after_sales instead of billing.
make_config "$T_DIR/v2.yaml" -e "s/^    team: billing$/    team: after_sales/"
version() { "$TRIAGED" -c "$1" --check | sed -n 's/^version: //p'; }
v1=$(version "$CFG")
v2=$(version "$T_DIR/v2.yaml")
check_true "two distinct rule versions ($v1, $v2)" test -n "$v1" -a -n "$v2" \
    -a "$v1" != "$v2"

daemon_start "$CFG"
wait_until 15 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" ||
    not_ok "daemon became healthy"

# The gateway: 40 chunks of 50 requests, one chunk every 0.1 s.
CHUNKS=40
PER=50
N=$((CHUNKS * PER))
(
	for c in $(seq 0 $((CHUNKS - 1))); do
		python3 "$SOURCE_DIR/tools/gen_requests.py" --count $PER \
		    --start $((c * PER)) --seed $c --prefix $P --id-prefix S- |
		    rcli --pipe >/dev/null
		sleep 0.1
	done
) &
gateway=$!

# Reload once a third of the stream is in; the file is replaced whole.
wait_until 30 is_ge $((N / 3)) xlen ${P}requests
cp "$T_DIR/v2.yaml" "$CFG.new" && mv "$CFG.new" "$CFG"
kill -HUP "$DAEMON_PID"
wait_until 10 grep -q "reload: rules $v1 -> $v2" "$T_DIR/triaged.log"
check_true "the reload is logged with old and new version" \
    grep -q "reload: rules $v1 -> $v2 (tiers 3 -> 3, teams 5 -> 5, policies 4 -> 4)" \
    "$T_DIR/triaged.log"
wait "$gateway"

wait_until 30 is_eq $N count_keys "${P}ticket:S-*"
check "every request of the stream has a ticket" $N \
    "$(count_keys "${P}ticket:S-*")"
check "every ticket queued once" $N "$(queued)"
wait_until 10 is_eq 0 pending
check "nothing left pending" 0 "$(pending)"
check "nothing dead-lettered" 0 "$(xlen ${P}dead)"

# "source_id version category team" of every ticket, in stream order.
rcli --raw eval "
local out = {}
for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
  local v = redis.call('HMGET', k, 'source_id', 'rules_version', 'category', 'team')
  out[#out + 1] = table.concat(v, ' ')
end
return out" 0 "${P}ticket:S-*" | sort -t- -k1,1n -k2,2n >"$T_DIR/tickets"
check "only the two versions classified" "$v1 $v2" \
    "$(awk '{ print $2 }' "$T_DIR/tickets" | sort -u | sort -k1,1 |
       awk -v a="$v1" -v b="$v2" '$1 == a { x = 1 } $1 == b { y = 1 }
           END { if (x && y) print a " " b; else print "missing" }')"
check "the switch is clean: old rules up to a point, new after it" "$v1 $v2" \
    "$(awk '{ print $2 }' "$T_DIR/tickets" | uniq | tr '\n' ' ' | sed 's/ $//')"
check "old rules: billing went to billing" 0 \
    "$(awk -v v="$v1" '$2 == v && $3 == "billing" && $4 != "billing"' "$T_DIR/tickets" | wc -l)"
check "new rules: billing goes to after_sales" 0 \
    "$(awk -v v="$v2" '$2 == v && $3 == "billing" && $4 != "after_sales"' "$T_DIR/tickets" | wc -l)"
check_true "both rule sets routed billing requests" test \
    "$(awk -v v="$v1" '$2 == v && $3 == "billing"' "$T_DIR/tickets" | wc -l)" -gt 0 -a \
    "$(awk -v v="$v2" '$2 == v && $3 == "billing"' "$T_DIR/tickets" | wc -l)" -gt 0

check "reloads_ok counted" 1 "$(metric triaged_reloads_ok_total)"
check "rules in force shown in /metrics" 1 \
    "$(metric "triaged_rules_info{version=\"$v2\"}")"

# An invalid file: three mistakes, each reported with file, line, column.
make_config "$T_DIR/bad.yaml" -e "s/^    team: billing$/    team: bilin/" \
    -e "s/^  batch: .*/  bach: 64/" -e "s/^    first_response: 24h$/    first_response: 24 hours/"
check_true "the bad file is refused by --check too" \
    bash -c "! '$TRIAGED' -c '$T_DIR/bad.yaml' --check >/dev/null 2>&1"
cp "$T_DIR/bad.yaml" "$CFG"
kill -HUP "$DAEMON_PID"
wait_until 10 grep -q "reload of $CFG failed; rules $v2 stay in force" \
    "$T_DIR/triaged.log"
check_true "the failed reload is logged" \
    grep -q "reload of $CFG failed; rules $v2 stay in force" "$T_DIR/triaged.log"
errors=$(grep -c "warning: $CFG:[0-9]*:[0-9]*: error: " "$T_DIR/triaged.log")
check "every error logged with file, line and column" 3 "$errors"
check_true "the unknown key is named" grep -q ":[0-9]*:[0-9]*: error: .*'bach'" \
    "$T_DIR/triaged.log"
check_true "the undefined team is named" grep -q ":[0-9]*:[0-9]*: error: .*'bilin'" \
    "$T_DIR/triaged.log"
check "reloads_failed counted" 1 "$(metric triaged_reloads_failed_total)"
check "reloads_ok unchanged" 1 "$(metric triaged_reloads_ok_total)"
rcli xadd ${P}requests '*' id AFTER-BAD customer_id C1 channel web \
    category billing >/dev/null
wait_until 10 key_exists ${P}ticket:AFTER-BAD
check "after a failed reload the rules in force still route" \
    "after_sales $v2" "$(rcli hmget ${P}ticket:AFTER-BAD team rules_version |
    tr '\n' ' ' | sed 's/ $//')"
check_true "daemon still running" kill -0 "$DAEMON_PID"

# Options that need a restart: reported, and the running ones kept.
OTHER_PORT=$(free_port)
make_config "$CFG" -e "s/^  prefix: .*/  prefix: \"other:\"/" \
    -e "s/^  listen: .*/  listen: 127.0.0.1:$OTHER_PORT/"
v3=$(version "$CFG")
kill -HUP "$DAEMON_PID"
wait_until 10 grep -q "reload: rules $v2 -> $v3" "$T_DIR/triaged.log"
check_true "redis.prefix reported as restart-only" grep -q \
    "reload: redis.prefix changed; it takes effect only after a restart" \
    "$T_DIR/triaged.log"
check_true "http.listen reported as restart-only" grep -q \
    "reload: http.listen changed; it takes effect only after a restart" \
    "$T_DIR/triaged.log"
rcli xadd ${P}requests '*' id AFTER-PREFIX customer_id C1 channel web \
    category billing >/dev/null
wait_until 10 key_exists ${P}ticket:AFTER-PREFIX
check "the old prefix is still used, with the new rules" "billing $v3" \
    "$(rcli hmget ${P}ticket:AFTER-PREFIX team rules_version |
    tr '\n' ' ' | sed 's/ $//')"
check "nothing written under the new prefix" 0 "$(count_keys 'other:*')"
check "metrics still on the old address" 2 "$(metric triaged_reloads_ok_total)"
check_true "nothing listens on the new address" \
    bash -c "! curl -s http://127.0.0.1:$OTHER_PORT/healthz"

kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
check "exit status 0 after reloads" 0 "$?"

# The claim timer follows a reload.  Under claim_idle 10m the claim cycle
# runs every 5 minutes; an entry left pending by a consumer that is gone
# (read, never acknowledged) waits for it.  Reloaded with claim_idle 1s,
# the cycle runs every second and takes it over within seconds; a timer
# left at 5 minutes would not.
make_config "$T_DIR/claim.yaml" -e "s/^  claim_idle: .*/  claim_idle: 10m/"
claim_id=$(rcli xadd ${P}requests '*' id CLAIM-1 customer_id C1 channel web \
    category billing)
check "a dead consumer read the entry" "$claim_id" \
    "$(rcli --raw xreadgroup group routers ghost count 1 streams ${P}requests '>' |
    sed -n 2p)"
daemon_start "$T_DIR/claim.yaml" claimer
claim_pid=$DAEMON_PID
wait_until 15 healthy || not_ok "daemon with claim_idle 10m became healthy"
check "pending under the dead consumer, not claimed under claim_idle 10m" \
    "ghost 0" "$(rcli --raw xpending ${P}requests routers - + 10 |
    sed -n 2p) $(rcli exists ${P}ticket:CLAIM-1)"
make_config "$T_DIR/claim.yaml" -e "s/^  claim_idle: .*/  claim_idle: 1s/"
kill -HUP "$claim_pid"
wait_until 10 grep -q "reload: intake.claim_idle changed (10m -> 1s)" \
    "$T_DIR/claimer.log"
check_true "the reload reports the new claim_idle" \
    grep -q "reload: intake.claim_idle changed (10m -> 1s)" "$T_DIR/claimer.log"
wait_until 20 key_exists ${P}ticket:CLAIM-1
check "after the reload the dead consumer's entry is claimed and routed" \
    billing "$(rcli hget ${P}ticket:CLAIM-1 team)"
wait_until 10 is_eq 0 pending
check "and acknowledged" 0 "$(pending)"
kill -TERM "$claim_pid"
wait "$claim_pid"
check "exit status 0 after the claim" 0 "$?"
