/*
 * test_slotmap.c - reading CLUSTER SLOTS replies built here as hiredis
 * would hand them over: the master of a slot at the edges of its range and
 * after one slot was moved on its own, a slot no node serves, an address a
 * node does not know, malformed entries refused; and the nodes named once
 * each, masters and replicas, up to the room given.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "slotmap.h"

/* Reply trees, freed with reply_free(). */

static redisReply *
reply_new(int type)
{
	redisReply	*r = calloc(1, sizeof *r);

	assert_non_null(r);
	r->type = type;
	return r;
}

static redisReply *
rtext(const char *s)
{
	redisReply	*r = reply_new(REDIS_REPLY_STRING);

	r->len = strlen(s);
	r->str = strdup(s);
	assert_non_null(r->str);
	return r;
}

static redisReply *
rnum(long long v)
{
	redisReply	*r = reply_new(REDIS_REPLY_INTEGER);

	r->integer = v;
	return r;
}

/* An array of n replies, given after n. */
static redisReply *
rarr(size_t n, ...)
{
	redisReply	*r = reply_new(REDIS_REPLY_ARRAY);
	va_list		 ap;

	r->elements = n;
	r->element = calloc(n ? n : 1, sizeof *r->element);
	assert_non_null(r->element);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		r->element[i] = va_arg(ap, redisReply *);
	va_end(ap);
	return r;
}

/* A node entry as Redis 7 writes it: address, port, id, metadata. */
static redisReply *
node(const char *host, long long port)
{
	return rarr(4, rtext(host), rnum(port),
	    rtext("09dbe9720cda62f7865eabc5fd8857c5d2678366"), rarr(0));
}

static void
reply_free(redisReply *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->elements; i++)
		reply_free(r->element[i]);
	free(r->element);
	free(r->str);
	free(r);
}

/* The owner of slot as "host:port", "-" if slotmap_owner() says none. */
static const char *
owner(const redisReply *r, int slot)
{
	static char		 buf[CLUSTER_HOST_MAX + 16];
	struct slotmap_node	 n;

	memset(&n, 0x55, sizeof n);
	if (slotmap_owner(r, slot, &n) == -1)
		return "-";
	snprintf(buf, sizeof buf, "%s:%d", n.host, n.port);
	return buf;
}

/* Three masters on 7000..7002, each with a replica on 7003..7005. */
static redisReply *
three_masters(void)
{
	return rarr(3,
	    rarr(4, rnum(0), rnum(5460), node("10.0.0.1", 7000),
		node("10.0.0.4", 7003)),
	    rarr(4, rnum(5461), rnum(10922), node("10.0.0.2", 7001),
		node("10.0.0.5", 7004)),
	    rarr(4, rnum(10923), rnum(16383), node("10.0.0.3", 7002),
		node("10.0.0.6", 7005)));
}

static void
test_owner_at_range_edges(void **state)
{
	redisReply	*r = three_masters();

	assert_string_equal(owner(r, 0), "10.0.0.1:7000");
	assert_string_equal(owner(r, 5460), "10.0.0.1:7000");
	assert_string_equal(owner(r, 5461), "10.0.0.2:7001");
	assert_string_equal(owner(r, 10922), "10.0.0.2:7001");
	assert_string_equal(owner(r, 10923), "10.0.0.3:7002");
	assert_string_equal(owner(r, 16383), "10.0.0.3:7002");
	/* The master, never its replica. */
	assert_string_equal(owner(r, 2843), "10.0.0.1:7000");
	reply_free(r);
}

/* After CLUSTER SETSLOT 2843 NODE: the range split around one slot. */
static void
test_owner_of_moved_slot(void **state)
{
	redisReply	*r = rarr(4,
	    rarr(3, rnum(0), rnum(2842), node("10.0.0.1", 7000)),
	    rarr(3, rnum(2843), rnum(2843), node("10.0.0.3", 7002)),
	    rarr(3, rnum(2844), rnum(5460), node("10.0.0.1", 7000)),
	    rarr(3, rnum(5461), rnum(16383), node("10.0.0.2", 7001)));

	assert_string_equal(owner(r, 2842), "10.0.0.1:7000");
	assert_string_equal(owner(r, 2843), "10.0.0.3:7002");
	assert_string_equal(owner(r, 2844), "10.0.0.1:7000");
	assert_string_equal(owner(r, 9000), "10.0.0.2:7001");
	reply_free(r);
}

static void
test_owner_of_unserved_slot(void **state)
{
	redisReply	*r = rarr(2,
	    rarr(3, rnum(0), rnum(99), node("10.0.0.1", 7000)),
	    rarr(3, rnum(200), rnum(16383), node("10.0.0.2", 7001)));
	redisReply	*empty = rarr(0);

	assert_string_equal(owner(r, 99), "10.0.0.1:7000");
	assert_string_equal(owner(r, 100), "-");
	assert_string_equal(owner(r, 199), "-");
	assert_string_equal(owner(r, 200), "10.0.0.2:7001");
	assert_string_equal(owner(empty, 0), "-");
	reply_free(r);
	reply_free(empty);
}

/* "?" (and "") is a node that does not know its address: the one asked. */
static void
test_owner_unknown_address(void **state)
{
	redisReply	*r = rarr(2,
	    rarr(3, rnum(0), rnum(8191), node("?", 7000)),
	    rarr(3, rnum(8192), rnum(16383), node("", 7001)));
	redisReply	*v6 = rarr(1,
	    rarr(3, rnum(0), rnum(16383), node("::1", 7002)));

	assert_string_equal(owner(r, 0), ":7000");
	assert_string_equal(owner(r, 16383), ":7001");
	assert_string_equal(owner(v6, 42), "::1:7002");
	reply_free(r);
	reply_free(v6);
}

static void
test_owner_malformed(void **state)
{
	char		 longhost[CLUSTER_HOST_MAX + 1];
	redisReply	*err = reply_new(REDIS_REPLY_ERROR);
	redisReply	*r;

	/* Not a CLUSTER SLOTS reply at all. */
	assert_string_equal(owner(NULL, 0), "-");
	err->str = strdup("ERR This instance has cluster support disabled");
	err->len = strlen(err->str);
	assert_string_equal(owner(err, 0), "-");
	reply_free(err);

	/* Ports out of range, a host that is not a string, no port. */
	r = rarr(5,
	    rarr(3, rnum(0), rnum(9), node("10.0.0.1", 0)),
	    rarr(3, rnum(10), rnum(19), node("10.0.0.1", 65536)),
	    rarr(3, rnum(20), rnum(29), rarr(2, rnum(7), rnum(7000))),
	    rarr(3, rnum(30), rnum(39), rarr(1, rtext("10.0.0.1"))),
	    rarr(3, rnum(40), rnum(49), node("10.0.0.1", 65535)));
	assert_string_equal(owner(r, 5), "-");
	assert_string_equal(owner(r, 15), "-");
	assert_string_equal(owner(r, 25), "-");
	assert_string_equal(owner(r, 35), "-");
	assert_string_equal(owner(r, 45), "10.0.0.1:65535");
	reply_free(r);

	/* A range without a node, or with bounds that are not integers, is
	 * passed over; a later good one still answers. */
	r = rarr(4,
	    rarr(2, rnum(0), rnum(16383)),
	    rarr(3, rtext("0"), rnum(16383), node("10.0.0.1", 7000)),
	    rarr(3, rnum(0), rtext("16383"), node("10.0.0.3", 7002)),
	    rarr(3, rnum(0), rnum(16383), node("10.0.0.2", 7001)));
	assert_string_equal(owner(r, 0), "10.0.0.2:7001");
	assert_string_equal(owner(r, 100), "10.0.0.2:7001");
	reply_free(r);

	/* A host longer than a slotmap_node holds is refused, not cut. */
	memset(longhost, 'h', sizeof longhost - 1);
	longhost[sizeof longhost - 1] = '\0';
	r = rarr(1, rarr(3, rnum(0), rnum(16383), node(longhost, 7000)));
	assert_string_equal(owner(r, 0), "-");
	reply_free(r);
	longhost[CLUSTER_HOST_MAX - 1] = '\0';	/* 255 bytes: fits */
	r = rarr(1, rarr(3, rnum(0), rnum(16383), node(longhost, 7000)));
	assert_int_equal(strlen(owner(r, 0)), CLUSTER_HOST_MAX - 1 + 5);
	reply_free(r);
}

static void
test_nodes_each_once(void **state)
{
	struct slotmap_node	 out[16];
	redisReply		*r = three_masters();
	redisReply		*split;
	size_t			 n;

	n = slotmap_nodes(r, out, 16);
	assert_int_equal(n, 6);
	/* In the order the reply names them: each master, then its replica. */
	assert_string_equal(out[0].host, "10.0.0.1");
	assert_int_equal(out[0].port, 7000);
	assert_string_equal(out[1].host, "10.0.0.4");
	assert_int_equal(out[1].port, 7003);
	assert_string_equal(out[4].host, "10.0.0.3");
	assert_int_equal(out[4].port, 7002);
	assert_string_equal(out[5].host, "10.0.0.6");
	assert_int_equal(out[5].port, 7005);
	reply_free(r);

	/* A master with three ranges is one node; same host, other port is
	 * another; a node without an address and a bad entry are left out. */
	split = rarr(5,
	    rarr(3, rnum(0), rnum(2842), node("10.0.0.1", 7000)),
	    rarr(4, rnum(2843), rnum(2843), node("10.0.0.1", 7001),
		node("?", 7009)),
	    rarr(4, rnum(2844), rnum(5460), node("10.0.0.1", 7000),
		rarr(1, rtext("10.0.0.9"))),
	    rarr(2, rnum(5461), rnum(5470)),
	    rarr(3, rnum(5471), rnum(16383), node("10.0.0.1", 7000)));
	n = slotmap_nodes(split, out, 16);
	assert_int_equal(n, 2);
	assert_string_equal(out[0].host, "10.0.0.1");
	assert_int_equal(out[0].port, 7000);
	assert_string_equal(out[1].host, "10.0.0.1");
	assert_int_equal(out[1].port, 7001);
	reply_free(split);
}

static void
test_nodes_room(void **state)
{
	struct slotmap_node	 out[3];
	redisReply		*r = three_masters();
	redisReply		*empty = rarr(0);

	memset(out, 0, sizeof out);
	/* No more than max, and nothing written past it. */
	assert_int_equal(slotmap_nodes(r, out, 2), 2);
	assert_int_equal(out[0].port, 7000);
	assert_int_equal(out[1].port, 7003);
	assert_int_equal(out[2].port, 0);
	assert_int_equal(slotmap_nodes(r, out, 0), 0);
	assert_int_equal(slotmap_nodes(empty, out, 3), 0);
	assert_int_equal(slotmap_nodes(NULL, out, 3), 0);
	reply_free(r);
	reply_free(empty);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_at_range_edges),
		cmocka_unit_test(test_owner_of_moved_slot),
		cmocka_unit_test(test_owner_of_unserved_slot),
		cmocka_unit_test(test_owner_unknown_address),
		cmocka_unit_test(test_owner_malformed),
		cmocka_unit_test(test_nodes_each_once),
		cmocka_unit_test(test_nodes_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
