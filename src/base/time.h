/* RFC 3339 timestamps and human durations ("14d", "-5d", "12h30m"). */
#ifndef FW_BASE_TIME_H
#define FW_BASE_TIME_H

#include <stdint.h>

#include "base/err.h"

/* "2025-07-08T17:00:00Z" plus NUL. */
#define FW_TIME_BYTES 32

/* Accepts YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM); fractions are dropped.
 * Years 1970..9999. */
enum fw_err fw_time_parse(const char *s, int64_t *out) FW_WUR;
/* Always UTC with a Z. */
void fw_time_format(int64_t t, char out[FW_TIME_BYTES]);
/* An optional sign, then one or more <digits><unit> with unit in w d h m s
 * ("14d", "-1d12h", "90s"). Bounded to ±100 years. */
enum fw_err fw_duration_parse(const char *s, int64_t *out) FW_WUR;
/* The shortest form fw_duration_parse accepts back ("-14d", "1d12h", "0s"). */
void fw_duration_format(int64_t seconds, char out[FW_TIME_BYTES]);

#endif
