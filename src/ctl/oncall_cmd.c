/*
 * oncall_cmd.c - `triagectl oncall [--at TIME] [--next N] [-o json]`: who
 * is on call in each schedule now (or at TIME), and the next handoffs.  No
 * Redis needed: it is the rules file and oncall.c's arithmetic.
 *
 * TIME is "YYYY-MM-DD HH:MM", read in each schedule's own time zone (so
 * one command asks "who has the 09:00 shift" everywhere); or an instant:
 * ms since the epoch, or ISO 8601 with a zone, 2026-12-24T10:00:00Z or
 * 2026-12-24T18:00+08:00.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "config.h"
#include "ctl.h"
#include "ctl_print.h"
#include "now.h"
#include "oncall.h"

#define ONCALL_NEXT_DEFAULT	3
#define ONCALL_NEXT_MAX		100

/* What --at said: an instant, or a local time for each schedule's zone. */
struct at {
	int		 local;
	int64_t		 ms;
	const char	*text;
};

/* "2026-12-24T10:00[:SS]Z" or "...+08:00" -> ms; -1 if malformed. */
static int
iso_ms(const char *s, int64_t *ms)
{
	char		 local[17];
	const char	*z;
	int64_t		 wall;
	int		 sec = 0, oh, om;

	if (strlen(s) < 17 || s[10] != 'T')
		return -1;
	memcpy(local, s, 16);
	local[10] = ' ';
	local[16] = '\0';
	if (oncall_wall_parse(local, &wall) == -1)
		return -1;
	z = s + 16;
	if (z[0] == ':' && isdigit((unsigned char)z[1]) &&
	    isdigit((unsigned char)z[2])) {
		sec = (z[1] - '0') * 10 + (z[2] - '0');
		z += 3;
		if (sec > 59)
			return -1;
	}
	if (strcmp(z, "Z") == 0) {
		*ms = (wall + sec) * 1000;
		return 0;
	}
	if ((z[0] != '+' && z[0] != '-') || strlen(z) != 6 || z[3] != ':' ||
	    sscanf(z + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 || om > 59)
		return -1;
	*ms = (wall + sec - (z[0] == '-' ? -1 : 1) * (oh * 3600 + om * 60)) *
	    1000;
	return 0;
}

static int
at_parse(const char *s, struct at *at)
{
	char	*end;
	int64_t	 wall;

	at->text = s;
	at->local = 0;
	if (*s != '\0' && strspn(s, "0123456789") == strlen(s)) {
		errno = 0;
		at->ms = strtoll(s, &end, 10);
		return errno == 0 ? 0 : -1;
	}
	if (oncall_wall_parse(s, &wall) == 0) {
		at->local = 1;
		return 0;
	}
	return iso_ms(s, &at->ms);
}

static void
json_str(const char *s)
{
	if (s == NULL)
		fputs("null", stdout);
	else
		ctl_json_string(stdout, s, strlen(s));
}

static void
json_person(const struct oncall *oc, int who)
{
	const struct oncall_person	*p;

	if (who < 0) {
		fputs("null", stdout);
		return;
	}
	p = &oc->people[who];
	fputs("{\"key\":", stdout);
	json_str(p->key);
	fputs(",\"name\":", stdout);
	json_str(p->name);
	fputs(",\"phone\":", stdout);
	json_str(p->phone);
	fputs(",\"email\":", stdout);
	json_str(p->email);
	fputs("}", stdout);
}

static void
text_person(const struct oncall *oc, int who)
{
	const struct oncall_person	*p;

	if (who < 0) {
		fputs("nobody", stdout);
		return;
	}
	p = &oc->people[who];
	ctl_print_text(stdout, p->key, strlen(p->key));
	fputs(" (", stdout);
	ctl_print_text(stdout, p->name, strlen(p->name));
	if (p->phone != NULL) {
		fputs(", ", stdout);
		ctl_print_text(stdout, p->phone, strlen(p->phone));
	}
	fputs(")", stdout);
}

static const char *
rotation_name(const struct oncall_schedule *s, char *buf, size_t len)
{
	switch (s->rotation) {
	case ONCALL_DAILY:
		return "daily";
	case ONCALL_WEEKLY:
		return "weekly";
	default:
		snprintf(buf, len, "turns of %lldh%02lldm",
		    (long long)(s->turn_s / 3600),
		    (long long)(s->turn_s % 3600 / 60));
		return buf;
	}
}

/* Whether an override, rather than the rotation, holds at_ms. */
static int
overridden(const struct oncall_schedule *s, int64_t at_ms)
{
	for (size_t i = 0; i < s->noverrides; i++) {
		if (s->overrides[i].from_ms <= at_ms &&
		    at_ms < s->overrides[i].to_ms)
			return 1;
	}
	return 0;
}

static void
show(const struct oncall *oc, const struct oncall_schedule *s, int64_t at,
    size_t nnext, int json, int first)
{
	struct oncall_handoff	h[ONCALL_NEXT_MAX];
	char			 t[64], rot[64];
	size_t			 n, i;
	int			 who = oncall_who(s, at);

	n = oncall_next(s, at, h, nnext);
	if (json) {
		printf("%s{\"name\":", first ? "" : ",");
		json_str(s->name);
		fputs(",\"timezone\":", stdout);
		json_str(s->timezone);
		printf(",\"at\":%lld,\"at_local\":", (long long)at);
		json_str(oncall_local_time(s, at, t, sizeof t));
		fputs(",\"on_call\":", stdout);
		json_person(oc, who);
		printf(",\"override\":%s,\"next\":[",
		    overridden(s, at) ? "true" : "false");
		for (i = 0; i < n; i++) {
			printf("%s{\"at\":%lld,\"at_local\":", i > 0 ? "," : "",
			    (long long)h[i].at_ms);
			json_str(oncall_local_time(s, h[i].at_ms, t,
			    sizeof t));
			fputs(",\"person\":", stdout);
			json_person(oc, h[i].person);
			fputs("}", stdout);
		}
		fputs("]}", stdout);
		return;
	}
	printf("%s%s (%s, %s, first handoff %s)\n", first ? "" : "\n",
	    s->name, s->timezone, rotation_name(s, rot, sizeof rot),
	    oncall_local_time(s, oncall_start_ms(s), t, sizeof t));
	printf("  on call at %s: ", oncall_local_time(s, at, t, sizeof t));
	text_person(oc, who);
	if (overridden(s, at))
		fputs(", by override", stdout);
	else if (who < 0 && s->npeople > 0)
		fputs(", before the first handoff", stdout);
	fputc('\n', stdout);
	if (n == 0) {
		printf("  no handoffs ahead\n");
		return;
	}
	printf("  next handoffs:\n");
	for (i = 0; i < n; i++) {
		printf("    %s  ", oncall_local_time(s, h[i].at_ms, t,
		    sizeof t));
		text_person(oc, h[i].person);
		fputc('\n', stdout);
	}
}

int
ctl_oncall(const struct config *cf, int argc, char **argv)
{
	const struct oncall	*oc = cf->oncall;
	struct at		 at = { 0, 0, NULL };
	long			 nnext = ONCALL_NEXT_DEFAULT;
	char			*end;
	int64_t			 ms;
	int			 json, i;

	if ((json = ctl_output_json(&argc, argv)) == -1)
		return 2;
	at.ms = now_ms();
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--at") == 0 && i + 1 < argc) {
			if (at_parse(argv[++i], &at) == -1) {
				fprintf(stderr, "oncall: bad time '%s' for "
				    "--at (expected \"YYYY-MM-DD HH:MM\" in "
				    "each schedule's zone, ms since the "
				    "epoch, or ISO 8601 with a zone such as "
				    "2026-12-24T10:00:00Z)\n", argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--next") == 0 && i + 1 < argc) {
			nnext = strtol(argv[++i], &end, 10);
			if (*end != '\0' || nnext < 0 ||
			    nnext > ONCALL_NEXT_MAX) {
				fprintf(stderr, "oncall: --next takes a number "
				    "from 0 to %d\n", ONCALL_NEXT_MAX);
				return 2;
			}
		} else {
			fprintf(stderr, "oncall: unexpected argument '%s' "
			    "(expected --at TIME, --next N, -o json)\n",
			    argv[i]);
			return 2;
		}
	}
	if (oc->nschedules == 0) {
		fprintf(stderr, "oncall: %s has no on-call schedules "
		    "(oncall.schedules)\n", cf->path);
		return 1;
	}
	if (json)
		fputs("{\"schedules\":[", stdout);
	for (size_t k = 0; k < oc->nschedules; k++) {
		ms = at.ms;
		if (at.local)
			oncall_local_ms(&oc->schedules[k], at.text, &ms);
		show(oc, &oc->schedules[k], ms, (size_t)nnext, json, k == 0);
	}
	if (json)
		fputs("]}\n", stdout);
	return 0;
}
