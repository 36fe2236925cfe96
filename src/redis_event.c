/*
 * redis_event.c - hiredis' event hooks on libevent (redis_event.h).
 *
 * hiredis calls addWrite when a command is queued and after a write the
 * kernel took part of; delWrite when its output buffer is empty; addRead
 * after every read and write.  Three events serve it:
 *
 *   rev    EV_READ, persistent: armed once, so addRead costs nothing.
 *   flush  no descriptor, made active by addWrite on a connected socket:
 *          its callback writes, after the callbacks already due this turn.
 *   wev    EV_WRITE, one-shot: while connecting (completion is signalled by
 *          writability), and after a partial write (`waiting`).
 *
 * `writing` is set while hiredis writes, so that an addWrite it makes then
 * (the kernel took part) waits for the socket rather than spinning on flush.
 * Nothing here touches the glue after handing control to hiredis: a failed
 * write may free the context, and the glue with it.
 */
#include <stdlib.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "redis_event.h"

struct redis_event {
	redisAsyncContext	*ac;
	struct event		*rev;
	struct event		*wev;
	struct event		*flush;
	int			 reading;
	int			 writing;	/* hiredis is writing */
	int			 waiting;	/* wev armed */
};

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct redis_event	*re = arg;

	(void)fd;
	(void)what;
	redisAsyncHandleRead(re->ac);
}

static void
on_writable(evutil_socket_t fd, short what, void *arg)
{
	struct redis_event	*re = arg;

	(void)fd;
	(void)what;
	re->waiting = 0;
	re->writing = 1;
	redisAsyncHandleWrite(re->ac);
}

static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct redis_event	*re = arg;

	(void)fd;
	(void)what;
	if (re->waiting)
		return;		/* the socket is full: wev writes */
	re->writing = 1;
	redisAsyncHandleWrite(re->ac);
}

static void
add_read(void *arg)
{
	struct redis_event	*re = arg;

	if (!re->reading) {
		re->reading = 1;
		event_add(re->rev, NULL);
	}
}

static void
del_read(void *arg)
{
	struct redis_event	*re = arg;

	re->reading = 0;
	event_del(re->rev);
}

static void
add_write(void *arg)
{
	struct redis_event	*re = arg;

	if (re->waiting)
		return;
	if (re->writing || !(re->ac->c.flags & REDIS_CONNECTED)) {
		re->writing = 0;
		re->waiting = 1;
		event_add(re->wev, NULL);
	} else
		event_active(re->flush, 0, 1);
}

static void
del_write(void *arg)
{
	struct redis_event	*re = arg;

	re->writing = 0;
	if (re->waiting) {
		re->waiting = 0;
		event_del(re->wev);
	}
}

static void
cleanup(void *arg)
{
	struct redis_event	*re = arg;

	event_free(re->rev);
	event_free(re->wev);
	event_free(re->flush);
	free(re);
}

int
redis_event_attach(redisAsyncContext *ac, struct event_base *base)
{
	struct redis_event	*re;
	int			 fd = ac->c.fd;

	if (ac->ev.data != NULL || (re = calloc(1, sizeof *re)) == NULL)
		return -1;
	re->ac = ac;
	re->rev = event_new(base, fd, EV_READ | EV_PERSIST, on_readable, re);
	re->wev = event_new(base, fd, EV_WRITE, on_writable, re);
	re->flush = event_new(base, -1, 0, on_flush, re);
	if (re->rev == NULL || re->wev == NULL || re->flush == NULL) {
		if (re->rev != NULL)
			event_free(re->rev);
		if (re->wev != NULL)
			event_free(re->wev);
		if (re->flush != NULL)
			event_free(re->flush);
		free(re);
		return -1;
	}
	ac->ev.data = re;
	ac->ev.addRead = add_read;
	ac->ev.delRead = del_read;
	ac->ev.addWrite = add_write;
	ac->ev.delWrite = del_write;
	ac->ev.cleanup = cleanup;

	/* As hiredis' own adapter: readable or writable ends the connect. */
	add_read(re);
	re->waiting = 1;
	event_add(re->wev, NULL);
	return 0;
}
