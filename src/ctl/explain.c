/*
 * explain.c - `triagectl explain field=value ...`: how a request would be
 * classified, routed and timed, without Redis.
 *
 * Arguments are the request's fields; "customer.NAME=value" stands for the
 * CRM field NAME, as the daemon would have read it from customers.key.
 * Each contact window (customers.contacts) not given as
 * customer.contacts_W=N counts 0, as the daemon's count of a customer with
 * no earlier request does: a rule on the count sees what the daemon sees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "deadline.h"
#include "ctl.h"
#include "ctl_print.h"
#include "field.h"
#include "log.h"
#include "oncall.h"
#include "request.h"
#include "rules.h"

/* When step i of the target fires for a request created at created. */
static int64_t
step_ms(const struct rules *rules, int policy, const struct sla_target *tg,
    size_t i, int64_t created)
{
	return deadline_at(rules_policy_calendar(rules, policy), created, 0,
	    deadline_step_ms(tg->within_ms, tg->steps[i].at_permille));
}

/*
 * Who each escalation step would page, at the instant it would fire for
 * a request created at created: the text after rules_explain()'s.
 */
static void
explain_paged(const struct config *cf, const struct verdict *v,
    int64_t created)
{
	const struct notify_target	*nt;
	const struct oncall_person	*p;
	const struct oncall_schedule	*s;
	const struct sla_target		*tg;
	char				 t[64];
	int64_t				 at;
	int				 header = 0;

	if (v->policy < 0)
		return;
	for (int m = 0; m < SLA_NMETRICS; m++) {
		tg = rules_policy_target(cf->rules, v->policy, m);
		for (size_t i = 0; tg != NULL && tg->within_ms > 0 &&
		    i < tg->nsteps; i++) {
			nt = config_notify_target(cf, tg->steps[i].notify);
			if (nt == NULL || (nt->schedule == NULL &&
			    nt->npeople == 0))
				continue;
			if (!header++)
				printf("paged (who is on call when each step "
				    "would fire):\n");
			at = step_ms(cf->rules, v->policy, tg, i, created);
			s = nt->schedule != NULL ?
			    oncall_schedule(cf->oncall, nt->schedule) : NULL;
			if (s != NULL)
				oncall_local_time(s, at, t, sizeof t);
			else
				ctl_time(at, t, sizeof t);
			printf("  %s at %g%% (%s): %s -> ",
			    deadline_metric_name(m),
			    tg->steps[i].at_permille / 10.0, t, nt->name);
			if ((p = oncall_resolve(cf->oncall, nt, at)) == NULL)
				printf("nobody on call in schedule %s\n",
				    nt->schedule);
			else {
				ctl_print_text(stdout, p->key, strlen(p->key));
				fputs(" (", stdout);
				ctl_print_text(stdout, p->name,
				    strlen(p->name));
				printf(")%s%s\n", s != NULL ? ", schedule " :
				    "", s != NULL ? s->name : "");
			}
		}
	}
}

static void
json_name(const char *s)
{
	if (s == NULL)
		printf("null");
	else
		ctl_json_string(stdout, s, strlen(s));
}

/* The verdict, the deciding rules and the targets, as one JSON object. */
static void
explain_json(const struct config *cf, const struct field *req, size_t nreq,
    const struct field *cust, size_t ncust, int64_t created)
{
	static const enum rules_kind	 kinds[] = {
		RULES_TIER, RULES_OVERRIDE, RULES_ROUTE, RULES_POLICY
	};
	static const char		*keys[] = {
		"tier", "override", "route", "policy"
	};
	const struct rules		*rules = cf->rules;
	struct verdict			 v;
	struct rules_trace		 t = { 0 };

	rules_classify_trace(rules, req, nreq, cust, ncust, &v, &t);
	printf("{\"rules_version\":");
	json_name(cf->version);
	printf(",\"tier\":");
	json_name(v.tier_name);
	printf(",\"urgency\":");
	json_name(v.urgency_name);
	printf(",\"score\":%ld,\"team\":", v.score);
	json_name(v.team_name);
	printf(",\"route\":");
	json_name(v.route_name);
	printf(",\"policy\":");
	json_name(v.policy_name);
	printf(",\"decided_by\":{");
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		int	r = t.decided[kinds[i]];

		printf("%s\"%s\":", i > 0 ? "," : "", keys[i]);
		json_name(r >= 0 ? rules_rule_name(rules, kinds[i], r) : NULL);
	}
	printf("},\"targets\":{");
	for (int m = 0; m < SLA_NMETRICS; m++) {
		const struct sla_target	*tg = v.policy >= 0 ?
					    rules_policy_target(rules, v.policy, m) :
					    NULL;

		printf("%s\"%s\":", m > 0 ? "," : "", m == SLA_FIRST_RESPONSE ?
		    "first_response" : "resolution");
		if (tg == NULL || tg->within_ms <= 0) {
			printf("null");
			continue;
		}
		printf("{\"within_ms\":%lld,\"steps\":[",
		    (long long)tg->within_ms);
		for (size_t i = 0; i < tg->nsteps; i++) {
			printf("%s{\"at_percent\":%g,\"notify\":", i > 0 ?
			    "," : "", tg->steps[i].at_permille / 10.0);
			json_name(tg->steps[i].notify);
			{
				int64_t at = step_ms(rules, v.policy, tg, i,
				    created);
				const struct oncall_person *p = oncall_resolve(
				    cf->oncall, config_notify_target(cf,
				    tg->steps[i].notify), at);

				printf(",\"fires_at\":%lld,\"oncall\":",
				    (long long)at);
				json_name(p != NULL ? p->key : NULL);
				printf(",\"oncall_name\":");
				json_name(p != NULL ? p->name : NULL);
			}
			printf("}");
		}
		printf("]}");
	}
	printf("}}\n");
}

/*
 * The contact count of each window the arguments did not give, as 0, after
 * the given fields in cust (which has room for CONFIG_MAX_WINDOWS more);
 * names holds their names.  Returns how many were added.
 */
static size_t
explain_contacts(const struct config *cf, struct field *cust, size_t ncust,
    char names[][64])
{
	size_t	 added = 0, len;
	int	 given;

	for (size_t w = 0; w < cf->ncontacts && w < CONFIG_MAX_WINDOWS; w++) {
		len = (size_t)snprintf(names[added], sizeof names[added],
		    CONFIG_CONTACTS_FACT "%s", cf->contacts[w]);
		if (len >= sizeof names[added])
			continue;
		given = 0;
		for (size_t i = 0; i < ncust && !given; i++)
			given = cust[i].name_len == len &&
			    memcmp(cust[i].name, names[added], len) == 0;
		if (given)
			continue;
		cust[ncust + added].name = names[added];
		cust[ncust + added].name_len = len;
		cust[ncust + added].value = "0";
		cust[ncust + added].value_len = 1;
		added++;
	}
	return added;
}

int
ctl_explain(const struct config *cf, int argc, char **argv)
{
	struct field	*req, *cust, *f;
	size_t		 nreq = 0, ncust = 0, ngiven;
	size_t		 plen = strlen("customer.");
	char		 counts[CONFIG_MAX_WINDOWS][64];
	char		*eq;
	int		 i, json;

	if ((json = ctl_output_json(&argc, argv)) == -1)
		return 2;

	if ((req = calloc(argc + 1, sizeof *req)) == NULL ||
	    (cust = calloc(argc + 1 + CONFIG_MAX_WINDOWS,
	    sizeof *cust)) == NULL)
		fatal("calloc");
	for (i = 0; i < argc; i++) {
		eq = strchr(argv[i], '=');
		if (eq == NULL || eq == argv[i] ||
		    (strncmp(argv[i], "customer.", plen) == 0 &&
		    eq == argv[i] + plen)) {
			fprintf(stderr, "explain: malformed argument '%s' "
			    "(expected field=value or customer.NAME=value)\n",
			    argv[i]);
			free(req);
			free(cust);
			return 2;
		}
		if (strncmp(argv[i], "customer.", plen) == 0) {
			f = &cust[ncust++];
			f->name = argv[i] + plen;
		} else {
			f = &req[nreq++];
			f->name = argv[i];
		}
		f->name_len = eq - f->name;
		f->value = eq + 1;
		f->value_len = strlen(eq + 1);
	}
	ngiven = ncust;
	ncust += explain_contacts(cf, cust, ncust, counts);
	/* A request the daemon would dead-letter is never classified. */
	struct request	rq;
	{
		char		err[REQUEST_ERROR_MAX], id[32];
		long long	now = (long long)time(NULL) * 1000;

		snprintf(id, sizeof id, "%lld-0", now);
		if (request_validate(&cf->intake, id, req, nreq, now, &rq, err,
		    sizeof err) != REQUEST_OK) {
			fprintf(stderr, "explain: the daemon would dead-letter "
			    "this request: %s\n", err);
			free(req);
			free(cust);
			return 1;
		}
	}
	if (json) {
		explain_json(cf, req, nreq, cust, ncust, rq.created_at);
		free(req);
		free(cust);
		return 0;
	}
	printf("rules: %s (version %s)\n", cf->path, cf->version);
	if (ncust > ngiven) {
		printf("contacts:");
		for (size_t k = ngiven; k < ncust; k++)
			printf(" customer.%s=0", cust[k].name);
		printf(" (not given: the daemon's count for a first "
		    "request)\n");
	}
	rules_explain(cf->rules, req, nreq, cust, ncust, stdout);
	{
		struct verdict	v;

		rules_classify(cf->rules, req, nreq, cust, ncust, &v);
		explain_paged(cf, &v, rq.created_at);
	}
	free(req);
	free(cust);
	return 0;
}
