/*
 * test_clock.c - the ticket clock at made-up times: what routing starts,
 * what each lifecycle event changes, what a due step fires.
 *
 * The writes are applied to a small model of what the scripts keep in
 * Redis (the ticket's fields, the schedule, the queues, the expiry), the
 * way the apply script does, so a test can route a ticket, let steps fire,
 * send events and look at the result.  No Redis, no sleeping.
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
#include "clock.h"
#include "config.h"
#include "deadline.h"
#include "lifecycle.h"
#include "request.h"
#include "rules.h"

#define SEC		1000LL
#define MIN		60000LL
#define HOUR		3600000LL
#define DAY		(24 * HOUR)
/* 2026-03-02 00:00:00 UTC, a Monday (date -u -d 2026-03-02 +%s). */
#define MON0		1772409600000LL
#define RETENTION	(30 * DAY)

/*
 * vip: on 24x7, three first-response steps and one resolution step (the
 * sample rules' policy); office_vip: the same in office hours; office:
 * resolution only, two steps; raises: steps raising to the highest and the
 * lowest level; many: twelve steps, so the writes outgrow their storage.
 */
static const char rules_yaml[] =
"tiers:\n"
"  levels:\n"
"    - name: standard\n"
"urgency:\n"
"  levels: [critical, high, medium, low]\n"
"teams: [general, key_accounts, billing]\n"
"default_team: general\n"
"calendars:\n"
"  office:\n"
"    timezone: UTC\n"
"    hours: {mon-fri: \"09:00-18:00\"}\n"
"sla:\n"
"  - name: vip\n"
"    when: {channel: phone}\n"
"    calendar: always\n"
"    first_response:\n"
"      within: 1h\n"
"      escalate:\n"
"        - {at: 75%, notify: team_lead}\n"
"        - {at: 100%, notify: oncall_primary}\n"
"        - {at: 150%, notify: oncall_manager, raise: high,"
" reassign: key_accounts}\n"
"    resolution: {within: 8h, escalate: [{at: 100%, notify: oncall_primary}]}\n"
"  - name: office_vip\n"
"    when: {channel: email}\n"
"    calendar: office\n"
"    first_response:\n"
"      within: 1h\n"
"      escalate:\n"
"        - {at: 75%, notify: team_lead}\n"
"        - {at: 100%, notify: oncall_primary}\n"
"        - {at: 150%, notify: oncall_manager, raise: high,"
" reassign: key_accounts}\n"
"    resolution: {within: 8h, escalate: [{at: 100%, notify: oncall_primary}]}\n"
"  - name: office\n"
"    when: {channel: chat}\n"
"    calendar: office\n"
"    resolution:\n"
"      within: 8h\n"
"      escalate:\n"
"        - {at: 50%, notify: team_lead}\n"
"        - {at: 100%, notify: oncall_primary}\n"
"  - name: raises\n"
"    when: {channel: web}\n"
"    first_response:\n"
"      within: 10m\n"
"      escalate:\n"
"        - {at: 50%, notify: team_lead, raise: critical}\n"
"        - {at: 100%, notify: oncall_primary, raise: low}\n"
"  - name: many\n"
"    when: {channel: social}\n"
"    first_response:\n"
"      within: 12m\n"
"      escalate:\n"
"        - {at: 10%, notify: team_lead}\n"
"        - {at: 20%, notify: team_lead}\n"
"        - {at: 30%, notify: team_lead}\n"
"        - {at: 40%, notify: team_lead}\n"
"        - {at: 50%, notify: team_lead}\n"
"        - {at: 60%, notify: team_lead}\n"
"        - {at: 70%, notify: team_lead}\n"
"        - {at: 80%, notify: team_lead}\n"
"        - {at: 90%, notify: team_lead}\n"
"        - {at: 100%, notify: oncall_primary}\n"
"        - {at: 110%, notify: oncall_primary}\n"
"        - {at: 120%, notify: oncall_manager}\n"
"notify: [team_lead, oncall_primary, oncall_manager]\n";

static struct config	*cf;
static struct calendar	*always;
static struct clock_rules cr;

static int
setup(void **state)
{
	char	 path[] = "/tmp/test_clock_XXXXXX";
	char	*diag = NULL;
	int	 fd;

	if ((fd = mkstemp(path)) == -1)
		return -1;
	if (write(fd, rules_yaml, sizeof rules_yaml - 1) !=
	    (ssize_t)(sizeof rules_yaml - 1))
		return -1;
	close(fd);
	cf = config_load(path, 0, &diag);
	unlink(path);
	if (cf == NULL) {
		print_error("%s", diag != NULL ? diag : "(no diagnostics)\n");
		free(diag);
		return -1;
	}
	free(diag);
	if ((always = calendar_always()) == NULL)
		return -1;
	cr = (struct clock_rules){ cf->rules, always, RETENTION };
	return 0;
}

static int
teardown(void **state)
{
	config_free(cf);
	calendar_free(always);
	return 0;
}

/* The writes, one per line: "H status open\nS- T-1|...\n". */
static const char *
render(const struct clock_writes *w)
{
	static char	buf[16384];
	size_t		o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < w->n; i++) {
		const struct clock_write	*cw = &w->w[i];

		o += snprintf(buf + o, sizeof buf - o, "%s",
		    clock_op_name(cw->op));
		for (int a = 0; a < cw->nargs; a++) {
			assert_int_equal(strlen(cw->arg[a]), cw->len[a]);
			o += snprintf(buf + o, sizeof buf - o, " %s",
			    cw->arg[a]);
		}
		o += snprintf(buf + o, sizeof buf - o, "\n");
		assert_true(o < sizeof buf);
	}
	return buf;
}

static const char *
fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static const char *
fmt(const char *f, ...)
{
	static char	buf[16384];
	va_list		ap;

	va_start(ap, f);
	vsnprintf(buf, sizeof buf, f, ap);
	va_end(ap);
	return buf;
}

/*
 * What the scripts keep in Redis for one ticket: its hash, its steps in
 * P+sla, its place in the queues, its expiry.
 */
#define FAKE_MAX	64

struct fake {
	const char	*id;
	char		 name[FAKE_MAX][64];
	char		 value[FAKE_MAX][256];
	size_t		 nfields;
	char		 member[FAKE_MAX][CLOCK_MEMBER_MAX + 1];
	int64_t		 score[FAKE_MAX];
	size_t		 nsteps;
	char		 queue[FAKE_MAX][64];	/* the team's queue */
	int64_t		 qscore[FAKE_MAX];
	size_t		 nqueued;
	int64_t		 expire;		/* -1: none */
	struct clock_writes w;			/* the last writes */
};

static const char *
fget(const struct fake *f, const char *name)
{
	for (size_t i = 0; i < f->nfields; i++)
		if (strcmp(f->name[i], name) == 0)
			return f->value[i];
	return NULL;
}

static int64_t
fnum(const struct fake *f, const char *name)
{
	const char	*v = fget(f, name);

	assert_non_null(v);
	return strtoll(v, NULL, 10);
}

static void
fset(struct fake *f, const char *name, const char *value)
{
	size_t	i;

	for (i = 0; i < f->nfields; i++)
		if (strcmp(f->name[i], name) == 0)
			break;
	if (i == f->nfields) {
		assert_true(f->nfields < FAKE_MAX);
		f->nfields++;
	}
	snprintf(f->name[i], sizeof f->name[i], "%s", name);
	snprintf(f->value[i], sizeof f->value[i], "%s", value);
}

static void
fdel(struct fake *f, const char *name)
{
	for (size_t i = 0; i < f->nfields; i++)
		if (strcmp(f->name[i], name) == 0) {
			f->nfields--;
			memmove(f->name[i], f->name[f->nfields], sizeof f->name[i]);
			memmove(f->value[i], f->value[f->nfields],
			    sizeof f->value[i]);
			return;
		}
}

/* A step's score in the schedule, -1 if it is not there. */
static int64_t
sched(const struct fake *f, const char *member)
{
	for (size_t i = 0; i < f->nsteps; i++)
		if (strcmp(f->member[i], member) == 0)
			return f->score[i];
	return -1;
}

static void
unsched(struct fake *f, const char *member)
{
	for (size_t i = 0; i < f->nsteps; i++)
		if (strcmp(f->member[i], member) == 0) {
			f->nsteps--;
			memmove(f->member[i], f->member[f->nsteps],
			    sizeof f->member[i]);
			f->score[i] = f->score[f->nsteps];
			return;
		}
}

/* The ticket's score in team's queue, -1 if it is not in it. */
static int64_t
queued(const struct fake *f, const char *team)
{
	for (size_t i = 0; i < f->nqueued; i++)
		if (strcmp(f->queue[i], team) == 0)
			return f->qscore[i];
	return -1;
}

static void
unqueue(struct fake *f, const char *team)
{
	for (size_t i = 0; i < f->nqueued; i++)
		if (strcmp(f->queue[i], team) == 0) {
			f->nqueued--;
			memmove(f->queue[i], f->queue[f->nqueued],
			    sizeof f->queue[i]);
			f->qscore[i] = f->qscore[f->nqueued];
			return;
		}
}

static void
enqueue(struct fake *f, const char *team, int64_t score)
{
	unqueue(f, team);
	snprintf(f->queue[f->nqueued], sizeof f->queue[0], "%s", team);
	f->qscore[f->nqueued++] = score;
}

/* Carry the writes out as the apply script does. */
static void
apply(struct fake *f, const struct clock_writes *w)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct clock_write	*cw = &w->w[i];
		const char * const		*a = cw->arg;
		int64_t				 s;

		switch (cw->op) {
		case CLOCK_SET:
			fset(f, a[0], a[1]);
			break;
		case CLOCK_DEL:
			fdel(f, a[0]);
			break;
		case CLOCK_SCHEDULE:
			unsched(f, a[1]);
			assert_true(f->nsteps < FAKE_MAX);
			snprintf(f->member[f->nsteps], sizeof f->member[0],
			    "%s", a[1]);
			f->score[f->nsteps++] = strtoll(a[0], NULL, 10);
			break;
		case CLOCK_UNSCHEDULE:
			unsched(f, a[0]);
			break;
		case CLOCK_QUEUE_ADD:
			assert_string_equal(a[2], f->id);
			enqueue(f, a[0], strtoll(a[1], NULL, 10));
			break;
		case CLOCK_QUEUE_DEL:
			assert_string_equal(a[1], f->id);
			unqueue(f, a[0]);
			break;
		case CLOCK_QUEUE_MOVE:
			assert_string_equal(a[2], f->id);
			if ((s = queued(f, a[0])) != -1) {
				unqueue(f, a[0]);
				enqueue(f, a[1], s);
			}
			break;
		case CLOCK_EXPIRE:
			f->expire = strtoll(a[0], NULL, 10);
			break;
		case CLOCK_PERSIST:
			f->expire = -1;
			break;
		}
	}
}

/* Route ticket id to team under policy, created at `created`. */
static void
route(struct fake *f, const char *id, const char *policy, const char *team,
    int64_t created)
{
	struct verdict	v = { 0 };

	memset(f, 0, sizeof *f);
	f->id = id;
	f->expire = -1;
	v.policy = policy != NULL ? clock_policy_find(cf->rules, policy,
	    strlen(policy)) : -1;
	assert_true(policy == NULL || v.policy >= 0);
	v.policy_name = policy;
	v.team_name = team;
	fset(f, "ticket_id", id);
	fset(f, "team", team);
	fset(f, "policy", policy != NULL ? policy : "none");
	fset(f, "status", "open");
	fset(f, "created_at", fmt("%lld", (long long)created));
	assert_int_equal(clock_start(cf->rules, &v, id, strlen(id), created,
	    &f->w), 0);
	apply(f, &f->w);
}

static void
ticket_of(const struct fake *f, struct field *fields, struct clock_ticket *t)
{
	for (size_t i = 0; i < f->nfields; i++)
		fields[i] = (struct field){ f->name[i], strlen(f->name[i]),
		    f->value[i], strlen(f->value[i]) };
	clock_ticket_parse(t, fields, f->nfields);
}

/* Send event kind (team for reassigned) at now; what clock_event said. */
static int
event(struct fake *f, enum lifecycle_kind kind, const char *team,
    int64_t now)
{
	struct field		fields[FAKE_MAX];
	struct clock_ticket	t;
	struct lifecycle_event	ev = { f->id, strlen(f->id), kind, team,
				    team != NULL ? strlen(team) : 0 };
	int			r;

	ticket_of(f, fields, &t);
	assert_int_equal(t.ncorrupt, 0);
	r = clock_event(&cr, &t, &ev, now, &f->w);
	if (r == 0)
		assert_int_equal(f->w.n, 0);
	apply(f, &f->w);
	return r;
}

/*
 * A due step fires at now, as the fire script records it, and the clock's
 * next step takes its place in the schedule.
 */
static void
fire(struct fake *f, const char *member, int64_t now)
{
	struct clock_step	cs;
	char			name[64], at[24];
	int64_t			due = sched(f, member);

	assert_true(due != -1);
	assert_int_equal(clock_step(cf->rules, member, strlen(member), due,
	    &cs), 0);
	assert_non_null(cs.kind);
	unsched(f, member);
	if (cs.next_len > 0) {
		assert_true(f->nsteps < FAKE_MAX);
		snprintf(f->member[f->nsteps], sizeof f->member[0], "%s",
		    cs.next);
		f->score[f->nsteps++] = cs.next_at;
	}
	snprintf(name, sizeof name, "fired:%s:%d",
	    deadline_metric_name(cs.metric), cs.step);
	snprintf(at, sizeof at, "%lld", (long long)now);
	fset(f, name, at);
}

static void
done(struct fake *f)
{
	clock_writes_free(&f->w);
}

/* --- Routing. */

static void
test_start_always(void **state)
{
	struct fake	f;
	int64_t		c = MON0 + 10 * HOUR + 7 * SEC;

	route(&f, "T-1", "vip", "general", c);
	assert_string_equal(render(&f.w), fmt(
	    "H first_response_due %lld\n"
	    "H first_response_target 3600000\n"
	    "H resolution_due %lld\n"
	    "H resolution_target 28800000\n"
	    "Q+ general %lld T-1\n"
	    "S+ %lld T-1|first_response|0|0|vip\n"
	    "S+ %lld T-1|resolution|0|0|vip\n",
	    c + HOUR, c + 8 * HOUR, c + HOUR, c + 45 * MIN, c + 8 * HOUR));
	assert_int_equal(f.w.stop[SLA_FIRST_RESPONSE].stopped, 0);
	assert_int_equal(f.w.stop[SLA_RESOLUTION].stopped, 0);
	done(&f);
}

static void
test_start_office(void **state)
{
	struct fake	f;
	int64_t		c = MON0 + 17 * HOUR + 30 * MIN;	/* Mon 17:30 */
	int64_t		tue = MON0 + DAY;

	/*
	 * Half an hour left on Monday: the steps fall on Tuesday morning,
	 * the 8 h resolution at Tuesday 16:30.
	 */
	route(&f, "T-2", "office_vip", "general", c);
	assert_string_equal(render(&f.w), fmt(
	    "H first_response_due %lld\n"
	    "H first_response_target 3600000\n"
	    "H resolution_due %lld\n"
	    "H resolution_target 28800000\n"
	    "Q+ general %lld T-2\n"
	    "S+ %lld T-2|first_response|0|0|office_vip\n"
	    "S+ %lld T-2|resolution|0|0|office_vip\n",
	    tue + 9 * HOUR + 30 * MIN, tue + 16 * HOUR + 30 * MIN,
	    tue + 9 * HOUR + 30 * MIN, tue + 9 * HOUR + 15 * MIN,
	    tue + 16 * HOUR + 30 * MIN));
	done(&f);
}

static void
test_start_no_clock(void **state)
{
	struct fake	f;
	int64_t		c = MON0 + 3 * HOUR;

	/* No policy: no deadline, queued a year on; resolution only. */
	route(&f, "T-3", NULL, "billing", c);
	assert_string_equal(render(&f.w), fmt("Q+ billing %lld T-3\n",
	    c + CLOCK_NO_DUE_MS));
	done(&f);
	route(&f, "T-4", "office", "general", MON0 + 9 * HOUR);
	assert_string_equal(render(&f.w), fmt(
	    "H resolution_due %lld\n"
	    "H resolution_target 28800000\n"
	    "Q+ general %lld T-4\n"
	    "S+ %lld T-4|resolution|0|0|office\n",
	    MON0 + 17 * HOUR, MON0 + 9 * HOUR + CLOCK_NO_DUE_MS,
	    MON0 + 13 * HOUR));
	done(&f);
}

/* --- Due steps. */

static void
test_step_warning_breach(void **state)
{
	struct clock_step	 cs;
	const char		*m;

	m = "T-1|first_response|0|0|vip";
	assert_int_equal(clock_step(cf->rules, m, strlen(m), 0, &cs), 0);
	assert_string_equal(cs.kind, "warning");
	assert_string_equal(cs.notify, "team_lead");
	assert_string_equal(cs.raise, "");
	assert_string_equal(cs.lowers, "");
	assert_string_equal(cs.reassign, "");
	assert_int_equal(cs.ticket_len, 3);
	assert_memory_equal(cs.ticket, "T-1", 3);
	assert_int_equal(cs.metric, SLA_FIRST_RESPONSE);
	assert_int_equal(cs.step, 0);
	assert_int_equal(cs.gen, 0);

	m = "T-1|first_response|1|0|vip";
	assert_int_equal(clock_step(cf->rules, m, strlen(m), 0, &cs), 0);
	assert_string_equal(cs.kind, "breach");
	assert_string_equal(cs.notify, "oncall_primary");

	/* 150 %: still a breach. */
	m = "T-1|first_response|2|0|vip";
	assert_int_equal(clock_step(cf->rules, m, strlen(m), 0, &cs), 0);
	assert_string_equal(cs.kind, "breach");
	assert_string_equal(cs.notify, "oncall_manager");

	m = "T-1|resolution|0|7|vip";
	assert_int_equal(clock_step(cf->rules, m, strlen(m), 0, &cs), 0);
	assert_string_equal(cs.kind, "breach");
	assert_int_equal(cs.metric, SLA_RESOLUTION);
	assert_int_equal(cs.gen, 7);
	assert_string_equal(cs.reassign, "");

	m = "T-1|resolution|0|0|office";
	assert_int_equal(clock_step(cf->rules, m, strlen(m), 0, &cs), 0);
	assert_string_equal(cs.kind, "warning");
}

static void
test_step_gone(void **state)
{
	struct clock_step	 cs;
	const char		*m;

	/* A step or a policy the rules no longer have: dropped. */
	m = "T-1|first_response|3|0|vip";
	assert_int_equal(clock_step(cf->rules, m, strlen(m), 0, &cs), 0);
	assert_null(cs.kind);
	assert_string_equal(cs.notify, "");
	assert_string_equal(cs.raise, "");
	assert_string_equal(cs.reassign, "");
	m = "T-1|first_response|0|0|retired";
	assert_int_equal(clock_step(cf->rules, m, strlen(m), 0, &cs), 0);
	assert_null(cs.kind);
	assert_int_equal(cs.policy_len, 7);
	m = "T-1|first_response|0|0|office";	/* no such clock */
	assert_int_equal(clock_step(cf->rules, m, strlen(m), 0, &cs), 0);
	assert_null(cs.kind);
	/* Not a member at all. */
	m = "T-1|first_response|x|0|vip";
	assert_int_equal(clock_step(cf->rules, m, strlen(m), 0, &cs), -1);
	assert_int_equal(clock_step(cf->rules, "garbage", 7, 0, &cs), -1);
}

static void
test_step_raise(void **state)
{
	struct clock_step	 cs;
	const char		*m;

	/* raise: high; only a ticket at a lower level is raised. */
	m = "T-1|first_response|2|0|vip";
	assert_int_equal(clock_step(cf->rules, m, strlen(m), 0, &cs), 0);
	assert_string_equal(cs.raise, "high");
	assert_string_equal(cs.lowers, "medium,low");
	/* To the highest level: every other level is lower. */
	m = "T-1|first_response|0|0|raises";
	assert_int_equal(clock_step(cf->rules, m, strlen(m), 0, &cs), 0);
	assert_string_equal(cs.raise, "critical");
	assert_string_equal(cs.lowers, "high,medium,low");
	/* To the lowest: nothing is lower, so nothing is raised. */
	m = "T-1|first_response|1|0|raises";
	assert_int_equal(clock_step(cf->rules, m, strlen(m), 0, &cs), 0);
	assert_string_equal(cs.raise, "low");
	assert_string_equal(cs.lowers, "");
}

static void
test_step_reassign(void **state)
{
	struct clock_step	 cs;
	const char		*m = "T-1|first_response|2|0|office_vip";

	assert_int_equal(clock_step(cf->rules, m, strlen(m), 0, &cs), 0);
	assert_string_equal(cs.reassign, "key_accounts");
	assert_int_equal(cs.policy_len, strlen("office_vip"));
	assert_memory_equal(cs.policy, "office_vip", cs.policy_len);
	m = "T-1|first_response|1|0|office_vip";
	assert_int_equal(clock_step(cf->rules, m, strlen(m), 0, &cs), 0);
	assert_string_equal(cs.reassign, "");
}

/*
 * Each fired step schedules the next, from its own instant: the same
 * instants as every step worked out from the start, over a night too.
 */
static void
test_step_next(void **state)
{
	struct clock_step	 cs;
	struct fake		 f;
	const char		*m;
	int64_t			 c = MON0 + 17 * HOUR;	/* Mon 17:00 */
	int64_t			 tue = MON0 + DAY;

	m = "T-1|first_response|0|0|vip";
	assert_int_equal(clock_step(cf->rules, m, strlen(m), c + 45 * MIN,
	    &cs), 0);
	assert_string_equal(cs.next, "T-1|first_response|1|0|vip");
	assert_int_equal(cs.next_len, strlen(cs.next));
	assert_int_equal(cs.next_at, c + HOUR);
	m = "T-1|first_response|2|0|vip";	/* the last: nothing after */
	assert_int_equal(clock_step(cf->rules, m, strlen(m), c + 90 * MIN,
	    &cs), 0);
	assert_int_equal(cs.next_len, 0);
	assert_string_equal(cs.next, "");
	/* The generation goes on with the chain. */
	m = "T-1|first_response|0|3|vip";
	assert_int_equal(clock_step(cf->rules, m, strlen(m), c, &cs), 0);
	assert_string_equal(cs.next, "T-1|first_response|1|3|vip");
	/* A step gone from the rules has no next either. */
	m = "T-1|first_response|0|0|retired";
	assert_int_equal(clock_step(cf->rules, m, strlen(m), c, &cs), 0);
	assert_int_equal(cs.next_len, 0);
	/* A score no clock holds is kept in bounds, not overflowed. */
	m = "T-1|first_response|0|0|vip";
	assert_int_equal(clock_step(cf->rules, m, strlen(m), INT64_MAX, &cs),
	    0);
	assert_true(cs.next_at >= DEADLINE_MS_MAX);

	/*
	 * Office hours, routed Monday 17:00 with a 1 h target: 75 % at
	 * 17:45, 100 % at 18:00, 150 % across the night at Tuesday 09:30.
	 */
	route(&f, "N-1", "office_vip", "general", c);
	assert_int_equal(sched(&f, "N-1|first_response|0|0|office_vip"),
	    c + 45 * MIN);
	assert_int_equal(f.nsteps, 2);
	fire(&f, "N-1|first_response|0|0|office_vip", c + 45 * MIN);
	assert_int_equal(sched(&f, "N-1|first_response|1|0|office_vip"),
	    MON0 + 18 * HOUR);
	fire(&f, "N-1|first_response|1|0|office_vip", MON0 + 18 * HOUR);
	assert_int_equal(sched(&f, "N-1|first_response|2|0|office_vip"),
	    tue + 9 * HOUR + 30 * MIN);
	fire(&f, "N-1|first_response|2|0|office_vip",
	    tue + 9 * HOUR + 30 * MIN);
	/* The resolution step alone is left. */
	assert_int_equal(f.nsteps, 1);
	assert_int_equal(sched(&f, "N-1|resolution|0|0|office_vip"),
	    tue + 16 * HOUR);
	done(&f);
}

/* --- Lifecycle events. */

static void
test_responded_met(void **state)
{
	struct fake	f;
	int64_t		c = MON0 + 10 * HOUR;

	route(&f, "R-1", "vip", "general", c);
	fire(&f, "R-1|first_response|0|0|vip", c + 45 * MIN);
	assert_int_equal(event(&f, LIFECYCLE_RESPONDED, NULL, c + 50 * MIN),
	    1);
	assert_string_equal(render(&f.w), fmt(
	    "H first_response_at %lld\n"
	    "H first_response_met yes\n"
	    "H status responded\n"
	    "S- R-1|first_response|0|0|vip\n"
	    "S- R-1|first_response|1|0|vip\n"
	    "S- R-1|first_response|2|0|vip\n", c + 50 * MIN));
	assert_int_equal(f.w.stop[SLA_FIRST_RESPONSE].stopped, 1);
	assert_int_equal(f.w.stop[SLA_FIRST_RESPONSE].met, 1);
	assert_int_equal(f.w.stop[SLA_RESOLUTION].stopped, 0);
	/* Only the resolution step is left; the queue keeps its place. */
	assert_int_equal(f.nsteps, 1);
	assert_int_equal(sched(&f, "R-1|resolution|0|0|vip"), c + 8 * HOUR);
	assert_int_equal(queued(&f, "general"), c + HOUR);
	/* Exactly at the deadline is still met. */
	done(&f);
	route(&f, "R-2", "vip", "general", c);
	assert_int_equal(event(&f, LIFECYCLE_RESPONDED, NULL, c + HOUR), 1);
	assert_string_equal(fget(&f, "first_response_met"), "yes");
	done(&f);
}

static void
test_responded_breached(void **state)
{
	struct fake	f;
	int64_t		c = MON0 + 10 * HOUR;

	route(&f, "R-3", "vip", "general", c);
	fire(&f, "R-3|first_response|0|0|vip", c + 45 * MIN);
	fire(&f, "R-3|first_response|1|0|vip", c + HOUR);
	assert_int_equal(event(&f, LIFECYCLE_RESPONDED, NULL, c + HOUR + 1),
	    1);
	assert_string_equal(fget(&f, "first_response_met"), "no");
	assert_string_equal(fget(&f, "status"), "responded");
	assert_int_equal(f.w.stop[SLA_FIRST_RESPONSE].stopped, 1);
	assert_int_equal(f.w.stop[SLA_FIRST_RESPONSE].met, 0);
	assert_int_equal(sched(&f, "R-3|first_response|2|0|vip"), -1);
	assert_int_equal(f.nsteps, 1);
	done(&f);
}

static void
test_responded_twice(void **state)
{
	struct fake	f;
	int64_t		c = MON0;

	route(&f, "R-4", "vip", "general", c);
	assert_int_equal(event(&f, LIFECYCLE_RESPONDED, NULL, c + MIN), 1);
	assert_int_equal(event(&f, LIFECYCLE_RESPONDED, NULL, c + 2 * MIN), 0);
	assert_int_equal(f.w.n, 0);
	assert_int_equal(f.w.stop[SLA_FIRST_RESPONSE].stopped, 0);
	assert_int_equal(fnum(&f, "first_response_at"), c + MIN);
	done(&f);
	/* Nor after it is resolved. */
	route(&f, "R-5", "vip", "general", c);
	assert_int_equal(event(&f, LIFECYCLE_RESOLVED, NULL, c + MIN), 1);
	assert_int_equal(event(&f, LIFECYCLE_RESPONDED, NULL, c + 2 * MIN), 0);
	assert_null(fget(&f, "first_response_at"));
	done(&f);
}

static void
test_pending_resumed(void **state)
{
	struct fake	f;
	int64_t		c = MON0 + 9 * HOUR;		/* Mon 09:00 */
	int64_t		tue = MON0 + DAY;

	/* 8 h in office hours: 50 % at 13:00, due 17:00. */
	route(&f, "P-1", "office", "general", c);
	fire(&f, "P-1|resolution|0|0|office", MON0 + 13 * HOUR);
	assert_int_equal(event(&f, LIFECYCLE_PENDING, NULL, MON0 + 14 * HOUR),
	    1);
	assert_string_equal(render(&f.w), fmt(
	    "H paused_at %lld\n"
	    "H resolution_spent %lld\n"
	    "H status_before open\n"
	    "H status pending\n"
	    "S- P-1|resolution|0|0|office\n"
	    "S- P-1|resolution|1|0|office\n", MON0 + 14 * HOUR, 5 * HOUR));
	assert_int_equal(f.nsteps, 0);
	assert_int_equal(event(&f, LIFECYCLE_PENDING, NULL, MON0 + 15 * HOUR),
	    0);
	/* Responded while pending: the status it goes back to. */
	assert_int_equal(event(&f, LIFECYCLE_RESPONDED, NULL,
	    MON0 + 16 * HOUR), 1);
	assert_string_equal(fget(&f, "status"), "pending");
	assert_string_equal(fget(&f, "status_before"), "responded");
	assert_null(fget(&f, "first_response_met"));	/* no such clock */
	assert_int_equal(f.w.stop[SLA_FIRST_RESPONSE].stopped, 0);

	/*
	 * Resumed Tuesday 10:00 with 3 h left: due 13:00, a new generation,
	 * and only the step that has not fired.
	 */
	assert_int_equal(event(&f, LIFECYCLE_RESUMED, NULL, tue + 10 * HOUR),
	    1);
	assert_string_equal(render(&f.w), fmt(
	    "X paused_at\n"
	    "X status_before\n"
	    "H status responded\n"
	    "H resolution_from %lld\n"
	    "H resolution_gen 1\n"
	    "H resolution_due %lld\n"
	    "S+ %lld P-1|resolution|1|1|office\n",
	    tue + 10 * HOUR, tue + 13 * HOUR, tue + 13 * HOUR));
	assert_int_equal(f.nsteps, 1);
	assert_int_equal(fnum(&f, "resolution_spent"), 5 * HOUR);
	assert_int_equal(event(&f, LIFECYCLE_RESUMED, NULL, tue + 11 * HOUR),
	    0);

	/* Paused again at 12:00: spent carries on from 5 h; gen 1 goes. */
	assert_int_equal(event(&f, LIFECYCLE_PENDING, NULL, tue + 12 * HOUR),
	    1);
	assert_int_equal(fnum(&f, "resolution_spent"), 7 * HOUR);
	assert_string_equal(fget(&f, "status_before"), "responded");
	assert_int_equal(f.nsteps, 0);
	assert_int_equal(event(&f, LIFECYCLE_RESUMED, NULL, tue + 17 * HOUR),
	    1);
	/* One hour left: 17:00-18:00 Tuesday. */
	assert_int_equal(fnum(&f, "resolution_due"), tue + 18 * HOUR);
	assert_int_equal(fnum(&f, "resolution_gen"), 2);
	assert_int_equal(sched(&f, "P-1|resolution|1|2|office"),
	    tue + 18 * HOUR);
	done(&f);
}

static void
test_resumed_overdue(void **state)
{
	struct fake	f;
	int64_t		c = MON0;

	/*
	 * Paused after the deadline: resumed, the due time stays as it was
	 * and the steps still to fire are due at once.
	 */
	route(&f, "P-2", "vip", "general", c);
	assert_int_equal(event(&f, LIFECYCLE_PENDING, NULL, c + 9 * HOUR), 1);
	assert_int_equal(event(&f, LIFECYCLE_RESUMED, NULL, c + 10 * HOUR), 1);
	assert_string_equal(render(&f.w), fmt(
	    "X paused_at\n"
	    "X status_before\n"
	    "H status open\n"
	    "H resolution_from %lld\n"
	    "H resolution_gen 1\n"
	    "S+ %lld P-2|resolution|0|1|vip\n", c + 10 * HOUR, c + 10 * HOUR));
	assert_int_equal(fnum(&f, "resolution_due"), c + 8 * HOUR);
	done(&f);
}

static void
test_resolved(void **state)
{
	struct fake	f;
	int64_t		c = MON0 + 10 * HOUR;

	route(&f, "S-1", "vip", "general", c);
	assert_int_equal(event(&f, LIFECYCLE_RESOLVED, NULL, c + 2 * HOUR), 1);
	assert_string_equal(render(&f.w), fmt(
	    "H status resolved\n"
	    "H resolved_at %lld\n"
	    "H resolution_spent %lld\n"
	    "H resolution_met yes\n"
	    "X paused_at\n"
	    "X status_before\n"
	    "S- S-1|first_response|0|0|vip\n"
	    "S- S-1|first_response|1|0|vip\n"
	    "S- S-1|first_response|2|0|vip\n"
	    "S- S-1|resolution|0|0|vip\n"
	    "Q- general S-1\n"
	    "E %lld\n", c + 2 * HOUR, 2 * HOUR, RETENTION));
	assert_int_equal(f.w.stop[SLA_RESOLUTION].stopped, 1);
	assert_int_equal(f.w.stop[SLA_RESOLUTION].met, 1);
	/* The first response was never given: its clock is not counted. */
	assert_int_equal(f.w.stop[SLA_FIRST_RESPONSE].stopped, 0);
	assert_int_equal(f.nsteps, 0);
	assert_int_equal(f.nqueued, 0);
	assert_int_equal(f.expire, RETENTION);
	assert_int_equal(event(&f, LIFECYCLE_RESOLVED, NULL, c + 3 * HOUR), 0);
	assert_int_equal(fnum(&f, "resolved_at"), c + 2 * HOUR);
	done(&f);

	/* Resolved late. */
	route(&f, "S-2", "vip", "general", c);
	assert_int_equal(event(&f, LIFECYCLE_RESOLVED, NULL, c + 8 * HOUR + 1),
	    1);
	assert_string_equal(fget(&f, "resolution_met"), "no");
	assert_int_equal(f.w.stop[SLA_RESOLUTION].met, 0);
	done(&f);

	/* Resolved while paused: the paused time does not count. */
	route(&f, "S-3", "vip", "general", c);
	assert_int_equal(event(&f, LIFECYCLE_PENDING, NULL, c + 7 * HOUR), 1);
	assert_int_equal(event(&f, LIFECYCLE_RESOLVED, NULL, c + 30 * HOUR),
	    1);
	assert_string_equal(fget(&f, "resolution_met"), "yes");
	assert_int_equal(fnum(&f, "resolution_spent"), 7 * HOUR);
	assert_null(fget(&f, "paused_at"));
	assert_null(fget(&f, "status_before"));
	done(&f);

	/* No resolution target: resolved, but no clock to count. */
	route(&f, "S-4", NULL, "billing", c);
	assert_int_equal(event(&f, LIFECYCLE_RESOLVED, NULL, c + HOUR), 1);
	assert_null(fget(&f, "resolution_met"));
	assert_int_equal(f.w.stop[SLA_RESOLUTION].stopped, 0);
	assert_int_equal(f.nqueued, 0);
	done(&f);
}

static void
test_reopened(void **state)
{
	struct fake	f;
	int64_t		c = MON0 + 10 * HOUR;

	route(&f, "O-1", "vip", "general", c);
	assert_int_equal(event(&f, LIFECYCLE_REOPENED, NULL, c + MIN), 0);
	assert_int_equal(event(&f, LIFECYCLE_RESOLVED, NULL, c + 3 * HOUR), 1);
	/*
	 * Reopened a day later: back in its queue at its first-response
	 * deadline, no expiry, and the resolution clock runs on from the
	 * 3 h it had spent: 5 h left.
	 */
	assert_int_equal(event(&f, LIFECYCLE_REOPENED, NULL, c + DAY), 1);
	assert_string_equal(render(&f.w), fmt(
	    "H status open\n"
	    "X resolved_at\n"
	    "X resolution_met\n"
	    "P\n"
	    "Q+ general %lld O-1\n"
	    "H resolution_from %lld\n"
	    "H resolution_gen 1\n"
	    "H resolution_due %lld\n"
	    "S+ %lld O-1|resolution|0|1|vip\n",
	    c + HOUR, c + DAY, c + DAY + 5 * HOUR, c + DAY + 5 * HOUR));
	assert_int_equal(f.expire, -1);
	assert_int_equal(queued(&f, "general"), c + HOUR);
	assert_int_equal(f.nsteps, 1);
	assert_int_equal(event(&f, LIFECYCLE_REOPENED, NULL, c + DAY + 1), 0);
	/* Resolved again: the 5 h budget counts from the reopening. */
	assert_int_equal(event(&f, LIFECYCLE_RESOLVED, NULL,
	    c + DAY + 4 * HOUR), 1);
	assert_int_equal(fnum(&f, "resolution_spent"), 7 * HOUR);
	assert_string_equal(fget(&f, "resolution_met"), "yes");
	assert_int_equal(sched(&f, "O-1|resolution|0|1|vip"), -1);
	done(&f);

	/* A fired step stays fired; no first response target: a year on. */
	route(&f, "O-2", "office", "general", MON0 + 9 * HOUR);
	fire(&f, "O-2|resolution|0|0|office", MON0 + 13 * HOUR);
	assert_int_equal(event(&f, LIFECYCLE_RESOLVED, NULL, MON0 + 14 * HOUR),
	    1);
	assert_int_equal(event(&f, LIFECYCLE_REOPENED, NULL,
	    MON0 + DAY + 9 * HOUR), 1);
	assert_int_equal(queued(&f, "general"),
	    MON0 + 9 * HOUR + CLOCK_NO_DUE_MS);
	assert_int_equal(f.nsteps, 1);
	assert_int_equal(sched(&f, "O-2|resolution|1|1|office"),
	    MON0 + DAY + 12 * HOUR);
	done(&f);
}

static void
test_reassigned(void **state)
{
	struct fake	f;
	int64_t		c = MON0;

	route(&f, "A-1", "vip", "general", c);
	assert_int_equal(event(&f, LIFECYCLE_REASSIGNED, "billing", c + MIN),
	    1);
	assert_string_equal(render(&f.w),
	    "H team billing\n"
	    "QM general billing A-1\n");
	assert_string_equal(fget(&f, "team"), "billing");
	assert_int_equal(queued(&f, "billing"), c + HOUR);
	assert_int_equal(queued(&f, "general"), -1);
	/* The clocks do not move: each has its first step scheduled. */
	assert_int_equal(f.nsteps, 2);
	assert_int_equal(f.w.stop[SLA_FIRST_RESPONSE].stopped, 0);
	assert_int_equal(event(&f, LIFECYCLE_REASSIGNED, "billing",
	    c + 2 * MIN), 0);
	/* Resolved, it is in no queue: the team changes, nothing moves. */
	assert_int_equal(event(&f, LIFECYCLE_RESOLVED, NULL, c + 3 * MIN), 1);
	assert_int_equal(event(&f, LIFECYCLE_REASSIGNED, "key_accounts",
	    c + 4 * MIN), 1);
	assert_string_equal(fget(&f, "team"), "key_accounts");
	assert_int_equal(f.nqueued, 0);
	done(&f);
}

static void
test_policy_gone(void **state)
{
	struct fake	f;
	int64_t		c = MON0 + 17 * HOUR + 30 * MIN;

	/*
	 * The ticket's policy was renamed away by a reload: its targets are
	 * on the ticket, its steps are not in the rules (so none are
	 * touched), and its arithmetic falls back to 24x7.
	 */
	route(&f, "G-1", "office_vip", "general", c);
	fset(&f, "policy", "retired");
	assert_int_equal(event(&f, LIFECYCLE_PENDING, NULL, c + 2 * HOUR), 1);
	assert_string_equal(render(&f.w), fmt(
	    "H paused_at %lld\n"
	    "H resolution_spent %lld\n"
	    "H status_before open\n"
	    "H status pending\n", c + 2 * HOUR, 2 * HOUR));
	assert_int_equal(event(&f, LIFECYCLE_RESUMED, NULL, c + 3 * HOUR), 1);
	assert_int_equal(fnum(&f, "resolution_due"), c + 9 * HOUR);
	/* Its first-response deadline stays the one routing set. */
	assert_int_equal(event(&f, LIFECYCLE_RESPONDED, NULL, c + 4 * HOUR),
	    1);
	assert_string_equal(fget(&f, "first_response_met"), "yes");
	assert_int_equal(fnum(&f, "first_response_due"),
	    MON0 + DAY + 9 * HOUR + 30 * MIN);
	done(&f);
}

static void
test_corrupt_numbers(void **state)
{
	struct field		 fields[16];
	struct clock_ticket	 t;
	struct clock_writes	 w = { 0 };
	struct lifecycle_event	 ev = { "C-1", 3, LIFECYCLE_PENDING, NULL, 0 };
	int64_t			 now = MON0 + 5 * HOUR;
	size_t			 n = 0;

#define F(k, v)	(fields[n++] = (struct field){ k, strlen(k), v, strlen(v) })
	F("status", "open");
	F("team", "general");
	F("policy", "vip");
	F("created_at", "99999999999999999999999");	/* int64 overflow */
	F("first_response_due", "12abc");
	F("resolution_from", "1000000000000001");	/* DEADLINE_MS_MAX + 1 */
	F("resolution_spent", "-5");
	F("first_response_target", "");
	F("resolution_target", "1e9");
	F("first_response_gen", " 1");
	F("resolution_gen", "18446744073709551617");
#undef F
	clock_ticket_parse(&t, fields, n);
	assert_int_equal(t.ncorrupt, 8);
	assert_memory_equal(t.corrupt[0].name, "created_at", 10);
	assert_int_equal(t.created_at, -1);
	assert_int_equal(t.first_response_due, -1);
	assert_int_equal(t.resolution_from, -1);
	assert_int_equal(t.resolution_spent, -1);
	assert_int_equal(t.target[SLA_FIRST_RESPONSE], -1);
	assert_int_equal(t.target[SLA_RESOLUTION], -1);
	assert_int_equal(t.gen[SLA_FIRST_RESPONSE], -1);
	assert_int_equal(t.gen[SLA_RESOLUTION], -1);

	/*
	 * Taken as absent: created now, spent nothing, the rules' targets,
	 * generation 0.
	 */
	assert_int_equal(clock_event(&cr, &t, &ev, now, &w), 1);
	assert_string_equal(render(&w), fmt(
	    "H paused_at %lld\n"
	    "H resolution_spent 0\n"
	    "H status_before open\n"
	    "H status pending\n"
	    "S- C-1|resolution|0|0|vip\n", (long long)now));
	ev.kind = LIFECYCLE_RESPONDED;
	assert_int_equal(clock_event(&cr, &t, &ev, now, &w), 1);
	assert_null(strstr(render(&w), "first_response_met"));
	ev.kind = LIFECYCLE_RESOLVED;
	assert_int_equal(clock_event(&cr, &t, &ev, now, &w), 1);
	assert_non_null(strstr(render(&w), "H resolution_met yes\n"));

	/* The largest clock numbers a ticket may hold do not overflow. */
	n = 0;
	fields[n++] = (struct field){ "created_at", 10, "0", 1 };
	fields[n++] = (struct field){ "resolution_from", 15, "0", 1 };
	fields[n++] = (struct field){ "resolution_spent", 16,
	    "1000000000000000", 16 };
	fields[n++] = (struct field){ "resolution_target", 17,
	    "1000000000000000", 16 };
	fields[n++] = (struct field){ "resolution_gen", 14,
	    "1000000000000000", 16 };
	fields[n++] = (struct field){ "first_response_due", 18,
	    "1000000000000000", 16 };
	fields[n++] = (struct field){ "policy", 6, "vip", 3 };
	fields[n++] = (struct field){ "paused_at", 9, "5", 1 };
	clock_ticket_parse(&t, fields, n);
	assert_int_equal(t.ncorrupt, 0);
	ev.kind = LIFECYCLE_RESUMED;
	assert_int_equal(clock_event(&cr, &t, &ev, DEADLINE_MS_MAX, &w), 1);
	assert_non_null(strstr(render(&w),
	    "H resolution_gen 1000000000000001\n"));
	ev.kind = LIFECYCLE_RESPONDED;
	assert_int_equal(clock_event(&cr, &t, &ev, DEADLINE_MS_MAX, &w), 1);
	assert_non_null(strstr(render(&w), "H first_response_met yes\n"));
	ev.kind = LIFECYCLE_REOPENED;
	fields[n++] = (struct field){ "status", 6, "resolved", 8 };
	clock_ticket_parse(&t, fields, n);
	assert_int_equal(clock_event(&cr, &t, &ev, DEADLINE_MS_MAX, &w), 1);
	clock_writes_free(&w);
}

static void
test_writes_grow(void **state)
{
	struct fake	f;
	char		id[REQUEST_ID_MAX + 1];
	const char	*out;
	int64_t		c = MON0;

	/*
	 * Twelve long members unscheduled: the storage moves while they are
	 * written.  Routed, the clock has its first step only.
	 */
	memset(id, 'x', sizeof id - 1);
	id[sizeof id - 1] = '\0';
	route(&f, id, "many", "general", c);
	assert_int_equal(f.w.n, 2 + 1 + 1);
	assert_int_equal(f.nsteps, 1);
	assert_true(sched(&f, fmt("%s|first_response|0|0|many", id)) > c);
	assert_int_equal(event(&f, LIFECYCLE_RESOLVED, NULL, c + MIN), 1);
	out = render(&f.w);
	assert_non_null(strstr(out, fmt("S- %s|first_response|0|0|many\n",
	    id)));
	assert_non_null(strstr(out, fmt("S- %s|first_response|11|0|many\n",
	    id)));
	assert_int_equal(f.nsteps, 0);
	done(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_always),
		cmocka_unit_test(test_start_office),
		cmocka_unit_test(test_start_no_clock),
		cmocka_unit_test(test_step_warning_breach),
		cmocka_unit_test(test_step_gone),
		cmocka_unit_test(test_step_raise),
		cmocka_unit_test(test_step_reassign),
		cmocka_unit_test(test_step_next),
		cmocka_unit_test(test_responded_met),
		cmocka_unit_test(test_responded_breached),
		cmocka_unit_test(test_responded_twice),
		cmocka_unit_test(test_pending_resumed),
		cmocka_unit_test(test_resumed_overdue),
		cmocka_unit_test(test_resolved),
		cmocka_unit_test(test_reopened),
		cmocka_unit_test(test_reassigned),
		cmocka_unit_test(test_policy_gone),
		cmocka_unit_test(test_corrupt_numbers),
		cmocka_unit_test(test_writes_grow),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
