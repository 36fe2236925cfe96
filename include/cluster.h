/*
 * cluster.h - the Redis Cluster arithmetic triaged needs (pure): which slot
 * a key lives in, and what a redirect error asks for.
 *
 * A deployment's prefix carries a hash tag (triage:{eu1}:), so every key it
 * makes hashes to the one slot of the text between the braces: the daemon
 * computes that slot once and talks to the node that serves it.
 */
#ifndef TRIAGED_CLUSTER_H
#define TRIAGED_CLUSTER_H

#include <stddef.h>

#define CLUSTER_SLOTS		16384
#define CLUSTER_HOST_MAX	256

/*
 * The hash tag of key (pointing into it, *len bytes), or NULL if the key has
 * none: the text between the first '{' and the first '}' after it, if that
 * text is not empty.  The rule is Redis's own.
 */
const char	*cluster_hashtag(const char *key, size_t keylen, size_t *len);

/* The slot of key, 0 to 16383, as CLUSTER KEYSLOT gives it. */
int		 cluster_keyslot(const char *key, size_t keylen);

enum cluster_redirect {
	CLUSTER_NONE,		/* not a redirect: an ordinary reply or error */
	CLUSTER_MOVED,		/* the slot is served elsewhere now */
	CLUSTER_ASK,		/* the slot is migrating; this key moved */
	CLUSTER_TRYAGAIN,	/* some of the keys moved, some did not yet */
	CLUSTER_DOWN,		/* the cluster cannot serve the slot now */
};

/*
 * What the error reply err (len bytes, as Redis sent it) asks for.  For MOVED
 * and ASK the slot, host and port it names are stored (an empty host means
 * the node that answered: Redis leaves it out when it does not know its own
 * address).  A malformed MOVED or ASK is CLUSTER_DOWN: the command was not
 * run and the map must be read again.
 */
enum cluster_redirect cluster_redirect(const char *err, size_t len,
		    int *slot, char *host, size_t hostsize, int *port);

/* "host:port" (the last colon splits, for IPv6) into its parts; -1 if bad. */
int		 cluster_parse_node(const char *text, size_t len, char *host,
		    size_t hostsize, int *port);

const char	*cluster_redirect_name(enum cluster_redirect);

#endif
