/*
 * loadgen - gateway load for the benchmarks, on hiredis.
 *
 *	loadgen [-h HOST] [-p PORT] [-P PREFIX] fill N [START]
 *	loadgen [-h HOST] [-p PORT] [-P PREFIX] offer RATE SECONDS [START]
 *	loadgen [-h HOST] [-p PORT] crm CUSTOMERS
 *	loadgen [-h HOST] [-p PORT] [-P PREFIX] floor N DB
 *
 * fill appends N requests to P+requests as fast as a pipeline goes;
 * offer appends RATE requests a second for SECONDS, paced every
 * millisecond, as gateways would, and prints the 99th percentile of its
 * XADDs' round trips; crm writes the customers' CRM hashes
 * (crm:customer:C00000 ...) the sample rules read.  floor copies what
 * routing wrote for tickets B-0 .. B-(N-1) into database DB with bare
 * pipelined commands and no script -- each ticket's HSET, its contact's
 * ZADD and PEXPIRE, the queues' and the schedule's members in ZADDs of
 * 256 -- so that what Redis spends on them (INFO commandstats) is the
 * least a routed request can cost it.  Requests vary as a
 * call center's do: channel, category, English and Chinese subjects,
 * order values, severities, and 2,000 customers of every tier.  Each
 * request's `id` is B-START, B-START+1, ...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#define PIPELINE	1000	/* requests in flight in fill */

static const char *subjects[] = {
	"Cannot log in to my account", "Invoice shows the wrong amount",
	"Service is down for the whole office - urgent",
	"Question about my order", "无法登录账户", "紧急：系统宕机",
	"发票金额有误", "退货流程咨询", "Refund for a damaged item",
	"Password reset link does not arrive",
};
static const char *categories[] = {
	"technical", "billing", "after_sales", "outage", "general"
};
static const char *channels[] = { "phone", "email", "chat", "web" };
static const char *severities[] = { "outage", "security", "minor" };

static unsigned long	rng = 88172645463325252UL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* Append one request's XADD to the connection's output buffer. */
static void
append_request(redisContext *c, const char *stream, long i)
{
	const char	*argv[20];
	size_t		 n = 0;
	char		 id[32], cust[16], body[64], value[16];

	snprintf(id, sizeof id, "B-%ld", i);
	snprintf(cust, sizeof cust, "C%05u", rnd(2000));
	snprintf(body, sizeof body, "Request number %ld from the generator.",
	    i);
	argv[n++] = "XADD";
	argv[n++] = stream;
	argv[n++] = "*";
	argv[n++] = "id";
	argv[n++] = id;
	argv[n++] = "customer_id";
	argv[n++] = cust;
	argv[n++] = "channel";
	argv[n++] = channels[rnd(4)];
	argv[n++] = "subject";
	argv[n++] = subjects[rnd(10)];
	argv[n++] = "body";
	argv[n++] = body;
	argv[n++] = "category";
	argv[n++] = categories[rnd(5)];
	if (rnd(10) == 0) {
		static const char *values[] = { "500", "25000", "150000" };

		snprintf(value, sizeof value, "%s", values[rnd(3)]);
		argv[n++] = "order_value";
		argv[n++] = value;
	}
	if (rnd(20) == 0) {
		argv[n++] = "severity";
		argv[n++] = severities[rnd(3)];
	}
	redisAppendCommandArgv(c, (int)n, argv, NULL);
}

static int
read_replies(redisContext *c, long n)
{
	redisReply	*r;

	while (n-- > 0) {
		if (redisGetReply(c, (void **)&r) != REDIS_OK) {
			fprintf(stderr, "loadgen: %s\n", c->errstr);
			return -1;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "loadgen: %s\n", r->str);
			freeReplyObject(r);
			return -1;
		}
		freeReplyObject(r);
	}
	return 0;
}

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
fill(redisContext *c, const char *stream, long n, long start)
{
	long	i, inflight = 0;

	for (i = start; i < start + n; i++) {
		append_request(c, stream, i);
		if (++inflight == PIPELINE) {
			if (read_replies(c, inflight) == -1)
				return -1;
			inflight = 0;
		}
	}
	return read_replies(c, inflight);
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The P-quantile of N values, which it sorts. */
static double
quantile(double *v, long n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return v[(long)(p * (double)(n - 1))];
}

/*
 * RATE a second, sent every millisecond; says how far behind it fell.
 * It also says how long Redis took to answer its XADDs (99th percentile
 * over its turns): the same run's floor under any arrival-to-ticket
 * latency, which needs at least two such waits.
 */
static int
offer(redisContext *c, const char *stream, long rate, double seconds,
    long start)
{
	double	 t0 = now_s(), t, *rtt;
	long	 sent = 0, due, i, total = (long)(rate * seconds), turns = 0;
	long	 cap = (long)(seconds * 1000) + 16;

	if ((rtt = calloc((size_t)cap, sizeof *rtt)) == NULL) {
		fprintf(stderr, "loadgen: out of memory\n");
		return -1;
	}
	while (sent < total) {
		t = now_s() - t0;
		due = (long)(t * rate);
		if (due > total)
			due = total;
		for (i = sent; i < due; i++)
			append_request(c, stream, start + i);
		if (read_replies(c, due - sent) == -1) {
			free(rtt);
			return -1;
		}
		if (due > sent && turns < cap)
			rtt[turns++] = (now_s() - t0 - t) * 1e3;
		sent = due;
		usleep(1000);
	}
	t = now_s() - t0;
	printf("offered %ld requests in %.2f s = %.0f/s\n", sent, t,
	    sent / t);
	printf("rtt_p99_ms %.1f\n", quantile(rtt, turns, 0.99));
	free(rtt);
	return 0;
}

static int
crm(redisContext *c, long n)
{
	static const char *levels[] = { "vip", "gold", "standard",
	    "standard", "standard" };
	char	 key[64], value[16];
	long	 i;

	for (i = 0; i < n; i++) {
		snprintf(key, sizeof key, "crm:customer:C%05ld", i);
		snprintf(value, sizeof value, "%u", rnd(1000000));
		redisAppendCommand(c, "HSET %s level %s annual_value %s "
		    "region %s", key, levels[i % 5], value,
		    i % 2 ? "east" : "south");
	}
	return read_replies(c, n);
}

/* A pipelined copy: send what is appended, count the replies. */
static int
flush_copy(redisContext *dst, long *pending)
{
	int	rv = read_replies(dst, *pending);

	*pending = 0;
	return rv;
}

/* Copy sorted set KEY of db 0 into dst, 256 members a ZADD. */
static int
copy_zset(redisContext *src, redisContext *dst, const char *key)
{
	redisReply	*r;
	const char	*argv[2 + 2 * 256];
	long		 from = 0, pending = 0;
	size_t		 i, n;
	int		 rv = 0;

	for (;;) {
		r = redisCommand(src, "ZRANGE %s %ld %ld WITHSCORES", key, from,
		    from + 255);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
			fprintf(stderr, "loadgen: ZRANGE %s failed\n", key);
			return -1;
		}
		if ((n = r->elements) == 0) {
			freeReplyObject(r);
			break;
		}
		argv[0] = "ZADD";
		argv[1] = key;
		for (i = 0; i + 1 < n; i += 2) {
			argv[2 + i] = r->element[i + 1]->str;	/* score */
			argv[3 + i] = r->element[i]->str;	/* member */
		}
		redisAppendCommandArgv(dst, (int)(2 + n), argv, NULL);
		pending++;
		rv = flush_copy(dst, &pending);
		freeReplyObject(r);
		if (rv == -1)
			return -1;
		from += 256;
	}
	return 0;
}

static const char *
field(const redisReply *h, const char *name)
{
	for (size_t i = 0; i + 1 < h->elements; i += 2)
		if (strcmp(h->element[i]->str, name) == 0)
			return h->element[i + 1]->str;
	return NULL;
}

static int
floor_copy(redisContext *src, const char *prefix, long n, int db)
{
	redisContext	*dst;
	redisReply	*r, *h[256];
	const char	*argv[2 + 2 * 256];
	char		 key[256], ckey[256], pat[256];
	long		 i, j, k, pending = 0;
	const char	*cust, *created;

	if ((dst = redisConnect(src->tcp.host, src->tcp.port)) == NULL ||
	    dst->err) {
		fprintf(stderr, "loadgen: cannot connect\n");
		return -1;
	}
	freeReplyObject(redisCommand(dst, "SELECT %d", db));
	for (i = 0; i < n; i += 256) {
		k = i + 256 < n ? 256 : n - i;
		for (j = 0; j < k; j++)
			redisAppendCommand(src, "HGETALL %sticket:B-%ld", prefix,
			    i + j);
		for (j = 0; j < k; j++)
			if (redisGetReply(src, (void **)&h[j]) != REDIS_OK)
				return -1;
		for (j = 0; j < k; j++) {
			size_t	m = h[j]->elements;

			if (h[j]->type != REDIS_REPLY_ARRAY || m == 0 ||
			    m > 2 * 256)
				continue;
			snprintf(key, sizeof key, "%sticket:B-%ld", prefix,
			    i + j);
			argv[0] = "HSET";
			argv[1] = key;
			for (size_t e = 0; e < m; e++)
				argv[2 + e] = h[j]->element[e]->str;
			redisAppendCommandArgv(dst, (int)(2 + m), argv, NULL);
			pending++;
			cust = field(h[j], "customer_id");
			created = field(h[j], "created_at");
			if (cust != NULL && created != NULL) {
				snprintf(ckey, sizeof ckey, "%scontacts:%s",
				    prefix, cust);
				redisAppendCommand(dst, "ZADD %s %s %s", ckey,
				    created, key + strlen(prefix) +
				    strlen("ticket:"));
				redisAppendCommand(dst, "PEXPIRE %s %s", ckey,
				    "604800000");
				pending += 2;
			}
		}
		for (j = 0; j < k; j++)
			freeReplyObject(h[j]);
		if (flush_copy(dst, &pending) == -1)
			return -1;
	}
	snprintf(pat, sizeof pat, "%squeue:*", prefix);
	r = redisCommand(src, "KEYS %s", pat);
	for (size_t q = 0; r != NULL && q < r->elements; q++)
		if (copy_zset(src, dst, r->element[q]->str) == -1)
			return -1;
	freeReplyObject(r);
	snprintf(key, sizeof key, "%ssla", prefix);
	if (copy_zset(src, dst, key) == -1)
		return -1;
	redisFree(dst);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen [-h HOST] [-p PORT] [-P PREFIX] "
	    "fill N [START] | offer RATE SECONDS [START] | crm CUSTOMERS | "
	    "floor N DB\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	redisContext	*c;
	const char	*host = "127.0.0.1", *prefix = "triage:";
	char		 stream[256];
	int		 ch, port = 6379, rv = -1;

	while ((ch = getopt(argc, argv, "h:p:P:")) != -1) {
		switch (ch) {
		case 'h':
			host = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'P':
			prefix = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage();
	snprintf(stream, sizeof stream, "%srequests", prefix);
	if ((c = redisConnect(host, port)) == NULL || c->err) {
		fprintf(stderr, "loadgen: cannot connect to %s:%d\n", host,
		    port);
		return 1;
	}
	if (strcmp(argv[0], "fill") == 0)
		rv = fill(c, stream, atol(argv[1]), argc > 2 ? atol(argv[2]) :
		    0);
	else if (strcmp(argv[0], "offer") == 0 && argc >= 3)
		rv = offer(c, stream, atol(argv[1]), atof(argv[2]),
		    argc > 3 ? atol(argv[3]) : 0);
	else if (strcmp(argv[0], "crm") == 0)
		rv = crm(c, atol(argv[1]));
	else if (strcmp(argv[0], "floor") == 0 && argc >= 3)
		rv = floor_copy(c, prefix, atol(argv[1]), atoi(argv[2]));
	else
		usage();
	redisFree(c);
	return rv == 0 ? 0 : 1;
}
