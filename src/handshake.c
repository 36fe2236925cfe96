/*
 * handshake.c - AUTH and SELECT for a new Redis session (see handshake.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "handshake.h"

static void
add(struct handshake_cmd *c, const char *s)
{
	c->argv[c->argc] = s;
	c->argvlen[c->argc++] = strlen(s);
}

size_t
handshake_commands(const struct config_redis *cfg,
    struct handshake_cmd out[2])
{
	const char	*password = NULL;
	size_t		 n = 0;

	memset(out, 0, 2 * sizeof *out);
	if (cfg->password_env != NULL)
		password = getenv(cfg->password_env);
	if (password != NULL && *password != '\0') {
		out[n].name = "AUTH";
		add(&out[n], "AUTH");
		if (cfg->username != NULL)
			add(&out[n], cfg->username);
		add(&out[n], password);
		n++;
	}
	if (cfg->db != 0) {
		out[n].name = "SELECT";
		add(&out[n], "SELECT");
		snprintf(out[n].db, sizeof out[n].db, "%d", cfg->db);
		add(&out[n], out[n].db);
		n++;
	}
	return n;
}
