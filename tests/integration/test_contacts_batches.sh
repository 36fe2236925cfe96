#!/usr/bin/env bash
# Contact counts across batches in flight at once.  A batch reads its
# customers' counts while the batches before it are still being classified
# and written, so the daemon adds what Redis could not yet count: their
# new tickets, but not their resends of a ticket routed before.  Small
# batches, few customers and resends a few entries back put many of them
# in flight together; every ticket's score must still be what its
# customer's earlier tickets say.
. "$(dirname "$0")/lib.sh"

redis_start
P=triage:
CFG=$T_DIR/triage.yaml
# Score = 20 [contacts_24h >= 1] + [>= 2] + [>= 3] + [>= 4]
#       + 40 [contacts_3s >= 1]
make_config "$CFG" -e 's/^  contacts: .*/  contacts: [3s, 24h]/' \
    -e 's/^  batch: .*/  batch: 8/' \
    -e '/points:/d' -e '/^  score:/a\
    - {when: {customer.contacts_24h: {gte: 1}}, points: 20}\
    - {when: {customer.contacts_24h: {gte: 2}}, points: 1}\
    - {when: {customer.contacts_24h: {gte: 3}}, points: 1}\
    - {when: {customer.contacts_24h: {gte: 4}}, points: 1}\
    - {when: {customer.contacts_3s: {gte: 1}}, points: 40}'
"$TRIAGED" -c "$CFG" --check >"$T_DIR/check.out" 2>&1
check "the test rules are valid" 0 "$?"

# ID PREFIX COUNT: requests in groups of four batches of 8 (the batch size)
# from the same 8 customers, one request each per batch: the first, second
# and fourth batch new tickets, the third a resend of the first's.  So each
# customer's three tickets count 0, 1 and 2 contacts, when the batches of a
# group are read and written in any overlap; counting the resend, or
# missing a ticket of a batch ahead, changes a score.
requests() {
	python3 - "$P" "$1" "$2" <<'EOF'
import sys, time
p, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
t0 = int(time.time() * 1000) - 10000
out = []
for i in range(n):
    k, pos = divmod(i, 8)
    group, r = divmod(k, 4)
    j = i - 16 if r == 2 else i
    args = ["XADD", p + "requests", "*", "id", "%s-%05d" % (prefix, j),
            "customer_id", "%s%d-%d" % (prefix, group, pos),
            "channel", "email", "subject", "hello",
            "received_at", str(t0 + j)]
    out.append("*%d\r\n" % len(args) + "".join(
        "$%d\r\n%s\r\n" % (len(a), a) for a in args))
sys.stdout.write("".join(out))
EOF
}

# PATTERN: how many tickets matching it have a score other than what their
# customer's earlier tickets give, plus customers whose contacts set does
# not hold each of their tickets once.
recount() {
	rcli eval "
local by = {}
for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
	local t = redis.call('HMGET', k, 'customer_id', 'created_at', 'score')
	by[t[1]] = by[t[1]] or {}
	table.insert(by[t[1]], {tonumber(t[2]), tonumber(t[3])})
end
local bad = 0
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
return bad" 0 "$1" "${P}contacts:"
}

pending() { rcli xpending ${P}requests routers | head -1; }

# Queued before the daemon starts: it reads them in full batches, back to
# back, as fast as it can.
requests Q 4000 | rcli --pipe >/dev/null
daemon_start "$CFG"
wait_until 120 eval '[ "$(count_keys "${P}ticket:Q-*")" -eq 3000 ] &&
    [ "$(pending)" = 0 ]' || not_ok "3,000 tickets routed"
check "queued: 3,000 tickets of 4,000 requests (1,000 resends)" 3000 \
    "$(count_keys "${P}ticket:Q-*")"
check "queued: every count exact, every ticket counted once" 0 \
    "$(recount "${P}ticket:Q-*")"
check "queued: the resends were acknowledged as such" 1000 \
    "$(curl -s "http://127.0.0.1:$HTTP_PORT/metrics" |
        awk '$1 == "triaged_requests_duplicate_total" { print $2 }')"

# Arriving while the daemon runs: batches of every size.
requests L 4000 | rcli --pipe >/dev/null
wait_until 120 eval '[ "$(count_keys "${P}ticket:L-*")" -eq 3000 ] &&
    [ "$(pending)" = 0 ]' || not_ok "3,000 more tickets routed"
check "arriving: every count exact, every ticket counted once" 0 \
    "$(recount "${P}ticket:L-*")"
check "no Redis error" 0 "$(curl -s "http://127.0.0.1:$HTTP_PORT/metrics" |
    awk '$1 == "triaged_redis_errors_total" { print $2 }')"
