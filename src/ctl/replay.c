/*
 * replay.c - `triagectl -c CURRENT replay --rules CANDIDATE ...`: replay
 * recent requests through a candidate rules file before reloading it.
 *
 * The requests come from P+requests (the newest --last N, or those of the
 * last --since DURATION), or from a file (--from, whose text
 * replay_input.c parses).  They are read in batches; each batch gets its
 * customers' CRM records (pipelined HGETALL, cached per key) when
 * customers.key is set, and is then classified by both rule sets
 * (replay_report.c).  Nothing is written to Redis.  Every read goes through
 * ctl_redis.c, which follows the slot on Redis Cluster.
 *
 *   source --batch--> arena + offsets --CRM lookup--> replay_add() x N
 *
 * A batch copies what it holds into one arena, so a Redis reply or a line
 * buffer can be released at once; pointers are made from offsets only when
 * the batch is complete (the arena may move while it grows).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "config.h"
#include "ctl.h"
#include "now.h"
#include "ctl_redis.h"
#include "duration.h"
#include "field.h"
#include "keys.h"
#include "log.h"
#include "replay.h"
#include "rules.h"
#include "replay_input.h"
#include "request.h"

#define REPLAY_BATCH		1000	/* requests per batch and per Redis page */
#define REPLAY_DEFAULT_LAST	10000
#define REPLAY_CACHE_MAX	100000	/* CRM records kept before starting afresh */
#define REPLAY_CACHE_BUCKETS	65536

/* Where a string of a batch lies in its arena. */
struct span {
	size_t	 off, len;
};

struct rec {
	struct span	 id;		/* NUL-terminated in the arena */
	size_t		 first, n;	/* its fields: spans[2*first...] */
	int		 malformed;
	struct crm	*crm;
	int		 routed;	/* valid: the daemon would route it */
	const char	*customer;	/* its customer_id, in the batch */
	size_t		 customer_len;
	int64_t		 created_at;
	int		 counted;	/* contacts[] read */
	char		 contacts[CONFIG_MAX_WINDOWS][24];
};

struct batch {
	char		*arena;
	size_t		 alen, acap;
	struct span	*spans;		/* name, value, name, value, ... */
	size_t		 nspans, scap;
	struct rec	*recs;
	size_t		 nrecs, rcap;
	struct field	*req, *cust;	/* resolved per batch */
	size_t		 fcap;
};

/* One customer record, by its expanded key. */
struct crm {
	char		*key;
	struct field	*fields;
	size_t		 n;
	char		*blob;		/* the strings fields point to */
	struct crm	*next;		/* bucket chain */
	struct crm	*next_pending;
};

struct replay_ctx {
	const struct config	*cf;
	struct replay		*rp;
	int			 crm;		/* look customers up */
	redisContext		*redis;
	struct crm		*buckets[REPLAY_CACHE_BUCKETS];
	size_t			 ncached;
	int64_t			 now;
	struct batch		 b;
	char			 facts[CONFIG_MAX_WINDOWS][64];
	struct field		*cust;		/* one record's, counts first */
	size_t			 custcap;
};

static void
usage_replay(void)
{
	fprintf(stderr, "usage: triagectl -c FILE replay --rules CANDIDATE "
	    "[--last N | --since DURATION | --from FILE]\n"
	    "           [--format text|json] [--examples K] [--no-crm]\n");
}

/* Batches. */

static size_t
arena_put(struct batch *b, const char *s, size_t len)
{
	size_t	off = b->alen;

	if (b->alen + len + 1 > b->acap) {
		while (b->alen + len + 1 > b->acap)
			b->acap = b->acap ? b->acap * 2 : 65536;
		if ((b->arena = realloc(b->arena, b->acap)) == NULL)
			fatal("realloc");
	}
	memcpy(b->arena + off, s, len);
	b->arena[off + len] = '\0';
	b->alen += len + 1;
	return off;
}

static struct rec *
batch_rec(struct batch *b, const char *id, size_t idlen)
{
	struct rec	*r;

	if (b->nrecs == b->rcap) {
		b->rcap = b->rcap ? b->rcap * 2 : REPLAY_BATCH;
		if ((b->recs = realloc(b->recs, b->rcap * sizeof *r)) == NULL)
			fatal("realloc");
	}
	r = &b->recs[b->nrecs++];
	memset(r, 0, sizeof *r);
	r->id.off = arena_put(b, id, idlen);
	r->id.len = idlen;
	r->first = b->nspans / 2;
	return r;
}

static struct span *
batch_span(struct batch *b)
{
	if (b->nspans == b->scap) {
		b->scap = b->scap ? b->scap * 2 : REPLAY_BATCH * 16;
		if ((b->spans = realloc(b->spans, b->scap *
		    sizeof *b->spans)) == NULL)
			fatal("realloc");
	}
	return &b->spans[b->nspans++];
}

/* Append a name or a value to the batch's last record. */
static void
batch_str(struct batch *b, const char *s, size_t len)
{
	struct span	*sp = batch_span(b);

	sp->off = arena_put(b, s, len);
	sp->len = len;
	if (b->nspans % 2 == 0)
		b->recs[b->nrecs - 1].n++;
}

static void
batch_reset(struct batch *b)
{
	b->alen = b->nspans = b->nrecs = 0;
}

static void
batch_free(struct batch *b)
{
	free(b->arena);
	free(b->spans);
	free(b->recs);
	free(b->req);
	free(b->cust);
}

/* Customer records. */

static uint32_t
hash(const char *s)
{
	uint32_t	h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void
cache_clear(struct replay_ctx *x)
{
	struct crm	*c, *next;
	size_t		 i;

	for (i = 0; i < REPLAY_CACHE_BUCKETS; i++) {
		for (c = x->buckets[i]; c != NULL; c = next) {
			next = c->next;
			free(c->key);
			free(c->fields);
			free(c->blob);
			free(c);
		}
		x->buckets[i] = NULL;
	}
	x->ncached = 0;
}

/* Copy an HGETALL reply into c. */
static void
crm_fill(struct crm *c, const redisReply *r)
{
	size_t	i, size = 0, o = 0;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 2)
		return;
	for (i = 0; i < r->elements; i++)
		if (r->element[i]->type == REDIS_REPLY_STRING)
			size += r->element[i]->len + 1;
	if ((c->fields = calloc(r->elements / 2, sizeof *c->fields)) == NULL ||
	    (c->blob = malloc(size + 1)) == NULL)
		fatal("malloc");
	for (i = 0; i + 1 < r->elements; i += 2) {
		const redisReply	*k = r->element[i], *v = r->element[i + 1];
		struct field		*f = &c->fields[c->n];

		if (k->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING)
			continue;
		memcpy(c->blob + o, k->str, k->len);
		f->name = c->blob + o;
		f->name_len = k->len;
		o += k->len + 1;
		memcpy(c->blob + o, v->str, v->len);
		f->value = c->blob + o;
		f->value_len = v->len;
		o += v->len + 1;
		c->n++;
	}
}

static int
ctx_connect(struct replay_ctx *x)
{
	if (x->redis == NULL && (x->redis = ctl_redis_connect(x->cf)) == NULL)
		return -1;
	return 0;
}

/*
 * The customer's contacts before the request in each window, as the daemon
 * counted them (route.c): tickets in P+contacts:CUSTOMER created in
 * [created_at - W, created_at).  Contacts older than the longest window
 * before the customer's latest are gone, so an old request counts fewer.
 */
static void
count_send(struct replay_ctx *x, struct ctl_redis_batch *b, struct rec *rc)
{
	char		 key[KEYS_MAX], lo[32], hi[32];
	const char	*argv[4] = { "ZCOUNT", key, lo, hi };
	size_t		 argvlen[4] = { 6, 0, 0, 0 };
	int		 len;

	if ((len = keys_contacts(key, sizeof key, x->cf->redis.prefix,
	    rc->customer, rc->customer_len)) == -1)
		return;		/* not counted, as by the daemon */
	argvlen[1] = (size_t)len;
	for (size_t w = 0; w < x->cf->ncontacts; w++) {
		argvlen[2] = (size_t)snprintf(lo, sizeof lo, "%lld",
		    (long long)(rc->created_at - x->cf->contacts_ms[w]));
		argvlen[3] = (size_t)snprintf(hi, sizeof hi, "(%lld",
		    (long long)rc->created_at);
		ctl_redis_batch_add(b, 4, argv, argvlen);
	}
	rc->counted = 1;
}

/* The counts count_send() asked for, from reply *next of b on. */
static int
count_read(struct replay_ctx *x, const struct ctl_redis_batch *b,
    size_t *next, struct rec *rc)
{
	const redisReply	*r;

	for (size_t w = 0; w < x->cf->ncontacts; w++) {
		r = ctl_redis_batch_reply(b, (*next)++);
		if (r->type != REDIS_REPLY_INTEGER) {
			fprintf(stderr, "triagectl: ZCOUNT: %s\n",
			    r->type == REDIS_REPLY_ERROR ? r->str :
			    "unexpected reply");
			return -1;
		}
		snprintf(rc->contacts[w], sizeof rc->contacts[w], "%lld",
		    r->integer);
	}
	return 0;
}

/* A record's customer fields: its counts first (they win), then its CRM's. */
static const struct field *
rec_customer(struct replay_ctx *x, const struct rec *rc, size_t *n)
{
	size_t	ncrm = rc->crm != NULL ? rc->crm->n : 0, k = 0;

	if (!rc->counted) {
		*n = ncrm;
		return ncrm > 0 ? rc->crm->fields : NULL;
	}
	if (x->cf->ncontacts + ncrm > x->custcap) {
		x->custcap = (x->cf->ncontacts + ncrm) * 2;
		if ((x->cust = realloc(x->cust, x->custcap *
		    sizeof *x->cust)) == NULL)
			fatal("realloc");
	}
	for (size_t w = 0; w < x->cf->ncontacts; w++, k++) {
		x->cust[k].name = x->facts[w];
		x->cust[k].name_len = strlen(x->facts[w]);
		x->cust[k].value = rc->contacts[w];
		x->cust[k].value_len = strlen(rc->contacts[w]);
	}
	for (size_t i = 0; i < ncrm; i++)
		x->cust[k++] = rc->crm->fields[i];
	*n = k;
	return x->cust;
}

/*
 * Give each record of the batch its CRM record: from the cache, or with one
 * pipelined HGETALL per key not seen yet; and its contact counts.
 */
static int
lookup(struct replay_ctx *x, struct batch *b)
{
	struct crm		*pending = NULL, **tail = &pending, *c;
	struct ctl_redis_batch	*cmds;
	const char		*argv[2];
	size_t			 argvlen[2], i, next = 0;
	char			 key[1024], err[REQUEST_ERROR_MAX];
	struct request		 rq;
	const redisReply	*r;
	uint32_t		 h;
	int			 rv = -1;

	cmds = ctl_redis_batch_new();
	if (x->ncached > REPLAY_CACHE_MAX)
		cache_clear(x);
	for (i = 0; i < b->nrecs; i++) {
		struct rec	*rc = &b->recs[i];

		/* The daemon looks up only the requests it routes. */
		if (rc->malformed || request_validate(&x->cf->intake,
		    b->arena + rc->id.off, b->req + rc->first, rc->n, x->now,
		    &rq, err, sizeof err) != REQUEST_OK)
			continue;
		rc->routed = 1;
		rc->customer = rq.customer_id;
		rc->customer_len = rq.customer_id_len;
		rc->created_at = rq.created_at;
		if (x->cf->customers_key == NULL)
			continue;
		if (request_customer_key(x->cf->customers_key, b->req + rc->first, rc->n,
		    key, sizeof key) == -1)
			key[0] = '\0';	/* too long: no record, as the daemon */
		h = hash(key) % REPLAY_CACHE_BUCKETS;
		for (c = x->buckets[h]; c != NULL; c = c->next)
			if (strcmp(c->key, key) == 0)
				break;
		if (c == NULL) {
			if ((c = calloc(1, sizeof *c)) == NULL ||
			    (c->key = strdup(key)) == NULL)
				fatal("calloc");
			c->next = x->buckets[h];
			x->buckets[h] = c;
			x->ncached++;
			*tail = c;
			tail = &c->next_pending;
			argv[0] = "HGETALL";
			argvlen[0] = 7;
			argv[1] = key;
			argvlen[1] = strlen(key);
			ctl_redis_batch_add(cmds, 2, argv, argvlen);
		}
		rc->crm = c;
	}
	/* Sent after every HGETALL, in one pipeline with them. */
	for (i = 0; i < b->nrecs && x->cf->ncontacts > 0; i++) {
		if (b->recs[i].routed)
			count_send(x, cmds, &b->recs[i]);
	}
	if (ctl_redis_batch_count(cmds) == 0) {
		rv = 0;
		goto out;
	}
	if (ctx_connect(x) == -1)
		goto out;
	if (ctl_redis_batch_run(cmds, &x->redis, x->cf) == -1) {
		fprintf(stderr, "triagectl: customer lookup: %s\n",
		    x->redis->errstr);
		goto out;
	}
	for (c = pending; c != NULL; c = c->next_pending) {
		r = ctl_redis_batch_reply(cmds, next++);
		if (r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "triagectl: HGETALL %s: %s\n", c->key,
			    r->str);
			goto out;
		}
		crm_fill(c, r);
	}
	for (i = 0; i < b->nrecs; i++) {
		if (b->recs[i].counted && count_read(x, cmds, &next,
		    &b->recs[i]) == -1)
			goto out;
	}
	rv = 0;
out:
	ctl_redis_batch_free(cmds);
	return rv;
}

static int
is_customer(const struct field *f)
{
	return f->name_len > 9 && memcmp(f->name, "customer.", 9) == 0;
}

/* Classify a complete batch and empty it. */
static int
batch_flush(struct replay_ctx *x)
{
	struct batch	*b = &x->b;
	size_t		 i, j, nreq, ncust, nf = b->nspans / 2;
	struct field	*f;

	if (nf > b->fcap) {
		b->fcap = nf * 2;
		if ((b->req = realloc(b->req, b->fcap * sizeof *b->req)) ==
		    NULL || (b->cust = realloc(b->cust, b->fcap *
		    sizeof *b->cust)) == NULL)
			fatal("realloc");
	}
	for (i = 0; i < nf; i++) {
		f = &b->req[i];
		f->name = b->arena + b->spans[2 * i].off;
		f->name_len = b->spans[2 * i].len;
		f->value = b->arena + b->spans[2 * i + 1].off;
		f->value_len = b->spans[2 * i + 1].len;
	}
	if (x->crm && (x->cf->customers_key != NULL ||
	    x->cf->ncontacts > 0) && lookup(x, b) == -1)
		return -1;
	for (i = 0; i < b->nrecs; i++) {
		struct rec	*rc = &b->recs[i];
		const char	*id = b->arena + rc->id.off;

		if (rc->malformed) {
			replay_add_malformed(x->rp);
			continue;
		}
		if (x->crm) {
			const struct field	*cust;

			cust = rec_customer(x, rc, &ncust);
			replay_add(x->rp, id, b->req + rc->first, rc->n, cust,
			    ncust);
			continue;
		}
		/* --no-crm: customer.NAME fields stand for the CRM record. */
		for (j = nreq = ncust = 0; j < rc->n; j++) {
			f = &b->req[rc->first + j];
			if (is_customer(f)) {
				b->cust[rc->first + ncust] = *f;
				b->cust[rc->first + ncust].name += 9;
				b->cust[rc->first + ncust].name_len -= 9;
				ncust++;
			} else
				b->req[rc->first + nreq++] = *f;
		}
		replay_add(x->rp, id, b->req + rc->first, nreq,
		    b->cust + rc->first, ncust);
	}
	batch_reset(b);
	return 0;
}

/* Redis. */

/* Add the entries of an XRANGE/XREVRANGE reply; the last ID into last. */
static int
add_entries(struct replay_ctx *x, const redisReply *r, char *last,
    size_t lastlen)
{
	size_t	i, j;

	for (i = 0; i < r->elements; i++) {
		const redisReply	*e = r->element[i], *fv, *id;
		struct rec		*rc;

		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING)
			continue;
		id = e->element[0];
		fv = e->element[1];
		snprintf(last, lastlen, "%s", id->str);
		rc = batch_rec(&x->b, id->str, id->len);
		if (fv->type != REDIS_REPLY_ARRAY || fv->elements % 2 != 0) {
			rc->malformed = 1;
			continue;
		}
		for (j = 0; j < fv->elements; j++) {
			if (fv->element[j]->type != REDIS_REPLY_STRING) {
				rc->malformed = 1;
				break;
			}
		}
		if (rc->malformed)
			continue;
		for (j = 0; j < fv->elements; j++)
			batch_str(&x->b, fv->element[j]->str,
			    fv->element[j]->len);
	}
	return (int)r->elements;
}

/*
 * Page through the stream: the newest `last` entries backwards
 * (XREVRANGE), or forwards from since_ms (XRANGE; an entry ID's first part
 * is the time Redis took it).  Each page continues after the previous
 * page's last ID, exclusive.
 */
static int
read_redis(struct replay_ctx *x, const char *key, long last, int64_t since_ms)
{
	char			 from[72], cursor[64], countstr[16];
	const char		*argv[6] = { "XRANGE", key, from, "+", "COUNT",
				    countstr };
	size_t			 argvlen[6] = { 6, strlen(key), 0, 1, 5, 0 };
	redisReply		*r;
	long			 left = last;
	int			 n, count;

	if (ctx_connect(x) == -1)
		return -1;
	if (since_ms >= 0)
		snprintf(from, sizeof from, "%lld", (long long)since_ms);
	else
		snprintf(from, sizeof from, "+");
	for (;;) {
		count = since_ms >= 0 || left > REPLAY_BATCH ? REPLAY_BATCH :
		    (int)left;
		if (count <= 0)
			break;
		if (since_ms < 0) {
			argv[0] = "XREVRANGE";
			argvlen[0] = 9;
			argv[3] = "-";
		}
		argvlen[2] = strlen(from);
		argvlen[5] = (size_t)snprintf(countstr, sizeof countstr, "%d",
		    count);
		/* On Redis Cluster, sent again where the slot is if redirected. */
		r = ctl_redis_argv(&x->redis, x->cf, 6, argv, argvlen);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
			fprintf(stderr, "triagectl: reading %s: %s\n", key,
			    r == NULL ? x->redis->errstr :
			    r->type == REDIS_REPLY_ERROR ? r->str :
			    "unexpected reply");
			freeReplyObject(r);
			return -1;
		}
		cursor[0] = '\0';
		n = add_entries(x, r, cursor, sizeof cursor);
		freeReplyObject(r);
		if (batch_flush(x) == -1)
			return -1;
		left -= n;
		if (n < count || cursor[0] == '\0')
			break;
		snprintf(from, sizeof from, "(%s", cursor);
	}
	return 0;
}

/* Files: replay_input.c reads the text, these callbacks batch it. */

static int
file_begin(void *arg, const char *id, size_t len)
{
	struct replay_ctx	*x = arg;

	if (x->b.nrecs >= REPLAY_BATCH && batch_flush(x) == -1)
		return -1;
	batch_rec(&x->b, id, len);
	return 0;
}

static void
file_string(void *arg, const char *s, size_t len)
{
	struct replay_ctx	*x = arg;

	batch_str(&x->b, s, len);
}

/* Drop what was added of the last record; it stays, malformed. */
static void
file_malformed(void *arg)
{
	struct replay_ctx	*x = arg;
	struct rec		*rc = &x->b.recs[x->b.nrecs - 1];

	x->b.nspans = rc->first * 2;
	rc->n = 0;
	rc->malformed = 1;
}

static int
read_file(struct replay_ctx *x, const char *path)
{
	struct replay_input_sink sink = { file_begin, file_string,
				    file_malformed, x };
	struct replay_input	*in;
	FILE			*fp;
	char			*line = NULL, err[128];
	size_t			 cap = 0;
	ssize_t			 n;
	int			 rv = 0;

	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "triagectl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	in = replay_input_new(&sink);
	while ((n = getline(&line, &cap, fp)) != -1) {
		if (replay_input_line(in, line, n, err, sizeof err) == -1) {
			if (err[0] != '\0')
				fprintf(stderr, "triagectl: %s:%lu: %s\n", path,
				    replay_input_lineno(in), err);
			goto fail;
		}
	}
	if (ferror(fp)) {
		fprintf(stderr, "triagectl: %s: %s\n", path, strerror(errno));
		goto fail;
	}
	replay_input_end(in);
	if (x->b.nrecs > 0 && batch_flush(x) == -1)
		goto fail;
	goto out;
fail:
	rv = -1;
out:
	replay_input_free(in);
	free(line);
	if (fp != stdin)
		fclose(fp);
	return rv;
}

/*
 * Teams in force that the candidate drops: their queues would hold tickets
 * no agent sees (a renamed team).  Their depth, if Redis is at hand.
 */
static void
note_dropped_teams(struct replay_ctx *x, const struct config *cand)
{
	const struct rules	*cur = x->cf->rules;

	for (size_t i = 0; i < rules_team_count(cur); i++) {
		const char	*team = rules_team_name(cur, (int)i);
		long long	 queued = -1;
		redisReply	*r = NULL;
		char		 key[KEYS_MAX];
		const char	*zcard[2] = { "ZCARD", key };
		size_t		 zcard_len[2] = { 5, 0 };
		int		 len;

		if (rules_team_find(cand->rules, team, strlen(team)) != -1)
			continue;
		if (x->redis == NULL)
			x->redis = ctl_redis_connect(x->cf);
		if (x->redis != NULL && (len = keys_queue(key, sizeof key,
		    x->cf->redis.prefix, team, strlen(team))) != -1) {
			zcard_len[1] = (size_t)len;
			r = ctl_redis_argv(&x->redis, x->cf, 2, zcard,
			    zcard_len);
		}
		if (r != NULL) {
			if (r->type == REDIS_REPLY_INTEGER)
				queued = r->integer;
			freeReplyObject(r);
		}
		replay_team_dropped(x->rp, team, queued);
	}
}

int
ctl_replay(const struct config *cf, int argc, char **argv)
{
	const char		*cand_path = NULL, *from = NULL;
	const char		*format = "text", *since_text = NULL;
	const char		*why = NULL;
	struct config		*cand;
	struct replay_ctx	*x;
	char			*diag = NULL, *end, source[1200], msg[256];
	char			 key[KEYS_MAX];
	long			 last = -1, examples = 3;
	int64_t			 since = -1;
	int			 i, rv, crm = 1;

	for (i = 0; i < argc; i++) {
		const char	*a = argv[i], *v = i + 1 < argc ?
		    argv[i + 1] : NULL;

		if (strcmp(a, "--no-crm") == 0) {
			crm = 0;
			continue;
		}
		if (strcmp(a, "--rules") != 0 && strcmp(a, "--from") != 0 &&
		    strcmp(a, "--format") != 0 && strcmp(a, "--last") != 0 &&
		    strcmp(a, "--since") != 0 && strcmp(a, "--examples") != 0) {
			snprintf(msg, sizeof msg, "unknown option '%s'", a);
			why = msg;
			goto usage;
		}
		if (v == NULL) {
			snprintf(msg, sizeof msg, "%s needs a value", a);
			why = msg;
			goto usage;
		}
		i++;
		if (strcmp(a, "--rules") == 0)
			cand_path = v;
		else if (strcmp(a, "--from") == 0)
			from = v;
		else if (strcmp(a, "--format") == 0) {
			if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0) {
				why = "--format is text or json";
				goto usage;
			}
			format = v;
		} else if (strcmp(a, "--last") == 0) {
			errno = 0;
			last = strtol(v, &end, 10);
			if (errno != 0 || *end != '\0' || end == v || last < 1) {
				why = "--last takes a whole number of requests, "
				    "1 or more";
				goto usage;
			}
		} else if (strcmp(a, "--since") == 0) {
			if ((since = duration_parse(v)) <= 0) {
				why = "--since takes a duration such as 90s, "
				    "15m, 2h or 7d";
				goto usage;
			}
			since_text = v;
		} else {
			errno = 0;
			examples = strtol(v, &end, 10);
			if (errno != 0 || *end != '\0' || end == v ||
			    examples < 0 || examples > 1000) {
				why = "--examples takes a number from 0 to 1000";
				goto usage;
			}
		}
	}
	if (cand_path == NULL)
		why = "--rules CANDIDATE is required";
	else if (from != NULL && (last != -1 || since != -1))
		why = "--from reads a file: it cannot be combined with --last "
		    "or --since";
	else if (last != -1 && since != -1)
		why = "give --last or --since, not both";
	if (why != NULL)
		goto usage;
	if (from == NULL && since == -1 && last == -1)
		last = REPLAY_DEFAULT_LAST;

	/* The candidate, with the warnings --check would print. */
	cand = config_load(cand_path, CONFIG_WARN, &diag);
	if (cand == NULL) {
		if (diag != NULL)
			fputs(diag, stderr);
		fprintf(stderr, "triagectl: %s: candidate refused\n",
		    cand_path);
		free(diag);
		return 1;
	}

	if ((x = calloc(1, sizeof *x)) == NULL)
		fatal("calloc");
	x->cf = cf;
	x->crm = crm;
	for (size_t w = 0; w < cf->ncontacts; w++)
		snprintf(x->facts[w], sizeof x->facts[w], CONFIG_CONTACTS_FACT
		    "%s", cf->contacts[w]);
	x->now = now_ms();
	x->rp = replay_new(cf, cand, (size_t)examples, x->now);
	if (from != NULL) {
		snprintf(source, sizeof source, "%s", from);
		rv = read_file(x, from);
	} else if (keys_stream(key, sizeof key, cf->redis.prefix,
	    cf->intake.stream) == -1) {
		fprintf(stderr, "triagectl: the key of stream %s is longer "
		    "than %d bytes\n", cf->intake.stream, KEYS_MAX - 1);
		rv = -1;
	} else if (since != -1) {
		snprintf(source, sizeof source, "%s (the last %s)", key,
		    since_text);
		rv = read_redis(x, key, -1, now_ms() - since);
	} else {
		snprintf(source, sizeof source, "%s (the newest %ld)", key,
		    last);
		rv = read_redis(x, key, last, -1);
	}
	if (rv == 0)
		note_dropped_teams(x, cand);
	if (rv == 0 && replay_classified(x->rp) == 0) {
		/* Nothing compared proves nothing: a pre-reload gate must stop. */
		fprintf(stderr, "triagectl: replay: no request to compare in %s "
		    "(%lu read, none valid): wrong prefix or stream, empty or "
		    "unreadable input? Nothing says the candidate is safe\n",
		    source, replay_read(x->rp));
		rv = 1;
	} else if (rv == 0) {
		if (strcmp(format, "json") == 0)
			replay_print_json(x->rp, source, diag, stdout);
		else
			replay_print_text(x->rp, source, diag, stdout);
		rv = replay_changed(x->rp) > 0 ? 3 : 0;
	} else
		rv = 1;
	if (fflush(stdout) == EOF)
		rv = 1;
	cache_clear(x);
	batch_free(&x->b);
	if (x->redis != NULL)
		redisFree(x->redis);
	replay_free(x->rp);
	free(x->cust);
	free(x);
	free(diag);
	config_free(cand);
	return rv;
usage:
	fprintf(stderr, "triagectl: replay: %s\n", why != NULL ? why :
	    "bad usage");
	usage_replay();
	return 2;
}
