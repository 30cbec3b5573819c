/* UTF-8 as RFC 3629 defines it. */
#ifndef FW_BASE_UTF8_H
#define FW_BASE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Whether the n bytes at s are well-formed UTF-8: no overlong forms, no
 * surrogates, nothing past U+10FFFF. NUL bytes are well-formed; callers
 * that want text without them check for them too (fw_utf8_is_text). */
bool fw_utf8_valid(const void *s, size_t n);
/* Well-formed UTF-8 without NUL bytes. */
bool fw_utf8_is_text(const void *s, size_t n);

#endif
