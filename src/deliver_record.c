/*
 * deliver_record.c - a delivery's writes, one script call each
 * (deliver_record.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "argv.h"
#include "deliver.h"
#include "deliver_record.h"
#include "keys.h"
#include "now.h"
#include "payload.h"
#include "script.h"

/*
 * KEYS: progress hash, alerts stream, dead stream, firing set, firing
 * alerts hash.  ARGV: group, entry ID, receiver, state, ack, member,
 * score, stored alert, then a dead letter's field/value pairs if any.
 */
static const char record_script[] =
"local h, alerts, dead, firing, fa = KEYS[1], KEYS[2], KEYS[3], KEYS[4],\n"
"  KEYS[5]\n"
"local group, id, recv, state, ack, member, score, data =\n"
"  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]\n"
"if recv ~= '' then redis.call('HSET', h, recv, state) end\n"
"if member ~= '' then\n"
"  redis.call('ZADD', firing, score, member)\n"
"  redis.call('HSET', fa, member, data)\n"
"end\n"
"if #ARGV > 8 then redis.call('XADD', dead, '*', unpack(ARGV, 9)) end\n"
"if ack == '1' then\n"
"  redis.call('XACK', alerts, group, id)\n"
"  redis.call('PEXPIRE', h, 1)\n"
"end\n"
"return 1\n";

struct deliver_record {
	struct rconn		*writer;
	const char		*prefix;
	const struct keys	*fixed;
	struct script		 script;
};

/*
 * An alert's dead letter, in deadletter.h's layout: the alert's fields,
 * then error, source_id, failed_at, source_stream, so that
 * deadletter_original() and `triagectl dead redrive` take it apart like
 * any other.  It is not made by deadletter_argv(), for two reasons: that
 * builder copies an entry of a struct batch (route.c's and events.c's
 * arena), while a job keeps only the alert parsed out of its entry, whose
 * reply is gone by the time a receiver gives up; and a receiver's dead
 * letter carries `receiver` among the original fields (a redrive delivers
 * to that receiver alone), which the shared builder has no place for.
 * There are at most ALERT_NFIELDS fields, copied out of an entry Redis
 * already holds, so nothing is left out or cut (no fields_dropped or
 * values_cut).
 */
static void
push_dead_letter(struct argv *a, const struct deliver_record_call *c)
{
	for (int i = 0; i < ALERT_NFIELDS; i++) {
		if (c->alert->f[i] == NULL)
			continue;
		argv_push_str(a, alert_field_name(i));
		argv_push_str(a, c->alert->f[i]);
	}
	if (c->receiver != NULL) {
		/* A redrive delivers it to this receiver only. */
		argv_push_str(a, "receiver");
		argv_push_str(a, c->receiver);
	}
	argv_push_str(a, "error");
	argv_push_str(a, c->dead);
	argv_push_str(a, "source_id");
	argv_push_str(a, c->id);
	argv_push_str(a, "failed_at");
	argv_push_num(a, now_ms());
	argv_push_str(a, "source_stream");
	argv_push_str(a, KEYS_ALERTS);
}

enum deliver_record_sent
deliver_record_send(struct deliver_record *dr,
    const struct deliver_record_call *c, rconn_reply_cb *cb, void *arg)
{
	struct argv	*a;
	const char	*cmd;
	char		 h[KEYS_MAX];
	size_t		 len;
	int		 rv;

	if (rconn_state(dr->writer) != RCONN_READY)
		return RECORD_DOWN;
	if (!script_ensure(&dr->script, dr->writer))
		return RECORD_LOADING;
	(void)keys_delivery(h, sizeof h, dr->prefix, c->id);
	a = argv_new();
	argv_push_str(a, "EVALSHA");
	argv_push_str(a, dr->script.sha);
	argv_push_str(a, "5");
	argv_push_str(a, h);
	argv_push_str(a, dr->fixed->alerts);
	argv_push_str(a, dr->fixed->dead);
	argv_push_str(a, dr->fixed->firing);
	argv_push_str(a, dr->fixed->firing_alerts);
	argv_push_str(a, DELIVER_GROUP);
	argv_push_str(a, c->id);
	argv_push_str(a, c->receiver != NULL ? c->receiver : "");
	argv_push_str(a, c->state != NULL ? c->state : "");
	argv_push_str(a, c->ack ? "1" : "0");
	argv_push_str(a, c->member != NULL ? c->member : "");
	argv_push_num(a, c->score);
	argv_push_str(a, c->stored != NULL ? c->stored : "");
	if (c->dead != NULL)
		push_dead_letter(a, c);
	cmd = argv_command(a, &len);
	rv = rconn_formatted(dr->writer, cb, arg, cmd, len);
	argv_free(a);
	return rv == 0 ? RECORD_SENT : RECORD_DOWN;
}

void
deliver_record_attempts(struct deliver_record *dr, const char *id,
    const char *receiver, int attempts)
{
	char	h[KEYS_MAX], state[32];

	if (rconn_state(dr->writer) != RCONN_READY)
		return;
	(void)keys_delivery(h, sizeof h, dr->prefix, id);
	snprintf(state, sizeof state, "retry %d", attempts);
	(void)rconn_command(dr->writer, NULL, NULL, "HSET %s %s %s", h,
	    receiver, state);
}

int
deliver_record_missing(struct deliver_record *dr, const struct redisReply *r)
{
	return script_missing(&dr->script, dr->writer, r);
}

void
deliver_record_load(struct deliver_record *dr)
{
	if (rconn_state(dr->writer) == RCONN_READY)
		(void)script_ensure(&dr->script, dr->writer);
}

struct deliver_record *
deliver_record_new(struct rconn *writer, const char *prefix,
    const struct keys *fixed)
{
	struct deliver_record	*dr;

	if ((dr = calloc(1, sizeof *dr)) == NULL)
		return NULL;
	dr->prefix = prefix;
	dr->writer = writer;
	dr->fixed = fixed;
	script_init(&dr->script, "delivery record", record_script, NULL,
	    NULL);
	return dr;
}

void
deliver_record_free(struct deliver_record *dr)
{
	if (dr == NULL)
		return;
	free(dr);
}
