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
	unsigned markable; /* fw_release_set_markable_kinds; 0: the default */
	int claim_lease_s; /* life of a claim on due work (several nodes) */
	struct fw_store_listener *listener; /* other nodes' wake-ups; NULL on one node */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool wake;    /* set by fw_release_wake, cleared by the thread */
	bool stop;
	bool running;
	pthread_t thread;
};

/* The current policy, parsed; *version (may be NULL) gets its version. */
enum fw_err fw_release_load_policy(struct fw_store *store, struct fw_policy **out, int *version) FW_WUR;

/* Members grouped by class under a policy (plan.c; docs/policy.md,
 * "Planning"): members of one class get the same decisions. */
struct fw_release_classes {
	struct fw_member *members; /* every member (owned) */
	size_t nmembers;
	struct fw_plan_member *pm; /* per member: its class */
	size_t *class_of;          /* per member: its class's index */
	size_t *rep;               /* per class: a member of it (index) */
	size_t *size;              /* per class: how many members */
	size_t n;                  /* classes */
};
/* Classes members[0..n) under pol; takes ownership of members (freed by
 * fw_release_classes_free, also on failure). */
enum fw_err fw_release_classes(const struct fw_policy *pol, struct fw_member *members, size_t n,
			       struct fw_release_classes *out) FW_WUR;
void fw_release_classes_free(struct fw_release_classes *c);

/* The fingerprint of one artifact version, prepared once per version and
 * kept beside the decrypted artifact (mark.c). marked: the template and its
 * code; else every member's copy is the artifact itself. */
struct fw_release_mark_version {
	bool marked;
	struct fw_mark_template *t;
	struct fw_mark_code *code;
};
enum fw_err fw_release_mark_prepare(struct fw_release *rel, const struct fw_artifact *meta, const uint8_t *plain,
				    size_t n, struct fw_release_mark_version *mv) FW_WUR;
void fw_release_mark_version_cleanup(struct fw_release_mark_version *mv);
/* After an artifact version was stored: records its mark (when it has
 * points); a failure is logged, and the first render records it instead. */
void fw_release_mark_record(struct fw_release *rel, const struct fw_artifact *a, const uint8_t *content,
			    size_t n);
/* Decrypts an artifact version stored at rest (deliver.c). */
enum fw_err fw_release_artifact_open(struct fw_release *rel, const char *advisory_id, enum fw_kind kind,
				     int version, struct fw_artifact *meta, struct fw_buf *plain) FW_WUR;

/* The render step: the bytes of the member's copy of an artifact version:
 * the artifact itself, or, when mv is marked, the member's fingerprinted
 * copy (deterministic). *copy points either into plain or into scratch. */
enum fw_err fw_release_render(const struct fw_artifact *a, const uint8_t *plain, size_t n,
			      const struct fw_release_mark_version *mv, const struct fw_member *m,
			      struct fw_buf *scratch, const uint8_t **copy, size_t *copy_len) FW_WUR;

#endif
