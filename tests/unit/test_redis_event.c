/*
 * test_redis_event.c - redis_event.c, hiredis' event hooks, against a
 * private redis-server: commands queued while connecting go out once
 * connected, over TCP and a unix socket; the commands of one turn reach
 * Redis in one read; a command larger than the socket's buffer (the kernel
 * takes part of it) is written whole; a connection the server closes
 * fails the commands waiting on it and calls the disconnect callback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "private_redis.h"
#include "redis_event.h"

#define NINCR		1000
#define NPING		500
#define BIG		(32 * 1024 * 1024)

static struct private_redis	 pr;
static struct event_base	*base;

#define cmd_int(...)	private_redis_int(&pr, __VA_ARGS__)
#define expired		private_redis_expired

/* What the async side heard. */
static struct {
	long long	 incr_next;	/* the INCR reply expected next */
	size_t		 incrs, in_order, pongs, nulls, oks;
	long long	 client_id;
	int		 connected, disconnected;
} heard;

static long long
info_reads(void)
{
	redisReply	*r = private_redis_cmd(&pr, "INFO stats");
	const char	*p;
	long long	 v;

	p = strstr(r->str, "total_reads_processed:");
	assert_non_null(p);
	v = atoll(p + strlen("total_reads_processed:"));
	freeReplyObject(r);
	return v;
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	heard.connected = status == REDIS_OK ? 1 : -1;
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	heard.disconnected = 1;
}

static void
incr_cb(redisAsyncContext *ac, void *reply, void *arg)
{
	redisReply	*r = reply;

	if (r == NULL) {
		heard.nulls++;
		return;
	}
	heard.incrs++;
	if (r->type == REDIS_REPLY_INTEGER && r->integer == heard.incr_next)
		heard.in_order++;
	heard.incr_next++;
}

static void
pong_cb(redisAsyncContext *ac, void *reply, void *arg)
{
	redisReply	*r = reply;

	if (r == NULL)
		heard.nulls++;
	else if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0)
		heard.pongs++;
}

static void
ok_cb(redisAsyncContext *ac, void *reply, void *arg)
{
	redisReply	*r = reply;

	if (r == NULL)
		heard.nulls++;
	else if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0)
		heard.oks++;
}

static void
client_id_cb(redisAsyncContext *ac, void *reply, void *arg)
{
	redisReply	*r = reply;

	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		heard.client_id = r->integer;
}

/* From inside the loop, as the daemon does: NPING PINGs in one turn. */
static void
pings_cb(redisAsyncContext *ac, void *reply, void *arg)
{
	for (int i = 0; i < NPING; i++)
		redisAsyncCommand(ac, pong_cb, NULL, "PING");
}

static redisAsyncContext *
attached(redisAsyncContext *ac)
{
	assert_non_null(ac);
	assert_int_equal(ac->err, 0);
	assert_int_equal(redis_event_attach(ac, base), 0);
	/* A second attach is refused: hiredis has one set of hooks. */
	assert_int_equal(redis_event_attach(ac, base), -1);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	return ac;
}

static void
loop_until(const size_t *counter, size_t want)
{
	time_t	start = time(NULL);

	while (*counter < want && !expired(start))
		event_base_loop(base, EVLOOP_ONCE);
}

/* Queued before the connect completes; answered in order once it does. */
static void
incr_before_connect(redisAsyncContext *ac)
{
	memset(&heard, 0, sizeof heard);
	heard.incr_next = 1;
	for (int i = 0; i < NINCR; i++)
		redisAsyncCommand(ac, incr_cb, NULL, "INCR t:n");
	loop_until(&heard.incrs, NINCR);
	assert_int_equal(heard.connected, 1);
	assert_int_equal(heard.incrs, NINCR);
	assert_int_equal(heard.in_order, NINCR);
	assert_int_equal(heard.nulls, 0);
	assert_int_equal(cmd_int("INCRBY t:n 0"), NINCR);
	assert_int_equal(cmd_int("DEL t:n"), 1);
}

static void
test_tcp(void **state)
{
	redisAsyncContext	*ac;

	ac = attached(redisAsyncConnect("127.0.0.1", pr.port));
	incr_before_connect(ac);
	redisAsyncFree(ac);
}

static void
test_unix(void **state)
{
	redisAsyncContext	*ac;

	ac = attached(redisAsyncConnectUnix(pr.sock));
	incr_before_connect(ac);
	redisAsyncFree(ac);
}

/* The PINGs queued in one callback reach Redis in one read. */
static void
test_one_write_per_turn(void **state)
{
	redisAsyncContext	*ac;
	long long		 before, after;

	ac = attached(redisAsyncConnectUnix(pr.sock));
	memset(&heard, 0, sizeof heard);
	redisAsyncCommand(ac, client_id_cb, NULL, "CLIENT ID");
	while (heard.client_id == 0)
		event_base_loop(base, EVLOOP_ONCE);
	before = info_reads();
	redisAsyncCommand(ac, pings_cb, NULL, "PING");
	loop_until(&heard.pongs, NPING);
	assert_int_equal(heard.pongs, NPING);
	after = info_reads();
	/*
	 * One read for the PING, one for the NPING PINGs (7 KB: one write),
	 * one for this INFO.  Written a command at a time, Redis would have
	 * taken several reads for them.
	 */
	assert_in_range(after - before, 3, 3);
	redisAsyncFree(ac);
}

/* A command the socket cannot take at once is written whole. */
static void
test_partial_write(void **state)
{
	redisAsyncContext	*ac;
	char			*big;

	ac = attached(redisAsyncConnectUnix(pr.sock));
	memset(&heard, 0, sizeof heard);
	assert_non_null(big = malloc(BIG));
	memset(big, 'x', BIG);
	redisAsyncCommand(ac, ok_cb, NULL, "SET t:big %b", big, (size_t)BIG);
	redisAsyncCommand(ac, pong_cb, NULL, "PING");
	free(big);
	loop_until(&heard.pongs, 1);
	assert_int_equal(heard.oks, 1);
	assert_int_equal(heard.pongs, 1);
	assert_int_equal(cmd_int("STRLEN t:big"), BIG);
	assert_int_equal(cmd_int("DEL t:big"), 1);
	redisAsyncFree(ac);
}

/* The server drops the client: what waited gets NULL, then disconnect. */
static void
test_server_closes(void **state)
{
	redisAsyncContext	*ac;
	time_t			 start = time(NULL);

	ac = attached(redisAsyncConnectUnix(pr.sock));
	memset(&heard, 0, sizeof heard);
	redisAsyncCommand(ac, client_id_cb, NULL, "CLIENT ID");
	while (heard.client_id == 0 && !expired(start))
		event_base_loop(base, EVLOOP_ONCE);
	assert_true(heard.client_id > 0);
	assert_int_equal(cmd_int("CLIENT KILL ID %lld", heard.client_id), 1);
	for (int i = 0; i < 10; i++)
		redisAsyncCommand(ac, pong_cb, NULL, "PING");
	while (!heard.disconnected && !expired(start))
		event_base_loop(base, EVLOOP_ONCE);
	assert_int_equal(heard.disconnected, 1);
	assert_int_equal(heard.pongs + heard.nulls, 10);
	assert_int_equal(heard.pongs, 0);
	/* hiredis freed the context, and the hooks' events with it. */
}

static int
setup(void **state)
{
	/* As the daemon: a write to a closed socket is an error, not death. */
	signal(SIGPIPE, SIG_IGN);
	if (private_redis_start(&pr, "test_redis_event", 1) == -1)
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_one_write_per_turn),
		cmocka_unit_test(test_partial_write),
		cmocka_unit_test(test_server_closes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
