/* The data directory: program keys and the first admin token. */
#ifndef FW_DAEMON_KEYS_H
#define FW_DAEMON_KEYS_H

#include <stdbool.h>

#include "crypto/crypto.h"
#include "store/store.h"

struct fwd_keys {
	struct fw_sign_key sign;
	uint8_t master[FW_CRYPTO_KEY_BYTES];
	uint8_t token[FW_CRYPTO_KEY_BYTES]; /* derived from master */
};

/* Creates DIR (0700) and the key files when missing (*created says so);
 * refuses key files that others can read. */
enum fw_err fwd_keys_load(const char *dir, struct fwd_keys *k, bool *created) FW_WUR;
/* On a first start: a new admin token written to DIR/admin.token (0600). */
enum fw_err fwd_keys_admin_token(const char *dir, struct fw_store *s, const struct fwd_keys *k) FW_WUR;
void fwd_keys_wipe(struct fwd_keys *k);

#endif
