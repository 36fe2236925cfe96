/*
 * test_request.c - request validation against the contract (§1.1): each
 * rejection reason, the sentence it carries, and what a valid request
 * yields (ticket ID and clock start).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "make_fields.h"

#include "config.h"
#include "request.h"

#define NOW	1764000000000LL		/* 2025-11-24T16:00:00Z */

static char	*channels[] = { "phone", "email", "chat", "web", "social" };

static struct config_intake intake = {
	.channels = channels,
	.nchannels = 5,
	.max_field_bytes = 200,
	.max_deliveries = 5,
};

static enum request_reason
check(struct request *rq, char *err, size_t n, struct field *f)
{
	return request_validate(&intake, "1764000000123-7", f, n, NOW, rq,
	    err, REQUEST_ERROR_MAX);
}

static void
test_valid_with_id(void **state)
{
	struct field	f[8];
	struct request	rq;
	char		err[REQUEST_ERROR_MAX];
	size_t		n = make(f, "customer_id", "C1", "channel", "phone", "id",
			    "GW-1.a_b:c-d", "subject", "无法登录", NULL);

	assert_int_equal(check(&rq, err, n, f), REQUEST_OK);
	assert_int_equal(rq.id_len, 12);
	assert_memory_equal(rq.id, "GW-1.a_b:c-d", 12);
	assert_int_equal(rq.created_at, 1764000000123LL);
	assert_int_equal(rq.customer_id_len, 2);
}

static void
test_valid_without_id_uses_entry(void **state)
{
	struct field	f[4];
	struct request	rq;
	char		err[REQUEST_ERROR_MAX];
	size_t		n = make(f, "customer_id", "C1", "channel", "web",
			    "received_at", "1763999999000", NULL);

	assert_int_equal(check(&rq, err, n, f), REQUEST_OK);
	assert_string_equal(rq.id, "1764000000123-7");
	assert_int_equal(rq.created_at, 1763999999000LL);
}

static void
test_missing_and_empty(void **state)
{
	struct field	f[4];
	struct request	rq;
	char		err[REQUEST_ERROR_MAX];
	size_t		n;

	n = make(f, "channel", "phone", NULL);
	assert_int_equal(check(&rq, err, n, f), REQUEST_MISSING_FIELD);
	assert_string_equal(err, "required field 'customer_id' is missing");
	n = make(f, "customer_id", "C1", "channel", "", NULL);
	assert_int_equal(check(&rq, err, n, f), REQUEST_MISSING_FIELD);
	assert_string_equal(err, "required field 'channel' is empty");
}

static void
test_bad_channel(void **state)
{
	struct field	f[4];
	struct request	rq;
	char		err[REQUEST_ERROR_MAX];
	size_t		n = make(f, "customer_id", "C1", "channel", "fax", NULL);

	assert_int_equal(check(&rq, err, n, f), REQUEST_BAD_CHANNEL);
	assert_non_null(strstr(err, "'fax' is not configured"));
}

static void
test_bad_ids(void **state)
{
	struct field	f[4];
	struct request	rq;
	char		err[REQUEST_ERROR_MAX], longid[130];
	size_t		n;

	n = make(f, "customer_id", "C1", "channel", "chat", "id", "a b", NULL);
	assert_int_equal(check(&rq, err, n, f), REQUEST_BAD_ID);
	memset(longid, 'x', 129);
	longid[129] = '\0';
	n = make(f, "customer_id", "C1", "channel", "chat", "id", longid, NULL);
	assert_int_equal(check(&rq, err, n, f), REQUEST_BAD_ID);
	longid[128] = '\0';	/* exactly 128 bytes is fine */
	n = make(f, "customer_id", "C1", "channel", "chat", "id", longid, NULL);
	assert_int_equal(check(&rq, err, n, f), REQUEST_OK);
}

static void
test_too_long_and_duplicate(void **state)
{
	struct field	f[4];
	struct request	rq;
	char		err[REQUEST_ERROR_MAX], body[202];
	size_t		n;

	memset(body, 'b', 201);
	body[201] = '\0';
	n = make(f, "customer_id", "C1", "channel", "chat", "body", body, NULL);
	assert_int_equal(check(&rq, err, n, f), REQUEST_FIELD_TOO_LONG);
	assert_non_null(strstr(err, "'body' is 201 bytes"));
	n = make(f, "customer_id", "C1", "channel", "chat", "channel", "web",
	    NULL);
	assert_int_equal(check(&rq, err, n, f), REQUEST_DUPLICATE_FIELD);
	assert_string_equal(err, "field 'channel' appears more than once");
}

static void
test_utf8(void **state)
{
	struct field	f[4];
	struct request	rq;
	char		err[REQUEST_ERROR_MAX];
	size_t		n;

	assert_true(request_utf8_valid("紧急 ok", strlen("紧急 ok")));
	assert_false(request_utf8_valid("\xc0\xaf", 2));	/* overlong */
	assert_false(request_utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	assert_false(request_utf8_valid("\xe7\xb4", 2));	/* truncated */
	assert_false(request_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_true(request_utf8_valid("\xf0\x9f\x98\x80", 4));	/* emoji */
	/*
	 * ASCII is checked eight bytes at a time: a bad byte, or a sequence
	 * cut by the end, at every position around those eight.
	 */
	for (size_t at = 0; at < 20; at++) {
		char	buf[24];

		memset(buf, 'a', sizeof buf);
		buf[at] = '\xff';
		assert_false(request_utf8_valid(buf, at + 1));
		assert_false(request_utf8_valid(buf, sizeof buf));
		assert_true(request_utf8_valid(buf, at));
		memcpy(buf + at, "\xe7\xb4\xa7", 3);	/* 紧 */
		assert_true(request_utf8_valid(buf, sizeof buf));
		assert_true(request_utf8_valid(buf, at + 3));
		assert_false(request_utf8_valid(buf, at + 2));
	}
	n = make(f, "customer_id", "C1", "channel", "chat", "subject",
	    "bad \xff", NULL);
	assert_int_equal(check(&rq, err, n, f), REQUEST_BAD_UTF8);
	assert_string_equal(err, "field 'subject' is not valid UTF-8");
}

static void
test_received_at(void **state)
{
	struct field	f[4];
	struct request	rq;
	char		err[REQUEST_ERROR_MAX];
	const char	*bad[] = { "", "12ab", "-5", "946684799999",
			    "1764086400001", "99999999999999999" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n = make(f, "customer_id", "C1", "channel", "chat",
		    "received_at", bad[i], NULL);

		assert_int_equal(check(&rq, err, n, f),
		    REQUEST_BAD_RECEIVED_AT);
	}
	/* Exactly a day ahead of now is still plausible. */
	size_t n = make(f, "customer_id", "C1", "channel", "chat",
	    "received_at", "1764086400000", NULL);
	assert_int_equal(check(&rq, err, n, f), REQUEST_OK);
}

static void
test_too_many_fields(void **state)
{
	static struct field	f[REQUEST_MAX_FIELDS + 1];
	static char		names[REQUEST_MAX_FIELDS + 1][8];
	struct request		rq;
	char			err[REQUEST_ERROR_MAX];
	size_t			n = make(f, "customer_id", "C1", "channel",
				    "chat", NULL);

	for (; n < REQUEST_MAX_FIELDS; n++) {
		snprintf(names[n], sizeof names[n], "f%zu", n);
		f[n] = (struct field){ names[n], strlen(names[n]), "v", 1 };
	}
	assert_int_equal(check(&rq, err, n, f), REQUEST_OK);
	f[n] = (struct field){ "extra", 5, "v", 1 };
	assert_int_equal(check(&rq, err, n + 1, f), REQUEST_MALFORMED);
	assert_non_null(strstr(err, "at most 1000"));
}

static void
test_customer_key(void **state)
{
	struct field	f[4];
	char		key[32];
	size_t		n = make(f, "customer_id", "C42", "region", "eu", NULL);

	assert_int_equal(request_customer_key("crm:customer:{customer_id}", f,
	    n, key, sizeof key), 0);
	assert_string_equal(key, "crm:customer:C42");
	assert_int_equal(request_customer_key("crm:{region}:{customer_id}", f,
	    n, key, sizeof key), 0);
	assert_string_equal(key, "crm:eu:C42");
	/* A field the request lacks expands to nothing; a lone { is kept. */
	assert_int_equal(request_customer_key("c:{nope}:{x", f, n, key,
	    sizeof key), 0);
	assert_string_equal(key, "c::{x");
	assert_int_equal(request_customer_key("a-very-long-prefix:{customer_id}",
	    f, n, key, 20), -1);
}

/* The ticket's own state may not come from a request; `tier` may. */
static void
test_reserved_fields(void **state)
{
	static const char	*names[] = {
		"rev", "first_response_gen", "fired:first_response:0",
		"first_response_at", "resolution_spent", "status", "policy",
		"team", "urgency", "score", "ticket_id", "paused_at",
		"resolution_due",
	};
	struct field		 f[4];
	struct request		 rq;
	char			 err[REQUEST_ERROR_MAX];
	size_t			 n;

	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		n = make(f, "customer_id", "C1", "channel", "web", names[i],
		    "x", NULL);
		assert_int_equal(check(&rq, err, n, f), REQUEST_RESERVED_FIELD);
		assert_non_null(strstr(err, names[i]));
		assert_non_null(strstr(err, "reserved"));
		assert_true(request_field_reserved(names[i], strlen(names[i])));
	}
	assert_string_equal(request_reason_name(REQUEST_RESERVED_FIELD),
	    "reserved_field");
	n = make(f, "customer_id", "C1", "channel", "web", "tier", "vip",
	    NULL);
	assert_int_equal(check(&rq, err, n, f), REQUEST_OK);
	/* Near misses are ordinary fields. */
	assert_false(request_field_reserved("revenue", 7));
	assert_false(request_field_reserved("first_response", 14));
	assert_false(request_field_reserved("resolution", 10));
	assert_false(request_field_reserved("statuses", 8));
}

static void
test_entry_ms(void **state)
{
	assert_int_equal(request_entry_ms("1764000000123-7"), 1764000000123LL);
	assert_int_equal(request_entry_ms("5"), 5);
	assert_int_equal(request_entry_ms("x-1"), -1);
	assert_int_equal(request_entry_ms("12a-1"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_with_id),
		cmocka_unit_test(test_valid_without_id_uses_entry),
		cmocka_unit_test(test_missing_and_empty),
		cmocka_unit_test(test_bad_channel),
		cmocka_unit_test(test_bad_ids),
		cmocka_unit_test(test_too_long_and_duplicate),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_received_at),
		cmocka_unit_test(test_too_many_fields),
		cmocka_unit_test(test_customer_key),
		cmocka_unit_test(test_entry_ms),
		cmocka_unit_test(test_reserved_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
