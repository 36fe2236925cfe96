/*
 * test_rules.c - each stage of the rules (docs/configuration.md) on small rules files written to
 * temporary files, the sample conf/triage.yaml on realistic requests, the
 * accessors the daemon uses, and the explain trace.
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

#include "calendar.h"
#include "config.h"
#include "rules.h"

#define MAX_FIELDS	32

/* The sections most tests do not care about. */
#define COMMON \
	"teams: [key_accounts, tech_support, billing, general]\n" \
	"default_team: general\n"

#define TIERS3	"tiers:\n" LEVELS3
#define LEVELS3 \
	"  levels:\n" \
	"    - name: vip\n" \
	"      when: {customer.level: vip}\n" \
	"    - name: key\n" \
	"      when:\n" \
	"        any:\n" \
	"          - {order_value: {gte: 100000}}\n" \
	"          - {customer.annual_value: {gte: 500000}}\n" \
	"    - name: standard\n"

#define URGENCY \
	"urgency:\n" \
	"  levels: [critical, high, medium, low]\n" \
	"  score:\n" \
	"    - {when: {severity: {in: [outage, security]}}, points: 60}\n" \
	"    - {when: {subject: {contains: [urgent, \"紧急\"]}}, points: 30}\n" \
	"    - {when: {tier: vip}, points: 20}\n" \
	"    - {name: phone, when: {channel: phone}, points: 10}\n" \
	"    - {name: calm, when: {lang: zen}, points: -15}\n" \
	"  thresholds: {critical: 80, high: 50, medium: 20}\n"

static struct config *
load_text(const char *yaml)
{
	char		 path[] = "/tmp/test_rules_XXXXXX";
	char		*diag = NULL;
	struct config	*cf;
	int		 fd;

	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	cf = config_load(path, 0, &diag);
	unlink(path);
	if (cf == NULL)
		print_error("%s", diag != NULL ? diag : "(no diagnostics)\n");
	assert_non_null(cf);
	assert_null(diag);
	return cf;
}

/*
 * Classify a request given as "name=value" strings, NULL-terminated;
 * "customer.NAME=value" is the CRM field NAME.
 */
static void
classify(const struct config *cf, struct verdict *v, ...)
{
	struct field	 req[MAX_FIELDS], cust[MAX_FIELDS], *f;
	size_t		 nreq = 0, ncust = 0;
	const char	*arg, *eq;
	va_list		 ap;

	va_start(ap, v);
	while ((arg = va_arg(ap, const char *)) != NULL) {
		eq = strchr(arg, '=');
		assert_non_null(eq);
		if (strncmp(arg, "customer.", 9) == 0) {
			f = &cust[ncust++];
			f->name = arg + 9;
		} else {
			f = &req[nreq++];
			f->name = arg;
		}
		f->name_len = eq - f->name;
		f->value = eq + 1;
		f->value_len = strlen(eq + 1);
	}
	va_end(ap);
	memset(v, 0xa5, sizeof *v);
	rules_classify(cf->rules, req, nreq, cust, ncust, v);
}

static void
test_tier_first_match(void **state)
{
	struct config	*cf = load_text(TIERS3 URGENCY COMMON);
	struct verdict	 v;

	classify(cf, &v, "customer.level=vip", "order_value=200000", NULL);
	assert_string_equal(v.tier_name, "vip");
	assert_int_equal(v.tier, 0);
	classify(cf, &v, "order_value=100000", NULL);
	assert_string_equal(v.tier_name, "key");
	assert_int_equal(v.tier, 1);
	classify(cf, &v, "order_value=99999.99", NULL);
	assert_string_equal(v.tier_name, "standard");
	classify(cf, &v, "customer.annual_value=500000", NULL);
	assert_string_equal(v.tier_name, "key");
	classify(cf, &v, "order_value=lots", NULL);
	assert_string_equal(v.tier_name, "standard");
	assert_int_equal(v.tier, 2);
	classify(cf, &v, NULL);
	assert_string_equal(v.tier_name, "standard");
	config_free(cf);
}

static void
test_tier_none_matches(void **state)
{
	struct config	*cf = load_text(
	    "tiers:\n"
	    "  levels:\n"
	    "    - {name: gold, when: {customer.level: gold}}\n"
	    "    - {name: silver, when: {customer.level: silver}}\n"
	    "urgency: {levels: [high, low]}\n" COMMON);
	struct verdict	 v;

	classify(cf, &v, "customer.level=silver", NULL);
	assert_string_equal(v.tier_name, "silver");
	/* No level matches: the lowest applies. */
	classify(cf, &v, "customer.level=tin", NULL);
	assert_string_equal(v.tier_name, "silver");
	assert_int_equal(v.tier, 1);
	config_free(cf);
}

static void
test_trust_request(void **state)
{
	struct config	*trust = load_text(
	    "tiers:\n  trust_request: true\n" LEVELS3 URGENCY COMMON);
	struct config	*distrust = load_text(TIERS3 URGENCY COMMON);
	struct verdict	 v;

	classify(trust, &v, "tier=vip", NULL);
	assert_string_equal(v.tier_name, "vip");
	/* The trusted tier is a fact the next stages see. */
	assert_int_equal(v.score, 20);
	classify(trust, &v, "tier=key", "customer.level=vip", NULL);
	assert_string_equal(v.tier_name, "key");
	/* A tier that is not defined is ignored: the rules decide. */
	classify(trust, &v, "tier=platinum", "customer.level=vip", NULL);
	assert_string_equal(v.tier_name, "vip");
	classify(trust, &v, "tier=VIP", NULL);
	assert_string_equal(v.tier_name, "standard");

	classify(distrust, &v, "tier=vip", NULL);
	assert_string_equal(v.tier_name, "standard");
	assert_int_equal(v.score, 0);
	config_free(trust);
	config_free(distrust);
}

static void
test_score_and_thresholds(void **state)
{
	struct config	*cf = load_text(TIERS3 URGENCY COMMON);
	struct verdict	 v;

	classify(cf, &v, NULL);
	assert_int_equal(v.score, 0);
	assert_string_equal(v.urgency_name, "low");
	assert_int_equal(v.urgency, 3);
	classify(cf, &v, "channel=phone", NULL);
	assert_int_equal(v.score, 10);
	assert_string_equal(v.urgency_name, "low");
	classify(cf, &v, "channel=phone", "customer.level=vip", NULL);
	assert_int_equal(v.score, 30);
	assert_string_equal(v.urgency_name, "medium");
	classify(cf, &v, "subject=URGENT: 紧急", NULL);
	assert_int_equal(v.score, 30);	/* one rule, counted once */
	classify(cf, &v, "severity=security", NULL);
	assert_int_equal(v.score, 60);
	assert_string_equal(v.urgency_name, "high");
	classify(cf, &v, "severity=outage", "channel=phone",
	    "subject=site down, urgent", NULL);
	assert_int_equal(v.score, 100);
	assert_string_equal(v.urgency_name, "critical");
	assert_int_equal(v.urgency, 0);
	/* Exactly on a threshold takes that level. */
	classify(cf, &v, "subject=urgent", "channel=phone", "lang=zen",
	    "customer.level=vip", NULL);
	assert_int_equal(v.score, 45);
	assert_string_equal(v.urgency_name, "medium");
	classify(cf, &v, "severity=outage", "customer.level=vip", NULL);
	assert_int_equal(v.score, 80);
	assert_string_equal(v.urgency_name, "critical");
	/* Negative points. */
	classify(cf, &v, "lang=zen", NULL);
	assert_int_equal(v.score, -15);
	assert_string_equal(v.urgency_name, "low");
	config_free(cf);
}

static void
test_overrides(void **state)
{
	struct config	*cf = load_text(TIERS3 URGENCY
	    "  overrides:\n"
	    "    - when: {category: outage, channel: phone}\n"
	    "      level: critical\n"
	    "    - {name: vip-floor, when: {tier: vip}, level: high}\n"
	    "    - {name: spam, when: {category: spam}, level: low}\n"
	    COMMON);
	struct verdict	 v;

	classify(cf, &v, "category=outage", "channel=phone", NULL);
	assert_int_equal(v.score, 10);		/* the score stays */
	assert_string_equal(v.urgency_name, "critical");
	classify(cf, &v, "category=outage", "channel=email", NULL);
	assert_string_equal(v.urgency_name, "low");
	/* An override replaces the level, also downwards. */
	classify(cf, &v, "customer.level=vip", "severity=outage", NULL);
	assert_int_equal(v.score, 80);
	assert_string_equal(v.urgency_name, "high");
	classify(cf, &v, "severity=outage", "channel=phone", "category=spam",
	    NULL);
	assert_int_equal(v.score, 70);
	assert_string_equal(v.urgency_name, "low");
	/* The first matching override wins. */
	classify(cf, &v, "category=outage", "channel=phone",
	    "customer.level=vip", NULL);
	assert_string_equal(v.urgency_name, "critical");
	config_free(cf);
}

static void
test_routes(void **state)
{
	struct config	*cf = load_text(TIERS3 URGENCY COMMON
	    "routes:\n"
	    "  - name: vip-critical\n"
	    "    when: {tier: vip, urgency: critical}\n"
	    "    team: key_accounts\n"
	    "  - {name: hot, when: {score: {gte: 60}}, team: tech_support}\n"
	    "  - when: {category: {in: [technical, outage]}}\n"
	    "    team: tech_support\n"
	    "  - {name: billing, when: {category: billing}, team: billing}\n");
	struct verdict	 v;

	classify(cf, &v, "customer.level=vip", "severity=outage",
	    "category=billing", NULL);
	assert_string_equal(v.team_name, "key_accounts");
	assert_string_equal(v.route_name, "vip-critical");
	assert_int_equal(v.team, 0);
	classify(cf, &v, "severity=outage", "category=billing", NULL);
	assert_string_equal(v.team_name, "tech_support");
	assert_string_equal(v.route_name, "hot");
	classify(cf, &v, "category=technical", NULL);
	assert_string_equal(v.team_name, "tech_support");
	assert_string_equal(v.route_name, "routes[2]");
	classify(cf, &v, "category=billing", NULL);
	assert_string_equal(v.team_name, "billing");
	assert_int_equal(v.team, 2);
	classify(cf, &v, "category=after_sales", NULL);
	assert_string_equal(v.team_name, "general");
	assert_string_equal(v.route_name, "default");
	assert_int_equal(v.team, 3);
	config_free(cf);
}

static void
test_policies(void **state)
{
	struct config	*cf = load_text(TIERS3 URGENCY COMMON
	    "routes:\n"
	    "  - {name: billing, when: {category: billing}, team: billing}\n"
	    "sla:\n"
	    "  - {name: vip, when: {tier: vip}, first_response: 1h}\n"
	    "  - {name: billing-team, when: {team: billing},"
	    " resolution: 2d}\n"
	    "  - {name: urgent, when: {urgency: [critical, high]},"
	    " first_response: 15m}\n"
	    "  - {name: scored, when: {score: {gte: 10}},"
	    " first_response: 4h}\n");
	struct verdict	 v;

	classify(cf, &v, "customer.level=vip", "category=billing", NULL);
	assert_string_equal(v.policy_name, "vip");
	assert_int_equal(v.policy, 0);
	classify(cf, &v, "category=billing", "severity=outage", NULL);
	assert_string_equal(v.policy_name, "billing-team");
	classify(cf, &v, "severity=outage", NULL);
	assert_string_equal(v.policy_name, "urgent");
	classify(cf, &v, "channel=phone", NULL);
	assert_string_equal(v.policy_name, "scored");
	assert_int_equal(v.policy, 3);
	/* None matching: no clocks. */
	classify(cf, &v, "channel=email", NULL);
	assert_int_equal(v.policy, -1);
	assert_null(v.policy_name);
	config_free(cf);
}

static void
test_facts_shadow_fields(void **state)
{
	struct config	*cf = load_text(TIERS3 URGENCY COMMON
	    "routes:\n"
	    "  - {name: crit, when: {urgency: critical}, team: key_accounts}\n"
	    "  - {name: hot, when: {score: {gte: 50}}, team: tech_support}\n"
	    "sla:\n"
	    "  - {name: billing, when: {team: billing}, first_response: 1h}\n"
	    "  - {name: rest, first_response: 1d}\n");
	struct verdict	 v;

	/* A request's own urgency, score and team fields are not facts. */
	classify(cf, &v, "urgency=critical", "score=99", "team=billing",
	    NULL);
	assert_string_equal(v.urgency_name, "low");
	assert_int_equal(v.score, 0);
	assert_string_equal(v.route_name, "default");
	assert_string_equal(v.team_name, "general");
	assert_string_equal(v.policy_name, "rest");
	config_free(cf);
}

static void
test_customer_fields(void **state)
{
	struct config	*cf = load_text(TIERS3 URGENCY COMMON);
	struct verdict	 v;

	/* A gateway cannot forge the customer's data. */
	classify(cf, &v, "customer.level=vip", NULL);
	assert_string_equal(v.tier_name, "vip");
	{
		struct field req = { "customer.level", 14, "vip", 3 };

		rules_classify(cf->rules, &req, 1, NULL, 0, &v);
		assert_string_equal(v.tier_name, "standard");
	}
	/* A CRM field named like a request field stays the CRM's. */
	classify(cf, &v, "customer.order_value=500000", NULL);
	assert_string_equal(v.tier_name, "standard");
	config_free(cf);
}

static void
test_duplicate_and_unterminated_fields(void **state)
{
	struct config	*cf = load_text(TIERS3 URGENCY COMMON);
	struct verdict	 v;
	const char	 reply[] = "channelphonex";
	struct field	 req[2] = {
		{ "channel", 7, "email", 5 },
		{ "channel", 7, "phone", 5 },
	};
	struct field	 borrowed = { reply, 7, reply + 7, 5 };

	/* A duplicated field: the first one wins. */
	rules_classify(cf->rules, req, 2, NULL, 0, &v);
	assert_int_equal(v.score, 0);
	/* Fields point into a reply without NULs. */
	rules_classify(cf->rules, &borrowed, 1, NULL, 0, &v);
	assert_int_equal(v.score, 10);
	config_free(cf);
}

static void
test_sample_conf(void **state)
{
	char		*diag = NULL;
	struct config	*cf = config_load(TEST_CONF_DIR "/triage.yaml", 0,
			    &diag);
	struct verdict	 v;

	assert_null(diag);
	assert_non_null(cf);

	/* A VIP calls: the phone line is down. */
	classify(cf, &v, "customer_id=C1", "channel=phone",
	    "subject=电话线路无法登录 紧急", "category=technical",
	    "customer.level=vip", NULL);
	assert_string_equal(v.tier_name, "vip");
	assert_int_equal(v.score, 60);
	assert_string_equal(v.urgency_name, "high");
	assert_string_equal(v.team_name, "tech_support");
	assert_string_equal(v.route_name, "technical");
	assert_string_equal(v.policy_name, "vip");

	/* An outage reported by phone: the override makes it critical. */
	classify(cf, &v, "customer_id=C2", "channel=phone",
	    "category=outage", NULL);
	assert_string_equal(v.tier_name, "standard");
	assert_int_equal(v.score, 10);
	assert_string_equal(v.urgency_name, "critical");
	assert_string_equal(v.route_name, "technical");
	assert_string_equal(v.policy_name, "critical");

	/* A big order's billing question by email. */
	classify(cf, &v, "customer_id=C3", "channel=email",
	    "category=billing", "order_value=250000",
	    "subject=Invoice question", NULL);
	assert_string_equal(v.tier_name, "key");
	assert_int_equal(v.score, 0);
	assert_string_equal(v.urgency_name, "low");
	assert_string_equal(v.team_name, "billing");
	assert_string_equal(v.policy_name, "standard");

	/* A VIP with a security incident: vip-critical route. */
	classify(cf, &v, "customer_id=C4", "channel=chat",
	    "severity=security", "subject=account down",
	    "customer.level=vip", NULL);
	assert_int_equal(v.score, 110);
	assert_string_equal(v.urgency_name, "critical");
	assert_string_equal(v.team_name, "key_accounts");
	assert_string_equal(v.route_name, "vip-critical");
	assert_string_equal(v.policy_name, "vip");

	/* After-sales by web: nothing matches, default team. */
	classify(cf, &v, "customer_id=C5", "channel=web",
	    "category=after_sales", "customer.annual_value=100", NULL);
	assert_string_equal(v.tier_name, "standard");
	assert_string_equal(v.team_name, "general");
	assert_string_equal(v.route_name, "default");
	assert_string_equal(v.policy_name, "standard");
	config_free(cf);
}

static void
test_accessors(void **state)
{
	char			*diag = NULL;
	struct config		*cf;
	const struct rules	*r;
	const struct sla_target	*t;

	cf = config_load(TEST_CONF_DIR "/triage.yaml", 0, &diag);
	assert_non_null(cf);
	r = cf->rules;
	assert_int_equal(rules_team_count(r), 5);
	assert_string_equal(rules_team_name(r, 0), "key_accounts");
	assert_string_equal(rules_team_name(r, 4), "general");
	assert_null(rules_team_name(r, 5));
	assert_null(rules_team_name(r, -1));
	assert_int_equal(rules_team_find(r, "billing", 7), 2);
	assert_int_equal(rules_team_find(r, "billingX", 7), 2);
	assert_int_equal(rules_team_find(r, "bill", 4), -1);

	assert_int_equal(rules_urgency_count(r), 4);
	assert_string_equal(rules_urgency_name(r, 0), "critical");
	assert_string_equal(rules_urgency_name(r, 3), "low");
	assert_null(rules_urgency_name(r, 4));
	assert_int_equal(rules_urgency_find(r, "medium", 6), 2);
	assert_int_equal(rules_urgency_find(r, "urgent", 6), -1);

	assert_int_equal(rules_tier_count(r), 3);
	assert_string_equal(rules_tier_name(r, 1), "key");
	assert_null(rules_tier_name(r, 3));

	assert_int_equal(rules_policy_count(r), 4);
	assert_string_equal(rules_policy_name(r, 0), "vip");
	assert_string_equal(rules_policy_name(r, 2), "repeat");
	assert_string_equal(rules_policy_name(r, 3), "standard");
	assert_null(rules_policy_name(r, -1));
	assert_string_equal(calendar_name(rules_policy_calendar(r, 0)),
	    "always");
	assert_string_equal(calendar_name(rules_policy_calendar(r, 3)),
	    "cn_office");
	assert_string_equal(calendar_timezone(rules_policy_calendar(r, 3)),
	    "Asia/Shanghai");
	assert_null(rules_policy_calendar(r, 4));

	t = rules_policy_target(r, 0, SLA_FIRST_RESPONSE);
	assert_int_equal(t->within_ms, 3600 * 1000);
	assert_int_equal(t->nsteps, 3);
	assert_int_equal(t->steps[0].at_permille, 750);
	assert_string_equal(t->steps[0].notify, "team_lead");
	assert_int_equal(t->steps[0].raise, -1);
	assert_int_equal(t->steps[0].reassign, -1);
	assert_int_equal(t->steps[1].at_permille, 1000);
	assert_string_equal(t->steps[1].notify, "oncall_primary");
	assert_int_equal(t->steps[2].at_permille, 1500);
	assert_string_equal(t->steps[2].notify, "oncall_manager");
	assert_int_equal(t->steps[2].raise, 0);
	assert_int_equal(t->steps[2].reassign, 0);
	t = rules_policy_target(r, 0, SLA_RESOLUTION);
	assert_int_equal(t->within_ms, 8 * 3600 * 1000);
	assert_int_equal(t->nsteps, 1);
	t = rules_policy_target(r, 1, SLA_RESOLUTION);
	assert_int_equal(t->within_ms, 0);	/* no target */
	assert_int_equal(t->nsteps, 0);
	t = rules_policy_target(r, 2, SLA_FIRST_RESPONSE);
	assert_int_equal(t->within_ms, 4 * 3600 * 1000);	/* repeat */
	t = rules_policy_target(r, 3, SLA_FIRST_RESPONSE);
	assert_int_equal(t->within_ms, 24 * 3600 * 1000);
	assert_int_equal(t->nsteps, 0);
	t = rules_policy_target(r, 3, SLA_RESOLUTION);
	assert_int_equal(t->within_ms, 72LL * 3600 * 1000);
	assert_null(rules_policy_target(r, 4, SLA_RESOLUTION));
	config_free(cf);
}

static void
test_steps_sorted(void **state)
{
	struct config		*cf = load_text(TIERS3 URGENCY COMMON
	    "notify: [a, b, c]\n"
	    "sla:\n"
	    "  - name: p\n"
	    "    first_response:\n"
	    "      within: 1h30m\n"
	    "      escalate:\n"
	    "        - {at: 150%, notify: c, reassign: billing}\n"
	    "        - {at: 12.5%, notify: a}\n"
	    "        - {at: 100%, notify: b, raise: high}\n");
	const struct sla_target	*t;

	t = rules_policy_target(cf->rules, 0, SLA_FIRST_RESPONSE);
	assert_int_equal(t->within_ms, 90 * 60 * 1000);
	assert_int_equal(t->nsteps, 3);
	assert_int_equal(t->steps[0].at_permille, 125);
	assert_string_equal(t->steps[0].notify, "a");
	assert_int_equal(t->steps[1].at_permille, 1000);
	assert_int_equal(t->steps[1].raise, 1);
	assert_int_equal(t->steps[2].at_permille, 1500);
	assert_int_equal(t->steps[2].reassign, 2);
	/* Without calendar: the built-in "always". */
	assert_string_equal(calendar_name(rules_policy_calendar(cf->rules,
	    0)), "always");
	config_free(cf);
}

static void
test_explain(void **state)
{
	char		*diag = NULL, *out = NULL;
	size_t		 len = 0;
	struct config	*cf = config_load(TEST_CONF_DIR "/triage.yaml", 0,
			    &diag);
	struct field	 req[] = {
		{ "channel", 7, "phone", 5 },
		{ "category", 8, "outage", 6 },
		{ "subject", 7, "服务器紧急", 15 },
	};
	struct field	 cust[] = { { "level", 5, "vip", 3 } };
	FILE		*f;

	assert_non_null(cf);
	assert_non_null(f = open_memstream(&out, &len));
	rules_explain(cf->rules, req, 3, cust, 1, f);
	fclose(f);
	assert_non_null(strstr(out, "tier: vip\n"));
	assert_non_null(strstr(out, "level 'vip' (line 25): "
	    "customer.level = \"vip\"\n"));
	assert_non_null(strstr(out, "+30  score rule 'score[1]' (line 38)"));
	assert_non_null(strstr(out, "+20  score rule 'score[2]'"));
	assert_non_null(strstr(out, "+10  score rule 'score[3]'"));
	assert_null(strstr(out, "score[0]"));
	assert_non_null(strstr(out, "= 60 -> high (threshold 50)\n"));
	assert_non_null(strstr(out, "override 'overrides[0]' (line 44)"));
	assert_non_null(strstr(out, "urgency: critical\n"));
	assert_non_null(strstr(out, "team: key_accounts\n"));
	assert_non_null(strstr(out, "route 'vip-critical' (line 49)"));
	assert_non_null(strstr(out, "sla: vip\n"));
	assert_non_null(strstr(out, "calendar always"));
	assert_non_null(strstr(out, "first_response: within 1h\n"));
	assert_non_null(strstr(out, "at 150%: notify oncall_manager, "
	    "raise to critical, reassign to key_accounts\n"));
	assert_non_null(strstr(out, "resolution: within 8h\n"));
	free(out);
	config_free(cf);
}

static void
test_explain_matches_classify(void **state)
{
	char		*diag = NULL, *out = NULL, want[256];
	size_t		 len = 0;
	struct config	*cf = config_load(TEST_CONF_DIR "/triage.yaml", 0,
			    &diag);
	struct field	 req[] = { { "category", 8, "after_sales", 11 } };
	struct verdict	 v;
	FILE		*f;

	assert_non_null(cf);
	rules_classify(cf->rules, req, 1, NULL, 0, &v);
	assert_non_null(f = open_memstream(&out, &len));
	rules_explain(cf->rules, req, 1, NULL, 0, f);
	fclose(f);
	snprintf(want, sizeof want, "tier: %s\n", v.tier_name);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof want, "urgency: %s\n", v.urgency_name);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof want, "team: %s\n  no route matched: "
	    "default_team\n", v.team_name);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof want, "sla: %s\n", v.policy_name);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "calendar cn_office (Asia/Shanghai)"));
	free(out);
	config_free(cf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tier_first_match),
		cmocka_unit_test(test_tier_none_matches),
		cmocka_unit_test(test_trust_request),
		cmocka_unit_test(test_score_and_thresholds),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_facts_shadow_fields),
		cmocka_unit_test(test_customer_fields),
		cmocka_unit_test(test_duplicate_and_unterminated_fields),
		cmocka_unit_test(test_sample_conf),
		cmocka_unit_test(test_accessors),
		cmocka_unit_test(test_steps_sorted),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_explain_matches_classify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
