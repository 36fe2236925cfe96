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
/* The fields a dead letter adds: error, source_id, failed_at, and the two counts. */
#define DEADLETTER_EXTRA_PAIRS	5

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

#endif
