#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"

static enum fw_log_level min_level = FW_LOG_INFO;
static _Thread_local char request_id[40];
static const char *const names[] = {"debug", "info", "warn", "error"};

void fw_log_set_level(enum fw_log_level min) { min_level = min; }

enum fw_err fw_log_level_parse(const char *s, enum fw_log_level *out)
{
	for (unsigned i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum fw_log_level)i;
			return FW_OK;
		}
	return fw_err_set(FW_ERR_INVALID, "log level must be debug, info, warn or error");
}

void fw_log_set_request(const char *req_id)
{
	snprintf(request_id, sizeof request_id, "%s", req_id ? req_id : "");
}

/* A log line is best effort: past its limit it is cut, never failed. */
static void put(struct fw_buf *b, const char *s)
{
	if (fw_buf_puts(b, s) != FW_OK)
		return;
}

static void put_escaped(struct fw_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		enum fw_err r;
		if (*p == '"' || *p == '\\')
			r = fw_buf_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			r = fw_buf_printf(b, "\\u%04x", *p);
		else
			r = fw_buf_append(b, p, 1);
		if (r != FW_OK)
			return; /* the line is cut at its limit */
	}
}

void fw_log(enum fw_log_level lvl, const char *module, const char *fmt, ...)
{
	if (lvl < min_level)
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);

	/* Log lines carry wall-clock time even under a simulated clock: they
	 * say when the process did something. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char when[40];
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);

	struct fw_buf b;
	fw_buf_init(&b, 8192);
	char head[128];
	snprintf(head, sizeof head, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"module\":\"", when,
		 ts.tv_nsec / 1000000, names[lvl]);
	put(&b, head);
	put_escaped(&b, module);
	put(&b, "\"");
	if (request_id[0]) {
		put(&b, ",\"req\":\"");
		put_escaped(&b, request_id);
		put(&b, "\"");
	}
	put(&b, ",\"msg\":\"");
	put_escaped(&b, msg);
	put(&b, "\"}\n");
	fputs(fw_buf_str(&b), stderr);
	fflush(stderr);
	fw_buf_cleanup(&b);
}
