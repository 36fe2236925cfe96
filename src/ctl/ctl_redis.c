/*
 * ctl_redis.c - triagectl's blocking connection to Redis, shared by every
 * command that reads or writes it (submit, event, queues, ticket, dead,
 * replay).  The daemon's own connection is asynchronous (redis.c); a
 * command line waits for each reply, so a plain redisContext with a
 * timeout is all it needs.
 *
 * On Redis Cluster it follows the daemon's rules: ask a seed for CLUSTER
 * SLOTS and connect to the master of the prefix's slot; a write that is
 * redirected (ctl_redis_argv()) was not run and is sent again to the node
 * named, or after a pause while the slot migrates.
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
#include "slotmap.h"

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

struct redisReply *
ctl_redis_argv(struct redisContext **cp, const struct config *cfg, int argc,
    const char **argv, const size_t *argvlen)
{
	struct slotmap_node	 to;
	redisReply		*r;
	redisContext		*c;
	int			 slot;

	for (int tries = 0; ; tries++) {
		r = redisCommandArgv(*cp, argc, argv, argvlen);
		if (r == NULL || r->type != REDIS_REPLY_ERROR ||
		    !cfg->redis.cluster || tries == CTL_TRIES)
			return r;
		switch (cluster_redirect(r->str, r->len, &slot, to.host,
		    sizeof to.host, &to.port)) {
		case CLUSTER_NONE:
			return r;
		case CLUSTER_MOVED:
			/* Not run: send it again where the slot is now. */
			freeReplyObject(r);
			if (to.host[0] == '\0' || (c = ctl_redis_follow(cfg,
			    to.host, to.port)) == NULL)
				c = ctl_redis_connect(cfg);
			if (c == NULL)
				return NULL;
			redisFree(*cp);
			*cp = c;
			break;
		default:
			/* Mid-migration or failover: not run; wait. */
			freeReplyObject(r);
			ctl_redis_pause(250);
			break;
		}
	}
}
