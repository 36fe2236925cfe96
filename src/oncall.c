/*
 * oncall.c - who is on call in a schedule at an instant (pure).
 *
 * Turns are counted in wall-clock seconds: turn k starts when the
 * schedule's zone shows start_wall + k * turn_s, which zone_utc() turns
 * into an instant (in a skipped hour, the first instant after it).  So a
 * 09:00 handoff stays at 09:00 local across daylight-saving changes, and
 * the turn spanning a change is an hour shorter or longer.
 *
 *   wall   09:00        09:00        09:00 (after the clocks go forward)
 *   turn   |--- k=0 ----|--- k=1 ----|-- k=2 (23h in UTC) --|
 *   person   people[0]    people[1]    people[0]
 *
 * To find the turn holding an instant, its wall-clock reading gives a
 * guess that is off by at most one turn around a change; the guess is
 * then moved until boundary(k) <= t < boundary(k + 1).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "oncall.h"

/* How many boundaries oncall_next() looks at before it gives up. */
#define ONCALL_MAX_STEPS	10000

struct oncall *
oncall_new(void)
{
	return calloc(1, sizeof (struct oncall));
}

void
oncall_target_clear(struct notify_target *nt)
{
	size_t	i;

	free(nt->name);
	free(nt->schedule);
	for (i = 0; i < nt->npeople; i++)
		free(nt->people[i]);
	free(nt->people);
	free(nt->deliver);
	memset(nt, 0, sizeof *nt);
}

void
oncall_free(struct oncall *oc)
{
	size_t	i;

	if (oc == NULL)
		return;
	for (i = 0; i < oc->npeople; i++) {
		free(oc->people[i].key);
		free(oc->people[i].name);
		free(oc->people[i].phone);
		free(oc->people[i].email);
	}
	free(oc->people);
	for (i = 0; i < oc->nschedules; i++) {
		free(oc->schedules[i].name);
		free(oc->schedules[i].timezone);
		zone_clear(&oc->schedules[i].zone);
		free(oc->schedules[i].people);
		free(oc->schedules[i].overrides);
	}
	free(oc->schedules);
	for (i = 0; i < oc->nreceivers; i++) {
		free(oc->receivers[i].name);
		free(oc->receivers[i].url);
		free(oc->receivers[i].ca_file);
	}
	free(oc->receivers);
	for (i = 0; i < oc->ntargets; i++)
		oncall_target_clear(&oc->targets[i]);
	free(oc->targets);
	free(oc);
}

const struct oncall_schedule *
oncall_schedule(const struct oncall *oc, const char *name)
{
	size_t	i;

	for (i = 0; i < oc->nschedules; i++) {
		if (strcmp(oc->schedules[i].name, name) == 0)
			return &oc->schedules[i];
	}
	return NULL;
}

int
oncall_person_index(const struct oncall *oc, const char *key)
{
	size_t	i;

	for (i = 0; i < oc->npeople; i++) {
		if (strcmp(oc->people[i].key, key) == 0)
			return (int)i;
	}
	return -1;
}

/* The instant (UTC seconds) turn k starts. */
static int64_t
boundary(const struct oncall_schedule *s, int64_t k)
{
	return zone_utc(&s->zone, s->start_wall + k * s->turn_s);
}

int64_t
oncall_start_ms(const struct oncall_schedule *s)
{
	return boundary(s, 0) * 1000;
}

/* The turn holding t (UTC seconds), or -1 before the first. */
static int64_t
turn(const struct oncall_schedule *s, int64_t t)
{
	int64_t	k, wall;

	if (t < boundary(s, 0))
		return -1;
	wall = t + zone_offset(&s->zone, t);
	k = civil_floor_div(wall - s->start_wall, s->turn_s);
	if (k < 0)
		k = 0;
	while (k > 0 && boundary(s, k) > t)
		k--;
	while (boundary(s, k + 1) <= t)
		k++;
	return k;
}

/* Whole seconds: a boundary b holds for t_ms when b * 1000 <= t_ms. */
static int64_t
seconds(int64_t ms)
{
	return civil_floor_div(ms, 1000);
}

int
oncall_who(const struct oncall_schedule *s, int64_t at_ms)
{
	size_t	i;
	int64_t	k;

	for (i = 0; i < s->noverrides; i++) {
		if (s->overrides[i].from_ms <= at_ms &&
		    at_ms < s->overrides[i].to_ms)
			return s->overrides[i].person;
	}
	if (s->npeople == 0 || (k = turn(s, seconds(at_ms))) < 0)
		return -1;
	return s->people[k % (int64_t)s->npeople];
}

/* The first rotation boundary or override edge after at_ms; -1: none. */
static int64_t
next_edge(const struct oncall_schedule *s, int64_t at_ms)
{
	int64_t	best = -1, b, k;
	size_t	i;

	if (s->npeople > 0) {
		k = turn(s, seconds(at_ms));
		/* After seconds(at_ms), so after at_ms too. */
		best = boundary(s, k + 1) * 1000;
	}
	for (i = 0; i < s->noverrides; i++) {
		b = s->overrides[i].from_ms;
		if (b > at_ms && (best == -1 || b < best))
			best = b;
		b = s->overrides[i].to_ms;
		if (b > at_ms && (best == -1 || b < best))
			best = b;
	}
	return best;
}

size_t
oncall_next(const struct oncall_schedule *s, int64_t at_ms,
    struct oncall_handoff *out, size_t max)
{
	size_t	n = 0, steps;
	int64_t	t = at_ms;
	int	who = oncall_who(s, at_ms), next;

	for (steps = 0; n < max && steps < ONCALL_MAX_STEPS; steps++) {
		if ((t = next_edge(s, t)) == -1)
			break;
		if ((next = oncall_who(s, t)) == who)
			continue;
		out[n].at_ms = t;
		out[n].person = next;
		n++;
		who = next;
	}
	return n;
}

const struct oncall_person *
oncall_resolve(const struct oncall *oc, const struct notify_target *nt,
    int64_t at_ms)
{
	const struct oncall_schedule	*s;
	int				 who;

	if (nt == NULL)
		return NULL;
	if (nt->schedule != NULL) {
		if ((s = oncall_schedule(oc, nt->schedule)) == NULL ||
		    (who = oncall_who(s, at_ms)) < 0)
			return NULL;
		return &oc->people[who];
	}
	if (nt->npeople > 0 &&
	    (who = oncall_person_index(oc, nt->people[0])) >= 0)
		return &oc->people[who];
	return NULL;
}

int
oncall_gaps(const struct oncall_schedule *s, char *why, size_t len)
{
	/*
	 * From the first handoff on, a rotation with people always has
	 * someone: only a schedule of overrides alone leaves gaps.  Before
	 * the first handoff nobody is on call by design, and is not a gap.
	 */
	if (s->npeople == 0 && s->noverrides == 0) {
		snprintf(why, len, "schedule '%s' has no people and no "
		    "overrides: nobody is ever on call", s->name);
		return -1;
	}
	if (s->npeople == 0) {
		snprintf(why, len, "schedule '%s' has no people: nobody is on "
		    "call outside its %zu override%s", s->name, s->noverrides,
		    s->noverrides == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

/* "YYYY-MM-DD HH:MM" -> wall-clock seconds. */
int
oncall_wall_parse(const char *s, int64_t *wall)
{
	int	y, m, d, hh, mm, n = -1;

	if (strlen(s) != 16 || !isdigit((unsigned char)s[0]) ||
	    sscanf(s, "%4d-%2d-%2d %2d:%2d%n", &y, &m, &d, &hh, &mm,
	    &n) != 5 || n != 16 || s[4] != '-' || s[7] != '-' ||
	    s[10] != ' ' || s[13] != ':' || !isdigit((unsigned char)s[14]) ||
	    y < 1970 || m < 1 || m > 12 || d < 1 ||
	    d > civil_days_in_month(y, m) || hh > 23 || mm > 59)
		return -1;
	*wall = civil_days_from_date(y, m, d) * 86400 + hh * 3600 + mm * 60;
	return 0;
}

int
oncall_local_ms(const struct oncall_schedule *s, const char *text,
    int64_t *ms)
{
	int64_t	wall;

	if (oncall_wall_parse(text, &wall) == -1)
		return -1;
	*ms = zone_utc(&s->zone, wall) * 1000;
	return 0;
}

const char *
oncall_local_time(const struct oncall_schedule *s, int64_t at_ms, char *buf,
    size_t len)
{
	int64_t	t = civil_floor_div(at_ms, 1000), wall, days, rest;
	int64_t	year;
	int32_t	off = zone_offset(&s->zone, t);
	int	month = 1, sign = off < 0 ? '-' : '+', aoff = off < 0 ? -off : off;

	wall = t + off;
	days = civil_floor_div(wall, 86400);
	rest = wall - days * 86400;
	year = civil_year_from_days(days);
	days -= civil_days_from_date(year, 1, 1);
	while (month < 12 && days >= civil_days_in_month(year, month))
		days -= civil_days_in_month(year, month++);
	snprintf(buf, len, "%04lld-%02d-%02lld %02lld:%02lld %c%02d:%02d",
	    (long long)year, month, (long long)days + 1,
	    (long long)(rest / 3600), (long long)(rest % 3600 / 60), sign,
	    aoff / 3600, aoff % 3600 / 60);
	return buf;
}
