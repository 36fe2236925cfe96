/*
 * contacts.c - what Redis cannot have counted of a batch's contacts.
 *
 * A request's customer.contacts_W is the customer's tickets created within
 * W before it.  Redis counts those written before the batch's reads
 * (ZCOUNT, route.c); this file adds the rest, from the batches themselves:
 *
 *   - the entries earlier in the same batch (its own script call writes
 *     them, after the reads);
 *   - the entries of the batches "ahead": read before this batch, their
 *     script calls sent after its reads (route.c keeps the list).
 *
 * An entry the script will skip is no contact: an ID seen earlier (in its
 * batch or one ahead), or a ticket that existed already.  Whether it
 * existed is read with an EXISTS: by its own batch when a later entry of
 * the batch has the same customer, else by the first later batch that
 * needs to know (contacts_plan_ahead()).
 *
 * Each batch's entries to be routed are chained by customer and by ticket
 * ID (batch.h), so that finding an entry's fellows costs what they number,
 * not the size of the batch.  Nothing here touches Redis or the loop.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "contacts.h"
#include "log.h"
#include "route.h"

static int
same_ticket(const struct batch *b, const struct entry *x,
    const struct entry *y)
{
	return x->ticket_id_len == y->ticket_id_len && memcmp(b->arena +
	    x->ticket_id_off, b->arena + y->ticket_id_off, x->ticket_id_len) == 0;
}

static int
same_customer(const struct batch *b, const struct entry *x,
    const struct entry *y)
{
	return x->customer_len == y->customer_len && memcmp(b->arena +
	    x->customer_off, b->arena + y->customer_off, x->customer_len) == 0;
}

/* FNV-1a: which chain of a batch's index an ID or a customer is on. */
static uint32_t
hash_bytes(const char *s, size_t len)
{
	uint32_t	h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static int
grow_index(uint32_t **p, size_t n)
{
	void	*q = reallocarray(*p, n, sizeof **p);

	if (q == NULL)
		return -1;
	*p = q;
	return 0;
}

/*
 * The entries to be routed, chained by customer and by ticket ID, so that
 * finding an entry's fellows costs what they number, not the batch: the
 * batch is looked through by its own entries, and by the batches behind
 * it (contacts_ahead(), contacts_plan_ahead()).
 */
static void
index_entries(struct batch *b)
{
	size_t	n = 16;

	while (n < 2 * b->nentries)
		n *= 2;
	if (n > b->buckets_cap) {
		if (grow_index(&b->by_cust, n) == -1 ||
		    grow_index(&b->by_id, n) == -1)
			fatal("route index");
		b->buckets_cap = n;
	}
	if (b->nentries > b->chains_cap) {
		if (grow_index(&b->next_cust, b->nentries) == -1 ||
		    grow_index(&b->next_id, b->nentries) == -1)
			fatal("route index");
		b->chains_cap = b->nentries;
	}
	b->nbuckets = n;
	memset(b->by_cust, 0, n * sizeof *b->by_cust);
	memset(b->by_id, 0, n * sizeof *b->by_id);
	/* From the last, each pushed in front: chains run in entry order. */
	for (size_t i = b->nentries; i-- > 0; ) {
		struct entry	*e = &b->entries[i];
		uint32_t	*head;

		if (e->outcome != OUTCOME_ROUTE)
			continue;
		e->cust_hash = hash_bytes(b->arena + e->customer_off,
		    e->customer_len);
		e->id_hash = hash_bytes(b->arena + e->ticket_id_off,
		    e->ticket_id_len);
		head = &b->by_cust[e->cust_hash & (n - 1)];
		b->next_cust[i] = *head;
		*head = (uint32_t)i + 1;
		head = &b->by_id[e->id_hash & (n - 1)];
		b->next_id[i] = *head;
		*head = (uint32_t)i + 1;
	}
}

/* The first entry + 1 on the chain of a hash in b's index; 0 if none. */
#define CUST_CHAIN(b, h)	((b)->by_cust[(h) & ((b)->nbuckets - 1)])
#define ID_CHAIN(b, h)		((b)->by_id[(h) & ((b)->nbuckets - 1)])

/*
 * For contacts_in_batch(): an entry whose ID an earlier entry of the batch
 * has will not be written (the script skips it), and an entry with a
 * later one of the same customer has its ticket's existence looked up
 * (EXISTS, with the counts): a resend of a ticket routed before is no new
 * contact either.
 */
void
contacts_mark_repeats(struct batch *b)
{
	for (size_t i = 0; i < b->nentries; i++) {
		b->entries[i].repeat = 0;
		b->entries[i].ask_exists = 0;
		b->entries[i].existed = 0;
		b->entries[i].looked_later = 0;
		b->entries[i].existed_before = 0;
	}
	index_entries(b);
	for (size_t i = 0; i < b->nentries; i++) {
		struct entry	*e = &b->entries[i];

		if (e->outcome != OUTCOME_ROUTE)
			continue;
		for (uint32_t k = ID_CHAIN(b, e->id_hash); k != 0 &&
		    k - 1 < i; k = b->next_id[k - 1])
			if (same_ticket(b, &b->entries[k - 1], e)) {
				e->repeat = 1;
				break;
			}
		for (uint32_t k = CUST_CHAIN(b, e->cust_hash); k != 0;
		    k = b->next_cust[k - 1])
			if (k - 1 > i &&
			    same_customer(b, &b->entries[k - 1], e)) {
				e->ask_exists = 1;
				break;
			}
	}
}

/*
 * Entries earlier in this batch from the same customer within ms before e
 * (a window includes its start, not e's own millisecond):
 * their tickets are written by the same script call as e's, after the
 * counts were read, so Redis cannot have counted them.  One the script
 * will skip is no contact: an ID seen earlier in the batch, a ticket that
 * exists already (contacts_mark_repeats()), a duplicate of e's own ID.
 */
static long long
contacts_in_batch(const struct batch *b, size_t i, int64_t ms)
{
	const struct entry	*e = &b->entries[i];
	long long		 n = 0;

	for (uint32_t k = CUST_CHAIN(b, e->cust_hash); k != 0 && k - 1 < i;
	    k = b->next_cust[k - 1]) {
		const struct entry	*o = &b->entries[k - 1];

		if (o->repeat || o->existed ||
		    o->created_at >= e->created_at ||
		    o->created_at < e->created_at - ms ||
		    !same_customer(b, o, e) || same_ticket(b, o, e))
			continue;
		n++;
	}
	return n;
}

static int
same_ticket_across(const struct batch *b, const struct entry *x,
    const struct batch *c, const struct entry *y)
{
	return x->ticket_id_len == y->ticket_id_len && memcmp(b->arena +
	    x->ticket_id_off, c->arena + y->ticket_id_off, x->ticket_id_len) == 0;
}

static int
same_customer_across(const struct batch *b, const struct entry *x,
    const struct batch *c, const struct entry *y)
{
	return x->customer_len == y->customer_len && memcmp(b->arena +
	    x->customer_off, c->arena + y->customer_off, x->customer_len) == 0;
}

/*
 * An entry of a batch ahead whose ticket its script call will write, and
 * count as a contact: routed, counted, not a repeat within its batch, and
 * no ticket before (asked by its own batch, or by a later one).
 */
static int
new_contact_ahead(const struct entry *o)
{
	return o->outcome == OUTCOME_ROUTE && o->lookup_sent && !o->repeat &&
	    !(o->ask_exists ? o->existed : o->existed_before);
}

/*
 * Entries of the batches ahead of b (see the top) from the same customer
 * as entry i within ms before it: written after b's counts were read.
 */
static long long
contacts_ahead(const struct batch *b, size_t i, int64_t ms)
{
	const struct entry	*e = &b->entries[i];
	long long		 n = 0;

	for (size_t k = 0; k < b->nahead; k++) {
		const struct batch	*a = b->ahead[k];

		for (uint32_t j = CUST_CHAIN(a, e->cust_hash); j != 0;
		    j = a->next_cust[j - 1]) {
			const struct entry	*o = &a->entries[j - 1];

			if (!new_contact_ahead(o) ||
			    o->created_at >= e->created_at ||
			    o->created_at < e->created_at - ms ||
			    !same_customer_across(a, o, b, e) ||
			    same_ticket_across(a, o, b, e))
				continue;
			n++;
		}
	}
	return n;
}

/*
 * Before b's reads are sent: which tickets of the batches ahead b must ask
 * about (same customer as one of b's entries, existence not yet known),
 * and which of b's own entries repeat an ID of a batch ahead -- the
 * script will skip those, so they are no contact for b's later entries.
 */
int
contacts_plan_ahead(struct batch *b)
{
	b->nahead_ask = b->ahead_ask_next = 0;
	for (size_t k = 0; k < b->nahead; k++) {
		struct batch	*a = b->ahead[k];

		for (size_t j = 0; j < a->nentries; j++) {
			struct entry	*o = &a->entries[j];
			int		 ask = 0;

			if (o->outcome != OUTCOME_ROUTE || !o->lookup_sent ||
			    o->repeat)
				continue;
			for (uint32_t i = ID_CHAIN(b, o->id_hash); i != 0;
			    i = b->next_id[i - 1])
				if (same_ticket_across(a, o, b,
				    &b->entries[i - 1]))
					b->entries[i - 1].repeat = 1;
			for (uint32_t i = CUST_CHAIN(b, o->cust_hash); i != 0 &&
			    !ask; i = b->next_cust[i - 1])
				ask = same_customer_across(a, o, b,
				    &b->entries[i - 1]);
			if (!ask || o->ask_exists || o->looked_later)
				continue;
			if (b->nahead_ask == b->ahead_ask_cap) {
				size_t	 cap = b->ahead_ask_cap ?
					    2 * b->ahead_ask_cap : 16;
				void	*p = reallocarray(b->ahead_ask, cap,
					    sizeof *b->ahead_ask);

				if (p == NULL)
					return -1;
				b->ahead_ask = p;
				b->ahead_ask_cap = cap;
			}
			o->looked_later = 1;
			b->ahead_ask[b->nahead_ask++] = o;
		}
	}
	return 0;
}

long long
contacts_unseen(const struct batch *b, size_t i, int64_t ms)
{
	return contacts_in_batch(b, i, ms) + contacts_ahead(b, i, ms);
}
