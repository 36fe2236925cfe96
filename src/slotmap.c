/*
 * slotmap.c - reading a CLUSTER SLOTS reply (see slotmap.h).
 *
 *   1) 1) (integer) 0            first slot of the range
 *      2) (integer) 5460         last slot
 *      3) 1) "127.0.0.1"         the master: address, port, id, ...
 *         2) (integer) 7000
 *         3) "09dbe9..."
 *      4) 1) "127.0.0.1"         its replicas, if any
 *         ...
 */
#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "slotmap.h"

/* The address of one node entry; -1 if it is not one. */
static int
slotmap_node(const redisReply *n, struct slotmap_node *out)
{
	if (n->type != REDIS_REPLY_ARRAY || n->elements < 2 ||
	    n->element[0]->type != REDIS_REPLY_STRING ||
	    n->element[1]->type != REDIS_REPLY_INTEGER ||
	    n->element[1]->integer < 1 || n->element[1]->integer > 65535 ||
	    n->element[0]->len >= sizeof out->host)
		return -1;
	memcpy(out->host, n->element[0]->str, n->element[0]->len);
	out->host[n->element[0]->len] = '\0';
	/* "?" is how a node says it does not know an address. */
	if (strcmp(out->host, "?") == 0)
		out->host[0] = '\0';
	out->port = (int)n->element[1]->integer;
	return 0;
}

/* Whether range entry e is well formed, with its bounds. */
static int
slotmap_range(const redisReply *e, long long *lo, long long *hi)
{
	if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
	    e->element[0]->type != REDIS_REPLY_INTEGER ||
	    e->element[1]->type != REDIS_REPLY_INTEGER)
		return 0;
	*lo = e->element[0]->integer;
	*hi = e->element[1]->integer;
	return 1;
}

int
slotmap_owner(const redisReply *r, int slot, struct slotmap_node *owner)
{
	long long	lo, hi;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return -1;
	for (size_t i = 0; i < r->elements; i++) {
		if (!slotmap_range(r->element[i], &lo, &hi) || slot < lo ||
		    slot > hi)
			continue;
		return slotmap_node(r->element[i]->element[2], owner);
	}
	return -1;
}

size_t
slotmap_nodes(const redisReply *r, struct slotmap_node *out, size_t max)
{
	struct slotmap_node	 n;
	long long		 lo, hi;
	size_t			 count = 0, k;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return 0;
	for (size_t i = 0; i < r->elements; i++) {
		if (!slotmap_range(r->element[i], &lo, &hi))
			continue;
		for (size_t j = 2; j < r->element[i]->elements; j++) {
			if (slotmap_node(r->element[i]->element[j], &n) == -1 ||
			    n.host[0] == '\0')
				continue;
			for (k = 0; k < count; k++) {
				if (out[k].port == n.port &&
				    strcmp(out[k].host, n.host) == 0)
					break;
			}
			if (k == count && count < max)
				out[count++] = n;
		}
	}
	return count;
}
