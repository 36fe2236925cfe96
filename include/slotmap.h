/*
 * slotmap.h - what a CLUSTER SLOTS reply says: which master serves a slot,
 * and which nodes the cluster has (hiredis replies, no I/O).
 */
#ifndef TRIAGED_SLOTMAP_H
#define TRIAGED_SLOTMAP_H

#include <stddef.h>

#include "cluster.h"

struct redisReply;

struct slotmap_node {
	char	host[CLUSTER_HOST_MAX];	/* "": the node that answered */
	int	port;
};

/* The master serving slot into *owner: 0, or -1 if no node serves it. */
int	 slotmap_owner(const struct redisReply *, int slot,
	    struct slotmap_node *owner);
/* Up to max nodes the reply names, masters and replicas; how many. */
size_t	 slotmap_nodes(const struct redisReply *, struct slotmap_node *out,
	    size_t max);

#endif
