/*
 * rules_index.c - a hash from field values to the rules that need them.
 *
 * Building: every rule offers its equality leaves (cond_keys()); each
 * picks the one on the field most rules are keyed on, since that field's
 * value then rules out most of the list.  The fields chosen by at least
 * RULES_INDEX_MIN rules (up to RULES_INDEX_KEYS of them) get a table of
 * value -> sorted list of rule numbers; every other rule goes on the
 * "unkeyed" list, which every request tries.
 *
 * Looking up: one hash probe per keyed field gives at most one list per
 * field; the cursor merges those lists and the unkeyed one in rule order.
 * A rule left out cannot match: its chosen leaf requires a value the
 * request does not have.
 */
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "rules_index.h"
#include "xmalloc.h"

#define RULES_INDEX_MIN_LIST	16	/* shorter lists: try every rule */
#define RULES_INDEX_MIN		4	/* rules keyed on a field to index it */

struct rules_entry {
	const char	*value;
	size_t		 len;
	uint32_t	 hash;
	uint32_t	 off, count;	/* into rules_index.rules */
};

struct rules_key {
	int		 slot;
	uint32_t	*table;		/* entry + 1; 0 is empty */
	size_t		 mask;		/* table size - 1, a power of two less 1 */
};

struct rules_index {
	struct rules_key	 keys[RULES_INDEX_KEYS];
	int			 nkeys;
	struct rules_entry	*entries;
	size_t			 nentries;
	uint32_t		*rules;		/* the keyed lists, end to end */
	uint32_t		*unkeyed;
	size_t			 nunkeyed;
};

/* One rule's chosen leaf, and the triples the tables are built from. */
struct rules_choice {
	int		 slot;		/* -1: none */
	char *const	*values;
	const size_t	*lens;
	size_t		 n;
};

struct rules_triple {
	int		 key;
	const char	*value;
	size_t		 len;
	uint32_t	 rule;
};

struct rules_pick {
	const size_t		*count;	/* rules keyed on each slot */
	struct rules_choice	*best;
};

static uint32_t
rules_index_hash(const char *s, size_t len)
{
	uint32_t	h = 2166136261u;

	while (len-- > 0)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void
rules_index_count(int slot, char *const *values, const size_t *lens,
    size_t n, void *arg)
{
	size_t	*count = arg;

	count[slot]++;
}

static void
rules_index_pick(int slot, char *const *values, const size_t *lens,
    size_t n, void *arg)
{
	struct rules_pick	*p = arg;
	struct rules_choice	*b = p->best;

	if (b->slot == -1 || p->count[slot] > p->count[b->slot] ||
	    (p->count[slot] == p->count[b->slot] && n < b->n)) {
		b->slot = slot;
		b->values = values;
		b->lens = lens;
		b->n = n;
	}
}

static int
rules_triple_cmp(const void *a, const void *b)
{
	const struct rules_triple	*x = a, *y = b;
	int				 c;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if ((c = memcmp(x->value, y->value, x->len)) != 0)
		return c;
	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	return 0;
}

/* The fields to index: the most used, each by RULES_INDEX_MIN rules. */
static void
rules_index_keys(struct rules_index *ix, const struct rules_choice *best,
    size_t n)
{
	size_t	 chosen[COND_MAX_SLOTS] = { 0 };
	size_t	 i, top;
	int	 s, k;

	for (i = 0; i < n; i++)
		if (best[i].slot != -1)
			chosen[best[i].slot]++;
	for (k = 0; k < RULES_INDEX_KEYS; k++) {
		top = 0;
		for (s = 0; s < COND_MAX_SLOTS; s++)
			if (chosen[s] > chosen[top])
				top = (size_t)s;
		if (chosen[top] < RULES_INDEX_MIN)
			break;
		ix->keys[ix->nkeys++].slot = (int)top;
		chosen[top] = 0;
	}
}

static int
rules_index_key_of(const struct rules_index *ix, int slot)
{
	int	k;

	for (k = 0; k < ix->nkeys; k++)
		if (ix->keys[k].slot == slot)
			return k;
	return -1;
}

/* Sorted, deduplicated triples -> entries, lists and hash tables. */
static void
rules_index_tables(struct rules_index *ix, struct rules_triple *t,
    size_t nt)
{
	struct rules_entry	*e;
	struct rules_key	*key;
	size_t			 i, j, nrules = 0, per[RULES_INDEX_KEYS] = { 0 };
	size_t			 size, h;

	ix->entries = xcalloc(nt > 0 ? nt : 1, sizeof *ix->entries);
	ix->rules = xcalloc(nt > 0 ? nt : 1, sizeof *ix->rules);
	for (i = 0; i < nt; i = j) {
		e = &ix->entries[ix->nentries++];
		e->value = t[i].value;
		e->len = t[i].len;
		e->hash = rules_index_hash(t[i].value, t[i].len);
		e->off = (uint32_t)nrules;
		per[t[i].key]++;
		for (j = i; j < nt && t[j].key == t[i].key &&
		    t[j].len == t[i].len &&
		    memcmp(t[j].value, t[i].value, t[i].len) == 0; j++) {
			if (j > i && t[j].rule == t[j - 1].rule)
				continue;
			ix->rules[nrules++] = t[j].rule;
		}
		e->count = (uint32_t)nrules - e->off;
	}
	for (i = 0; i < (size_t)ix->nkeys; i++) {
		key = &ix->keys[i];
		for (size = 8; size < per[i] * 2; size *= 2)
			;
		key->table = xcalloc(size, sizeof *key->table);
		key->mask = size - 1;
	}
	for (i = 0, j = 0; i < ix->nentries; i++) {
		while (t[j].value != ix->entries[i].value ||
		    t[j].len != ix->entries[i].len)
			j++;
		key = &ix->keys[t[j].key];
		for (h = ix->entries[i].hash & key->mask; key->table[h] != 0;
		    h = (h + 1) & key->mask)
			;
		key->table[h] = (uint32_t)i + 1;
	}
}

struct rules_index *
rules_index_new(const struct cond *const *when, size_t n)
{
	struct rules_index	*ix;
	struct rules_choice	*best;
	struct rules_triple	*t = NULL;
	struct rules_pick	 pick;
	size_t			 count[COND_MAX_SLOTS] = { 0 };
	size_t			 i, j, nt = 0, cap = 0;
	int			 k;

	if (n < RULES_INDEX_MIN_LIST)
		return NULL;
	for (i = 0; i < n; i++)
		cond_keys(when[i], rules_index_count, count);
	best = xcalloc(n, sizeof *best);
	pick.count = count;
	for (i = 0; i < n; i++) {
		best[i].slot = -1;
		pick.best = &best[i];
		cond_keys(when[i], rules_index_pick, &pick);
	}
	ix = xcalloc(1, sizeof *ix);
	rules_index_keys(ix, best, n);
	ix->unkeyed = xcalloc(n, sizeof *ix->unkeyed);
	for (i = 0; i < n; i++) {
		k = best[i].slot == -1 ? -1 :
		    rules_index_key_of(ix, best[i].slot);
		if (k == -1) {
			ix->unkeyed[ix->nunkeyed++] = (uint32_t)i;
			continue;
		}
		for (j = 0; j < best[i].n; j++) {
			if (nt == cap) {
				cap = cap ? cap * 2 : 64;
				t = xreallocarray(t, cap, sizeof *t);
			}
			t[nt].key = k;
			t[nt].value = best[i].values[j];
			t[nt].len = best[i].lens[j];
			t[nt].rule = (uint32_t)i;
			nt++;
		}
	}
	free(best);
	if (nt > 0)
		qsort(t, nt, sizeof *t, rules_triple_cmp);
	rules_index_tables(ix, t, nt);
	free(t);
	return ix;
}

void
rules_index_free(struct rules_index *ix)
{
	int	k;

	if (ix == NULL)
		return;
	for (k = 0; k < ix->nkeys; k++)
		free(ix->keys[k].table);
	free(ix->entries);
	free(ix->rules);
	free(ix->unkeyed);
	free(ix);
}

void
rules_index_start(const struct rules_index *ix, size_t n,
    const struct cond_value *slots, struct rules_cursor *c)
{
	const struct rules_key		*key;
	const struct rules_entry	*e;
	const struct cond_value		*v;
	uint32_t			 h, slot;
	int				 k;

	c->n = n;
	c->next = 0;
	c->nlists = 0;
	if ((c->indexed = ix != NULL) == 0)
		return;
	c->at[0] = ix->unkeyed;
	c->end[0] = ix->unkeyed + ix->nunkeyed;
	c->nlists = 1;
	for (k = 0; k < ix->nkeys; k++) {
		key = &ix->keys[k];
		v = &slots[key->slot];
		if (v->ptr == NULL)
			continue;
		h = rules_index_hash(v->ptr, v->len);
		for (slot = h & key->mask; key->table[slot] != 0;
		    slot = (slot + 1) & key->mask) {
			e = &ix->entries[key->table[slot] - 1];
			if (e->hash == h && e->len == v->len &&
			    memcmp(e->value, v->ptr, v->len) == 0) {
				c->at[c->nlists] = ix->rules + e->off;
				c->end[c->nlists] = ix->rules + e->off +
				    e->count;
				c->nlists++;
				break;
			}
		}
	}
}

long
rules_index_next(struct rules_cursor *c)
{
	int		i, min = -1;

	if (!c->indexed)
		return c->next < c->n ? (long)c->next++ : -1;
	for (i = 0; i < c->nlists; i++) {
		if (c->at[i] == c->end[i])
			continue;
		if (min == -1 || *c->at[i] < *c->at[min])
			min = i;
	}
	if (min == -1)
		return -1;
	return (long)*c->at[min]++;
}
