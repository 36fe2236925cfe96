/*
 * live.c - reference-counted configs (see live.h).
 */
#include <stdlib.h>

#include "config.h"
#include "live.h"
#include "log.h"

struct live_config *
live_new(struct config *cfg)
{
	struct live_config	*lc;

	if ((lc = calloc(1, sizeof *lc)) == NULL)
		fatal("live config");
	lc->cfg = cfg;
	lc->refs = 1;
	return lc;
}

struct live_config *
live_acquire(struct live_config *lc)
{
	lc->refs++;
	return lc;
}

void
live_release(struct live_config *lc)
{
	if (lc != NULL && --lc->refs == 0) {
		config_free(lc->cfg);
		free(lc);
	}
}
