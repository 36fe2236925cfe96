/*
 * test_deliver_ack.c - deliver_ack.c against a private redis-server: the
 * IDs added in one turn go out as XACKs of at most DELIVER_ACK_BATCH, each
 * batch is answered once with the items it was given, the progress hashes
 * expire, and a batch Redis refuses, or that cannot be sent, comes back
 * not acked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "config.h"
#include "deliver_ack.h"
#include "private_redis.h"
#include "redis.h"

#define NIDS		600	/* three batches: 256, 256, 88 */

static struct private_redis	 pr;
static struct event_base	*base;

#define cmd(...)	private_redis_cmd(&pr, __VA_ARGS__)
#define cmd_int(...)	private_redis_int(&pr, __VA_ARGS__)
#define expired		private_redis_expired

/* What the callback was told, batch by batch. */
static struct {
	size_t	 batches, items, acked, refused;
	size_t	 sizes[8];
	void	*order[NIDS];
} seen;

static void
acked_cb(void **items, size_t n, int ok, void *arg)
{
	if (seen.batches < sizeof seen.sizes / sizeof *seen.sizes)
		seen.sizes[seen.batches] = n;
	seen.batches++;
	for (size_t i = 0; i < n; i++)
		if (seen.items < NIDS)
			seen.order[seen.items++] = items[i];
	if (ok)
		seen.acked += n;
	else
		seen.refused += n;
}

/* A connection to the private server, READY. */
static struct rconn *
connect_ready(const char *path)
{
	struct config_redis	 cfg = { .socket = (char *)path,
				    .prefix = "t:" };
	struct rconn		*rc;
	time_t			 start = time(NULL);

	rc = rconn_new(base, &cfg, "test", 5000, 0, NULL, NULL);
	assert_non_null(rc);
	rconn_start(rc);
	while (rconn_state(rc) != RCONN_READY && !expired(start))
		event_base_loop(base, EVLOOP_ONCE);
	assert_int_equal(rconn_state(rc), RCONN_READY);
	return rc;
}

static int
setup(void **state)
{
	if (private_redis_start(&pr, "test_deliver_ack", 0) == -1)
		return -1;
	if ((base = event_base_new()) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	if (base != NULL)
		event_base_free(base);
	private_redis_stop(&pr);
	return 0;
}

static void
test_batches(void **state)
{
	static char		 ids[NIDS][48];
	static int		 items[NIDS];
	struct rconn		*rc = connect_ready(pr.sock);
	struct deliver_ack	*da;
	redisReply		*r;
	time_t			 start;

	memset(&seen, 0, sizeof seen);
	freeReplyObject(cmd("XGROUP CREATE t:alerts deliver $ MKSTREAM"));
	for (size_t i = 0; i < NIDS; i++)
		freeReplyObject(cmd("XADD t:alerts * n %d", (int)i));
	r = cmd("XREADGROUP GROUP deliver c COUNT %d STREAMS t:alerts >",
	    NIDS);
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_int_equal(r->element[0]->element[1]->elements, NIDS);
	for (size_t i = 0; i < NIDS; i++) {
		redisReply	*e = r->element[0]->element[1]->element[i];

		snprintf(ids[i], sizeof ids[i], "%s", e->element[0]->str);
		if (i % 100 == 0)	/* left by a reload */
			freeReplyObject(cmd("HSET t:delivery:%s am done",
			    ids[i]));
	}
	freeReplyObject(r);
	assert_int_equal(cmd_int("XLEN t:alerts"), NIDS);

	da = deliver_ack_new(base, rc, "t:alerts", "deliver", "t:", acked_cb,
	    NULL);
	assert_non_null(da);
	assert_true(deliver_ack_idle(da));
	for (size_t i = 0; i < NIDS; i++)
		deliver_ack_add(da, ids[i], &items[i]);
	assert_false(deliver_ack_idle(da));
	/* Nothing is sent before the loop turns. */
	assert_int_equal(seen.batches, 0);

	start = time(NULL);
	while (seen.items < NIDS && !expired(start))
		event_base_loop(base, EVLOOP_ONCE);
	assert_int_equal(seen.batches, 3);
	assert_int_equal(seen.sizes[0], DELIVER_ACK_BATCH);
	assert_int_equal(seen.sizes[1], DELIVER_ACK_BATCH);
	assert_int_equal(seen.sizes[2], NIDS - 2 * DELIVER_ACK_BATCH);
	assert_int_equal(seen.acked, NIDS);
	assert_int_equal(seen.refused, 0);
	for (size_t i = 0; i < NIDS; i++)
		assert_ptr_equal(seen.order[i], &items[i]);
	assert_true(deliver_ack_idle(da));

	r = cmd("XPENDING t:alerts deliver");
	assert_int_equal(r->element[0]->integer, 0);
	freeReplyObject(r);
	/* Each progress hash expires 1 ms after its PEXPIRE. */
	for (size_t i = 0; i < NIDS; i += 100) {
		start = time(NULL);
		while (cmd_int("EXISTS t:delivery:%s", ids[i]) != 0 &&
		    !expired(start))
			usleep(10 * 1000);
		assert_int_equal(cmd_int("EXISTS t:delivery:%s", ids[i]), 0);
	}

	deliver_ack_free(da);
	rconn_free(rc);
}

/* An XACK Redis answers with an error: the batch comes back not acked. */
static void
test_refused(void **state)
{
	static int		 items[3];
	struct rconn		*rc = connect_ready(pr.sock);
	struct deliver_ack	*da;
	time_t			 start = time(NULL);

	memset(&seen, 0, sizeof seen);
	freeReplyObject(cmd("SET t:notastream x"));
	da = deliver_ack_new(base, rc, "t:notastream", "deliver", "t:",
	    acked_cb, NULL);
	assert_non_null(da);
	for (size_t i = 0; i < 3; i++)
		deliver_ack_add(da, "1-1", &items[i]);
	while (seen.items < 3 && !expired(start))
		event_base_loop(base, EVLOOP_ONCE);
	assert_int_equal(seen.batches, 1);
	assert_int_equal(seen.refused, 3);
	assert_int_equal(seen.acked, 0);
	assert_true(deliver_ack_idle(da));
	deliver_ack_free(da);
	rconn_free(rc);
}

/* No connection: nothing sent, the batch comes back not acked. */
static void
test_not_connected(void **state)
{
	static int		 item;
	struct config_redis	 cfg = { .socket = "/nonexistent/redis.sock",
				    .prefix = "t:" };
	struct rconn		*rc;
	struct deliver_ack	*da;
	time_t			 start = time(NULL);

	memset(&seen, 0, sizeof seen);
	rc = rconn_new(base, &cfg, "test", 5000, 0, NULL, NULL);
	assert_non_null(rc);
	da = deliver_ack_new(base, rc, "t:alerts", "deliver", "t:", acked_cb,
	    NULL);
	assert_non_null(da);
	deliver_ack_add(da, "1-1", &item);
	while (seen.items < 1 && !expired(start))
		event_base_loop(base, EVLOOP_ONCE);
	assert_int_equal(seen.refused, 1);
	assert_ptr_equal(seen.order[0], &item);
	assert_true(deliver_ack_idle(da));
	deliver_ack_free(da);
	rconn_free(rc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_not_connected),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
