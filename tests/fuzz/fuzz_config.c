/*
 * fuzz_config.c - libFuzzer target for the rules file loader.
 *
 * config_load() reads a path, so each input is written to one private
 * temporary file and loaded from there, with the warnings' analysis on.
 * A config that loads is also classified against an empty request and
 * explained, so the compiled rules are exercised as well as the parser.
 * Inputs are capped at 64 KiB: real rules files are far smaller, and
 * longer inputs only slow the search down.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "rules.h"

#define FUZZ_MAX_INPUT	(64 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	fuzz_path[64];

static void
fuzz_cleanup(void)
{
	if (fuzz_path[0] != '\0')
		unlink(fuzz_path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*cf;
	struct verdict	 v;
	struct field	 req = { "channel", 7, "phone", 5 };
	FILE		*f;
	char		*diag = NULL;
	int		 fd;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (fuzz_path[0] == '\0') {
		strcpy(fuzz_path, "/tmp/fuzz_config_XXXXXX");
		if ((fd = mkstemp(fuzz_path)) == -1)
			abort();
		close(fd);
		atexit(fuzz_cleanup);
	}
	if ((f = fopen(fuzz_path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);

	cf = config_load(fuzz_path, CONFIG_WARN, &diag);
	if (cf != NULL) {
		rules_classify(cf->rules, &req, 1, NULL, 0, &v);
		if ((f = fopen("/dev/null", "w")) != NULL) {
			rules_explain(cf->rules, &req, 1, NULL, 0, f);
			config_summary(cf, f);
			fclose(f);
		}
		config_free(cf);
	} else if (diag == NULL)
		abort();	/* a failed load must say why */
	free(diag);
	return 0;
}
