/*
 * board_view.c - the wallboard's state as JSON and as an HTML table (pure;
 * see board_view.h).
 *
 * Both faces show the same thing: the JSON is what the page's script
 * polls, the HTML is what a browser without JavaScript shows and what the
 * page shows before its first poll.  Every string from Redis is escaped
 * on the way out; nothing here reads the clock.
 */
#define _GNU_SOURCE		/* open_memstream */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "board_view.h"
#include "zone.h"

void
board_view_clear(struct board_view *v)
{
	for (size_t i = 0; i < v->nteams; i++) {
		struct board_team	*t = &v->teams[i];

		free(t->name);
		free(t->next.ticket);
		free(t->next.tier);
		free(t->next.urgency);
		free(t->next.subject);
		for (size_t k = 0; k < t->nsplit; k++) {
			free(t->split[k].tier);
			free(t->split[k].urgency);
		}
		free(t->split);
	}
	free(v->teams);
	for (size_t i = 0; i < v->nalerts; i++) {
		struct board_alert	*a = &v->alerts[i];

		for (size_t k = 0; k < a->nfields; k++) {
			free(a->names[k]);
			free(a->values[k]);
		}
		free(a->names);
		free(a->values);
		free(a->id);
	}
	free(v->alerts);
	free(v->day_zone);
	free(v->rules_version);
	free(v->redis);
	memset(v, 0, sizeof *v);
}

const char *
board_view_alert_field(const struct board_alert *a, const char *name)
{
	for (size_t k = 0; k < a->nfields; k++)
		if (strcmp(a->names[k], name) == 0)
			return a->values[k];
	return NULL;
}

/* Who was paged: the person on call when known, else the target. */
static const char *
alert_paged(const struct board_alert *a)
{
	const char	*s;

	if ((s = board_view_alert_field(a, "oncall_name")) != NULL && *s)
		return s;
	if ((s = board_view_alert_field(a, "oncall")) != NULL && *s)
		return s;
	return "";
}

void
board_view_countdown(char *buf, size_t len, int64_t ms)
{
	const char	*sign = "";
	int64_t		 s;

	if (ms < 0) {
		sign = "-";
		ms = -ms;
	}
	s = ms / 1000;
	if (s >= 3600)
		snprintf(buf, len, "%s%lld:%02lld:%02lld", sign,
		    (long long)(s / 3600), (long long)(s / 60 % 60),
		    (long long)(s % 60));
	else
		snprintf(buf, len, "%s%lld:%02lld", sign, (long long)(s / 60),
		    (long long)(s % 60));
}

const char *
board_view_level(const struct board_next *n, int64_t now)
{
	if (n->due <= now)
		return "red";
	return n->warned ? "amber" : "ok";
}

int64_t
board_view_day_start(const struct zone *z, int64_t now)
{
	int64_t	s = now >= 0 ? now / 1000 : -((-now + 999) / 1000);
	int64_t	local = s + zone_offset(z, s);
	int64_t	midnight = local - ((local % 86400) + 86400) % 86400;

	return zone_utc(z, midnight) * 1000;
}

/* Strings may be any bytes from Redis: jansson wants UTF-8. */
static json_t *
jstr(const char *s)
{
	json_t	*j = json_string(s != NULL ? s : "");

	return j != NULL ? j : json_string("\xef\xbf\xbd");	/* U+FFFD */
}

static json_t *
team_json(const struct board_team *t)
{
	json_t	*o = json_object(), *split = json_array(), *next;

	json_object_set_new(o, "name", jstr(t->name));
	json_object_set_new(o, "depth", json_integer(t->depth));
	if (t->has_next) {
		next = json_object();
		json_object_set_new(next, "ticket", jstr(t->next.ticket));
		json_object_set_new(next, "due", json_integer(t->next.due));
		json_object_set_new(next, "tier", jstr(t->next.tier));
		json_object_set_new(next, "urgency", jstr(t->next.urgency));
		json_object_set_new(next, "subject", jstr(t->next.subject));
		json_object_set_new(next, "warned",
		    json_boolean(t->next.warned));
	} else
		next = json_null();
	json_object_set_new(o, "next", next);
	json_object_set_new(o, "breached_today",
	    json_integer(t->breached_today));
	for (size_t k = 0; k < t->nsplit; k++) {
		json_t	*s = json_object();

		json_object_set_new(s, "tier", jstr(t->split[k].tier));
		json_object_set_new(s, "urgency", jstr(t->split[k].urgency));
		json_object_set_new(s, "count", json_integer(t->split[k].count));
		json_array_append_new(split, s);
	}
	json_object_set_new(o, "split", split);
	json_object_set_new(o, "split_of", json_integer(t->split_of));
	return o;
}

static json_t *
alert_json(const struct board_alert *a)
{
	json_t	*o = json_object();

	for (size_t k = 0; k < a->nfields; k++)
		json_object_set_new(o, a->names[k], jstr(a->values[k]));
	/* Ours, after the stream's: no field of an alert is called so. */
	json_object_set_new(o, "id", jstr(a->id));
	json_object_set_new(o, "paged", jstr(alert_paged(a)));
	return o;
}

char *
board_view_json(const struct board_view *v)
{
	json_t	*o, *teams, *alerts, *totals;
	char	*s;

	if ((o = json_object()) == NULL)
		return NULL;
	teams = json_array();
	alerts = json_array();
	totals = json_object();
	json_object_set_new(o, "rules_version", jstr(v->rules_version));
	json_object_set_new(o, "now", json_integer(v->now));
	for (size_t i = 0; i < v->nteams; i++)
		json_array_append_new(teams, team_json(&v->teams[i]));
	json_object_set_new(o, "teams", teams);
	for (size_t i = 0; i < v->nalerts; i++)
		json_array_append_new(alerts, alert_json(&v->alerts[i]));
	json_object_set_new(o, "alerts", alerts);
	json_object_set_new(o, "day_start", json_integer(v->day_start));
	json_object_set_new(o, "day_zone", jstr(v->day_zone));
	json_object_set_new(o, "utc_offset", json_integer(v->utc_offset));
	json_object_set_new(totals, "routed", json_integer(
	    (json_int_t)v->routed_total));
	json_object_set_new(totals, "dead_lettered", json_integer(
	    (json_int_t)v->dead_total));
	json_object_set_new(totals, "routed_per_min", v->routed_per_min < 0 ?
	    json_null() : json_integer(v->routed_per_min));
	json_object_set_new(totals, "dead_lettered_per_min",
	    v->dead_per_min < 0 ? json_null() : json_integer(v->dead_per_min));
	json_object_set_new(totals, "reloads", json_integer(
	    (json_int_t)v->reloads_ok));
	json_object_set_new(totals, "reloads_failed", json_integer(
	    (json_int_t)v->reloads_failed));
	json_object_set_new(totals, "redis", jstr(v->redis));
	json_object_set_new(o, "totals", totals);
	s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	return s;
}

void
board_view_escape(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
}

/* <td class="CLASS">text</td> */
static void
cell(FILE *f, const char *class, const char *text)
{
	fprintf(f, "<td class=\"%s\">", class);
	board_view_escape(f, text);
	fputs("</td>", f);
}

static void
cell_int(FILE *f, const char *class, int64_t n)
{
	fprintf(f, "<td class=\"%s\">%lld</td>", class, (long long)n);
}

static void
team_row(FILE *f, const struct board_team *t, int64_t now)
{
	char	clock[32];

	fputs("<tr data-team=\"", f);
	board_view_escape(f, t->name);
	fputs("\">", f);
	cell(f, "team", t->name);
	cell_int(f, "depth", t->depth);
	if (t->has_next) {
		board_view_countdown(clock, sizeof clock, t->next.due - now);
		fprintf(f, "<td class=\"due %s\" data-due=\"%lld\">%s</td>",
		    board_view_level(&t->next, now), (long long)t->next.due,
		    clock);
		cell(f, "ticket", t->next.ticket);
		cell(f, "subject", t->next.subject);
	} else
		fputs("<td class=\"due none\">&#8212;</td>"
		    "<td class=\"ticket\"></td><td class=\"subject\"></td>", f);
	cell_int(f, "breached", t->breached_today);
	fputs("<td class=\"split\">", f);
	for (size_t k = 0; k < t->nsplit; k++) {
		fputs("<span class=\"chip\">", f);
		board_view_escape(f, t->split[k].tier);
		fputs("/", f);
		board_view_escape(f, t->split[k].urgency);
		fprintf(f, " %lld</span> ", (long long)t->split[k].count);
	}
	fputs("</td></tr>\n", f);
}

static const char *
field_or(const struct board_alert *a, const char *name)
{
	const char	*s = board_view_alert_field(a, name);

	return s != NULL ? s : "";
}

static void
alert_row(FILE *f, const struct board_alert *a, int32_t utc_offset)
{
	const char	*s, *target = board_view_alert_field(a, "notify");
	char		 step[64];
	long long	 at, day;

	fputs("<tr>", f);
	s = board_view_alert_field(a, "fired_at");
	at = s != NULL ? strtoll(s, NULL, 10) : 0;
	/* The time of day in the zone of "today", as the floor reads it. */
	day = ((at / 1000 + utc_offset) % 86400 + 86400) % 86400;
	fprintf(f, "<td class=\"when\" data-at=\"%lld\">%02lld:%02lld:%02lld"
	    "</td>", at, day / 3600, day / 60 % 60, day % 60);
	cell(f, "ticket", board_view_alert_field(a, "ticket"));
	cell(f, "team", board_view_alert_field(a, "team"));
	snprintf(step, sizeof step, "%s %s #%s", field_or(a, "metric"),
	    field_or(a, "kind"), field_or(a, "step"));
	fprintf(f, "<td class=\"step %s\">",
	    strcmp(field_or(a, "kind"), "breach") == 0 ? "red" : "amber");
	board_view_escape(f, step);
	fputs("</td>", f);
	cell(f, "target", target);
	cell(f, "paged", alert_paged(a));
	fputs("</tr>\n", f);
}

static void
rate(FILE *f, int64_t per_min)
{
	if (per_min < 0)
		fputs("&#8212;", f);
	else
		fprintf(f, "%lld", (long long)per_min);
}

char *
board_view_html(const struct board_view *v)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return NULL;
	fputs("<table id=\"teams\"><thead><tr>"
	    "<th>Team<br>团队</th><th>Queue<br>队列</th>"
	    "<th>Next due<br>首次响应倒计时</th><th>Ticket<br>工单</th>"
	    "<th>Subject<br>主题</th><th>Breached today<br>今日超时</th>"
	    "<th>Tier / urgency<br>等级 / 紧急度</th></tr></thead>\n<tbody>\n",
	    f);
	for (size_t i = 0; i < v->nteams; i++)
		team_row(f, &v->teams[i], v->now);
	fputs("</tbody></table>\n"
	    "<h2>Latest alerts 最新告警</h2>\n<table id=\"alerts\"><thead><tr>"
	    "<th>Fired<br>时间</th><th>Ticket<br>工单</th><th>Team<br>团队</th>"
	    "<th>Step<br>步骤</th><th>Target<br>通知</th>"
	    "<th>Paged<br>值班人</th></tr></thead>\n<tbody>\n", f);
	for (size_t i = 0; i < v->nalerts; i++)
		alert_row(f, &v->alerts[i], v->utc_offset);
	fputs("</tbody></table>\n<p id=\"totals\">", f);
	fputs("Routed/min 每分钟分派 <b id=\"routed\">", f);
	rate(f, v->routed_per_min);
	fputs("</b> · Dead-lettered/min 每分钟拒收 <b id=\"dead\">", f);
	rate(f, v->dead_per_min);
	fprintf(f, "</b> · Reloads 重载 <b id=\"reloads\">%llu</b>",
	    (unsigned long long)v->reloads_ok);
	if (v->reloads_failed > 0)
		fprintf(f, " (<b class=\"red\">%llu refused 拒绝</b>)",
		    (unsigned long long)v->reloads_failed);
	fputs(" · Rules 规则 <b id=\"version\">", f);
	board_view_escape(f, v->rules_version);
	fprintf(f, "</b> · Redis <b id=\"redis\" class=\"%s\">",
	    v->redis != NULL && strcmp(v->redis, "ok") == 0 ? "ok" : "red");
	board_view_escape(f, v->redis);
	fputs("</b></p>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
