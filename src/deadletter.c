/*
 * deadletter.c - the bounds of a dead letter (see deadletter.h).
 */
#include <string.h>

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

static int
named(const struct field *f, const char *name)
{
	return f->name_len == strlen(name) &&
	    memcmp(f->name, name, f->name_len) == 0;
}

int
deadletter_original(const struct field *f, size_t n,
    struct deadletter_origin *o)
{
	memset(o, 0, sizeof *o);
	/* Walk back over what triaged appended, in its order. */
	if (n > 0 && named(&f[n - 1], "source_stream")) {
		o->stream = f[n - 1].value;
		o->stream_len = f[n - 1].value_len;
		n--;
	}
	if (n > 0 && named(&f[n - 1], "values_cut")) {
		o->incomplete = 1;
		n--;
	}
	if (n > 0 && named(&f[n - 1], "fields_dropped")) {
		o->incomplete = 1;
		n--;
	}
	if (n < 3 || !named(&f[n - 1], "failed_at") ||
	    !named(&f[n - 2], "source_id") || !named(&f[n - 3], "error"))
		return -1;
	o->source_id = f[n - 2].value;
	o->source_id_len = f[n - 2].value_len;
	o->error = f[n - 3].value;
	o->error_len = f[n - 3].value_len;
	o->nfields = n - 3;
	return 0;
}
