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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ordinary_entry_kept_whole),
		cmocka_unit_test(test_too_many_fields),
		cmocka_unit_test(test_values_cut_and_bytes_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
