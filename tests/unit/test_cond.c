/*
 * test_cond.c - the matchers of CONTRACT §2.1, one by one, on slot values
 * built by hand, plus the name table and the three-valued evaluation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <regex.h>

#include "cond.h"

static struct cond_value	slots[COND_MAX_SLOTS];

/* A field slot for these tests: the first free after the facts. */
#define F	COND_NFACTS

static void
set(int slot, const char *v)
{
	cond_value_set(&slots[slot], v, v == NULL ? 0 : strlen(v));
}

static int
setup(void **state)
{
	memset(slots, 0, sizeof slots);
	return 0;
}

/* Evaluate c with field F set to v (NULL: missing). */
static int
eval_with(const struct cond *c, const char *v)
{
	set(F, v);
	return cond_eval(c, slots);
}

static void
test_eq_scalar(void **state)
{
	char		*v[] = { "phone" };
	struct cond	*c = cond_new_eq(F, 0, v, 1);

	assert_true(eval_with(c, "phone"));
	assert_false(eval_with(c, "Phone"));	/* exact, with case */
	assert_false(eval_with(c, "phones"));
	assert_false(eval_with(c, "phon"));
	assert_false(eval_with(c, ""));
	assert_false(eval_with(c, NULL));	/* missing is false */
	cond_free(c);
}

static void
test_in_list(void **state)
{
	char		*v[] = { "technical", "outage" };
	struct cond	*c = cond_new_eq(F, 0, v, 2);

	assert_true(eval_with(c, "technical"));
	assert_true(eval_with(c, "outage"));
	assert_false(eval_with(c, "billing"));
	assert_false(eval_with(c, NULL));
	cond_free(c);
}

static void
test_ne_not_in(void **state)
{
	char		*one[] = { "spam" }, *two[] = { "a", "b" };
	struct cond	*ne = cond_new_eq(F, 1, one, 1);
	struct cond	*notin = cond_new_eq(F, 1, two, 2);

	assert_false(eval_with(ne, "spam"));
	assert_true(eval_with(ne, "ham"));
	assert_true(eval_with(ne, NULL));	/* missing is not equal */
	assert_false(eval_with(notin, "a"));
	assert_false(eval_with(notin, "b"));
	assert_true(eval_with(notin, "c"));
	assert_true(eval_with(notin, NULL));
	cond_free(ne);
	cond_free(notin);
}

static void
test_numbers(void **state)
{
	struct cond	*gt = cond_new_cmp(F, COND_GT, 100);
	struct cond	*gte = cond_new_cmp(F, COND_GTE, 100);
	struct cond	*lt = cond_new_cmp(F, COND_LT, 100);
	struct cond	*lte = cond_new_cmp(F, COND_LTE, 100);
	struct cond	*range = cond_new_all();

	assert_false(eval_with(gt, "100"));
	assert_true(eval_with(gt, "100.5"));
	assert_true(eval_with(gte, "100"));
	assert_true(eval_with(gte, "1e3"));
	assert_false(eval_with(gte, "99.999"));
	assert_true(eval_with(lt, "-5"));
	assert_false(eval_with(lt, "100"));
	assert_true(eval_with(lte, "100"));
	assert_true(eval_with(lte, "+100.0"));

	/* Not a number in full: false for every comparison. */
	assert_false(eval_with(gte, "100abc"));
	assert_false(eval_with(lte, "abc"));
	assert_false(eval_with(lte, " 50"));
	assert_false(eval_with(lte, ""));
	assert_false(eval_with(gte, "inf"));
	assert_false(eval_with(lte, "nan"));
	assert_false(eval_with(lte, "1e999"));
	assert_false(eval_with(gte, NULL));
	assert_false(eval_with(lt, NULL));

	/* Several keys in one mapping all hold: 10 <= x < 20. */
	cond_add(range, cond_new_cmp(F, COND_GTE, 10));
	cond_add(range, cond_new_cmp(F, COND_LT, 20));
	assert_true(eval_with(range, "10"));
	assert_true(eval_with(range, "19.5"));
	assert_false(eval_with(range, "20"));
	assert_false(eval_with(range, "9"));
	cond_free(gt);
	cond_free(gte);
	cond_free(lt);
	cond_free(lte);
	cond_free(range);
}

static void
test_number_not_terminated(void **state)
{
	struct cond	*c = cond_new_cmp(F, COND_GTE, 100);
	const char	 buf[] = "5000000";

	/* A value borrowed from a reply is not NUL-terminated: "50". */
	cond_value_set(&slots[F], buf, 2);
	assert_false(cond_eval(c, slots));
	assert_int_equal(slots[F].numstate, 1);
	assert_true(slots[F].num == 50.0);
	cond_free(c);
}

static void
test_parse_number(void **state)
{
	double	d;

	assert_int_equal(cond_parse_number("42", 2, &d), 0);
	assert_true(d == 42.0);
	assert_int_equal(cond_parse_number("-0.5", 4, &d), 0);
	assert_true(d == -0.5);
	assert_int_equal(cond_parse_number(".5", 2, &d), 0);
	assert_int_equal(cond_parse_number("1,5", 3, &d), -1);
	assert_int_equal(cond_parse_number("", 0, &d), -1);
	assert_int_equal(cond_parse_number("Infinity", 8, &d), -1);
	assert_int_equal(cond_parse_number("12 ", 3, &d), -1);
}

/* Decimal only: strtod() would take every one of the refused forms. */
static void
test_parse_number_decimal_only(void **state)
{
	static const char	*good[] = {
		"7", "+7", "-7", "1.", "1.5", ".5", "-.5", "1e3", "1E+3",
		"2.5e-3", "00012", "100000"
	};
	static const char	*bad[] = {
		"0x186A0", "0X10", "0x1p17", "-0x10", "0x", "inf", "-inf",
		"+INF", "infinity", "nan", "NaN", "nan(1)", "1e", "1e+", "e5",
		".", "-", "+", ".e1", "1.2.3", "1e5.5", " 1", "1 ", "1_000",
		"1e999", "-1e999", "١٢"
	};
	struct cond	*gte = cond_new_cmp(F, COND_GTE, 100);
	double		 d;
	size_t		 i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (cond_parse_number(good[i], strlen(good[i]), &d) != 0)
			fail_msg("refused '%s'", good[i]);
	}
	assert_int_equal(cond_parse_number("2.5e-3", 6, &d), 0);
	assert_true(d == 2.5e-3);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (cond_parse_number(bad[i], strlen(bad[i]), &d) != -1)
			fail_msg("took '%s' as %g", bad[i], d);
	}
	/* 0x186A0 is 100000 to strtod(); to a condition, not a number. */
	assert_true(eval_with(gte, "100000"));
	assert_false(eval_with(gte, "0x186A0"));
	assert_false(eval_with(gte, "0x1p17"));
	assert_false(eval_with(gte, "inf"));
	cond_free(gte);
}

static void
test_contains_ascii_case(void **state)
{
	char		*v[] = { "Urgent", "down" };
	struct cond	*c = cond_new_contains(F, v, 2);

	assert_true(eval_with(c, "URGENT: please call"));
	assert_true(eval_with(c, "this is urgent"));
	assert_true(eval_with(c, "site is DoWn"));
	assert_true(eval_with(c, "urgent"));
	assert_false(eval_with(c, "urgen"));
	assert_false(eval_with(c, "all good"));
	assert_false(eval_with(c, ""));
	assert_false(eval_with(c, NULL));
	cond_free(c);
}

static void
test_contains_chinese(void **state)
{
	char		*v[] = { "紧急", "无法登录" };
	struct cond	*c = cond_new_contains(F, v, 2);

	assert_true(eval_with(c, "系统紧急故障"));
	assert_true(eval_with(c, "用户无法登录，请处理"));
	assert_true(eval_with(c, "URGENT 紧急"));
	assert_false(eval_with(c, "紧 急"));
	assert_false(eval_with(c, "无法"));
	cond_free(c);
}

static void
test_contains_non_ascii_exact(void **state)
{
	char		*v[] = { "café" };
	struct cond	*c = cond_new_contains(F, v, 1);

	/* ASCII letters fold, other bytes compare exactly. */
	assert_true(eval_with(c, "CAFé au lait"));
	assert_false(eval_with(c, "CAFÉ au lait"));
	cond_free(c);
}

static void
test_regex(void **state)
{
	char		 err[128];
	struct cond	*c = cond_new_regex(F, "^[A-Z]{3}-[0-9]+$", err,
			    sizeof err);
	const char	 buf[] = "ABC-123 trailing";

	assert_non_null(c);
	assert_true(eval_with(c, "ABC-123"));
	assert_false(eval_with(c, "abc-123"));
	assert_false(eval_with(c, "ABC-"));
	assert_false(eval_with(c, NULL));
	/* The value ends at its length, not at a NUL. */
	slots[F].ptr = buf;
	slots[F].len = 7;
	assert_true(cond_eval(c, slots));
	slots[F].len = strlen(buf);
	assert_false(cond_eval(c, slots));
	cond_free(c);

	c = cond_new_regex(F, "密码|password", err, sizeof err);
	assert_non_null(c);
	assert_true(eval_with(c, "忘记密码了"));
	assert_false(eval_with(c, "PASSWORD"));	/* regex keeps case */
	cond_free(c);
}

static void
test_regex_bad(void **state)
{
	char	err[128] = "";

	assert_null(cond_new_regex(F, "([a-z", err, sizeof err));
	assert_true(strlen(err) > 0);
	err[0] = '\0';
	assert_null(cond_new_regex(F, "a{2,1}", err, sizeof err));
	assert_true(strlen(err) > 0);
	/* Bad as written, though regcomp() takes them once wrapped. */
	err[0] = '\0';
	assert_null(cond_new_regex(F, "${", err, sizeof err));
	assert_true(strlen(err) > 0);
	assert_null(cond_new_regex(F, "{.+3-+", err, sizeof err));
}

/* A field of len bytes: fill, with the text at at (if any). */
static char *
subject(size_t len, char fill, const char *text, size_t at)
{
	char	*s = malloc(len + 1);

	assert_non_null(s);
	memset(s, fill, len);
	if (text != NULL)
		memcpy(s + at, text, strlen(text));
	s[len] = '\0';
	return s;
}

/*
 * A regex sees the first COND_REGEX_MAX_BYTES of a field (cond.h): a match
 * inside them is found however long the field, one that ends past them is
 * not, and `$` does not match where the field was cut.
 */
static void
test_regex_bounded(void **state)
{
	char		 err[256];
	struct cond	*xy = cond_new_regex(F, "x.*y", err, sizeof err);
	struct cond	*end = cond_new_regex(F, "y$", err, sizeof err);
	struct cond	*ord = cond_new_regex(F, "ORD-[0-9]{6}", err,
			    sizeof err);
	char		*s;
	int		 i;

	assert_non_null(xy);
	assert_non_null(end);
	assert_non_null(ord);

	/* 64,000 bytes of x: no y, no match (and no quadratic search). */
	s = subject(64000, 'x', NULL, 0);
	assert_false(eval_with(xy, s));
	free(s);

	/* The y within the bound: found, past it: not. */
	s = subject(64000, 'x', "y", COND_REGEX_MAX_BYTES - 1);
	assert_true(eval_with(xy, s));
	free(s);
	s = subject(64000, 'x', "y", COND_REGEX_MAX_BYTES);
	assert_false(eval_with(xy, s));
	free(s);
	s = subject(64000, 'x', "y", 63999);
	assert_false(eval_with(xy, s));
	free(s);

	/* A match that straddles the bound is not found either. */
	s = subject(64000, ' ', "ORD-123456", COND_REGEX_MAX_BYTES - 10);
	assert_true(eval_with(ord, s));
	free(s);
	s = subject(64000, ' ', "ORD-123456", COND_REGEX_MAX_BYTES - 9);
	assert_false(eval_with(ord, s));
	free(s);

	/* `$` is the end of the field, not of what the regex sees. */
	s = subject(COND_REGEX_MAX_BYTES, 'x', "y", COND_REGEX_MAX_BYTES - 1);
	assert_true(eval_with(end, s));
	free(s);
	s = subject(COND_REGEX_MAX_BYTES + 1, 'x', "y",
	    COND_REGEX_MAX_BYTES - 1);
	assert_false(eval_with(end, s));
	free(s);

	/* The same answers after the regex has been compiled afresh. */
	s = subject(64000, 'x', "y", 100);
	for (i = 0; i < 50; i++) {
		assert_true(eval_with(xy, s));
		s[100] = 'x';
		assert_false(eval_with(xy, s));
		s[100] = 'y';
	}
	free(s);
	cond_free(xy);
	cond_free(end);
	cond_free(ord);
}

/*
 * Within the bound the condition answers as regexec() on the pattern as
 * written: the anchored form it is compiled to (cond.c) changes the cost,
 * not the answer.
 */
static void
test_regex_same_answers(void **state)
{
	static const char	*patterns[] = {
		"x.*y", "^abc", "abc$", "^a|b", "a$|^b", "(a|b)*c", "a)",
		"a)|b", "(x)(y)|z)", "[)]x", "\\)", "a*", "", "()", "[]a]b",
		"[[:digit:]]{2}", "[^a-z]", "a{,2}b", "(^a)", "(b$)",
		"密码", "\\bword\\b", "-|^a", "^,*a+", "(^a|b)c", "a$|b", ",{,}"
	};
	static const char	*subjects[] = {
		"", "abc", "xabc", "abcx", "b", "xb", "a", "xa", "ba", "ccc",
		"a)", "xa)x", "b)", "xy", "x\ny", "z)", "x", ")x", ")", "]b",
		"ab", "12", "1", "aab", "aaab", "ABC", "我的密码", "a word here",
		"swordfish", "\na", "x\nab", "\nac", "a\nb", "a\n", ",,aa"
	};
	struct cond	*c;
	regex_t		 re;
	regmatch_t	 m;
	char		 err[256], nul[] = "ab\0cxy";
	size_t		 i, j;
	int		 want;

	for (i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
		c = cond_new_regex(F, patterns[i], err, sizeof err);
		if (c == NULL)
			fail_msg("refused '%s': %s", patterns[i], err);
		assert_int_equal(regcomp(&re, patterns[i], REG_EXTENDED |
		    REG_NOSUB), 0);
		for (j = 0; j < sizeof subjects / sizeof subjects[0]; j++) {
			want = regexec(&re, subjects[j], 0, NULL, 0) == 0;
			if (eval_with(c, subjects[j]) != want)
				fail_msg("'%s' on '%s': want %d", patterns[i],
				    subjects[j], want);
		}
		/* A NUL byte before the match does not hide it. */
		m.rm_so = 0;
		m.rm_eo = sizeof nul - 1;
		want = regexec(&re, nul, 1, &m, REG_STARTEND) == 0;
		cond_value_set(&slots[F], nul, sizeof nul - 1);
		if (cond_eval(c, slots) != want)
			fail_msg("'%s' on a NUL byte: want %d", patterns[i],
			    want);
		regfree(&re);
		cond_free(c);
	}

	/*
	 * ^ is the start of the field only, as POSIX has it without
	 * REG_NEWLINE; glibc as written also takes it after a newline when
	 * something comes before it in the pattern.
	 */
	c = cond_new_regex(F, ".^a", err, sizeof err);
	assert_non_null(c);
	assert_false(eval_with(c, "\na"));
	assert_false(eval_with(c, "xa"));
	cond_free(c);
}

/* What regcomp() would spend seconds or the stack on is refused first. */
static void
test_regex_limits(void **state)
{
	static const struct {
		const char	*re, *why;
	} bad[] = {
		{ "((a{1,100}){1,100}){1,100}", "repetitions nested inside "
		    "each other make 10000 copies at character 12 (at most "
		    "1000)" },
		{ "(a{1,10}){1,101}", "repetitions nested inside each other "
		    "make 1010 copies at character 10 (at most 1000)" },
		{ "a{256}", "count '{256}' at character 2 is over 255" },
		{ "x{1,1000}", "count '{1,1000}' at character 2 is over 255" },
		{ "x{99999999999}", "count '{99999999999}' at character 2 is "
		    "over 255" },
		{ "(abcdefghij){1,201}", "it expands to more than 2000 "
		    "positions, repetitions counted" },
		{ "(a)\\1", "back-reference '\\1' at character 4 (not part of "
		    "POSIX extended regular expressions, and it can take "
		    "exponential time)" },
		/* regcomp() takes seconds over this one as written. */
		{ "^(a|b?){0,250}", "it has more than 64 optional parts (?, "
		    "*, {0,n} and the like), repetitions counted" },
		{ "(a|b?){0,33}", "it has more than 64 optional parts (?, *, "
		    "{0,n} and the like), repetitions counted" },
	};
	static const char	*good[] = {
		"a{255}", "a{255,}", "x{,5}", "(a{10}){100}", "a{0,250}",
		"(abcdefghij){1,200}", "[0-9]{3}-[0-9]{4}", "a{2}{3}",
		"[\\1]", "\\\\1", "(a|b?){0,32}", "https?://[^ ]+",
		"([A-Z][a-z]*[ ]?){0,10}"
	};
	struct cond	*c;
	char		 err[256], *deep;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_null(cond_new_regex(F, bad[i].re, err, sizeof err));
		assert_string_equal(err, bad[i].why);
	}
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		if ((c = cond_new_regex(F, good[i], err, sizeof err)) == NULL)
			fail_msg("refused '%s': %s", good[i], err);
		cond_free(c);
	}

	/* Groups nested 64 deep compile; 65 are refused, 100000 too. */
	deep = malloc(2 * 100000 + 2);
	assert_non_null(deep);
	memset(deep, '(', COND_REGEX_MAX_DEPTH);
	deep[COND_REGEX_MAX_DEPTH] = 'a';
	memset(deep + COND_REGEX_MAX_DEPTH + 1, ')', COND_REGEX_MAX_DEPTH);
	deep[2 * COND_REGEX_MAX_DEPTH + 1] = '\0';
	c = cond_new_regex(F, deep, err, sizeof err);
	assert_non_null(c);
	assert_true(eval_with(c, "xay"));
	cond_free(c);
	memset(deep, '(', 100000);
	deep[100000] = 'a';
	memset(deep + 100001, ')', 100000);
	deep[200001] = '\0';
	assert_null(cond_new_regex(F, deep, err, sizeof err));
	assert_string_equal(err, "groups nested more than 64 deep at "
	    "character 65");
	free(deep);
}

static void
test_exists(void **state)
{
	struct cond	*yes = cond_new_exists(F, 1);
	struct cond	*no = cond_new_exists(F, 0);

	assert_true(eval_with(yes, "x"));
	assert_false(eval_with(yes, ""));	/* empty counts as absent */
	assert_false(eval_with(yes, NULL));
	assert_false(eval_with(no, "x"));
	assert_true(eval_with(no, ""));
	assert_true(eval_with(no, NULL));
	cond_free(yes);
	cond_free(no);
}

static void
test_combinators(void **state)
{
	char		*phone[] = { "phone" }, *outage[] = { "outage" };
	struct cond	*all = cond_new_all(), *any = cond_new_any(), *not;

	/* all: channel = phone and category = outage */
	cond_add(all, cond_new_eq(F, 0, phone, 1));
	cond_add(all, cond_new_eq(F + 1, 0, outage, 1));
	/* any: channel = phone or category = outage */
	cond_add(any, cond_new_eq(F, 0, phone, 1));
	cond_add(any, cond_new_eq(F + 1, 0, outage, 1));
	not = cond_new_not(cond_new_eq(F, 0, phone, 1));

	set(F, "phone");
	set(F + 1, "outage");
	assert_true(cond_eval(all, slots));
	assert_true(cond_eval(any, slots));
	assert_false(cond_eval(not, slots));
	set(F + 1, "billing");
	assert_false(cond_eval(all, slots));
	assert_true(cond_eval(any, slots));
	set(F, "email");
	assert_false(cond_eval(any, slots));
	assert_true(cond_eval(not, slots));
	set(F, NULL);
	assert_true(cond_eval(not, slots));	/* not(missing = x) */
	cond_free(all);
	cond_free(any);
	cond_free(not);
}

static void
test_empty_and_null(void **state)
{
	struct cond	*all = cond_new_all(), *any = cond_new_any();

	assert_true(cond_eval(NULL, slots));	/* no `when` */
	assert_true(cond_eval(all, slots));	/* `when: {}` */
	assert_false(cond_eval(any, slots));
	assert_int_equal(cond_count(all), 0);
	cond_free(all);
	cond_free(any);
	cond_free(NULL);
}

static void
test_eval3(void **state)
{
	unsigned char	 known[COND_MAX_SLOTS];
	char		*vip[] = { "vip" }, *phone[] = { "phone" };
	struct cond	*both = cond_new_all(), *either = cond_new_any();

	memset(known, 0, sizeof known);
	known[COND_SLOT_TIER] = 1;
	cond_add(both, cond_new_eq(COND_SLOT_TIER, 0, vip, 1));
	cond_add(both, cond_new_eq(F, 0, phone, 1));
	cond_add(either, cond_new_eq(COND_SLOT_TIER, 0, vip, 1));
	cond_add(either, cond_new_eq(F, 0, phone, 1));

	set(COND_SLOT_TIER, "vip");
	assert_int_equal(cond_eval3(both, slots, known), COND_UNKNOWN);
	assert_int_equal(cond_eval3(either, slots, known), COND_TRUE);
	set(COND_SLOT_TIER, "standard");
	assert_int_equal(cond_eval3(both, slots, known), COND_FALSE);
	assert_int_equal(cond_eval3(either, slots, known), COND_UNKNOWN);
	assert_int_equal(cond_eval3(NULL, slots, known), COND_TRUE);
	cond_free(both);
	cond_free(either);
}

static void
test_names(void **state)
{
	struct cond_names	*cn = cond_names_new();
	int			 sev, lvl, lvl2;

	assert_int_equal(cond_names_intern(cn, "tier"), COND_SLOT_TIER);
	assert_int_equal(cond_names_intern(cn, "urgency"), COND_SLOT_URGENCY);
	assert_int_equal(cond_names_intern(cn, "score"), COND_SLOT_SCORE);
	assert_int_equal(cond_names_intern(cn, "team"), COND_SLOT_TEAM);
	sev = cond_names_intern(cn, "severity");
	lvl = cond_names_intern(cn, "customer.level");
	lvl2 = cond_names_intern(cn, "level");
	assert_true(sev >= COND_NFACTS);
	assert_int_not_equal(lvl, lvl2);
	assert_int_equal(cond_names_intern(cn, "severity"), sev);
	assert_int_equal(cond_names_count(cn), COND_NFACTS + 3);
	assert_string_equal(cond_names_name(cn, lvl), "customer.level");

	assert_int_equal(cond_names_request(cn, "severity", 8), sev);
	assert_int_equal(cond_names_request(cn, "severityX", 8), sev);
	assert_int_equal(cond_names_request(cn, "level", 5), lvl2);
	assert_int_equal(cond_names_customer(cn, "level", 5), lvl);
	/* A request cannot forge a CRM field nor set a fact. */
	assert_int_equal(cond_names_request(cn, "customer.level", 14), -1);
	assert_int_equal(cond_names_request(cn, "tier", 4), -1);
	assert_int_equal(cond_names_request(cn, "team", 4), -1);
	assert_int_equal(cond_names_customer(cn, "severity", 8), -1);
	assert_int_equal(cond_names_request(cn, "nope", 4), -1);
	cond_names_free(cn);
}

static void
test_names_full(void **state)
{
	struct cond_names	*cn = cond_names_new();
	char			 name[32];
	int			 i;

	for (i = COND_NFACTS; i < COND_MAX_SLOTS; i++) {
		snprintf(name, sizeof name, "f%d", i);
		assert_int_equal(cond_names_intern(cn, name), i);
	}
	assert_int_equal(cond_names_intern(cn, "one_too_many"), -1);
	assert_int_equal(cond_names_intern(cn, "f100"), 100);
	assert_int_equal(cond_names_request(cn, "f511", 4), 511);
	cond_names_free(cn);
}

static void
test_print(void **state)
{
	struct cond_names	*cn = cond_names_new();
	char			*vip[] = { "vip" }, *cats[] = { "a", "b" };
	char			*buf = NULL;
	size_t			 len = 0;
	struct cond		*all = cond_new_all(), *any = cond_new_any();
	FILE			*f;
	int			 lvl, cat, ov;

	lvl = cond_names_intern(cn, "customer.level");
	cat = cond_names_intern(cn, "category");
	ov = cond_names_intern(cn, "order_value");
	cond_add(any, cond_new_eq(lvl, 0, vip, 1));
	cond_add(any, cond_new_cmp(ov, COND_GTE, 100000));
	cond_add(all, any);
	cond_add(all, cond_new_eq(cat, 1, cats, 2));
	assert_non_null(f = open_memstream(&buf, &len));
	cond_print(all, cn, f);
	fclose(f);
	assert_string_equal(buf, "any(customer.level = \"vip\", "
	    "order_value >= 100000) and category not in [\"a\", \"b\"]");
	free(buf);
	cond_free(all);
	cond_names_free(cn);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_eq_scalar, setup),
		cmocka_unit_test_setup(test_in_list, setup),
		cmocka_unit_test_setup(test_ne_not_in, setup),
		cmocka_unit_test_setup(test_numbers, setup),
		cmocka_unit_test_setup(test_number_not_terminated, setup),
		cmocka_unit_test_setup(test_parse_number, setup),
		cmocka_unit_test_setup(test_parse_number_decimal_only, setup),
		cmocka_unit_test_setup(test_contains_ascii_case, setup),
		cmocka_unit_test_setup(test_contains_chinese, setup),
		cmocka_unit_test_setup(test_contains_non_ascii_exact, setup),
		cmocka_unit_test_setup(test_regex, setup),
		cmocka_unit_test_setup(test_regex_bad, setup),
		cmocka_unit_test_setup(test_regex_bounded, setup),
		cmocka_unit_test_setup(test_regex_same_answers, setup),
		cmocka_unit_test_setup(test_regex_limits, setup),
		cmocka_unit_test_setup(test_exists, setup),
		cmocka_unit_test_setup(test_combinators, setup),
		cmocka_unit_test_setup(test_empty_and_null, setup),
		cmocka_unit_test_setup(test_eval3, setup),
		cmocka_unit_test_setup(test_names, setup),
		cmocka_unit_test_setup(test_names_full, setup),
		cmocka_unit_test_setup(test_print, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
