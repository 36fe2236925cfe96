/*
 * deadletter.c - the bounds of a dead letter (see deadletter.h).
 */
#include "deadletter.h"

void
deadletter_begin(struct deadletter_budget *b, size_t max_value)
{
	b->max_value = max_value;
	b->pairs = b->bytes = b->dropped = b->cut = 0;
}

long
deadletter_keep(struct deadletter_budget *b, size_t name_len,
    size_t value_len)
{
	size_t	keep = value_len;

	if (keep > b->max_value)
		keep = b->max_value;
	/* A name is never cut: a field whose name is too long is left out. */
	if (b->pairs == DEADLETTER_MAX_PAIRS || name_len > b->max_value ||
	    name_len + keep > DEADLETTER_MAX_BYTES - b->bytes) {
		b->dropped++;
		return -1;
	}
	if (keep < value_len)
		b->cut++;
	b->pairs++;
	b->bytes += name_len + keep;
	return (long)keep;
}
