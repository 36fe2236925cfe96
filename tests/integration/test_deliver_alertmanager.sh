#!/usr/bin/env bash
# Delivery through a real Prometheus Alertmanager: the breach reaches
# Alertmanager with the contract's labels and the person on call (by
# rotation, and by override), Alertmanager passes it on to the webhook it
# is configured with, and after `responded` the page is resolved there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deliver.sh"

# tools/deps.sh installs Alertmanager: without it the setup is broken, and
# this test fails rather than pass having checked nothing.
AM_BIN=${AM_BIN:-/usr/bin/prometheus-alertmanager}
if [ ! -x "$AM_BIN" ]; then
	not_ok "$AM_BIN is not installed (tools/deps.sh installs it)"
	exit 1
fi

redis_start
webhook_start amhook
AM_PORT=$(free_port)
cat > "$T_DIR/am.yml" <<YAML
route:
  receiver: hook
  group_by: ['...']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:$amhook_PORT/am
        send_resolved: true
YAML
"$AM_BIN" --config.file="$T_DIR/am.yml" --storage.path="$T_DIR/am" \
    --web.listen-address=127.0.0.1:$AM_PORT --cluster.listen-address= \
    >"$T_DIR/alertmanager.log" 2>&1 &
T_DAEMONS+=("$!")
wait_until 30 curl -sf "http://127.0.0.1:$AM_PORT/-/ready" ||
    not_ok "Alertmanager started"

# Daily turns at 00:00 UTC from yesterday: today is the second person's.
# The override puts zhang_wei on `cover` for the hours around now.
yesterday=$(date -u -d yesterday +%Y-%m-%d)
from=$(date -u -d '-2 hours' '+%Y-%m-%d %H:%M')
to=$(date -u -d '+2 hours' '+%Y-%m-%d %H:%M')
CFG=$T_DIR/am.yaml
cat > "$CFG" <<YAML
redis:
  port: $REDIS_PORT
intake:
  claim_idle: 2s
tiers:
  levels:
    - name: vip
      when: {customer_id: VIP}
    - name: standard
urgency:
  levels: [critical, high, low]
teams: [general]
default_team: general
sla:
  - name: vip
    when: {tier: vip}
    calendar: always
    first_response:
      within: 2s
      escalate:
        - {at: 100%, notify: cover}
  - name: fast
    calendar: always
    first_response:
      within: 2s
      escalate:
        - {at: 100%, notify: primary}
notify:
  - name: primary
    oncall: primary
    deliver: [pager]
  - name: cover
    oncall: cover
    deliver: [pager]
oncall:
  people:
    li_na: {name: "Li Na"}
    wang_fang: {name: "Wang Fang"}
    zhang_wei: {name: "Zhang Wei"}
  schedules:
    primary:
      timezone: UTC
      rotation: daily
      handoff: "00:00"
      start: $yesterday
      people: [li_na, wang_fang]
    cover:
      timezone: UTC
      rotation: daily
      handoff: "00:00"
      start: $yesterday
      people: [li_na, wang_fang]
      overrides:
        - {person: zhang_wei, from: "$from", to: "$to"}
receivers:
  pager:
    alertmanager: {url: "http://127.0.0.1:$AM_PORT", timeout: 5s}
http:
  listen: 127.0.0.1:$HTTP_PORT
YAML

daemon_start "$CFG" node-a
wait_until 10 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" ||
    not_ok "daemon became healthy"

# One line per alert Alertmanager holds: ticket oncall state endsAt-set
am_alerts() {
	curl -s "http://127.0.0.1:$AM_PORT/api/v2/alerts?${1:-}" | python3 -c '
import json, sys
for a in json.load(sys.stdin):
    l = a["labels"]
    print(l.get("ticket"), l.get("oncall"), a["status"]["state"],
          l.get("alertname"), l.get("metric"), l.get("step"), l.get("kind"),
          l.get("notify"), l.get("team"), l.get("tier"),
          a["annotations"].get("oncall_name"),
          a["annotations"].get("subject"))'
}
# What Alertmanager's webhook got: status ticket oncall
am_posts() {
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    b = json.loads(line)["body"]
    for a in b.get("alerts", []):
        print(a["status"], a["labels"].get("ticket"), a["labels"].get("oncall"))
' "$T_DIR/amhook.jsonl"
}

submit AM-1 "screen broken"
rcli xadd ${P}requests '*' id AM-VIP customer_id VIP channel web \
    subject "VIP waiting" >/dev/null
wait_until 20 eval '[ "$(am_alerts | wc -l)" -ge 2 ]'
check "Alertmanager holds the breach with the contract's labels" \
    "AM-1 wang_fang active TicketEscalation first_response 0 breach primary general standard Wang Fang screen broken" \
    "$(am_alerts | grep '^AM-1 ')"
check "the override's person is paged for the VIP" \
    "AM-VIP zhang_wei active TicketEscalation first_response 0 breach cover general vip Zhang Wei VIP waiting" \
    "$(am_alerts | grep '^AM-VIP ')"
wait_until 20 eval '[ "$(am_posts | grep -c "^firing")" -ge 2 ]'
check "Alertmanager passed both on to its webhook" \
    "firing AM-1 wang_fang;firing AM-VIP zhang_wei;" \
    "$(am_posts | grep '^firing' | sort -u | tr '\n' ';')"
wait_until 10 eval '[ -n "$(rcli zscore ${P}firing "pager|AM-1|first_response|0")" ]'
score=$(rcli zscore ${P}firing "pager|AM-1|first_response|0")
check_true "kept firing: to be posted again within a minute ($score)" \
    test "${score:-0}" -gt "$(( $(date +%s) * 1000 ))" -a \
    "${score:-0}" -le "$(( ($(date +%s) + 61) * 1000 ))"

event AM-1 responded
wait_until 30 eval '[ "$(am_posts | grep -c "^resolved AM-1 ")" -ge 1 ]'
check "after responded, Alertmanager's webhook gets it resolved" \
    "resolved AM-1 wang_fang" "$(am_posts | grep '^resolved AM-1 ' | sort -u)"
check "Alertmanager no longer holds it active" "" \
    "$(am_alerts 'active=true&silenced=false&inhibited=false' | grep '^AM-1 ')"
check "the VIP page still fires" "AM-VIP zhang_wei active" \
    "$(am_alerts | grep '^AM-VIP ' | awk '{ print $1, $2, $3 }')"
check "only the VIP page is left firing" "pager|AM-VIP|first_response|0" \
    "$(rcli zrange ${P}firing 0 -1)"
check "the resolution counted" 1 \
    "$(metric 'triaged_deliveries_total{receiver="pager",outcome="resolved"}')"
check_true "the log names the person paged" \
    grep -q "deliver: ticket AM-VIP first_response breach (step 0) -> zhang_wei via pager (alertmanager, " \
    "$T_DIR/node-a.log"

# --- A burst: 40 pages firing at once, all due for their re-post together.
# Each is posted again (a debug line per accepted re-post), not only the
# first 16 the tick has room for: one claimed and not posted would wait a
# minute more, and Alertmanager would resolve it at its endsAt.
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
daemon_start "$CFG" node-b --log-level debug
wait_until 10 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" ||
    not_ok "daemon became healthy again"
for i in $(seq 1 40); do submit "BURST-$i"; done
burst_firing() { rcli zrange ${P}firing 0 -1 | grep -c '^pager|BURST-'; }
wait_until 30 is_eq 40 burst_firing
check "the 40 pages are firing at Alertmanager" 40 "$(burst_firing)"
due=$(( $(date +%s) * 1000 - 1000 ))
for i in $(seq 1 40); do
	rcli zadd ${P}firing XX "$due" "pager|BURST-$i|first_response|0" >/dev/null
done
reposted() {
	grep -o "deliver: pager|BURST-[0-9]*|first_response|0 still firing at pager" \
	    "$T_DIR/node-b.log" | sort -u | wc -l
}
wait_until 30 is_eq 40 reposted
check "every one of them posted again" 40 "$(reposted)"
check "none left due" 0 "$(rcli zcount ${P}firing -inf "$(( $(date +%s) * 1000 ))")"
