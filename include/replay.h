/*
 * replay.h - the comparison behind `triagectl replay`: the same requests
 * classified by the rules in force and by a candidate file, and what would
 * change (pure: the caller reads the requests, from Redis or a file).
 *
 * Each request is validated as the daemon would (request_validate with the
 * current intake settings), then classified by both rule sets with
 * rules_classify_trace(), the daemon's own classifier.  Only counts, team
 * loads, target sums and a few examples per change are kept, so any number
 * of requests fits in constant memory.
 */
#ifndef TRIAGED_REPLAY_H
#define TRIAGED_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "field.h"

struct config;
struct replay;

/*
 * cur and cand stay owned by the caller and must outlive the replay.
 * examples: at most this many example tickets are kept per change.
 * now_ms bounds a plausible received_at, as in the daemon.
 */
struct replay	*replay_new(const struct config *cur,
		    const struct config *cand, size_t examples, int64_t now_ms);
void		 replay_free(struct replay *);		/* accepts NULL */

/*
 * One request: entry_id is its stream entry ID (or another name for where
 * it came from, such as "line-12"); cust its CRM fields.
 */
void		 replay_add(struct replay *, const char *entry_id,
		    const struct field *req, size_t nreq,
		    const struct field *cust, size_t ncust);
/* A record that is not a list of field/value pairs at all. */
void		 replay_add_malformed(struct replay *);

/* Requests that any of tier, urgency, team, policy or a target changed. */
unsigned long	 replay_changed(const struct replay *);
/* A team in force the candidate drops; queued -1 when not known. */
void		 replay_team_dropped(struct replay *, const char *team,
		    long long queued);
/* Records read, and those valid and classified by both rule sets. */
unsigned long	 replay_read(const struct replay *);
unsigned long	 replay_classified(const struct replay *);

/*
 * The report.  source says where the requests came from; warnings is the
 * candidate's load-time warnings (rules shadowed by earlier ones), or NULL.
 */
void		 replay_print_text(const struct replay *, const char *source,
		    const char *warnings, FILE *);
void		 replay_print_json(const struct replay *, const char *source,
		    const char *warnings, FILE *);

#endif
