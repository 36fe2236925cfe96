/*
 * firing.h - alerts firing at receivers that are told of resolution, kept
 * firing and then resolved.
 *
 * Alertmanager forgets an alert not posted again before its endsAt, so a
 * firing alert is posted again every minute with endsAt four minutes on;
 * when the clock the alert watches stops (responded, resolved), it is
 * posted with endsAt = now, and a json webhook gets "status": "resolved".
 * The set lives in Redis (P+firing, P+resolving, P+firing:alerts), written
 * by deliver.c when a receiver accepts an alert, so restarts lose nothing
 * and several daemons share it: each member is claimed by an atomic
 * re-scoring before it is posted.
 */
#ifndef TRIAGED_FIRING_H
#define TRIAGED_FIRING_H

struct config;
struct curlev;
struct event_base;
struct firing;
struct live_config;
struct rconn;

struct firing	*firing_new(struct event_base *, struct rconn *writer,
		    struct curlev *cv, const struct config *boot,
		    struct live_config *live);
void		 firing_free(struct firing *);		/* accepts NULL */
void		 firing_set_config(struct firing *, struct live_config *);
/* Claim no more; posts in flight finish. */
void		 firing_stop(struct firing *);
int		 firing_idle(const struct firing *);

#endif
