/*
 * fuzz_request.c - request validation on arbitrary field/value pairs.
 * Input: pairs separated by NUL bytes (name\0value\0...), at most 64 KiB.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_fields.h"
#include "config.h"
#include "request.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		*channels[] = { "phone", "email", "chat" };
	struct config_intake	 in = { .channels = channels, .nchannels = 3,
				    .max_field_bytes = 1024 };
	struct field		 f[64];
	size_t			 n;
	struct request		 rq;
	char			 err[REQUEST_ERROR_MAX];

	if (size > 65536)
		return 0;
	n = fuzz_fields(data, size, f, 64);
	if (request_validate(&in, "1764000000000-0", f, n, 1764000000000LL,
	    &rq, err, sizeof err) == REQUEST_OK && rq.id_len == 0)
		__builtin_trap();	/* a valid request always has an ID */
	return 0;
}
