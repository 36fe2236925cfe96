# deliver.sh - shared by the delivery tests: webhook servers the test runs,
# a rules file with SLA targets of seconds and receivers, and readers of
# what the webhooks got.  Source it after lib.sh.

P=triage:
HOOK=$SOURCE_DIR/tests/integration/webhook.py

# webhook_start NAME [webhook.py options]: a recording webhook server; its
# port in ${NAME}_PORT, the posts it accepted in $T_DIR/NAME.jsonl, every
# post it got (whatever it answered) in $T_DIR/NAME.tries.
webhook_start() {
	local name=$1; shift
	rm -f "$T_DIR/$name.port"
	python3 "$HOOK" "$T_DIR/$name.port" "$T_DIR/$name.jsonl" \
	    --tries "$T_DIR/$name.tries" "$@" 2>>"$T_DIR/$name.log" &
	T_DAEMONS+=("$!")
	eval "${name}_PID=$!"
	wait_until 10 test -s "$T_DIR/$name.port" ||
	    { echo "webhook $name did not start"; exit 1; }
	eval "${name}_PORT=$(cat "$T_DIR/$name.port")"
	touch "$T_DIR/$name.jsonl" "$T_DIR/$name.tries"
}

# posts NAME [STATUS]: one line per post NAME got: "KEY STATUS TICKET".
posts() {
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    b = r["body"]
    if isinstance(b, dict) and "ticket" in b:
        print(r["key"], b.get("status"), b["ticket"])
    elif isinstance(b, dict) and "text" in b:
        print(r["key"], "text", b["text"])
    else:
        print(r["key"], "other", json.dumps(b))
' "$T_DIR/$1.jsonl"
}
# count_posts NAME PATTERN: posts whose line matches PATTERN (grep -E).
count_posts() { posts "$1" | grep -cE -- "$2"; }

# tries NAME: one line per post NAME got, as it arrived, whatever it was
# answered: "KEY STATUS".
tries() {
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(r["key"], r["status"])
' "$T_DIR/$1.tries"
}
# count_tries NAME PATTERN: posts NAME got whose line matches PATTERN.
count_tries() { tries "$1" | grep -cE -- "$2"; }

# dead_for TICKET: one line per dead letter of an alert on TICKET in
# P+dead: "RECEIVER|ERROR|FIRED_AT|FAILED_AT".
dead_for() {
	rcli --raw eval "
local out = {}
for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
  local h = {}
  for i = 1, #e[2], 2 do h[e[2][i]] = e[2][i + 1] end
  if h.ticket == ARGV[1] then
    out[#out + 1] = table.concat({h.receiver or '', h.error or '',
      h.fired_at or '', h.failed_at or ''}, '|')
  end
end
return out" 1 "${P}dead" "$1"
}

submit() {
	rcli xadd ${P}requests '*' id "$1" customer_id C channel web \
	    subject "${2:-printer on fire}" >/dev/null
}
event() { rcli xadd ${P}events '*' ticket "$1" event "$2" >/dev/null; }
metric() {
	curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | awk -v m="$1" \
	    '$1 == m { print $2 }'
}

# deliver_config OUT RECEIVERS-YAML [TARGET-DELIVER-LIST]: a first response
# due in 2 s, breached at 100% to the target `page` (li_na) delivered to
# the receivers listed.
deliver_config() {
	cat > "$1" <<YAML
redis:
  port: $REDIS_PORT
intake:
  claim_idle: 2s
tiers:
  levels:
    - name: standard
urgency:
  levels: [critical, high, low]
teams: [general]
default_team: general
sla:
  - name: fast
    calendar: always
    first_response:
      within: 2s
      escalate:
        - {at: 100%, notify: page}
notify:
  - name: page
    people: [li_na]
    deliver: [${3:-hook}]
oncall:
  people:
    li_na: {name: "Li Na"}
receivers:
$2
http:
  listen: 127.0.0.1:$HTTP_PORT
YAML
}
