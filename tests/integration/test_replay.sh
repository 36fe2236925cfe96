#!/usr/bin/env bash
# triagectl replay: traffic routed by the real daemon, replayed through a
# candidate that moves billing to after_sales and tightens the `critical`
# policy from 15m to 10m.  The expected counts come from the tickets the
# daemon wrote (route, policy, team), never from replay's own output.
. "$(dirname "$0")/lib.sh"

redis_start
# Without contact counting: the --from lines below carry no times to count
# by (test_crm.sh replays contact counts).
make_config "$T_DIR/triage.yaml" -e '/contacts/d'
P=triage:
CUR=$T_DIR/triage.yaml

# Two VIPs among the generated customers (C00000..C01999), from the CRM.
rcli hset crm:customer:C00007 level vip >/dev/null
rcli hset crm:customer:C00042 level vip >/dev/null

daemon_start "$CUR"
wait_until 10 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" ||
    not_ok "daemon became healthy"
python3 "$SOURCE_DIR/tools/gen_requests.py" --count 3000 --prefix $P \
    --id-prefix RP- --seed 5 | rcli --pipe >/dev/null
# Two requests the daemon rejects: replay counts them invalid too.
rcli xadd ${P}requests '*' channel phone subject "no customer" >/dev/null
rcli xadd ${P}requests '*' customer_id C1 channel fax >/dev/null
wait_until 30 eval '[ "$(count_keys "${P}ticket:RP-*")" -eq 3000 ]'
wait_until 10 eval '[ "$(xlen ${P}dead)" -eq 2 ]'
check "3000 requests routed" 3000 "$(count_keys "${P}ticket:RP-*")"
# Stopped, so that what replay sends is all Redis sees below.
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"

# Tallies of the routed tickets: route=billing, policy=critical, either,
# and each team's load.
tally() {
	rcli eval "
	local n = {billing=0, critical=0, either=0, vip=0, customers=0}
	local seen = {}
	for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
		local t = redis.call('HMGET', k, 'route', 'policy', 'team', 'tier',
		    'customer_id')
		if not seen[t[5]] then
			seen[t[5]] = true
			n.customers = n.customers + 1
		end
		local b, c = t[1] == 'billing', t[2] == 'critical'
		if b then n.billing = n.billing + 1 end
		if c then n.critical = n.critical + 1 end
		if b or c then n.either = n.either + 1 end
		if t[4] == 'vip' then n.vip = n.vip + 1 end
		n['team_' .. t[3]] = (n['team_' .. t[3]] or 0) + 1
	end
	local out = {}
	for k, v in pairs(n) do out[#out + 1] = k .. '=' .. v end
	return out" 0 "${P}ticket:RP-*"
}
eval "$(tally)"
check_true "the data has billing routes, critical policies and VIPs" \
    test "$billing" -gt 0 -a "$critical" -gt 0 -a "$vip" -gt 0
echo "# expected: billing=$billing critical=$critical either=$either vip=$vip"

# The candidate.
CAND=$T_DIR/candidate.yaml
make_config "$CAND" -e '/contacts/d' \
    -e '/^  - name: billing/,/team: billing/ s/team: billing/team: after_sales/' \
    -e 's/first_response: {within: 15m/first_response: {within: 10m/'
check "candidate differs in two places" 2 \
    "$(diff "$CUR" "$CAND" | grep -c '^>')"

rcli config resetstat >/dev/null
"$TRIAGECTL" -c "$CUR" replay --rules "$CAND" --format json \
    >"$T_DIR/r.json" 2>"$T_DIR/r.err"
check "changes: exit status 3" 3 "$?"
check_true "the JSON parses" python3 -m json.tool "$T_DIR/r.json" >/dev/null
j() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
R=$T_DIR/r.json
check "requests read (default --last 10000)" 3002 "$(j $R 'd["requests"]')"
check "invalid requests skipped" 2 "$(j $R 'd["invalid"]')"
check "classified" 3000 "$(j $R 'd["classified"]')"
check "requests changed" "$either" "$(j $R 'd["changed"]')"
check "team changes" "$billing" "$(j $R 'd["changed_by"]["team"]')"
check "team change is billing -> after_sales" \
    "billing after_sales $billing" \
    "$(j $R '" ".join(str(c[k]) for c in d["changes"]["team"] for k in ("from","to","count"))')"
check "first-response target changes" "$critical" \
    "$(j $R 'd["changed_by"]["first_response"]')"
check "first-response change is 15m -> 10m" "15m 10m $critical" \
    "$(j $R '" ".join(str(c[k]) for c in d["changes"]["first_response"] for k in ("from","to","count"))')"
check "no tier, urgency, policy or resolution change" "0 0 0 0" \
    "$(j $R '" ".join(str(d["changed_by"][k]) for k in ("tier","urgency","policy","resolution"))')"
check "tighter by 5 minutes" "$critical 300000" \
    "$(j $R '"%d %d" % (d["first_response"]["tighter"], d["first_response"]["tighter_mean_ms"])')"
check "none looser" 0 "$(j $R 'd["first_response"]["looser"]')"
check "billing's load goes to after_sales" \
    "billing ${team_billing:-0} 0 after_sales ${team_after_sales:-0} $(( ${team_after_sales:-0} + billing ))" \
    "$(j $R '" ".join("%s %d %d" % (t["team"], t["before"], t["after"]) for t in d["teams"] if t["team"] in ("billing","after_sales"))')"
check "general's load unchanged" "${team_general:-0} ${team_general:-0}" \
    "$(j $R '" ".join("%d %d" % (t["before"], t["after"]) for t in d["teams"] if t["team"] == "general")')"
check "3 examples per change, each naming the deciding rules" \
    "3 route 'billing' (line 52) route 'billing' (line 52)" \
    "$(j $R '"%d %s %s" % (len(d["changes"]["team"][0]["examples"]), d["changes"]["team"][0]["examples"][0]["before"], d["changes"]["team"][0]["examples"][0]["after"])')"
check "the examples of the target change name the policy" \
    "sla policy 'critical' (line 75): 15m -> sla policy 'critical' (line 75): 10m" \
    "$(j $R '"%s -> %s" % (d["changes"]["first_response"][0]["examples"][0]["before"], d["changes"]["first_response"][0]["examples"][0]["after"])')"
check "nothing on stderr" "" "$(cat "$T_DIR/r.err")"

# Replay only reads: the commands Redis saw.
cmds=$(rcli info commandstats | sed -n 's/^cmdstat_\([a-z|]*\):.*/\1/p' |
    sort | tr '\n' ' ')
check "replay sent only reads" "config|resetstat hgetall xrevrange " "$cmds"
check "one HGETALL per distinct customer routed (cached)" "$customers" \
    "$(rcli info commandstats | sed -n 's/^cmdstat_hgetall:calls=\([0-9]*\),.*/\1/p')"

ex=$(j $R 'd["changes"]["team"][0]["examples"][0]["ticket"]')
check "an example is a real billing ticket" billing \
    "$(rcli hget "${P}ticket:$ex" route)"

# The text report has the same numbers.
"$TRIAGECTL" -c "$CUR" replay --rules "$CAND" --examples 1 >"$T_DIR/r.txt"
check "text: exit status 3" 3 "$?"
check_true "text: changed line" grep -qx \
    "changed: $either of 3000 requests (.*%)" "$T_DIR/r.txt"
check_true "text: team table row" grep -Eq \
    "^  billing +after_sales +$billing\$" "$T_DIR/r.txt"
check_true "text: target table row" grep -Eq \
    "^  15m +10m +$critical\$" "$T_DIR/r.txt"
check "text: one example per change with --examples 1" 2 \
    "$(grep -c '      e.g. ' "$T_DIR/r.txt")"
check_true "text: tighter line" grep -qx \
    "  tighter: $critical requests, by 5m on average" "$T_DIR/r.txt"

# --last and --since choose how much.
check "--last 100 reads 100" 100 "$("$TRIAGECTL" -c "$CUR" replay \
    --rules "$CAND" --last 100 --format json | j /dev/stdin 'd["requests"]')"
check "--since 1h reads everything" "3002 $either" "$("$TRIAGECTL" -c "$CUR" \
    replay --rules "$CAND" --since 1h --format json |
    j /dev/stdin '"%d %d" % (d["requests"], d["changed"])')"

# --from: redis-cli's XRANGE output, piped and on a terminal, and field=value
# lines from the generator (the same seed: the same requests).
rcli xrange ${P}requests - + >"$T_DIR/raw.txt"
rcli --no-raw xrange ${P}requests - + >"$T_DIR/nested.txt"
python3 "$SOURCE_DIR/tools/gen_requests.py" --count 3000 --id-prefix RP- \
    --seed 5 --format lines >"$T_DIR/lines.txt"
for f in raw nested lines; do
	"$TRIAGECTL" -c "$CUR" replay --rules "$CAND" --from "$T_DIR/$f.txt" \
	    --format json >"$T_DIR/$f.json"
	check "--from $f: exit status 3" 3 "$?"
	check "--from $f: same counts" "$either $billing $critical" \
	    "$(j "$T_DIR/$f.json" '"%d %d %d" % (d["changed"], d["changed_by"]["team"], d["changed_by"]["first_response"])')"
done
check "--from raw XRANGE: the two invalid ones too" "3002 2" \
    "$(j "$T_DIR/raw.json" '"%d %d" % (d["requests"], d["invalid"])')"
check "--from nested XRANGE: the two invalid ones too" "3002 2" \
    "$(j "$T_DIR/nested.json" '"%d %d" % (d["requests"], d["invalid"])')"
# --no-crm: customer.NAME fields in the lines stand for the CRM record.
printf '%s\n' \
    'id=A1 customer_id=X channel=email category=billing customer.level=vip' \
    '# a comment' \
    'id=A2 customer_id=Y channel=phone category=outage subject="system is down"' \
    'id=A3 customer_id=Z channel=chat subject="unterminated' \
    >"$T_DIR/few.txt"
"$TRIAGECTL" -c "$CUR" replay --rules "$CAND" --from "$T_DIR/few.txt" \
    --no-crm --format json >"$T_DIR/few.json"
# A1: a VIP (policy vip, untouched) whose billing request moves team; A2:
# outage by phone, critical (15m -> 10m); A3: malformed.
check "--no-crm: customer.NAME fields, and a malformed line" \
    "3 1 2 1 1" "$(j "$T_DIR/few.json" '"%d %d %d %d %d" % (d["requests"], d["invalid"], d["changed"], d["changed_by"]["team"], d["changed_by"]["first_response"])')"

# An identical candidate: no change, exit 0.
cp "$CUR" "$T_DIR/same.yaml"
out=$("$TRIAGECTL" -c "$CUR" replay --rules "$T_DIR/same.yaml")
check "identical candidate: exit status 0" 0 "$?"
check_true "identical candidate: says no change" grep -q "^no change" <<<"$out"
check "identical candidate: JSON says 0 changed" 0 \
    "$("$TRIAGECTL" -c "$CUR" replay --rules "$T_DIR/same.yaml" \
    --format json | j /dev/stdin 'd["changed"]')"

# Unused and shadowed rules: a route nothing matches, and a policy after
# the catch-all `standard` (its classification is the same: exit 0).
make_config "$T_DIR/extra.yaml" \
    -e '/^default_team:/i\  - {name: refunds, when: {category: refunds}, team: after_sales}' \
    -e '/^    resolution: 72h/a\  - {name: late, when: {tier: key}, calendar: always, first_response: 1h}'
"$TRIAGECTL" -c "$CUR" replay --rules "$T_DIR/extra.yaml" --format json \
    >"$T_DIR/extra.json"
check "extra rules: exit status 0" 0 "$?"
check_true "the route nothing matched is listed" grep -q \
    '"kind":"route","name":"refunds"' "$T_DIR/extra.json"
check_true "the shadowed policy is listed with its position" grep -Eq \
    "extra.yaml:[0-9]+:[0-9]+: warning: sla policy 'late' can never match" \
    "$T_DIR/extra.json"

# An invalid candidate: exit 1, every error at FILE:LINE:COL.
make_config "$T_DIR/bad.yaml" -e 's/team: billing$/team: bilin/' \
    -e 's/within: 15m/within: 15x/'
"$TRIAGECTL" -c "$CUR" replay --rules "$T_DIR/bad.yaml" >"$T_DIR/bad.out" \
    2>"$T_DIR/bad.err"
check "invalid candidate: exit status 1" 1 "$?"
check "invalid candidate: two positioned errors" 2 \
    "$(grep -Ec "^$T_DIR/bad.yaml:[0-9]+:[0-9]+: error: " "$T_DIR/bad.err")"
check_true "invalid candidate: names the team" grep -q "undefined team 'bilin'" \
    "$T_DIR/bad.err"
check "invalid candidate: no report" "" "$(cat "$T_DIR/bad.out")"

# Bad usage: exit 2.
"$TRIAGECTL" -c "$CUR" replay --last 10 2>/dev/null
check "no --rules: exit status 2" 2 "$?"
"$TRIAGECTL" -c "$CUR" replay --rules "$CAND" --last 10 --since 1h 2>/dev/null
check "--last with --since: exit status 2" 2 "$?"
"$TRIAGECTL" -c "$CUR" replay --last 10 2>&1 >/dev/null | grep -q -- "--rules CANDIDATE is required"
check "a usage error says what was wrong" 0 "$?"
"$TRIAGECTL" -c "$CUR" replay --rules "$CAND" --last 10 --since 1h 2>&1 >/dev/null |
    grep -q "give --last or --since, not both"
check "and which options clash" 0 "$?"
"$TRIAGECTL" -c "$CUR" replay --rules "$CAND" --last ten 2>&1 >/dev/null |
    grep -q -- "--last takes a whole number"
check "and which value is wrong" 0 "$?"

# Nothing to compare is not "no change": exit 1 with the reason, so a
# pre-reload gate stops.
make_config "$T_DIR/wrongprefix.yaml" -e 's/^  prefix: .*/  prefix: "nope:"/'
"$TRIAGECTL" -c "$T_DIR/wrongprefix.yaml" replay --rules "$CAND" >/dev/null 2>"$T_DIR/err"
check "a wrong prefix: exit 1" 1 "$?"
check_true "and says nothing was compared" grep -q "no request to compare" "$T_DIR/err"
: >"$T_DIR/empty.txt"
"$TRIAGECTL" -c "$CUR" replay --rules "$CAND" --from "$T_DIR/empty.txt" >/dev/null 2>&1
check "empty input: exit 1" 1 "$?"
printf 'garbage\nmore garbage\n' >"$T_DIR/junk.txt"
"$TRIAGECTL" -c "$CUR" replay --rules "$CAND" --from "$T_DIR/junk.txt" >/dev/null 2>&1
check "input with no valid request: exit 1" 1 "$?"

# A candidate that renames a team: the tickets in the old queue are shown.
make_config "$T_DIR/renamed.yaml" -e 's/\bbilling\b/invoicing/g'
queued_billing=$(rcli zcard ${P}queue:billing)
"$TRIAGECTL" -c "$CUR" replay --rules "$T_DIR/renamed.yaml" >"$T_DIR/renamed.txt"
check_true "the renamed team's stranded tickets are shown ($queued_billing)" \
    grep -q "^  billing: $queued_billing tickets in its queue now would be seen by no agent" "$T_DIR/renamed.txt"
check "and in JSON" "billing $queued_billing" "$("$TRIAGECTL" -c "$CUR" replay \
    --rules "$T_DIR/renamed.yaml" --format json | python3 -c '
import json, sys
d = json.load(sys.stdin)["dropped_teams"][0]
print(d["name"], d["queued"])')"
