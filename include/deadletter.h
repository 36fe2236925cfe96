/*
 * deadletter.h - what a dead letter keeps of the entry it replaces (pure).
 *
 * A dead letter holds the original fields, so an operator can see what was
 * sent and send it again.  An entry can be hostile (thousands of fields,
 * megabytes of values), and the dead-letter XADD must never fail half way
 * through a batch, so what it keeps is bounded: at most DEADLETTER_MAX_PAIRS
 * fields and DEADLETTER_MAX_BYTES of names and values, each value cut to the
 * intake's max_field_bytes.  What was left out is counted on the dead
 * letter as `fields_dropped` and `values_cut`.
 *
 * After the original fields come, in this order, what triaged adds:
 *   error  source_id  failed_at  [fields_dropped]  [values_cut]  source_stream
 * deadletter_original() finds where the original fields end, so that a
 * dead letter can be sent again as it was sent (triagectl dead redrive).
 *
 *   struct deadletter_budget b;
 *   deadletter_begin(&b, max_value);
 *   for each field:  n = deadletter_keep(&b, name_len, value_len);
 *                    n == -1: leave it out; else keep n bytes of the value
 */
#ifndef TRIAGED_DEADLETTER_H
#define TRIAGED_DEADLETTER_H

#include <stddef.h>

#define DEADLETTER_MAX_PAIRS	1000
#define DEADLETTER_MAX_BYTES	(1024 * 1024)
#include "field.h"

struct deadletter_budget {
	size_t	max_value;	/* a value is cut to this */
	size_t	pairs;		/* kept so far */
	size_t	bytes;
	size_t	dropped;	/* fields left out */
	size_t	cut;		/* values cut short */
};

void	 deadletter_begin(struct deadletter_budget *, size_t max_value);
/* -1: leave the field out; else how many bytes of its value to keep. */
long	 deadletter_keep(struct deadletter_budget *, size_t name_len,
	    size_t value_len);

struct deadletter_origin {
	size_t		 nfields;	/* the original fields: the first n */
	const char	*stream;	/* source_stream's value, or NULL */
	size_t		 stream_len;
	const char	*error;		/* the reason */
	size_t		 error_len;
	const char	*source_id;
	size_t		 source_id_len;
	int		 incomplete;	/* fields were dropped or cut */
};

/*
 * Split a dead letter's fields into the original ones and what triaged
 * added.  -1 if they do not end as a dead letter written by triaged does.
 * A dead letter from before source_stream was added has stream NULL.
 */
int	 deadletter_original(const struct field *, size_t nfields,
	    struct deadletter_origin *);

#endif
