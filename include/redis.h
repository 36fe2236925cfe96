/*
 * redis.h - one asynchronous Redis connection that keeps itself alive.
 *
 *   DISCONNECTED -> CONNECTING -> READY -> BACKOFF -> CONNECTING ...
 *
 * hiredis 0.14 has no command timeouts, so each connection remembers when
 * every outstanding command was sent and drops the connection when the
 * oldest has waited longer than its timeout: a paused or wedged server is
 * noticed within seconds, and the reconnect loop takes over.  Every command
 * callback is called exactly once, with a NULL reply when the connection went
 * away before the answer came.
 */
#ifndef TRIAGED_REDIS_H
#define TRIAGED_REDIS_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct redisReply;
struct config_redis;
struct rconn;

enum rconn_state {
	RCONN_DISCONNECTED,
	RCONN_CONNECTING,
	RCONN_READY,
	RCONN_BACKOFF,
};

/* reply is borrowed for the call: copy what you keep.  NULL: connection lost. */
typedef void	rconn_reply_cb(struct rconn *, struct redisReply *reply,
		    void *arg);
typedef void	rconn_state_cb(struct rconn *, enum rconn_state, void *arg);

/*
 * A connection named name (for logs) to the server in cfg.  state_cb hears
 * of every change; READY means authenticated, the database selected and a
 * PING answered.  slack_ms is added to the command timeout for connections
 * that send blocking commands.
 */
struct rconn	*rconn_new(struct event_base *, const struct config_redis *,
		    const char *name, int64_t timeout_ms, int64_t slack_ms,
		    rconn_state_cb *, void *arg);
void		 rconn_free(struct rconn *);		/* accepts NULL */
/* Who hears of state changes, for a module made after its connection. */
void		 rconn_set_state_cb(struct rconn *, rconn_state_cb *, void *arg);
void		 rconn_start(struct rconn *);

/* Send a command; the callback runs exactly once.  -1 if not connected. */
int		 rconn_command(struct rconn *, rconn_reply_cb *, void *arg,
		    const char *fmt, ...);
int		 rconn_command_argv(struct rconn *, rconn_reply_cb *, void *arg,
		    int argc, const char **argv, const size_t *argvlen);
/* Send a command already in the protocol (redisFormatCommandArgv). */
int		 rconn_formatted(struct rconn *, rconn_reply_cb *, void *arg,
		    const char *cmd, size_t len);

enum rconn_state rconn_state(const struct rconn *);
const char	*rconn_state_name(enum rconn_state);
/* Why the connection is not READY, for logs and /healthz. */
const char	*rconn_reason(const struct rconn *);
size_t		 rconn_outstanding(const struct rconn *);
/* Drop the connection now (it reconnects after a backoff). */
void		 rconn_drop(struct rconn *, const char *reason);

#endif
