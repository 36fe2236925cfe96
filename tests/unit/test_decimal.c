/*
 * test_decimal.c - decimal_format() writes what printf("%lld") would, for
 * the edges and for a million values of every length.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "decimal.h"

static void
check(int64_t v)
{
	char	want[32], got[DECIMAL_MAX];
	size_t	n;

	snprintf(want, sizeof want, "%lld", (long long)v);
	n = decimal_format(v, got);
	assert_string_equal(got, want);
	assert_int_equal(n, strlen(want));
	if (v >= 0)
		assert_int_equal(decimal_digits((uint64_t)v), strlen(want));
}

static void
test_edges(void **state)
{
	int64_t	 edges[] = { 0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 9999,
	    10000, 10001, 99999, 100000, 1795581165611, -1, -9, -10, -100,
	    INT64_MAX, INT64_MIN, INT64_MIN + 1 };

	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
		check(edges[i]);
	for (int64_t p = 1; p <= INT64_MAX / 10; p *= 10) {
		check(p - 1);
		check(p);
		check(p + 1);
		check(-p);
	}
}

static void
test_many(void **state)
{
	uint64_t	x = 88172645463325252ULL;

	for (int i = 0; i < 1000000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Every length, not just the 19-digit ones. */
		check((int64_t)(x >> (x % 64)) * (i % 2 ? 1 : -1));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
