/*
 * test_reply_arena.c - replies read with reply_arena_functions are the
 * same trees hiredis' own functions make: the same protocol bytes fed to
 * two readers, one with each, and the trees compared node by node.
 * Nested arrays, nil, integers, errors and status, a string bigger than a
 * block, ten thousand elements, and the bytes fed one at a time (the root
 * is made before its elements arrive).  Under the sanitizers this is also
 * the check that a tree is freed whole and nothing is read out of bounds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "reply_arena.h"

/* Growing protocol text. */
struct text {
	char	*s;
	size_t	 len, cap;
};

static void
add(struct text *t, const char *s, size_t len)
{
	if (t->len + len + 1 > t->cap) {
		t->cap = (t->len + len + 1) * 2;
		t->s = realloc(t->s, t->cap);
		assert_non_null(t->s);
	}
	memcpy(t->s + t->len, s, len);
	t->len += len;
	t->s[t->len] = '\0';
}

static void
addf(struct text *t, const char *fmt, ...)
{
	char	buf[128];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof buf);
	add(t, buf, (size_t)n);
}

static void
bulk(struct text *t, const char *s, size_t len)
{
	addf(t, "$%zu\r\n", len);
	add(t, s, len);
	add(t, "\r\n", 2);
}

static void
expect_same(const redisReply *a, const redisReply *b)
{
	assert_int_equal(a->type, b->type);
	switch (a->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
	case REDIS_REPLY_ERROR:
		assert_int_equal(a->len, b->len);
		assert_memory_equal(a->str, b->str, a->len);
		assert_int_equal(b->str[b->len], '\0');
		break;
	case REDIS_REPLY_INTEGER:
		assert_true(a->integer == b->integer);
		break;
	case REDIS_REPLY_ARRAY:
		assert_int_equal(a->elements, b->elements);
		for (size_t i = 0; i < a->elements; i++)
			expect_same(a->element[i], b->element[i]);
		break;
	default:
		break;
	}
}

/* One reply out of t, through both readers, fed step bytes at a time. */
static void
read_both(const struct text *t, size_t step)
{
	redisReader	*plain = redisReaderCreate();
	redisReader	*arena = redisReaderCreateWithFunctions(
			    &reply_arena_functions);
	void		*want = NULL, *got = NULL;

	assert_non_null(plain);
	assert_non_null(arena);
	assert_int_equal(redisReaderFeed(plain, t->s, t->len), REDIS_OK);
	assert_int_equal(redisReaderGetReply(plain, &want), REDIS_OK);
	assert_non_null(want);
	for (size_t off = 0; off < t->len && got == NULL; off += step) {
		size_t	n = t->len - off < step ? t->len - off : step;

		assert_int_equal(redisReaderFeed(arena, t->s + off, n),
		    REDIS_OK);
		assert_int_equal(redisReaderGetReply(arena, &got), REDIS_OK);
	}
	assert_non_null(got);
	expect_same(want, got);
	freeReplyObject(want);
	reply_arena_functions.freeObject(got);
	redisReaderFree(plain);
	redisReaderFree(arena);
}

static void
test_every_type_nested(void **state)
{
	struct text	t = { 0 };

	(void)state;
	/* [ "ID", ["f", "v", nil, 42, [[-7]]], -ERR, +OK, *-1, [] ] */
	add(&t, "*6\r\n", 4);
	bulk(&t, "1700000000000-0", 15);
	add(&t, "*5\r\n", 4);
	bulk(&t, "field", 5);
	bulk(&t, "", 0);
	add(&t, "$-1\r\n", 5);
	add(&t, ":42\r\n", 5);
	add(&t, "*1\r\n*1\r\n:-7\r\n", 13);
	add(&t, "-ERR wrong\r\n", 12);
	add(&t, "+OK\r\n", 5);
	add(&t, "*-1\r\n", 5);
	add(&t, "*0\r\n", 4);
	read_both(&t, t.len);
	read_both(&t, 1);
	free(t.s);
}

static void
test_big_and_many(void **state)
{
	struct text	 t = { 0 };
	char		*big = malloc(200 * 1024);

	(void)state;
	assert_non_null(big);
	for (size_t i = 0; i < 200 * 1024; i++)
		big[i] = (char)('a' + i % 26);
	/* A small string, one past every block size, then many small. */
	add(&t, "*10003\r\n", 8);
	bulk(&t, "x", 1);
	bulk(&t, big, 200 * 1024);
	bulk(&t, big, 64 * 1024 + 1);
	for (int i = 0; i < 10000; i++) {
		char	s[16];
		int	n = snprintf(s, sizeof s, "v%d", i);

		bulk(&t, s, (size_t)n);
	}
	read_both(&t, t.len);
	read_both(&t, 4093);
	free(big);
	free(t.s);
}

/* A bare string or integer is a root with no array around it. */
static void
test_lone_roots(void **state)
{
	struct text	t = { 0 };

	(void)state;
	bulk(&t, "alone", 5);
	read_both(&t, 1);
	t.len = 0;
	add(&t, ":123456789012\r\n", 15);
	read_both(&t, t.len);
	t.len = 0;
	add(&t, "$-1\r\n", 5);
	read_both(&t, t.len);
	free(t.s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type_nested),
		cmocka_unit_test(test_big_and_many),
		cmocka_unit_test(test_lone_roots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
