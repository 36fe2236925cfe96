/*
 * board.h - the wallboard: GET / (the page), GET /api/state (its JSON)
 * and the page's script and style, served from one state computed at
 * most once a second with one Redis call, however many screens watch.
 */
#ifndef TRIAGED_BOARD_H
#define TRIAGED_BOARD_H

struct board;
struct config;
struct event_base;
struct evhttp_request;
struct live_config;
struct rconn;

/* What the board asks of the daemon when it computes the state. */
struct board_probe {
	/* "" when the daemon can route, else why not (shown as Redis health). */
	const char	*(*health)(void *arg);
	void		*arg;
};

/*
 * A board reading through writer, with the prefix of boot and the teams
 * of live; NULL only when out of memory.  probe is copied.
 */
struct board	*board_new(struct event_base *, struct rconn *writer,
		    const struct config *boot, struct live_config *live,
		    const struct board_probe *);
void		 board_free(struct board *);		/* accepts NULL */
/* The teams after a reload: the next refresh shows them. */
void		 board_set_config(struct board *, struct live_config *);

/* http_route() handlers; arg is the board. */
void		 board_serve_page(struct evhttp_request *, void *arg);
void		 board_serve_state(struct evhttp_request *, void *arg);
void		 board_serve_asset(struct evhttp_request *, void *arg);

#endif
