/*
 * board_view.h - the wallboard's state as plain data, and its two faces:
 * the JSON of GET /api/state and the HTML table of GET / (pure).
 *
 * board.c fills a struct board_view from Redis once a second at most;
 * everything here only formats it.  Text that came from requests
 * (subjects, ticket IDs, team names in alerts) is escaped for where it
 * goes: JSON strings by jansson, HTML by board_view_escape().
 */
#ifndef TRIAGED_BOARD_VIEW_H
#define TRIAGED_BOARD_VIEW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct zone;

/* The most pressing ticket of a queue (its ZRANGE 0 0 head). */
struct board_next {
	char	*ticket;
	int64_t	 due;		/* the queue score: first-response deadline, ms */
	char	*tier;
	char	*urgency;
	char	*subject;
	int	 warned;	/* a step of its first-response clock fired */
};

/* Tickets of one tier and urgency among the queue's first split_of. */
struct board_split {
	char	*tier;
	char	*urgency;
	int64_t	 count;
};

struct board_team {
	char			*name;
	int64_t			 depth;
	int			 has_next;
	struct board_next	 next;
	int64_t			 breached_today;
	struct board_split	*split;
	size_t			 nsplit;
	int64_t			 split_of;
};

/* One entry of P+alerts, its fields as written. */
struct board_alert {
	char	*id;		/* the stream entry ID */
	char	**names;
	char	**values;
	size_t	 nfields;
};

struct board_view {
	int64_t			 now;		/* when it was computed, ms */
	int64_t			 day_start;	/* "today" began, ms */
	char			*day_zone;	/* the zone of "today" */
	int32_t			 utc_offset;	/* of that zone at now, s */
	char			*rules_version;
	char			*redis;		/* "ok", or why not */
	uint64_t		 routed_total;	/* by this process */
	uint64_t		 dead_total;
	int64_t			 routed_per_min; /* -1: not known yet */
	int64_t			 dead_per_min;
	uint64_t		 reloads_ok;
	uint64_t		 reloads_failed;
	struct board_team	*teams;
	size_t			 nteams;
	struct board_alert	*alerts;	/* newest first */
	size_t			 nalerts;
};

/* Free what the view's members point to; the view itself is the caller's. */
void		 board_view_clear(struct board_view *);

/* GET /api/state: a NUL-terminated JSON document (caller frees), or NULL. */
char		*board_view_json(const struct board_view *);
/* The <main> of GET /: tables a browser shows without JavaScript. */
char		*board_view_html(const struct board_view *);

/* s as HTML text or attribute value: & < > " ' escaped. */
void		 board_view_escape(FILE *, const char *s);
/* A field of an alert, or NULL. */
const char	*board_view_alert_field(const struct board_alert *,
		    const char *name);
/* "12:05", "1:02:03", "-0:42" (overdue): ms left, as a clock shows it. */
void		 board_view_countdown(char *buf, size_t len, int64_t ms);
/* "ok", "amber" (a warning fired) or "red" (past due) at now. */
const char	*board_view_level(const struct board_next *, int64_t now);
/* The local midnight in z that began the day holding now, in ms. */
int64_t		 board_view_day_start(const struct zone *z, int64_t now);

#endif
