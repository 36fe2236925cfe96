/*
 * handshake.h - the commands that open a session with Redis (pure).
 *
 * The daemon's connections (redis.c, asynchronous) and triagectl's
 * (ctl_redis.c, blocking) open a session the same way: AUTH when the
 * password variable is set (with the ACL user when there is one), then
 * SELECT when the database is not 0.  The password is read from the
 * environment here and goes only into the command: never into a log line.
 */
#ifndef TRIAGED_HANDSHAKE_H
#define TRIAGED_HANDSHAKE_H

#include <stddef.h>

struct config_redis;

struct handshake_cmd {
	const char	*name;		/* "AUTH", "SELECT": for messages */
	int		 argc;
	const char	*argv[3];
	size_t		 argvlen[3];
	char		 db[16];	/* SELECT's argument, argv[1] points here */
};

/* Fill out with the commands to send, in order; returns how many (0-2). */
size_t	handshake_commands(const struct config_redis *,
	    struct handshake_cmd out[2]);

#endif
