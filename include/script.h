/*
 * script.h - a Lua script the daemon runs with EVALSHA.
 *
 * The script is loaded with SCRIPT LOAD the first time it is wanted and
 * again whenever the server answers NOSCRIPT (it restarted or flushed its
 * scripts); callers hold their call until script_ready() and resend it
 * after a NOSCRIPT.  A refused load (an ACL without SCRIPT LOAD, say) is
 * tried again at the next script_ensure(), and warned of once a cause.
 */
#ifndef TRIAGED_SCRIPT_H
#define TRIAGED_SCRIPT_H

struct rconn;
struct redisReply;

typedef void	script_ready_cb(void *arg);

struct script {
	const char	*name;		/* for logs */
	const char	*src;
	char		 sha[41];
	int		 ready;
	int		 loading;
	char		 error[160];	/* why the last load failed, or "" */
	script_ready_cb	*cb;		/* called once loaded */
	void		*arg;
};

void	script_init(struct script *, const char *name, const char *src,
	    script_ready_cb *, void *arg);
/* 1 if loaded; otherwise starts loading (once) on rc and returns 0. */
int	script_ensure(struct script *, struct rconn *);
/* 1 if reply is NOSCRIPT: the script is loaded again, resend the call. */
int	script_missing(struct script *, struct rconn *,
	    const struct redisReply *);

#endif
