/*
 * route_script.c - the routing script: the Lua that writes a batch's
 * tickets, queue entries, SLA steps, contacts and dead letters, and
 * acknowledges its entries, in one atomic call (route.c builds the call).
 */
#include "route_script.h"

/*
 * KEYS: requests stream, dead stream, sla set, then ticket and queue key
 * per T, and its customer's contacts key when it has ncontacts 1.
 * ARGV: group, then records:
 *   T src npairs f v ... queue_score ticket_id nsteps score member ...
 *     ncontacts [created_at cutoff ttl_ms]
 *   D src npairs f v ...
 *   A src
 * Returns one character per record: R routed, S skipped (ticket existed),
 * D dead-lettered, d dead letter skipped (already acknowledged), A acked.
 */
const char route_script[] =
"local stream, dead, sla = KEYS[1], KEYS[2], KEYS[3]\n"
"local group = ARGV[1]\n"
"local k, i, out, acks, zsets = 4, 2, {}, {}, {}\n"
"local function zadd(key, score, member)\n"
"  local z = zsets[key]\n"
"  if z == nil then z = {} zsets[key] = z end\n"
"  z[#z + 1] = score\n"
"  z[#z + 1] = member\n"
"end\n"
/*
 * The customer's contacts (customers.contacts): the ticket scored by its
 * created_at, those older than the longest window dropped, and the key
 * left to expire when the customer stays away.  Idempotent, so counted
 * once however often the entry comes back.
 */
"local function contact(ckey, c, id)\n"
"  redis.call('ZADD', ckey, ARGV[c + 1], id)\n"
"  redis.call('ZREMRANGEBYSCORE', ckey, '-inf', '(' .. ARGV[c + 2])\n"
"  redis.call('PEXPIRE', ckey, ARGV[c + 3])\n"
"end\n"
/*
 * A ticket this very entry wrote, that nothing has touched since (no rev)
 * and whose entry is still pending: a call that failed after its HSET.
 * Queue and schedule it now; both ZADDs are idempotent.
 */
"local function half_written(tkey, src)\n"
"  local h = redis.pcall('HMGET', tkey, 'source_id', 'rev')\n"
"  return type(h) == 'table' and h[1] == src and not h[2] and\n"
"    #redis.call('XPENDING', stream, group, src, src, 1) > 0\n"
"end\n"
"while i <= #ARGV do\n"
"  local kind, src = ARGV[i], ARGV[i + 1]\n"
"  if kind == 'T' then\n"
"    local n = tonumber(ARGV[i + 2])\n"
"    local tkey, qkey = KEYS[k], KEYS[k + 1]\n"
"    local s = i + 6 + 2 * n\n"
"    local ns = tonumber(ARGV[s - 1])\n"
"    local c = s + 2 * ns\n"
"    local nc = tonumber(ARGV[c])\n"
"    local ckey = nc == 1 and KEYS[k + 2]\n"
"    k = k + 2 + nc\n"
"    local fresh = redis.call('EXISTS', tkey) == 0\n"
"    if fresh or half_written(tkey, src) then\n"
"      if fresh then\n"
"        redis.call('HSET', tkey, unpack(ARGV, i + 3, i + 2 + 2 * n))\n"
"      end\n"
"      zadd(qkey, ARGV[i + 3 + 2 * n], ARGV[i + 4 + 2 * n])\n"
"      for j = s, s - 1 + 2 * ns, 2 do zadd(sla, ARGV[j], ARGV[j + 1]) end\n"
"      if ckey then contact(ckey, c, ARGV[i + 4 + 2 * n]) end\n"
"      out[#out + 1] = 'R'\n"
"    else\n"
"      out[#out + 1] = 'S'\n"
"    end\n"
"    i = c + 1 + 3 * nc\n"
"  elseif kind == 'D' then\n"
"    local n = tonumber(ARGV[i + 2])\n"
"    if #redis.call('XPENDING', stream, group, src, src, 1) > 0 then\n"
"      redis.call('XADD', dead, '*', unpack(ARGV, i + 3, i + 2 + 2 * n))\n"
"      out[#out + 1] = 'D'\n"
"    else\n"
"      out[#out + 1] = 'd'\n"
"    end\n"
"    i = i + 3 + 2 * n\n"
"  else\n"
"    out[#out + 1] = 'A'\n"
"    i = i + 2\n"
"  end\n"
"  acks[#acks + 1] = src\n"
"end\n"
/* One ZADD per sorted set and one XACK, in chunks that unpack() can take. */
"for key, z in pairs(zsets) do\n"
"  for j = 1, #z, 1000 do\n"
"    redis.call('ZADD', key, unpack(z, j, math.min(j + 999, #z)))\n"
"  end\n"
"end\n"
"for j = 1, #acks, 1000 do\n"
"  redis.call('XACK', stream, group, unpack(acks, j, math.min(j + 999, #acks)))\n"
"end\n"
"return table.concat(out)\n";
