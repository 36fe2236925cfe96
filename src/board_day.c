/*
 * board_day.c - a set of (team, ticket) and a count per team (see
 * board_day.h).  Open addressing on "team\nticket" strings: a busy day has
 * a few thousand breaches, so nothing smarter is needed.
 */
#include <stdlib.h>
#include <string.h>

#include "board_day.h"

struct board_count {
	char	*team;
	int64_t	 n;
};

struct board_day {
	int64_t			 start;
	char			**slots;	/* NULL: empty */
	size_t			 cap;		/* a power of two */
	size_t			 used;
	struct board_count	*counts;
	size_t			 nteams;
};

static uint32_t
hash(const char *s)
{
	uint32_t	h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

struct board_day *
board_day_new(void)
{
	return calloc(1, sizeof(struct board_day));
}

void
board_day_reset(struct board_day *d, int64_t start)
{
	for (size_t i = 0; i < d->cap; i++)
		free(d->slots[i]);
	free(d->slots);
	for (size_t i = 0; i < d->nteams; i++)
		free(d->counts[i].team);
	free(d->counts);
	memset(d, 0, sizeof *d);
	d->start = start;
}

void
board_day_free(struct board_day *d)
{
	if (d == NULL)
		return;
	board_day_reset(d, 0);
	free(d);
}

int64_t
board_day_start(const struct board_day *d)
{
	return d->start;
}

static int
grow(struct board_day *d)
{
	size_t	  cap = d->cap ? d->cap * 2 : 64;
	char	**slots;

	if ((slots = calloc(cap, sizeof *slots)) == NULL)
		return -1;
	for (size_t i = 0; i < d->cap; i++) {
		size_t	j;

		if (d->slots[i] == NULL)
			continue;
		for (j = hash(d->slots[i]) & (cap - 1); slots[j] != NULL;
		    j = (j + 1) & (cap - 1))
			;
		slots[j] = d->slots[i];
	}
	free(d->slots);
	d->slots = slots;
	d->cap = cap;
	return 0;
}

static int
count_add(struct board_day *d, const char *team)
{
	struct board_count	*c;

	for (size_t i = 0; i < d->nteams; i++)
		if (strcmp(d->counts[i].team, team) == 0) {
			d->counts[i].n++;
			return 0;
		}
	if ((c = realloc(d->counts, (d->nteams + 1) * sizeof *c)) == NULL)
		return -1;
	d->counts = c;
	if ((c[d->nteams].team = strdup(team)) == NULL)
		return -1;
	c[d->nteams++].n = 1;
	return 0;
}

int
board_day_add(struct board_day *d, const char *team, const char *ticket)
{
	size_t	 tl = strlen(team), kl = strlen(ticket), j;
	char	*key;

	if ((d->used + 1) * 2 > d->cap && grow(d) == -1)
		return -1;
	if ((key = malloc(tl + kl + 2)) == NULL)
		return -1;
	memcpy(key, team, tl);
	key[tl] = '\n';
	memcpy(key + tl + 1, ticket, kl + 1);
	for (j = hash(key) & (d->cap - 1); d->slots[j] != NULL;
	    j = (j + 1) & (d->cap - 1))
		if (strcmp(d->slots[j], key) == 0) {
			free(key);
			return 0;
		}
	if (count_add(d, team) == -1) {
		free(key);
		return -1;
	}
	d->slots[j] = key;
	d->used++;
	return 1;
}

int64_t
board_day_count(const struct board_day *d, const char *team)
{
	for (size_t i = 0; i < d->nteams; i++)
		if (strcmp(d->counts[i].team, team) == 0)
			return d->counts[i].n;
	return 0;
}
