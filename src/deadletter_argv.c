/*
 * deadletter_argv.c - a dead-letter record onto a script call (see
 * deadletter_argv.h).
 */
#include "argv.h"
#include "batch.h"
#include "deadletter.h"
#include "deadletter_argv.h"

void
deadletter_argv(struct argv *a, const struct batch *b, const struct entry *e,
    size_t max_value, const char *error, const char *stream, int64_t now,
    int count_first)
{
	struct deadletter_budget	 dl;

	if (count_first) {
		/* The same budget, run dry, gives the count. */
		deadletter_begin(&dl, max_value);
		for (size_t i = 0; i < e->nfields; i++) {
			const struct field_ref	*f = &b->refs[e->first_field + i];

			(void)deadletter_keep(&dl, f->name_len, f->value_len);
		}
		argv_push_num(a, (long long)(dl.pairs + 4 + (dl.dropped > 0) +
		    (dl.cut > 0)));
	}
	deadletter_begin(&dl, max_value);
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field_ref	*f = &b->refs[e->first_field + i];
		long			 keep;

		if ((keep = deadletter_keep(&dl, f->name_len,
		    f->value_len)) == -1)
			continue;
		argv_push(a, b->arena + f->name_off, f->name_len);
		argv_push(a, b->arena + f->value_off, (size_t)keep);
	}
	argv_push_str(a, "error");
	argv_push_str(a, error);
	argv_push_str(a, "source_id");
	argv_push_str(a, batch_id(b, e));
	argv_push_str(a, "failed_at");
	argv_push_num(a, now);
	if (dl.dropped > 0) {
		argv_push_str(a, "fields_dropped");
		argv_push_num(a, (long long)dl.dropped);
	}
	if (dl.cut > 0) {
		argv_push_str(a, "values_cut");
		argv_push_num(a, (long long)dl.cut);
	}
	argv_push_str(a, "source_stream");
	argv_push_str(a, stream);
}
