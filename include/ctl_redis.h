/*
 * ctl_redis.h - triagectl's blocking connection to the Redis a rules file
 * names (redis.host/port or socket, db, username, password_env).
 */
#ifndef TRIAGED_CTL_REDIS_H
#define TRIAGED_CTL_REDIS_H

struct config;
struct redisContext;

/*
 * A connection, authenticated and on the configured db, with a 5 s timeout
 * on every command; or NULL with the reason on stderr.  redisFree() it.
 */
struct redisContext *ctl_redis_connect(const struct config *);

#endif
