#!/usr/bin/env bash
# Customer data: CRM exports imported with `triagectl crm import`, then
# requests whose tiers come from them; contact frequency counted by the
# daemon (customers.contacts).  A request's score here is made of its
# contact counts alone, so each ticket's score says what was counted.
. "$(dirname "$0")/lib.sh"

redis_start
P=triage:
CFG=$T_DIR/triage.yaml
# Score = 20 [contacts_24h >= 1] + [>= 2] + [>= 3] + [>= 4]
#       + 40 [contacts_3s >= 1]; 20 is medium urgency, 50 high.
make_config "$CFG" -e 's/^  contacts: .*/  contacts: [3s, 24h]/' \
    -e '/points:/d' -e '/^  score:/a\
    - {when: {customer.contacts_24h: {gte: 1}}, points: 20}\
    - {when: {customer.contacts_24h: {gte: 2}}, points: 1}\
    - {when: {customer.contacts_24h: {gte: 3}}, points: 1}\
    - {when: {customer.contacts_24h: {gte: 4}}, points: 1}\
    - {when: {customer.contacts_3s: {gte: 1}}, points: 40}'
"$TRIAGED" -c "$CFG" --check >"$T_DIR/check.out" 2>&1
check "the test rules are valid" 0 "$?"

daemon_start "$CFG"
wait_until 10 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" ||
    not_ok "daemon became healthy"

score() { rcli hget "${P}ticket:$1" score; }
tier() { rcli hget "${P}ticket:$1" tier; }
# submit ID CUSTOMER RECEIVED_AT: one request, created at RECEIVED_AT.
submit() {
	rcli xadd ${P}requests '*' id "$1" customer_id "$2" channel email \
	    subject hello received_at "$3" >/dev/null
}
routed() { wait_until 20 key_exists "${P}ticket:$1"; }

# --- Import: a Zoho CRM accounts export (BOM, CRLF, quoted commas and a
# quoted line break) and a 纷享销客 export in GBK with Chinese headers.
printf '\xef\xbb\xbfRecord Id,Account Name,Account Owner,Level,Annual Revenue\r\n%s\r\n%s\r\n%s\r\n%s\r\n%s\r\n' \
    'Z-VIP,"Acme, Inc.",Li Wei,vip,1200' \
    'Z-KEY,"Big ""Key"" Co",Wang Fang,standard,750000' \
    'Z-STD,"Two' \
    'lines Ltd",Zhao Min,standard,100' \
    ',No Id,Li Wei,vip,1' >"$T_DIR/zoho.csv"
printf '%s,Extra,x,vip,1,surplus\r\n' Z-BAD >>"$T_DIR/zoho.csv"
"$TRIAGECTL" -c "$CFG" crm import "$T_DIR/zoho.csv" \
    --map "Record Id=customer_id" --map "Annual Revenue=annual_value" \
    >"$T_DIR/imp.out" 2>"$T_DIR/imp.err"
check "import with rejected rows exits 1" 1 "$?"
check "import says how many it wrote" \
    "imported 3 records (15 fields) into crm:customer:{customer_id}" \
    "$(sed 's/ in [0-9.]* s.*//' "$T_DIR/imp.out")"
check "each rejected row with its line and why" \
"$T_DIR/zoho.csv:6: rejected: no customer ID: column 'Record Id' is empty
$T_DIR/zoho.csv:7: rejected: 6 columns, the header has 5 (an unquoted comma or tab?)" \
    "$(cat "$T_DIR/imp.err")"
check "a quoted comma and quotes kept" 'Big "Key" Co' \
    "$(rcli hget crm:customer:Z-KEY account_name)"
check "a quoted line break kept" "$(printf 'Two\r\nlines Ltd')" \
    "$(rcli hget crm:customer:Z-STD account_name)"
check "columns renamed, the rest lower-cased with blanks as _" \
    "account_name account_owner annual_value customer_id level" \
    "$(rcli hkeys crm:customer:Z-VIP | LC_ALL=C sort | paste -sd' ')"
# Idempotent: again, the same hashes; an update keeps fields it lacks.
rcli hset crm:customer:Z-VIP phone 123 >/dev/null
"$TRIAGECTL" -c "$CFG" crm import "$T_DIR/zoho.csv" \
    --map "Record Id=customer_id" --map "Annual Revenue=annual_value" \
    >/dev/null 2>&1
check "re-import: same records, other fields kept" "6 vip" \
    "$(rcli hlen crm:customer:Z-VIP) $(rcli hget crm:customer:Z-VIP level)"

printf '客户编号\t客户名称\t客户级别\t负责人\t成交金额\n%s\n%s\n' \
    'FX-1	北京星辰科技有限公司	vip	张伟	1' \
    'FX-2	上海海鸥贸易	普通	李娜	900000' |
    iconv -f UTF-8 -t GBK >"$T_DIR/fx.tsv"
"$TRIAGECTL" -c "$CFG" crm import "$T_DIR/fx.tsv" --encoding gbk \
    --key 客户编号 --map 客户级别=level --map 成交金额=annual_value \
    >"$T_DIR/fx.out" 2>&1
check "GBK tab-separated export: exit 0" 0 "$?"
check "GBK converted to UTF-8" "北京星辰科技有限公司" \
    "$(rcli hget crm:customer:FX-1 客户名称)"
printf '{"customer_id": "J-1", "level": "vip"}\n{"customer_id": "J-2", "level": ["x"]}\n' |
    "$TRIAGECTL" -c "$CFG" crm import - >/dev/null 2>"$T_DIR/jl.err"
check "JSON lines from standard input; a nested value refused" \
    "vip -:2: rejected: field 'level' is an array (expected a string or a number)" \
    "$(rcli hget crm:customer:J-1 level) $(cat "$T_DIR/jl.err")"

# Requests whose tiers come from the imported records.
n=0
for c in Z-VIP Z-KEY Z-STD FX-1 FX-2 J-1; do
	n=$((n + 1))
	rcli xadd ${P}requests '*' id "IMP-$n" customer_id "$c" channel web \
	    subject hi >/dev/null
done
routed IMP-6
check "tiers from the imported data" "vip key standard vip key vip" \
    "$(for i in 1 2 3 4 5 6; do routed IMP-$i; tier IMP-$i; done | paste -sd' ')"

# --- The push: POST /api/customers/ID, as a CRM's webhook sends it.
URL=http://127.0.0.1:$HTTP_PORT/api/customers
post() {	# post ID BODY [curl args]: prints the status and the body
	local id=$1 body=$2; shift 2
	curl -s -o "$T_DIR/post.out" -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' --data-binary "$body" "$@" \
	    "$URL/$id"
	echo " $(cat "$T_DIR/post.out")"
}
check "no token in the environment: the push is off (404)" \
    '404 {"error": "the customer push is off: http.token_env names no environment variable that is set"}' \
    "$(post P-1 '{"level": "vip"}' -H 'Authorization: Bearer x')"
check "the push wrote nothing" 0 "$(rcli exists crm:customer:P-1)"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
TOKEN=s3cret-$RANDOM$RANDOM
TRIAGED_CRM_TOKEN=$TOKEN daemon_start "$CFG"
wait_until 10 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" ||
    not_ok "daemon became healthy again"
check "without a token: 401" 401 \
    "$(post P-1 '{"level": "vip"}' | cut -d' ' -f1)"
check "with a wrong token: 401" 401 \
    "$(post P-1 '{"level": "vip"}' -H "Authorization: Bearer ${TOKEN}x" | cut -d' ' -f1)"
check "with a token of the right length but wrong: 401" 401 \
    "$(post P-1 '{"level": "vip"}' -H "Authorization: Bearer ${TOKEN%?}y" | cut -d' ' -f1)"
check "nothing written without the token" 0 "$(rcli exists crm:customer:P-1)"
AUTH=(-H "Authorization: Bearer $TOKEN")
check "with the token: 200 and what was written" \
    '200 {"customer": "P-1", "fields": 3}' \
    "$(post P-1 '{"level": "vip", "annual_value": 10, "name": "張三"}' "${AUTH[@]}")"
# 200 says the write is queued on the writer: Redis runs it a moment later.
hfields() { echo $(for f in "${@:2}"; do rcli hget "crm:customer:$1" "$f"; done); }
wait_until 10 eval '[ "$(hfields P-1 level annual_value name)" = "vip 10 張三" ]'
check "the fields are in the customer's hash" "vip 10 張三" \
    "$(hfields P-1 level annual_value name)"
check "an upsert: 200" '200 {"customer": "P-1", "fields": 2}' \
    "$(post P-1 '{"level": "standard", "annual_value": 600000}' "${AUTH[@]}")"
wait_until 10 eval '[ "$(hfields P-1 annual_value)" = 600000 ]'
check "an upsert keeps the fields it does not name" "3 standard 600000 張三" \
    "$(rcli hlen crm:customer:P-1) $(hfields P-1 level annual_value name)"
check "a nested value: 400 saying what" \
    '400 {"error": "field '\''tags'\'' is an array (expected a string or a number)"}' \
    "$(post P-2 '{"tags": ["a"]}' "${AUTH[@]}")"
check "not JSON: 400" 400 "$(post P-2 'level=vip' "${AUTH[@]}" | cut -d' ' -f1)"
check "an empty body: 400" 400 "$(post P-2 '' "${AUTH[@]}" | cut -d' ' -f1)"
check "a bad customer ID: 400" 400 \
    "$(post 'P%202' '{"level": "vip"}' "${AUTH[@]}" | cut -d' ' -f1)"
big=$(python3 -c 'print("{\"x\": \"" + "a" * 70000 + "\"}")')
check "over 64 KiB: 413" 413 "$(post P-2 "$big" "${AUTH[@]}" | head -1 | cut -d' ' -f1)"
check "GET is not allowed: 405" 405 \
    "$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$URL/P-1")"
check "nothing written by the refused pushes" 0 "$(rcli exists crm:customer:P-2)"
wait_until 10 grep -q "crm: customer P-1 updated (3 fields)" "$T_DIR/triaged.log"
check_true "logged by customer and field count" \
    grep -q "crm: customer P-1 updated (3 fields)" "$T_DIR/triaged.log"
check_true "no customer data in the log" \
    bash -c "! grep -q '張三' '$T_DIR/triaged.log'"
check_true "the token is not logged" \
    bash -c "! grep -q '$TOKEN' '$T_DIR/triaged.log'"
# 简道云's data push, through contrib/crm/jiandaoyun-relay.py: its envelope
# (fields keyed by widget) posted flat to the push.
RELAY_PORT=$(free_port)
TRIAGED_CRM_TOKEN=$TOKEN python3 "$SOURCE_DIR/contrib/crm/jiandaoyun-relay.py" \
    --listen 127.0.0.1:$RELAY_PORT --triaged "http://127.0.0.1:$HTTP_PORT" \
    --id _widget_1 --map _widget_2=level --map _widget_3=owner \
    2>"$T_DIR/relay.log" &
T_DAEMONS+=($!)
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$RELAY_PORT/" ||
    not_ok "the relay started"
check "a 简道云 push relayed" '{"customer": "JDY-1", "fields": 2}' \
    "$(curl -s -X POST "http://127.0.0.1:$RELAY_PORT/" \
    --data-binary '{"op": "data_update", "data": {"_id": "x", "_widget_1": "JDY-1", "_widget_2": "vip", "_widget_3": {"name": "王芳", "username": "wf"}, "_widget_9": [1]}}')"
wait_until 10 eval '[ "$(hfields JDY-1 level owner)" = "vip 王芳" ]'
check "its widgets land as named fields" "vip 王芳" "$(hfields JDY-1 level owner)"

metric() { curl -s "http://127.0.0.1:$HTTP_PORT/metrics" |
    awk -v m="$1" '$1 == m { print $2 }'; }
wait_until 10 eval '[ "$(metric triaged_crm_pushes_total)" = 3 ]'
check "pushes written and refused (3 x 401, 4 x 400) are counted" "3 7" \
    "$(metric triaged_crm_pushes_total) $(metric triaged_crm_pushes_refused_total)"
# The pushed record routes: P-1 is now a key account (annual_value).
rcli xadd ${P}requests '*' id PUSH-1 customer_id P-1 channel web subject hi >/dev/null
routed PUSH-1
check "a request of the pushed customer takes its tier" key "$(tier PUSH-1)"

# --- Counts, a resend and the window boundary, at fixed times.
T=$(( $(date +%s) * 1000 - 3600000 ))
submit W1 CW $T; routed W1
check "first contact: nothing counted" 0 "$(score W1)"
submit W2 CW $((T + 1000)); routed W2
check "second within 3s: 24h=1, 3s=1" 60 "$(score W2)"
# A resend (the same id) is the same ticket: neither routed nor counted.
submit W2 CW $((T + 1500))
submit W3 CW $((T + 2000)); routed W3
check "third: 24h=2, the resend not counted" 61 "$(score W3)"
check "the customer's contacts hold each ticket once" 3 \
    "$(rcli zcard ${P}contacts:CW)"
# Exactly at the window's start: W3 (T+2000) is inside [T+5000-3s, T+5000).
submit W4 CW $((T + 5000)); routed W4
check "a contact at the window's start counts" 62 "$(score W4)"
# 3s after W4 and W5 is outside; so are W1..W3 (24h counts all four).
submit W5 CW $((T + 8001)); routed W5
check "past the 3s window: 24h=4 only" 23 "$(score W5)"
check "the same millisecond does not count" 0 \
    "$(submit W6 CW6 $T; submit W7 CW6 $T; routed W7; routed W6;
       echo $(( $(score W6) + $(score W7) )))"
ttl=$(rcli pttl ${P}contacts:CW)
check_true "the contacts key expires after the longest window ($ttl ms)" \
    test "$ttl" -gt 0 -a "$ttl" -le 86400000
# Old contacts go: those more than 24h before the customer's latest.
submit OLD CW $((T + 8001 + 86400001)); routed OLD
check "contacts older than the longest window are trimmed" 1 \
    "$(rcli zcard ${P}contacts:CW)"
# A CRM field of the same name does not stand in for the count.
rcli hset crm:customer:CF contacts_24h 9 >/dev/null
submit F1 CF $T; routed F1
check "a CRM field cannot forge the count" 0 "$(score F1)"

# --- In one batch: a resend of a ticket routed before, and an ID twice,
# are no new contacts for the requests after them.
T2=$((T + 20000))
submit D1 CD $T2; routed D1
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
submit D1 CD $((T2 + 500))		# the resend
submit D2 CD $((T2 + 1000))		# counts D1 once: 20 + 40
submit D3 CD $((T2 + 1100))
submit D3 CD $((T2 + 1200))		# the same new ID twice
submit D4 CD $((T2 + 1300))		# counts D1, D2, D3: 20 + 1 + 1 + 40
daemon_start "$CFG"
routed D4
check "one batch: a resend and a repeated ID are counted once" "60 61 62" \
    "$(score D2) $(score D3) $(score D4)"

# --- Redelivery after kill -9: 4,000 requests of 400 customers, killed
# part way; after the restart every ticket's count is what its customer's
# earlier tickets say, and each ticket is counted once.
python3 - "$P" >"$T_DIR/many.resp" <<'EOF'
import sys
p = sys.argv[1]
out = []
for i in range(4000):
    args = ["XADD", p + "requests", "*", "id", "K-%04d" % i,
            "customer_id", "K%03d" % (i % 400), "channel", "email",
            "subject", "hello"]
    out.append("*%d\r\n" % len(args) + "".join(
        "$%d\r\n%s\r\n" % (len(a), a) for a in args))
sys.stdout.write("".join(out))
EOF
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
rcli --pipe <"$T_DIR/many.resp" >/dev/null
sed -e "s/^  batch: .*/  batch: 16/" "$CFG" >"$T_DIR/small.yaml"
base=$(rcli dbsize)
daemon_start "$T_DIR/small.yaml"
# DBSIZE is O(1): poll it closely and kill once some tickets exist.
for _ in $(seq 3000); do
	[ "$(rcli dbsize)" -ge $((base + 300)) ] && break
	sleep 0.01
done
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null
before=$(count_keys "${P}ticket:K-*")
check_true "killed part way ($before of 4000 routed)" test "$before" -lt 4000
daemon_start "$T_DIR/small.yaml"
wait_until 60 eval '[ "$(count_keys "${P}ticket:K-*")" -eq 4000 ]'
check "every request routed after the restart" 4000 \
    "$(count_keys "${P}ticket:K-*")"
# Each ticket's score against its customer's earlier tickets (all within
# 24h), recounted from the tickets.
bad=$(rcli eval "
local by = {}
for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
	local t = redis.call('HMGET', k, 'customer_id', 'created_at', 'score')
	by[t[1]] = by[t[1]] or {}
	table.insert(by[t[1]], {tonumber(t[2]), tonumber(t[3])})
end
local bad, total = 0, 0
for c, ts in pairs(by) do
	if redis.call('ZCARD', ARGV[2] .. c) ~= #ts then bad = bad + 1 end
	for _, a in ipairs(ts) do
		local n, n3 = 0, 0
		for _, b in ipairs(ts) do
			if b[1] < a[1] then n = n + 1 end
			if b[1] < a[1] and b[1] >= a[1] - 3000 then n3 = n3 + 1 end
		end
		local want = (n > 0 and 19 or 0) + math.min(n, 4) +
		    (n3 > 0 and 40 or 0)
		if want ~= a[2] then bad = bad + 1 end
	end
end
return bad" 0 "${P}ticket:K-*" "${P}contacts:")
check "after kill -9 every count is exact and every ticket counted once" \
    0 "$bad"

# --- replay reads the counts as the daemon did: without the counting
# rules, the newest 4,000 (the K- requests) change urgency where they
# were counted.
make_config "$T_DIR/plain.yaml" -e 's/^  contacts: .*/  contacts: [3s, 24h]/' \
    -e '/points:/d' -e 's/^  score:.*/  score: []/'
"$TRIAGECTL" -c "$T_DIR/small.yaml" replay --rules "$T_DIR/plain.yaml" \
    --last 4000 --format json >"$T_DIR/replay.json" 2>"$T_DIR/replay.err"
check "replay: exit 3, changes found" 3 "$?"
check "replay: nothing on stderr" "" "$(cat "$T_DIR/replay.err")"
counted=$(rcli eval "local n = 0
for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
	if tonumber(redis.call('HGET', k, 'score')) >= 20 then n = n + 1 end
end return n" 0 "${P}ticket:K-*")
check_true "some K- tickets were counted ($counted)" test "$counted" -gt 0
check "replay: the urgency changes are the counted tickets" "$counted" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["changed_by"]["urgency"])' "$T_DIR/replay.json")"

# --- Contacts without a CRM: counted all the same.
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
sed -e '/^  key: "crm:customer/d' "$CFG" >"$T_DIR/nocrm.yaml"
daemon_start "$T_DIR/nocrm.yaml"
submit N1 CN $T; routed N1
submit N2 CN $((T + 1000)); routed N2
check "without customers.key the contacts are counted all the same" "0 60 standard" \
    "$(score N1) $(score N2) $(tier N2)"

# --- explain counts as the daemon does: a window not given on the command
# line is 0, the daemon's count for a customer's first request; a count
# given wins.  Score = 50 [contacts_24h < 1] + 7 [contacts_24h >= 0].
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
make_config "$T_DIR/first.yaml" -e 's/^  contacts: .*/  contacts: [24h]/' \
    -e '/points:/d' -e '/^  score:/a\
    - {when: {customer.contacts_24h: {lt: 1}}, points: 50}\
    - {when: {customer.contacts_24h: {gte: 0}}, points: 7}'
daemon_start "$T_DIR/first.yaml"
explain_score() {
	"$TRIAGECTL" -c "$T_DIR/first.yaml" explain -o json customer_id=CE \
	    channel=email subject=hello "$@" |
	    python3 -c 'import json,sys; print(json.load(sys.stdin)["score"])'
}
submit E1 CE $T; routed E1
check "explain scores a first contact as the daemon does" "57 57" \
    "$(score E1) $(explain_score received_at=$T)"
submit E2 CE $((T + 1000)); routed E2
check "a count given to explain wins, and matches the daemon's" "7 7" \
    "$(score E2) $(explain_score received_at=$((T + 1000)) customer.contacts_24h=1)"
check_true "explain says which counts it took as 0" grep -q \
    '^contacts: customer.contacts_24h=0 (not given' <<<"$("$TRIAGECTL" \
    -c "$T_DIR/first.yaml" explain customer_id=CE channel=email)"
