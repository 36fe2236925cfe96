/*
 * keys.c - the names of triaged's Redis keys (keys.h gives the layout).
 *
 * Every key is the prefix, an infix naming what it holds, and for tickets
 * and queues the ID or team: join() writes the three parts, so that no
 * other file spells the layout out.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "xmalloc.h"

/* prefix + infix + name[0..name_len) into buf, NUL-terminated. */
static int
join(char *buf, size_t len, const char *prefix, const char *infix,
    const char *name, size_t name_len)
{
	size_t	plen = strlen(prefix), ilen = strlen(infix);

	if (len == 0 || plen + ilen + name_len > len - 1 ||
	    plen + ilen + name_len > INT_MAX)
		return -1;
	memcpy(buf, prefix, plen);
	memcpy(buf + plen, infix, ilen);
	memcpy(buf + plen + ilen, name, name_len);
	buf[plen + ilen + name_len] = '\0';
	return (int)(plen + ilen + name_len);
}

int
keys_stream(char *buf, size_t len, const char *prefix, const char *stream)
{
	return join(buf, len, prefix, "", stream, strlen(stream));
}

int
keys_dead(char *buf, size_t len, const char *prefix)
{
	return join(buf, len, prefix, KEYS_DEAD, "", 0);
}

int
keys_alerts(char *buf, size_t len, const char *prefix)
{
	return join(buf, len, prefix, KEYS_ALERTS, "", 0);
}

int
keys_sla(char *buf, size_t len, const char *prefix)
{
	return join(buf, len, prefix, KEYS_SLA, "", 0);
}

int
keys_ticket(char *buf, size_t len, const char *prefix, const char *id,
    size_t id_len)
{
	return join(buf, len, prefix, KEYS_TICKET, id, id_len);
}

int
keys_delivery(char *buf, size_t len, const char *prefix, const char *id)
{
	return join(buf, len, prefix, KEYS_DELIVERY, id, strlen(id));
}

int
keys_queue(char *buf, size_t len, const char *prefix, const char *team,
    size_t team_len)
{
	return join(buf, len, prefix, KEYS_QUEUE, team, team_len);
}

int
keys_contacts(char *buf, size_t len, const char *prefix, const char *customer,
    size_t customer_len)
{
	return join(buf, len, prefix, KEYS_CONTACTS, customer, customer_len);
}

int
keys_queue_pattern(char *buf, size_t len, const char *prefix)
{
	return join(buf, len, prefix, KEYS_QUEUE, "*", 1);
}

const char *
keys_queue_team(const char *prefix, const char *key, size_t key_len,
    size_t *team_len)
{
	size_t	plen = strlen(prefix), ilen = strlen(KEYS_QUEUE);

	if (key_len <= plen + ilen || memcmp(key, prefix, plen) != 0 ||
	    memcmp(key + plen, KEYS_QUEUE, ilen) != 0)
		return NULL;
	*team_len = key_len - plen - ilen;
	return key + plen + ilen;
}

/* prefix + infix + name, allocated. */
static char *
join_new(const char *prefix, const char *infix, const char *name)
{
	size_t	 len = strlen(prefix) + strlen(infix) + strlen(name) + 1;
	char	*s = xcalloc(len, 1);

	(void)join(s, len, prefix, infix, name, strlen(name));
	return s;
}

void
keys_init(struct keys *k, const char *prefix, const char *stream,
    const char *events)
{
	k->requests = join_new(prefix, "", stream);
	k->events = join_new(prefix, "", events);
	k->dead = join_new(prefix, KEYS_DEAD, "");
	k->alerts = join_new(prefix, KEYS_ALERTS, "");
	k->sla = join_new(prefix, KEYS_SLA, "");
	k->firing = join_new(prefix, KEYS_FIRING, "");
	k->firing_alerts = join_new(prefix, KEYS_FIRING_ALERTS, "");
	k->resolving = join_new(prefix, KEYS_RESOLVING, "");
}

void
keys_clear(struct keys *k)
{
	free(k->requests);
	free(k->events);
	free(k->dead);
	free(k->alerts);
	free(k->sla);
	free(k->firing);
	free(k->firing_alerts);
	free(k->resolving);
	*k = (struct keys){ 0 };
}
