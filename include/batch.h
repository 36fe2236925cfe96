/*
 * batch.h - stream entries copied out of a hiredis reply.
 *
 * hiredis frees a reply when its callback returns, but a batch lives on
 * while customer records are fetched and the routing script runs.  So the
 * reader copies each batch into one arena.  The arena, the entry and field
 * arrays are kept and reused from batch to batch: after warm-up the hot path
 * allocates nothing per request.
 *
 * Strings are kept as offsets into the arena, since the arena may move as it
 * grows; batch_fields() turns an entry's offsets into pointers once the
 * batch is complete.
 */
#ifndef TRIAGED_BATCH_H
#define TRIAGED_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "field.h"

struct redisReply;
struct live_config;
struct router;

/*
 * One script call of a batch (route.c): entries [from, to).  A batch is
 * written by one call, or by several when its entries are large, so that
 * no call keeps Redis busy for long.
 */
struct batch_call {
	size_t	 from, to;
	char		*mem;		/* argv_take(): kept until answered */
	const char	*cmd;		/* len bytes in mem */
	size_t		 len;
	int	 state;			/* BATCH_CALL_* */
};

enum { BATCH_CALL_UNSENT, BATCH_CALL_SENT, BATCH_CALL_DONE };

/* Batches a batch may read its contact counts ahead of (route.c). */
#define BATCH_AHEAD_MAX	8

struct field_ref {
	size_t	name_off, name_len;
	size_t	value_off, value_len;
};

struct entry {
	size_t	id_off;			/* NUL-terminated stream entry ID */
	size_t	first_field, nfields;	/* into batch->refs */
	size_t	first_cust, ncust;	/* customer fields, into batch->refs */
	int	deliveries;		/* this delivery included */
	int	malformed;		/* the reply did not hold pairs */
	/* Decided while routing, kept for metrics when the write returns. */
	int	outcome;		/* enum route_outcome */
	int	reason;			/* enum request_reason when dead */
	size_t	error_off;		/* the dead-letter sentence, in arena */
	int	team, tier, urgency;
	int	lookup_sent;		/* its CRM HGETALL is in the pipeline */
	int	counted;		/* its ticket counts as a contact */
	int	repeat;			/* its ID is an earlier entry's */
	int	ask_exists;		/* its ticket's EXISTS is looked up */
	int	existed;		/* and it did */
	int	looked_later;		/* a later batch asked if it existed */
	int	existed_before;		/* and it did, before this batch */
	uint32_t cust_hash, id_hash;	/* its chains in the batch's index */
	int64_t	entry_ms;
	/* Found by validation, for the write: the ticket ID and clock start. */
	size_t	ticket_id_off, ticket_id_len;	/* in arena */
	size_t	customer_off, customer_len;	/* customer_id, in arena */
	int64_t	created_at;
};

struct batch {
	int			 stream;	/* which stream: BATCH_* */
	struct live_config	*config;	/* pinned for the whole batch */
	char			*arena;
	size_t			 arena_len, arena_cap;
	struct entry		*entries;
	size_t			 nentries, entries_cap;
	struct field_ref	*refs;
	size_t			 nrefs, refs_cap;
	struct field		*scratch;	/* batch_fields() output */
	size_t			 scratch_cap;
	/* The router's progress with this batch (route.c). */
	int			 pending_lookups;	/* CRM replies awaited */
	size_t			 lookup_next;	/* entry of the next CRM reply */
	int			 lookup_sub;	/* replies of that entry so far */
	int			 looked_up;
	/*
	 * Batches whose contact counts were read before this one's, and
	 * whose script calls went out after this one's reads: Redis counted
	 * none of their tickets for this batch (route.c, counting).  Then
	 * the EXISTS of their tickets this batch sends first (ahead_ask).
	 */
	struct batch		*ahead[BATCH_AHEAD_MAX];
	size_t			 nahead;
	struct entry		**ahead_ask;
	size_t			 nahead_ask, ahead_ask_cap, ahead_ask_next;
	struct batch		*next_looking;
	/*
	 * The entries to be routed chained by customer and by ticket ID:
	 * bucket (hash & (nbuckets - 1)) -> entry + 1, entry -> next entry
	 * + 1, in entry order; 0 ends a chain.  Built with contact counting.
	 */
	uint32_t		*by_cust, *by_id, *next_cust, *next_id;
	size_t			 nbuckets, buckets_cap, chains_cap;
	int			 attempts;	/* times its calls were sent */
	struct batch_call	*calls;		/* none until built */
	size_t			 ncalls, calls_cap;
	size_t			 awaiting;	/* calls sent, not answered */
	struct batch		*next_waiting;
	struct router		*router;
	void			*owner;
};

enum { BATCH_REQUESTS, BATCH_EVENTS };

void		 batch_reset(struct batch *);
void		 batch_release(struct batch *);	/* frees the buffers */
/* Append the entries of one stream's XREADGROUP/XCLAIM reply array. */
int		 batch_add_entries(struct batch *, const struct redisReply *arr,
		    int deliveries);
/*
 * Append an HGETALL reply, or one field, to entry i's customer fields.
 * An entry's customer fields are added together, with nothing added to
 * another entry in between (they must lie side by side).
 */
int		 batch_add_customer(struct batch *, size_t i,
		    const struct redisReply *);
int		 batch_add_customer_field(struct batch *, size_t i,
		    const char *name, size_t name_len, const char *value,
		    size_t value_len);
const char	*batch_id(const struct batch *, const struct entry *);
/*
 * Pointers to an entry's request fields and customer fields, valid until
 * the next call.  -1 only when out of memory.
 */
int		 batch_fields(struct batch *, const struct entry *,
		    const struct field **req, size_t *nreq,
		    const struct field **cust, size_t *ncust);
/* Copy len bytes into the arena; returns the offset, or -1. */
long		 batch_copy(struct batch *, const char *, size_t);
const char	*batch_str(const struct batch *, size_t off);

#endif
