#!/usr/bin/env bash
# The wallboard end to end: the real triaged on a private Redis, requests
# for every team, and the page in headless Chromium.  Every team, its
# depth and a countdown are on the page and change when requests arrive;
# a hostile subject is shown as text and never runs; /api/state agrees
# with ZCARD and ZRANGE; the answers carry the strict headers; the page
# and its API are read-only; fifty screens polling cause one refresh a
# second.  The screenshot is kept in the build tree (artifacts/board.png).
. "$(dirname "$0")/lib.sh"

P=triage:
URL="http://127.0.0.1:$HTTP_PORT"
ARTIFACTS=$(dirname "$TRIAGED")/artifacts
TEAMS="key_accounts tech_support billing after_sales general"
CSP="default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

command -v chromium >/dev/null || { echo "chromium is missing (tools/deps.sh)"; exit 1; }

redis_start
# The standard policy on the 24x7 calendar: in the sample's office hours,
# requests received outside them all share one deadline (the next opening
# plus the target), and which of them heads a queue would depend on the
# hour the test runs.
make_config "$T_DIR/triage.yaml" \
    -e 's/^    calendar: cn_office$/    calendar: always/'
daemon_start "$T_DIR/triage.yaml"
wait_until 10 curl -sf "$URL/healthz" || not_ok "daemon became healthy"

now=$(( $(date +%s) * 1000 ))
# One request per team (no customer twice: a repeat caller is answered
# sooner), and hostile subjects at the head of two queues
# (received earlier than the rest: the most pressing of their teams).
rcli hset crm:customer:VIP1 level vip annual_value 900000 >/dev/null
rcli xadd ${P}requests '*' id KA-1 customer_id VIP1 channel phone \
    category outage severity outage subject "网站全部宕机 site down" >/dev/null
rcli xadd ${P}requests '*' id TS-1 customer_id C2 channel chat \
    category technical subject "无法登录 cannot log in" >/dev/null
rcli xadd ${P}requests '*' id BI-1 customer_id C3 channel email \
    category billing subject "<img src=x onerror=alert(1)>" \
    received_at $((now - 600000)) >/dev/null
rcli xadd ${P}requests '*' id BI-2 customer_id C8 channel email \
    category billing subject "second invoice" >/dev/null
rcli xadd ${P}requests '*' id AS-1 customer_id C4 channel web \
    category after_sales subject "Return of a chair" >/dev/null
rcli xadd ${P}requests '*' id GE-1 customer_id C5 channel email \
    subject "<img src=x onerror=\"document.title='pwned'\">" \
    received_at $((now - 600000)) >/dev/null
wait_until 10 eval '[ "$(count_keys "${P}ticket:*")" -eq 6 ]'
check "six tickets routed" 6 "$(count_keys "${P}ticket:*")"
# No route of the sample rules leads to after_sales: a ticket lands there
# as a reassignment would leave it.
rcli hset ${P}ticket:AS-9 ticket_id AS-9 team after_sales tier gold \
    urgency high subject "Return of a damaged chair" status open \
    first_response_due $((now + 3600000)) >/dev/null
rcli zadd ${P}queue:after_sales $((now + 3600000)) AS-9 >/dev/null

# /api/state agrees with Redis, once its next refresh has seen the tickets.
state() { curl -sf "$URL/api/state"; }
jq_py() { python3 -c "import json,sys; s=json.load(sys.stdin); $1"; }
depth_of() { state | jq_py "print([t['depth'] for t in s['teams'] if t['name']=='$1'][0])"; }
wait_until 10 eval '[ "$(depth_of billing)" = 2 ] && [ "$(depth_of after_sales)" = 1 ]'
json=$(state)
for t in $TEAMS; do
	check "/api/state depth of $t is ZCARD" "$(rcli zcard ${P}queue:$t)" \
	    "$(echo "$json" | jq_py "print([t['depth'] for t in s['teams'] if t['name']=='$t'][0])")"
	head=$(rcli zrange ${P}queue:$t 0 0 withscores | tr '\n' ' ')
	check "/api/state head of $t is ZRANGE 0 0 WITHSCORES" "$head" \
	    "$(echo "$json" | jq_py "n=[t['next'] for t in s['teams'] if t['name']=='$t'][0]; print(n['ticket'], n['due'], '')")"
done
check "/api/state carries the hostile subject as data" \
    "<img src=x onerror=alert(1)>" \
    "$(echo "$json" | jq_py "print([t['next']['subject'] for t in s['teams'] if t['name']=='billing'][0])")"
check "/api/state names the rules in force" \
    "$(rcli hget ${P}ticket:BI-1 rules_version)" \
    "$(echo "$json" | jq_py "print(s['rules_version'])")"
check_true "/api/state now is the server's clock" \
    test "$(echo "$json" | jq_py "print(abs(s['now'] - $(date +%s%3N)) < 10000)")" = True
split_of() { # TEAM: "tier/urgency=N ..." sorted, from the tickets in Redis
	for id in $(rcli zrange ${P}queue:$1 0 -1); do
		rcli --raw hmget ${P}ticket:$id tier urgency | paste -sd/
	done | LC_ALL=C sort | uniq -c | awk '{ printf "%s=%d ", $2, $1 }'
}
check "/api/state tier x urgency split of billing is the tickets'" \
    "$(split_of billing)" \
    "$(echo "$json" | jq_py "print(''.join('%s/%s=%d ' % (x['tier'], x['urgency'], x['count']) for x in sorted([x for t in s['teams'] if t['name']=='billing' for x in t['split']], key=lambda x: (x['tier'], x['urgency']))))")"
check "/api/state redis health" ok "$(echo "$json" | jq_py "print(s['totals']['redis'])")"

# Headers, content types, read-only.
hdr() { curl -s -o /dev/null -D - "$URL$1" | tr -d '\r'; }
for path in / /api/state /board.js /board.css; do
	h=$(hdr $path)
	check "CSP on $path" "Content-Security-Policy: $CSP" \
	    "$(echo "$h" | grep -i '^Content-Security-Policy:')"
	check "nosniff on $path" "X-Content-Type-Options: nosniff" \
	    "$(echo "$h" | grep -i '^X-Content-Type-Options:')"
done
check "page is HTML" "Content-Type: text/html; charset=utf-8" \
    "$(hdr / | grep -i '^Content-Type:')"
check "state is JSON" "Content-Type: application/json" \
    "$(hdr /api/state | grep -i '^Content-Type:')"
check "script type" "Content-Type: text/javascript; charset=utf-8" \
    "$(hdr /board.js | grep -i '^Content-Type:')"
check "style type" "Content-Type: text/css; charset=utf-8" \
    "$(hdr /board.css | grep -i '^Content-Type:')"
for m in POST PUT DELETE; do
	for path in / /api/state /board.js; do
		check "$m $path is 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' \
		    -X $m -d x=1 "$URL$path")"
	done
done
check "HEAD / is 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' -I "$URL/")"
check "an unknown path is 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/nothing")"
check "tickets unchanged by the writes refused" 7 "$(count_keys "${P}ticket:*")"

# The page without JavaScript: the server's own table, escaped.
page=$(curl -sf "$URL/")
check_true "no-JS page refreshes itself" \
    grep -q '<noscript><meta http-equiv="refresh" content="5"></noscript>' <<<"$page"
check_true "no-JS page shows the hostile subject escaped" \
    grep -qF '&lt;img src=x onerror=alert(1)&gt;' <<<"$page"
check "no-JS page has no img element" 0 "$(grep -c '<img' <<<"$page")"
check "no inline script or style in the page" 0 \
    "$(grep -cE '<script>|<script [^s]|<style|style=|onload=|onerror=\"' <<<"$page" | head -1)"

# In Chromium.  dom NAME [flags]: the DOM after three seconds of virtual time.
mkdir -p "$ARTIFACTS"
chrome() {
	timeout 120 chromium --headless=new --no-sandbox --disable-gpu \
	    --user-data-dir="$T_DIR/chrome" --window-size=1920,1080 "$@" \
	    2>>"$T_DIR/chromium.log"
}
dom() { chrome --virtual-time-budget=3000 --dump-dom "${@:2}" "$URL/" >"$T_DIR/$1.html"; }
# ROW TEAM FILE: the team's table row as the browser has it.
row() { grep -o "<tr data-team=\"$1\">.*" "$T_DIR/$2.html" | sed 's,</tr>.*,,'; }
cell() { row "$1" "$3" | grep -o "<td class=\"$2[^\"]*\"[^>]*>[^<]*</td>" | sed 's/<[^>]*>//g'; }

dom first
check_true "the script ran (clock filled in)" \
    grep -qE '<span id="clock">[0-9]{2}:[0-9]{2}:[0-9]{2}</span>' "$T_DIR/first.html"
for t in $TEAMS; do
	check "page: $t depth" "$(rcli zcard ${P}queue:$t)" "$(cell $t depth first)"
	check_true "page: $t has a countdown" \
	    grep -qE '^-?[0-9]+:[0-9]{2}(:[0-9]{2})?$' <<<"$(cell $t due first)"
done
check_true "page: the hostile subject shown as text" \
    grep -qF '&lt;img src=x onerror=alert(1)&gt;' "$T_DIR/first.html"
check "page: no img element was made" 0 "$(grep -c '<img' "$T_DIR/first.html")"
check "page: the title is left alone" \
    "<title>Wallboard 值班看板 · triaged</title>" \
    "$(grep -o '<title>.*</title>' "$T_DIR/first.html")"
check "page: Chinese text kept" "无法登录 cannot log in" "$(cell tech_support subject first)"
check_true "page: the overdue-soon head of billing is the hostile one" \
    test "$(cell billing ticket first)" = BI-1

# New requests: depth and head change on the page without a reload.
before_ts=$(cell tech_support due first)
rcli xadd ${P}requests '*' id TS-2 customer_id C6 channel chat category technical \
    subject "older request" received_at $((now - 1200000)) >/dev/null
rcli xadd ${P}requests '*' id TS-3 customer_id C7 channel chat category technical \
    subject "another" >/dev/null
wait_until 10 eval '[ "$(depth_of tech_support)" = 3 ]'
dom second
check "page: tech_support depth grew" 3 "$(cell tech_support depth second)"
check "page: tech_support head is the older request" TS-2 \
    "$(cell tech_support ticket second)"
check_true "page: tech_support countdown changed ($before_ts)" \
    test "$(cell tech_support due second)" != "$before_ts"
check "page: billing depth unchanged" 2 "$(cell billing depth second)"

# Without JavaScript: the server's own table has the same rows.
curl -sf "$URL/" >"$T_DIR/nojs.html"
check "no-JS table: tech_support depth" 3 "$(cell tech_support depth nojs)"
for t in $TEAMS; do
	check_true "no-JS table: $t has a countdown" \
	    grep -qE '^-?[0-9]+:[0-9]{2}(:[0-9]{2})?$' <<<"$(cell $t due nojs)"
done


# A breach alert counts for today, and the alert shows who was paged.
rcli xadd ${P}alerts '*' ticket BI-1 team billing tier standard urgency low \
    policy standard metric first_response step 0 kind breach notify oncall_primary \
    due $now fired_at $now >/dev/null
rcli xadd ${P}alerts '*' ticket BI-1 team billing tier standard urgency low \
    policy standard metric resolution step 0 kind breach notify oncall_primary \
    due $now fired_at $now oncall li oncall_name "李雷 Li Lei" >/dev/null
wait_until 10 eval '[ "$(state | jq_py "print(len(s[\"alerts\"]))")" = 2 ]'
json=$(state)
check "breached today counts the ticket once" 1 \
    "$(echo "$json" | jq_py "print([t['breached_today'] for t in s['teams'] if t['name']=='billing'][0])")"
check "latest alert first, with who was paged" "resolution 李雷 Li Lei" \
    "$(echo "$json" | jq_py "a=s['alerts'][0]; print(a['metric'], a['paged'])")"
check "an alert without on-call shows no one paged, its target kept" "oncall_primary " \
    "$(echo "$json" | jq_py "a=s['alerts'][1]; print(a['notify'], a['paged'])")"

# The screenshot, with the alerts: kept as the test's artifact.
rm -f "$ARTIFACTS/board.png"
chrome --virtual-time-budget=3000 --screenshot="$ARTIFACTS/board.png" "$URL/" >/dev/null
check_true "screenshot kept at $ARTIFACTS/board.png" test -s "$ARTIFACTS/board.png"

# Fifty screens polling: still at most about one refresh a second.
metric() { curl -s "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
r0=$(metric triaged_board_refreshes_total); t0=$(date +%s%3N)
for round in 1 2; do
	pids=()
	for i in $(seq 50); do
		curl -s -o /dev/null "$URL/api/state" & pids+=($!)
	done
	wait "${pids[@]}"
done
sleep 1
r1=$(metric triaged_board_refreshes_total); t1=$(date +%s%3N)
secs=$(( (t1 - t0 + 999) / 1000 ))
check_true "100 requests in ${secs}s caused $((r1 - r0)) refreshes (at most $((secs + 1)))" \
    test $((r1 - r0)) -le $((secs + 1))
check_true "the requests were counted" \
    test "$(metric triaged_board_requests_total)" -ge 100

# A reload that adds a team: the next refresh shows it, and the reload.
version=$(state | jq_py "print(s['rules_version'])")
sed -i 's/^teams: \[\(.*\)\]/teams: [\1, night_desk]/' "$T_DIR/triage.yaml"
kill -HUP "$DAEMON_PID"
wait_until 10 eval '[ "$(state | jq_py "print(s[\"teams\"][-1][\"name\"])")" = night_desk ]'
json=$(state)
check "the new team after a reload" "night_desk 0 None" \
    "$(echo "$json" | jq_py "t=s['teams'][-1]; print(t['name'], t['depth'], t['next'])")"
check_true "the new rules version shown" \
    test "$(echo "$json" | jq_py "print(s['rules_version'])")" != "$version"
check "the reload counted" 1 "$(echo "$json" | jq_py "print(s['totals']['reloads'])")"

# Redis gone: the page still answers, from the last state, saying why.
redis_stop
wait_until 15 eval '[ "$(state | jq_py "print(s[\"totals\"][\"redis\"] != \"ok\")")" = True ]'
check_true "Redis health shows the reason" \
    grep -q 'redis .*: ' <<<"$(state | jq_py "print(s['totals']['redis'])")"
check "the page still answers" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/")"
check "the last depths are kept" 2 \
    "$(state | jq_py "print([t['depth'] for t in s['teams'] if t['name']=='billing'][0])")"
check_true "the page shows Redis in red" \
    grep -q '<b id="redis" class="red">' <<<"$(curl -s "$URL/")"
