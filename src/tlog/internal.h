/* Helpers shared by the files of src/tlog/ only; nothing outside the module
 * includes this header. */
#ifndef FW_TLOG_INTERNAL_H
#define FW_TLOG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Characters of the padded base64 of n bytes, as a constant expression. */
#define FW_TLOG_B64_LEN(n) (((n) + 2) / 3 * 4)

static inline uint32_t fw_tlog_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t fw_tlog_get_be64(const uint8_t *p)
{
	return (uint64_t)fw_tlog_get_be32(p) << 32 | fw_tlog_get_be32(p + 4);
}

static inline void fw_tlog_put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static inline void fw_tlog_put_be64(uint8_t *p, uint64_t v)
{
	fw_tlog_put_be32(p, (uint32_t)(v >> 32));
	fw_tlog_put_be32(p + 4, (uint32_t)v);
}

/* Undoes appends to b made since it held len bytes. */
static inline void fw_tlog_buf_truncate(struct fw_buf *b, size_t len)
{
	if (b->data && len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

/* Strict UTF-8 without control characters (newline allowed if asked). */
bool fw_tlog_text_is_valid(const char *s, size_t n, bool allow_newline);

/* A decimal without leading zeros (unless it is "0") that fits uint64. */
bool fw_tlog_parse_u64(const char *s, size_t n, uint64_t *out);

#endif
