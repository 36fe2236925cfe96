/*
 * keys.h - the names of triaged's Redis keys: the one place their layout is
 * written (pure).
 *
 * Every key is the prefix P (redis.prefix) followed by a name; the layout is
 * a contract with gateways, agent desktops and whoever reads the alerts:
 *
 *   P + intake.stream   the requests stream        keys_stream()
 *   P + intake.events   the lifecycle events stream keys_stream()
 *   P + "dead"          the dead letters            keys_dead()
 *   P + "alerts"        fired escalation steps      keys_alerts()
 *   P + "sla"           the escalation schedule     keys_sla()
 *   P + "ticket:" + ID  one ticket                  keys_ticket()
 *   P + "queue:" + TEAM one team's queue            keys_queue()
 *   P + "contacts:" + C a customer's recent tickets  keys_contacts()
 *                       (sorted set: ticket ID scored by created_at)
 *   P + "delivery:" + ID  an alert's delivery progress  keys_delivery()
 *   P + "firing"        alerts firing at receivers    struct keys
 *   P + "firing:alerts" what each of them holds       struct keys
 *   P + "resolving"     resolutions to post           struct keys
 *
 * The CRM's customers.key is not ours and not prefixed:
 * request_customer_key() (request.h) expands it.  The escalation script
 * (sla.c) makes ticket and queue keys inside Lua from P and the ID or team
 * it holds; its text is put together from KEYS_TICKET and KEYS_QUEUE.
 *
 * The keys_*() that take a buffer write the key NUL-terminated and return
 * its length, or -1 if it does not fit in len bytes (NUL included): the
 * routing path makes its keys without allocating.  struct keys holds the
 * fixed keys of one prefix, made once, for modules that keep them.
 */
#ifndef TRIAGED_KEYS_H
#define TRIAGED_KEYS_H

#include <stddef.h>

#define KEYS_DEAD	"dead"
#define KEYS_ALERTS	"alerts"
#define KEYS_SLA	"sla"
#define KEYS_TICKET	"ticket:"
#define KEYS_QUEUE	"queue:"
#define KEYS_CONTACTS	"contacts:"
#define KEYS_DELIVERY	"delivery:"
#define KEYS_FIRING	"firing"
#define KEYS_FIRING_ALERTS "firing:alerts"
#define KEYS_RESOLVING	"resolving"

/* A buffer for any key the daemon makes (longer keys are refused). */
#define KEYS_MAX	512

int	 keys_stream(char *buf, size_t len, const char *prefix,
	    const char *stream);
int	 keys_dead(char *buf, size_t len, const char *prefix);
int	 keys_alerts(char *buf, size_t len, const char *prefix);
int	 keys_sla(char *buf, size_t len, const char *prefix);
int	 keys_ticket(char *buf, size_t len, const char *prefix,
	    const char *id, size_t id_len);
int	 keys_queue(char *buf, size_t len, const char *prefix,
	    const char *team, size_t team_len);
int	 keys_contacts(char *buf, size_t len, const char *prefix,
	    const char *customer, size_t customer_len);
/* One alert's delivery progress, by its P+alerts entry ID. */
int	 keys_delivery(char *buf, size_t len, const char *prefix,
	    const char *id);

/* The SCAN MATCH pattern of every queue key: P + "queue:*". */
int	 keys_queue_pattern(char *buf, size_t len, const char *prefix);
/*
 * The team a queue key names (pointing into key, team_len bytes), or NULL
 * if key is not P + "queue:" + a team.
 */
const char	*keys_queue_team(const char *prefix, const char *key,
		    size_t key_len, size_t *team_len);

/* The fixed keys of one prefix, allocated (out of memory is fatal). */
struct keys {
	char	*requests;	/* P + intake.stream */
	char	*events;	/* P + intake.events */
	char	*dead;
	char	*alerts;
	char	*sla;
	char	*firing;	/* alerts firing at receivers */
	char	*firing_alerts;	/* their stored alerts */
	char	*resolving;	/* resolutions still to post */
};

void	 keys_init(struct keys *, const char *prefix, const char *stream,
	    const char *events);
void	 keys_clear(struct keys *);	/* frees the names */

#endif
