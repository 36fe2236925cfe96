/*
 * cluster.c - hash slots and redirects of Redis Cluster (see cluster.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"

/*
 * CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, no reflection,
 * the checksum Redis Cluster takes modulo 16384.  Bitwise: a key is hashed
 * once per start, not per command.
 */
static unsigned int
cluster_crc16(const char *buf, size_t len)
{
	unsigned int	crc = 0;

	for (size_t i = 0; i < len; i++) {
		crc ^= (unsigned int)(unsigned char)buf[i] << 8;
		for (int b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
		crc &= 0xffff;
	}
	return crc;
}

const char *
cluster_hashtag(const char *key, size_t keylen, size_t *len)
{
	const char	*open, *close;

	if ((open = memchr(key, '{', keylen)) == NULL)
		return NULL;
	open++;
	close = memchr(open, '}', keylen - (size_t)(open - key));
	if (close == NULL || close == open)
		return NULL;
	*len = (size_t)(close - open);
	return open;
}

int
cluster_keyslot(const char *key, size_t keylen)
{
	const char	*tag;
	size_t		 len;

	if ((tag = cluster_hashtag(key, keylen, &len)) != NULL)
		return (int)(cluster_crc16(tag, len) % CLUSTER_SLOTS);
	return (int)(cluster_crc16(key, keylen) % CLUSTER_SLOTS);
}

int
cluster_parse_node(const char *text, size_t len, char *host, size_t hostsize,
    int *port)
{
	const char	*colon = NULL;
	long		 p = 0;
	size_t		 i, hlen;

	for (i = 0; i < len; i++) {
		if (text[i] == ':')
			colon = text + i;
	}
	if (colon == NULL || colon + 1 == text + len)
		return -1;
	for (const char *c = colon + 1; c < text + len; c++) {
		if (*c < '0' || *c > '9' || p > 65535)
			return -1;
		p = p * 10 + (*c - '0');
	}
	if (p < 1 || p > 65535)
		return -1;
	hlen = (size_t)(colon - text);
	/* [::1]:7000 as well as ::1:7000 */
	if (hlen >= 2 && text[0] == '[' && text[hlen - 1] == ']') {
		text++;
		hlen -= 2;
	}
	if (hlen >= hostsize)
		return -1;
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	*port = (int)p;
	return 0;
}

/* The next space-separated word of s (up to end), or NULL. */
static const char *
word(const char **s, const char *end, size_t *len)
{
	const char	*w;

	while (*s < end && **s == ' ')
		(*s)++;
	if (*s == end)
		return NULL;
	w = *s;
	while (*s < end && **s != ' ')
		(*s)++;
	*len = (size_t)(*s - w);
	return w;
}

#define NONLOCAL	"ERR Script attempted to access a non local key"

static int
starts(const char *err, size_t len, const char *what)
{
	size_t	n = strlen(what);

	return len >= n && memcmp(err, what, n) == 0 &&
	    (len == n || err[n] == ' ');
}

enum cluster_redirect
cluster_redirect(const char *err, size_t len, int *slot, char *host,
    size_t hostsize, int *port)
{
	enum cluster_redirect	 kind;
	const char		*s = err, *end = err + len, *w;
	size_t			 wlen;
	char			 num[8];

	if (starts(err, len, "TRYAGAIN"))
		return CLUSTER_TRYAGAIN;
	/*
	 * A script reached a key of its slot that was migrated already.  The
	 * scripts read every key before their first write, so nothing was
	 * written: like TRYAGAIN, wait for the slot to settle.
	 */
	if (len >= sizeof NONLOCAL - 1 &&
	    memcmp(err, NONLOCAL, sizeof NONLOCAL - 1) == 0)
		return CLUSTER_TRYAGAIN;
	if (starts(err, len, "CLUSTERDOWN"))
		return CLUSTER_DOWN;
	if (starts(err, len, "MOVED"))
		kind = CLUSTER_MOVED;
	else if (starts(err, len, "ASK"))
		kind = CLUSTER_ASK;
	else
		return CLUSTER_NONE;
	word(&s, end, &wlen);			/* MOVED or ASK */
	if ((w = word(&s, end, &wlen)) == NULL || wlen >= sizeof num)
		return CLUSTER_DOWN;
	memcpy(num, w, wlen);
	num[wlen] = '\0';
	*slot = atoi(num);
	if (strspn(num, "0123456789") != wlen || *slot >= CLUSTER_SLOTS)
		return CLUSTER_DOWN;
	if ((w = word(&s, end, &wlen)) == NULL ||
	    cluster_parse_node(w, wlen, host, hostsize, port) == -1)
		return CLUSTER_DOWN;
	return kind;
}

const char *
cluster_redirect_name(enum cluster_redirect r)
{
	static const char *const names[] = {
		[CLUSTER_NONE] = "none",
		[CLUSTER_MOVED] = "MOVED",
		[CLUSTER_ASK] = "ASK",
		[CLUSTER_TRYAGAIN] = "TRYAGAIN",
		[CLUSTER_DOWN] = "CLUSTERDOWN",
	};

	return names[r];
}
