#include "base/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fw_buf_init(struct fw_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

void fw_buf_cleanup(struct fw_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void fw_buf_cleanup_secret(struct fw_buf *b)
{
	if (b->data)
		explicit_bzero(b->data, b->cap);
	fw_buf_cleanup(b);
}

void fw_buf_reset(struct fw_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static enum fw_err reserve(struct fw_buf *b, size_t extra)
{
	if (extra > b->max || b->len > b->max - extra)
		return FW_ERR_TOO_LARGE;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return FW_OK;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	unsigned char *p = realloc(b->data, cap);
	if (!p)
		return FW_ERR_NOMEM;
	b->data = p;
	b->cap = cap;
	return FW_OK;
}

enum fw_err fw_buf_append(struct fw_buf *b, const void *p, size_t n)
{
	enum fw_err r = reserve(b, n);
	if (r != FW_OK)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return FW_OK;
}

enum fw_err fw_buf_puts(struct fw_buf *b, const char *s)
{
	return fw_buf_append(b, s, strlen(s));
}

enum fw_err fw_buf_printf(struct fw_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return FW_ERR_INVALID;
	enum fw_err r = reserve(b, (size_t)n);
	if (r != FW_OK)
		return r;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return FW_OK;
}

char *fw_buf_steal(struct fw_buf *b)
{
	if (!b->data && reserve(b, 0) != FW_OK)
		return NULL;
	char *s = (char *)b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

const char *fw_buf_str(const struct fw_buf *b)
{
	return b->data ? (const char *)b->data : "";
}
