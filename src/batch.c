/*
 * batch.c - copying stream entries out of hiredis replies into a reusable
 * arena (see batch.h for why).
 */
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "batch.h"

static int
grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t	 ncap;
	void	*n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	if ((n = realloc(*p, ncap * size)) == NULL)
		return -1;
	*p = n;
	*cap = ncap;
	return 0;
}

void
batch_reset(struct batch *b)
{
	b->arena_len = 0;
	b->nentries = 0;
	b->nrefs = 0;
	b->pending_lookups = 0;
	b->config = NULL;
}

void
batch_release(struct batch *b)
{
	free(b->arena);
	free(b->entries);
	free(b->refs);
	free(b->scratch);
	free(b->ahead_ask);
	free(b->by_cust);
	free(b->by_id);
	free(b->next_cust);
	free(b->next_id);
	for (size_t i = 0; i < b->ncalls; i++)
		free(b->calls[i].mem);	/* never sent, at exit */
	free(b->calls);
	memset(b, 0, sizeof *b);
}

long
batch_copy(struct batch *b, const char *s, size_t len)
{
	size_t	off = b->arena_len;

	if (grow((void **)&b->arena, &b->arena_cap, off + len + 1, 1) == -1)
		return -1;
	memcpy(b->arena + off, s, len);
	b->arena[off + len] = '\0';
	b->arena_len += len + 1;
	return (long)off;
}

const char *
batch_str(const struct batch *b, size_t off)
{
	return b->arena + off;
}

const char *
batch_id(const struct batch *b, const struct entry *e)
{
	return b->arena + e->id_off;
}

/* Copy a flat field/value array into refs; -1 on a malformed array. */
static int
add_pairs(struct batch *b, const redisReply *arr, size_t *first, size_t *n)
{
	*first = b->nrefs;
	*n = 0;
	if (arr == NULL || arr->type != REDIS_REPLY_ARRAY ||
	    arr->elements % 2 != 0)
		return -1;
	if (grow((void **)&b->refs, &b->refs_cap, b->nrefs +
	    arr->elements / 2, sizeof *b->refs) == -1)
		return -1;
	for (size_t i = 0; i < arr->elements; i += 2) {
		const redisReply	*k = arr->element[i];
		const redisReply	*v = arr->element[i + 1];
		struct field_ref	*r;
		long			 ko, vo;

		if (k->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING)
			return -1;
		if ((ko = batch_copy(b, k->str, k->len)) == -1 ||
		    (vo = batch_copy(b, v->str, v->len)) == -1)
			return -1;
		r = &b->refs[b->nrefs++];
		r->name_off = ko;
		r->name_len = k->len;
		r->value_off = vo;
		r->value_len = v->len;
		(*n)++;
	}
	return 0;
}

int
batch_add_entries(struct batch *b, const redisReply *arr, int deliveries)
{
	if (arr == NULL || arr->type != REDIS_REPLY_ARRAY)
		return 0;
	if (grow((void **)&b->entries, &b->entries_cap, b->nentries +
	    arr->elements, sizeof *b->entries) == -1)
		return -1;
	for (size_t i = 0; i < arr->elements; i++) {
		const redisReply	*item = arr->element[i];
		struct entry		*e;
		long			 off;

		/* [id, [field, value, ...]]; a trimmed entry has a nil body. */
		if (item->type != REDIS_REPLY_ARRAY || item->elements != 2 ||
		    item->element[0]->type != REDIS_REPLY_STRING)
			continue;
		e = &b->entries[b->nentries];
		memset(e, 0, sizeof *e);
		if ((off = batch_copy(b, item->element[0]->str,
		    item->element[0]->len)) == -1)
			return -1;
		e->id_off = off;
		e->deliveries = deliveries;
		e->first_cust = b->nrefs;
		if (item->element[1]->type == REDIS_REPLY_NIL) {
			e->malformed = 2;	/* trimmed while pending */
		} else if (add_pairs(b, item->element[1], &e->first_field,
		    &e->nfields) == -1) {
			e->malformed = 1;
			e->nfields = 0;
		}
		b->nentries++;
	}
	return 0;
}

/* Fields added at first, after e's others: they lie side by side. */
static void
customer_grew(struct entry *e, size_t first, size_t n)
{
	if (e->ncust == 0)
		e->first_cust = first;
	e->ncust += n;
}

int
batch_add_customer(struct batch *b, size_t i, const redisReply *r)
{
	struct entry	*e = &b->entries[i];
	size_t		 first, n;

	if (add_pairs(b, r, &first, &n) == -1)
		return -1;	/* its pairs so far are never read */
	customer_grew(e, first, n);
	return 0;
}

int
batch_add_customer_field(struct batch *b, size_t i, const char *name,
    size_t name_len, const char *value, size_t value_len)
{
	struct entry		*e = &b->entries[i];
	struct field_ref	*r;
	long			 ko, vo;

	if (grow((void **)&b->refs, &b->refs_cap, b->nrefs + 1,
	    sizeof *b->refs) == -1)
		return -1;
	if ((ko = batch_copy(b, name, name_len)) == -1 ||
	    (vo = batch_copy(b, value, value_len)) == -1)
		return -1;
	r = &b->refs[b->nrefs];
	r->name_off = ko;
	r->name_len = name_len;
	r->value_off = vo;
	r->value_len = value_len;
	customer_grew(e, b->nrefs++, 1);
	return 0;
}

static void
resolve(const struct batch *b, struct field *out, size_t first, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct field_ref	*r = &b->refs[first + i];

		out[i].name = b->arena + r->name_off;
		out[i].name_len = r->name_len;
		out[i].value = b->arena + r->value_off;
		out[i].value_len = r->value_len;
	}
}

int
batch_fields(struct batch *b, const struct entry *e, const struct field **req,
    size_t *nreq, const struct field **cust, size_t *ncust)
{
	if (grow((void **)&b->scratch, &b->scratch_cap, e->nfields + e->ncust,
	    sizeof *b->scratch) == -1)
		return -1;
	resolve(b, b->scratch, e->first_field, e->nfields);
	resolve(b, b->scratch + e->nfields, e->first_cust, e->ncust);
	*req = b->scratch;
	*nreq = e->nfields;
	*cust = b->scratch + e->nfields;
	*ncust = e->ncust;
	return 0;
}
