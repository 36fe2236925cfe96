/*
 * test_payload.c - what receivers are posted: Alertmanager's API v2 alert
 * (labels, annotations, startsAt/endsAt), the json webhook's object with
 * its key and status, the slack text, the Idempotency-Key header; the
 * stored form read back; which stopped clocks resolve a page; which
 * answers are retried, the backoff, and alerts too old to page for.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "config.h"
#include "make_fields.h"
#include "oncall.h"
#include "payload.h"

/* 2026-01-05T01:00:00Z, 09:00 in Shanghai. */
#define FIRED	1767574800000LL

static struct receiver am = { .name = "pager", .kind = RECEIVER_ALERTMANAGER,
    .url = "http://127.0.0.1:9093/" };
static struct receiver hook = { .name = "hook", .kind = RECEIVER_WEBHOOK,
    .url = "https://hooks.example.com/x", .format = WEBHOOK_JSON };
static struct receiver slack = { .name = "floor", .kind = RECEIVER_WEBHOOK,
    .url = "https://chat.example.com/T0", .format = WEBHOOK_SLACK };

static void
vip(struct alert *a)
{
	struct field	 f[32];
	const char	*why = NULL;
	size_t		 n;

	n = make(f, "ticket", "VIP-1", "team", "vip_desk", "tier", "vip",
	    "urgency", "critical", "policy", "vip", "metric", "first_response",
	    "step", "1", "kind", "breach", "notify", "oncall_primary",
	    "due", "1767574800000", "fired_at", "1767574800250",
	    "oncall", "li_na", "oncall_name", "Li Na",
	    "subject", "打印机 \"on fire\"", "unknown_field", "x", NULL);
	assert_int_equal(alert_from_fields(a, f, n, &why), 0);
}

static void
test_alertmanager(void **state)
{
	struct alert	 a;
	struct payload	 p;
	json_t		*arr, *al, *labels, *ann;

	vip(&a);
	assert_int_equal(payload_build(&am, &a, PAYLOAD_FIRING,
	    FIRED + 240000, &p), 0);
	assert_string_equal(p.url, "http://127.0.0.1:9093/api/v2/alerts");
	assert_string_equal(p.key_header,
	    "Idempotency-Key: VIP-1:first_response:1");
	arr = json_loads(p.body, 0, NULL);
	assert_non_null(arr);
	assert_true(json_is_array(arr));
	assert_int_equal(json_array_size(arr), 1);
	al = json_array_get(arr, 0);
	labels = json_object_get(al, "labels");
	ann = json_object_get(al, "annotations");
	assert_string_equal(json_string_value(json_object_get(labels,
	    "alertname")), "TicketEscalation");
	assert_string_equal(json_string_value(json_object_get(labels,
	    "ticket")), "VIP-1");
	assert_string_equal(json_string_value(json_object_get(labels,
	    "oncall")), "li_na");
	assert_string_equal(json_string_value(json_object_get(labels,
	    "step")), "1");
	assert_string_equal(json_string_value(json_object_get(labels,
	    "kind")), "breach");
	/* Only the labels the contract names: no subject as a label. */
	assert_int_equal(json_object_size(labels), 11);
	assert_string_equal(json_string_value(json_object_get(ann,
	    "oncall_name")), "Li Na");
	assert_string_equal(json_string_value(json_object_get(ann,
	    "subject")), "打印机 \"on fire\"");
	assert_string_equal(json_string_value(json_object_get(ann, "due")),
	    "2026-01-05T01:00:00.000Z");
	assert_string_equal(json_string_value(json_object_get(al,
	    "startsAt")), "2026-01-05T01:00:00.250Z");
	assert_string_equal(json_string_value(json_object_get(al, "endsAt")),
	    "2026-01-05T01:04:00.000Z");
	json_decref(arr);
	payload_clear(&p);
	alert_clear(&a);
}

static void
test_alertmanager_without_oncall(void **state)
{
	struct alert	 a;
	struct payload	 p;
	json_t		*arr, *labels;

	vip(&a);
	free(a.f[ALERT_ONCALL]);
	a.f[ALERT_ONCALL] = NULL;
	assert_int_equal(payload_build(&am, &a, PAYLOAD_RESOLVED, -1, &p), 0);
	arr = json_loads(p.body, 0, NULL);
	labels = json_object_get(json_array_get(arr, 0), "labels");
	assert_null(json_object_get(labels, "oncall"));
	assert_null(json_object_get(json_array_get(arr, 0), "endsAt"));
	assert_string_equal(p.key_header,
	    "Idempotency-Key: VIP-1:first_response:1:resolved");
	json_decref(arr);
	payload_clear(&p);
	alert_clear(&a);
}

static void
test_webhook_json(void **state)
{
	struct alert	 a;
	struct payload	 p;
	json_t		*o;

	vip(&a);
	assert_int_equal(payload_build(&hook, &a, PAYLOAD_FIRING, -1, &p), 0);
	assert_string_equal(p.url, "https://hooks.example.com/x");
	o = json_loads(p.body, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "key")),
	    "VIP-1:first_response:1");
	assert_string_equal(json_string_value(json_object_get(o, "status")),
	    "firing");
	assert_int_equal(json_integer_value(json_object_get(o, "fired_at")),
	    FIRED + 250);
	assert_int_equal(json_integer_value(json_object_get(o, "step")), 1);
	assert_string_equal(json_string_value(json_object_get(o, "team")),
	    "vip_desk");
	assert_null(json_object_get(o, "unknown_field"));
	assert_null(json_object_get(o, "resolved_at"));
	json_decref(o);
	payload_clear(&p);

	assert_int_equal(payload_build(&hook, &a, PAYLOAD_RESOLVED,
	    FIRED + 60000, &p), 0);
	o = json_loads(p.body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "status")),
	    "resolved");
	assert_int_equal(json_integer_value(json_object_get(o,
	    "resolved_at")), FIRED + 60000);
	json_decref(o);
	payload_clear(&p);
	alert_clear(&a);
}

static void
test_slack_text(void **state)
{
	struct alert	 a;
	struct payload	 p;
	json_t		*o;
	const char	*text;

	vip(&a);
	assert_int_equal(payload_build(&slack, &a, PAYLOAD_FIRING, -1, &p), 0);
	o = json_loads(p.body, 0, NULL);
	text = json_string_value(json_object_get(o, "text"));
	assert_non_null(text);
	assert_string_equal(text, "Ticket VIP-1 (vip, critical) "
	    "first_response breach \xe2\x80\x94 paged Li Na. Due 2026-01-05 "
	    "01:00 UTC. Team vip_desk. 打印机 \"on fire\"");
	json_decref(o);
	payload_clear(&p);
	alert_clear(&a);
}

static void
test_stored_round_trip(void **state)
{
	struct alert	 a, b;
	const char	*why = NULL;
	char		*s;

	vip(&a);
	s = alert_to_json(&a);
	assert_non_null(s);
	assert_int_equal(alert_from_json(&b, s, &why), 0);
	for (int i = 0; i < ALERT_NFIELDS; i++)
		assert_string_equal(alert_get(&a, i), alert_get(&b, i));
	assert_int_equal(alert_fired_at(&b), FIRED + 250);
	assert_string_equal(alert_who(&b), "li_na");
	free(s);
	alert_clear(&a);
	alert_clear(&b);
	assert_int_equal(alert_from_json(&b, "[1]", &why), -1);
	assert_int_equal(alert_from_json(&b, "{\"ticket\":\"T\"}", &why), -1);
	alert_clear(&b);
}

static void
test_invalid_alerts(void **state)
{
	struct alert	 a;
	struct field	 f[8];
	const char	*why = NULL;
	size_t		 n;

	n = make(f, "metric", "first_response", "step", "0", "fired_at", "1",
	    NULL);
	assert_int_equal(alert_from_fields(&a, f, n, &why), -1);
	assert_string_equal(why, "the alert has no ticket");
	alert_clear(&a);
	n = make(f, "ticket", "T", "metric", "first_response", "step", "x",
	    "fired_at", "1", NULL);
	assert_int_equal(alert_from_fields(&a, f, n, &why), -1);
	alert_clear(&a);
	n = make(f, "ticket", "T", "metric", "speed", "step", "0",
	    "fired_at", "1", NULL);
	assert_int_equal(alert_from_fields(&a, f, n, &why), -1);
	alert_clear(&a);
}

static void
test_clock_stopped(void **state)
{
	assert_false(alert_clock_stopped("first_response", "open", 0));
	assert_true(alert_clock_stopped("first_response", "responded", 1));
	assert_true(alert_clock_stopped("first_response", "resolved", 0));
	/* Pending after a response: the first response was given. */
	assert_true(alert_clock_stopped("first_response", "pending", 1));
	assert_false(alert_clock_stopped("resolution", "responded", 1));
	assert_false(alert_clock_stopped("resolution", "pending", 1));
	assert_true(alert_clock_stopped("resolution", "resolved", 1));
	/* Expired after resolution. */
	assert_true(alert_clock_stopped("resolution", NULL, 0));
}

static void
test_rfc3339(void **state)
{
	char	buf[40];

	assert_int_equal(payload_rfc3339(0, buf, sizeof buf), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	assert_int_equal(payload_rfc3339(FIRED + 7, buf, sizeof buf), 0);
	assert_string_equal(buf, "2026-01-05T01:00:00.007Z");
	assert_int_equal(payload_rfc3339(FIRED, buf, 10), -1);
	assert_int_equal(payload_rfc3339(-5, buf, sizeof buf), -1);
}

static void
test_answers(void **state)
{
	assert_int_equal(payload_answer(200), PAYLOAD_ACCEPTED);
	assert_int_equal(payload_answer(202), PAYLOAD_ACCEPTED);
	assert_int_equal(payload_answer(400), PAYLOAD_REFUSED);
	assert_int_equal(payload_answer(404), PAYLOAD_REFUSED);
	assert_int_equal(payload_answer(408), PAYLOAD_RETRY);
	assert_int_equal(payload_answer(429), PAYLOAD_RETRY);
	assert_int_equal(payload_answer(500), PAYLOAD_RETRY);
	assert_int_equal(payload_answer(503), PAYLOAD_RETRY);
	assert_int_equal(payload_answer(0), PAYLOAD_RETRY);	/* no answer */
	assert_int_equal(payload_answer(302), PAYLOAD_RETRY);
}

/* 1 s doubling to 60 s, the last try on the give-up time, then -1. */
static void
test_backoff(void **state)
{
	const int64_t	day = 86400000, f = FIRED;
	const int64_t	want[] = { 1000, 2000, 4000, 8000, 16000, 32000, 60000,
			    60000 };

	for (int n = 1; n <= 8; n++)
		assert_int_equal(payload_retry_at(n, f + 5000, f, day),
		    f + 5000 + want[n - 1]);
	assert_int_equal(payload_retry_at(50, f + 5000, f, day), f + 65000);
	/* Near the end: the last attempt falls on the give-up time. */
	assert_int_equal(payload_retry_at(7, f + day - 10000, f, day), f + day);
	assert_int_equal(payload_retry_at(7, f + day, f, day), -1);
	assert_int_equal(payload_retry_at(1, f + day + 1, f, day), -1);
}

static void
test_expired(void **state)
{
	assert_false(payload_expired(FIRED + 1000, FIRED, 60000));
	assert_false(payload_expired(FIRED + 60000, FIRED, 60000));
	assert_true(payload_expired(FIRED + 60001, FIRED, 60000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alertmanager),
		cmocka_unit_test(test_alertmanager_without_oncall),
		cmocka_unit_test(test_webhook_json),
		cmocka_unit_test(test_slack_text),
		cmocka_unit_test(test_stored_round_trip),
		cmocka_unit_test(test_invalid_alerts),
		cmocka_unit_test(test_clock_stopped),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_expired),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
