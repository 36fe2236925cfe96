/*
 * config_oncall.c - the rules file's `oncall:` (people and schedules),
 * `receivers:` and `notify:` sections, built into oncall.h's struct oncall.
 *
 *   notify:
 *     - team_lead                          a name only
 *     - {name: oncall_primary, oncall: primary, deliver: [pager]}
 *     - {name: oncall_manager, people: [zhang_wei], deliver: [pager]}
 *   oncall:
 *     people:    {li_na: {name: "Li Na", phone: ..., email: ...}}
 *     schedules: {primary: {timezone, rotation, handoff, start, people,
 *                           overrides: [{person, from, to}]}}
 *   receivers:
 *     pager: {alertmanager: {url, ca_file, timeout, give_up_after}}
 *     floor: {webhook: {url, format, ca_file, timeout, give_up_after}}
 *
 * People and receivers are read first, then schedules (which name
 * people), then the notify targets (which name all three).  Everything
 * written is kept, even with errors, so that a later reference to it gets
 * no second error; a load with errors is thrown away whole anyway.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "config_impl.h"
#include "duration.h"
#include "log.h"
#include "oncall.h"
#include "xmalloc.h"

static const char *const wdays[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat"
};

static void *
grow(void *p, size_t n, size_t size)
{
	p = xreallocarray(p, n + 1, size);
	memset((char *)p + n * size, 0, size);
	return p;
}

/*
 * The names of a list of things, for "expected one of": n elements of
 * stride bytes from base, each with its name at offset off.
 */
static const char *
names_of(const void *base, size_t n, size_t stride, size_t off, char *buf,
    size_t size)
{
	char	*names[32];
	size_t	 i;

	if (n == 0) {
		snprintf(buf, size, "none defined");
		return buf;
	}
	for (i = 0; i < n && i < nitems(names); i++)
		names[i] = *(char *const *)(const void *)((const char *)base +
		    i * stride + off);
	return config_diag_list(names, i, buf, size);
}

/* "HH:MM" -> minutes of the day, -1 if malformed. */
static int
clock_minute(const char *s)
{
	if (strlen(s) != 5 || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	if ((s[0] - '0') * 10 + (s[1] - '0') > 23 ||
	    (s[3] - '0') * 10 + (s[4] - '0') > 59)
		return -1;
	return ((s[0] - '0') * 10 + (s[1] - '0')) * 60 +
	    (s[3] - '0') * 10 + (s[4] - '0');
}

/* "YYYY-MM-DD" -> days since 1970-01-01; 0 if malformed, 1 if good. */
static int
date_days(const char *s, int64_t *days)
{
	int	y, m, d, len = -1;

	if (strlen(s) < 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d,
	    &len) != 3 || len != 10 || !isdigit((unsigned char)s[0]) ||
	    y < 1970 || m < 1 || m > 12 || d < 1 ||
	    d > civil_days_in_month(y, m))
		return 0;
	*days = civil_days_from_date(y, m, d);
	return 1;
}

/*
 * People.
 */

static void
read_people(struct load *ld, struct oncall *oc, yaml_node_t *n)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k, *v;
	struct oncall_person	*pe;
	struct config_key	 ck[] = {
		{ .name = "name" }, { .name = "phone" }, { .name = "email" }
	};
	const char		*key;
	char			 what[160];

	if (n->type != YAML_MAPPING_NODE) {
		config_diag_error(ld, n, "expected a mapping of person keys to "
		    "people for oncall.people, found %s", config_yaml_kind(n));
		return;
	}
	if (config_yaml_limit(ld, n, "oncall.people",
	    n->data.mapping.pairs.top - n->data.mapping.pairs.start,
	    CONFIG_MAX_NAMES) == -1)
		return;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = config_yaml_node(ld, p->key);
		v = config_yaml_node(ld, p->value);
		if ((key = config_yaml_scalar(ld, k, "a person key")) == NULL)
			continue;
		if (*key == '\0') {
			config_diag_error(ld, k, "empty person key");
			continue;
		}
		if (oncall_person_index(oc, key) != -1) {
			config_diag_error(ld, k, "duplicate person '%s'", key);
			continue;
		}
		oc->people = grow(oc->people, oc->npeople, sizeof *oc->people);
		pe = &oc->people[oc->npeople++];
		pe->key = xstrdup(key);
		snprintf(what, sizeof what, "person '%s'", key);
		if (!config_yaml_is_null(v) &&
		    config_yaml_map(ld, v, what, ck, nitems(ck)) == 0) {
			if (ck[0].value != NULL)
				config_yaml_string(ld, ck[0].value, "name",
				    &pe->name);
			if (ck[1].value != NULL)
				config_yaml_string(ld, ck[1].value, "phone",
				    &pe->phone);
			if (ck[2].value != NULL)
				config_yaml_string(ld, ck[2].value, "email",
				    &pe->email);
		}
		if (pe->name == NULL)
			pe->name = xstrdup(key);
	}
}

/* A reference to a person; -1 (reported) if undefined. */
static int
person_ref(struct load *ld, struct oncall *oc, yaml_node_t *n,
    const char *where)
{
	const char	*key;
	char		 expected[512];
	int		 i;

	if ((key = config_yaml_scalar(ld, n, "a person key")) == NULL)
		return -1;
	if ((i = oncall_person_index(oc, key)) == -1)
		config_diag_error(ld, n, "undefined person '%s' in %s "
		    "(expected one of oncall.people: %s)", key, where,
		    names_of(oc->people, oc->npeople, sizeof *oc->people,
		    offsetof(struct oncall_person, key), expected,
		    sizeof expected));
	return i;
}

/*
 * Schedules.
 */

/* rotation: daily | weekly | a duration. */
static void
read_rotation(struct load *ld, struct oncall_schedule *s, yaml_node_t *n)
{
	const char	*v;
	int64_t		 ms;

	if ((v = config_yaml_scalar(ld, n, "a rotation")) == NULL)
		return;
	if (strcmp(v, "daily") == 0) {
		s->rotation = ONCALL_DAILY;
		s->turn_s = 86400;
	} else if (strcmp(v, "weekly") == 0) {
		s->rotation = ONCALL_WEEKLY;
		s->turn_s = 7 * 86400;
	} else if ((ms = duration_parse(v)) >= 60000 && ms % 60000 == 0) {
		s->rotation = ONCALL_LENGTH;
		s->turn_s = ms / 1000;
	} else
		config_diag_error(ld, n, "bad rotation '%s' in schedule '%s' "
		    "(expected daily, weekly, or the length of a turn in whole "
		    "minutes, e.g. 12h)", v, s->name);
}

/*
 * handoff: "HH:MM", or "DAY HH:MM" for a weekly rotation.  The minute of
 * the day into *minute, the weekday (0 Sunday) or -1 into *wday.
 */
static int
read_handoff(struct load *ld, struct oncall_schedule *s, yaml_node_t *n,
    int *minute, int *wday)
{
	const char	*v, *t;
	int		 i;

	*wday = -1;
	if ((v = config_yaml_scalar(ld, n, "a handoff time")) == NULL)
		return -1;
	t = v;
	if (strlen(v) == 9 && v[3] == ' ') {
		for (i = 0; i < 7; i++) {
			if (strncmp(v, wdays[i], 3) == 0)
				*wday = i;
		}
		t = v + 4;
	}
	*minute = clock_minute(t);
	if (s->rotation == ONCALL_WEEKLY) {
		if (*minute == -1 || (t != v && *wday == -1)) {
			config_diag_error(ld, n, "bad handoff '%s' in schedule "
			    "'%s' (expected a day and a time, e.g. \"mon "
			    "09:00\")", v, s->name);
			return -1;
		}
	} else if (*minute == -1 || t != v) {
		config_diag_error(ld, n, "bad handoff '%s' in schedule '%s' "
		    "(expected a time of day HH:MM, e.g. \"09:00\"; a day is "
		    "for weekly rotations only)", v, s->name);
		return -1;
	}
	return 0;
}

static void
read_schedule_people(struct load *ld, struct oncall *oc,
    struct oncall_schedule *s, yaml_node_t *n)
{
	yaml_node_item_t	*items;
	size_t			 i, nitem;
	char			 where[160];
	int			 who;

	if (config_yaml_seq(ld, n, "people", &items, &nitem) == -1 ||
	    config_yaml_limit(ld, n, "people", nitem, CONFIG_MAX_NAMES) == -1)
		return;
	snprintf(where, sizeof where, "schedule '%s'", s->name);
	s->people = xcalloc(nitem + 1, sizeof *s->people);
	for (i = 0; i < nitem; i++) {
		who = person_ref(ld, oc, config_yaml_node(ld, items[i]), where);
		if (who != -1)
			s->people[s->npeople++] = who;
	}
}

static void
read_overrides(struct load *ld, struct oncall *oc, struct oncall_schedule *s,
    yaml_node_t *n, int zone_ok)
{
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	struct oncall_override	*o;
	struct config_key	 ck[] = {
		{ .name = "person" }, { .name = "from" }, { .name = "to" }
	};
	const char		*from, *to;
	char			 where[160];
	int64_t			 wf, wt;
	size_t			 i, j, nitem;
	int			 who;

	if (config_yaml_seq(ld, n, "overrides", &items, &nitem) == -1 ||
	    config_yaml_limit(ld, n, "overrides", nitem,
	    CONFIG_MAX_RULES) == -1)
		return;
	snprintf(where, sizeof where, "an override of schedule '%s'", s->name);
	s->overrides = xcalloc(nitem + 1, sizeof *s->overrides);
	for (i = 0; i < nitem; i++) {
		item = config_yaml_node(ld, items[i]);
		if (config_yaml_map(ld, item, where, ck, nitems(ck)) == -1)
			continue;
		if (ck[0].value == NULL || ck[1].value == NULL ||
		    ck[2].value == NULL) {
			config_diag_error(ld, item, "%s needs person, from and "
			    "to (e.g. {person: li_na, from: \"2026-12-24 "
			    "18:00\", to: \"2026-12-26 09:00\"})", where);
			continue;
		}
		who = person_ref(ld, oc, ck[0].value, where);
		from = config_yaml_scalar(ld, ck[1].value, "a local time");
		to = config_yaml_scalar(ld, ck[2].value, "a local time");
		if (from == NULL || to == NULL)
			continue;
		if (oncall_wall_parse(from, &wf) == -1) {
			config_diag_error(ld, ck[1].value, "bad time '%s' in %s "
			    "(expected local time YYYY-MM-DD HH:MM)", from,
			    where);
			continue;
		}
		if (oncall_wall_parse(to, &wt) == -1) {
			config_diag_error(ld, ck[2].value, "bad time '%s' in %s "
			    "(expected local time YYYY-MM-DD HH:MM)", to,
			    where);
			continue;
		}
		if (wt <= wf) {
			config_diag_error(ld, ck[2].value, "override of schedule "
			    "'%s' ends at %s, before it starts at %s", s->name,
			    to, from);
			continue;
		}
		if (who == -1 || !zone_ok)
			continue;
		o = &s->overrides[s->noverrides++];
		o->person = who;
		o->from_ms = zone_utc(&s->zone, wf) * 1000;
		o->to_ms = zone_utc(&s->zone, wt) * 1000;
		o->line = config_yaml_line(item);
		o->col = config_yaml_col(item);
		if (!(ld->flags & CONFIG_WARN))
			continue;
		for (j = 0; j + 1 < s->noverrides; j++) {
			if (s->overrides[j].from_ms < o->to_ms &&
			    o->from_ms < s->overrides[j].to_ms) {
				config_diag_warn(ld, o->line, o->col,
				    "override of schedule '%s' overlaps the "
				    "one at line %d, which wins where they "
				    "overlap", s->name, s->overrides[j].line);
				break;
			}
		}
	}
}

static void
read_schedule(struct load *ld, struct oncall *oc, yaml_node_t *k,
    yaml_node_t *v, const char *name)
{
	struct oncall_schedule	*s;
	struct config_key	 ck[] = {
		{ .name = "timezone" }, { .name = "rotation" },
		{ .name = "handoff" }, { .name = "start" },
		{ .name = "people" }, { .name = "overrides" }
	};
	const char		*tz, *start;
	char			 what[160], err[256];
	int64_t			 days;
	int			 zone_ok = 0, minute = 0, wday = -1;

	oc->schedules = grow(oc->schedules, oc->nschedules,
	    sizeof *oc->schedules);
	s = &oc->schedules[oc->nschedules++];
	s->name = xstrdup(name);
	s->line = config_yaml_line(k);
	s->col = config_yaml_col(k);
	s->turn_s = 86400;
	snprintf(what, sizeof what, "schedule '%s'", name);
	if (config_yaml_map(ld, v, what, ck, nitems(ck)) == -1)
		return;

	if (ck[0].value == NULL)
		config_diag_missing(ld, k, v, "schedule '%s' has no timezone "
		    "(expected an IANA name such as Asia/Shanghai)", name);
	else if ((tz = config_yaml_scalar(ld, ck[0].value,
	    "a time zone name")) != NULL) {
		s->timezone = xstrdup(tz);
		if (zone_load(&s->zone, tz, err, sizeof err) == -1)
			config_diag_error(ld, ck[0].value, "schedule '%s': %s "
			    "(expected an IANA name such as Asia/Shanghai)",
			    name, err);
		else
			zone_ok = 1;
	}
	if (ck[1].value == NULL)
		config_diag_missing(ld, k, v, "schedule '%s' has no rotation "
		    "(expected daily, weekly or a length such as 12h)", name);
	else
		read_rotation(ld, s, ck[1].value);
	if (ck[2].value != NULL &&
	    read_handoff(ld, s, ck[2].value, &minute, &wday) == -1)
		minute = 0;
	if (ck[3].value == NULL)
		config_diag_missing(ld, k, v, "schedule '%s' has no start "
		    "(expected the date of the first handoff, YYYY-MM-DD)",
		    name);
	else if ((start = config_yaml_scalar(ld, ck[3].value,
	    "a date")) != NULL) {
		if (strlen(start) != 10 || !date_days(start, &days))
			config_diag_error(ld, ck[3].value, "bad start '%s' in "
			    "schedule '%s' (expected a date YYYY-MM-DD)", start,
			    name);
		else if (wday != -1 && civil_weekday(days) != wday)
			config_diag_error(ld, ck[3].value, "start %s of "
			    "schedule '%s' is a %s, but its handoff is on %s "
			    "(expected a date on the handoff's day)", start,
			    name, wdays[civil_weekday(days)], wdays[wday]);
		else
			s->start_wall = days * 86400 + minute * 60;
	}
	if (ck[4].value == NULL)
		config_diag_missing(ld, k, v, "schedule '%s' has no people "
		    "(expected a list of person keys, in turn)", name);
	else
		read_schedule_people(ld, oc, s, ck[4].value);
	if (ck[5].value != NULL)
		read_overrides(ld, oc, s, ck[5].value, zone_ok);
	if ((ld->flags & CONFIG_WARN) && ck[4].value != NULL &&
	    oncall_gaps(s, err, sizeof err) == -1)
		config_diag_warn(ld, s->line, s->col, "%s", err);
}

static void
read_schedules(struct load *ld, struct oncall *oc, yaml_node_t *n)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k;
	const char		*name;

	if (n->type != YAML_MAPPING_NODE) {
		config_diag_error(ld, n, "expected a mapping of schedule names "
		    "to schedules for oncall.schedules, found %s",
		    config_yaml_kind(n));
		return;
	}
	if (config_yaml_limit(ld, n, "oncall.schedules",
	    n->data.mapping.pairs.top - n->data.mapping.pairs.start,
	    CONFIG_MAX_CALENDARS) == -1)
		return;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = config_yaml_node(ld, p->key);
		if ((name = config_yaml_name(ld, k, "schedule")) == NULL)
			continue;
		if (oncall_schedule(oc, name) != NULL) {
			config_diag_error(ld, k, "duplicate schedule '%s'",
			    name);
			continue;
		}
		read_schedule(ld, oc, k, config_yaml_node(ld, p->value), name);
	}
}

/*
 * Receivers.
 */

/* http:// or https://, then a host. */
static int
url_ok(const char *u)
{
	const char	*h;

	if (strncmp(u, "http://", 7) == 0)
		h = u + 7;
	else if (strncmp(u, "https://", 8) == 0)
		h = u + 8;
	else
		return 0;
	if (*h == '\0' || *h == '/' || *h == ':')
		return 0;
	for (; *u != '\0'; u++) {
		if ((unsigned char)*u <= ' ' || *u == 0x7f)
			return 0;
	}
	return 1;
}

static void
read_receiver(struct load *ld, struct oncall *oc, yaml_node_t *k,
    yaml_node_t *v, const char *name)
{
	struct receiver		*rc;
	struct config_key	 kind[] = {
		{ .name = "alertmanager" }, { .name = "webhook" }
	};
	struct config_key	 ck[] = {
		{ .name = "url" }, { .name = "ca_file" }, { .name = "timeout" },
		{ .name = "give_up_after" }, { .name = "format" }
	};
	yaml_node_t		*body;
	const char		*s;
	char			 what[160];
	size_t			 nk;

	oc->receivers = grow(oc->receivers, oc->nreceivers,
	    sizeof *oc->receivers);
	rc = &oc->receivers[oc->nreceivers++];
	rc->name = xstrdup(name);
	rc->give_up_after_ms = RECEIVER_GIVE_UP_MS;
	rc->timeout_ms = RECEIVER_TIMEOUT_MS;
	rc->format = WEBHOOK_JSON;
	snprintf(what, sizeof what, "receiver '%s'", name);
	if (config_yaml_map(ld, v, what, kind, nitems(kind)) == -1)
		return;
	if ((kind[0].value == NULL) == (kind[1].value == NULL)) {
		config_diag_error(ld, v, "receiver '%s' needs exactly one of "
		    "alertmanager or webhook (e.g. {alertmanager: {url: "
		    "\"http://127.0.0.1:9093\"}})", name);
		return;
	}
	rc->kind = kind[0].value != NULL ? RECEIVER_ALERTMANAGER :
	    RECEIVER_WEBHOOK;
	body = rc->kind == RECEIVER_ALERTMANAGER ? kind[0].value :
	    kind[1].value;
	snprintf(what, sizeof what, "receiver '%s' (%s)", name,
	    rc->kind == RECEIVER_ALERTMANAGER ? "alertmanager" : "webhook");
	/* format is a webhook's only. */
	nk = rc->kind == RECEIVER_ALERTMANAGER ? nitems(ck) - 1 : nitems(ck);
	if (config_yaml_map(ld, body, what, ck, nk) == -1)
		return;
	if (ck[0].value == NULL)
		config_diag_missing(ld, rc->kind == RECEIVER_ALERTMANAGER ?
		    kind[0].key : kind[1].key, body, "%s has no url (expected "
		    "http://HOST:PORT or https://HOST/PATH)", what);
	else if ((s = config_yaml_scalar(ld, ck[0].value, "a URL")) != NULL) {
		if (!url_ok(s))
			config_diag_error(ld, ck[0].value, "bad url '%.*s' in "
			    "%s (expected http:// or https:// and a host, e.g. "
			    "http://127.0.0.1:9093)", CONFIG_SHOW, s, what);
		else
			rc->url = xstrdup(s);
	}
	if (ck[1].value != NULL)
		config_yaml_string(ld, ck[1].value, "ca_file", &rc->ca_file);
	if (ck[2].value != NULL)
		config_yaml_duration(ld, ck[2].value, "timeout",
		    &rc->timeout_ms);
	if (ck[3].value != NULL)
		config_yaml_duration(ld, ck[3].value, "give_up_after",
		    &rc->give_up_after_ms);
	if (nk == nitems(ck) && ck[4].value != NULL &&
	    (s = config_yaml_scalar(ld, ck[4].value, "a format")) != NULL) {
		if (strcmp(s, "json") == 0)
			rc->format = WEBHOOK_JSON;
		else if (strcmp(s, "slack") == 0)
			rc->format = WEBHOOK_SLACK;
		else
			config_diag_error(ld, ck[4].value, "bad format '%s' in "
			    "%s (expected json or slack)", s, what);
	}
}

static void
read_receivers(struct load *ld, struct oncall *oc, yaml_node_t *n)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k;
	const char		*name;

	if (n->type != YAML_MAPPING_NODE) {
		config_diag_error(ld, n, "expected a mapping of receiver names "
		    "to receivers for receivers, found %s",
		    config_yaml_kind(n));
		return;
	}
	if (config_yaml_limit(ld, n, "receivers",
	    n->data.mapping.pairs.top - n->data.mapping.pairs.start,
	    CONFIG_MAX_NAMES) == -1)
		return;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = config_yaml_node(ld, p->key);
		if ((name = config_yaml_name(ld, k, "receiver")) == NULL)
			continue;
		if (config_receiver(ld->cf, name) != NULL) {
			config_diag_error(ld, k, "duplicate receiver '%s'",
			    name);
			continue;
		}
		read_receiver(ld, oc, k, config_yaml_node(ld, p->value), name);
	}
}

void
config_oncall_load(struct load *ld, yaml_node_t *oncall,
    yaml_node_t *receivers)
{
	struct oncall		*oc = ld->cf->oncall;
	struct config_key	 ck[] = {
		{ .name = "people" }, { .name = "schedules" }
	};

	if (oncall != NULL &&
	    config_yaml_map(ld, oncall, "oncall", ck, nitems(ck)) == 0) {
		if (ck[0].value != NULL)
			read_people(ld, oc, ck[0].value);
		if (ck[1].value != NULL)
			read_schedules(ld, oc, ck[1].value);
	}
	if (receivers != NULL)
		read_receivers(ld, oc, receivers);
}

/*
 * Notify targets.
 */

static void
read_target_people(struct load *ld, struct oncall *oc,
    struct notify_target *nt, yaml_node_t *n)
{
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	size_t			 i, nitem;
	char			 where[160];

	if (config_yaml_seq(ld, n, "people", &items, &nitem) == -1 ||
	    config_yaml_limit(ld, n, "people", nitem, CONFIG_MAX_NAMES) == -1)
		return;
	if (nitem == 0) {
		config_diag_error(ld, n, "people of notify target '%s' is "
		    "empty (expected at least one person key)", nt->name);
		return;
	}
	snprintf(where, sizeof where, "notify target '%s'", nt->name);
	nt->people = xcalloc(nitem, sizeof *nt->people);
	for (i = 0; i < nitem; i++) {
		item = config_yaml_node(ld, items[i]);
		if (person_ref(ld, oc, item, where) != -1)
			nt->people[nt->npeople++] =
			    xstrdup((const char *)item->data.scalar.value);
	}
}

static void
read_deliver(struct load *ld, struct oncall *oc, struct notify_target *nt,
    yaml_node_t *n)
{
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	const struct receiver	*rc;
	const char		*s;
	char			 expected[512];
	size_t			 i, nitem;

	if (config_yaml_seq(ld, n, "deliver", &items, &nitem) == -1 ||
	    config_yaml_limit(ld, n, "deliver", nitem, CONFIG_MAX_NAMES) == -1)
		return;
	nt->deliver = xcalloc(nitem + 1, sizeof *nt->deliver);
	for (i = 0; i < nitem; i++) {
		item = config_yaml_node(ld, items[i]);
		if ((s = config_yaml_scalar(ld, item,
		    "a receiver name")) == NULL)
			continue;
		if ((rc = config_receiver(ld->cf, s)) == NULL) {
			config_diag_error(ld, item, "undefined receiver '%s' in "
			    "notify target '%s' (expected one of receivers: "
			    "%s)", s, nt->name, names_of(oc->receivers,
			    oc->nreceivers, sizeof *oc->receivers,
			    offsetof(struct receiver, name), expected,
			    sizeof expected));
			continue;
		}
		nt->deliver[nt->ndeliver++] = rc;
	}
}

/* One mapping item of notify. */
static void
read_target(struct load *ld, struct oncall *oc, struct notify_target *nt,
    yaml_node_t *n)
{
	struct config_key	 ck[] = {
		{ .name = "name" }, { .name = "oncall" }, { .name = "people" },
		{ .name = "deliver" }
	};
	const char		*s;
	char			 expected[512];

	if (config_yaml_map(ld, n, "a notify target", ck, nitems(ck)) == -1)
		return;
	if (ck[0].value == NULL) {
		config_diag_error(ld, n, "notify target has no name (expected "
		    "e.g. {name: oncall_primary, oncall: primary})");
		return;
	}
	if ((s = config_yaml_scalar(ld, ck[0].value,
	    "a notify target name")) == NULL)
		return;
	if (*s == '\0') {
		config_diag_error(ld, ck[0].value, "empty notify target name");
		return;
	}
	nt->name = xstrdup(s);
	if (ck[1].value != NULL && ck[2].value != NULL)
		config_diag_error(ld, ck[2].key, "notify target '%s' has both "
		    "oncall and people (expected one: a schedule, or fixed "
		    "people)", nt->name);
	if (ck[1].value != NULL && (s = config_yaml_scalar(ld, ck[1].value,
	    "a schedule name")) != NULL) {
		if (oncall_schedule(oc, s) == NULL)
			config_diag_error(ld, ck[1].value, "undefined schedule "
			    "'%s' in notify target '%s' (expected one of "
			    "oncall.schedules: %s)", s, nt->name,
			    names_of(oc->schedules, oc->nschedules,
			    sizeof *oc->schedules,
			    offsetof(struct oncall_schedule, name), expected,
			    sizeof expected));
		else
			nt->schedule = xstrdup(s);
	}
	if (ck[2].value != NULL)
		read_target_people(ld, oc, nt, ck[2].value);
	if (ck[3].value != NULL)
		read_deliver(ld, oc, nt, ck[3].value);
}

void
config_oncall_notify(struct load *ld, yaml_node_t *n, char ***names,
    size_t *nnames)
{
	struct oncall		*oc = ld->cf->oncall;
	struct notify_target	*nt;
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	const char		*s;
	size_t			 i, nitem;

	if (config_yaml_seq(ld, n, "notify", &items, &nitem) == -1 ||
	    config_yaml_limit(ld, n, "notify", nitem, CONFIG_MAX_NAMES) == -1)
		return;
	if (nitem == 0) {
		config_diag_error(ld, n, "notify is empty (expected at least "
		    "one notify target)");
		return;
	}
	for (i = 0; i < nitem; i++) {
		item = config_yaml_node(ld, items[i]);
		oc->targets = grow(oc->targets, oc->ntargets,
		    sizeof *oc->targets);
		nt = &oc->targets[oc->ntargets];
		if (item->type == YAML_MAPPING_NODE) {
			read_target(ld, oc, nt, item);
		} else if ((s = config_yaml_scalar(ld, item,
		    "a notify target name, or a mapping with name")) != NULL) {
			if (*s == '\0')
				config_diag_error(ld, item,
				    "empty notify target name");
			else
				nt->name = xstrdup(s);
		}
		if (nt->name == NULL) {
			oncall_target_clear(nt);
			continue;
		}
		if (config_yaml_find(*names, *nnames, nt->name) != -1) {
			config_diag_error(ld, config_yaml_node(ld, items[i]),
			    "duplicate notify target '%s' in notify", nt->name);
			oncall_target_clear(nt);
			continue;
		}
		config_yaml_push(names, nnames, nt->name);
		oc->ntargets++;
	}
}

/*
 * Lookups on a loaded config.
 */

const struct notify_target *
config_notify_target(const struct config *cf, const char *name)
{
	size_t	i;

	for (i = 0; i < cf->oncall->ntargets; i++) {
		if (strcmp(cf->oncall->targets[i].name, name) == 0)
			return &cf->oncall->targets[i];
	}
	return NULL;
}

const struct receiver *
config_receiver(const struct config *cf, const char *name)
{
	size_t	i;

	for (i = 0; i < cf->oncall->nreceivers; i++) {
		if (strcmp(cf->oncall->receivers[i].name, name) == 0)
			return &cf->oncall->receivers[i];
	}
	return NULL;
}

size_t
config_nreceivers(const struct config *cf)
{
	return cf->oncall->nreceivers;
}

const struct receiver *
config_receiver_at(const struct config *cf, size_t i)
{
	return i < cf->oncall->nreceivers ? &cf->oncall->receivers[i] : NULL;
}
