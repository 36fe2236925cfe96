/*
 * ctl_redis.h - triagectl's blocking connection to the Redis a rules file
 * names (redis.host/port or socket, db, username, password_env).
 */
#ifndef TRIAGED_CTL_REDIS_H
#define TRIAGED_CTL_REDIS_H

#include <stddef.h>

struct config;
struct redisContext;
struct redisReply;

/*
 * A connection, authenticated and on the configured db, with a 5 s timeout
 * on every command; or NULL with the reason on stderr.  redisFree() it.
 */
struct redisContext *ctl_redis_connect(const struct config *);

/*
 * Every command triagectl sends to Redis goes through a batch, so that on
 * Redis Cluster each follows the slot the same way, read or write: a
 * redirected command was not run, so it is sent again to the node the
 * redirect names (MOVED: *c is replaced by a connection to the slot's
 * master, and freed; ASK: once to the importing node, after ASKING), or
 * after a pause while the slot migrates (TRYAGAIN), for up to about 10 s.
 */
struct ctl_redis_batch;

/* An empty batch; ctl_redis_batch_free() it. */
struct ctl_redis_batch *ctl_redis_batch_new(void);
/* Append a command; its arguments are copied. */
void	 ctl_redis_batch_add(struct ctl_redis_batch *, int argc,
	    const char **argv, const size_t *argvlen);
size_t	 ctl_redis_batch_count(const struct ctl_redis_batch *);
/*
 * Send the batch's commands in one pipeline and wait for every reply.
 * 0: each command has its reply (an error reply included, and the last
 * redirect if the slot never settled); -1: the connection failed (the
 * reason in (*c)->errstr, or on stderr if *c is the old one and no node
 * could be reached), and no command has a reply.
 */
int	 ctl_redis_batch_run(struct ctl_redis_batch *, struct redisContext **c,
	    const struct config *);
/* Command i's reply after a run, or NULL; the batch keeps it. */
const struct redisReply *ctl_redis_batch_reply(const struct ctl_redis_batch *,
	    size_t i);
void	 ctl_redis_batch_free(struct ctl_redis_batch *);

/*
 * One command in a batch of its own: its reply (freeReplyObject() it), or
 * NULL as ctl_redis_batch_run() fails.
 */
struct redisReply *ctl_redis_argv(struct redisContext **c,
		    const struct config *, int argc, const char **argv,
		    const size_t *argvlen);

#endif
