/*
 * fuzz_crm.c - CRM exports (crm_parse.c) and push bodies (crm_json.c) on
 * arbitrary bytes.  Input: one byte of options (bit 0: JSON lines, bit 1:
 * GBK, bit 2: a tab delimiter, bit 3: --key "Record Id" mapped), then the
 * export, at most 256 KiB.  Every record handed out must have a valid
 * customer ID, non-empty values and lines that only go forward.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crm_json.h"
#include "crm_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static size_t	last_line;

static void
on_record(void *arg, size_t line, const char *key, size_t key_len,
    const struct field *f, size_t n)
{
	(void)arg;
	if (!crm_parse_key_valid(key, key_len) || line < last_line ||
	    line == 0)
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		if (f[i].value_len == 0 || f[i].name_len == 0)
			__builtin_trap();
	last_line = line;
}

static void
on_reject(void *arg, size_t line, const char *why)
{
	(void)arg;
	if (line == 0 || *why == '\0')
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_map		 map[] = { { "Record Id", "customer_id" } };
	struct crm_options	 o = { 0 };
	struct crm_sink		 sink = { on_record, on_reject, NULL };
	struct crm_json		*cj;
	char			 err[256];
	uint8_t			 opt;

	if (size < 1 || size > 256 * 1024)
		return 0;
	opt = data[0];
	data++;
	size--;
	o.format = opt & 1 ? CRM_JSONL : CRM_AUTO;
	o.encoding = opt & 2 ? "gbk" : NULL;
	o.delimiter = opt & 4 ? '\t' : 0;
	if (opt & 8) {
		o.map = map;
		o.nmap = 1;
	}
	last_line = 0;
	crm_parse((const char *)data, size, &o, &sink, err, sizeof err);
	cj = crm_json_parse((const char *)data, size, err, sizeof err);
	crm_json_free(cj);
	return 0;
}
