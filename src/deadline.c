/*
 * deadline.c - SLA clock arithmetic and the P+sla member format (pure; see
 * deadline.h).  Nothing here reads the clock: `now` is always passed in.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "deadline.h"
#include "decimal.h"

static const char *metric_names[SLA_NMETRICS] = {
	[SLA_FIRST_RESPONSE] = "first_response",
	[SLA_RESOLUTION] = "resolution",
};

int
deadline_parse_ms(const char *s, int64_t *out)
{
	int64_t	v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > DEADLINE_MS_MAX)
			return -1;
	}
	*out = v;
	return 0;
}

int64_t
deadline_step_ms(int64_t within_ms, int at_permille)
{
	/* Divided first, so within_ms up to DEADLINE_MS_MAX cannot overflow. */
	return within_ms / 1000 * at_permille +
	    within_ms % 1000 * at_permille / 1000;
}

int64_t
deadline_at(const struct calendar *cal, int64_t from_ms, int64_t spent_ms,
    int64_t point_ms)
{
	if (point_ms <= spent_ms)
		return from_ms;
	return calendar_deadline(cal, from_ms, point_ms - spent_ms);
}

int64_t
deadline_spent(const struct calendar *cal, int64_t from_ms, int64_t to_ms,
    int64_t spent_ms)
{
	return spent_ms + calendar_elapsed(cal, from_ms, to_ms);
}

const char *
deadline_metric_name(enum sla_metric m)
{
	return (int)m >= 0 && m < SLA_NMETRICS ? metric_names[m] : "?";
}

int
deadline_metric_find(const char *s, size_t len)
{
	for (int m = 0; m < SLA_NMETRICS; m++)
		if (strlen(metric_names[m]) == len &&
		    memcmp(metric_names[m], s, len) == 0)
			return m;
	return -1;
}

int
deadline_member_format(char *buf, size_t len, const char *ticket,
    size_t ticket_len, enum sla_metric m, int step, long gen,
    const char *policy)
{
	const char	*metric = deadline_metric_name(m);
	char		 nstep[DECIMAL_MAX], ngen[DECIMAL_MAX];
	size_t		 lmetric, lstep, lgen, lpolicy, n;

	/* By hand: this runs for every step of every ticket routed. */
	lmetric = strlen(metric);
	lstep = decimal_format(step, nstep);
	lgen = decimal_format(gen, ngen);
	lpolicy = strlen(policy);
	n = ticket_len + lmetric + lstep + lgen + lpolicy + 4;
	if (n >= len || n > INT_MAX)
		return -1;
	memcpy(buf, ticket, ticket_len);
	buf += ticket_len;
	*buf++ = '|';
	memcpy(buf, metric, lmetric);
	buf += lmetric;
	*buf++ = '|';
	memcpy(buf, nstep, lstep);
	buf += lstep;
	*buf++ = '|';
	memcpy(buf, ngen, lgen);
	buf += lgen;
	*buf++ = '|';
	memcpy(buf, policy, lpolicy + 1);
	return (int)n;
}

/* A decimal number of [s, end); -1 if it is not one. */
static long
number(const char *s, const char *end)
{
	long	v = 0;

	if (s == end || end - s > 9)
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

int
deadline_member_parse(const char *s, size_t len, struct deadline_member *dm)
{
	const char	*end = s + len, *p[4];
	const char	*q = s;

	for (int i = 0; i < 4; i++) {
		if ((p[i] = memchr(q, '|', end - q)) == NULL)
			return -1;
		q = p[i] + 1;
	}
	dm->ticket = s;
	dm->ticket_len = p[0] - s;
	dm->metric = deadline_metric_find(p[0] + 1, p[1] - p[0] - 1);
	dm->step = (int)number(p[1] + 1, p[2]);
	dm->gen = number(p[2] + 1, p[3]);
	dm->policy = p[3] + 1;
	dm->policy_len = end - dm->policy;
	if (dm->ticket_len == 0 || dm->metric == -1 || dm->step < 0 ||
	    dm->gen < 0 || dm->policy_len == 0)
		return -1;
	return 0;
}
