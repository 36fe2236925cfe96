/*
 * http.h - GET /metrics, /healthz, /readyz and /livez on http.listen
 * (libevent's evhttp).
 */
#ifndef TRIAGED_HTTP_H
#define TRIAGED_HTTP_H

struct event_base;
struct http;

/*
 * What the endpoints report, asked of the daemon at request time: http.c
 * knows nothing of Redis, routing or the loop, it only serves.
 */
struct http_probe {
	/* "" when ready to route, else why not: /healthz and /readyz. */
	const char	*(*health)(void *arg);
	/* "" while the event loop turns, else why not: /livez. */
	const char	*(*liveness)(void *arg);
	/* Bring the daemon's own gauges up to date, just before /metrics. */
	void		 (*refresh)(void *arg);
	void		*arg;
};

/*
 * Serve on listen, "HOST:PORT" or ":PORT" as config_parse_listen() takes
 * it; NULL and a logged reason if it cannot be bound.  probe is copied.
 */
struct http	*http_new(struct event_base *, const char *listen,
		    const struct http_probe *);
void		 http_free(struct http *);		/* accepts NULL */

#endif
