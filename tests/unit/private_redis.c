/*
 * private_redis.c - a unit test's own redis-server (private_redis.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "private_redis.h"

int
private_redis_expired(time_t start)
{
	return time(NULL) - start > PRIVATE_REDIS_DEADLINE_S;
}

/* A loopback port nobody listens on now. */
static int
free_port(void)
{
	struct sockaddr_in	sin = { .sin_family = AF_INET };
	socklen_t		len = sizeof sin;
	int			fd, p;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		p = -1;
	else
		p = ntohs(sin.sin_port);
	close(fd);
	return p;
}

int
private_redis_start(struct private_redis *pr, const char *name, int tcp)
{
	struct stat	st;
	char		port[16];
	time_t		start = time(NULL);

	memset(pr, 0, sizeof *pr);
	snprintf(pr->dir, sizeof pr->dir, "/tmp/%s.XXXXXX", name);
	if (mkdtemp(pr->dir) == NULL)
		return -1;
	snprintf(pr->sock, sizeof pr->sock, "%s/redis.sock", pr->dir);
	if (tcp && (pr->port = free_port()) == -1)
		return -1;
	snprintf(port, sizeof port, "%d", pr->port);
	if ((pr->pid = fork()) == -1)
		return -1;
	if (pr->pid == 0) {
		/* Stopped with the test even when a sanitizer aborts it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execlp("redis-server", "redis-server", "--port", port,
		    "--bind", "127.0.0.1", "--unixsocket", pr->sock,
		    "--save", "", "--appendonly", "no", "--dir", pr->dir,
		    (char *)NULL);
		_exit(127);
	}
	while (stat(pr->sock, &st) == -1 && !private_redis_expired(start))
		usleep(20 * 1000);
	if ((pr->c = redisConnectUnix(pr->sock)) == NULL || pr->c->err)
		return -1;
	return 0;
}

void
private_redis_stop(struct private_redis *pr)
{
	if (pr->c != NULL)
		redisFree(pr->c);
	pr->c = NULL;
	if (pr->pid > 0) {
		kill(pr->pid, SIGTERM);
		waitpid(pr->pid, NULL, 0);
	}
	pr->pid = 0;
	unlink(pr->sock);
	rmdir(pr->dir);
}

redisReply *
private_redis_cmd(struct private_redis *pr, const char *fmt, ...)
{
	va_list		 ap;
	redisReply	*r;

	va_start(ap, fmt);
	r = redisvCommand(pr->c, fmt, ap);
	va_end(ap);
	if (r == NULL)
		fail_msg("redis: %s", pr->c->errstr);
	return r;
}

long long
private_redis_int(struct private_redis *pr, const char *fmt, ...)
{
	va_list		 ap;
	redisReply	*r;
	long long	 v;

	va_start(ap, fmt);
	r = redisvCommand(pr->c, fmt, ap);
	va_end(ap);
	if (r == NULL)
		fail_msg("redis: %s", pr->c->errstr);
	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	v = r->integer;
	freeReplyObject(r);
	return v;
}
