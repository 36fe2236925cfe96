/*
 * test_oncall.c - who is on call, at fixed instants, and the rules file's
 * oncall, receivers and notify sections with their errors.
 *
 * No clock is read: every instant is written out, worked out with
 * date(1) (e.g. TZ=Europe/Berlin date -d '2026-03-29 09:00' +%s) and
 * shown next to its local reading.
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

#include "civil.h"
#include "config.h"
#include "oncall.h"
#include "zone.h"

#define S	1000LL			/* ms */
#define MIN	(60 * S)
#define HOUR	(60 * MIN)
#define DAY	(24 * HOUR)

/* Wall-clock seconds of a local date and time, as the loader makes them. */
static int64_t
wall(int y, int m, int d, int hh, int mm)
{
	return civil_days_from_date(y, m, d) * 86400 + hh * 3600 + mm * 60;
}

static int	people3[] = { 0, 1, 2 };

static void
schedule(struct oncall_schedule *s, const char *tz, enum oncall_rotation rot,
    int64_t turn_s, int64_t start_wall, size_t npeople)
{
	char	err[256];

	memset(s, 0, sizeof *s);
	s->name = (char *)"test";
	assert_int_equal(zone_load(&s->zone, tz, err, sizeof err), 0);
	s->rotation = rot;
	s->turn_s = turn_s;
	s->start_wall = start_wall;
	s->people = people3;
	s->npeople = npeople;
}

/* Daily at 09:00 Asia/Shanghai from 2026-01-05, three people. */
static void
test_daily(void **state)
{
	struct oncall_schedule	s;
	int64_t			t0 = 1767574800 * S;	/* 01-05 09:00 +08 */

	(void)state;
	schedule(&s, "Asia/Shanghai", ONCALL_DAILY, 86400,
	    wall(2026, 1, 5, 9, 0), 3);
	assert_int_equal(oncall_start_ms(&s), t0);
	assert_int_equal(oncall_who(&s, t0 - 1), -1);	/* before start */
	assert_int_equal(oncall_who(&s, t0), 0);
	assert_int_equal(oncall_who(&s, t0 + DAY - 1), 0);
	/* The handoff at exactly T: the next person. */
	assert_int_equal(oncall_who(&s, 1767661200 * S), 1);	/* 01-06 09:00 */
	assert_int_equal(oncall_who(&s, t0 + 2 * DAY), 2);
	assert_int_equal(oncall_who(&s, 1767834000 * S), 0);	/* 01-08 09:00 */
	assert_int_equal(oncall_who(&s, t0 + 300 * DAY + 5 * HOUR), 0);
	zone_clear(&s.zone);
}

/* Weekly, "mon 09:00" Asia/Shanghai from Monday 2026-01-05, two people. */
static void
test_weekly(void **state)
{
	struct oncall_schedule	s;

	(void)state;
	schedule(&s, "Asia/Shanghai", ONCALL_WEEKLY, 7 * 86400,
	    wall(2026, 1, 5, 9, 0), 2);
	assert_int_equal(oncall_who(&s, 1767574800 * S + 6 * DAY), 0);
	assert_int_equal(oncall_who(&s, 1768179600 * S - 1), 0);
	assert_int_equal(oncall_who(&s, 1768179600 * S), 1);	/* 01-12 09:00 */
	assert_int_equal(oncall_who(&s, 1768788000 * S), 0);	/* 01-19 10:00 */
	zone_clear(&s.zone);
}

/* Turns of 12h from 2026-01-05 08:00 UTC: 08:00 and 20:00. */
static void
test_fixed_length(void **state)
{
	struct oncall_schedule	s;

	(void)state;
	schedule(&s, "UTC", ONCALL_LENGTH, 12 * 3600,
	    wall(2026, 1, 5, 8, 0), 3);
	assert_int_equal(oncall_who(&s, 1767600000 * S), 0);	/* 08:00 */
	assert_int_equal(oncall_who(&s, 1767643200 * S - 1), 0);
	assert_int_equal(oncall_who(&s, 1767643200 * S), 1);	/* 20:00 */
	assert_int_equal(oncall_who(&s, 1767686400 * S), 2);	/* 01-06 08:00 */
	assert_int_equal(oncall_who(&s, 1767686400 * S + 12 * HOUR), 0);
	zone_clear(&s.zone);
}

/*
 * Europe/Berlin goes from +01 to +02 at 02:00 on 2026-03-29: the 09:00
 * handoff stays at 09:00 local, 23 hours after the one before.  Counting
 * whole days of 24h from the start would hand over at 10:00 instead.
 */
static void
test_dst_spring(void **state)
{
	struct oncall_schedule	s;
	int64_t			sat = 1774684800 * S;	/* 03-28 09:00 +01 */
	int64_t			sun = 1774767600 * S;	/* 03-29 09:00 +02 */
	struct oncall_handoff	h[3];

	(void)state;
	schedule(&s, "Europe/Berlin", ONCALL_DAILY, 86400,
	    wall(2026, 3, 27, 9, 0), 2);
	assert_int_equal(sun - sat, 23 * HOUR);
	assert_int_equal(oncall_who(&s, sat), 1);
	assert_int_equal(oncall_who(&s, sun - 1), 1);
	assert_int_equal(oncall_who(&s, sun), 0);
	assert_int_equal(oncall_who(&s, sun + 30 * MIN), 0);
	assert_int_equal(oncall_who(&s, 1774854000 * S), 1);	/* 03-30 09:00 */
	/* The next handoffs are at 09:00 local on both sides. */
	assert_int_equal(oncall_next(&s, sat + HOUR, h, 3), 3);
	assert_int_equal(h[0].at_ms, sun);
	assert_int_equal(h[0].person, 0);
	assert_int_equal(h[1].at_ms, 1774854000 * S);
	assert_int_equal(h[1].person, 1);
	assert_int_equal(h[2].at_ms, 1774854000 * S + DAY);
	zone_clear(&s.zone);
}

/* America/New_York falls back at 02:00 on 2026-11-01: a 25-hour turn. */
static void
test_dst_autumn(void **state)
{
	struct oncall_schedule	s;
	int64_t			sat = 1793451600 * S;	/* 10-31 09:00 -04 */
	int64_t			sun = 1793541600 * S;	/* 11-01 09:00 -05 */

	(void)state;
	schedule(&s, "America/New_York", ONCALL_DAILY, 86400,
	    wall(2026, 10, 31, 9, 0), 2);
	assert_int_equal(sun - sat, 25 * HOUR);
	assert_int_equal(oncall_who(&s, sat), 0);
	assert_int_equal(oncall_who(&s, sat + 24 * HOUR), 0);
	assert_int_equal(oncall_who(&s, sun - 1), 0);
	assert_int_equal(oncall_who(&s, sun), 1);
	assert_int_equal(oncall_who(&s, 1793628000 * S), 0);	/* 11-02 09:00 */
	zone_clear(&s.zone);
}

/* A handoff in the hour that does not exist happens when it ends. */
static void
test_dst_skipped_handoff(void **state)
{
	struct oncall_schedule	s;

	(void)state;
	schedule(&s, "Europe/Berlin", ONCALL_DAILY, 86400,
	    wall(2026, 3, 28, 2, 30), 2);
	/* 03-29 02:30 local is not on any clock: 03:00 +02 it is. */
	assert_int_equal(oncall_who(&s, 1774746000 * S - 1), 0);
	assert_int_equal(oncall_who(&s, 1774746000 * S), 1);
	zone_clear(&s.zone);
}

/* An override wins for its span, and is a change of who is on call. */
static void
test_override(void **state)
{
	struct oncall_schedule	s;
	struct oncall_override	o;
	struct oncall_handoff	h[4];
	int64_t			from = 1798106400 * S;	/* 12-24 18:00 */
	int64_t			to = 1798246800 * S;	/* 12-26 09:00 */

	(void)state;
	schedule(&s, "Asia/Shanghai", ONCALL_WEEKLY, 7 * 86400,
	    wall(2026, 1, 5, 9, 0), 2);
	o.person = 2;
	o.from_ms = from;
	o.to_ms = to;
	s.overrides = &o;
	s.noverrides = 1;
	/* 2026-12-21 is week 50 from 01-05: people[0]. */
	assert_int_equal(oncall_who(&s, from - 1), 0);
	assert_int_equal(oncall_who(&s, from), 2);
	assert_int_equal(oncall_who(&s, to - 1), 2);
	assert_int_equal(oncall_who(&s, to), 0);
	assert_int_equal(oncall_next(&s, from - HOUR, h, 4), 4);
	assert_int_equal(h[0].at_ms, from);
	assert_int_equal(h[0].person, 2);
	assert_int_equal(h[1].at_ms, to);
	assert_int_equal(h[1].person, 0);
	/* Monday 12-28 09:00 +08. */
	assert_int_equal(h[2].at_ms, to + 2 * DAY);
	assert_int_equal(h[2].person, 1);
	/* Only overrides: nobody outside them, and that is a gap. */
	s.npeople = 0;
	assert_int_equal(oncall_who(&s, from - 1), -1);
	assert_int_equal(oncall_who(&s, from), 2);
	assert_int_equal(oncall_next(&s, 0, h, 4), 2);
	assert_int_equal(h[1].person, -1);
	char	why[256];
	assert_int_equal(oncall_gaps(&s, why, sizeof why), -1);
	assert_non_null(strstr(why, "no people"));
	s.npeople = 2;
	assert_int_equal(oncall_gaps(&s, why, sizeof why), 0);
	zone_clear(&s.zone);
}

/* One person: the turns hand over to the same person, no change. */
static void
test_next_one_person(void **state)
{
	struct oncall_schedule	s;
	struct oncall_handoff	h[2];

	(void)state;
	schedule(&s, "UTC", ONCALL_DAILY, 86400, wall(2026, 1, 5, 8, 0), 1);
	assert_int_equal(oncall_next(&s, 1767600000 * S, h, 2), 0);
	/* Before the start: the first handoff is a change. */
	assert_int_equal(oncall_next(&s, 0, h, 2), 1);
	assert_int_equal(h[0].at_ms, 1767600000 * S);
	assert_int_equal(h[0].person, 0);
	zone_clear(&s.zone);
}

/*
 * The rules file.
 */

#define BASE \
	"teams: [a]\n" \
	"default_team: a\n" \
	"tiers: {levels: [{name: std}]}\n" \
	"urgency: {levels: [high, low], thresholds: {high: 50}}\n"

static char	tmp_path[64];

static struct config *
load(const char *yaml, char **diag)
{
	struct config	*cf;
	int		 fd;

	strcpy(tmp_path, "/tmp/test_oncall_XXXXXX");
	assert_true((fd = mkstemp(tmp_path)) != -1);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	*diag = NULL;
	cf = config_load(tmp_path, CONFIG_WARN, diag);
	unlink(tmp_path);
	return cf;
}

/* yaml fails with this error among its diagnostics. */
static void
expect_error(const char *yaml, const char *error)
{
	struct config	*cf;
	char		*diag, want[1024];

	cf = load(yaml, &diag);
	assert_null(cf);
	assert_non_null(diag);
	snprintf(want, sizeof want, "%s:%s\n", tmp_path, error);
	if (strstr(diag, want) == NULL)
		fail_msg("want %s, got %s", want, diag);
	free(diag);
}

static void
test_config_sample(void **state)
{
	struct config			*cf;
	const struct notify_target	*nt;
	const struct receiver		*rc;
	const struct oncall_person	*p;
	char				*diag = NULL;

	(void)state;
	cf = config_load(TEST_CONF_DIR "/triage.yaml", 0, &diag);
	assert_non_null(cf);
	free(diag);
	nt = config_notify_target(cf, "team_lead");
	assert_non_null(nt);
	assert_null(nt->schedule);
	assert_int_equal(nt->npeople, 0);
	assert_int_equal(nt->ndeliver, 0);
	nt = config_notify_target(cf, "oncall_primary");
	assert_string_equal(nt->schedule, "primary");
	assert_int_equal(nt->ndeliver, 2);
	assert_string_equal(nt->deliver[0]->name, "pager");
	assert_int_equal(nt->deliver[0]->kind, RECEIVER_ALERTMANAGER);
	assert_null(config_notify_target(cf, "nobody"));
	assert_int_equal(config_nreceivers(cf), 2);
	rc = config_receiver(cf, "floor");
	assert_ptr_equal(rc, config_receiver_at(cf, 1));
	assert_null(config_receiver_at(cf, 2));
	assert_int_equal(rc->kind, RECEIVER_WEBHOOK);
	assert_int_equal(rc->format, WEBHOOK_JSON);
	assert_int_equal(rc->give_up_after_ms, 24 * HOUR);
	assert_int_equal(rc->timeout_ms, 10 * S);
	assert_null(rc->ca_file);
	/* 2026-01-12 09:00 +08 is wang_fang's first week. */
	p = oncall_resolve(cf->oncall, nt, 1768179600 * S);
	assert_string_equal(p->key, "wang_fang");
	assert_string_equal(p->name, "Wang Fang");
	p = oncall_resolve(cf->oncall, nt, 1798106400 * S);	/* 12-24 18:00 */
	assert_string_equal(p->key, "zhang_wei");
	assert_null(oncall_resolve(cf->oncall, nt, 0));	/* before start */
	p = oncall_resolve(cf->oncall,
	    config_notify_target(cf, "oncall_manager"), 0);
	assert_string_equal(p->key, "zhang_wei");
	assert_null(oncall_resolve(cf->oncall,
	    config_notify_target(cf, "team_lead"), 0));
	config_free(cf);
}

static void
test_config_full(void **state)
{
	struct config			*cf;
	const struct oncall_schedule	*s;
	const struct receiver		*rc;
	char				*diag;

	(void)state;
	cf = load(BASE
	    "notify: [{name: x, oncall: night, deliver: [hook]}]\n"
	    "oncall:\n"
	    "  people: {a1: {name: A}, b1: null}\n"
	    "  schedules:\n"
	    "    night:\n"
	    "      timezone: UTC\n"
	    "      rotation: 12h\n"
	    "      handoff: \"08:00\"\n"
	    "      start: 2026-01-05\n"
	    "      people: [a1, b1]\n"
	    "receivers:\n"
	    "  hook:\n"
	    "    webhook: {url: \"https://h.example/x\", format: slack,\n"
	    "      ca_file: /tmp/ca.pem, timeout: 3s, give_up_after: 1h}\n",
	    &diag);
	if (cf == NULL)
		fail_msg("%s", diag);
	free(diag);
	s = oncall_schedule(cf->oncall, "night");
	assert_int_equal(s->rotation, ONCALL_LENGTH);
	assert_int_equal(s->turn_s, 12 * 3600);
	assert_int_equal(oncall_start_ms(s), 1767600000 * S);
	assert_int_equal(oncall_who(s, 1767643200 * S), 1);
	assert_string_equal(cf->oncall->people[1].name, "b1");
	rc = config_receiver(cf, "hook");
	assert_int_equal(rc->format, WEBHOOK_SLACK);
	assert_string_equal(rc->ca_file, "/tmp/ca.pem");
	assert_int_equal(rc->timeout_ms, 3 * S);
	assert_int_equal(rc->give_up_after_ms, HOUR);
	config_free(cf);
}

#define SCHED(rest) BASE \
	"notify: [{name: x, oncall: p}]\n" \
	"oncall:\n" \
	"  people: {a1: {name: A}}\n" \
	"  schedules:\n" \
	"    p:\n" \
	"      timezone: Asia/Shanghai\n" \
	rest

static void
test_config_errors(void **state)
{
	(void)state;
	expect_error(BASE "notify: [{name: x, oncall: nope}]\n",
	    "5:28: error: undefined schedule 'nope' in notify target 'x' "
	    "(expected one of oncall.schedules: none defined)");
	expect_error(BASE "notify: [{name: x, people: [ghost]}]\n",
	    "5:29: error: undefined person 'ghost' in notify target 'x' "
	    "(expected one of oncall.people: none defined)");
	expect_error(BASE "notify: [{name: x, deliver: [pager]}]\n",
	    "5:30: error: undefined receiver 'pager' in notify target 'x' "
	    "(expected one of receivers: none defined)");
	expect_error(BASE "notify: [{name: x, page: y}]\n",
	    "5:20: error: unknown key 'page' in a notify target (expected "
	    "one of: name, oncall, people, deliver)");
	expect_error(SCHED("      rotation: daily\n"
	    "      handoff: \"9am\"\n"
	    "      start: 2026-01-05\n"
	    "      people: [a1]\n"),
	    "12:16: error: bad handoff '9am' in schedule 'p' (expected a "
	    "time of day HH:MM, e.g. \"09:00\"; a day is for weekly "
	    "rotations only)");
	expect_error(SCHED("      rotation: weekly\n"
	    "      handoff: \"mon 09:00\"\n"
	    "      start: 2026-01-06\n"
	    "      people: [a1]\n"),
	    "13:14: error: start 2026-01-06 of schedule 'p' is a tue, but "
	    "its handoff is on mon (expected a date on the handoff's day)");
	expect_error(SCHED("      rotation: fortnightly\n"
	    "      start: 2026-01-05\n"
	    "      people: [a1]\n"),
	    "11:17: error: bad rotation 'fortnightly' in schedule 'p' "
	    "(expected daily, weekly, or the length of a turn in whole "
	    "minutes, e.g. 12h)");
	expect_error(SCHED("      rotation: daily\n"
	    "      start: 2026-01-05\n"
	    "      people: [a1]\n"
	    "      overrides:\n"
	    "        - {person: a1, from: \"2026-12-26 09:00\", "
	    "to: \"2026-12-24 18:00\"}\n"),
	    "15:54: error: override of schedule 'p' ends at 2026-12-24 18:00, "
	    "before it starts at 2026-12-26 09:00");
	expect_error(BASE "notify: [{name: x, oncall: p}]\n"
	    "oncall:\n"
	    "  schedules:\n"
	    "    p: {timezone: Mars/Olympus, rotation: daily, "
	    "start: 2026-01-05, people: []}\n",
	    "8:19: error: schedule 'p': unknown time zone 'Mars/Olympus': "
	    "no such zone in /usr/share/zoneinfo (expected an IANA name such "
	    "as Asia/Shanghai)");
	expect_error(BASE "notify: [x]\n"
	    "receivers:\n"
	    "  \"\": {webhook: {url: \"http://h/x\"}}\n",
	    "7:3: error: empty receiver name");
	expect_error(BASE "notify: [x]\n"
	    "oncall:\n"
	    "  schedules:\n"
	    "    \"\": {timezone: UTC, rotation: daily, start: 2026-01-05, "
	    "people: []}\n",
	    "8:5: error: empty schedule name");
	expect_error(BASE "notify: [x]\n"
	    "receivers:\n"
	    "  r: {webhook: {url: \"ftp://h/x\"}}\n",
	    "7:22: error: bad url 'ftp://h/x' in receiver 'r' (webhook) "
	    "(expected http:// or https:// and a host, e.g. "
	    "http://127.0.0.1:9093)");
	expect_error(BASE "notify: [x]\n"
	    "receivers:\n"
	    "  r: {alertmanager: {url: \"http://h\", format: json}}\n",
	    "7:39: error: unknown key 'format' in receiver 'r' "
	    "(alertmanager) (expected one of: url, ca_file, timeout, "
	    "give_up_after)");
	expect_error(BASE "notify: [x]\n"
	    "receivers:\n"
	    "  r: {pagerduty: {url: \"http://h\"}}\n",
	    "7:7: error: unknown key 'pagerduty' in receiver 'r' (expected "
	    "one of: alertmanager, webhook)");
}

/* --check warns of a schedule with nobody outside its overrides. */
static void
test_config_gap_warning(void **state)
{
	struct config	*cf;
	char		*diag, want[512];

	(void)state;
	cf = load(SCHED("      rotation: daily\n"
	    "      start: 2026-01-05\n"
	    "      people: []\n"
	    "      overrides:\n"
	    "        - {person: a1, from: \"2026-12-24 18:00\", "
	    "to: \"2026-12-26 09:00\"}\n"
	    "        - {person: a1, from: \"2026-12-25 18:00\", "
	    "to: \"2026-12-27 09:00\"}\n"), &diag);
	assert_non_null(cf);
	assert_non_null(diag);
	snprintf(want, sizeof want, "%s:9:5: warning: schedule 'p' has no "
	    "people: nobody is on call outside its 2 overrides\n", tmp_path);
	if (strstr(diag, want) == NULL)
		fail_msg("want %s, got %s", want, diag);
	snprintf(want, sizeof want, "%s:16:11: warning: override of schedule "
	    "'p' overlaps the one at line 15, which wins where they "
	    "overlap\n", tmp_path);
	if (strstr(diag, want) == NULL)
		fail_msg("want %s, got %s", want, diag);
	free(diag);
	config_free(cf);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_daily),
		cmocka_unit_test(test_weekly),
		cmocka_unit_test(test_fixed_length),
		cmocka_unit_test(test_dst_spring),
		cmocka_unit_test(test_dst_autumn),
		cmocka_unit_test(test_dst_skipped_handoff),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_next_one_person),
		cmocka_unit_test(test_config_sample),
		cmocka_unit_test(test_config_full),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_gap_warning),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
