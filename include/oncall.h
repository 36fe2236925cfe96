/*
 * oncall.h - on-call people, schedules, notify targets and receivers: what
 * the rules file's `notify:`, `oncall:` and `receivers:` say, and who is on
 * call at an instant (pure: no clock read, `at` is passed in).
 *
 * A schedule hands over at fixed wall-clock times in its own time zone: a
 * turn of a daily rotation starting at 09:00 local starts at 09:00 local
 * every day, whatever daylight saving does in between.  Turns are counted
 * in wall-clock time from the first handoff (`start` at `handoff`) and each
 * boundary is turned into an instant with the zone's transitions (zone.h),
 * so a turn that spans a change is an hour shorter or longer.  Overrides
 * win for their span, the first listed where two overlap.
 *
 * The config loader (config_oncall.c) builds a struct oncall and the
 * config owns it; everything here is read-only once it is built.
 */
#ifndef TRIAGED_ONCALL_H
#define TRIAGED_ONCALL_H

#include <stddef.h>
#include <stdint.h>

#include "zone.h"

struct config;

/* A receiver from `receivers:` (§1.6, §2.5). */
enum receiver_kind	{ RECEIVER_ALERTMANAGER, RECEIVER_WEBHOOK };
enum webhook_format	{ WEBHOOK_JSON, WEBHOOK_SLACK };
struct receiver {
	char			*name;
	enum receiver_kind	 kind;
	char			*url;		/* Alertmanager: base URL, e.g. http://127.0.0.1:9093 */
	enum webhook_format	 format;	/* webhook only; default json */
	char			*ca_file;	/* `ca_file:` PEM bundle for https, NULL = system CAs */
	int64_t			 give_up_after_ms;	/* `give_up_after:`, default 24h */
	int64_t			 timeout_ms;	/* `timeout:`, default 10s, per HTTP attempt */
};
/* A mapping item of `notify:` (a bare name has schedule NULL, npeople 0, ndeliver 0). */
struct notify_target {
	char			*name;
	char			*schedule;	/* `oncall: SCHEDULE`, or NULL */
	char			**people;	/* `people: [...]`, keys of oncall.people */
	size_t			 npeople;
	const struct receiver	**deliver;	/* `deliver: [...]` */
	size_t			 ndeliver;
};
/* Lookups on a loaded config (config.h). NULL when not defined. */
const struct notify_target *config_notify_target(const struct config *, const char *name);
const struct receiver      *config_receiver(const struct config *, const char *name);
size_t                      config_nreceivers(const struct config *);
const struct receiver      *config_receiver_at(const struct config *, size_t i);

#define RECEIVER_GIVE_UP_MS	(24 * 3600 * 1000LL)
#define RECEIVER_TIMEOUT_MS	(10 * 1000LL)

/* A person of `oncall.people`. */
struct oncall_person {
	char		*key;		/* "li_na" */
	char		*name;		/* "Li Na"; the key if not written */
	char		*phone;		/* NULL unless written */
	char		*email;		/* NULL unless written */
};

/* Someone covering [from_ms, to_ms) instead of the rotation. */
struct oncall_override {
	int		 person;	/* index into people */
	int64_t		 from_ms, to_ms;
	int		 line, col;
};

enum oncall_rotation { ONCALL_DAILY, ONCALL_WEEKLY, ONCALL_LENGTH };

struct oncall_schedule {
	char			*name;
	char			*timezone;
	struct zone		 zone;
	enum oncall_rotation	 rotation;
	int64_t			 turn_s;	/* wall-clock seconds of one turn */
	/* The first handoff, in wall-clock seconds (local time read as UTC). */
	int64_t			 start_wall;
	int			*people;	/* indices into people, in turn */
	size_t			 npeople;
	struct oncall_override	*overrides;
	size_t			 noverrides;
	int			 line, col;
};

struct oncall {
	struct oncall_person	*people;
	size_t			 npeople;
	struct oncall_schedule	*schedules;
	size_t			 nschedules;
	struct receiver		*receivers;
	size_t			 nreceivers;
	struct notify_target	*targets;	/* as rules' notify names */
	size_t			 ntargets;
};

/* A change of who is on call: from at_ms on, person (-1: nobody). */
struct oncall_handoff {
	int64_t		 at_ms;
	int		 person;
};

struct oncall	*oncall_new(void);
void		 oncall_free(struct oncall *);	/* accepts NULL */
/* Free what a target holds and zero it. */
void		 oncall_target_clear(struct notify_target *);

/* Lookups by name; NULL or -1 when not defined. */
const struct oncall_schedule *oncall_schedule(const struct oncall *,
		    const char *name);
int		 oncall_person_index(const struct oncall *, const char *key);

/* The first handoff, as an instant in ms. */
int64_t		 oncall_start_ms(const struct oncall_schedule *);

/*
 * Who is on call in the schedule at at_ms: an index into the people, or
 * -1 when nobody is (before the first handoff, or no people outside the
 * overrides).
 */
int		 oncall_who(const struct oncall_schedule *, int64_t at_ms);

/*
 * The next changes of who is on call after at_ms, at most max of them,
 * into out; returns how many.  A turn handed to the same person again (a
 * rotation of one) is no change.
 */
size_t		 oncall_next(const struct oncall_schedule *, int64_t at_ms,
		    struct oncall_handoff *out, size_t max);

/*
 * Who the notify target pages at at_ms: whoever is on call in its
 * schedule, or the first of its people.  NULL for a bare name or when
 * nobody is on call.
 */
const struct oncall_person *oncall_resolve(const struct oncall *,
		    const struct notify_target *, int64_t at_ms);

/*
 * Gaps, for --check's warnings: whether someone is on call at every
 * instant from the first handoff on.  Returns 0, or -1 with the reason in
 * why: a schedule with no people is covered by its overrides only.
 */
int		 oncall_gaps(const struct oncall_schedule *, char *why,
		    size_t len);

/* "YYYY-MM-DD HH:MM" -> wall-clock seconds (local time read as UTC). */
int		 oncall_wall_parse(const char *, int64_t *wall);
/*
 * "YYYY-MM-DD HH:MM" in the schedule's zone -> ms (a time in a skipped
 * hour: the instant the hour ends); -1 if malformed.
 */
int		 oncall_local_ms(const struct oncall_schedule *, const char *,
		    int64_t *ms);
/* at_ms in the schedule's zone, "2026-12-24 18:00 +08:00", into buf. */
const char	*oncall_local_time(const struct oncall_schedule *, int64_t at_ms,
		    char *buf, size_t len);

#endif
