/* Release: turns policy decisions into a plan and executes it.
 *
 * Planning evaluates the current policy once per member class, advisory and
 * kind and stores the result (fw_store_plan_write). Executing is a
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
#include "mark/mark.h"
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
	/* Several nodes on one database: due work is claimed for this long
	 * before it is sealed; a node that dies leaves its claim to be taken
	 * over when it expires. 0: FW_STORE_CLAIM_LEASE_S. */
	int claim_lease_s;
};

enum fw_err fw_release_new(const struct fw_release_config *cfg, struct fw_release **out) FW_WUR;
/* Stops the thread if running (finishing the batch in hand) and frees. */
void fw_release_free(struct fw_release *r);

/* Starts the scheduler thread. */
enum fw_err fw_release_start(struct fw_release *r) FW_WUR;
/* Asks the scheduler to look at the store now, and tells the schedulers of
 * the other nodes on the same database to do so too (fw_store_notify).
 * Callable from any thread. */
void fw_release_wake(struct fw_release *r);

/* Plans one advisory under the current policy (FW_ERR_STATE when none was
 * applied yet) and wakes the scheduler. planned/withheld (may be NULL) get
 * its released and withheld (member, kind) pairs. Plans are made per member
 * class (docs/policy.md, "Planning"), so this re-plans every advisory: it
 * costs advisories x classes, not x members. */
enum fw_err fw_release_plan(struct fw_release *r, const char *advisory_id, size_t *planned,
			    size_t *withheld) FW_WUR;
/* Re-plans one member (after it joined or changed): its class, and its
 * class's decisions for every scheduled or public advisory. Nothing to do
 * (FW_OK) while no policy was applied. */
enum fw_err fw_release_plan_member(struct fw_release *r, const char *member_id) FW_WUR;
/* Re-plans every scheduled or public advisory under the current policy. */
enum fw_err fw_release_replan_all(struct fw_release *r) FW_WUR;
/* Re-plans everything only if some member or advisory is not planned under
 * the current policy (fw_store_plan_current): what forewarnd runs at start. */
enum fw_err fw_release_replan_stale(struct fw_release *r) FW_WUR;
/* Applies a policy text: decides every scheduled or public advisory under
 * it and refuses the text, storing nothing, when a decision breaks
 * max_embargo; else stores it as a new version (v: author, comment, sha256,
 * created_at in; version out), its plan and its log entry (log, may be NULL:
 * its make() may read v->version) in one transaction, and wakes the
 * scheduler. */
struct fw_store_log_hook;
enum fw_err fw_release_policy_apply(struct fw_release *r, const char *text, size_t n,
				    struct fw_policy_version *v, struct fw_store_log_hook *log) FW_WUR;

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

/* --- fingerprinted copies and leak tracing (src/release/mark.c) ---------
 *
 * A markable kind's artifact is a template (docs/templates.md). Each
 * member's copy of a version with variation points is rendered with the
 * member's codeword of the version's Tardos code (docs/tracing.md), keyed by
 * a key derived from the master key and the version id
 * "ADVISORY/KIND/vVERSION"; the code's parameters and digest are recorded
 * in the store. Binary content (not UTF-8, or with NUL bytes) and text
 * without points are delivered as they are. */
#define FW_RELEASE_MARKABLE_DEFAULT \
	((1u << FW_KIND_DESCRIPTION) | (1u << FW_KIND_DETECTION) | (1u << FW_KIND_POC))
/* Which kinds are fingerprinted: bit (1u << kind); until called,
 * FW_RELEASE_MARKABLE_DEFAULT. Call before fw_release_start. */
void fw_release_set_markable_kinds(struct fw_release *r, unsigned mask);
bool fw_release_is_markable(const struct fw_release *r, enum fw_kind kind);

#define FW_RELEASE_MARK_UNREADABLE_SHOWN 8
/* What an artifact's text is as a template. */
struct fw_release_mark_info {
	bool markable; /* the kind is fingerprinted */
	bool binary;   /* not UTF-8 text: delivered as is */
	size_t points; /* 0: every member gets the same copy */
	size_t uses;   /* points plus {{=name}} repeats */
	uint8_t q[FW_MARK_MAX_POINTS]; /* alphabet sizes of points [0, points) */
	size_t unreadable;             /* points extraction could never locate */
	struct {
		char name[FW_MARK_NAME_BYTES];
		int line, col;
	} unreadable_at[FW_RELEASE_MARK_UNREADABLE_SHOWN];
};
/* Inspects an artifact's content before it is stored: for a markable kind,
 * text must parse as a template (FW_ERR_INVALID with "line L:C: …"). out
 * may be NULL. fw_release_artifact_add refuses what this refuses. */
enum fw_err fw_release_mark_inspect(struct fw_release *r, enum fw_kind kind, const uint8_t *content, size_t n,
				    struct fw_release_mark_info *out) FW_WUR;

/* How many colluders one artifact version can trace. */
struct fw_release_capacity {
	int version;
	size_t points;
	size_t recipients; /* delivered or planned (not withheld); else every active member */
	double epsilon;
	bool markable;
	struct fw_mark_capacity cap; /* meaningful when points > 0 */
};
/* version 0: the newest. epsilon in (0, 1). */
enum fw_err fw_release_mark_capacity(struct fw_release *r, const char *advisory_id, enum fw_kind kind, int version,
				     double epsilon, struct fw_release_capacity *out) FW_WUR;

/* Warnings for an advisory about to be released: a markable kind whose
 * newest version has no points, or too few to name even a single leaker
 * among its planned recipients at epsilon. *out (free()) may be empty. */
struct fw_release_mark_warning {
	enum fw_kind kind;
	int version;
	char message[256];
};
enum fw_err fw_release_mark_check(struct fw_release *r, const char *advisory_id, double epsilon,
				  struct fw_release_mark_warning **out, size_t *n) FW_WUR;

/* Leak tracing (admin). Each input is read against every fingerprinted
 * version of (advisory, kind), independently of any member, and assigned to
 * the version it reads best in; readings of one version are merged; the
 * members that were delivered each version are scored (fw_mark_accuse). The
 * run is stored with its inputs' SHA-256 (never their bytes). */
#define FW_RELEASE_TRACE_MAX_FILES 16
#define FW_RELEASE_TRACE_TOP 5 /* innocent-looking scores reported for context */
struct fw_release_trace_input {
	const char *name; /* for people; at most 127 bytes are kept */
	const uint8_t *data;
	size_t n;
};
struct fw_release_trace_file {
	char name[128];
	uint8_t sha256[32];
	size_t size;
	int version; /* 0: no fingerprinted version reads in it */
	size_t read, erased;
};
struct fw_release_trace_leak {
	int version;
	size_t points, read, erased, recipients;
};
struct fw_release_verdict {
	char member_id[FW_MODEL_ID_BYTES];
	double score, threshold, log_pvalue;
	bool accused;
};
struct fw_release_trace {
	int64_t id; /* of the stored run */
	double epsilon;
	struct fw_release_trace_file file[FW_RELEASE_TRACE_MAX_FILES];
	size_t nfiles;
	struct fw_release_trace_leak leak[FW_MARK_MAX_LEAKS];
	size_t nleaks;
	size_t scored; /* members scored */
	size_t points_read, points_erased;
	double threshold;
	bool can_accuse;
	/* the accused (highest score first), then up to FW_RELEASE_TRACE_TOP others */
	struct fw_release_verdict *verdict;
	size_t nverdict, naccused;
};
/* The log entry of a trace run, made in the transaction that stores the
 * run (t->id is set by then); see struct fw_store_log_hook. */
struct fw_release_trace_log {
	enum fw_err (*make)(void *ctx, const struct fw_release_trace *t, struct fw_buf *entry, uint8_t leaf_hash[32]);
	void *ctx;
	uint64_t index; /* out */
	bool written;   /* out */
};
/* Traces leaked files and stores the run, with log's entry (may be NULL) in
 * the same transaction. */
enum fw_err fw_release_trace(struct fw_release *r, const char *advisory_id, enum fw_kind kind,
			     const struct fw_release_trace_input *in, size_t nin, double epsilon, const char *actor,
			     struct fw_release_trace_log *log, struct fw_release_trace *out) FW_WUR;
void fw_release_trace_cleanup(struct fw_release_trace *t);

#endif
