/*
 * bench_rules - the pure classifier's cost, and the cost of loading a
 * rules file (what a reload pays before it swaps), on a rules file given.
 *
 *	bench_rules FILE [ROUNDS]
 *
 * Classifies 4,096 varied requests (categories, regions, channels,
 * subjects in English and Chinese, order values; a CRM record with a level
 * and a region for each) ROUNDS times over and prints ns per request; then
 * loads FILE ten times and prints the mean load time.  No Redis, no clock
 * but the one that times the loops.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "field.h"
#include "rules.h"

#define NREQ	4096
#define NFIELD	6
#define NCUST	2

struct sample {
	char		 text[NFIELD + NCUST][64];
	struct field	 req[NFIELD];
	struct field	 cust[NCUST];
};

static const char *subjects[] = {
	"Cannot log in to my account", "Invoice shows the wrong amount",
	"Service is down - urgent", "无法登录账户", "紧急：系统宕机",
	"发票金额有误", "Question about route17 please", "关于路由42的问题",
};
static const char *channels[] = { "phone", "email", "chat", "web" };

static double
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void
set(struct field *f, const char *name, char *buf, const char *value)
{
	snprintf(buf, 64, "%s", value);
	f->name = name;
	f->name_len = strlen(name);
	f->value = buf;
	f->value_len = strlen(buf);
}

static void
sample_make(struct sample *s, unsigned r)
{
	char	v[64];

	snprintf(v, sizeof v, "cat_%u", r % 1200);
	set(&s->req[0], "category", s->text[0], v);
	set(&s->req[1], "channel", s->text[1], channels[r % 4]);
	set(&s->req[2], "subject", s->text[2], subjects[r % 8]);
	snprintf(v, sizeof v, "%u", (r * 7919) % 300000);
	set(&s->req[3], "order_value", s->text[3], v);
	snprintf(v, sizeof v, "acct_%u_b", r % 1100);
	set(&s->req[4], "customer_id", s->text[4], v);
	set(&s->req[5], "severity", s->text[5], r % 10 ? "minor" : "outage");
	set(&s->cust[0], "level", s->text[6], r % 5 ? "standard" : "vip");
	snprintf(v, sizeof v, "region_%u", r % 1000);
	set(&s->cust[1], "region", s->text[7], v);
}

int
main(int argc, char **argv)
{
	static struct sample	 samples[NREQ];
	struct config		*cfg;
	struct verdict		 v;
	char			*diag;
	double			 t0, t1;
	long			 rounds, i, j, routed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_rules FILE [ROUNDS]\n");
		return 2;
	}
	rounds = argc > 2 ? atol(argv[2]) : 50;
	if ((cfg = config_load(argv[1], 0, &diag)) == NULL) {
		fprintf(stderr, "%s", diag != NULL ? diag : "load failed\n");
		return 1;
	}
	free(diag);
	for (i = 0; i < NREQ; i++)
		sample_make(&samples[i], (unsigned)(i * 2654435761u >> 7));

	t0 = now_ns();
	for (j = 0; j < rounds; j++)
		for (i = 0; i < NREQ; i++) {
			rules_classify(cfg->rules, samples[i].req, NFIELD,
			    samples[i].cust, NCUST, &v);
			routed += v.team;
		}
	t1 = now_ns();
	printf("classify_ns_per_request %.0f\n", (t1 - t0) / (rounds * NREQ));
	config_free(cfg);

	t0 = now_ns();
	for (j = 0; j < 10; j++) {
		if ((cfg = config_load(argv[1], 0, &diag)) == NULL)
			return 1;
		free(diag);
		config_free(cfg);
	}
	t1 = now_ns();
	printf("load_ms %.1f\n", (t1 - t0) / 10 / 1e6);
	/* Keep the classification from being optimised away. */
	return routed == -1;
}
