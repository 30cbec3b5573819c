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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/crypto.h"
#include "policy/policy.h"
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
/* Re-plans every scheduled or public advisory under the current policy. */
enum fw_err fw_release_replan_all(struct fw_release *r) FW_WUR;
/* Applies a policy text: checks every scheduled or public advisory's plan
 * under it (max_embargo) and refuses the text, storing nothing, when one
 * fails; else stores it as a new version (v: author, comment, sha256,
 * created_at in; version out) and re-plans everything, waking the scheduler.
 * A crash between storing and re-planning leaves plans that the next start
 * re-plans (forewarnd re-plans at start). */
enum fw_err fw_release_policy_apply(struct fw_release *r, const char *text, size_t n,
				    struct fw_policy_version *v) FW_WUR;

/* --- what a policy change would do ------------------------------------- */

/* One (member, advisory, kind) whose decision a new policy changes. */
struct fw_release_change {
	char member_id[FW_MODEL_ID_BYTES];
	char advisory_id[FW_MODEL_ID_BYTES];
	enum fw_kind kind;
	bool before_withheld;
	int64_t before_at; /* when !before_withheld */
	bool after_withheld;
	int64_t after_at; /* when !after_withheld */
	char after_reason[256];
	/* Already delivered (some version): the change can no longer take it
	 * back; listed as "already disclosed" when the new policy would have
	 * withheld it or released it later than it was. */
	bool delivered;
	int64_t delivered_at;
};

/* Compares the plan of every scheduled or public advisory with what the
 * policy text would decide; applies nothing. *out (free()) lists every
 * changed decision: pending ones, and delivered ones the new policy would
 * now restrict. FW_ERR_INVALID (with the first error) if the text does not
 * parse. */
enum fw_err fw_release_diff(struct fw_release *r, const char *policy_text, size_t n,
			    struct fw_release_change **out, size_t *nout) FW_WUR;

/* The current policy's decision for each kind, for one member and advisory. */
enum fw_err fw_release_explain(struct fw_release *r, const char *member_id, const char *advisory_id,
			       struct fw_policy_decision out[FW_KIND_COUNT]) FW_WUR;

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

/* Makes every delivery from now on write its transparency-log entry in the
 * delivery's transaction, and wake the log's integrator after each batch.
 * log is borrowed and must outlive r. Call before fw_release_start. */
struct fw_tlog_log;
void fw_release_set_log(struct fw_release *r, struct fw_tlog_log *log);

/* The trusted comment of a copy's signature (one line). */
#define FW_RELEASE_COMMENT_BYTES 512
void fw_release_trusted_comment(const struct fw_delivery *d, char out[FW_RELEASE_COMMENT_BYTES]);

#endif
