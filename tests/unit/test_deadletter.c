/*
 * test_deadletter.c - the bounds of a dead letter: every field of an
 * ordinary entry kept whole; a hostile one cut to DEADLETTER_MAX_PAIRS
 * fields and DEADLETTER_MAX_BYTES, values to max_value, and counted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "deadletter.h"
#include "field.h"

static void
test_ordinary_entry_kept_whole(void **state)
{
	struct deadletter_budget	b;

	deadletter_begin(&b, 65536);
	for (int i = 0; i < 20; i++)
		assert_int_equal(deadletter_keep(&b, 8, 300), 300);
	assert_int_equal(b.pairs, 20);
	assert_int_equal(b.dropped, 0);
	assert_int_equal(b.cut, 0);
}

static void
test_too_many_fields(void **state)
{
	struct deadletter_budget	b;

	deadletter_begin(&b, 65536);
	for (int i = 0; i < 4100; i++)
		(void)deadletter_keep(&b, 6, 10);
	assert_int_equal(b.pairs, DEADLETTER_MAX_PAIRS);
	assert_int_equal(b.dropped, 4100 - DEADLETTER_MAX_PAIRS);
}

static void
test_values_cut_and_bytes_bounded(void **state)
{
	struct deadletter_budget	b;
	size_t				kept = 0;
	long				n;

	deadletter_begin(&b, 1000);
	assert_int_equal(deadletter_keep(&b, 4, 5000), 1000);
	assert_int_equal(b.cut, 1);
	/* A name longer than a value may be is left out, not cut. */
	assert_int_equal(deadletter_keep(&b, 2000, 1), -1);
	assert_int_equal(b.dropped, 1);

	deadletter_begin(&b, 65536);
	for (int i = 0; i < 1000; i++)
		if ((n = deadletter_keep(&b, 4, 65536)) != -1)
			kept += 4 + (size_t)n;
	assert_true(kept <= DEADLETTER_MAX_BYTES);
	assert_true(b.dropped > 900);
	assert_int_equal(b.pairs + b.dropped, 1000);
}

#define F(n, v)	{ n, sizeof n - 1, v, sizeof v - 1 }

static void
test_original(void **state)
{
	struct deadletter_origin	o;
	struct field			full[] = {
		F("customer_id", "C1"), F("channel", "fax"),
		F("error", "channel 'fax' is not configured"),
		F("source_id", "1-0"), F("failed_at", "5"),
		F("source_stream", "requests"),
	};
	struct field			cut[] = {
		F("error", "mine"), F("x", "y"),
		F("error", "too many"), F("source_id", "2-0"),
		F("failed_at", "5"), F("fields_dropped", "3"),
		F("values_cut", "1"), F("source_stream", "events"),
	};
	struct field			old[] = {
		F("ticket", "T-1"), F("event", "closed"),
		F("error", "unknown event"), F("source_id", "3-0"),
		F("failed_at", "5"),
	};
	struct field			alien[] = {
		F("customer_id", "C1"), F("source_stream", "requests"),
	};

	assert_int_equal(deadletter_original(full, 6, &o), 0);
	assert_int_equal(o.nfields, 2);
	assert_int_equal(o.stream_len, 8);
	assert_memory_equal(o.stream, "requests", 8);
	assert_memory_equal(o.source_id, "1-0", 3);
	assert_false(o.incomplete);

	/* A request's own `error` field stays one of its fields. */
	assert_int_equal(deadletter_original(cut, 8, &o), 0);
	assert_int_equal(o.nfields, 2);
	assert_true(o.incomplete);
	assert_memory_equal(o.error, "too many", 8);

	assert_int_equal(deadletter_original(old, 5, &o), 0);
	assert_int_equal(o.nfields, 2);
	assert_null(o.stream);

	assert_int_equal(deadletter_original(alien, 2, &o), -1);
	assert_int_equal(deadletter_original(alien, 0, &o), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ordinary_entry_kept_whole),
		cmocka_unit_test(test_too_many_fields),
		cmocka_unit_test(test_values_cut_and_bytes_bounded),
		cmocka_unit_test(test_original),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
