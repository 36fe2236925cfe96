/*
 * test_rules_trace.c - rules_classify_trace() on the sample conf/triage.yaml:
 * the same verdict as rules_classify(), the rule that decided each stage,
 * and the per-rule hit counters `triagectl replay` reports from.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "rules.h"

#define F(n, v)	{ n, sizeof n - 1, v, sizeof v - 1 }

static struct config *
sample(void)
{
	struct config	*cf;
	char		*diag = NULL;

	cf = config_load(TEST_CONF_DIR "/triage.yaml", 0, &diag);
	free(diag);
	assert_non_null(cf);
	return cf;
}

static int
find(const struct rules *r, enum rules_kind k, const char *name)
{
	size_t	i;

	for (i = 0; i < rules_kind_count(r, k); i++)
		if (strcmp(rules_rule_name(r, k, (int)i), name) == 0)
			return (int)i;
	return -2;
}

static void
test_trace(void **state)
{
	struct config		*cf = sample();
	const struct rules	*r = cf->rules;
	struct field		 outage[] = {
		F("customer_id", "C1"), F("channel", "phone"),
		F("category", "outage"), F("severity", "outage")
	};
	struct field		 plain[] = {
		F("customer_id", "C2"), F("channel", "email"),
		F("category", "after_sales")
	};
	struct field		 vip[] = { F("level", "vip") };
	unsigned long		*hits[RULES_NKINDS];
	struct rules_trace	 t;
	struct verdict		 v, w;
	int			 k;

	(void)state;
	memset(&t, 0, sizeof t);
	for (k = 0; k < RULES_NKINDS; k++) {
		hits[k] = calloc(rules_kind_count(r, k) + 1, sizeof *hits[k]);
		t.hits[k] = hits[k];
	}

	/* A VIP's outage by phone: vip level, override, vip-critical route. */
	rules_classify_trace(r, outage, 4, vip, 1, &v, &t);
	rules_classify(r, outage, 4, vip, 1, &w);
	assert_memory_equal(&v, &w, sizeof v);
	assert_int_equal(t.decided[RULES_TIER], find(r, RULES_TIER, "vip"));
	assert_int_equal(t.tier_given, 0);
	assert_int_not_equal(t.decided[RULES_OVERRIDE], -1);
	assert_int_equal(t.decided[RULES_ROUTE],
	    find(r, RULES_ROUTE, "vip-critical"));
	assert_int_equal(t.decided[RULES_POLICY], v.policy);
	assert_string_equal(rules_rule_name(r, RULES_POLICY, v.policy), "vip");
	assert_true(rules_rule_line(r, RULES_ROUTE, t.decided[RULES_ROUTE]) > 0);

	/* No route matches: default_team; the catch-all tier and policy. */
	rules_classify_trace(r, plain, 3, NULL, 0, &v, &t);
	assert_string_equal(v.team_name, "general");
	assert_int_equal(t.decided[RULES_ROUTE], -1);
	assert_int_equal(t.decided[RULES_OVERRIDE], -1);
	assert_int_equal(t.decided[RULES_TIER],
	    find(r, RULES_TIER, "standard"));
	assert_string_equal(rules_rule_name(r, RULES_POLICY,
	    t.decided[RULES_POLICY]), "standard");

	/* Counters: the deciding rules, and every score rule that added points. */
	assert_int_equal(hits[RULES_TIER][find(r, RULES_TIER, "vip")], 1);
	assert_int_equal(hits[RULES_TIER][find(r, RULES_TIER, "standard")], 1);
	assert_int_equal(hits[RULES_ROUTE][find(r, RULES_ROUTE,
	    "vip-critical")], 1);
	assert_int_equal(hits[RULES_ROUTE][find(r, RULES_ROUTE, "billing")], 0);
	/* severity, vip and phone scored for the first request only. */
	assert_int_equal(hits[RULES_SCORE][0] + hits[RULES_SCORE][1] +
	    hits[RULES_SCORE][2] + hits[RULES_SCORE][3], 3);

	assert_null(rules_rule_name(r, RULES_ROUTE, 99));
	assert_string_equal(rules_kind_name(RULES_POLICY), "sla policy");
	for (k = 0; k < RULES_NKINDS; k++)
		free(hits[k]);
	config_free(cf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
