/* A growable byte buffer with a hard maximum (in the spirit of curl's dynbuf).
 * The contents are always NUL-terminated (the NUL is not counted in len), so
 * a buffer of text can be used as a C string. */
#ifndef FW_BASE_BUF_H
#define FW_BASE_BUF_H

#include <stddef.h>

#include "base/err.h"

struct fw_buf {
	unsigned char *data; /* NULL until the first append */
	size_t len;
	size_t cap;
	size_t max; /* appends that would pass this fail with FW_ERR_TOO_LARGE */
};

void fw_buf_init(struct fw_buf *b, size_t max);
/* Frees the storage; the buffer may be reused after fw_buf_init. */
void fw_buf_cleanup(struct fw_buf *b);
/* Zeroes the storage before freeing it: for keys and plaintext. */
void fw_buf_cleanup_secret(struct fw_buf *b);
void fw_buf_reset(struct fw_buf *b);
enum fw_err fw_buf_append(struct fw_buf *b, const void *p, size_t n) FW_WUR;
enum fw_err fw_buf_puts(struct fw_buf *b, const char *s) FW_WUR;
enum fw_err fw_buf_printf(struct fw_buf *b, const char *fmt, ...) FW_PRINTF(2, 3) FW_WUR;
/* Hands the storage to the caller (who frees it with free()) and resets b.
 * Returns an empty, allocated string when b is empty; NULL on no memory. */
char *fw_buf_steal(struct fw_buf *b);
const char *fw_buf_str(const struct fw_buf *b);

#endif
