/*
 * ctl_redis.h - triagectl's blocking connection to the Redis a rules file
 * names (redis.host/port or socket, db, username, password_env).
 */
#ifndef TRIAGED_CTL_REDIS_H
#define TRIAGED_CTL_REDIS_H

struct config;
struct redisContext;
struct redisReply;

/*
 * A connection, authenticated and on the configured db, with a 5 s timeout
 * on every command; or NULL with the reason on stderr.  redisFree() it.
 */
struct redisContext *ctl_redis_connect(const struct config *);

/*
 * redisCommandArgv() that follows Redis Cluster: a redirected command was
 * not run, so it is sent again to the node that serves the slot (*c may be
 * replaced, and is freed then) or after a pause while the slot migrates.
 * NULL: the connection failed (the reason in (*c)->errstr, or on stderr if
 * *c is the old one and no node could be reached).
 */
struct redisReply *ctl_redis_argv(struct redisContext **c,
		    const struct config *, int argc, const char **argv,
		    const size_t *argvlen);

#endif
