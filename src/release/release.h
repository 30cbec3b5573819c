/* Release: turns policy decisions into a plan and executes it.
 *
 * Planning evaluates the current policy for every (member, kind) of an
 * advisory and stores the result (fw_store_plan_replace). Executing is a
 * scheduler thread that sleeps until the next due time (woken early when the
 * plan or the simulated clock changes), then, for each due (member, artifact
 * version), renders the member's copy, seals it (age v1 to the member's
 * recipient), signs it (minisign, prehashed) and stores it. The store's
 * uniqueness on (member, artifact version) makes this exactly-once: a
 * restart, a second run or a second node never duplicates or skips a copy. */
#ifndef FW_RELEASE_RELEASE_H
#define FW_RELEASE_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/crypto.h"
#include "store/store.h"

#define FW_RELEASE_BATCH 256        /* due pairs taken per store query */
#define FW_RELEASE_MAX_SLEEP_S 300  /* re-check the store at least this often */

struct fw_release;

struct fw_release_config {
	struct fw_store *store;                            /* borrowed */
	const struct fw_sign_key *sign_key;                /* borrowed */
	const uint8_t *master_key;                         /* borrowed, FW_CRYPTO_KEY_BYTES */
	unsigned workers; /* threads that seal copies; 0: one per CPU (at most 8) */
};

enum fw_err fw_release_new(const struct fw_release_config *cfg, struct fw_release **out) FW_WUR;
/* Stops the thread if running (finishing the batch in hand) and frees. */
void fw_release_free(struct fw_release *r);

/* Starts the scheduler thread. */
enum fw_err fw_release_start(struct fw_release *r) FW_WUR;
/* Asks the scheduler to look at the store now. Cheap; callable from any thread. */
void fw_release_wake(struct fw_release *r);

/* Plans one advisory under the current policy (FW_ERR_STATE when none was
 * applied yet) and wakes the scheduler. planned/withheld may be NULL. */
enum fw_err fw_release_plan(struct fw_release *r, const char *advisory_id, size_t *planned,
			    size_t *withheld) FW_WUR;
/* Re-plans one member's part of every scheduled or public advisory (after
 * the member joined or changed): cost proportional to advisories, not to
 * members times advisories. */
enum fw_err fw_release_plan_member(struct fw_release *r, const char *member_id) FW_WUR;
/* Re-plans every scheduled or public advisory (after a policy change). */
enum fw_err fw_release_replan_all(struct fw_release *r) FW_WUR;

/* One pass of the scheduler's work at time now: publishes advisories whose
 * T has come and delivers every due copy. Used by the thread, by tests and
 * by the benchmark. delivered may be NULL. */
enum fw_err fw_release_run_due(struct fw_release *r, int64_t now, size_t *delivered) FW_WUR;

/* Stores a new version of an artifact: records its SHA-256 and size,
 * encrypts it at rest under the master key (bound to advisory, kind and
 * hash), assigns the version and wakes the scheduler, since the new version
 * may be due at once. */
enum fw_err fw_release_artifact_add(struct fw_release *r, struct fw_artifact *a, const uint8_t *content,
				    size_t n) FW_WUR;

/* The trusted comment of a copy's signature (one line). */
#define FW_RELEASE_COMMENT_BYTES 512
void fw_release_trusted_comment(const struct fw_delivery *d, char out[FW_RELEASE_COMMENT_BYTES]);

#endif
