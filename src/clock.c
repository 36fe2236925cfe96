/*
 * clock.c - the ticket clock (pure; see clock.h).
 *
 * A ticket has two clocks, first response and resolution, each a budget of
 * business time from its policy; deadline.c does the arithmetic on the
 * policy's calendar.  This file decides what happens to them, and says so
 * as writes for the I/O files to carry out:
 *
 *   routed      both start at created_at; every step scheduled, generation 0
 *   responded   first response stops, met or not; its steps unscheduled
 *   pending     resolution pauses: spent += business time since it ran
 *   resumed     resolution runs again from now with what was left: a new
 *               due, generation + 1, the steps not yet fired rescheduled
 *   resolved    both stop, resolution met or not; out of the queue, expires
 *   reopened    back in the queue; resolution runs again (as resumed)
 *   reassigned  moves to the new team's queue
 *   step due    warning or breach, who is told, raise, reassign
 *
 * Clock state kept on the ticket, besides the contract's fields:
 *   resolution_spent   business ms the resolution clock had spent when it
 *                      last stopped running (pending, resolved)
 *   resolution_from    when it last started running (created_at at first)
 *   resolution_gen     generation of its schedule in P+sla
 *   paused_at, status_before   while pending
 *
 * The targets are read from the ticket (METRIC_target) before the rules, so
 * a reload that changes a policy does not move a running clock's deadline;
 * the steps come from the rules in force.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "decimal.h"
#include "deadline.h"
#include "log.h"

static const char *op_names[] = {
	[CLOCK_SET] = "H", [CLOCK_DEL] = "X",
	[CLOCK_SCHEDULE] = "S+", [CLOCK_UNSCHEDULE] = "S-",
	[CLOCK_QUEUE_ADD] = "Q+", [CLOCK_QUEUE_DEL] = "Q-",
	[CLOCK_QUEUE_MOVE] = "QM",
	[CLOCK_EXPIRE] = "E", [CLOCK_PERSIST] = "P",
};

/* Field names per metric, so the hot path does not format them. */
static const char *due_names[SLA_NMETRICS] = {
	"first_response_due", "resolution_due"
};
static const char *target_names[SLA_NMETRICS] = {
	"first_response_target", "resolution_target"
};

const char *
clock_op_name(enum clock_op op)
{
	return (size_t)op < sizeof op_names / sizeof op_names[0] ?
	    op_names[op] : "?";
}

void
clock_writes_clear(struct clock_writes *w)
{
	w->n = 0;
	w->textlen = 0;
	memset(w->stop, 0, sizeof w->stop);
}

void
clock_writes_free(struct clock_writes *w)
{
	free(w->w);
	free(w->text);
	memset(w, 0, sizeof *w);
}

static struct clock_write *
put(struct clock_writes *w, enum clock_op op)
{
	struct clock_write	*cw;

	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 32;
		if ((w->w = realloc(w->w, w->cap * sizeof *w->w)) == NULL)
			fatal("clock writes");
	}
	cw = &w->w[w->n++];
	cw->op = op;
	cw->nargs = 0;
	return cw;
}

/* Copy an argument into the list's storage. */
static void
arg(struct clock_writes *w, struct clock_write *cw, const char *s,
    size_t len)
{
	int	i = cw->nargs;

	if (w->textlen + len + 1 > w->textcap) {
		while (w->textlen + len + 1 > w->textcap)
			w->textcap = w->textcap ? w->textcap * 2 : 1024;
		if ((w->text = realloc(w->text, w->textcap)) == NULL)
			fatal("clock writes");
		/* The storage moved: point the arguments at it again. */
		for (size_t k = 0; k < w->n; k++)
			for (int j = 0; j < w->w[k].nargs; j++)
				w->w[k].arg[j] = w->text + w->w[k].off[j];
	}
	memcpy(w->text + w->textlen, s, len);
	w->text[w->textlen + len] = '\0';
	cw->off[i] = w->textlen;
	cw->arg[i] = w->text + w->textlen;
	cw->len[i] = len;
	cw->nargs++;
	w->textlen += len + 1;
}

static void
arg_str(struct clock_writes *w, struct clock_write *cw, const char *s)
{
	arg(w, cw, s, strlen(s));
}

static void
arg_num(struct clock_writes *w, struct clock_write *cw, int64_t v)
{
	char	buf[DECIMAL_MAX];

	arg(w, cw, buf, decimal_format(v, buf));
}

static void
set(struct clock_writes *w, const char *field, const char *v, size_t len)
{
	struct clock_write	*cw = put(w, CLOCK_SET);

	arg_str(w, cw, field);
	arg(w, cw, v, len);
}

static void
set_str(struct clock_writes *w, const char *field, const char *v)
{
	set(w, field, v, strlen(v));
}

static void
set_num(struct clock_writes *w, const char *field, int64_t v)
{
	struct clock_write	*cw = put(w, CLOCK_SET);

	arg_str(w, cw, field);
	arg_num(w, cw, v);
}

static void
del(struct clock_writes *w, const char *field)
{
	arg_str(w, put(w, CLOCK_DEL), field);
}

/* Look the policy up by name; the first of that name, as route.c did. */
int
clock_policy_find(const struct rules *rules, const char *name, size_t len)
{
	size_t	n = rules_policy_count(rules);

	for (size_t i = 0; i < n; i++) {
		const char	*p = rules_policy_name(rules, (int)i);

		if (p != NULL && strlen(p) == len && memcmp(p, name, len) == 0)
			return (int)i;
	}
	return -1;
}

/* Routing. */

int
clock_start(const struct rules *rules, const struct verdict *v,
    const char *id, size_t id_len, int64_t created_at,
    struct clock_writes *w)
{
	const struct calendar	*cal = NULL;
	const struct sla_target	*t[SLA_NMETRICS] = { NULL };
	int64_t			 due[SLA_NMETRICS] = { 0 };
	struct clock_write	*cw;
	char			 member[CLOCK_MEMBER_MAX + 1];
	int			 len;

	clock_writes_clear(w);
	if (v->policy >= 0)
		cal = rules_policy_calendar(rules, v->policy);
	for (int m = 0; m < SLA_NMETRICS && v->policy >= 0; m++) {
		t[m] = rules_policy_target(rules, v->policy, m);
		if (t[m] == NULL || t[m]->within_ms <= 0) {
			t[m] = NULL;
			continue;
		}
		due[m] = deadline_at(cal, created_at, 0, t[m]->within_ms);
		set_num(w, due_names[m], due[m]);
		set_num(w, target_names[m], t[m]->within_ms);
	}
	/* Earliest deadline first; none: created_at plus a year. */
	cw = put(w, CLOCK_QUEUE_ADD);
	arg_str(w, cw, v->team_name);
	arg_num(w, cw, t[SLA_FIRST_RESPONSE] != NULL ?
	    due[SLA_FIRST_RESPONSE] : created_at + CLOCK_NO_DUE_MS);
	arg(w, cw, id, id_len);
	/* The first step of each clock; each fired step schedules the next. */
	for (int m = 0; m < SLA_NMETRICS; m++) {
		if (t[m] == NULL || t[m]->nsteps == 0)
			continue;
		if ((len = deadline_member_format(member, sizeof member,
		    id, id_len, m, 0, 0, v->policy_name)) == -1)
			return -1;
		cw = put(w, CLOCK_SCHEDULE);
		arg_num(w, cw, deadline_at(cal, created_at, 0,
		    deadline_step_ms(t[m]->within_ms,
		    t[m]->steps[0].at_permille)));
		arg(w, cw, member, (size_t)len);
	}
	return 0;
}

/* The ticket as its fields hold it. */

static int
named(const struct field *f, const char *name)
{
	return f->name_len == strlen(name) &&
	    memcmp(f->name, name, f->name_len) == 0;
}

static void
str(const struct field *f, const char **s, size_t *len)
{
	*s = f->value;
	*len = f->value_len;
}

/* A clock number; one that is not is left absent and noted. */
static void
num(struct clock_ticket *t, const struct field *f, int64_t *out)
{
	char	buf[24];

	/* Digits only, so a NUL inside is not one either. */
	if (f->value_len < sizeof buf &&
	    memchr(f->value, '\0', f->value_len) == NULL) {
		memcpy(buf, f->value, f->value_len);
		buf[f->value_len] = '\0';
		if (deadline_parse_ms(buf, out) == 0)
			return;
	}
	if (t->ncorrupt < CLOCK_TICKET_NUMS)
		t->corrupt[t->ncorrupt++] = *f;
}

void
clock_ticket_parse(struct clock_ticket *t, const struct field *fields,
    size_t n)
{
	memset(t, 0, sizeof *t);
	t->created_at = t->first_response_due = -1;
	t->resolution_from = t->resolution_spent = -1;
	for (int m = 0; m < SLA_NMETRICS; m++)
		t->target[m] = t->gen[m] = -1;
	t->fields = fields;
	t->nfields = n;
	for (size_t i = 0; i < n; i++) {
		const struct field	*f = &fields[i];

		if (named(f, "status"))
			str(f, &t->status, &t->status_len);
		else if (named(f, "team"))
			str(f, &t->team, &t->team_len);
		else if (named(f, "policy"))
			str(f, &t->policy, &t->policy_len);
		else if (named(f, "status_before"))
			str(f, &t->status_before, &t->status_before_len);
		else if (named(f, "first_response_at"))
			t->responded = 1;
		else if (named(f, "paused_at"))
			t->paused = 1;
		else if (named(f, "created_at"))
			num(t, f, &t->created_at);
		else if (named(f, "first_response_due"))
			num(t, f, &t->first_response_due);
		else if (named(f, "resolution_from"))
			num(t, f, &t->resolution_from);
		else if (named(f, "resolution_spent"))
			num(t, f, &t->resolution_spent);
		else if (named(f, "first_response_target"))
			num(t, f, &t->target[SLA_FIRST_RESPONSE]);
		else if (named(f, "resolution_target"))
			num(t, f, &t->target[SLA_RESOLUTION]);
		else if (named(f, "first_response_gen"))
			num(t, f, &t->gen[SLA_FIRST_RESPONSE]);
		else if (named(f, "resolution_gen"))
			num(t, f, &t->gen[SLA_RESOLUTION]);
	}
}

int
clock_ticket_fired(const struct clock_ticket *t, enum sla_metric m,
    size_t step)
{
	char	name[64];
	int	len;

	len = snprintf(name, sizeof name, "fired:%s:%zu",
	    deadline_metric_name(m), step);
	for (size_t i = 0; i < t->nfields; i++)
		if (t->fields[i].name_len == (size_t)len &&
		    memcmp(t->fields[i].name, name, len) == 0)
			return 1;
	return 0;
}

/* Lifecycle events. */

static int
equals(const char *s, size_t len, const char *what)
{
	return s != NULL && len == strlen(what) && memcmp(s, what, len) == 0;
}

/* The ticket's clocks, as the rules in force and its fields say. */
struct clocks {
	const char		*id;
	size_t			 id_len;
	const char		*policy;	/* the rules' name; NULL: gone */
	const struct calendar	*cal;
	const struct sla_target	*target[SLA_NMETRICS];
	int64_t			 within[SLA_NMETRICS];
	long			 gen[SLA_NMETRICS];
};

static void
clocks_read(const struct clock_rules *cr, const struct clock_ticket *t,
    const struct lifecycle_event *ev, struct clocks *c)
{
	int	p = -1;

	memset(c, 0, sizeof *c);
	c->id = ev->ticket;
	c->id_len = ev->ticket_len;
	if (t->policy != NULL)
		p = clock_policy_find(cr->rules, t->policy, t->policy_len);
	c->policy = p != -1 ? rules_policy_name(cr->rules, p) : NULL;
	c->cal = p != -1 ? rules_policy_calendar(cr->rules, p) : cr->always;
	for (int m = 0; m < SLA_NMETRICS; m++) {
		if (p != -1)
			c->target[m] = rules_policy_target(cr->rules, p, m);
		c->within[m] = t->target[m] != -1 ? t->target[m] :
		    c->target[m] != NULL ? c->target[m]->within_ms : 0;
		c->gen[m] = t->gen[m] != -1 ? (long)t->gen[m] : 0;
	}
}

static int
member(const struct clocks *c, enum sla_metric m, size_t step, long gen,
    char *buf, size_t len)
{
	return deadline_member_format(buf, len, c->id, c->id_len, m,
	    (int)step, gen, c->policy);
}

/* Remove every step of metric m of the current generation. */
static void
unschedule(struct clock_writes *w, const struct clocks *c, enum sla_metric m)
{
	char	buf[CLOCK_MEMBER_MAX + 1];
	int	len;

	if (c->target[m] == NULL)
		return;
	for (size_t i = 0; i < c->target[m]->nsteps; i++) {
		if ((len = member(c, m, i, c->gen[m], buf, sizeof buf)) == -1)
			continue;
		arg(w, put(w, CLOCK_UNSCHEDULE), buf, (size_t)len);
	}
}

/*
 * Run the resolution clock again from now, having spent `spent`: a new
 * generation, the new deadline, and the first step that has not fired yet
 * (it schedules the ones after it as it fires).
 */
static void
resolution_run(struct clock_writes *w, const struct clock_ticket *t,
    const struct clocks *c, int64_t spent, int64_t now)
{
	const struct sla_target	*tg = c->target[SLA_RESOLUTION];
	int64_t			 within = c->within[SLA_RESOLUTION];
	long			 gen = c->gen[SLA_RESOLUTION] + 1;
	struct clock_write	*cw;
	char			 buf[CLOCK_MEMBER_MAX + 1];
	int			 len;

	set_num(w, "resolution_from", now);
	set_num(w, "resolution_gen", gen);
	if (within > 0 && spent < within)
		set_num(w, "resolution_due", deadline_at(c->cal, now, spent,
		    within));
	if (tg == NULL)
		return;
	for (size_t i = 0; i < tg->nsteps; i++) {
		if (clock_ticket_fired(t, SLA_RESOLUTION, i))
			continue;
		if ((len = member(c, SLA_RESOLUTION, i, gen, buf,
		    sizeof buf)) == -1)
			return;
		cw = put(w, CLOCK_SCHEDULE);
		arg_num(w, cw, deadline_at(c->cal, now, spent,
		    deadline_step_ms(within, tg->steps[i].at_permille)));
		arg(w, cw, buf, (size_t)len);
		return;
	}
}

/* The event stops clock m, met or not. */
static void
stopped(struct clock_writes *w, enum sla_metric m, int met)
{
	w->stop[m].stopped = 1;
	w->stop[m].met = met;
}

int
clock_event(const struct clock_rules *cr, const struct clock_ticket *t,
    const struct lifecycle_event *ev, int64_t now, struct clock_writes *w)
{
	const char		*status = t->status != NULL ? t->status : "open";
	size_t			 status_len = t->status != NULL ?
				    t->status_len : 4;
	const char		*team = t->team != NULL ? t->team : "";
	const char		*to = ev->team != NULL ? ev->team : "";
	size_t			 to_len = ev->team != NULL ? ev->team_len : 0;
	int64_t			 created, from, spent, fr_due;
	int			 resolved;
	struct clocks		 c;
	struct clock_write	*cw;

	clock_writes_clear(w);
	resolved = equals(status, status_len, "resolved");
	clocks_read(cr, t, ev, &c);
	created = t->created_at != -1 ? t->created_at : now;
	from = t->resolution_from != -1 ? t->resolution_from : created;
	spent = t->resolution_spent != -1 ? t->resolution_spent : 0;
	fr_due = t->first_response_due;

	switch (ev->kind) {
	case LIFECYCLE_RESPONDED:
		if (resolved || t->responded)
			return 0;
		set_num(w, "first_response_at", now);
		if (fr_due != -1) {
			set_str(w, "first_response_met", now <= fr_due ? "yes" :
			    "no");
			stopped(w, SLA_FIRST_RESPONSE, now <= fr_due);
		}
		if (equals(status, status_len, "open"))
			set_str(w, "status", "responded");
		else if (equals(status, status_len, "pending"))
			set_str(w, "status_before", "responded");
		unschedule(w, &c, SLA_FIRST_RESPONSE);
		return 1;
	case LIFECYCLE_PENDING:
		if (resolved || t->paused)
			return 0;
		set_num(w, "paused_at", now);
		set_num(w, "resolution_spent", deadline_spent(c.cal, from, now,
		    spent));
		set(w, "status_before", status, status_len);
		set_str(w, "status", "pending");
		unschedule(w, &c, SLA_RESOLUTION);
		return 1;
	case LIFECYCLE_RESUMED:
		if (resolved || !t->paused)
			return 0;
		del(w, "paused_at");
		del(w, "status_before");
		if (t->status_before != NULL)
			set(w, "status", t->status_before,
			    t->status_before_len);
		else
			set_str(w, "status", "open");
		resolution_run(w, t, &c, spent, now);
		return 1;
	case LIFECYCLE_RESOLVED:
		if (resolved)
			return 0;
		if (!t->paused)
			spent = deadline_spent(c.cal, from, now, spent);
		set_str(w, "status", "resolved");
		set_num(w, "resolved_at", now);
		set_num(w, "resolution_spent", spent);
		if (c.within[SLA_RESOLUTION] > 0) {
			set_str(w, "resolution_met",
			    spent <= c.within[SLA_RESOLUTION] ? "yes" : "no");
			stopped(w, SLA_RESOLUTION,
			    spent <= c.within[SLA_RESOLUTION]);
		}
		del(w, "paused_at");
		del(w, "status_before");
		unschedule(w, &c, SLA_FIRST_RESPONSE);
		unschedule(w, &c, SLA_RESOLUTION);
		cw = put(w, CLOCK_QUEUE_DEL);
		arg(w, cw, team, t->team_len);
		arg(w, cw, c.id, c.id_len);
		arg_num(w, put(w, CLOCK_EXPIRE), cr->retention_ms);
		return 1;
	case LIFECYCLE_REOPENED:
		if (!resolved)
			return 0;
		set_str(w, "status", "open");
		del(w, "resolved_at");
		del(w, "resolution_met");
		put(w, CLOCK_PERSIST);
		cw = put(w, CLOCK_QUEUE_ADD);
		arg(w, cw, team, t->team_len);
		arg_num(w, cw, fr_due != -1 ? fr_due :
		    created + CLOCK_NO_DUE_MS);
		arg(w, cw, c.id, c.id_len);
		resolution_run(w, t, &c, spent, now);
		return 1;
	case LIFECYCLE_REASSIGNED:
		if (t->team != NULL && t->team_len == to_len &&
		    memcmp(t->team, to, to_len) == 0)
			return 0;
		set(w, "team", to, to_len);
		cw = put(w, CLOCK_QUEUE_MOVE);
		arg(w, cw, team, t->team_len);
		arg(w, cw, to, to_len);
		arg(w, cw, c.id, c.id_len);
		return 1;
	case LIFECYCLE_NKINDS:
		break;
	}
	return 0;
}

/* Escalation steps. */

int
clock_step(const struct rules *rules, const char *m, size_t len, int64_t at,
    struct clock_step *cs)
{
	struct deadline_member	 dm;
	const struct sla_target	*t = NULL;
	const struct sla_step	*st = NULL;
	int			 policy;
	size_t			 o = 0;

	if (deadline_member_parse(m, len, &dm) == -1)
		return -1;
	cs->ticket = dm.ticket;
	cs->ticket_len = dm.ticket_len;
	cs->metric = dm.metric;
	cs->step = dm.step;
	cs->gen = dm.gen;
	cs->policy = dm.policy;
	cs->policy_len = dm.policy_len;
	cs->kind = NULL;
	cs->notify = cs->raise = cs->reassign = "";
	cs->lowers[0] = '\0';
	cs->next[0] = '\0';
	cs->next_len = 0;
	cs->next_at = 0;
	if ((policy = clock_policy_find(rules, dm.policy, dm.policy_len)) != -1)
		t = rules_policy_target(rules, policy, dm.metric);
	if (t != NULL && (size_t)dm.step < t->nsteps)
		st = &t->steps[dm.step];
	if (st == NULL)
		return 0;
	if ((size_t)dm.step + 1 < t->nsteps) {
		/* A score from Redis: kept inside what a clock may hold. */
		int64_t	from = at < 0 ? 0 : at > DEADLINE_MS_MAX ?
			    DEADLINE_MS_MAX : at;
		int	n = deadline_member_format(cs->next, sizeof cs->next,
			    dm.ticket, dm.ticket_len, dm.metric, dm.step + 1,
			    dm.gen, rules_policy_name(rules, policy));

		if (n != -1) {
			cs->next_len = (size_t)n;
			cs->next_at = deadline_at(rules_policy_calendar(rules,
			    policy), from, deadline_step_ms(t->within_ms,
			    st->at_permille), deadline_step_ms(t->within_ms,
			    t->steps[dm.step + 1].at_permille));
		} else
			cs->next[0] = '\0';
	}
	cs->kind = st->at_permille < 1000 ? "warning" : "breach";
	if (st->notify != NULL)
		cs->notify = st->notify;
	if (st->raise >= 0) {
		cs->raise = rules_urgency_name(rules, st->raise);
		/* Levels are highest first: those after raise are lower. */
		for (size_t u = st->raise + 1; u < rules_urgency_count(rules);
		    u++) {
			int	n = snprintf(cs->lowers + o,
				    sizeof cs->lowers - o, "%s%s", o ? "," : "",
				    rules_urgency_name(rules, (int)u));

			if (n < 0 || (size_t)n >= sizeof cs->lowers - o) {
				/* Cut at the last whole level. */
				cs->lowers[o] = '\0';
				break;
			}
			o += n;
		}
	}
	if (st->reassign >= 0)
		cs->reassign = rules_team_name(rules, st->reassign);
	return 0;
}
