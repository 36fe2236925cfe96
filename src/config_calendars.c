/*
 * config_calendars.c - the calendars section of the rules file: business
 * hours in a time zone, with holidays, built into calendar.c's calendars.
 *
 *   calendars:
 *     office:
 *       timezone: Asia/Shanghai
 *       hours: {mon-fri: "09:00-12:00,13:00-18:00", sat: "10:00-14:00"}
 *       holidays: [2026-10-01]
 *
 * The calendar "always" (24x7) is built in and is calendars[0].  Every
 * calendar written is remembered by name even when it fails to build, so
 * that a policy naming it gets no second error.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "config_impl.h"
#include "log.h"

static const char *days[] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun"
};

/* "mon", "sat", "mon-fri" -> a weekday mask (bit 0 Sunday). */
static unsigned
day_mask(const char *s)
{
	char		 a[4], b[4];
	int		 from = -1, to = -1, i;
	unsigned	 mask = 0;

	if (strlen(s) == 3) {
		memcpy(a, s, 4);
		memcpy(b, s, 4);
	} else if (strlen(s) == 7 && s[3] == '-') {
		memcpy(a, s, 3);
		a[3] = '\0';
		memcpy(b, s + 4, 4);
	} else
		return 0;
	for (i = 0; i < 7; i++) {
		if (strcmp(a, days[i]) == 0)
			from = i;
		if (strcmp(b, days[i]) == 0)
			to = i;
	}
	if (from == -1 || to == -1 || to < from)
		return 0;
	for (i = from; i <= to; i++)
		mask |= 1u << ((i + 1) % 7);	/* mon is tm_wday 1 */
	return mask;
}

/* "HH:MM" -> minutes; -1 if malformed. */
static int
day_minute(const char *s, size_t len)
{
	int	h, m;

	if (len == 4 && s[1] == ':' && isdigit((unsigned char)s[0]))
		h = s[0] - '0';
	else if (len == 5 && s[2] == ':' && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[1]))
		h = (s[0] - '0') * 10 + (s[1] - '0');
	else
		return -1;
	s += len - 2;
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

/* "09:00-12:00,13:00-18:00" for the days of mask. */
static void
read_windows(struct load *ld, yaml_node_t *n, const char *calname,
    struct calendar *cal, unsigned mask)
{
	const char	*s, *p, *comma, *dash;
	char		 err[256];
	size_t		 len;
	int		 start, end;

	if ((s = config_yaml_scalar(ld, n,
	    "working hours like \"09:00-18:00\"")) == NULL)
		return;
	for (p = s; ; p = comma + 1) {
		while (*p == ' ')
			p++;
		comma = strchr(p, ',');
		len = comma == NULL ? strlen(p) : (size_t)(comma - p);
		while (len > 0 && p[len - 1] == ' ')
			len--;
		dash = memchr(p, '-', len);
		start = end = -1;
		if (dash != NULL) {
			start = day_minute(p, dash - p);
			end = day_minute(dash + 1, len - (dash + 1 - p));
		}
		if (start == -1 || end == -1) {
			config_diag_error(ld, n, "bad working hours '%.*s' in "
			    "calendar '%s' (expected HH:MM-HH:MM, e.g. "
			    "09:00-18:00, several separated by commas)",
			    (int)len, p, calname);
			return;
		}
		if (end <= start) {
			config_diag_error(ld, n, "working hours '%.*s' in "
			    "calendar '%s' end before they start (a window "
			    "cannot pass midnight: write it as two, up to "
			    "24:00 and from 00:00)", (int)len, p, calname);
			return;
		}
		if (cal != NULL && calendar_add_window(cal, mask, start, end,
		    err, sizeof err) == -1) {
			config_diag_error(ld, n, "calendar '%s': %s", calname,
			    err);
			return;
		}
		if (comma == NULL)
			break;
	}
}

static void
read_hours(struct load *ld, yaml_node_t *n, const char *calname,
    struct calendar *cal)
{
	yaml_node_pair_t	*p;
	yaml_node_item_t	*items;
	yaml_node_t		*k, *v;
	const char		*day;
	size_t			 i, nitem;
	unsigned		 mask;

	if (n->type != YAML_MAPPING_NODE) {
		config_diag_error(ld, n, "expected a mapping of days to hours "
		    "for calendar '%s', found %s", calname,
		    config_yaml_kind(n));
		return;
	}
	/* A calendar without working time would never reach a deadline. */
	if (n->data.mapping.pairs.start == n->data.mapping.pairs.top) {
		config_diag_error(ld, n, "calendar '%s' has no working hours "
		    "(expected e.g. {mon-fri: \"09:00-18:00\"})", calname);
		return;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = config_yaml_node(ld, p->key);
		v = config_yaml_node(ld, p->value);
		if ((day = config_yaml_scalar(ld, k, "a day such as mon, sat "
		    "or mon-fri")) == NULL)
			continue;
		if ((mask = day_mask(day)) == 0) {
			config_diag_error(ld, k, "bad day '%s' in calendar "
			    "'%s' (expected mon, tue, wed, thu, fri, sat, sun, "
			    "or a range such as mon-fri)", day, calname);
			continue;
		}
		if (v->type == YAML_SEQUENCE_NODE) {
			config_yaml_seq(ld, v, "working hours", &items, &nitem);
			for (i = 0; i < nitem; i++)
				read_windows(ld, config_yaml_node(ld, items[i]),
				    calname, cal, mask);
		} else
			read_windows(ld, v, calname, cal, mask);
	}
}

static void
read_holidays(struct load *ld, yaml_node_t *n, const char *calname,
    struct calendar *cal)
{
	static const int	 mdays[] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	const char		*s;
	char			 err[256];
	size_t			 i, nitem;
	int			 y, m, d, leap, len;

	if (config_yaml_seq(ld, n, "holidays", &items, &nitem) == -1)
		return;
	for (i = 0; i < nitem; i++) {
		item = config_yaml_node(ld, items[i]);
		if ((s = config_yaml_scalar(ld, item,
		    "a date like 2026-10-01")) == NULL)
			continue;
		len = -1;
		if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &len) != 3 ||
		    len != 10 || strlen(s) != 10 || m < 1 || m > 12 ||
		    d < 1 || d > mdays[m - 1] || y < 1970) {
			config_diag_error(ld, item, "bad holiday '%s' in "
			    "calendar '%s' (expected a date YYYY-MM-DD)", s,
			    calname);
			continue;
		}
		leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		if (m == 2 && d == 29 && !leap) {
			config_diag_error(ld, item, "bad holiday '%s' in "
			    "calendar '%s': %d is not a leap year", s, calname,
			    y);
			continue;
		}
		if (cal != NULL && calendar_add_holiday(cal, y, m, d, err,
		    sizeof err) == -1)
			config_diag_error(ld, item, "calendar '%s': %s",
			    calname, err);
	}
}

void
config_calendars_load(struct load *ld, yaml_node_t *n)
{
	struct rules		*r = ld->r;
	yaml_node_pair_t	*p;
	yaml_node_t		*k, *v;
	struct calendar		*cal, **cals;
	struct config_key	 ck[] = {
		{ .name = "timezone" }, { .name = "hours" },
		{ .name = "holidays" }
	};
	const char		*name, *tz;
	char			 what[128], err[256];

	if (n->type != YAML_MAPPING_NODE) {
		config_diag_error(ld, n, "expected a mapping of calendar names "
		    "to calendars for calendars, found %s",
		    config_yaml_kind(n));
		return;
	}
	if (config_yaml_limit(ld, n, "calendars", n->data.mapping.pairs.top -
	    n->data.mapping.pairs.start, CONFIG_MAX_CALENDARS) == -1)
		return;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = config_yaml_node(ld, p->key);
		v = config_yaml_node(ld, p->value);
		if ((name = config_yaml_name(ld, k, "calendar")) == NULL)
			continue;
		if (strcmp(name, "always") == 0) {
			config_diag_error(ld, k, "calendar 'always' is built "
			    "in (24x7) and cannot be redefined");
			continue;
		}
		if (config_yaml_find(ld->calnames, ld->ncalnames, name) != -1) {
			config_diag_error(ld, k, "duplicate calendar '%s'",
			    name);
			continue;
		}
		config_yaml_push(&ld->calnames, &ld->ncalnames, name);
		snprintf(what, sizeof what, "calendar '%s'", name);
		if (config_yaml_map(ld, v, what, ck, nitems(ck)) == -1)
			continue;
		cal = NULL;
		if (ck[0].value == NULL)
			config_diag_missing(ld, k, v, "calendar '%s' has no "
			    "timezone (expected an IANA name such as "
			    "Asia/Shanghai)", name);
		else if ((tz = config_yaml_scalar(ld, ck[0].value,
		    "a time zone name")) != NULL &&
		    (cal = calendar_new(name, tz, err, sizeof err)) == NULL)
			config_diag_error(ld, ck[0].value, "calendar '%s': %s "
			    "(expected an IANA name such as Asia/Shanghai)",
			    name, err);
		if (ck[1].value == NULL)
			config_diag_missing(ld, k, v, "calendar '%s' has no "
			    "hours (expected e.g. hours: {mon-fri: "
			    "\"09:00-18:00\"})", name);
		else
			read_hours(ld, ck[1].value, name, cal);
		if (ck[2].value != NULL)
			read_holidays(ld, ck[2].value, name, cal);
		if (cal == NULL)
			continue;
		cals = reallocarray(r->calendars, r->ncalendars + 1,
		    sizeof *cals);
		if (cals == NULL)
			fatal("reallocarray");
		r->calendars = cals;
		r->calendars[r->ncalendars++] = cal;
	}
}

