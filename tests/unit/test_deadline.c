/*
 * test_deadline.c - SLA clock arithmetic over calendars, and the P+sla
 * member format.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"
#include "deadline.h"

#define MIN		60000LL
#define HOUR		3600000LL
/* 2026-03-02 00:00:00 UTC, a Monday (date -u -d 2026-03-02 +%s). */
#define MON0		1772409600000LL

static struct calendar *
office(void)
{
	char		 err[256];
	struct calendar	*c = calendar_new("office", "UTC", err, sizeof err);

	assert_non_null(c);
	/* Monday to Friday, 09:00-18:00. */
	assert_int_equal(calendar_add_window(c, 0x3eu, 9 * 60, 18 * 60, err,
	    sizeof err), 0);
	return c;
}

static void
test_step_ms(void **state)
{
	assert_int_equal(deadline_step_ms(3000, 500), 1500);
	assert_int_equal(deadline_step_ms(3000, 1000), 3000);
	assert_int_equal(deadline_step_ms(3000, 1500), 4500);
	assert_int_equal(deadline_step_ms(HOUR, 750), 45 * MIN);
}

static void
test_always(void **state)
{
	struct calendar	*c = calendar_always();

	assert_int_equal(deadline_at(c, 1000, 0, 3000), 4000);
	/* Resumed after spending 1 s: 2 s more to the 3 s mark. */
	assert_int_equal(deadline_at(c, 10000, 1000, 3000), 12000);
	/* A point already passed is due at once. */
	assert_int_equal(deadline_at(c, 10000, 3000, 3000), 10000);
	assert_int_equal(deadline_at(c, 10000, 5000, 3000), 10000);
	assert_int_equal(deadline_spent(c, 1000, 2500, 0), 1500);
	assert_int_equal(deadline_spent(c, 1000, 2500, 700), 2200);
	assert_int_equal(deadline_spent(c, 2500, 1000, 700), 700);
	calendar_free(c);
}

static void
test_office(void **state)
{
	struct calendar	*c = office();

	/* Monday 17:00 + 2 business hours: Tuesday 10:00. */
	assert_int_equal(deadline_at(c, MON0 + 17 * HOUR, 0, 2 * HOUR),
	    MON0 + 24 * HOUR + 10 * HOUR);
	/* Paused Monday 17:30 with 30 min spent, resumed Tuesday 09:00:
	 * 1 h 30 min left to the 2 h mark, so 10:30. */
	assert_int_equal(deadline_spent(c, MON0 + 17 * HOUR,
	    MON0 + 17 * HOUR + 30 * MIN, 0), 30 * MIN);
	assert_int_equal(deadline_at(c, MON0 + 33 * HOUR, 30 * MIN, 2 * HOUR),
	    MON0 + 34 * HOUR + 30 * MIN);
	/* The night does not count. */
	assert_int_equal(deadline_spent(c, MON0 + 17 * HOUR,
	    MON0 + 34 * HOUR, 0), 2 * HOUR);
	/* Friday 17:00 + 2 h: Monday 10:00. */
	assert_int_equal(deadline_at(c, MON0 + 4 * 24 * HOUR + 17 * HOUR, 0,
	    2 * HOUR), MON0 + 7 * 24 * HOUR + 10 * HOUR);
	calendar_free(c);
}

static void
test_member(void **state)
{
	char			 buf[256];
	struct deadline_member	 dm;
	int			 n;

	n = deadline_member_format(buf, sizeof buf, "T-1", 3,
	    SLA_RESOLUTION, 2, 7, "vip|odd");
	assert_string_equal(buf, "T-1|resolution|2|7|vip|odd");
	assert_int_equal(n, (int)strlen(buf));
	assert_int_equal(deadline_member_parse(buf, n, &dm), 0);
	assert_int_equal(dm.ticket_len, 3);
	assert_memory_equal(dm.ticket, "T-1", 3);
	assert_int_equal(dm.metric, SLA_RESOLUTION);
	assert_int_equal(dm.step, 2);
	assert_int_equal(dm.gen, 7);
	assert_int_equal(dm.policy_len, 7);
	assert_memory_equal(dm.policy, "vip|odd", 7);

	assert_int_equal(deadline_member_format(buf, 8, "T-1", 3,
	    SLA_RESOLUTION, 2, 7, "vip"), -1);
	assert_int_equal(deadline_member_parse("T|first_response|0|0|p", 22,
	    &dm), 0);
	assert_int_equal(dm.metric, SLA_FIRST_RESPONSE);
	assert_int_equal(deadline_member_parse("T|other|0|0|p", 13, &dm), -1);
	assert_int_equal(deadline_member_parse("T|resolution|x|0|p", 18, &dm),
	    -1);
	assert_int_equal(deadline_member_parse("T|resolution|0|0|", 17, &dm),
	    -1);
	assert_int_equal(deadline_member_parse("|resolution|0|0|p", 17, &dm),
	    -1);
	assert_int_equal(deadline_member_parse("T|resolution|0", 14, &dm), -1);
	assert_int_equal(deadline_metric_find("resolution", 10),
	    SLA_RESOLUTION);
	assert_string_equal(deadline_metric_name(SLA_FIRST_RESPONSE),
	    "first_response");
}

/* Numbers read back from a ticket: decimal, bounded, never overflowing. */
static void
test_parse_ms(void **state)
{
	int64_t	v = 42;

	assert_int_equal(deadline_parse_ms("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(deadline_parse_ms("1764000000123", &v), 0);
	assert_int_equal(v, 1764000000123LL);
	assert_int_equal(deadline_parse_ms("1000000000000000", &v), 0);
	assert_int_equal(v, DEADLINE_MS_MAX);
	v = 42;
	assert_int_equal(deadline_parse_ms("1000000000000001", &v), -1);
	assert_int_equal(deadline_parse_ms("9223372036854775807", &v), -1);
	assert_int_equal(deadline_parse_ms("99999999999999999999999", &v), -1);
	assert_int_equal(deadline_parse_ms("-5", &v), -1);
	assert_int_equal(deadline_parse_ms("x", &v), -1);
	assert_int_equal(deadline_parse_ms("12x", &v), -1);
	assert_int_equal(deadline_parse_ms("0x10", &v), -1);
	assert_int_equal(deadline_parse_ms("", &v), -1);
	assert_int_equal(deadline_parse_ms(NULL, &v), -1);
	assert_int_equal(v, 42);
	/* The largest clock and a 1000% step: no overflow, exact. */
	assert_int_equal(deadline_step_ms(DEADLINE_MS_MAX, 10000),
	    DEADLINE_MS_MAX * 10);
	assert_int_equal(deadline_step_ms(3999, 750), 2999);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ms),
		cmocka_unit_test(test_step_ms),
		cmocka_unit_test(test_always),
		cmocka_unit_test(test_office),
		cmocka_unit_test(test_member),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
