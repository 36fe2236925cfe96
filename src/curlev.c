/*
 * curlev.c - libcurl's multi-socket interface on the libevent loop.
 *
 *   curl ──socket_cb(fd, IN|OUT|REMOVE)──> one struct event per socket
 *   curl ──timer_cb(ms)──────────────────> the one timeout event
 *   libevent ──fd ready / timeout──> curl_multi_socket_action()
 *                                     └─> finished(): each transfer that
 *                                         ended calls its post's callback
 *
 * The callbacks run from the loop, never from inside a curl call, so a
 * callback may start the next post at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "curlev.h"
#include "log.h"
#include "now.h"

struct transfer {
	struct curlev		*cv;
	CURL			*easy;
	struct curl_slist	*headers;
	curlev_done_cb		*done;
	void			*arg;
	int64_t			 started;
	char			 errbuf[CURL_ERROR_SIZE];
	char			 excerpt[CURLEV_EXCERPT + 1];
	size_t			 excerpt_len;
	struct transfer		*next;
};

struct curlev {
	struct event_base	*base;
	CURLM			*multi;
	struct event		*timeout;
	size_t			 max, running;
	struct transfer		*list;		/* every transfer running */
};

static void
finished(struct curlev *cv)
{
	CURLMsg		*msg;
	int		 left;

	while ((msg = curl_multi_info_read(cv->multi, &left)) != NULL) {
		struct transfer	*t, **tp;
		long		 status = 0;
		const char	*error = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
		if (msg->data.result == CURLE_OK)
			curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE,
			    &status);
		else
			error = *t->errbuf ? t->errbuf :
			    curl_easy_strerror(msg->data.result);
		curl_multi_remove_handle(cv->multi, t->easy);
		for (tp = &cv->list; *tp != t; tp = &(*tp)->next)
			;
		*tp = t->next;
		cv->running--;
		t->excerpt[t->excerpt_len] = '\0';
		t->done(status, error, t->excerpt, now_mono_ms() - t->started,
		    t->arg);
		curl_easy_cleanup(t->easy);
		curl_slist_free_all(t->headers);
		free(t);
	}
}

static void
socket_ready(evutil_socket_t fd, short what, void *arg)
{
	struct curlev	*cv = arg;
	int		 action = 0, running;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(cv->multi, fd, action, &running);
	finished(cv);
}

static void
timeout_fired(evutil_socket_t fd, short what, void *arg)
{
	struct curlev	*cv = arg;
	int		 running;

	curl_multi_socket_action(cv->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	finished(cv);
}

/* curl wants fd watched for what (or no more): one event per socket. */
static int
socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct curlev	*cv = userp;
	struct event	*ev = sockp;
	short		 kind = EV_PERSIST;

	if (ev != NULL) {
		event_del(ev);
		event_free(ev);
		curl_multi_assign(cv->multi, fd, NULL);
	}
	if (what == CURL_POLL_REMOVE)
		return 0;
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if ((ev = event_new(cv->base, fd, kind, socket_ready, cv)) == NULL) {
		log_warnx("http: cannot watch a socket");
		return -1;
	}
	event_add(ev, NULL);
	curl_multi_assign(cv->multi, fd, ev);
	return 0;
}

/* curl wants to be called after ms (-1: not at all). */
static int
timer_cb(CURLM *multi, long ms, void *userp)
{
	struct curlev	*cv = userp;
	struct timeval	 tv;

	if (ms < 0) {
		evtimer_del(cv->timeout);
		return 0;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(cv->timeout, &tv);
	return 0;
}

/* The response body: the first bytes for the log, the rest dropped. */
static size_t
write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct transfer	*t = arg;
	size_t		 len = size * n, room;

	room = CURLEV_EXCERPT - t->excerpt_len;
	if (room > len)
		room = len;
	memcpy(t->excerpt + t->excerpt_len, data, room);
	t->excerpt_len += room;
	return len;
}

struct curlev *
curlev_new(struct event_base *base, size_t max)
{
	static int	 inited;
	struct curlev	*cv;

	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		inited = 1;
	}
	if ((cv = calloc(1, sizeof *cv)) == NULL)
		return NULL;
	cv->base = base;
	cv->max = max;
	if ((cv->multi = curl_multi_init()) == NULL ||
	    (cv->timeout = evtimer_new(base, timeout_fired, cv)) == NULL) {
		curlev_free(cv);
		return NULL;
	}
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETDATA, cv);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERDATA, cv);
	curl_multi_setopt(cv->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)max);
	return cv;
}

int
curlev_post(struct curlev *cv, const struct curlev_request *rq,
    curlev_done_cb *done, void *arg)
{
	struct transfer	*t;
	CURL		*e;

	if (cv->running >= cv->max)
		return -1;
	if ((t = calloc(1, sizeof *t)) == NULL)
		return -1;
	if ((t->easy = e = curl_easy_init()) == NULL)
		goto fail;
	t->cv = cv;
	t->done = done;
	t->arg = arg;
	t->headers = curl_slist_append(NULL,
	    "Content-Type: application/json");
	if (rq->header != NULL && t->headers != NULL)
		t->headers = curl_slist_append(t->headers, rq->header);
	/* No "Expect: 100-continue" round trip before the body. */
	if (t->headers != NULL)
		t->headers = curl_slist_append(t->headers, "Expect:");
	if (t->headers == NULL)
		goto fail;
	curl_easy_setopt(e, CURLOPT_URL, rq->url);
	curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, rq->body);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)rq->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)rq->timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "triaged/" TRIAGED_VERSION);
	/* Only http and https, also after a redirect (none is followed). */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (rq->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, rq->ca_file);
	t->started = now_mono_ms();
	if (curl_multi_add_handle(cv->multi, e) != CURLM_OK)
		goto fail;
	t->next = cv->list;
	cv->list = t;
	cv->running++;
	return 0;
fail:
	if (t->easy != NULL)
		curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->headers);
	free(t);
	return -1;
}

size_t
curlev_running(const struct curlev *cv)
{
	return cv->running;
}

void
curlev_free(struct curlev *cv)
{
	struct transfer	*t, *next;

	if (cv == NULL)
		return;
	for (t = cv->list; t != NULL; t = next) {
		next = t->next;
		curl_multi_remove_handle(cv->multi, t->easy);
		curl_easy_cleanup(t->easy);
		curl_slist_free_all(t->headers);
		free(t);
	}
	/* Removing the handles closed their sockets and freed the events. */
	if (cv->multi != NULL)
		curl_multi_cleanup(cv->multi);
	if (cv->timeout != NULL)
		event_free(cv->timeout);
	free(cv);
}
