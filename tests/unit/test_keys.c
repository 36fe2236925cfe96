/*
 * test_keys.c - every key triaged makes, for a plain prefix and for a
 * hash-tagged one (a Redis Cluster keeps all of one prefix's keys in one
 * slot), a buffer one byte too small, and the team read back from a queue
 * key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "keys.h"

static const char *prefixes[] = { "triage:", "triage:{eu1}:" };

/* The key as made, and its length returned, against what is expected. */
static void
expect_key(int n, const char *buf, const char *prefix, const char *rest)
{
	char	want[KEYS_MAX];

	assert_true(strlen(prefix) + strlen(rest) < sizeof want);
	strcpy(want, prefix);
	strcat(want, rest);
	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));
}

static void
test_every_key(void **state)
{
	char	buf[KEYS_MAX];

	for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
		const char	*p = prefixes[i];

		expect_key(keys_stream(buf, sizeof buf, p, "requests"), buf, p,
		    "requests");
		expect_key(keys_stream(buf, sizeof buf, p, "events"), buf, p,
		    "events");
		expect_key(keys_dead(buf, sizeof buf, p), buf, p, "dead");
		expect_key(keys_alerts(buf, sizeof buf, p), buf, p, "alerts");
		expect_key(keys_sla(buf, sizeof buf, p), buf, p, "sla");
		expect_key(keys_ticket(buf, sizeof buf, p, "T-1001", 6), buf, p,
		    "ticket:T-1001");
		/* Only id_len bytes of the ID: it may point into a field. */
		expect_key(keys_ticket(buf, sizeof buf, p, "T-1001xyz", 6), buf,
		    p, "ticket:T-1001");
		expect_key(keys_queue(buf, sizeof buf, p, "billing", 7), buf, p,
		    "queue:billing");
		expect_key(keys_queue_pattern(buf, sizeof buf, p), buf, p,
		    "queue:*");
	}
}

static void
test_empty_prefix(void **state)
{
	char	buf[KEYS_MAX];

	assert_int_equal(keys_ticket(buf, sizeof buf, "", "7", 1), 8);
	assert_string_equal(buf, "ticket:7");
	assert_int_equal(keys_stream(buf, sizeof buf, "", "requests"), 8);
	assert_string_equal(buf, "requests");
}

static void
test_buffer_too_small(void **state)
{
	const char	*p = "triage:{eu1}:";
	char		 buf[64];
	size_t		 need = strlen(p) + strlen("ticket:T-1001") + 1;

	/* Exactly the key and its NUL fits; one byte less does not. */
	assert_int_equal(keys_ticket(buf, need, p, "T-1001", 6),
	    (int)need - 1);
	assert_int_equal(keys_ticket(buf, need - 1, p, "T-1001", 6), -1);
	assert_int_equal(keys_queue(buf, strlen(p) + 6 + 7, p, "billing", 7),
	    -1);
	assert_int_equal(keys_stream(buf, strlen(p) + 8, p, "requests"), -1);
	assert_int_equal(keys_dead(buf, strlen(p) + 4, p), -1);
	assert_int_equal(keys_alerts(buf, strlen(p) + 6, p), -1);
	assert_int_equal(keys_sla(buf, strlen(p) + 3, p), -1);
	assert_int_equal(keys_queue_pattern(buf, strlen(p) + 7, p), -1);
	assert_int_equal(keys_sla(buf, 0, p), -1);
}

static void
test_queue_team(void **state)
{
	const char	*team;
	size_t		 len;

	team = keys_queue_team("triage:{eu1}:", "triage:{eu1}:queue:billing",
	    26, &len);
	assert_non_null(team);
	assert_int_equal(len, 7);
	assert_memory_equal(team, "billing", 7);
	/* Not a queue, no team, another prefix. */
	assert_null(keys_queue_team("triage:", "triage:ticket:T-1", 17, &len));
	assert_null(keys_queue_team("triage:", "triage:queue:", 13, &len));
	assert_null(keys_queue_team("triage:", "other:queue:billing", 19,
	    &len));
	assert_null(keys_queue_team("triage:", "tri", 3, &len));
}

static void
test_fixed_keys(void **state)
{
	struct keys	k;

	for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
		const char	*p = prefixes[i];

		keys_init(&k, p, "requests", "events");
		expect_key((int)strlen(k.requests), k.requests, p, "requests");
		expect_key((int)strlen(k.events), k.events, p, "events");
		expect_key((int)strlen(k.dead), k.dead, p, "dead");
		expect_key((int)strlen(k.alerts), k.alerts, p, "alerts");
		expect_key((int)strlen(k.sla), k.sla, p, "sla");
		keys_clear(&k);
		assert_null(k.requests);
	}
	/* Long names are allocated to fit, not cut to KEYS_MAX. */
	{
		char	long_stream[KEYS_MAX * 2];

		memset(long_stream, 's', sizeof long_stream - 1);
		long_stream[sizeof long_stream - 1] = '\0';
		keys_init(&k, "triage:", long_stream, "events");
		assert_int_equal(strlen(k.requests), 7 + sizeof long_stream - 1);
		keys_clear(&k);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_empty_prefix),
		cmocka_unit_test(test_buffer_too_small),
		cmocka_unit_test(test_queue_team),
		cmocka_unit_test(test_fixed_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
