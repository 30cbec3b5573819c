#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The one table from error to text, API code and HTTP status. */
static const struct {
	enum fw_err e;
	const char *text;
	const char *code;
	int status;
} table[] = {
	{FW_OK, "success", "ok", 200},
	{FW_ERR_NOMEM, "out of memory", "internal", 500},
	{FW_ERR_INVALID, "invalid input", "invalid_argument", 400},
	{FW_ERR_NOT_FOUND, "not found", "not_found", 404},
	{FW_ERR_EXISTS, "already exists", "conflict", 409},
	{FW_ERR_UNAUTHORIZED, "authentication required", "unauthorized", 401},
	{FW_ERR_FORBIDDEN, "not permitted for this role", "forbidden", 403},
	{FW_ERR_TOO_LARGE, "too large", "too_large", 413},
	{FW_ERR_IO, "input/output error", "io_error", 500},
	{FW_ERR_CRYPTO, "cryptographic check failed", "crypto_error", 400},
	{FW_ERR_STORE, "storage error", "storage_error", 500},
	{FW_ERR_STATE, "not allowed in the current state", "failed_precondition", 409},
	{FW_ERR_UNSUPPORTED, "not supported", "unsupported", 405},
	{FW_ERR_INTERNAL, "internal error", "internal", 500},
	{FW_ERR_UNAVAILABLE, "service unavailable", "unavailable", 503},
	{FW_ERR_BUSY, "busy, try again", "unavailable", 503},
};

static _Thread_local char detail[512];

static unsigned find(enum fw_err e)
{
	for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].e == e)
			return i;
	return 13; /* FW_ERR_INTERNAL */
}

const char *fw_strerror(enum fw_err e) { return table[find(e)].text; }
const char *fw_err_code(enum fw_err e) { return table[find(e)].code; }
int fw_err_http_status(enum fw_err e) { return table[find(e)].status; }

enum fw_err fw_err_set(enum fw_err e, const char *fmt, ...)
{
	/* Format into a scratch buffer first: callers may pass fw_err_detail()
	 * itself as an argument, to wrap the current detail in more context. */
	char next[sizeof detail];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(next, sizeof next, fmt, ap);
	va_end(ap);
	memcpy(detail, next, sizeof detail);
	return e;
}

const char *fw_err_detail(void) { return detail; }
void fw_err_clear(void) { detail[0] = '\0'; }
