/*
 * crm_import.c - `triagectl crm import FILE`: a CRM export into the
 * customer hashes the daemon reads (customers.key).
 *
 *   FILE --read whole--> crm_parse() --record--> HSET key f v ... (pipelined)
 *                                    '-reject--> "FILE:LINE: reason" on stderr
 *
 * crm_parse.c does the reading (CSV as Excel writes it, encodings, JSON
 * lines); this file only writes.  The HSETs are pipelined, up to
 * IMPORT_WINDOW awaiting their replies, so a million records take seconds
 * rather than a million round trips.  HSET overwrites the fields it names
 * and leaves the others: importing the same file twice changes nothing,
 * and a newer export updates what it holds without losing fields that
 * came from elsewhere (a push, another export).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "config.h"
#include "crm_parse.h"
#include "ctl.h"
#include "ctl_redis.h"
#include "request.h"

#define IMPORT_WINDOW	1000	/* HSETs read back at a time */
#define IMPORT_MAX_MAP	64

struct import {
	const struct config	*cf;
	const char		*path;
	redisContext		*c;
	size_t			 inflight;
	size_t			*lines;		/* of the HSETs in flight, a ring */
	size_t			 head;
	size_t			 written, fields, rejected;
	int			 failed;	/* the connection broke */
	const char		**argv;
	size_t			*argvlen;
};

static void
usage_import(void)
{
	fprintf(stderr, "usage: triagectl -c FILE crm import EXPORT "
	    "[--key COLUMN] [--map COLUMN=field ...]\n"
	    "           [--encoding E] [--delimiter C] "
	    "[--format csv|jsonl]\n");
}

static void
reject(void *arg, size_t line, const char *why)
{
	struct import	*im = arg;

	fprintf(stderr, "%s:%zu: rejected: %s\n", im->path, line, why);
	im->rejected++;
}

/* Read n replies of the HSETs in flight, oldest first. */
static void
drain(struct import *im, size_t n)
{
	redisReply	*r;

	for (; n > 0 && im->inflight > 0 && !im->failed; n--) {
		size_t	line = im->lines[(im->head + 2 * IMPORT_WINDOW -
			    im->inflight) % (2 * IMPORT_WINDOW)];

		if (redisGetReply(im->c, (void **)&r) != REDIS_OK) {
			fprintf(stderr, "triagectl: crm import: Redis: %s\n",
			    im->c->errstr);
			im->failed = 1;
			return;
		}
		im->inflight--;
		if (r->type == REDIS_REPLY_ERROR) {
			char	why[256];

			snprintf(why, sizeof why, "Redis refused it: %.200s",
			    r->str);
			reject(im, line, why);
			im->written--;
		}
		freeReplyObject(r);
	}
}

static void
record(void *arg, size_t line, const char *key, size_t key_len,
    const struct field *f, size_t n)
{
	struct import	*im = arg;
	struct field	*all;
	char		 hkey[1024];
	int		 argc = 0;

	if (im->failed)
		return;
	/* customers.key's {customer_id} is the ID; {other} a column's. */
	if ((all = calloc(n + 1, sizeof *all)) == NULL) {
		im->failed = 1;
		return;
	}
	all[0] = (struct field){ "customer_id", 11, key, key_len };
	memcpy(all + 1, f, n * sizeof *f);
	if (request_customer_key(im->cf->customers_key, all, n + 1, hkey,
	    sizeof hkey) == -1) {
		free(all);
		reject(im, line, "its customers.key is longer than 1023 bytes");
		return;
	}
	free(all);
	im->argv[argc] = "HSET";
	im->argvlen[argc++] = 4;
	im->argv[argc] = hkey;
	im->argvlen[argc++] = strlen(hkey);
	for (size_t i = 0; i < n; i++) {
		im->argv[argc] = f[i].name;
		im->argvlen[argc++] = f[i].name_len;
		im->argv[argc] = f[i].value;
		im->argvlen[argc++] = f[i].value_len;
	}
	if (redisAppendCommandArgv(im->c, argc, im->argv, im->argvlen) !=
	    REDIS_OK) {
		fprintf(stderr, "triagectl: crm import: out of memory\n");
		im->failed = 1;
		return;
	}
	im->lines[im->head] = line;
	im->head = (im->head + 1) % (2 * IMPORT_WINDOW);
	im->inflight++;
	im->written++;
	im->fields += n;
	if (im->inflight == 2 * IMPORT_WINDOW)
		drain(im, IMPORT_WINDOW);
}

/* The whole file, or standard input for "-"; NULL with the reason said. */
static char *
slurp(const char *path, size_t *len)
{
	FILE	*f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char	*buf = NULL, *n;
	size_t	 cap = 0, got;

	*len = 0;
	if (f == NULL) {
		fprintf(stderr, "triagectl: crm import: %s: %s\n", path,
		    strerror(errno));
		return NULL;
	}
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			if ((n = realloc(buf, cap + 1)) == NULL) {
				fprintf(stderr, "triagectl: crm import: %s: out "
				    "of memory\n", path);
				free(buf);
				buf = NULL;
				break;
			}
			buf = n;
		}
		if ((got = fread(buf + *len, 1, cap - *len, f)) == 0)
			break;
		*len += got;
	}
	if (buf != NULL && ferror(f)) {
		fprintf(stderr, "triagectl: crm import: %s: read error\n", path);
		free(buf);
		buf = NULL;
	}
	if (f != stdin)
		fclose(f);
	if (buf != NULL)
		buf[*len] = '\0';
	return buf;
}

static double
seconds(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
import_run(const struct config *cf, const char *path,
    const struct crm_options *o)
{
	struct import	 im = { .cf = cf, .path = path };
	struct crm_sink	 sink = { record, reject, &im };
	char		*buf, err[256];
	size_t		 len;
	double		 t0, dt;
	int		 rv;

	if (cf->customers_key == NULL) {
		fprintf(stderr, "triagectl: crm import: customers.key is not "
		    "set in %s: the daemon reads no customer records\n",
		    cf->path);
		return 1;
	}
	if ((buf = slurp(path, &len)) == NULL)
		return 1;
	if ((im.c = ctl_redis_connect(cf)) == NULL) {
		free(buf);
		return 1;
	}
	im.lines = calloc(2 * IMPORT_WINDOW, sizeof *im.lines);
	im.argv = calloc(2 + 2 * CRM_MAX_COLUMNS, sizeof *im.argv);
	im.argvlen = calloc(2 + 2 * CRM_MAX_COLUMNS, sizeof *im.argvlen);
	if (im.lines == NULL || im.argv == NULL || im.argvlen == NULL) {
		fprintf(stderr, "triagectl: crm import: out of memory\n");
		rv = 1;
		goto out;
	}
	t0 = seconds();
	rv = crm_parse(buf, len, o, &sink, err, sizeof err);
	drain(&im, im.inflight);
	dt = seconds() - t0;
	if (rv == -1) {
		fprintf(stderr, "triagectl: crm import: %s: %s\n", path, err);
		rv = 1;
		goto out;
	}
	printf("imported %zu records (%zu fields) into %s in %.2f s "
	    "(%.0f records/s); %zu rejected\n", im.written, im.fields,
	    cf->customers_key, dt, dt > 0 ? (double)im.written / dt : 0.0,
	    im.rejected);
	rv = im.failed || im.rejected > 0 ? 1 : 0;
out:
	free(im.lines);
	free(im.argv);
	free(im.argvlen);
	redisFree(im.c);
	free(buf);
	return rv;
}

/* `crm import EXPORT [options]`. */
int
ctl_crm(const struct config *cf, int argc, char **argv)
{
	struct crm_map		 map[IMPORT_MAX_MAP];
	struct crm_options	 o = { .map = map };
	const char		*path = NULL;
	char			*eq;

	if (argc < 1 || strcmp(argv[0], "import") != 0) {
		fprintf(stderr, "triagectl: crm: expected `crm import "
		    "EXPORT`\n");
		usage_import();
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		const char	*a = argv[i];
		const char	*v = i + 1 < argc ? argv[i + 1] : NULL;

		if (a[0] != '-' || strcmp(a, "-") == 0) {
			if (path != NULL)
				goto usage;
			path = a;
			continue;
		}
		if (v == NULL)
			goto usage;
		i++;
		if (strcmp(a, "--key") == 0)
			o.key = v;
		else if (strcmp(a, "--encoding") == 0)
			o.encoding = v;
		else if (strcmp(a, "--map") == 0) {
			if ((eq = strrchr(v, '=')) == NULL || eq == v ||
			    eq[1] == '\0' || o.nmap == IMPORT_MAX_MAP) {
				fprintf(stderr, "triagectl: crm import: --map "
				    "takes COLUMN=field (at most %d): '%s'\n",
				    IMPORT_MAX_MAP, v);
				return 2;
			}
			*eq = '\0';
			map[o.nmap].from = v;
			map[o.nmap++].to = eq + 1;
		} else if (strcmp(a, "--delimiter") == 0) {
			if (strcmp(v, "tab") == 0 || strcmp(v, "\\t") == 0)
				o.delimiter = '\t';
			else if (strlen(v) == 1 && v[0] != '"' && v[0] != '\n')
				o.delimiter = (unsigned char)v[0];
			else
				goto usage;
		} else if (strcmp(a, "--format") == 0) {
			if (strcmp(v, "csv") == 0)
				o.format = CRM_CSV;
			else if (strcmp(v, "jsonl") == 0)
				o.format = CRM_JSONL;
			else
				goto usage;
		} else
			goto usage;
	}
	if (path == NULL)
		goto usage;
	return import_run(cf, path, &o);
usage:
	usage_import();
	return 2;
}
