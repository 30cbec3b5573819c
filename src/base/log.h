/* Structured logging: one JSON object per line on stderr, e.g.
 *   {"ts":"2025-07-08T17:00:00Z","level":"info","module":"http","req":"r-1a2b","msg":"..."}
 * The message is escaped as a JSON string, so untrusted text cannot forge a
 * line. Never log secrets: log key ids, token ids and request ids instead. */
#ifndef FW_BASE_LOG_H
#define FW_BASE_LOG_H

#include "base/err.h"

enum fw_log_level { FW_LOG_DEBUG, FW_LOG_INFO, FW_LOG_WARN, FW_LOG_ERROR };

void fw_log_set_level(enum fw_log_level min);
enum fw_err fw_log_level_parse(const char *s, enum fw_log_level *out) FW_WUR;
/* The request id logged with every line from this thread ("" for none). */
void fw_log_set_request(const char *req_id);
void fw_log(enum fw_log_level lvl, const char *module, const char *fmt, ...) FW_PRINTF(3, 4);

#define fw_log_debug(m, ...) fw_log(FW_LOG_DEBUG, m, __VA_ARGS__)
#define fw_log_info(m, ...) fw_log(FW_LOG_INFO, m, __VA_ARGS__)
#define fw_log_warn(m, ...) fw_log(FW_LOG_WARN, m, __VA_ARGS__)
#define fw_log_error(m, ...) fw_log(FW_LOG_ERROR, m, __VA_ARGS__)

#endif
