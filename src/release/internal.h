/* Internal to the release module. */
#ifndef FW_RELEASE_INTERNAL_H
#define FW_RELEASE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "policy/policy.h"
#include "release/release.h"

struct fw_release {
	struct fw_store *store;
	const struct fw_sign_key *sign_key;
	uint8_t master_key[FW_CRYPTO_KEY_BYTES];
	size_t workers; /* sealing threads, 1..8 */
	struct fw_tlog_log *log; /* NULL: deliveries are not logged (unit tests) */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool wake;    /* set by fw_release_wake, cleared by the thread */
	bool stop;
	bool running;
	pthread_t thread;
};

/* The current policy, parsed; *version (may be NULL) gets its version. */
enum fw_err fw_release_load_policy(struct fw_store *store, struct fw_policy **out, int *version) FW_WUR;

/* The render step: the bytes of the member's copy of an artifact version.
 * Today every member's copy equals the artifact; this is where per-member
 * fingerprints plug in. *copy points either into plain or into scratch. */
enum fw_err fw_release_render(const struct fw_artifact *a, const uint8_t *plain, size_t n,
			      const struct fw_member *m, struct fw_buf *scratch, const uint8_t **copy,
			      size_t *copy_len) FW_WUR;

#endif
