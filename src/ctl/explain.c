/*
 * explain.c - `triagectl explain field=value ...`: how a request would be
 * classified, routed and timed, without Redis.
 *
 * Arguments are the request's fields; "customer.NAME=value" stands for the
 * CRM field NAME, as the daemon would have read it from customers.key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ctl.h"
#include "field.h"
#include "log.h"
#include "request.h"
#include "rules.h"

int
ctl_explain(const struct config *cf, int argc, char **argv)
{
	struct field	*req, *cust, *f;
	size_t		 nreq = 0, ncust = 0;
	size_t		 plen = strlen("customer.");
	char		*eq;
	int		 i;

	if ((req = calloc(argc + 1, sizeof *req)) == NULL ||
	    (cust = calloc(argc + 1, sizeof *cust)) == NULL)
		fatal("calloc");
	for (i = 0; i < argc; i++) {
		eq = strchr(argv[i], '=');
		if (eq == NULL || eq == argv[i] ||
		    (strncmp(argv[i], "customer.", plen) == 0 &&
		    eq == argv[i] + plen)) {
			fprintf(stderr, "explain: malformed argument '%s' "
			    "(expected field=value or customer.NAME=value)\n",
			    argv[i]);
			free(req);
			free(cust);
			return 2;
		}
		if (strncmp(argv[i], "customer.", plen) == 0) {
			f = &cust[ncust++];
			f->name = argv[i] + plen;
		} else {
			f = &req[nreq++];
			f->name = argv[i];
		}
		f->name_len = eq - f->name;
		f->value = eq + 1;
		f->value_len = strlen(eq + 1);
	}
	/* A request the daemon would dead-letter is never classified. */
	{
		struct request	rq;
		char		err[REQUEST_ERROR_MAX], id[32];
		long long	now = (long long)time(NULL) * 1000;

		snprintf(id, sizeof id, "%lld-0", now);
		if (request_validate(&cf->intake, id, req, nreq, now, &rq, err,
		    sizeof err) != REQUEST_OK) {
			fprintf(stderr, "explain: the daemon would dead-letter "
			    "this request: %s\n", err);
			free(req);
			free(cust);
			return 1;
		}
	}
	printf("rules: %s (version %s)\n", cf->path, cf->version);
	rules_explain(cf->rules, req, nreq, cust, ncust, stdout);
	free(req);
	free(cust);
	return 0;
}
