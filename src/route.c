/*
 * route.c - from a batch of stream entries to tickets, queues, dead letters
 * and acknowledgements, in one atomic script call per batch.
 *
 *   batch ──validate──> (CRM lookups, pipelined HGETALL) ──classify──>
 *         EVALSHA route: per entry  T = ticket + queue, D = dead letter,
 *                                   A = ack only;  then XACK all at once
 *
 * Atomic per batch, so a crash leaves every entry either written and
 * acknowledged, or untouched and pending (recovered on restart).  Exactly
 * once: the script skips a ticket whose hash already exists (a redelivered
 * or duplicate `id`), and a dead letter whose entry is no longer pending.
 * Nothing in a call can fail after its first write (dead letters are
 * bounded, deadletter.h; a request's fields are counted by request.c); and
 * should a call fail anyway, a ticket it wrote but did not queue is queued
 * and scheduled when its entry is delivered again (half_written below).
 *
 * SLA clocks start here (docs/sla.md): clock_start() (clock.c) decides
 * the ticket's first_response_due and resolution_due, from created_at in
 * the policy's calendar, its queue score (the first-response deadline) and
 * the escalation steps for the schedule P+sla; this file writes them inside
 * the same EXISTS guard as the ticket, so a redelivered request schedules
 * nothing twice.  sla.c fires the steps.
 *
 * Contact frequency (customers.contacts): each routed ticket is a member
 * of P+contacts:CUSTOMER scored by its created_at, added inside the same
 * EXISTS guard (so a resend or redelivery counts once).  A request's
 * customer.contacts_W is the customer's tickets created within W before
 * it -- [created_at - W, created_at), so requests of the same millisecond
 * do not count each other, and a replay counts as the daemon did -- read
 * by ZCOUNT pipelined with the CRM lookup, plus those earlier in its own
 * batch, plus those of the batches "ahead" of it: batches whose counts
 * were read before its own and whose script calls went out after its
 * reads, so that Redis cannot have counted their tickets.  Their tickets
 * are known before its counts are used (replies come in order, and a
 * batch's call is built as soon as its reads are answered), except
 * whether a ticket existed already -- a resend, no new contact -- which
 * the batch asks itself with an EXISTS sent ahead of its reads.  So a
 * batch reads while the one before it is classified, and Redis need not
 * wait for the daemon.
 *
 * The script is loaded with SCRIPT LOAD when the writer connects; a
 * NOSCRIPT (Redis restarted or flushed its scripts) loads it again and
 * resends the same call.  A call whose connection died is resent when the
 * writer is back: it is idempotent for the reasons above.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "argv.h"
#include "batch.h"
#include "config.h"
#include "clock.h"
#include "contacts.h"
#include "deadletter_argv.h"
#include "decimal.h"
#include "keys.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "now.h"
#include "request.h"
#include "route.h"
#include "route_script.h"
#include "rules.h"
#include "script.h"

#define ROUTE_MAX_ATTEMPTS	5
/*
 * The most a script call carries, in bytes of its entries' fields: a batch
 * over it is written by several calls, sent together.  A call of tens of
 * megabytes keeps Redis from everyone else and outlasts the writer's
 * timeout on a busy machine, to be sent again and again.
 */
#define ROUTE_CALL_BYTES	(4 * 1024 * 1024)

struct router {
	struct rconn		*writer;
	const struct config	*boot;		/* keys and names: fixed */
	struct keys		 fixed;		/* requests, dead, sla */
	struct live_config	*live;		/* the rules a new batch pins */
	struct router_cb	 cb;
	struct script		 script;
	size_t		 inflight;		/* batches not yet settled */
	struct batch	*waiting, *waiting_tail;
	/*
	 * The batches whose contact counts are being read, or were read but
	 * whose script call is not sent yet, oldest first: what a batch that
	 * reads now has ahead of it (see the top).
	 */
	struct batch	*looking, *looking_tail;
	size_t		 nlooking;
	struct argv	*call;			/* the script call being built */
	struct verdict	*verdicts;		/* the batch's routed entries' */
	size_t		 verdicts_cap;
	struct clock_writes clock;		/* one ticket's, reused */
};

static void	dispatch(struct router *, struct batch *);
static void	flush_waiting(struct router *);

static void
waiting_push(struct router *r, struct batch *b)
{
	b->next_waiting = NULL;
	if (r->waiting_tail != NULL)
		r->waiting_tail->next_waiting = b;
	else
		r->waiting = b;
	r->waiting_tail = b;
}

static void
looking_push(struct router *r, struct batch *b)
{
	b->nahead = 0;
	for (struct batch *o = r->looking; o != NULL; o = o->next_looking)
		b->ahead[b->nahead++] = o;
	b->next_looking = NULL;
	if (r->looking_tail != NULL)
		r->looking_tail->next_looking = b;
	else
		r->looking = b;
	r->looking_tail = b;
	r->nlooking++;
}

/* b's script call went out, or b will look up again: no longer ahead. */
static void
looking_remove(struct router *r, struct batch *b)
{
	struct batch	**p, *prev = NULL;

	for (p = &r->looking; *p != NULL; prev = *p, p = &(*p)->next_looking) {
		if (*p != b)
			continue;
		*p = b->next_looking;
		if (r->looking_tail == b)
			r->looking_tail = prev;
		b->next_looking = NULL;
		r->nlooking--;
		return;
	}
}

static void
settle(struct router *r, struct batch *b)
{
	for (size_t i = 0; i < b->ncalls; i++)
		free(b->calls[i].mem);
	b->ncalls = 0;
	b->awaiting = 0;
	live_release(b->config);
	b->config = NULL;
	r->inflight--;
	r->cb.done(b, r->cb.arg);
}

/* Validate every entry; decide what the script will do with it. */
static void
prepare(struct router *r, struct batch *b)
{
	const struct config	*cfg = b->config->cfg;
	int64_t			 now = now_ms();
	char			 err[REQUEST_ERROR_MAX];

	for (size_t i = 0; i < b->nentries; i++) {
		struct entry		*e = &b->entries[i];
		const struct field	*req, *cust;
		size_t			 nreq, ncust;
		struct request		 rq;
		enum request_reason	 why;
		long			 off;

		e->entry_ms = request_entry_ms(batch_id(b, e));
		e->outcome = OUTCOME_DEAD;
		if (e->malformed == 2) {
			e->outcome = OUTCOME_ACK;
			continue;
		}
		if (e->malformed) {
			why = REQUEST_MALFORMED;
			snprintf(err, sizeof err, "the entry is not a list of "
			    "field/value pairs");
		} else if (e->deliveries > cfg->intake.max_deliveries) {
			why = REQUEST_TOO_MANY_DELIVERIES;
			snprintf(err, sizeof err, "delivered %d times without "
			    "being routed (intake.max_deliveries is %d)",
			    e->deliveries - 1, cfg->intake.max_deliveries);
		} else {
			if (batch_fields(b, e, &req, &nreq, &cust, &ncust) == -1)
				fatal("batch fields");
			why = request_validate(&cfg->intake, batch_id(b, e), req,
			    nreq, now, &rq, err, sizeof err);
		}
		e->reason = why;
		if (why == REQUEST_OK) {
			/* The ID points into the arena: the entry's own or its id. */
			e->outcome = OUTCOME_ROUTE;
			e->ticket_id_off = rq.id - b->arena;
			e->ticket_id_len = rq.id_len;
			e->customer_off = rq.customer_id - b->arena;
			e->customer_len = rq.customer_id_len;
			e->created_at = rq.created_at;
			continue;
		}
		if ((off = batch_copy(b, err, strlen(err))) == -1)
			fatal("route arena");
		e->error_off = off;
	}
	b->nbuckets = 0;
	if (cfg->ncontacts > 0)
		contacts_mark_repeats(b);
}

/* Expand customers.key with the entry's fields. */
static int
customer_key(struct batch *b, const struct entry *e, const char *tmpl,
    char *out, size_t outlen)
{
	const struct field	*req, *cust;
	size_t			 nreq, ncust;

	if (batch_fields(b, e, &req, &nreq, &cust, &ncust) == -1)
		return -1;
	return request_customer_key(tmpl, req, nreq, out, outlen);
}

/* A ZCOUNT reply as the fact contacts_W of entry i. */
static void
add_contacts(struct batch *b, size_t i, int w, const redisReply *reply)
{
	const struct config	*cfg = b->config->cfg;
	char			 name[64], num[DECIMAL_MAX];
	size_t			 nlen, flen, vlen;

	if (reply->type != REDIS_REPLY_INTEGER) {
		log_warnx("contact count for entry %s failed: %.*s",
		    batch_id(b, &b->entries[i]), (int)reply->len,
		    reply->str != NULL ? reply->str : "");
		metrics_inc(METRIC_REDIS_ERRORS);
		return;
	}
	/* No snprintf(): this runs a few times per request. */
	flen = strlen(cfg->contacts[w]);
	if (flen > sizeof name - sizeof CONFIG_CONTACTS_FACT)
		flen = sizeof name - sizeof CONFIG_CONTACTS_FACT;
	memcpy(name, CONFIG_CONTACTS_FACT, sizeof CONFIG_CONTACTS_FACT - 1);
	memcpy(name + sizeof CONFIG_CONTACTS_FACT - 1, cfg->contacts[w], flen);
	nlen = sizeof CONFIG_CONTACTS_FACT - 1 + flen;
	vlen = decimal_format(reply->integer +
	    contacts_unseen(b, i, cfg->contacts_ms[w]), num);
	if (batch_add_customer_field(b, i, name, nlen, num, vlen) == -1)
		fatal("route arena");
}

/*
 * Each entry to be routed sent its ZCOUNTs (one per contact window) then
 * its HGETALL, in that order: its counts lie first among its customer
 * fields, and the first of a name wins (rules.c), so a CRM field of the
 * same name cannot stand in for a count.
 */
static void
lookup_reply(struct rconn *rc, redisReply *reply, void *arg)
{
	struct batch	*b = arg;
	struct router	*r = b->router;
	size_t		 ncontacts = b->config->cfg->ncontacts;
	int		 crm = b->config->cfg->customers_key != NULL;
	int		 sub = b->lookup_sub, per;
	struct entry	*e;

	/* First the EXISTS of tickets ahead (contacts_plan_ahead()). */
	if (b->ahead_ask_next < b->nahead_ask) {
		e = b->ahead_ask[b->ahead_ask_next++];
		if (reply == NULL)
			b->looked_up = -1;
		else
			e->existed_before = reply->type != REDIS_REPLY_INTEGER ||
			    reply->integer != 0;
		goto done;
	}
	/* The k-th replies belong to the k-th entry that is to be routed. */
	while (b->lookup_next < b->nentries &&
	    !b->entries[b->lookup_next].lookup_sent)
		b->lookup_next++;
	if (b->lookup_next >= b->nentries)
		goto done;		/* cannot be: one reply per command */
	e = &b->entries[b->lookup_next];
	/* ZCOUNT per window, EXISTS if asked, HGETALL if customers.key. */
	per = (int)ncontacts + e->ask_exists + crm;
	if (reply == NULL)
		b->looked_up = -1;	/* connection lost: look up again */
	else if (b->looked_up == -1)
		;
	else if ((size_t)sub < ncontacts)
		add_contacts(b, b->lookup_next, sub, reply);
	else if ((size_t)sub == ncontacts && e->ask_exists)
		e->existed = reply->type != REDIS_REPLY_INTEGER ||
		    reply->integer != 0;
	else if (reply->type == REDIS_REPLY_ARRAY)
		batch_add_customer(b, b->lookup_next, reply);
	else if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("customer lookup for entry %s failed: %.*s",
		    batch_id(b, e), (int)reply->len, reply->str);
		metrics_inc(METRIC_REDIS_ERRORS);
	}
	if (++b->lookup_sub == per) {
		b->lookup_sub = 0;
		b->lookup_next++;
	}
done:
	if (--b->pending_lookups > 0)
		return;
	if (b->looked_up == -1) {
		b->looked_up = 0;
		for (size_t i = 0; i < b->nentries; i++)
			b->entries[i].ncust = 0;
		looking_remove(r, b);
		waiting_push(r, b);
		return;
	}
	b->looked_up = 1;
	dispatch(r, b);
}

/* Send one command, counted first: a lost connection answers at once. */
static int
lookup_send(struct router *r, struct batch *b, int argc, const char **argv,
    const size_t *argvlen)
{
	b->pending_lookups++;
	if (rconn_command_argv(r->writer, lookup_reply, b, argc, argv,
	    argvlen) == -1) {
		b->pending_lookups--;
		return -1;
	}
	return 0;
}

/*
 * For each entry to be routed, its customer's contacts in each window
 * (ZCOUNT), whether its ticket exists when another entry of the batch has
 * the same customer (EXISTS, mark_repeats()), and its CRM record
 * (HGETALL), all pipelined.
 */
static int
lookup_customers(struct router *r, struct batch *b)
{
	const struct config	*cfg = b->config->cfg;
	const char		*tmpl = cfg->customers_key;
	char			 key[1024], ckey[KEYS_MAX], lo[32], hi[32];
	const char		*hget[2] = { "HGETALL", key };
	size_t			 hgetlen[2] = { 7, 0 };
	const char		*zc[4] = { "ZCOUNT", ckey, lo, hi };
	size_t			 zclen[4] = { 6, 0, 0, 0 };
	char			 tkey[KEYS_MAX];
	const char		*ex[2] = { "EXISTS", tkey };
	size_t			 exlen[2] = { 6, 0 };
	int			 clen = 0;

	b->lookup_next = 0;
	b->lookup_sub = 0;
	b->pending_lookups = 0;
	for (size_t k = 0; k < b->nahead_ask; k++) {
		const struct entry	*o = b->ahead_ask[k];
		const struct batch	*a = NULL;
		int			 tlen;

		/* Which batch ahead holds o: its arena holds o's ID. */
		for (size_t j = 0; j < b->nahead && a == NULL; j++)
			if (o >= b->ahead[j]->entries &&
			    o < b->ahead[j]->entries + b->ahead[j]->nentries)
				a = b->ahead[j];
		tlen = keys_ticket(tkey, sizeof tkey, r->boot->redis.prefix,
		    a->arena + o->ticket_id_off, o->ticket_id_len);
		if (tlen == -1)
			fatalx("route: ticket key too long");
		exlen[1] = (size_t)tlen;
		if (lookup_send(r, b, 2, ex, exlen) == -1)
			return -1;
	}
	for (size_t i = 0; i < b->nentries; i++) {
		struct entry	*e = &b->entries[i];

		e->lookup_sent = 0;
		e->ncust = 0;
		if (e->outcome != OUTCOME_ROUTE)
			continue;
		if (tmpl != NULL &&
		    customer_key(b, e, tmpl, key, sizeof key) == -1) {
			log_info("entry %s: its customer key is longer than %zu "
			    "bytes; routed without a customer record",
			    batch_id(b, e), sizeof key - 1);
			continue;
		}
		if (cfg->ncontacts > 0 && (clen = keys_contacts(ckey,
		    sizeof ckey, r->boot->redis.prefix, b->arena +
		    e->customer_off, e->customer_len)) == -1) {
			log_info("entry %s: its customer_id is too long to "
			    "count contacts; routed without a customer record",
			    batch_id(b, e));
			continue;
		}
		e->lookup_sent = 1;
		hgetlen[1] = strlen(key);
		zclen[1] = (size_t)clen;
		for (size_t w = 0; w < cfg->ncontacts; w++) {
			zclen[2] = decimal_format(e->created_at -
			    cfg->contacts_ms[w], lo);
			/* Before it, not at the same millisecond: see top. */
			hi[0] = '(';
			zclen[3] = 1 + decimal_format(e->created_at, hi + 1);
			if (lookup_send(r, b, 4, zc, zclen) == -1)
				return -1;
		}
		if (e->ask_exists) {
			int	tlen = keys_ticket(tkey, sizeof tkey,
				    r->boot->redis.prefix, b->arena +
				    e->ticket_id_off, e->ticket_id_len);

			if (tlen == -1)
				fatalx("route: ticket key too long");
			exlen[1] = (size_t)tlen;
			if (lookup_send(r, b, 2, ex, exlen) == -1)
				return -1;
		}
		if (tmpl != NULL && lookup_send(r, b, 2, hget, hgetlen) == -1)
			return -1;
	}
	return b->pending_lookups > 0 ? 0 : 1;
}

/* An entry's own fields. */
static void
add_entry_fields(struct argv *a, const struct batch *b, const struct entry *e)
{
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field_ref	*f = &b->refs[e->first_field + i];

		argv_push(a, b->arena + f->name_off, f->name_len);
		argv_push(a, b->arena + f->value_off, f->value_len);
	}
}

/*
 * The ticket's fields: the request's own, then what routing decided, then
 * the clocks' (clock_start(): deadlines and targets).
 */
static void
add_ticket_fields(struct argv *a, const struct batch *b,
    const struct entry *e, const char *id, size_t id_len, int64_t created_at,
    const struct verdict *v, const char *version, int64_t now,
    const struct clock_writes *w)
{
	size_t	nclock = 0;

	for (size_t i = 0; i < w->n; i++)
		nclock += w->w[i].op == CLOCK_SET;
	argv_push_num(a, (long long)(e->nfields + 12 + nclock));
	add_entry_fields(a, b, e);
	argv_push_str(a, "ticket_id");
	argv_push(a, id, id_len);
	argv_push_str(a, "source_id");
	argv_push_str(a, batch_id(b, e));
	argv_push_str(a, "tier");
	argv_push_str(a, v->tier_name);
	argv_push_str(a, "urgency");
	argv_push_str(a, v->urgency_name);
	argv_push_str(a, "score");
	argv_push_num(a, v->score);
	argv_push_str(a, "team");
	argv_push_str(a, v->team_name);
	argv_push_str(a, "route");
	argv_push_str(a, v->route_name);
	argv_push_str(a, "policy");
	argv_push_str(a, v->policy_name != NULL ? v->policy_name : "none");
	argv_push_str(a, "status");
	argv_push_str(a, "open");
	argv_push_str(a, "created_at");
	argv_push_num(a, created_at);
	argv_push_str(a, "routed_at");
	argv_push_num(a, now);
	argv_push_str(a, "rules_version");
	argv_push_str(a, version);
	for (size_t i = 0; i < w->n; i++) {
		if (w->w[i].op != CLOCK_SET)
			continue;
		argv_push(a, w->w[i].arg[0], w->w[i].len[0]);
		argv_push(a, w->w[i].arg[1], w->w[i].len[1]);
	}
}

/*
 * The queue score and the ticket ID, then the escalation steps as P+sla
 * score/member pairs after their count (clock_start()).
 */
static void
add_clock(struct argv *a, const struct clock_writes *w, const char *id,
    size_t id_len)
{
	size_t	nsteps = 0;

	for (size_t i = 0; i < w->n; i++) {
		if (w->w[i].op == CLOCK_QUEUE_ADD)
			argv_push(a, w->w[i].arg[1], w->w[i].len[1]);
		nsteps += w->w[i].op == CLOCK_SCHEDULE;
	}
	argv_push(a, id, id_len);
	argv_push_num(a, (long long)nsteps);
	for (size_t i = 0; i < w->n; i++) {
		if (w->w[i].op != CLOCK_SCHEDULE)
			continue;
		argv_push(a, w->w[i].arg[0], w->w[i].len[0]);
		argv_push(a, w->w[i].arg[1], w->w[i].len[1]);
	}
}

/*
 * Whether the ticket counts as a contact, and if so its score, the
 * cutoff below which the customer's older contacts go (the longest window
 * before it) and how long the key lives on without a new contact.
 */
static void
add_contact(struct argv *a, const struct config *cfg, const struct entry *e)
{
	int64_t	longest = 0;

	if (!e->counted) {
		argv_push_str(a, "0");
		return;
	}
	for (size_t w = 0; w < cfg->ncontacts; w++) {
		if (cfg->contacts_ms[w] > longest)
			longest = cfg->contacts_ms[w];
	}
	argv_push_str(a, "1");
	argv_push_num(a, e->created_at);
	argv_push_num(a, e->created_at - longest);
	argv_push_num(a, longest);
}

/* A key for the call, made in place; keys.h refuses one too long. */
static void
push_key(struct argv *a, char *key, int len)
{
	if (len == -1)
		fatalx("route: argument too long");
	argv_push(a, key, (size_t)len);
}

/*
 * Classify the batch with the rules it pinned and build the script call:
 *
 *   EVALSHA sha numkeys  requests dead sla  (ticket queue [contacts])
 *                        per T
 *                        group  records: T ... | D ... | A src
 *
 * The keys come before every record, so the routed entries are classified
 * first (their verdicts kept for the records), then the records written.
 * The call takes the entries from `from` on while they fit in
 * ROUTE_CALL_BYTES (one at least); returns the first it left out.
 */
static size_t
entry_bytes(const struct batch *b, const struct entry *e)
{
	size_t	n = 0;

	for (size_t i = 0; i < e->nfields; i++)
		n += b->refs[e->first_field + i].name_len +
		    b->refs[e->first_field + i].value_len;
	for (size_t i = 0; i < e->ncust; i++)
		n += b->refs[e->first_cust + i].name_len +
		    b->refs[e->first_cust + i].value_len;
	return n;
}

static size_t
build_call(struct router *r, struct batch *b, size_t from)
{
	const struct config	*cfg = b->config->cfg;
	const struct config	*boot = r->boot;
	const char		*prefix = boot->redis.prefix;
	const struct rules	*rules = cfg->rules;
	struct argv		*a = r->call;
	int64_t			 now = now_ms();
	size_t			 nroute = 0, ncounted = 0, t, to, bytes = 0;
	char			 key[KEYS_MAX];
	struct batch_call	*c;

	for (to = from; to < b->nentries; to++) {
		bytes += entry_bytes(b, &b->entries[to]);
		if (bytes > ROUTE_CALL_BYTES && to > from)
			break;
	}
	for (size_t i = from; i < to; i++) {
		struct entry	*e = &b->entries[i];

		if (e->outcome != OUTCOME_ROUTE)
			continue;
		nroute++;
		/* Counted only if its counts were read: same key, same test. */
		e->counted = cfg->ncontacts > 0 && e->lookup_sent &&
		    keys_contacts(key, sizeof key, prefix, b->arena +
		    e->customer_off, e->customer_len) != -1;
		ncounted += e->counted;
	}
	if (nroute > r->verdicts_cap) {
		free(r->verdicts);
		r->verdicts_cap = nroute;
		if ((r->verdicts = calloc(nroute, sizeof *r->verdicts)) == NULL)
			fatal("route verdicts");
	}
	argv_reset(a);
	argv_push_str(a, "EVALSHA");
	argv_push_str(a, r->script.sha);
	argv_push_num(a, (long long)(3 + 2 * nroute + ncounted));
	argv_push_str(a, r->fixed.requests);
	argv_push_str(a, r->fixed.dead);
	argv_push_str(a, r->fixed.sla);
	t = 0;
	for (size_t i = from; i < to; i++) {
		struct entry		*e = &b->entries[i];
		const struct field	*req, *cust;
		size_t			 nreq, ncust;
		struct verdict		*v;

		if (e->outcome != OUTCOME_ROUTE)
			continue;
		if (batch_fields(b, e, &req, &nreq, &cust, &ncust) == -1)
			fatal("batch fields");
		v = &r->verdicts[t++];
		rules_classify(rules, req, nreq, cust, ncust, v);
		e->team = v->team;
		e->tier = v->tier;
		e->urgency = v->urgency;
		push_key(a, key, keys_ticket(key, sizeof key, prefix,
		    b->arena + e->ticket_id_off, e->ticket_id_len));
		push_key(a, key, keys_queue(key, sizeof key, prefix,
		    v->team_name, strlen(v->team_name)));
		if (e->counted)
			push_key(a, key, keys_contacts(key, sizeof key, prefix,
			    b->arena + e->customer_off, e->customer_len));
	}

	argv_push_str(a, boot->intake.group);
	t = 0;
	for (size_t i = from; i < to; i++) {
		struct entry		*e = &b->entries[i];
		const struct verdict	*v;
		const char		*id;

		if (e->outcome == OUTCOME_ACK) {
			argv_push_str(a, "A");
			argv_push_str(a, batch_id(b, e));
			continue;
		}
		if (e->outcome == OUTCOME_DEAD) {
			argv_push_str(a, "D");
			argv_push_str(a, batch_id(b, e));
			deadletter_argv(a, b, e, cfg->intake.max_field_bytes,
			    batch_str(b, e->error_off), boot->intake.stream,
			    now, 1);
			continue;
		}
		v = &r->verdicts[t++];
		/* The ID points into the arena: the entry's own or its id. */
		id = b->arena + e->ticket_id_off;
		if (clock_start(rules, v, id, e->ticket_id_len, e->created_at,
		    &r->clock) == -1)
			fatalx("route: schedule entry too long");
		argv_push_str(a, "T");
		argv_push_str(a, batch_id(b, e));
		add_ticket_fields(a, b, e, id, e->ticket_id_len, e->created_at,
		    v, cfg->version, now, &r->clock);
		add_clock(a, &r->clock, id, e->ticket_id_len);
		add_contact(a, cfg, e);
	}

	if (b->ncalls == b->calls_cap) {
		size_t	 cap = b->calls_cap ? 2 * b->calls_cap : 4;
		void	*p = reallocarray(b->calls, cap, sizeof *b->calls);

		if (p == NULL)
			fatal("route calls");
		b->calls = p;
		b->calls_cap = cap;
	}
	c = &b->calls[b->ncalls++];
	c->from = from;
	c->to = to;
	c->state = BATCH_CALL_UNSENT;
	/* Kept until answered; the builder starts the next at its size. */
	c->cmd = argv_take(a, &c->mem, &c->len);
	return to;
}

/* Metrics per entry of a call, from the script's one-character answers. */
static void
account(struct batch *b, const struct batch_call *c, const char *out,
    size_t len)
{
	const struct rules	*rules = b->config->cfg->rules;
	int64_t			 now = now_ms();

	for (size_t i = c->from; i < c->to && i - c->from < len; i++) {
		struct entry	*e = &b->entries[i];

		switch (out[i - c->from]) {
		case 'R':
			metrics_routed(rules_team_name(rules, e->team),
			    rules_tier_name(rules, e->tier),
			    rules_urgency_name(rules, e->urgency));
			metrics_latency(now - e->entry_ms);
			break;
		case 'S':
			metrics_inc(METRIC_DUPLICATES);
			log_debug("entry %s: ticket exists already",
			    batch_id(b, e));
			break;
		case 'D':
			metrics_rejected(request_reason_name(e->reason));
			log_info("entry %s to the dead-letter stream: %s",
			    batch_id(b, e), batch_str(b, e->error_off));
			break;
		}
	}
	if (c->to == b->nentries)
		metrics_inc(METRIC_BATCHES);
}

/*
 * A batch's calls are answered in the order they were sent.  A call whose
 * outcome is unknown (the connection was lost, the script was flushed) is
 * sent again once every call sent has been answered: the script is
 * idempotent (see the top).  An error leaves its entries pending, for a
 * later claim.
 */
static void
write_reply(struct rconn *rc, redisReply *reply, void *arg)
{
	struct batch		*b = arg;
	struct router		*r = b->router;
	struct batch_call	*c = NULL;
	size_t			 done = 0;

	for (size_t i = 0; i < b->ncalls && c == NULL; i++)
		if (b->calls[i].state == BATCH_CALL_SENT)
			c = &b->calls[i];
	if (c == NULL)
		fatalx("route: a reply to no call");
	b->awaiting--;
	c->state = BATCH_CALL_UNSENT;
	if (reply == NULL || script_missing(&r->script, rc, reply))
		;
	else if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("routing %zu entries failed: %.*s; left pending for "
		    "a later claim", c->to - c->from, (int)reply->len,
		    reply->str);
		metrics_inc(METRIC_REDIS_ERRORS);
		c->state = BATCH_CALL_DONE;
	} else {
		if (reply->type == REDIS_REPLY_STRING)
			account(b, c, reply->str, reply->len);
		c->state = BATCH_CALL_DONE;
	}
	if (b->awaiting > 0)
		return;
	for (size_t i = 0; i < b->ncalls; i++)
		done += b->calls[i].state == BATCH_CALL_DONE;
	if (done == b->ncalls) {
		settle(r, b);
		return;
	}
	if (b->attempts >= ROUTE_MAX_ATTEMPTS) {
		log_warnx("batch of %zu entries not written after %d "
		    "attempts; left pending for a later claim",
		    b->nentries, b->attempts);
		settle(r, b);
		return;
	}
	waiting_push(r, b);
}

static void
write_batch(struct router *r, struct batch *b)
{
	size_t	sent = 0;

	if (b->nentries == 0) {
		settle(r, b);
		return;
	}
	if (b->ncalls == 0)
		for (size_t from = 0; from < b->nentries; )
			from = build_call(r, b, from);
	b->attempts++;
	for (size_t i = 0; i < b->ncalls; i++) {
		struct batch_call	*c = &b->calls[i];

		if (c->state != BATCH_CALL_UNSENT)
			continue;
		if (rconn_formatted(r->writer, write_reply, b, c->cmd,
		    c->len) == -1)
			break;
		c->state = BATCH_CALL_SENT;
		b->awaiting++;
		sent++;
	}
	if (sent == 0) {
		waiting_push(r, b);
		return;
	}
	looking_remove(r, b);
	if (r->waiting != NULL && r->nlooking < BATCH_AHEAD_MAX)
		flush_waiting(r);
}

/* Move a batch on as far as the writer allows. */
static void
dispatch(struct router *r, struct batch *b)
{
	if (rconn_state(r->writer) != RCONN_READY ||
	    !script_ensure(&r->script, r->writer)) {
		waiting_push(r, b);
		return;
	}
	if ((b->config->cfg->customers_key != NULL ||
	    b->config->cfg->ncontacts > 0) && !b->looked_up) {
		b->nahead = b->nahead_ask = b->ahead_ask_next = 0;
		if (b->config->cfg->ncontacts > 0) {
			if (r->nlooking >= BATCH_AHEAD_MAX) {
				waiting_push(r, b);
				return;
			}
			looking_push(r, b);
			if (contacts_plan_ahead(b) == -1)
				fatal("route: batches ahead");
		}
		switch (lookup_customers(r, b)) {
		case -1:
			if (b->pending_lookups > 0) {
				/* lookup_reply() puts it back once all answered. */
				b->looked_up = -1;
				return;
			}
			looking_remove(r, b);
			waiting_push(r, b);
			return;
		case 0:
			return;		/* lookup_reply() continues */
		}
		b->looked_up = 1;	/* nothing to look up */
	}
	write_batch(r, b);
}

static void
flush_waiting(struct router *r)
{
	struct batch	*b = r->waiting;

	r->waiting = r->waiting_tail = NULL;
	while (b != NULL) {
		struct batch	*next = b->next_waiting;

		dispatch(r, b);
		b = next;
	}
}

void
router_submit(struct router *r, struct batch *b)
{
	b->router = r;
	b->config = live_acquire(r->live);
	b->looked_up = 0;
	b->attempts = 0;
	b->ncalls = 0;
	b->awaiting = 0;
	r->inflight++;
	prepare(r, b);
	dispatch(r, b);
}

/* The routing script is loaded: send what waited for it. */
static void
script_loaded(void *arg)
{
	struct router	*r = arg;

	flush_waiting(r);
	r->cb.loaded(r->cb.arg);
}

void
router_writer_state(struct rconn *rc, enum rconn_state s, void *arg)
{
	struct router	*r = arg;

	/* Load again after any reconnect: the server may be a new one. */
	if (s == RCONN_READY)
		script_ensure(&r->script, rc);
	else
		r->script.ready = 0;
}

int
router_ready(const struct router *r)
{
	return r->script.ready;
}

const char *
router_not_ready(const struct router *r)
{
	return r->script.ready ? "" : r->script.error;
}

void
router_retry(struct router *r)
{
	(void)script_ensure(&r->script, r->writer);
}

size_t
router_inflight(const struct router *r)
{
	return r->inflight;
}

struct router *
router_new(struct rconn *writer, const struct config *boot,
    struct live_config *live, const struct router_cb *cb)
{
	struct router	*r;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	r->writer = writer;
	r->boot = boot;
	r->live = live_acquire(live);
	r->cb = *cb;
	r->call = argv_new();
	keys_init(&r->fixed, boot->redis.prefix, boot->intake.stream,
	    boot->intake.events);
	script_init(&r->script, "routing", route_script, script_loaded, r);
	return r;
}

void
router_free(struct router *r)
{
	if (r == NULL)
		return;
	argv_free(r->call);
	free(r->verdicts);
	clock_writes_free(&r->clock);
	keys_clear(&r->fixed);
	live_release(r->live);
	free(r);
}

void
router_set_config(struct router *r, struct live_config *live)
{
	live_release(r->live);
	r->live = live_acquire(live);
}
