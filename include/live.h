/*
 * live.h - a loaded config shared by reference count.
 *
 * A reload swaps in a new config while batches read with the old one are
 * still in flight: each holder (a batch, a module) keeps its own
 * reference, and the config is freed when the last one is released.  The
 * daemon is single-threaded, so the count needs no atomics.
 */
#ifndef TRIAGED_LIVE_H
#define TRIAGED_LIVE_H

struct config;

struct live_config {
	struct config	*cfg;
	int		 refs;
};

/* Takes ownership of cfg; the caller holds the one reference. */
struct live_config	*live_new(struct config *cfg);
/* Another reference to lc; returns lc. */
struct live_config	*live_acquire(struct live_config *lc);
/* Drop a reference; the config is freed with the last.  Accepts NULL. */
void			 live_release(struct live_config *lc);

#endif
