/*
 * curlev.h - HTTP(S) POSTs with libcurl's multi-socket interface, driven by
 * the daemon's libevent loop: no threads, no blocking.
 *
 * curl tells us which sockets to watch and when to wake it
 * (CURLMOPT_SOCKETFUNCTION, CURLMOPT_TIMERFUNCTION); libevent tells curl
 * when they are ready (curl_multi_socket_action).  Each post ends with one
 * call of its callback, from the loop.  At most `max` transfers run at
 * once; a response body is read and thrown away, but for its first
 * CURLEV_EXCERPT bytes, kept for the log.
 */
#ifndef TRIAGED_CURLEV_H
#define TRIAGED_CURLEV_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct curlev;

#define CURLEV_EXCERPT	200

struct curlev_request {
	const char	*url;
	const char	*body;		/* JSON, copied */
	const char	*header;	/* one extra header, or NULL */
	int64_t		 timeout_ms;	/* the whole attempt */
	const char	*ca_file;	/* CA bundle for https, NULL: system's */
};

/*
 * status: the HTTP status, or 0 when no answer came (error then says why:
 * connection refused, timeout, certificate).  excerpt: the start of the
 * response body, NUL-terminated.  elapsed_ms: from post to answer.
 */
typedef void	curlev_done_cb(long status, const char *error,
		    const char *excerpt, int64_t elapsed_ms, void *arg);

struct curlev	*curlev_new(struct event_base *, size_t max);
/* Ends every transfer still running, without calling back.  Accepts NULL. */
void		 curlev_free(struct curlev *);
/* Start a POST; -1 if full or curl refuses it (done is not called). */
int		 curlev_post(struct curlev *, const struct curlev_request *,
		    curlev_done_cb *, void *arg);
size_t		 curlev_running(const struct curlev *);

#endif
