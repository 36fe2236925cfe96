/*
 * payload.c - alerts as Alertmanager and webhooks are sent them (pure).
 *
 * The alert's fields are kept by name, as the fire script wrote them; the
 * three encodings are built with jansson, so that text from a request (a
 * subject in any language, quotes, control characters) is always escaped.
 */
#define _GNU_SOURCE		/* asprintf */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "field.h"
#include "oncall.h"
#include "payload.h"

static const char *const alert_names[ALERT_NFIELDS] = {
	[ALERT_TICKET] = "ticket", [ALERT_TEAM] = "team",
	[ALERT_TIER] = "tier", [ALERT_URGENCY] = "urgency",
	[ALERT_POLICY] = "policy", [ALERT_METRIC] = "metric",
	[ALERT_STEP] = "step", [ALERT_KIND] = "kind",
	[ALERT_NOTIFY] = "notify", [ALERT_DUE] = "due",
	[ALERT_FIRED_AT] = "fired_at", [ALERT_RAISED] = "raised",
	[ALERT_REASSIGNED] = "reassigned", [ALERT_ONCALL] = "oncall",
	[ALERT_ONCALL_NAME] = "oncall_name", [ALERT_SUBJECT] = "subject",
};

const char *
alert_field_name(enum alert_field i)
{
	return alert_names[i];
}

/* Fields that are integers in JSON (ms and the step index). */
static int
numeric(enum alert_field i)
{
	return i == ALERT_STEP || i == ALERT_DUE || i == ALERT_FIRED_AT;
}

/* A decimal integer, or -1. */
static int64_t
number(const char *s)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0')
		return -1;
	v = strtoll(s, &end, 10);
	return *end == '\0' && v >= 0 ? v : -1;
}

static int
set(struct alert *a, const char *name, size_t nlen, const char *v,
    size_t vlen)
{
	for (int i = 0; i < ALERT_NFIELDS; i++) {
		if (strlen(alert_names[i]) != nlen ||
		    memcmp(alert_names[i], name, nlen) != 0)
			continue;
		free(a->f[i]);
		if ((a->f[i] = strndup(v, vlen)) == NULL)
			return -1;
		return 0;
	}
	return 0;
}

/* What every alert needs to be delivered and keyed. */
static int
check(struct alert *a, const char **why)
{
	const char	*m = a->f[ALERT_METRIC];

	if (a->f[ALERT_TICKET] == NULL || *a->f[ALERT_TICKET] == '\0') {
		*why = "the alert has no ticket";
		return -1;
	}
	if (m == NULL || (strcmp(m, "first_response") != 0 &&
	    strcmp(m, "resolution") != 0)) {
		*why = "the alert's metric is not first_response or resolution";
		return -1;
	}
	if (number(a->f[ALERT_STEP]) == -1) {
		*why = "the alert's step is not a number";
		return -1;
	}
	if (number(a->f[ALERT_FIRED_AT]) == -1) {
		*why = "the alert's fired_at is not a time in ms";
		return -1;
	}
	return 0;
}

int
alert_from_fields(struct alert *a, const struct field *f, size_t n,
    const char **why)
{
	memset(a, 0, sizeof *a);
	for (size_t i = 0; i < n; i++)
		if (set(a, f[i].name, f[i].name_len, f[i].value,
		    f[i].value_len) == -1) {
			*why = "out of memory";
			return -1;
		}
	return check(a, why);
}

int
alert_from_json(struct alert *a, const char *text, const char **why)
{
	json_t		*o, *v;
	const char	*k;
	char		 num[32];

	memset(a, 0, sizeof *a);
	if ((o = json_loads(text, 0, NULL)) == NULL || !json_is_object(o)) {
		json_decref(o);
		*why = "the stored alert is not a JSON object";
		return -1;
	}
	json_object_foreach(o, k, v) {
		const char	*s = num;
		size_t		 len;

		if (json_is_string(v)) {
			s = json_string_value(v);
			len = json_string_length(v);
		} else if (json_is_integer(v))
			len = (size_t)snprintf(num, sizeof num, "%lld",
			    (long long)json_integer_value(v));
		else
			continue;
		if (set(a, k, strlen(k), s, len) == -1) {
			json_decref(o);
			*why = "out of memory";
			return -1;
		}
	}
	json_decref(o);
	return check(a, why);
}

/* The fields into o: numbers as integers, the rest as strings. */
static int
put_fields(json_t *o, const struct alert *a)
{
	for (int i = 0; i < ALERT_NFIELDS; i++) {
		json_t	*v;

		if (a->f[i] == NULL)
			continue;
		if (numeric(i) && number(a->f[i]) != -1)
			v = json_integer(number(a->f[i]));
		else
			v = json_string(a->f[i]);
		/* Not UTF-8: the stream accepted it, JSON cannot carry it. */
		if (v == NULL || json_object_set_new(o, alert_names[i], v) == -1)
			return -1;
	}
	return 0;
}

char *
alert_to_json(const struct alert *a)
{
	json_t	*o = json_object();
	char	*s = NULL;

	if (o != NULL && put_fields(o, a) == 0)
		s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

void
alert_clear(struct alert *a)
{
	for (int i = 0; i < ALERT_NFIELDS; i++) {
		free(a->f[i]);
		a->f[i] = NULL;
	}
}

const char *
alert_get(const struct alert *a, enum alert_field i)
{
	return a->f[i] != NULL ? a->f[i] : "";
}

int64_t
alert_fired_at(const struct alert *a)
{
	return number(a->f[ALERT_FIRED_AT]);
}

int
alert_key(const struct alert *a, char *buf, size_t len)
{
	int	n;

	n = snprintf(buf, len, "%s:%s:%s", alert_get(a, ALERT_TICKET),
	    alert_get(a, ALERT_METRIC), alert_get(a, ALERT_STEP));
	return n < 0 || (size_t)n >= len ? -1 : n;
}

const char *
alert_who(const struct alert *a)
{
	if (*alert_get(a, ALERT_ONCALL) != '\0')
		return a->f[ALERT_ONCALL];
	return alert_get(a, ALERT_NOTIFY);
}

int
alert_clock_stopped(const char *metric, const char *status,
    int has_first_response)
{
	if (status == NULL || strcmp(status, "resolved") == 0)
		return 1;
	return strcmp(metric, "first_response") == 0 && has_first_response;
}

int
payload_rfc3339(int64_t ms, char *buf, size_t len)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;
	char		day[32];

	if (ms < 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return -1;
	return snprintf(buf, len, "%s.%03dZ", day, (int)(ms % 1000)) <
	    (int)len ? 0 : -1;
}

/* "2026-01-05 09:00 UTC": a time on a phone screen. */
static void
readable_time(int64_t ms, char *buf, size_t len)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;

	if (ms < 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, len, "unknown");
}

static int
set_str(json_t *o, const char *k, const char *v)
{
	json_t	*s;

	if ((s = json_string(v)) == NULL)
		return -1;
	return json_object_set_new(o, k, s);
}

/* Alertmanager API v2: [{labels, annotations, startsAt, endsAt}]. */
static char *
body_alertmanager(const struct alert *a, int64_t ends_ms)
{
	static const enum alert_field	 label_fields[] = {
		ALERT_TICKET, ALERT_TEAM, ALERT_TIER, ALERT_URGENCY,
		ALERT_POLICY, ALERT_METRIC, ALERT_STEP, ALERT_KIND,
		ALERT_NOTIFY, ALERT_ONCALL,
	};
	json_t		*arr = json_array(), *al = json_object();
	json_t		*labels = json_object(), *ann = json_object();
	char		 t[40], due[40], *summary = NULL, *s = NULL;
	int		 bad = 0;

	if (arr == NULL || al == NULL || labels == NULL || ann == NULL)
		goto out;
	bad |= set_str(labels, "alertname", "TicketEscalation");
	for (size_t i = 0; i < sizeof label_fields / sizeof *label_fields;
	    i++) {
		enum alert_field	f = label_fields[i];

		/* Alertmanager drops empty labels; so do we. */
		if (*alert_get(a, f) != '\0')
			bad |= set_str(labels, alert_names[f], a->f[f]);
	}
	if (*alert_get(a, ALERT_SUBJECT) != '\0')
		bad |= set_str(ann, "subject", a->f[ALERT_SUBJECT]);
	if (*alert_get(a, ALERT_ONCALL_NAME) != '\0')
		bad |= set_str(ann, "oncall_name", a->f[ALERT_ONCALL_NAME]);
	if (payload_rfc3339(number(a->f[ALERT_DUE]), due, sizeof due) == 0)
		bad |= set_str(ann, "due", due);
	if (asprintf(&summary, "ticket %s %s %s", alert_get(a, ALERT_TICKET),
	    alert_get(a, ALERT_METRIC), alert_get(a, ALERT_KIND)) == -1) {
		summary = NULL;
		goto out;
	}
	bad |= set_str(ann, "summary", summary);
	bad |= json_object_set(al, "labels", labels);
	bad |= json_object_set(al, "annotations", ann);
	if (payload_rfc3339(alert_fired_at(a), t, sizeof t) == -1)
		goto out;
	bad |= set_str(al, "startsAt", t);
	if (ends_ms >= 0) {
		if (payload_rfc3339(ends_ms, t, sizeof t) == -1)
			goto out;
		bad |= set_str(al, "endsAt", t);
	}
	bad |= json_array_append(arr, al);
	if (!bad)
		s = json_dumps(arr, JSON_COMPACT);
out:
	free(summary);
	json_decref(labels);
	json_decref(ann);
	json_decref(al);
	json_decref(arr);
	return s;
}

static char *
body_json(const struct alert *a, enum payload_status st, int64_t ends_ms)
{
	json_t	*o = json_object();
	char	 key[ALERT_KEY_MAX], *s = NULL;
	int	 bad = 0;

	if (o == NULL || put_fields(o, a) == -1 ||
	    alert_key(a, key, sizeof key) == -1)
		goto out;
	bad |= set_str(o, "key", key);
	bad |= set_str(o, "status", st == PAYLOAD_FIRING ? "firing" :
	    "resolved");
	if (st == PAYLOAD_RESOLVED)
		bad |= json_object_set_new(o, "resolved_at",
		    json_integer(ends_ms));
	if (!bad)
		s = json_dumps(o, JSON_COMPACT);
out:
	json_decref(o);
	return s;
}

/*
 * "Ticket VIP-1 (vip, critical) first_response breach - paged Li Na. Due
 * 2026-01-05 10:00 UTC. Team vip_desk. Printer on fire"
 */
static char *
body_slack(const struct alert *a, enum payload_status st)
{
	const char	*who = alert_get(a, ALERT_ONCALL_NAME);
	const char	*verb = "paged";
	char		 due[40], *text = NULL, *s = NULL;
	json_t		*o;
	int		 n;

	if (*who == '\0')
		who = alert_get(a, ALERT_ONCALL);
	if (*who == '\0') {
		who = alert_get(a, ALERT_NOTIFY);
		verb = "notified";
	}
	readable_time(number(a->f[ALERT_DUE]), due, sizeof due);
	if (st == PAYLOAD_RESOLVED)
		n = asprintf(&text, "Resolved: ticket %s %s %s (%s %s): the "
		    "clock stopped.", alert_get(a, ALERT_TICKET),
		    alert_get(a, ALERT_METRIC), alert_get(a, ALERT_KIND), verb,
		    who);
	else
		n = asprintf(&text, "Ticket %s (%s, %s) %s %s \xe2\x80\x94 %s "
		    "%s. Due %s. Team %s.%s%s", alert_get(a, ALERT_TICKET),
		    alert_get(a, ALERT_TIER), alert_get(a, ALERT_URGENCY),
		    alert_get(a, ALERT_METRIC), alert_get(a, ALERT_KIND), verb,
		    *who ? who : "nobody", due, alert_get(a, ALERT_TEAM),
		    *alert_get(a, ALERT_SUBJECT) ? " " : "",
		    alert_get(a, ALERT_SUBJECT));
	if (n == -1)
		return NULL;
	if ((o = json_object()) != NULL && set_str(o, "text", text) == 0)
		s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	free(text);
	return s;
}

int
payload_build(const struct receiver *r, const struct alert *a,
    enum payload_status st, int64_t ends_ms, struct payload *p)
{
	char		 key[ALERT_KEY_MAX];
	const char	*url = r->url;
	size_t		 ulen = strlen(url);
	int		 n;

	memset(p, 0, sizeof *p);
	if (alert_key(a, key, sizeof key) == -1)
		return -1;
	if (r->kind == RECEIVER_ALERTMANAGER) {
		while (ulen > 0 && url[ulen - 1] == '/')
			ulen--;
		n = asprintf(&p->url, "%.*s/api/v2/alerts", (int)ulen, url);
		p->body = body_alertmanager(a, ends_ms);
	} else {
		n = asprintf(&p->url, "%s", url);
		p->body = r->format == WEBHOOK_SLACK ? body_slack(a, st) :
		    body_json(a, st, ends_ms);
	}
	if (n == -1)
		p->url = NULL;
	if (asprintf(&p->key_header, "Idempotency-Key: %s%s", key,
	    st == PAYLOAD_RESOLVED ? ":resolved" : "") == -1)
		p->key_header = NULL;
	if (p->url == NULL || p->body == NULL || p->key_header == NULL) {
		payload_clear(p);
		return -1;
	}
	return 0;
}

void
payload_clear(struct payload *p)
{
	free(p->url);
	free(p->body);
	free(p->key_header);
	memset(p, 0, sizeof *p);
}

enum payload_answer
payload_answer(long status)
{
	if (status >= 200 && status < 300)
		return PAYLOAD_ACCEPTED;
	if (status >= 400 && status < 500 && status != 408 && status != 429)
		return PAYLOAD_REFUSED;
	return PAYLOAD_RETRY;
}

#define PAYLOAD_BACKOFF_MS	1000
#define PAYLOAD_BACKOFF_MAX_MS	60000

int64_t
payload_retry_at(int attempts, int64_t now, int64_t fired_at,
    int64_t give_up_after_ms)
{
	int64_t	give_up = fired_at + give_up_after_ms;
	int64_t	wait = PAYLOAD_BACKOFF_MS;

	if (now >= give_up)
		return -1;
	for (int i = 1; i < attempts && wait < PAYLOAD_BACKOFF_MAX_MS; i++)
		wait *= 2;
	if (wait > PAYLOAD_BACKOFF_MAX_MS)
		wait = PAYLOAD_BACKOFF_MAX_MS;
	return now + wait < give_up ? now + wait : give_up;
}

int
payload_expired(int64_t now, int64_t fired_at, int64_t give_up_after_ms)
{
	return now - fired_at > give_up_after_ms;
}
