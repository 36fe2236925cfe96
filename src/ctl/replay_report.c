/*
 * replay_report.c - compare the rules in force with a candidate on the same
 * requests, and report what would change (text or JSON).
 *
 * Per request:
 *
 *   fields --request_validate--> invalid (counted by reason, skipped)
 *          --rules_classify_trace(current)---> verdict, deciding rules
 *          --rules_classify_trace(candidate)-> verdict, deciding rules,
 *                                              per-rule hit counters
 *
 * and the two verdicts are compared by name (the two files may order or
 * even name their tiers, teams and policies differently), plus the first
 * response and resolution targets of the policies chosen, so tightening a
 * policy counts as a change even though its name stays.  What is kept is
 * bounded: one counter per distinct from->to pair, a few examples each, and
 * one row per team.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "duration.h"
#include "log.h"
#include "replay.h"
#include "request.h"
#include "rules.h"

enum replay_dim {
	DIM_TIER, DIM_URGENCY, DIM_TEAM, DIM_POLICY, DIM_FIRST, DIM_RESOLUTION,
	NDIMS
};

static const char *dim_text[NDIMS] = {
	"tier", "urgency", "team", "sla policy", "first response target",
	"resolution target"
};
static const char *dim_json[NDIMS] = {
	"tier", "urgency", "team", "policy", "first_response", "resolution"
};

struct example {
	char		*ticket;
	char		*before;	/* the rule that decided, current rules */
	char		*after;		/* the same, candidate */
};

struct change {
	const char	*from, *to;	/* names; NULL for the target dims */
	int64_t		 from_ms, to_ms;	/* targets; 0 = none */
	unsigned long	 count;
	size_t		 nexamples;
	struct example	*examples;
};

struct dim {
	struct change	*v;
	size_t		 n, cap;
	unsigned long	 requests;
};

struct team_load {
	const char	*name;
	unsigned long	 before, after;
	/* First-response targets of the requests routed there. */
	double		 fr_before, fr_after;	/* sums, ms */
	unsigned long	 nfr_before, nfr_after;
};

struct replay {
	const struct config	*cur, *cand;
	size_t			 maxex;
	int64_t			 now;

	unsigned long		 read, classified, invalid, changed;
	unsigned long		 invalid_by[REQUEST_NREASONS];
	struct dim		 dims[NDIMS];

	struct team_load	*teams;
	size_t			 nteams;
	int			*team_cur, *team_cand;	/* -> teams[] */

	/* First-response target, request by request. */
	unsigned long		 tighter, looser, gained, lost, same;
	double			 tighter_ms, looser_ms;

	unsigned long		*hits[RULES_NKINDS];	/* candidate's rules */

	/* Teams in force the candidate drops, and what waits in their queues. */
	struct {
		const char	*name;
		long long	 queued;	/* -1: not known */
	}			*dropped;
	size_t			 ndropped;
};

static int
team_row(struct replay *rp, const char *name)
{
	size_t	i;

	for (i = 0; i < rp->nteams; i++)
		if (strcmp(rp->teams[i].name, name) == 0)
			return (int)i;
	rp->teams[rp->nteams].name = name;
	return (int)rp->nteams++;
}

struct replay *
replay_new(const struct config *cur, const struct config *cand,
    size_t examples, int64_t now_ms)
{
	struct replay	*rp;
	size_t		 nc = rules_team_count(cur->rules);
	size_t		 nn = rules_team_count(cand->rules), i;
	int		 k;

	if ((rp = calloc(1, sizeof *rp)) == NULL ||
	    (rp->teams = calloc(nc + nn, sizeof *rp->teams)) == NULL ||
	    (rp->team_cur = calloc(nc, sizeof *rp->team_cur)) == NULL ||
	    (rp->team_cand = calloc(nn, sizeof *rp->team_cand)) == NULL)
		fatal("calloc");
	rp->cur = cur;
	rp->cand = cand;
	rp->maxex = examples;
	rp->now = now_ms;
	for (i = 0; i < nc; i++)
		rp->team_cur[i] = team_row(rp,
		    rules_team_name(cur->rules, (int)i));
	for (i = 0; i < nn; i++)
		rp->team_cand[i] = team_row(rp,
		    rules_team_name(cand->rules, (int)i));
	for (k = 0; k < RULES_NKINDS; k++) {
		rp->hits[k] = calloc(rules_kind_count(cand->rules, k) + 1,
		    sizeof *rp->hits[k]);
		if (rp->hits[k] == NULL)
			fatal("calloc");
	}
	return rp;
}

void
replay_free(struct replay *rp)
{
	size_t	d, i, j;

	if (rp == NULL)
		return;
	free(rp->dropped);
	for (d = 0; d < NDIMS; d++) {
		for (i = 0; i < rp->dims[d].n; i++) {
			struct change	*c = &rp->dims[d].v[i];

			for (j = 0; j < c->nexamples; j++) {
				free(c->examples[j].ticket);
				free(c->examples[j].before);
				free(c->examples[j].after);
			}
			free(c->examples);
		}
		free(rp->dims[d].v);
	}
	for (d = 0; d < RULES_NKINDS; d++)
		free(rp->hits[d]);
	free(rp->teams);
	free(rp->team_cur);
	free(rp->team_cand);
	free(rp);
}

static const char *
fmt_target(int64_t ms, char *buf, size_t size)
{
	if (ms == 0) {
		snprintf(buf, size, "none");
		return buf;
	}
	return duration_format(ms, buf, size);
}

/* The rule that decided dimension d, as a phrase: malloc'd. */
static char *
why(const struct rules *r, enum replay_dim d, const struct verdict *v,
    const struct rules_trace *t)
{
	char		 buf[256], dur[64], *out;
	const char	*name;
	int64_t		 ms;
	int		 i, k;

	switch (d) {
	case DIM_TIER:
		k = RULES_TIER;
		if (t->tier_given) {
			snprintf(buf, sizeof buf, "given by the request");
			goto out;
		}
		break;
	case DIM_URGENCY:
		k = RULES_OVERRIDE;
		if (t->decided[k] == -1) {
			snprintf(buf, sizeof buf, "score %ld", v->score);
			goto out;
		}
		break;
	case DIM_TEAM:
		k = RULES_ROUTE;
		break;
	default:
		k = RULES_POLICY;
		break;
	}
	i = t->decided[k];
	if (i == -1) {
		switch (k) {
		case RULES_TIER:
			snprintf(buf, sizeof buf, "no level matched: the lowest");
			break;
		case RULES_ROUTE:
			snprintf(buf, sizeof buf, "no route matched: "
			    "default_team");
			break;
		default:
			snprintf(buf, sizeof buf, "no sla policy matched");
			break;
		}
		goto out;
	}
	name = rules_rule_name(r, k, i);
	snprintf(buf, sizeof buf, "%s '%s' (line %d)", rules_kind_name(k),
	    name, rules_rule_line(r, k, i));
	if (d == DIM_FIRST || d == DIM_RESOLUTION) {
		ms = rules_policy_target(r, i, d == DIM_FIRST ?
		    SLA_FIRST_RESPONSE : SLA_RESOLUTION)->within_ms;
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
		    ": %s", fmt_target(ms, dur, sizeof dur));
	}
out:
	if ((out = strdup(buf)) == NULL)
		fatal("strdup");
	return out;
}

static void
note(struct replay *rp, enum replay_dim d, const char *from, const char *to,
    int64_t from_ms, int64_t to_ms, const struct request *rq,
    const struct verdict *vc, const struct rules_trace *tc,
    const struct verdict *vn, const struct rules_trace *tn)
{
	struct dim	*dm = &rp->dims[d];
	struct change	*c = NULL;
	struct example	*e;
	size_t		 i;

	dm->requests++;
	for (i = 0; i < dm->n; i++) {
		c = &dm->v[i];
		if (from != NULL ? strcmp(c->from, from) == 0 &&
		    strcmp(c->to, to) == 0 :
		    c->from_ms == from_ms && c->to_ms == to_ms)
			break;
	}
	if (i == dm->n) {
		if (dm->n == dm->cap) {
			dm->cap = dm->cap ? dm->cap * 2 : 8;
			dm->v = realloc(dm->v, dm->cap * sizeof *dm->v);
			if (dm->v == NULL)
				fatal("realloc");
		}
		c = &dm->v[dm->n++];
		memset(c, 0, sizeof *c);
		c->from = from;
		c->to = to;
		c->from_ms = from_ms;
		c->to_ms = to_ms;
		if (rp->maxex > 0 && (c->examples = calloc(rp->maxex,
		    sizeof *c->examples)) == NULL)
			fatal("calloc");
	}
	c->count++;
	if (c->nexamples >= rp->maxex)
		return;
	e = &c->examples[c->nexamples++];
	if ((e->ticket = strndup(rq->id, rq->id_len)) == NULL)
		fatal("strndup");
	e->before = why(rp->cur->rules, d, vc, tc);
	e->after = why(rp->cand->rules, d, vn, tn);
}

static int64_t
target(const struct rules *r, int policy, enum sla_metric m)
{
	const struct sla_target	*t;

	if (policy == -1 || (t = rules_policy_target(r, policy, m)) == NULL)
		return 0;
	return t->within_ms;
}

void
replay_add(struct replay *rp, const char *entry_id, const struct field *req,
    size_t nreq, const struct field *cust, size_t ncust)
{
	struct request		 rq;
	struct verdict		 vc, vn;
	struct rules_trace	 tc, tn;
	enum request_reason	 why_bad;
	char			 err[REQUEST_ERROR_MAX];
	const char		*pc, *pn;
	int64_t			 fc, fn, rc, rn;
	struct team_load	*tl;
	int			 changed = 0, k;

	rp->read++;
	why_bad = request_validate(&rp->cur->intake, entry_id, req, nreq,
	    rp->now, &rq, err, sizeof err);
	if (why_bad != REQUEST_OK) {
		rp->invalid++;
		rp->invalid_by[why_bad]++;
		return;
	}
	memset(&tc, 0, sizeof tc);
	memset(&tn, 0, sizeof tn);
	for (k = 0; k < RULES_NKINDS; k++)
		tn.hits[k] = rp->hits[k];
	rules_classify_trace(rp->cur->rules, req, nreq, cust, ncust, &vc, &tc);
	rules_classify_trace(rp->cand->rules, req, nreq, cust, ncust, &vn,
	    &tn);
	rp->classified++;

	fc = target(rp->cur->rules, vc.policy, SLA_FIRST_RESPONSE);
	fn = target(rp->cand->rules, vn.policy, SLA_FIRST_RESPONSE);
	rc = target(rp->cur->rules, vc.policy, SLA_RESOLUTION);
	rn = target(rp->cand->rules, vn.policy, SLA_RESOLUTION);

	tl = &rp->teams[rp->team_cur[vc.team]];
	tl->before++;
	if (fc > 0) {
		tl->fr_before += (double)fc;
		tl->nfr_before++;
	}
	tl = &rp->teams[rp->team_cand[vn.team]];
	tl->after++;
	if (fn > 0) {
		tl->fr_after += (double)fn;
		tl->nfr_after++;
	}
	if (fc == fn)
		rp->same++;
	else if (fc == 0)
		rp->gained++;
	else if (fn == 0)
		rp->lost++;
	else if (fn < fc) {
		rp->tighter++;
		rp->tighter_ms += (double)(fc - fn);
	} else {
		rp->looser++;
		rp->looser_ms += (double)(fn - fc);
	}

	if (strcmp(vc.tier_name, vn.tier_name) != 0) {
		note(rp, DIM_TIER, vc.tier_name, vn.tier_name, 0, 0, &rq,
		    &vc, &tc, &vn, &tn);
		changed = 1;
	}
	if (strcmp(vc.urgency_name, vn.urgency_name) != 0) {
		note(rp, DIM_URGENCY, vc.urgency_name, vn.urgency_name, 0, 0,
		    &rq, &vc, &tc, &vn, &tn);
		changed = 1;
	}
	if (strcmp(vc.team_name, vn.team_name) != 0) {
		note(rp, DIM_TEAM, vc.team_name, vn.team_name, 0, 0, &rq,
		    &vc, &tc, &vn, &tn);
		changed = 1;
	}
	pc = vc.policy_name != NULL ? vc.policy_name : "none";
	pn = vn.policy_name != NULL ? vn.policy_name : "none";
	if (strcmp(pc, pn) != 0) {
		note(rp, DIM_POLICY, pc, pn, 0, 0, &rq, &vc, &tc, &vn, &tn);
		changed = 1;
	}
	if (fc != fn) {
		note(rp, DIM_FIRST, NULL, NULL, fc, fn, &rq, &vc, &tc, &vn,
		    &tn);
		changed = 1;
	}
	if (rc != rn) {
		note(rp, DIM_RESOLUTION, NULL, NULL, rc, rn, &rq, &vc, &tc,
		    &vn, &tn);
		changed = 1;
	}
	rp->changed += changed;
}

void
replay_add_malformed(struct replay *rp)
{
	rp->read++;
	rp->invalid++;
	rp->invalid_by[REQUEST_MALFORMED]++;
}

unsigned long
replay_changed(const struct replay *rp)
{
	return rp->changed;
}

void
replay_team_dropped(struct replay *rp, const char *team, long long queued)
{
	void	*p;

	if ((p = realloc(rp->dropped, (rp->ndropped + 1) *
	    sizeof *rp->dropped)) == NULL)
		fatal("replay");
	rp->dropped = p;
	rp->dropped[rp->ndropped].name = team;
	rp->dropped[rp->ndropped++].queued = queued;
}

unsigned long
replay_read(const struct replay *rp)
{
	return rp->read;
}

unsigned long
replay_classified(const struct replay *rp)
{
	return rp->classified;
}

static double
pct(unsigned long n, unsigned long of)
{
	return of == 0 ? 0.0 : 100.0 * (double)n / (double)of;
}

/* A change's from/to as text. */
static void
change_ends(const struct change *c, char *from, char *to, size_t size)
{
	if (c->from != NULL) {
		snprintf(from, size, "%s", c->from);
		snprintf(to, size, "%s", c->to);
	} else {
		fmt_target(c->from_ms, from, size);
		fmt_target(c->to_ms, to, size);
	}
}

/* Changes of a dimension, largest first (then by name, for a stable order). */
static int
change_cmp(const void *a, const void *b)
{
	const struct change	*x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->from != NULL && y->from != NULL) {
		int	c = strcmp(x->from, y->from);

		return c != 0 ? c : strcmp(x->to, y->to);
	}
	if (x->from_ms != y->from_ms)
		return x->from_ms < y->from_ms ? -1 : 1;
	return x->to_ms < y->to_ms ? -1 : x->to_ms > y->to_ms;
}

static void
sort_changes(const struct replay *rp)
{
	size_t	d;

	/* Sorting reorders, never changes, what was counted. */
	for (d = 0; d < NDIMS; d++)
		if (rp->dims[d].n > 1)
			qsort(rp->dims[d].v, rp->dims[d].n,
			    sizeof *rp->dims[d].v, change_cmp);
}

/* A mean target, to the second below an hour, else to the minute. */
static void
fmt_mean(double sum, unsigned long n, char *buf, size_t size)
{
	double	ms, unit;

	if (n == 0) {
		snprintf(buf, size, "-");
		return;
	}
	ms = sum / n;
	unit = ms < 3600000 ? 1000 : 60000;
	duration_format((int64_t)(ms / unit + 0.5) * (int64_t)unit, buf, size);
}

/* Each warning line of the candidate's load, without the trailing '\n'. */
static const char *
next_line(const char **p, size_t *len)
{
	const char	*s = *p, *nl;

	if (s == NULL || *s == '\0')
		return NULL;
	nl = strchr(s, '\n');
	*len = nl != NULL ? (size_t)(nl - s) : strlen(s);
	*p = nl != NULL ? nl + 1 : s + *len;
	return s;
}

void
replay_print_text(const struct replay *rp, const char *source,
    const char *warnings, FILE *f)
{
	char		 from[128], to[128], dur[64], dur2[64];
	const char	*line, *p;
	size_t		 d, i, j, len, n;
	int		 k, any;

	sort_changes(rp);
	fprintf(f, "replay: %lu requests from %s\n", rp->read, source);
	fprintf(f, "rules: %s (version %s) -> %s (version %s)\n",
	    rp->cur->path, rp->cur->version, rp->cand->path,
	    rp->cand->version);
	fprintf(f, "classified: %lu", rp->classified);
	if (rp->invalid > 0) {
		fprintf(f, ", invalid (skipped): %lu (", rp->invalid);
		for (i = 0, any = 0; i < REQUEST_NREASONS; i++) {
			if (rp->invalid_by[i] == 0)
				continue;
			fprintf(f, "%s%s %lu", any ? ", " : "",
			    request_reason_name(i), rp->invalid_by[i]);
			any = 1;
		}
		fputc(')', f);
	}
	fputc('\n', f);
	if (rp->changed == 0)
		fprintf(f, "no change: the candidate classifies every request "
		    "as the current rules do\n");
	else
		fprintf(f, "changed: %lu of %lu requests (%.1f%%)\n",
		    rp->changed, rp->classified,
		    pct(rp->changed, rp->classified));

	fprintf(f, "\n%-24s %10s\n", "what changes", "requests");
	for (d = 0; d < NDIMS; d++)
		fprintf(f, "  %-22s %10lu\n", dim_text[d], rp->dims[d].requests);

	for (d = 0; d < NDIMS; d++) {
		if (rp->dims[d].n == 0)
			continue;
		fprintf(f, "\n%s: %lu requests\n", dim_text[d],
		    rp->dims[d].requests);
		fprintf(f, "  %-16s %-16s %10s\n", "from", "to", "requests");
		for (i = 0; i < rp->dims[d].n; i++) {
			const struct change	*c = &rp->dims[d].v[i];

			change_ends(c, from, to, sizeof from);
			fprintf(f, "  %-16s %-16s %10lu\n", from, to, c->count);
			for (j = 0; j < c->nexamples; j++)
				fprintf(f, "      e.g. %s: %s -> %s\n",
				    c->examples[j].ticket,
				    c->examples[j].before,
				    c->examples[j].after);
		}
	}

	fprintf(f, "\nload by team %17s %17s %10s\n", "before", "after",
	    "change");
	for (i = 0; i < rp->nteams; i++) {
		const struct team_load	*t = &rp->teams[i];

		fprintf(f, "  %-16s %8lu %6.1f%% %8lu %6.1f%% %+10ld\n",
		    t->name, t->before, pct(t->before, rp->classified),
		    t->after, pct(t->after, rp->classified),
		    (long)t->after - (long)t->before);
	}

	fprintf(f, "\nfirst-response targets\n");
	fprintf(f, "  tighter: %lu requests", rp->tighter);
	if (rp->tighter > 0)
		fprintf(f, ", by %s on average", duration_format((int64_t)
		    (rp->tighter_ms / rp->tighter + 0.5), dur, sizeof dur));
	fprintf(f, "\n  looser: %lu requests", rp->looser);
	if (rp->looser > 0)
		fprintf(f, ", by %s on average", duration_format((int64_t)
		    (rp->looser_ms / rp->looser + 0.5), dur, sizeof dur));
	fprintf(f, "\n  gained a target: %lu, lost its target: %lu, "
	    "unchanged: %lu\n", rp->gained, rp->lost, rp->same);
	fprintf(f, "  %-16s %16s %16s\n", "mean by team", "before", "after");
	for (i = 0; i < rp->nteams; i++) {
		const struct team_load	*t = &rp->teams[i];

		if (t->nfr_before == 0 && t->nfr_after == 0)
			continue;
		fmt_mean(t->fr_before, t->nfr_before, dur, sizeof dur);
		fmt_mean(t->fr_after, t->nfr_after, dur2, sizeof dur2);
		fprintf(f, "  %-16s %16s %16s\n", t->name, dur, dur2);
	}

	fprintf(f, "\nteams the candidate drops\n");
	for (i = 0; i < rp->ndropped; i++) {
		if (rp->dropped[i].queued >= 0)
			fprintf(f, "  %s: %lld tickets in its queue now would be "
			    "seen by no agent\n", rp->dropped[i].name,
			    rp->dropped[i].queued);
		else
			fprintf(f, "  %s: its queue was not looked at (no "
			    "Redis)\n", rp->dropped[i].name);
	}
	if (rp->ndropped == 0)
		fprintf(f, "  none\n");

	fprintf(f, "\ncandidate rules that matched no request\n");
	for (k = 0, n = 0; k < RULES_NKINDS; k++) {
		for (i = 0; i < rules_kind_count(rp->cand->rules, k); i++) {
			if (rp->hits[k][i] != 0)
				continue;
			fprintf(f, "  %s:%d: %s '%s'\n", rp->cand->path,
			    rules_rule_line(rp->cand->rules, k, (int)i),
			    rules_kind_name(k),
			    rules_rule_name(rp->cand->rules, k, (int)i));
			n++;
		}
	}
	if (n == 0)
		fprintf(f, "  none\n");

	fprintf(f, "\ncandidate rules shadowed by an earlier one\n");
	p = warnings;
	n = 0;
	while ((line = next_line(&p, &len)) != NULL) {
		fprintf(f, "  %.*s\n", (int)len, line);
		n++;
	}
	if (n == 0)
		fprintf(f, "  none\n");
}

/* A JSON string: quotes, backslashes and control bytes escaped. */
static void
json_str(FILE *f, const char *s)
{
	const unsigned char	*p;
	int			 utf8;

	if (s == NULL) {
		fputs("null", f);
		return;
	}
	utf8 = request_utf8_valid(s, strlen(s));
	fputc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			/* Bytes that are not UTF-8 (a path, say) as Latin-1. */
			if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && !utf8))
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void
json_kv(FILE *f, const char *key, const char *val, int comma)
{
	json_str(f, key);
	fputc(':', f);
	json_str(f, val);
	if (comma)
		fputc(',', f);
}

void
replay_print_json(const struct replay *rp, const char *source,
    const char *warnings, FILE *f)
{
	char		 buf[1024], from[128], to[128];
	const char	*line, *p;
	size_t		 d, i, j, len, n;
	int		 k;

	sort_changes(rp);
	fputs("{\n  \"source\": ", f);
	json_str(f, source);
	fputs(",\n  \"current\": {", f);
	json_kv(f, "path", rp->cur->path, 1);
	json_kv(f, "version", rp->cur->version, 0);
	fputs("},\n  \"candidate\": {", f);
	json_kv(f, "path", rp->cand->path, 1);
	json_kv(f, "version", rp->cand->version, 0);
	fprintf(f, "},\n  \"requests\": %lu,\n  \"classified\": %lu,\n"
	    "  \"invalid\": %lu,\n  \"invalid_by_reason\": {", rp->read,
	    rp->classified, rp->invalid);
	for (i = 0, n = 0; i < REQUEST_NREASONS; i++) {
		if (rp->invalid_by[i] == 0)
			continue;
		fprintf(f, "%s", n++ ? ", " : "");
		json_str(f, request_reason_name(i));
		fprintf(f, ": %lu", rp->invalid_by[i]);
	}
	fprintf(f, "},\n  \"changed\": %lu,\n  \"changed_by\": {",
	    rp->changed);
	for (d = 0; d < NDIMS; d++)
		fprintf(f, "%s\"%s\": %lu", d ? ", " : "", dim_json[d],
		    rp->dims[d].requests);
	fputs("},\n  \"changes\": {", f);
	for (d = 0; d < NDIMS; d++) {
		fprintf(f, "%s\n    \"%s\": [", d ? "," : "", dim_json[d]);
		for (i = 0; i < rp->dims[d].n; i++) {
			const struct change	*c = &rp->dims[d].v[i];

			change_ends(c, from, to, sizeof from);
			fprintf(f, "%s\n      {", i ? "," : "");
			json_kv(f, "from", from, 1);
			json_kv(f, "to", to, 1);
			if (c->from == NULL)
				fprintf(f, "\"from_ms\": %" PRId64 ", "
				    "\"to_ms\": %" PRId64 ", ", c->from_ms,
				    c->to_ms);
			fprintf(f, "\"count\": %lu, \"examples\": [", c->count);
			for (j = 0; j < c->nexamples; j++) {
				fputs(j ? ", {" : "{", f);
				json_kv(f, "ticket", c->examples[j].ticket, 1);
				json_kv(f, "before", c->examples[j].before, 1);
				json_kv(f, "after", c->examples[j].after, 0);
				fputc('}', f);
			}
			fputs("]}", f);
		}
		fputs(rp->dims[d].n ? "\n    ]" : "]", f);
	}
	fputs("\n  },\n  \"teams\": [", f);
	for (i = 0; i < rp->nteams; i++) {
		const struct team_load	*t = &rp->teams[i];

		fprintf(f, "%s\n    {", i ? "," : "");
		json_kv(f, "team", t->name, 1);
		fprintf(f, "\"before\": %lu, \"after\": %lu, "
		    "\"share_before\": %.4f, \"share_after\": %.4f, "
		    "\"first_response_mean_ms_before\": ", t->before, t->after,
		    pct(t->before, rp->classified) / 100,
		    pct(t->after, rp->classified) / 100);
		if (t->nfr_before > 0)
			fprintf(f, "%.0f", t->fr_before / t->nfr_before);
		else
			fputs("null", f);
		fputs(", \"first_response_mean_ms_after\": ", f);
		if (t->nfr_after > 0)
			fprintf(f, "%.0f}", t->fr_after / t->nfr_after);
		else
			fputs("null}", f);
	}
	fprintf(f, "\n  ],\n  \"first_response\": {\"tighter\": %lu, "
	    "\"tighter_mean_ms\": %.0f, \"looser\": %lu, "
	    "\"looser_mean_ms\": %.0f, \"gained\": %lu, \"lost\": %lu, "
	    "\"unchanged\": %lu},", rp->tighter,
	    rp->tighter ? rp->tighter_ms / rp->tighter : 0.0, rp->looser,
	    rp->looser ? rp->looser_ms / rp->looser : 0.0, rp->gained,
	    rp->lost, rp->same);
	fputs("\n  \"dropped_teams\": [", f);
	for (i = 0; i < rp->ndropped; i++) {
		fprintf(f, "%s{", i ? ", " : "");
		json_kv(f, "name", rp->dropped[i].name, 1);
		if (rp->dropped[i].queued >= 0)
			fprintf(f, "\"queued\": %lld}", rp->dropped[i].queued);
		else
			fputs("\"queued\": null}", f);
	}
	fputs("],\n  \"unused_rules\": [", f);
	for (k = 0, n = 0; k < RULES_NKINDS; k++) {
		for (i = 0; i < rules_kind_count(rp->cand->rules, k); i++) {
			if (rp->hits[k][i] != 0)
				continue;
			fprintf(f, "%s\n    {", n++ ? "," : "");
			json_kv(f, "kind", rules_kind_name(k), 1);
			json_kv(f, "name", rules_rule_name(rp->cand->rules, k,
			    (int)i), 1);
			fprintf(f, "\"line\": %d}", rules_rule_line(
			    rp->cand->rules, k, (int)i));
		}
	}
	fputs(n ? "\n  ],\n  \"shadowed\": [" : "],\n  \"shadowed\": [", f);
	p = warnings;
	n = 0;
	while ((line = next_line(&p, &len)) != NULL) {
		snprintf(buf, sizeof buf, "%.*s", (int)len, line);
		fputs(n++ ? ",\n    " : "\n    ", f);
		json_str(f, buf);
	}
	fputs(n ? "\n  ]\n}\n" : "]\n}\n", f);
}
