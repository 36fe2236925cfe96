/*
 * test_board_view.c - the wallboard's pure parts: HTML escaping of text
 * from requests, the JSON shape of /api/state (contract §4), the table a
 * browser without JavaScript shows, countdowns and their colours, where
 * "today" starts in a zone, and the count of tickets breached today.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "board_day.h"
#include "board_view.h"
#include "zone.h"

#define HOSTILE	"<img src=x onerror=\"alert('1')\">&"

static char *
escaped(const char *s)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&buf, &len);

	assert_non_null(f);
	board_view_escape(f, s);
	fclose(f);
	return buf;
}

static void
test_escape(void **state)
{
	char	*s = escaped(HOSTILE " 你好");

	assert_string_equal(s, "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)"
	    "&quot;&gt;&amp; 你好");
	free(s);
	s = escaped(NULL);
	assert_string_equal(s, "");
	free(s);
}

/* A view with two teams (one empty) and one alert. */
static void
sample(struct board_view *v)
{
	struct board_team	*t;
	struct board_alert	*a;

	memset(v, 0, sizeof *v);
	v->now = 1764000000000;
	v->day_start = 1763913600000;
	v->day_zone = strdup("Asia/Shanghai");
	v->utc_offset = 8 * 3600;
	v->rules_version = strdup("abc123");
	v->redis = strdup("ok");
	v->routed_per_min = 12;
	v->dead_per_min = -1;
	v->reloads_ok = 2;
	v->nteams = 2;
	v->teams = calloc(2, sizeof *v->teams);
	t = &v->teams[0];
	t->name = strdup("billing");
	t->depth = 3;
	t->has_next = 1;
	t->next.ticket = strdup("T-1");
	t->next.due = v->now + 61000;
	t->next.tier = strdup("vip");
	t->next.urgency = strdup("high");
	t->next.subject = strdup(HOSTILE);
	t->next.warned = 1;
	t->breached_today = 4;
	t->nsplit = 1;
	t->split = calloc(1, sizeof *t->split);
	t->split[0].tier = strdup("vip");
	t->split[0].urgency = strdup("high");
	t->split[0].count = 3;
	t->split_of = 3;
	v->teams[1].name = strdup("general");
	v->nalerts = 1;
	v->alerts = a = calloc(1, sizeof *v->alerts);
	a->id = strdup("1764000000000-0");
	a->nfields = 3;
	a->names = calloc(3, sizeof *a->names);
	a->values = calloc(3, sizeof *a->values);
	a->names[0] = strdup("ticket");
	a->values[0] = strdup("<b>T-1</b>");
	a->names[1] = strdup("notify");
	a->values[1] = strdup("oncall_primary");
	a->names[2] = strdup("oncall_name");
	a->values[2] = strdup("李雷");
}

static void
test_json_shape(void **state)
{
	struct board_view	 v;
	json_t			*o, *t, *n;
	json_error_t		 err;
	char			*s;

	sample(&v);
	s = board_view_json(&v);
	assert_non_null(s);
	o = json_loads(s, 0, &err);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o,
	    "rules_version")), "abc123");
	assert_int_equal(json_integer_value(json_object_get(o, "now")),
	    1764000000000);
	t = json_array_get(json_object_get(o, "teams"), 0);
	assert_string_equal(json_string_value(json_object_get(t, "name")),
	    "billing");
	assert_int_equal(json_integer_value(json_object_get(t, "depth")), 3);
	assert_int_equal(json_integer_value(json_object_get(t,
	    "breached_today")), 4);
	n = json_object_get(t, "next");
	assert_string_equal(json_string_value(json_object_get(n, "ticket")),
	    "T-1");
	assert_int_equal(json_integer_value(json_object_get(n, "due")),
	    1764000061000);
	assert_string_equal(json_string_value(json_object_get(n, "subject")),
	    HOSTILE);
	assert_true(json_is_true(json_object_get(n, "warned")));
	assert_true(json_is_null(json_object_get(json_array_get(
	    json_object_get(o, "teams"), 1), "next")));
	t = json_array_get(json_object_get(o, "alerts"), 0);
	assert_string_equal(json_string_value(json_object_get(t, "ticket")),
	    "<b>T-1</b>");
	assert_string_equal(json_string_value(json_object_get(t, "paged")),
	    "李雷");
	assert_string_equal(json_string_value(json_object_get(t, "id")),
	    "1764000000000-0");
	t = json_object_get(o, "totals");
	assert_int_equal(json_integer_value(json_object_get(t,
	    "routed_per_min")), 12);
	assert_true(json_is_null(json_object_get(t, "dead_lettered_per_min")));
	assert_string_equal(json_string_value(json_object_get(t, "redis")),
	    "ok");
	json_decref(o);
	free(s);
	board_view_clear(&v);
}

static void
test_html_escapes(void **state)
{
	struct board_view	 v;
	char			*s;

	sample(&v);
	s = board_view_html(&v);
	assert_non_null(s);
	assert_null(strstr(s, "<img"));
	assert_null(strstr(s, "<b>T-1"));
	assert_non_null(strstr(s, "&lt;img src=x onerror=&quot;"));
	assert_non_null(strstr(s, "&lt;b&gt;T-1&lt;/b&gt;"));
	assert_non_null(strstr(s, "<td class=\"depth\">3</td>"));
	/* 61 s left, a warning fired: amber; the server's own countdown. */
	assert_non_null(strstr(s, "<td class=\"due amber\" "
	    "data-due=\"1764000061000\">1:01</td>"));
	assert_non_null(strstr(s, "<td class=\"paged\">李雷</td>"));
	/* fired_at is absent: midnight at +8 is 08:00:00 UTC's 0 + 8 h. */
	assert_non_null(strstr(s, "<td class=\"when\" data-at=\"0\">08:00:00"));
	assert_non_null(strstr(s, "<tr data-team=\"general\"><td class=\"team\">"
	    "general</td><td class=\"depth\">0</td><td class=\"due none\">"));
	free(s);
	board_view_clear(&v);
}

static void
test_countdown(void **state)
{
	char			buf[32];
	struct board_next	n = { .due = 1000, .warned = 0 };

	board_view_countdown(buf, sizeof buf, 61000);
	assert_string_equal(buf, "1:01");
	board_view_countdown(buf, sizeof buf, 3723000);
	assert_string_equal(buf, "1:02:03");
	board_view_countdown(buf, sizeof buf, -42000);
	assert_string_equal(buf, "-0:42");
	board_view_countdown(buf, sizeof buf, 999);
	assert_string_equal(buf, "0:00");
	assert_string_equal(board_view_level(&n, 0), "ok");
	n.warned = 1;
	assert_string_equal(board_view_level(&n, 0), "amber");
	assert_string_equal(board_view_level(&n, 1000), "red");
	n.warned = 0;
	assert_string_equal(board_view_level(&n, 5000), "red");
}

static void
test_day_start(void **state)
{
	struct zone	z;
	char		err[256];

	memset(&z, 0, sizeof z);	/* UTC */
	/* 2025-11-24 16:00:00 UTC */
	assert_int_equal(board_view_day_start(&z, 1764000000000),
	    1763942400000);
	assert_int_equal(zone_load(&z, "Asia/Shanghai", err, sizeof err), 0);
	/* 2025-11-25 00:00 in Shanghai is 2025-11-24 16:00 UTC. */
	assert_int_equal(board_view_day_start(&z, 1764000000000),
	    1764000000000);
	assert_int_equal(board_view_day_start(&z, 1763999999999),
	    1763913600000);
	zone_clear(&z);
}

static void
test_day_count(void **state)
{
	struct board_day	*d = board_day_new();
	char			 id[32];

	assert_non_null(d);
	board_day_reset(d, 100);
	assert_int_equal(board_day_start(d), 100);
	assert_int_equal(board_day_add(d, "billing", "T1"), 1);
	assert_int_equal(board_day_add(d, "billing", "T1"), 0);
	assert_int_equal(board_day_add(d, "general", "T1"), 1);
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof id, "X-%d", i);
		assert_int_equal(board_day_add(d, "billing", id), 1);
	}
	assert_int_equal(board_day_add(d, "billing", "X-7"), 0);
	assert_int_equal(board_day_count(d, "billing"), 1001);
	assert_int_equal(board_day_count(d, "general"), 1);
	assert_int_equal(board_day_count(d, "nobody"), 0);
	board_day_reset(d, 200);
	assert_int_equal(board_day_count(d, "billing"), 0);
	assert_int_equal(board_day_add(d, "billing", "T1"), 1);
	board_day_free(d);
	board_day_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_html_escapes),
		cmocka_unit_test(test_countdown),
		cmocka_unit_test(test_day_start),
		cmocka_unit_test(test_day_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
