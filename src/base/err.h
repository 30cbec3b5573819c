/* The one error type of forewarn.
 *
 * Fallible functions return enum fw_err. A function that fails because of
 * something a person should read (bad input, a missing record) may also set a
 * detail message with fw_err_set(); it lives in thread-local storage until the
 * next fw_err_set() or fw_err_clear() on the same thread. Details are shown to
 * API clients, so they must never contain secrets or bytes of a copy that the
 * asker may not see. */
#ifndef FW_BASE_ERR_H
#define FW_BASE_ERR_H

#define FW_WUR __attribute__((warn_unused_result))
#define FW_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum fw_err {
	FW_OK = 0,
	FW_ERR_NOMEM = -1,        /* allocation failed */
	FW_ERR_INVALID = -2,      /* malformed or out-of-range input */
	FW_ERR_NOT_FOUND = -3,    /* no such thing (or not visible to the asker) */
	FW_ERR_EXISTS = -4,       /* already exists */
	FW_ERR_UNAUTHORIZED = -5, /* no, bad, expired or revoked credentials */
	FW_ERR_FORBIDDEN = -6,    /* authenticated, but the role may not do this */
	FW_ERR_TOO_LARGE = -7,    /* a size limit was exceeded */
	FW_ERR_IO = -8,           /* file system or network I/O failed */
	FW_ERR_CRYPTO = -9,       /* verification or decryption failed */
	FW_ERR_STORE = -10,       /* the database failed */
	FW_ERR_STATE = -11,       /* not allowed in the current state */
	FW_ERR_UNSUPPORTED = -12, /* not supported (method, media type, option) */
	FW_ERR_INTERNAL = -13,    /* a bug */
	FW_ERR_UNAVAILABLE = -14, /* shutting down or a dependency is down */
	FW_ERR_BUSY = -15,        /* the database is locked; try again */
};

/* A sentence for people ("not found"). Never NULL. */
const char *fw_strerror(enum fw_err e);
/* The stable machine code used in API errors ("not_found"). Never NULL. */
const char *fw_err_code(enum fw_err e);
/* The HTTP status an API response carries for this error. */
int fw_err_http_status(enum fw_err e);

/* Records a detail message for the current thread and returns e, so that
 * `return fw_err_set(FW_ERR_INVALID, "bad tier %s", t);` reads naturally. */
enum fw_err fw_err_set(enum fw_err e, const char *fmt, ...) FW_PRINTF(2, 3);
/* The current thread's detail message, or "" when none. */
const char *fw_err_detail(void);
void fw_err_clear(void);

#endif
