/*
 * ctl_redis.c - triagectl's blocking connection to Redis, shared by every
 * command that reads or writes it (submit, event, queues, ticket, dead,
 * replay).  The daemon's own connection is asynchronous (redis.c); a
 * command line waits for each reply, so a plain redisContext with a
 * timeout is all it needs.
 *
 * On Redis Cluster it follows the daemon's rules: ask a seed for CLUSTER
 * SLOTS and connect to the master of the prefix's slot.  Every command is
 * sent through a batch (ctl_redis_batch_run(), ctl_redis_argv() for one),
 * which sends a redirected command again where the redirect says: the new
 * master after MOVED, the importing node after ASK, the same node after a
 * pause while the slot migrates.  So a resharding only delays a read or a
 * write; unlike the daemon, which waits for a migration to end, triagectl
 * follows ASK: its commands are single-key, or a script whose keys are all
 * declared, and Redis answers TRYAGAIN when they are split between nodes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "cluster.h"
#include "config.h"
#include "ctl_redis.h"
#include "handshake.h"
#include "log.h"
#include "slotmap.h"
#include "xmalloc.h"

#define CTL_HOPS	5	/* redirects followed before giving up */
#define CTL_TRIES	40	/* waits for a migrating slot, 250 ms each */

/* host NULL: the socket or host/port of the rules file. */
static redisContext *
ctl_redis_open(const struct config *cfg, const char *host, int port)
{
	const struct config_redis	*rc = &cfg->redis;
	struct timeval			 tv = { 5, 0 };
	redisContext			*c;
	redisReply			*r;
	struct handshake_cmd		 cmds[2];
	size_t				 n;

	if (host == NULL && rc->socket != NULL)
		c = redisConnectUnixWithTimeout(rc->socket, tv);
	else {
		if (host == NULL) {
			host = rc->host;
			port = rc->port;
		}
		c = redisConnectWithTimeout(host, port, tv);
	}
	if (c == NULL || c->err) {
		fprintf(stderr, "triagectl: cannot connect to Redis at %s%s%d: "
		    "%s\n", host == NULL ? rc->socket : host,
		    host == NULL ? "" : ":", host == NULL ? 0 : port,
		    c ? c->errstr : "out of memory");
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	n = handshake_commands(rc, cmds);
	for (size_t i = 0; i < n; i++) {
		r = redisCommandArgv(c, cmds[i].argc, cmds[i].argv,
		    cmds[i].argvlen);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "triagectl: %s failed: %s\n",
			    cmds[i].name, r ? r->str : c->errstr);
			freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	return c;
}

/*
 * The master of the prefix's slot, starting from the node at host:port:
 * connected, or NULL with the reason on stderr.
 */
static redisContext *
ctl_redis_follow(const struct config *cfg, const char *host, int port)
{
	const char		*prefix = cfg->redis.prefix;
	int			 slot = cluster_keyslot(prefix, strlen(prefix));
	struct slotmap_node	 at, owner;
	redisContext		*c;
	redisReply		*r;

	snprintf(at.host, sizeof at.host, "%s", host);
	at.port = port;
	for (int hop = 0; hop < CTL_HOPS; hop++) {
		if ((c = ctl_redis_open(cfg, at.host, at.port)) == NULL)
			return NULL;
		r = redisCommand(c, "CLUSTER SLOTS");
		if (r == NULL || slotmap_owner(r, slot, &owner) == -1) {
			fprintf(stderr, "triagectl: %s:%d does not say which "
			    "node serves slot %d of prefix %s: %s\n", at.host,
			    at.port, slot, prefix, r == NULL ? c->errstr :
			    r->type == REDIS_REPLY_ERROR ? r->str :
			    "no node serves it");
			freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
		if (owner.host[0] == '\0')
			snprintf(owner.host, sizeof owner.host, "%s", at.host);
		if (owner.port == at.port && strcmp(owner.host, at.host) == 0)
			return c;
		redisFree(c);
		at = owner;
	}
	fprintf(stderr, "triagectl: slot %d of prefix %s kept moving\n", slot,
	    prefix);
	return NULL;
}

struct redisContext *
ctl_redis_connect(const struct config *cfg)
{
	const struct config_redis	*rc = &cfg->redis;
	char				 host[CLUSTER_HOST_MAX];
	redisContext			*c;
	int				 port;

	if (!rc->cluster)
		return ctl_redis_open(cfg, NULL, 0);
	if (rc->nnodes == 0)
		return ctl_redis_follow(cfg, rc->host, rc->port);
	/* Any seed that answers will do. */
	for (size_t i = 0; i < rc->nnodes; i++) {
		if (cluster_parse_node(rc->nodes[i], strlen(rc->nodes[i]),
		    host, sizeof host, &port) == -1)
			continue;
		if ((c = ctl_redis_follow(cfg, host, port)) != NULL)
			return c;
	}
	return NULL;
}

static void
ctl_redis_pause(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

struct ctl_redis_cmd {
	char		*text;		/* the command in RESP, formatted once */
	size_t		 len;
	redisReply	*reply;
};

struct ctl_redis_batch {
	struct ctl_redis_cmd	*cmds;
	size_t			 n, cap;
};

struct ctl_redis_batch *
ctl_redis_batch_new(void)
{
	return xcalloc(1, sizeof (struct ctl_redis_batch));
}

void
ctl_redis_batch_add(struct ctl_redis_batch *b, int argc, const char **argv,
    const size_t *argvlen)
{
	struct ctl_redis_cmd	*cmd;
	char			*text;
	int			 len;

	if ((len = redisFormatCommandArgv(&text, argc, argv, argvlen)) < 0)
		fatalx("out of memory formatting a Redis command");
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->cmds = xreallocarray(b->cmds, b->cap, sizeof *b->cmds);
	}
	cmd = &b->cmds[b->n++];
	cmd->text = text;
	cmd->len = (size_t)len;
	cmd->reply = NULL;
}

size_t
ctl_redis_batch_count(const struct ctl_redis_batch *b)
{
	return b->n;
}

const struct redisReply *
ctl_redis_batch_reply(const struct ctl_redis_batch *b, size_t i)
{
	return i < b->n ? b->cmds[i].reply : NULL;
}

void
ctl_redis_batch_free(struct ctl_redis_batch *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++) {
		redisFreeCommand(b->cmds[i].text);
		freeReplyObject(b->cmds[i].reply);
	}
	free(b->cmds);
	free(b);
}

/* What reply r of a command asks for on Redis Cluster, and where to. */
static enum cluster_redirect
ctl_redis_redirect(const struct config *cfg, const redisReply *r,
    struct slotmap_node *to)
{
	int	slot;

	if (!cfg->redis.cluster || r == NULL || r->type != REDIS_REPLY_ERROR)
		return CLUSTER_NONE;
	return cluster_redirect(r->str, r->len, &slot, to->host,
	    sizeof to->host, &to->port);
}

/*
 * Send the commands todo[0..n) of b down c in one pipeline, each after an
 * ASKING if asking, and keep their replies; -1 if the connection failed
 * (the reason in c->errstr).
 */
static int
ctl_redis_send(redisContext *c, struct ctl_redis_batch *b, const size_t *todo,
    size_t n, int asking)
{
	redisReply	*r;

	for (size_t k = 0; k < n; k++) {
		if ((asking && redisAppendCommand(c, "ASKING") != REDIS_OK) ||
		    redisAppendFormattedCommand(c, b->cmds[todo[k]].text,
		    b->cmds[todo[k]].len) != REDIS_OK)
			return -1;
	}
	for (size_t k = 0; k < n; k++) {
		if (asking) {
			/* An ASKING refused shows in the command's reply. */
			if (redisGetReply(c, (void **)&r) != REDIS_OK)
				return -1;
			freeReplyObject(r);
		}
		if (redisGetReply(c, (void **)&r) != REDIS_OK)
			return -1;
		b->cmds[todo[k]].reply = r;
	}
	return 0;
}

static void
ctl_redis_clear(struct ctl_redis_batch *b, const size_t *todo, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		freeReplyObject(b->cmds[todo[k]].reply);
		b->cmds[todo[k]].reply = NULL;
	}
}

/*
 * The commands of todo[0..n) that were sent an ASK towards one node, sent
 * there after ASKING (the key has already moved to it); 0 if they were, or
 * could not be (no address: they wait like TRYAGAIN), -1 if that node could
 * not be reached or was lost (the reason into c, or on stderr).
 */
static int
ctl_redis_ask(redisContext *c, struct ctl_redis_batch *b,
    const struct config *cfg, size_t *todo, size_t n)
{
	struct slotmap_node	 to, node;
	redisContext		*a;
	size_t			 nask = 0;
	int			 rv;

	to.host[0] = '\0';
	for (size_t k = 0; k < n; k++) {
		if (ctl_redis_redirect(cfg, b->cmds[todo[k]].reply, &node) !=
		    CLUSTER_ASK || node.host[0] == '\0')
			continue;
		if (nask == 0)
			to = node;
		/* Others, to another node, on the next round. */
		if (node.port == to.port && strcmp(node.host, to.host) == 0) {
			size_t	t = todo[nask];

			todo[nask++] = todo[k];
			todo[k] = t;
		}
	}
	if (nask == 0)
		return 0;
	if ((a = ctl_redis_open(cfg, to.host, to.port)) == NULL)
		return -1;
	ctl_redis_clear(b, todo, nask);
	if ((rv = ctl_redis_send(a, b, todo, nask, 1)) == -1) {
		c->err = a->err != 0 ? a->err : REDIS_ERR_OTHER;
		/* errstr holds 128 bytes: the reason, and where. */
		snprintf(c->errstr, sizeof c->errstr, "%.60s (importing node "
		    "%.40s:%d)", a->errstr, to.host, to.port);
	}
	redisFree(a);
	return rv;
}

/*
 *   send every command ──> all answered ──> done
 *        ^    │
 *        │    ├─ ASK host:port ──> ASKING + the command there, at once
 *        │    ├─ MOVED host:port ─> connect to the slot's master (*cp)
 *        │    └─ TRYAGAIN, CLUSTERDOWN, ASK refused again ─> 250 ms
 *        └── only the commands that were redirected
 *
 * A redirected command was not run, so sending it again is safe for a write
 * as for a read; a connection lost with a command sent is not retried (a
 * write may have been run).
 */
int
ctl_redis_batch_run(struct ctl_redis_batch *b, struct redisContext **cp,
    const struct config *cfg)
{
	struct slotmap_node	 to, moved = { "", 0 };
	redisContext		*c;
	size_t			*todo, n = b->n, left;
	int			 rv = -1, follow;

	todo = xcalloc(b->n, sizeof *todo);
	for (size_t i = 0; i < b->n; i++) {
		todo[i] = i;
		freeReplyObject(b->cmds[i].reply);
		b->cmds[i].reply = NULL;
	}
	for (int tries = 0; n > 0; tries++) {
		if (ctl_redis_send(*cp, b, todo, n, 0) == -1 ||
		    ctl_redis_ask(*cp, b, cfg, todo, n) == -1)
			goto out;
		follow = 0;
		for (size_t k = left = 0; k < n; k++) {
			switch (ctl_redis_redirect(cfg, b->cmds[todo[k]].reply,
			    &to)) {
			case CLUSTER_NONE:
				continue;
			case CLUSTER_MOVED:
				if (!follow)
					moved = to;
				follow = 1;
				break;
			default:
				break;
			}
			todo[left++] = todo[k];
		}
		/* Given up: the redirect errors are the replies. */
		if (left == 0 || tries == CTL_TRIES)
			break;
		n = left;
		ctl_redis_clear(b, todo, n);
		if (!follow) {
			/* Mid-migration or failover: not run; wait. */
			ctl_redis_pause(250);
			continue;
		}
		/* Not run: send them again where the slot is now. */
		if (moved.host[0] == '\0' || (c = ctl_redis_follow(cfg,
		    moved.host, moved.port)) == NULL)
			c = ctl_redis_connect(cfg);
		if (c == NULL)
			goto out;
		redisFree(*cp);
		*cp = c;
	}
	rv = 0;
out:
	for (size_t i = 0; rv == -1 && i < b->n; i++) {
		freeReplyObject(b->cmds[i].reply);
		b->cmds[i].reply = NULL;
	}
	free(todo);
	return rv;
}

struct redisReply *
ctl_redis_argv(struct redisContext **cp, const struct config *cfg, int argc,
    const char **argv, const size_t *argvlen)
{
	struct ctl_redis_batch	*b = ctl_redis_batch_new();
	redisReply		*r = NULL;

	ctl_redis_batch_add(b, argc, argv, argvlen);
	if (ctl_redis_batch_run(b, cp, cfg) == 0) {
		r = b->cmds[0].reply;
		b->cmds[0].reply = NULL;
	}
	ctl_redis_batch_free(b);
	return r;
}
