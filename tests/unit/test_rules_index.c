/*
 * test_rules_index.c - the index of long rule lists changes which rules
 * are tried, never what is decided: on generated lists of every shape
 * (equality, `in`, `ne`, `not_in`, `any`, `not`, contains, numbers, facts,
 * missing fields, duplicates), each request gets the same verdict with the
 * index as with every rule tried in order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "rules.h"
#include "rules_impl.h"
#include "rules_index.h"

#define NVALUES	12

static unsigned	seed = 12345;

static unsigned
rnd(unsigned n)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 16) % n;
}

/* One condition of a random shape over a small set of values. */
static void
put_cond(FILE *f)
{
	static const char *fields[] = { "category", "customer.region",
	    "severity", "missing_field" };
	const char	*fd = fields[rnd(4)];

	switch (rnd(10)) {
	case 0:
		fprintf(f, "{%s: v%u, channel: [phone, chat]}", fd, rnd(NVALUES));
		break;
	case 1:
		fprintf(f, "{%s: {in: [v%u, v%u, v%u]}}", fd, rnd(NVALUES),
		    rnd(NVALUES), rnd(NVALUES));
		break;
	case 2:
		fprintf(f, "{%s: {ne: v%u}}", fd, rnd(NVALUES));
		break;
	case 3:
		fprintf(f, "{any: [{%s: v%u}, {lang: v%u}]}", fd,
		    rnd(NVALUES), rnd(NVALUES));
		break;
	case 4:
		fprintf(f, "{not: {%s: v%u}}", fd, rnd(NVALUES));
		break;
	case 5:
		fprintf(f, "{subject: {contains: [\"w%u\", \"词%u\"]}}",
		    rnd(NVALUES), rnd(NVALUES));
		break;
	case 6:
		fprintf(f, "{order_value: {gte: %u}}", rnd(1000));
		break;
	case 7:
		fprintf(f, "{tier: vip, category: v%u}", rnd(NVALUES));
		break;
	case 8:
		fprintf(f, "{%s: {not_in: [v%u, v%u]}, lang: v%u}", fd,
		    rnd(NVALUES), rnd(NVALUES), rnd(NVALUES));
		break;
	default:
		fprintf(f, "{%s: v%u}", fd, rnd(NVALUES));
		break;
	}
}

static struct config *
load_generated(int nroutes, int nscores)
{
	char		 path[] = "/tmp/test_rules_index_XXXXXX";
	char		*diag = NULL;
	struct config	*cf;
	FILE		*f;
	int		 fd, i;

	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(f = fdopen(fd, "w"));
	fprintf(f, "tiers:\n  levels:\n    - {name: vip, when: "
	    "{customer.level: vip}}\n    - name: standard\n"
	    "urgency:\n  levels: [high, low]\n"
	    "  thresholds: {high: 40}\n  score:\n");
	for (i = 0; i < nscores; i++) {
		fprintf(f, "    - {when: ");
		put_cond(f);
		fprintf(f, ", points: %d}\n", 1 + (int)rnd(9));
	}
	fprintf(f, "teams: [a, b, c, d]\nroutes:\n");
	for (i = 0; i < nroutes; i++) {
		fprintf(f, "  - {name: r%d, when: ", i);
		put_cond(f);
		fprintf(f, ", team: %c}\n", 'a' + (int)rnd(4));
	}
	fprintf(f, "default_team: d\n");
	fclose(f);
	cf = config_load(path, 0, &diag);
	unlink(path);
	if (cf == NULL)
		fprintf(stderr, "%s", diag);
	free(diag);
	assert_non_null(cf);
	return cf;
}

struct sample {
	char		 text[8][32];
	struct field	 req[7];
	struct field	 cust[2];
	size_t		 nreq, ncust;
};

static void
put(struct field *f, const char *name, char *buf, const char *fmt,
    unsigned n)
{
	snprintf(buf, 32, fmt, n);
	f->name = name;
	f->name_len = strlen(name);
	f->value = buf;
	f->value_len = strlen(buf);
}

static void
sample_make(struct sample *s)
{
	static const char *channels[] = { "phone", "chat", "email" };

	s->nreq = s->ncust = 0;
	/* Each field present most of the time, absent some of it. */
	if (rnd(5) != 0)
		put(&s->req[s->nreq++], "category", s->text[0], "v%u",
		    rnd(NVALUES + 2));
	put(&s->req[s->nreq++], "channel", s->text[1], channels[rnd(3)], 0);
	if (rnd(3) != 0)
		put(&s->req[s->nreq++], "lang", s->text[2], "v%u",
		    rnd(NVALUES));
	if (rnd(2) != 0)
		put(&s->req[s->nreq++], "subject", s->text[3],
		    rnd(2) ? "about W%u here" : "关于词%u", rnd(NVALUES));
	put(&s->req[s->nreq++], "order_value", s->text[4], "%u", rnd(1100));
	if (rnd(3) != 0)
		put(&s->req[s->nreq++], "severity", s->text[7], "v%u",
		    rnd(NVALUES));
	if (rnd(4) != 0)
		put(&s->cust[s->ncust++], "region", s->text[5], "v%u",
		    rnd(NVALUES));
	put(&s->cust[s->ncust++], "level", s->text[6],
	    rnd(4) ? "standard" : "vip", 0);
}

static void
assert_same(struct rules *r, int nrequests)
{
	struct rules_index	*routes = r->route_index, *scores = r->score_index;
	struct verdict		 with, without;
	struct sample		 s;
	int			 i, routed = 0;

	for (i = 0; i < nrequests; i++) {
		sample_make(&s);
		r->route_index = routes;
		r->score_index = scores;
		rules_classify(r, s.req, s.nreq, s.cust, s.ncust, &with);
		r->route_index = NULL;
		r->score_index = NULL;
		rules_classify(r, s.req, s.nreq, s.cust, s.ncust, &without);
		assert_int_equal(with.score, without.score);
		assert_int_equal(with.urgency, without.urgency);
		assert_int_equal(with.team, without.team);
		assert_string_equal(with.route_name, without.route_name);
		routed += strcmp(with.route_name, "default") != 0;
	}
	r->route_index = routes;
	r->score_index = scores;
	/* The lists must be hit, or the comparison shows little. */
	assert_true(routed > nrequests / 2);
}

static void
test_index_agrees_with_full_walk(void **state)
{
	struct config	*cf;
	int		 round;

	for (round = 0; round < 20; round++) {
		cf = load_generated(200 + (int)rnd(400), 50 + (int)rnd(100));
		assert_non_null(cf->rules->route_index);
		assert_non_null(cf->rules->score_index);
		assert_same(cf->rules, 2000);
		config_free(cf);
	}
}

static void
test_short_lists_are_not_indexed(void **state)
{
	struct config	*cf;

	cf = load_generated(5, 3);
	assert_null(cf->rules->route_index);
	assert_null(cf->rules->score_index);
	config_free(cf);
}

/* A list of one field's values: each request tries one rule. */
static void
test_index_narrows_the_walk(void **state)
{
	char			 path[] = "/tmp/test_rules_index_XXXXXX";
	char			*diag = NULL;
	struct config		*cf;
	struct cond_value	 slots[COND_MAX_SLOTS];
	struct rules_cursor	 c;
	FILE			*f;
	int			 fd, i, n;

	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(f = fdopen(fd, "w"));
	fprintf(f, "tiers:\n  levels: [{name: standard}]\n"
	    "urgency:\n  levels: [high, low]\n  thresholds: {high: 40}\n"
	    "teams: [a, b]\nroutes:\n");
	for (i = 0; i < 500; i++)
		fprintf(f, "  - {when: {category: c%d}, team: a}\n", i);
	fprintf(f, "  - {when: {subject: {contains: x}}, team: b}\n"
	    "default_team: b\n");
	fclose(f);
	cf = config_load(path, 0, &diag);
	unlink(path);
	if (cf == NULL)
		fprintf(stderr, "%s", diag);
	free(diag);
	assert_non_null(cf);

	memset(slots, 0, sizeof slots);
	slots[cond_names_request(cf->rules->names, "category", 8)].ptr =
	    "c321";
	slots[cond_names_request(cf->rules->names, "category", 8)].len = 4;
	rules_index_start(cf->rules->route_index, cf->rules->nroutes, slots,
	    &c);
	assert_int_equal(rules_index_next(&c), 321);
	assert_int_equal(rules_index_next(&c), 500);	/* unkeyed */
	assert_int_equal(rules_index_next(&c), -1);

	/* No category: only the rule with nothing to key on. */
	memset(slots, 0, sizeof slots);
	rules_index_start(cf->rules->route_index, cf->rules->nroutes, slots,
	    &c);
	for (n = 0; rules_index_next(&c) != -1; n++)
		;
	assert_int_equal(n, 1);
	config_free(cf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_agrees_with_full_walk),
		cmocka_unit_test(test_short_lists_are_not_indexed),
		cmocka_unit_test(test_index_narrows_the_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
