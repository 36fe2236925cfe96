/*
 * deadletter_argv.h - one dead-letter record, pushed onto a script call.
 *
 * The routing script (requests) and the apply script (lifecycle events)
 * both write dead letters; the record is made here only: the entry's
 * fields within deadletter.h's bounds, then what triaged adds, in the
 * order deadletter_original() takes apart again.
 */
#ifndef TRIAGED_DEADLETTER_ARGV_H
#define TRIAGED_DEADLETTER_ARGV_H

#include <stddef.h>
#include <stdint.h>

struct argv;
struct batch;
struct entry;

/*
 * Push entry e of b as a dead letter: (its field/value pair count first
 * when count_first, as the routing script reads it), the kept fields,
 * error, source_id, failed_at, fields_dropped and values_cut when anything
 * was left out, source_stream.  Values are cut to max_value.
 */
void	deadletter_argv(struct argv *, const struct batch *b,
	    const struct entry *e, size_t max_value, const char *error,
	    const char *stream, int64_t now, int count_first);

#endif
