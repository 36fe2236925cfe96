/*
 * redis.c - the hiredis async connection: state machine, timeouts, reconnect.
 *
 * Outstanding commands sit in a ring, in the order they were sent.  Redis
 * answers in order, so each reply belongs to the ring's head: one trampoline
 * callback pops it and calls the caller's callback.  The ring also gives the
 * age of the oldest unanswered command, which a once-a-second timer compares
 * with the timeout.
 *
 *   send:   ring [ c1 c2 c3 ]  <- c4      (tail)
 *   reply:  c1 -> caller                  (head)
 *
 * On Redis Cluster (redis.cluster) the connection goes to the master that
 * serves the prefix's slot: the handshake asks the node it reached for
 * CLUSTER SLOTS and moves on if another node serves the slot, so READY
 * means "connected to the slot's master".  A redirect (MOVED, ASK, TRYAGAIN,
 * CLUSTERDOWN) means the command was not run: the caller gets the NULL of
 * a lost connection, whose outcome it already treats as unknown and safe to
 * send again, and the connection starts over towards the node named (MOVED)
 * or, after a backoff, the same node (a migration or failover in progress).
 * A caller never sees a redirect, so nothing is acknowledged or dead-lettered
 * because of one.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "argv.h"
#include "cluster.h"
#include "config.h"
#include "log.h"
#include "handshake.h"
#include "metrics.h"
#include "now.h"
#include "redis.h"
#include "redis_event.h"
#include "reply_arena.h"
#include "slotmap.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000
#define KNOWN_MAX	64	/* cluster nodes remembered to start from */

struct pending {
	rconn_reply_cb	*cb;
	void		*arg;
	int64_t		 sent_ms;
};

struct rconn {
	struct event_base		*base;
	const struct config_redis	*cfg;
	char				*name;
	redisAsyncContext		*ac;
	enum rconn_state		 state;
	char				 reason[256];
	int64_t				 timeout_ms;
	int64_t				 slack_ms;
	int64_t				 state_since;
	int64_t				 down_since;	/* 0 while ready */
	int64_t				 backoff_ms;
	struct event			*tick;		/* timeout check, 1/s */
	struct event			*retry;		/* reconnect after backoff */
	rconn_state_cb			*state_cb;
	void				*arg;

	/* Redis Cluster: the node to reach, and the ones to try if it fails. */
	int				 cluster;
	int				 slot;		/* the prefix's */
	struct slotmap_node		 node;
	struct slotmap_node		 known[KNOWN_MAX];
	size_t				 nknown, next;
	int				 moving;	/* to the slot's node */

	struct pending			*ring;
	size_t				 ring_cap;	/* a power of two */
	size_t				 head, count;
	size_t				 handshake;	/* commands before READY */
};

static const char *state_names[] = {
	[RCONN_DISCONNECTED] = "disconnected",
	[RCONN_CONNECTING] = "connecting",
	[RCONN_READY] = "ready",
	[RCONN_BACKOFF] = "backoff",
};

static void	rconn_connect(struct rconn *);

const char *
rconn_state_name(enum rconn_state s)
{
	return state_names[s];
}

/*
 * One line per change that matters: losing the connection is a warning;
 * a retry that fails the same way as the last one is only debug, so an
 * outage does not flood the log; getting back says how long it took.
 */
static void
rconn_set_state(struct rconn *rc, enum rconn_state s, const char *reason)
{
	enum rconn_state	old = rc->state;
	int			same = reason != NULL &&
				    strcmp(reason, rc->reason) == 0;
	int64_t			now = now_mono_ms();

	if (reason != NULL)
		snprintf(rc->reason, sizeof rc->reason, "%s", reason);
	else if (s == RCONN_READY)
		rc->reason[0] = '\0';
	if (old == s)
		return;
	rc->state = s;
	rc->state_since = now;
	if (s == RCONN_READY) {
		if (rc->down_since != 0)
			log_info("redis %s: %s -> ready after %.1f s", rc->name,
			    state_names[old], (now - rc->down_since) / 1000.0);
		else
			log_info("redis %s: %s -> ready", rc->name,
			    state_names[old]);
		rc->down_since = 0;
	} else if (s == RCONN_BACKOFF) {
		if (rc->down_since == 0)
			rc->down_since = now;
		if (rc->moving)		/* following the slot: no fault */
			log_info("redis %s: %s -> backoff: %s", rc->name,
			    state_names[old], rc->reason);
		else if (same && old == RCONN_CONNECTING)
			log_debug("redis %s: %s -> backoff: %s", rc->name,
			    state_names[old], rc->reason);
		else
			log_warnx("redis %s: %s -> backoff: %s", rc->name,
			    state_names[old], rc->reason);
	} else if (reason != NULL)
		log_info("redis %s: %s -> %s: %s", rc->name, state_names[old],
		    state_names[s], reason);
	if (rc->state_cb != NULL)
		rc->state_cb(rc, s, rc->arg);
}

static void
ring_push(struct rconn *rc, rconn_reply_cb *cb, void *arg)
{
	if (rc->count == rc->ring_cap) {
		size_t		 ncap = rc->ring_cap ? rc->ring_cap * 2 : 64;
		struct pending	*n = calloc(ncap, sizeof *n);

		if (n == NULL)
			fatal("ring");
		for (size_t i = 0; i < rc->count; i++)
			n[i] = rc->ring[(rc->head + i) & (rc->ring_cap - 1)];
		free(rc->ring);
		rc->ring = n;
		rc->ring_cap = ncap;
		rc->head = 0;
	}
	rc->ring[(rc->head + rc->count) & (rc->ring_cap - 1)] =
	    (struct pending){ cb, arg, now_mono_ms() };
	rc->count++;
}

/* Try the next node we know of: the one we had did not answer. */
static void
rconn_next_node(struct rconn *rc)
{
	if (!rc->cluster || rc->nknown == 0)
		return;
	rc->next = (rc->next + 1) % rc->nknown;
	rc->node = rc->known[rc->next];
}

static void
rconn_learn(struct rconn *rc, const struct slotmap_node *n)
{
	for (size_t i = 0; i < rc->nknown; i++) {
		if (rc->known[i].port == n->port &&
		    strcmp(rc->known[i].host, n->host) == 0)
			return;
	}
	if (rc->nknown < KNOWN_MAX)
		rc->known[rc->nknown++] = *n;
}

/*
 * A redirect for a command of ours: it was not run.  Start over towards
 * the node that serves the slot now and return 1; 0 if err is not one.
 */
static int
rconn_redirected(struct rconn *rc, const redisReply *err)
{
	struct slotmap_node	 to;
	enum cluster_redirect	 kind;
	char			 why[1024];
	int			 slot = -1;

	kind = cluster_redirect(err->str, err->len, &slot, to.host,
	    sizeof to.host, &to.port);
	if (kind == CLUSTER_NONE)
		return 0;
	metrics_inc(METRIC_REDIS_REDIRECTS);
	if (kind == CLUSTER_MOVED && to.host[0] == '\0')
		snprintf(to.host, sizeof to.host, "%s", rc->node.host);
	switch (kind) {
	case CLUSTER_MOVED:
		snprintf(why, sizeof why, "slot %d moved to %s:%d; following "
		    "it", slot, to.host, to.port);
		rconn_learn(rc, &to);
		rc->node = to;
		rc->moving = 1;
		break;
	case CLUSTER_ASK:
		snprintf(why, sizeof why, "slot %d is migrating to %s:%d; "
		    "waiting for it to settle", slot, to.host, to.port);
		break;
	case CLUSTER_TRYAGAIN:
		snprintf(why, sizeof why, "slot %d is mid-migration "
		    "(TRYAGAIN); waiting for it to settle", rc->slot);
		break;
	default:
		snprintf(why, sizeof why, "the cluster cannot serve slot %d "
		    "now: %.*s", rc->slot, (int)err->len, err->str);
		break;
	}
	rconn_drop(rc, why);
	rc->moving = 0;
	return 1;
}

/* Every reply, and every NULL on disconnect, passes here in send order. */
static void
trampoline(redisAsyncContext *ac, void *r, void *privdata)
{
	struct rconn	*rc = privdata;
	redisReply	*reply = r;
	struct pending	 p;

	if (rc->count == 0) {
		log_warnx("redis %s: a reply with no command waiting", rc->name);
		return;
	}
	p = rc->ring[rc->head];
	rc->head = (rc->head + 1) & (rc->ring_cap - 1);
	rc->count--;
	/* Not run: the caller hears "outcome unknown" and sends it again. */
	if (rc->cluster && reply != NULL && reply->type == REDIS_REPLY_ERROR &&
	    rc->ac != NULL && rconn_redirected(rc, reply))
		reply = NULL;
	if (p.cb != NULL)
		p.cb(rc, reply, p.arg);
}

static int
rconn_usable(struct rconn *rc)
{
	return rc->ac != NULL && (rc->state == RCONN_READY ||
	    rc->state == RCONN_CONNECTING);
}

int
rconn_command(struct rconn *rc, rconn_reply_cb *cb, void *arg,
    const char *fmt, ...)
{
	va_list	ap;
	int	rv;

	if (!rconn_usable(rc))
		return -1;
	va_start(ap, fmt);
	rv = redisvAsyncCommand(rc->ac, trampoline, rc, fmt, ap);
	va_end(ap);
	if (rv != REDIS_OK)
		return -1;
	ring_push(rc, cb, arg);
	return 0;
}

int
rconn_formatted(struct rconn *rc, rconn_reply_cb *cb, void *arg,
    const char *cmd, size_t len)
{
	if (!rconn_usable(rc))
		return -1;
	if (redisAsyncFormattedCommand(rc->ac, trampoline, rc, cmd, len) !=
	    REDIS_OK)
		return -1;
	ring_push(rc, cb, arg);
	return 0;
}

int
rconn_command_argv(struct rconn *rc, rconn_reply_cb *cb, void *arg, int argc,
    const char **argv, const size_t *argvlen)
{
	char	 small[512], *cmd = small;
	size_t	 len;
	int	 rv;

	len = argv_format_args(argc, argv, argvlen, small, sizeof small);
	if (len > sizeof small) {
		if ((cmd = malloc(len)) == NULL)
			fatal("redis: formatting a command");
		len = argv_format_args(argc, argv, argvlen, cmd, len);
	}
	rv = rconn_formatted(rc, cb, arg, cmd, len);
	if (cmd != small)
		free(cmd);
	return rv;
}

/* AUTH, SELECT and PING answer in order; the PING's reply makes us READY. */
static void
handshake_reply(struct rconn *rc, redisReply *r, void *arg)
{
	const char	*step = arg;
	char		 why[256];

	if (r == NULL)
		return;
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(why, sizeof why, "%s failed: %.*s", step,
		    (int)r->len, r->str);
		rconn_drop(rc, why);
		return;
	}
	if (strcmp(step, "PING") == 0)
		rconn_set_state(rc, RCONN_READY, NULL);
}

/* Is the node we reached the master of our slot?  If not, go there. */
static void
slots_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct slotmap_node	 nodes[KNOWN_MAX], owner;
	size_t			 n;
	char			 why[1024];

	if (r == NULL)
		return;
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(why, sizeof why, "CLUSTER SLOTS on %s:%d failed: %.*s",
		    rc->node.host, rc->node.port, (int)r->len, r->str);
		rconn_next_node(rc);
		rconn_drop(rc, why);
		return;
	}
	n = slotmap_nodes(r, nodes, KNOWN_MAX);
	for (size_t i = 0; i < n; i++)
		rconn_learn(rc, &nodes[i]);
	if (slotmap_owner(r, rc->slot, &owner) == -1) {
		snprintf(why, sizeof why, "no node serves slot %d of prefix "
		    "%s (asked %s:%d)", rc->slot, rc->cfg->prefix,
		    rc->node.host, rc->node.port);
		rconn_next_node(rc);
		rconn_drop(rc, why);
		return;
	}
	if (owner.host[0] == '\0')
		snprintf(owner.host, sizeof owner.host, "%s", rc->node.host);
	if (owner.port == rc->node.port &&
	    strcmp(owner.host, rc->node.host) == 0)
		return;		/* the PING that follows makes us READY */
	snprintf(why, sizeof why, "slot %d is served by %s:%d, not %s:%d; "
	    "connecting there", rc->slot, owner.host, owner.port,
	    rc->node.host, rc->node.port);
	rconn_learn(rc, &owner);
	rc->node = owner;
	rc->moving = 1;
	rconn_drop(rc, why);
	rc->moving = 0;
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct rconn		*rc = ac->data;
	struct handshake_cmd	 cmds[2];
	size_t			 n;

	if (status != REDIS_OK) {
		/* hiredis frees the context after this callback. */
		char	why[256];

		snprintf(why, sizeof why, "cannot connect: %s", ac->errstr);
		rc->ac = NULL;
		rconn_next_node(rc);
		rconn_set_state(rc, RCONN_BACKOFF, why);
		rconn_drop(rc, why);
		return;
	}
	/* The secret goes to Redis only: never into a log line. */
	n = handshake_commands(rc->cfg, cmds);
	for (size_t i = 0; i < n; i++)
		rconn_command_argv(rc, handshake_reply, (void *)cmds[i].name,
		    cmds[i].argc, cmds[i].argv, cmds[i].argvlen);
	if (rc->cluster)
		rconn_command(rc, slots_reply, NULL, "CLUSTER SLOTS");
	rconn_command(rc, handshake_reply, "PING", "PING");
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct rconn	*rc = ac->data;
	char		 why[256];

	rc->ac = NULL;
	/* rconn_drop() already scheduled a retry, or rconn_free() is at work. */
	if (rc->state == RCONN_BACKOFF || rc->state == RCONN_DISCONNECTED)
		return;
	snprintf(why, sizeof why, "connection lost%s%s",
	    status == REDIS_OK ? "" : ": ",
	    status == REDIS_OK ? "" : ac->errstr);
	rconn_drop(rc, why);
}

static void
retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	rconn_connect(arg);
}

void
rconn_drop(struct rconn *rc, const char *reason)
{
	struct timeval	 tv;
	redisAsyncContext *ac = rc->ac;

	rconn_set_state(rc, RCONN_BACKOFF, reason);
	if (ac != NULL) {
		/*
		 * Fails every outstanding callback with NULL; when called from
		 * inside a reply callback hiredis defers the free until it
		 * returns.
		 */
		rc->ac = NULL;
		redisAsyncFree(ac);
	}
	rc->backoff_ms = rc->backoff_ms == 0 ? BACKOFF_MIN_MS :
	    rc->backoff_ms * 2;
	if (rc->backoff_ms > BACKOFF_MAX_MS)
		rc->backoff_ms = BACKOFF_MAX_MS;
	tv.tv_sec = rc->backoff_ms / 1000;
	tv.tv_usec = (rc->backoff_ms % 1000) * 1000;
	evtimer_add(rc->retry, &tv);
}

static void
rconn_connect(struct rconn *rc)
{
	redisAsyncContext	*ac;
	char			 why[256];

	if (rc->cluster)
		ac = redisAsyncConnect(rc->node.host, rc->node.port);
	else if (rc->cfg->socket != NULL)
		ac = redisAsyncConnectUnix(rc->cfg->socket);
	else
		ac = redisAsyncConnect(rc->cfg->host, rc->cfg->port);
	if (ac == NULL || ac->err) {
		snprintf(why, sizeof why, "cannot connect: %s",
		    ac ? ac->errstr : "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);
		rconn_next_node(rc);
		rconn_drop(rc, why);
		return;
	}
	ac->data = rc;
	rc->ac = ac;
	/* Replies in a few blocks, not an allocation per element. */
	ac->c.reader->fn = &reply_arena_functions;
	if (redis_event_attach(ac, rc->base) == -1) {
		rconn_drop(rc, "cannot connect: out of memory");
		return;
	}
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	rconn_set_state(rc, RCONN_CONNECTING, NULL);
}

/* Once a second: is the oldest command, or the connect, taking too long? */
static void
tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct rconn	*rc = arg;
	int64_t		 now = now_mono_ms(), age;
	char		 why[256];

	if (rc->state == RCONN_CONNECTING && now - rc->state_since >
	    rc->timeout_ms) {
		snprintf(why, sizeof why, "no answer to connect within %lld ms",
		    (long long)rc->timeout_ms);
		rconn_next_node(rc);
		rconn_drop(rc, why);
		return;
	}
	if (rc->state == RCONN_READY && now - rc->state_since > 10000)
		rc->backoff_ms = 0;	/* stable again: start backoff anew */
	if (rc->count == 0 || rc->ac == NULL)
		return;
	age = now - rc->ring[rc->head].sent_ms;
	if (age > rc->timeout_ms + rc->slack_ms) {
		snprintf(why, sizeof why, "no reply for %lld ms (timeout %lld "
		    "ms)", (long long)age, (long long)(rc->timeout_ms +
		    rc->slack_ms));
		rconn_drop(rc, why);
	}
}

/* The nodes to start from: redis.nodes, or redis.host and redis.port. */
static void
rconn_seeds(struct rconn *rc)
{
	const struct config_redis	*cfg = rc->cfg;
	struct slotmap_node		 n;

	rc->cluster = 1;
	rc->slot = cluster_keyslot(cfg->prefix, strlen(cfg->prefix));
	for (size_t i = 0; i < cfg->nnodes; i++) {
		/* --check refused a bad one. */
		if (cluster_parse_node(cfg->nodes[i], strlen(cfg->nodes[i]),
		    n.host, sizeof n.host, &n.port) == 0)
			rconn_learn(rc, &n);
	}
	if (rc->nknown == 0) {
		snprintf(n.host, sizeof n.host, "%s", cfg->host);
		n.port = cfg->port;
		rconn_learn(rc, &n);
	}
	rc->node = rc->known[0];
}

struct rconn *
rconn_new(struct event_base *base, const struct config_redis *cfg,
    const char *name, int64_t timeout_ms, int64_t slack_ms,
    rconn_state_cb *state_cb, void *arg)
{
	struct rconn	*rc;
	struct timeval	 second = { 1, 0 };

	if ((rc = calloc(1, sizeof *rc)) == NULL)
		return NULL;
	rc->base = base;
	rc->cfg = cfg;
	rc->name = strdup(name);
	rc->timeout_ms = timeout_ms;
	rc->slack_ms = slack_ms;
	rc->state_cb = state_cb;
	rc->arg = arg;
	rc->state = RCONN_DISCONNECTED;
	snprintf(rc->reason, sizeof rc->reason, "not connected yet");
	rc->tick = event_new(base, -1, EV_PERSIST, tick_cb, rc);
	rc->retry = evtimer_new(base, retry_cb, rc);
	if (rc->name == NULL || rc->tick == NULL || rc->retry == NULL) {
		rconn_free(rc);
		return NULL;
	}
	event_add(rc->tick, &second);
	if (cfg->cluster)
		rconn_seeds(rc);
	return rc;
}

void
rconn_start(struct rconn *rc)
{
	rconn_connect(rc);
}

void
rconn_set_state_cb(struct rconn *rc, rconn_state_cb *state_cb, void *arg)
{
	rc->state_cb = state_cb;
	rc->arg = arg;
}

void
rconn_free(struct rconn *rc)
{
	if (rc == NULL)
		return;
	rc->state_cb = NULL;
	if (rc->ac != NULL) {
		redisAsyncContext *ac = rc->ac;

		rc->ac = NULL;
		rc->state = RCONN_DISCONNECTED;
		redisAsyncFree(ac);
	}
	if (rc->tick != NULL)
		event_free(rc->tick);
	if (rc->retry != NULL)
		event_free(rc->retry);
	free(rc->ring);
	free(rc->name);
	free(rc);
}

enum rconn_state
rconn_state(const struct rconn *rc)
{
	return rc->state;
}

const char *
rconn_reason(const struct rconn *rc)
{
	return rc->reason;
}

size_t
rconn_outstanding(const struct rconn *rc)
{
	return rc->count;
}
