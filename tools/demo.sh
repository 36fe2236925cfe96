#!/usr/bin/env bash
# The quick start: build triaged, run it on a private redis-server with the
# sample rules (conf/triage.yaml), feed it a handful of realistic requests,
# and show where each went and which escalation alerts fired.
# Everything runs in a temporary directory and is stopped at the end.
set -eu
cd "$(dirname "$0")/.."
. tools/lib.sh
build_binaries triaged triagectl
private_redis demo
HTTP=$(free_port)
HOOK_PORT=$(free_port)
AM_PORT=$(free_port)
AM_BIN=/usr/bin/prometheus-alertmanager

# The receivers of the sample rules: `floor`, a json webhook (a small
# python3 server here that prints what it gets), and `pager`, Alertmanager
# (started here on a private port when the package is installed, handing
# its pages to the same webhook).
PAGER_PIDS=
python3 tests/integration/webhook.py "$DIR/hook.port" "$DIR/hook.jsonl" \
    --port "$HOOK_PORT" 2>/dev/null &
PAGER_PIDS="$PAGER_PIDS $!"
if [ -x "$AM_BIN" ]; then
	cat > "$DIR/am.yml" <<YAML
route:
  receiver: phone
  group_by: ['...']
  group_wait: 0s
  group_interval: 1s
receivers:
  - name: phone
    webhook_configs: [{url: "http://127.0.0.1:$HOOK_PORT/alertmanager", send_resolved: true}]
YAML
	"$AM_BIN" --config.file="$DIR/am.yml" --storage.path="$DIR/am" \
	    --web.listen-address=127.0.0.1:$AM_PORT --cluster.listen-address= \
	    >"$DIR/alertmanager.log" 2>&1 &
	PAGER_PIDS="$PAGER_PIDS $!"
fi
trap 'kill $PAGER_PIDS 2>/dev/null; tools_cleanup' EXIT

# The sample rules as they are, pointed at this private Redis and receivers.
sed -e "s/^  port: 6379/  port: $PORT/" \
    -e "s/^  listen: .*/  listen: 127.0.0.1:$HTTP/" \
    -e "s|http://127.0.0.1:9093|http://127.0.0.1:$AM_PORT|" \
    -e "s|http://127.0.0.1:9095|http://127.0.0.1:$HOOK_PORT|" \
    conf/triage.yaml > "$DIR/triage.yaml"
# Both receivers listening before the first page goes out.
for _ in $(seq 100); do [ -s "$DIR/hook.port" ] && break; sleep 0.1; done
[ -s "$DIR/hook.port" ] || { echo "demo: the webhook receiver" \
    "(tests/integration/webhook.py) did not start within 10 s" >&2; exit 1; }
if [ -x "$AM_BIN" ]; then
	until curl -sf "http://127.0.0.1:$AM_PORT/-/ready" >/dev/null; do
		sleep 0.1
	done
fi
CTL() { build/triagectl -c "$DIR/triage.yaml" "$@"; }

echo "== triaged --check"
build/triaged -c "$DIR/triage.yaml" --check
echo
echo "== starting triaged on redis 127.0.0.1:$PORT (log: below)"
build/triaged -c "$DIR/triage.yaml" --consumer demo 2> >(sed 's/^/   | /' >&2) &
DAEMON_PID=$!
until curl -sf "http://127.0.0.1:$HTTP/healthz" >/dev/null; do sleep 0.1; done

# The customers, from a CRM export (Zoho CRM's Accounts, as Excel saves
# CSV): loaded into the hashes customers.key names.
printf '\xef\xbb\xbfRecord Id,Account Name,Account Owner,Level,Annual Revenue\r\n%s\r\n%s\r\n%s\r\n' \
    'C-VIP-7,"Star Tech Co., Ltd.",Li Na,vip,800000' \
    'C-KEY-2,Gull Trading,Wang Fang,gold,650000' \
    'C-1042,"Corner ""Best"" Shop",Wang Fang,standard,12000' >"$DIR/accounts.csv"
echo
echo "== a CRM export loaded (triagectl crm import)"
CTL crm import "$DIR/accounts.csv" --map "Record Id=customer_id" \
    --map "Annual Revenue=annual_value" --map "Account Owner=-"

now=$(( $(date +%s) * 1000 ))
ago() { echo $(( now - $1 * 60000 )); }
echo
echo "== gateways submit requests"
CTL submit id=PH-1001 customer_id=C-VIP-7 channel=phone category=outage \
    severity=outage subject="Our whole site is down" >/dev/null
CTL submit id=EM-2002 customer_id=C-1042 channel=email category=billing \
    subject="发票金额有误" body="上个月的发票多收了费用" >/dev/null
CTL submit id=CH-3003 customer_id=C-2077 channel=chat category=technical \
    subject="无法登录 - urgent" lang=zh >/dev/null
CTL submit id=WB-4004 customer_id=C-KEY-2 channel=web category=after_sales \
    subject="Return of a damaged chair" order_value=120000 >/dev/null
CTL submit id=EM-5005 customer_id=C-3300 channel=email \
    subject="Question about opening hours" >/dev/null
# A VIP email that waited 50 minutes in its gateway before it reached us:
# the SLA clock starts at received_at, so its 75% warning is already due.
CTL submit id=EM-6006 customer_id=C-VIP-7 channel=email category=technical \
    subject="Cannot export reports" received_at="$(ago 50)" >/dev/null
# A VIP chat that waited 70 minutes: warning and breach are both due.
CTL submit id=CH-7007 customer_id=C-VIP-7 channel=chat category=general \
    subject="Still waiting for a call back" received_at="$(ago 70)" >/dev/null
# A request no one can route.  triagectl refuses to send it, as the daemon
# would refuse it; a careless gateway sends it anyway, and it goes to the
# dead-letter stream.
CTL submit customer_id=C-9 channel=fax subject="sent by fax" || true
R xadd triage:requests '*' customer_id C-9 channel fax subject "sent by fax" >/dev/null

for _ in $(seq 50); do
	[ "$(R eval "return #redis.call('keys','triage:ticket:*')" 0)" -ge 7 ] && break
	sleep 0.1
done
sleep 1.5

echo
echo "== where each request went"
printf '%-9s %-10s %-9s %-5s %-14s %-13s %s\n' TICKET TIER URGENCY SCORE TEAM ROUTE POLICY
for id in PH-1001 EM-2002 CH-3003 WB-4004 EM-5005 EM-6006 CH-7007; do
	R --raw hmget "triage:ticket:$id" tier urgency score team route policy |
	    paste -sd' ' | awk -v id="$id" '{ printf "%-9s %-10s %-9s %-5s %-14s %-13s %s\n", id, $1, $2, $3, $4, $5, $6 }'
done
echo
echo "== a repeat caller rises in the queue"
# C-3300 asked about opening hours (EM-5005, low); 10 minutes later a
# first-time customer wrote (EM-9009).  Then C-3300 writes again: its
# second contact within 24h (customer.contacts_24h = 1) raises its urgency
# and gives it the 4h policy `repeat`, ahead of both in the general queue.
CTL submit id=EM-9009 customer_id=C-5150 channel=email \
    subject="Do you ship to Hangzhou?" >/dev/null
sleep 0.5
CTL submit id=EM-8008 customer_id=C-3300 channel=email \
    subject="Still no answer about opening hours" >/dev/null
for _ in $(seq 50); do
	R exists triage:ticket:EM-8008 | grep -q 1 && break
	sleep 0.1
done
printf '%-9s %-9s %-8s %-5s %s\n' TICKET CUSTOMER URGENCY SCORE POLICY
for id in EM-5005 EM-9009 EM-8008; do
	R --raw hmget "triage:ticket:$id" customer_id urgency score policy |
	    paste -sd' ' | awk -v id="$id" '{ printf "%-9s %-9s %-8s %-5s %s\n", id, $1, $2, $3, $4 }'
done
echo "general queue, most pressing first: $(R zrange triage:queue:general 0 -1 | paste -sd' ')"
echo
echo "== why PH-1001 went where it did (triagectl explain)"
CTL explain customer_id=C-VIP-7 customer.level=vip channel=phone \
    category=outage severity=outage subject="Our whole site is down"
echo
echo "== team queues (triagectl queues)"
CTL queues
echo
echo "== escalation alerts (triage:alerts)"
R --raw xrange triage:alerts - + | awk '
	/^[0-9]+-[0-9]+$/ { if (n++) show(); delete f; k = ""; next }
	k == "" { k = $0; next }
	{ f[k] = $0; k = "" }
	function show() {
		printf "%-8s %-14s step %s %-8s -> %-15s due %s, fired %s%s\n",
		    f["ticket"], f["metric"], f["step"], f["kind"], f["notify"],
		    strftime("%H:%M:%S", f["due"] / 1000),
		    strftime("%H:%M:%S", f["fired_at"] / 1000),
		    f["oncall"] != "" ? ", paged " f["oncall_name"] : ""
	}
	END { if (n) show(); else print "(none)" }'
echo
echo "== who is on call (triagectl oncall)"
CTL oncall --next 2
echo
echo "== one escalated ticket (triagectl ticket CH-7007)"
CTL ticket CH-7007 | sed -n '/^clocks/,$p'
echo
echo "== dead letters (triage:dead)"
R --raw xrange triage:dead - + | grep -A1 -x error | grep -v -x -e error -e --
echo
echo "== metrics (excerpt)"
curl -s "http://127.0.0.1:$HTTP/metrics" |
    grep -E '^triaged_(requests_routed|requests_rejected|alerts_fired|deliveries)' |
    grep -v ' 0$' || true
echo
echo "== paging: what the receivers of the breach got"
for _ in $(seq 50); do
	grep -q '"CH-7007' "$DIR/hook.jsonl" 2>/dev/null && break
	sleep 0.1
done
sleep 1.5
python3 - "$DIR/hook.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    b = r["body"]
    if r["path"] == "/alertmanager":
        for a in b["alerts"]:
            l = a["labels"]
            print(f"  floor <- Alertmanager: {a['status']} {l['ticket']} "
                  f"{l['metric']} {l['kind']}, oncall={l.get('oncall')} "
                  f"({a['annotations'].get('oncall_name')})")
    elif "ticket" in b:
        print(f"  floor (json webhook): {b['status']} {b['key']}, paged "
              f"{b.get('oncall_name', b['notify'])}, Idempotency-Key {r['key']}")
PY
if [ -x "$AM_BIN" ]; then
	echo "  Alertmanager holds (GET /api/v2/alerts):"
	curl -s "http://127.0.0.1:$AM_PORT/api/v2/alerts" > "$DIR/am.json"
	python3 - "$DIR/am.json" <<'PY'
import json, sys
for a in json.load(open(sys.argv[1])):
    l = a["labels"]
    print(f"    {l['alertname']} ticket={l['ticket']} {l['metric']} {l['kind']} "
          f"oncall={l.get('oncall')} {a['status']['state']} since {a['startsAt']}")
PY
else
	echo "  ($AM_BIN is not installed: the pager receiver is retried in the background)"
fi
echo
echo "== the wallboard (GET / and GET /api/state)"
echo "wallboard: http://127.0.0.1:$HTTP/"
curl -s "http://127.0.0.1:$HTTP/api/state" | python3 -c '
import json, sys
s = json.load(sys.stdin)
for t in s["teams"]:
    n = t["next"]
    print("%-13s depth %-3d next %-8s due in %s" % (t["name"], t["depth"],
        n["ticket"] if n else "-",
        "%+d min" % ((n["due"] - s["now"]) // 60000) if n else "-"))'
# On a terminal, the page stays up until Enter: open it in a browser.
if [ -t 0 ]; then
	echo
	read -r -p "Open the wallboard above in a browser; press Enter to stop the demo. " _
fi
