/*
 * loadgen - gateway load for the benchmarks, on hiredis.
 *
 *	loadgen [-h HOST] [-p PORT] [-P PREFIX] fill N [START]
 *	loadgen [-h HOST] [-p PORT] [-P PREFIX] offer RATE SECONDS [START]
 *	loadgen [-h HOST] [-p PORT] crm CUSTOMERS
 *
 * fill appends N requests to P+requests as fast as a pipeline goes;
 * offer appends RATE requests a second for SECONDS, paced every
 * millisecond, as gateways would; crm writes the customers' CRM hashes
 * (crm:customer:C00000 ...) the sample rules read.  Requests vary as a
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

/* RATE a second, sent every millisecond; says how far behind it fell. */
static int
offer(redisContext *c, const char *stream, long rate, double seconds,
    long start)
{
	double	t0 = now_s(), t;
	long	sent = 0, due, i, total = (long)(rate * seconds);

	while (sent < total) {
		t = now_s() - t0;
		due = (long)(t * rate);
		if (due > total)
			due = total;
		for (i = sent; i < due; i++)
			append_request(c, stream, start + i);
		if (read_replies(c, due - sent) == -1)
			return -1;
		sent = due;
		usleep(1000);
	}
	t = now_s() - t0;
	printf("offered %ld requests in %.2f s = %.0f/s\n", sent, t,
	    sent / t);
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

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen [-h HOST] [-p PORT] [-P PREFIX] "
	    "fill N [START] | offer RATE SECONDS [START] | crm CUSTOMERS\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	redisContext	*c;
	const char	*host = "127.0.0.1", *prefix = "triage:";
	char		 stream[256];
	int		 ch, port = 6379, rv;

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
	else
		usage();
	redisFree(c);
	return rv == 0 ? 0 : 1;
}
