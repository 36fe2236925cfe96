/*
 * test_argv.c - the command builder against hiredis itself: whatever is
 * pushed, argv_command() and argv_take() give byte for byte what
 * redisFormatCommandArgv() gives for the same arguments; a reset builder,
 * or one whose buffer was taken, starts empty; a call that outgrows the
 * buffer many times over is whole; argv_format_args() says the same of a
 * small command, and how much room it needs when it has too little.
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

#include "argv.h"

/* argv_command(a) is what hiredis makes of argv[0..argc). */
static void
expect_command(struct argv *a, int argc, const char **argv,
    const size_t *argvlen)
{
	const char	*got;
	char		*want;
	int		 wantlen;
	size_t		 gotlen;

	assert_int_equal(argv_count(a), argc);
	wantlen = redisFormatCommandArgv(&want, argc, argv, argvlen);
	assert_true(wantlen > 0);
	got = argv_command(a, &gotlen);
	assert_int_equal(gotlen, wantlen);
	assert_memory_equal(got, want, gotlen);
	/* Asked again, the same. */
	got = argv_command(a, &gotlen);
	assert_int_equal(gotlen, wantlen);
	assert_memory_equal(got, want, gotlen);
	free(want);
}

static void
test_every_kind_of_push(void **state)
{
	struct argv	*a = argv_new();
	const char	*argv[] = { "EVALSHA", "0123456789abcdef", "2",
			    "triage:{eu1}:sla", "", "a\0b", "-42",
			    "9223372036854775807", "x=7 y=seven" };
	size_t		 argvlen[] = { 7, 16, 1, 16, 0, 3, 3, 19, 11 };

	argv_push_str(a, "EVALSHA");
	argv_push(a, "0123456789abcdefIGNORED", 16);
	argv_push_num(a, 2);
	argv_push_fmt(a, "%s%s", "triage:{eu1}:", "sla");
	argv_push_str(a, "");
	argv_push(a, "a\0b", 3);		/* binary safe */
	argv_push_num(a, -42);
	argv_push_num(a, 9223372036854775807LL);
	argv_push_fmt(a, "x=%d y=%s", 7, "seven");
	expect_command(a, 9, argv, argvlen);
	argv_free(a);
}

/* Every length from 0 to 1,100: across the 1-, 2-, 3- and 4-digit headers. */
static void
test_lengths_across_digits(void **state)
{
	static char	 blob[1100];
	const char	*argv[1101];
	size_t		 argvlen[1101];
	struct argv	*a = argv_new();
	char		 small[64], *big, *want;
	int		 wantlen;
	size_t		 need, got;

	(void)state;
	memset(blob, 'x', sizeof blob);
	for (size_t i = 0; i <= 1100; i++) {
		argv[i] = blob;
		argvlen[i] = i;
		argv_push(a, blob, i);
	}
	expect_command(a, 1101, argv, argvlen);
	argv_free(a);

	wantlen = redisFormatCommandArgv(&want, 1101, argv, argvlen);
	need = argv_format_args(1101, argv, argvlen, small, sizeof small);
	assert_true(need >= (size_t)wantlen);
	big = malloc(need);
	got = argv_format_args(1101, argv, argvlen, big, need);
	assert_int_equal(got, wantlen);
	assert_memory_equal(big, want, got);
	free(big);
	free(want);

	/* Small enough: written in place. */
	wantlen = redisFormatCommandArgv(&want, 3, argv + 2, argvlen + 2);
	got = argv_format_args(3, argv + 2, argvlen + 2, small, sizeof small);
	assert_int_equal(got, wantlen);
	assert_memory_equal(small, want, got);
	free(want);
}

static void
test_reset_starts_empty(void **state)
{
	struct argv	*a = argv_new();
	const char	*argv[] = { "PING" };
	size_t		 argvlen[] = { 4 };

	for (int i = 0; i < 100; i++)
		argv_push_str(a, "leftover");
	argv_reset(a);
	assert_int_equal(argv_count(a), 0);
	argv_push_str(a, "PING");
	expect_command(a, 1, argv, argvlen);
	argv_free(a);
}

/*
 * Many arguments, long ones and formatted ones longer than the buffer's
 * first size: offsets stay right as the buffer moves; and an outsized
 * call, reset, builds the next one as well.
 */
static void
test_growth_and_outsized(void **state)
{
	struct argv	*a = argv_new();
	size_t		 n = 70000;	/* 70 of them 100 kB: outsized */
	const char	**argv = calloc(n, sizeof *argv);
	size_t		*argvlen = calloc(n, sizeof *argvlen);
	char		*big = malloc(100000), *text = calloc(n, 24);

	assert_non_null(argv);
	assert_non_null(argvlen);
	assert_non_null(big);
	assert_non_null(text);
	memset(big, 'v', 99999);
	big[99999] = '\0';
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < n; i++) {
			char	*t = text + 24 * i;

			if (i % 1000 == 7) {
				argv_push_fmt(a, "%s", big);
				argv[i] = big;
				argvlen[i] = strlen(big);
				continue;
			}
			snprintf(t, 24, "arg%zu", i);
			if (i % 2)
				argv_push_num(a, (long long)i);
			else
				argv_push_str(a, t);
			if (i % 2)
				snprintf(t, 24, "%zu", i);
			argv[i] = t;
			argvlen[i] = strlen(t);
		}
		expect_command(a, (int)n, argv, argvlen);
		argv_reset(a);
		assert_int_equal(argv_count(a), 0);
	}
	argv_free(a);
	argv_free(NULL);
	free(argv);
	free(argvlen);
	free(big);
	free(text);
}

/*
 * A taken command is the caller's, whole, after the builder goes on; the
 * builder starts empty; the next command, even one of more than 9 or 99
 * arguments, whose count needs more digits, is right too.
 */
static void
test_take(void **state)
{
	struct argv	*a = argv_new();
	const char	*argv[150], *got, *again;
	size_t		 argvlen[150], gotlen;
	char		*mem, *want, name[150][8];
	int		 wantlen;

	for (int i = 0; i < 150; i++) {
		snprintf(name[i], sizeof name[i], "k%d", i);
		argv[i] = name[i];
		argvlen[i] = strlen(name[i]);
	}
	for (int i = 0; i < 3; i++)
		argv_push_str(a, argv[i]);
	got = argv_take(a, &mem, &gotlen);
	assert_non_null(mem);
	assert_true(got >= mem);
	assert_int_equal(argv_count(a), 0);
	for (int i = 0; i < 150; i++)
		argv_push_str(a, argv[i]);
	expect_command(a, 150, argv, argvlen);
	wantlen = redisFormatCommandArgv(&want, 3, argv, argvlen);
	assert_int_equal(gotlen, wantlen);
	assert_memory_equal(got, want, gotlen);
	free(want);
	free(mem);

	/* An empty builder's command has no arguments. */
	argv_reset(a);
	again = argv_command(a, &gotlen);
	assert_int_equal(gotlen, 4);
	assert_memory_equal(again, "*0\r\n", 4);
	argv_free(a);

	a = argv_new();
	again = argv_take(a, &mem, &gotlen);
	assert_int_equal(gotlen, 4);
	assert_memory_equal(again, "*0\r\n", 4);
	free(mem);
	argv_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_of_push),
		cmocka_unit_test(test_lengths_across_digits),
		cmocka_unit_test(test_reset_starts_empty),
		cmocka_unit_test(test_growth_and_outsized),
		cmocka_unit_test(test_take),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
