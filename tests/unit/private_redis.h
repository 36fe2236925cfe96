/*
 * private_redis.h - a redis-server of a unit test's own, on a unix socket
 * in a temporary directory (and a loopback port if asked), stopped at the
 * end or when the test dies, and a blocking connection to set up and check
 * what the code under test did.
 */
#ifndef TRIAGED_TEST_PRIVATE_REDIS_H
#define TRIAGED_TEST_PRIVATE_REDIS_H

#include <sys/types.h>
#include <time.h>

#include <hiredis/hiredis.h>

#define PRIVATE_REDIS_DEADLINE_S	60	/* a busy machine's worst */

struct private_redis {
	char		 dir[64];
	char		 sock[96];
	int		 port;		/* 0: the socket only */
	pid_t		 pid;
	redisContext	*c;
};

/* Started, and c connected; -1 if not.  tcp: listen on 127.0.0.1 too. */
int		 private_redis_start(struct private_redis *, const char *name,
		    int tcp);
void		 private_redis_stop(struct private_redis *);
/* A command on c: its reply (fails the test if none), or its integer. */
redisReply	*private_redis_cmd(struct private_redis *, const char *fmt, ...);
long long	 private_redis_int(struct private_redis *, const char *fmt, ...);
/* 1 once PRIVATE_REDIS_DEADLINE_S have passed since start. */
int		 private_redis_expired(time_t start);

#endif
