/* Storage: the one interface in front of the database backends.
 *
 * No database type appears here. A store is opened from a URL
 * ("sqlite:PATH", or a plain path; "postgresql://…" comes next) and is safe to
 * use from many threads at once: it keeps a bounded pool of connections.
 *
 * Conventions: list functions allocate an array the caller frees with free();
 * get functions fill a caller-owned struct; FW_ERR_NOT_FOUND when there is no
 * such record, FW_ERR_EXISTS on a unique-key clash, FW_ERR_BUSY when the
 * database stayed locked past the busy timeout, FW_ERR_STORE otherwise (the
 * detail is logged, not returned, as it may hold SQL). */
#ifndef FW_STORE_STORE_H
#define FW_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "model/model.h"

#define FW_STORE_POOL_SIZE 8
#define FW_STORE_BUSY_TIMEOUT_MS 5000
#define FW_STORE_MAX_LIST 100000 /* hard cap of rows any list returns */

struct fw_store;

/* Opens (creating if needed) and migrates the database to the newest schema. */
enum fw_err fw_store_open(const char *url, struct fw_store **out) FW_WUR;
void fw_store_close(struct fw_store *s); /* NULL is a no-op */
/* The schema version after migration. */
int fw_store_schema_version(struct fw_store *s);

/* --- members ------------------------------------------------------------ */
enum fw_err fw_store_member_create(struct fw_store *s, const struct fw_member *m) FW_WUR;
enum fw_err fw_store_member_get(struct fw_store *s, const char *id, struct fw_member *out) FW_WUR;
/* Replaces every field of the member with id m->id. */
enum fw_err fw_store_member_update(struct fw_store *s, const struct fw_member *m) FW_WUR;
/* Ordered by id. */
enum fw_err fw_store_member_list(struct fw_store *s, struct fw_member **out, size_t *n) FW_WUR;
struct fw_store_log_hook; /* below, with the transparency log */
/* A sanction (suspend, reinstate, expel), in one transaction: the member's
 * status becomes to and updated_at at, if its status is still from
 * (FW_ERR_STATE otherwise: it changed meanwhile); with revoke_tokens every
 * token of the member is revoked at at too; then log's entry (may be NULL)
 * is written. Nothing is changed on any error. */
struct fw_store_status_change {
	const char *member_id;
	enum fw_member_status from, to;
	int64_t at;
	bool revoke_tokens;
	size_t revoked; /* out: tokens revoked */
};
enum fw_err fw_store_member_set_status(struct fw_store *s, struct fw_store_status_change *c,
				       struct fw_store_log_hook *log) FW_WUR;

/* --- tokens (only the keyed hash of a token is stored) ------------------ */
enum fw_err fw_store_token_create(struct fw_store *s, const struct fw_token *t,
				  const uint8_t hash[32]) FW_WUR;
enum fw_err fw_store_token_find(struct fw_store *s, const uint8_t hash[32], struct fw_token *out) FW_WUR;
enum fw_err fw_store_token_get(struct fw_store *s, const char *id, struct fw_token *out) FW_WUR;
/* Ordered by creation. member_id NULL for all. */
enum fw_err fw_store_token_list(struct fw_store *s, const char *member_id, struct fw_token **out,
				size_t *n) FW_WUR;
/* Sets revoked_at (keeps the first revocation time). */
enum fw_err fw_store_token_revoke(struct fw_store *s, const char *id, int64_t at) FW_WUR;
/* Revokes every token of a member; *n (may be NULL) gets how many. */
enum fw_err fw_store_token_revoke_member(struct fw_store *s, const char *member_id, int64_t at,
					 size_t *n) FW_WUR;
enum fw_err fw_store_token_touch(struct fw_store *s, const char *id, int64_t at) FW_WUR;

/* --- advisories --------------------------------------------------------- */
enum fw_err fw_store_advisory_create(struct fw_store *s, const struct fw_advisory *a) FW_WUR;
enum fw_err fw_store_advisory_get(struct fw_store *s, const char *id, struct fw_advisory *out) FW_WUR;
/* With log (may be NULL), log's entry is written in the update's
 * transaction: both or neither are stored. */
enum fw_err fw_store_advisory_update(struct fw_store *s, const struct fw_advisory *a,
				     struct fw_store_log_hook *log) FW_WUR;
/* Ordered by id. */
enum fw_err fw_store_advisory_list(struct fw_store *s, struct fw_advisory **out, size_t *n) FW_WUR;

/* --- artifacts (content is stored as given: the caller encrypts it) ----- */
/* Assigns a->version = 1 + the highest version of (advisory, kind). */
enum fw_err fw_store_artifact_add(struct fw_store *s, struct fw_artifact *a, const uint8_t *content,
				  size_t n) FW_WUR;
/* version 0 means the newest. content may be NULL when not wanted. */
enum fw_err fw_store_artifact_get(struct fw_store *s, const char *advisory_id, enum fw_kind kind,
				  int version, struct fw_artifact *out, struct fw_buf *content) FW_WUR;
/* Every version of every kind, ordered by kind then version. */
enum fw_err fw_store_artifact_list(struct fw_store *s, const char *advisory_id,
				   struct fw_artifact **out, size_t *n) FW_WUR;

/* --- policy versions ---------------------------------------------------- */
struct fw_policy_version {
	int version;
	int64_t created_at;
	char author[FW_MODEL_NAME_BYTES];
	char comment[FW_MODEL_TITLE_BYTES];
	uint8_t sha256[32];
};
/* Stores a new version (1, 2, …); sets v->version. */
enum fw_err fw_store_policy_add(struct fw_store *s, struct fw_policy_version *v, const char *text,
				size_t n) FW_WUR;
/* version 0 means the newest; FW_ERR_NOT_FOUND when there is none yet. */
enum fw_err fw_store_policy_get(struct fw_store *s, int version, struct fw_policy_version *out,
				struct fw_buf *text) FW_WUR;
/* Newest first. */
enum fw_err fw_store_policy_list(struct fw_store *s, struct fw_policy_version **out, size_t *n) FW_WUR;

/* --- plan: who gets which kind of which advisory when ------------------- *
 * Planned per member class (fw_policy_classify, docs/policy.md "Planning"):
 * each member's class, and per advisory, class and kind the decision,
 * relative to T, so that moving T moves every release. A plan row is only
 * ever due when it was decided under the newest policy version, for the
 * advisory as it is (advisory_revision), and, for a member's class, while
 * the member is unchanged since it was classed (member_revision): a stale
 * plan releases nothing. */
#define FW_STORE_CLASS_BYTES 1024 /* = FW_POLICY_CLASS_BYTES */
struct fw_plan_member {
	char member_id[FW_MODEL_ID_BYTES];
	char class_key[FW_STORE_CLASS_BYTES];
	int64_t member_revision; /* the member's revision when classed */
};
struct fw_plan_decision {
	char advisory_id[FW_MODEL_ID_BYTES];
	char class_key[FW_STORE_CLASS_BYTES];
	enum fw_kind kind;
	bool withheld;
	int64_t offset;   /* released at T + offset, when !withheld */
	int64_t advisory_revision; /* the advisory's revision when decided */
	char reason[256]; /* the rules that decided, for people */
};
enum fw_plan_scope {
	/* Every member's class and every decision are replaced. */
	FW_PLAN_ALL,
	/* members is one member: its class is replaced, and decisions (for its
	 * class) are added or replaced; nothing else changes. */
	FW_PLAN_MEMBER,
};
/* One plan write, in one transaction. */
struct fw_plan_write {
	enum fw_plan_scope scope;
	/* The policy version decided under. The write is refused with
	 * FW_ERR_BUSY when it is no longer the newest (a policy was applied
	 * meanwhile: decide again). With add_policy, out: the new version. */
	int policy_version;
	/* FW_PLAN_ALL: the plan must class every member as it is now and decide
	 * every scheduled or public advisory (fw_store_plan_current, inside the
	 * write's transaction), or it is refused with FW_ERR_BUSY: one was
	 * created or changed after the planner read them. */
	bool complete;
	/* Optional (FW_PLAN_ALL only): a new policy version stored first, in
	 * the same transaction (as fw_store_policy_add), with its log entry. */
	struct fw_policy_version *add_policy;
	const char *policy_text;
	size_t policy_len;
	struct fw_store_log_hook *log;
	const struct fw_plan_member *members;
	size_t nmembers;
	const struct fw_plan_decision *decisions;
	size_t ndecisions;
};
enum fw_err fw_store_plan_write(struct fw_store *s, struct fw_plan_write *w) FW_WUR;
/* The plan per member: member_id NULL for all members; ordered by release
 * time, member, kind. Entries come from the current classes and decisions;
 * policy_version is the decisions' version. */
enum fw_err fw_store_plan_list(struct fw_store *s, const char *advisory_id, const char *member_id,
			       struct fw_plan_entry **out, size_t *n) FW_WUR;
/* Whether every member is classed, unchanged since, and every scheduled or
 * public advisory has decisions, all under the newest policy version. */
enum fw_err fw_store_plan_current(struct fw_store *s, bool *current) FW_WUR;

/* --- release work ------------------------------------------------------- */
/* A (member, artifact version) that is due and not yet delivered. */
struct fw_due {
	char member_id[FW_MODEL_ID_BYTES];
	char advisory_id[FW_MODEL_ID_BYTES];
	enum fw_kind kind;
	int version;
	int64_t release_at;
};
/* Up to max pairs whose plan entry is not withheld and released at or before
 * now, whose advisory is scheduled or public, whose member is active or on
 * probation, taking the newest version of the artifact, that have no delivery
 * yet. Ordered by release time, then advisory and kind, then member, so
 * that one artifact version's copies come in a run (the release step
 * decrypts each artifact once per run). */
enum fw_err fw_store_due_list(struct fw_store *s, int64_t now, size_t max, struct fw_due **out,
			      size_t *n) FW_WUR;
/* The earliest release time after now of any plan entry that would become
 * due (same conditions), or of any scheduled advisory's public time;
 * 0 when there is none. */
enum fw_err fw_store_next_wakeup(struct fw_store *s, int64_t now, int64_t *out) FW_WUR;
/* Advisories with status scheduled and public_at <= now become public. */
enum fw_err fw_store_advisory_publish_due(struct fw_store *s, int64_t now, size_t *n) FW_WUR;

/* --- deliveries --------------------------------------------------------- */
/* Stores one sealed copy and sets d->id. FW_ERR_EXISTS when (member,
 * advisory, kind, version) was already delivered: the store is what makes
 * delivery exactly-once. */
enum fw_err fw_store_delivery_insert(struct fw_store *s, struct fw_delivery *d, const uint8_t *sealed,
				     size_t n, const char *minisig) FW_WUR;
/* One copy of a batch for fw_store_delivery_insert_many. */
struct fw_store_copy {
	struct fw_delivery d; /* d.id and d.size are set when inserted */
	const uint8_t *sealed;
	size_t n;
	const char *minisig;
	bool inserted; /* out: false when it had been delivered already */
	/* The copy's transparency-log entry (docs/log.md), or NULL for none.
	 * When given, it is sequenced in the same transaction as the copy: the
	 * store never holds the one without the other. */
	const uint8_t *entry; /* borrowed; 1 … 65,535 bytes */
	size_t entry_len;
	uint8_t leaf_hash[32]; /* SHA-256(0x00 ‖ entry), computed by the caller */
	uint64_t log_index;    /* out: the entry's index, when inserted */
};
/* Group commit: stores a batch of copies in one transaction (one fsync),
 * each exactly once as above; a copy already delivered is skipped with
 * inserted = false, the others still go in. All or nothing on any other
 * error. */
enum fw_err fw_store_delivery_insert_many(struct fw_store *s, struct fw_store_copy *c, size_t n) FW_WUR;
enum fw_err fw_store_delivery_get(struct fw_store *s, int64_t id, struct fw_delivery *out) FW_WUR;
struct fw_delivery_filter {
	const char *member_id;   /* NULL: any */
	const char *advisory_id; /* NULL: any */
	int64_t after_id;        /* only ids greater than this */
	size_t limit;            /* 0: FW_STORE_MAX_LIST */
};
/* Ordered by id. */
enum fw_err fw_store_delivery_list(struct fw_store *s, const struct fw_delivery_filter *f,
				   struct fw_delivery **out, size_t *n) FW_WUR;
/* sealed and/or minisig may be NULL when not wanted. */
enum fw_err fw_store_delivery_content(struct fw_store *s, int64_t id, struct fw_buf *sealed,
				      struct fw_buf *minisig) FW_WUR;

/* Every download of a copy is recorded. */
struct fw_delivery_read {
	int64_t delivery_id;
	char token_id[FW_MODEL_TOKEN_ID_BYTES];
	char member_id[FW_MODEL_ID_BYTES]; /* of the token; "" for admin */
	int64_t at;
	char remote[64]; /* peer address */
	char what[16];   /* "copy" or "minisig" */
};
enum fw_err fw_store_delivery_read_add(struct fw_store *s, const struct fw_delivery_read *r) FW_WUR;
enum fw_err fw_store_delivery_read_list(struct fw_store *s, int64_t delivery_id,
					struct fw_delivery_read **out, size_t *n) FW_WUR;

/* --- acknowledgements: member-signed receipts (sqlite_ack.c, pg_ack.c) --
 * At most one per delivery: the statement its member signed (docs/log.md,
 * "Acknowledgements"), the minisign signature and the public key that
 * verified it, each kept byte for byte, and the index of the "receipt" log
 * entry sequenced in the same transaction. The caller verifies. */
#define FW_STORE_ACK_STATEMENT_MAX 1024u  /* bytes; = FW_TLOG_ACK_STATEMENT_BYTES */
#define FW_STORE_ACK_SIGNATURE_MAX 16384u /* bytes of a .minisig file */
struct fw_store_ack {
	int64_t delivery_id;
	char member_id[FW_MODEL_ID_BYTES];
	int64_t acked_at;
	char public_key[FW_MODEL_MINISIGN_PK_BYTES]; /* base64 line of the key that verified */
	bool logged;        /* out: a log entry records it */
	uint64_t log_index; /* out: the receipt entry's index, when logged */
};
/* Stores an acknowledgement and, when log is given, its log entry (the hook
 * runs after the insert, in the same transaction). If the delivery is
 * acknowledged already nothing is written: a replay (the same statement
 * and signature, byte for byte) is FW_OK with *added false and *a (and
 * log->index) the stored one; anything else is FW_ERR_EXISTS. */
enum fw_err fw_store_ack_add(struct fw_store *s, struct fw_store_ack *a, const char *statement, size_t statement_len,
			     const char *signature, size_t signature_len, struct fw_store_log_hook *log,
			     bool *added) FW_WUR;
/* FW_ERR_NOT_FOUND when the delivery is not acknowledged; statement and
 * signature (may be NULL) get the stored texts. */
enum fw_err fw_store_ack_get(struct fw_store *s, int64_t delivery_id, struct fw_store_ack *out,
			     struct fw_buf *statement, struct fw_buf *signature) FW_WUR;
/* When each of n deliveries was acknowledged: at[i] for ids[i], 0 when it
 * is not (or does not exist). n at most FW_STORE_MAX_LIST. */
enum fw_err fw_store_ack_times(struct fw_store *s, const int64_t *ids, size_t n, int64_t *at) FW_WUR;

/* --- transparency log (src/tlog/log.c builds on these) ----------------- */
/* Entries are sequenced (given the next index) when written and integrated
 * into the Merkle tree later, by fw_store_log_integrate. The store knows
 * nothing of Merkle trees: it keeps bytes and hashes it is given. */
#define FW_STORE_LOG_ENTRY_MAX 65535u
/* Sequences one entry that records nothing else in the store (a policy
 * version, a member change, …); *index gets its index. */
enum fw_err fw_store_log_append(struct fw_store *s, const uint8_t *entry, size_t n,
				const uint8_t leaf_hash[32], uint64_t *index) FW_WUR;
/* Group commit: sequences n entries in one transaction (one fsync);
 * entries[i] gets index *first + i. */
struct fw_store_log_item {
	const uint8_t *entry;
	size_t n;
	uint8_t leaf_hash[32];
};
enum fw_err fw_store_log_append_many(struct fw_store *s, const struct fw_store_log_item *items, size_t n,
				     uint64_t *first) FW_WUR;
/* A transparency-log entry written in the transaction of the change it
 * records (docs/log.md), so that there is never a change without its entry
 * or an entry without its change, across crashes. The store calls make()
 * inside the transaction, after the change is written (ctx may point at
 * what the change assigned: a version, an id), and sequences the entry it
 * gets (entry: at most FW_STORE_LOG_ENTRY_MAX bytes; leaf_hash: RFC 9162
 * leaf hash of it). A NULL hook, or one with make NULL, writes nothing. */
struct fw_store_log_hook {
	enum fw_err (*make)(void *ctx, struct fw_buf *entry, uint8_t leaf_hash[32]);
	void *ctx;
	uint64_t index; /* out: the entry's index */
	bool written;   /* out: an entry was sequenced */
};
struct fw_store_log_state {
	uint64_t sequenced;  /* entries written: indices 0 … sequenced-1 */
	uint64_t integrated; /* entries in the tree of the newest checkpoint */
	uint8_t frontier[2056]; /* the tree's serialized frontier */
	size_t frontier_len;
};
enum fw_err fw_store_log_state(struct fw_store *s, struct fw_store_log_state *out) FW_WUR;
/* Leaf hashes of entries [from, from+count), into out (count · 32 bytes);
 * FW_ERR_NOT_FOUND unless all of them are sequenced. */
enum fw_err fw_store_log_leaves(struct fw_store *s, uint64_t from, size_t count, uint8_t *out) FW_WUR;
/* Calls fn for entries [from, from+count) in order; FW_ERR_NOT_FOUND unless
 * all exist. entry is borrowed for the call. */
typedef enum fw_err (*fw_store_log_entry_fn)(void *ctx, uint64_t index, const uint8_t *entry,
					     size_t n);
enum fw_err fw_store_log_entries(struct fw_store *s, uint64_t from, size_t count,
				 fw_store_log_entry_fn fn, void *ctx) FW_WUR;
/* The entry of a delivery and its index. */
enum fw_err fw_store_log_delivery_entry(struct fw_store *s, int64_t delivery_id, uint64_t *index,
					struct fw_buf *entry) FW_WUR;
/* A complete subtree hash. */
struct fw_store_log_node {
	unsigned level;
	uint64_t index;
	uint8_t hash[32];
};
enum fw_err fw_store_log_node_get(struct fw_store *s, unsigned level, uint64_t index,
				  uint8_t out[32]) FW_WUR;
/* Integration, in one transaction: if the tree still has old_size entries
 * (compare-and-set: FW_ERR_STATE when another node got there first, and
 * nothing is written), stores the new size and frontier, the nodes and the
 * signed checkpoint note of the new size (kept if one exists already). */
struct fw_store_log_integration {
	uint64_t old_size, new_size;
	const uint8_t *frontier;
	size_t frontier_len;
	const struct fw_store_log_node *nodes;
	size_t n_nodes;
	const uint8_t *root; /* 32 bytes */
	const char *note;    /* the signed checkpoint */
	size_t note_len;
	int64_t at;
};
enum fw_err fw_store_log_integrate(struct fw_store *s, const struct fw_store_log_integration *in) FW_WUR;
/* The signed checkpoint of a tree size, or with latest the newest one;
 * *size (may be NULL) gets its size. FW_ERR_NOT_FOUND when there is none. */
enum fw_err fw_store_log_checkpoint_get(struct fw_store *s, bool latest, uint64_t size,
					uint64_t *out_size, struct fw_buf *note) FW_WUR;
/* Witness cosignatures of checkpoints (sqlite_cosig.c, pg_cosig.c): lines
 * the caller has verified against the checkpoint of `size`. A witness key
 * is its name and key ID together. */
#define FW_STORE_COSIG_LINE_BYTES 1024 /* "— name base64\n" and its NUL */
#define FW_STORE_COSIGS_MAX 256        /* rows one list returns */
struct fw_store_cosig {
	uint64_t size;     /* the checkpoint's tree size */
	char witness[256]; /* the witness key's name */
	uint32_t key_id;
	uint64_t time;     /* the cosignature's timestamp, ≤ INT64_MAX */
	char line[FW_STORE_COSIG_LINE_BYTES]; /* the signature line, newline-terminated */
	int64_t created_at;
};
/* Stores one: *added is false when that checkpoint has a cosignature of
 * that key already, which is kept (the new one is ignored). FW_ERR_INVALID
 * when the log has no checkpoint of that size. */
enum fw_err fw_store_log_cosig_add(struct fw_store *s, const struct fw_store_cosig *c, bool *added) FW_WUR;
/* The cosignatures of the checkpoint of `size`, ordered by witness name
 * and key ID (at most FW_STORE_COSIGS_MAX); *out is NULL when none. */
enum fw_err fw_store_log_cosig_list(struct fw_store *s, uint64_t size, struct fw_store_cosig **out,
				    size_t *n) FW_WUR;


/* --- fingerprinting and leak tracing (docs/tracing.md) ------------------ */
#define FW_STORE_MARK_ID_BYTES 256 /* a mark version id, NUL included */
/* What a trace needs, besides the program secret and the artifact's own
 * text, to re-derive the code of a fingerprinted artifact version. */
struct fw_store_mark {
	char advisory_id[FW_MODEL_ID_BYTES];
	enum fw_kind kind;
	int version;
	char version_id[FW_STORE_MARK_ID_BYTES]; /* the PRF's version input */
	char key_label[64];                      /* which derivation of the key */
	unsigned points;
	unsigned c;
	char bias[16]; /* "arcsine" or "discrete" */
	uint8_t digest[32]; /* fw_mark_code_digest */
	int64_t created_at;
};
/* Records an artifact version's mark once: FW_ERR_EXISTS when it is
 * recorded already (the record is never changed). */
enum fw_err fw_store_mark_add(struct fw_store *s, const struct fw_store_mark *m) FW_WUR;
enum fw_err fw_store_mark_get(struct fw_store *s, const char *advisory_id, enum fw_kind kind, int version,
			      struct fw_store_mark *out) FW_WUR;
/* The members that were delivered (advisory, kind, version), ordered by id. */
struct fw_store_member_ref {
	char id[FW_MODEL_ID_BYTES];
};
enum fw_err fw_store_mark_recipients(struct fw_store *s, const char *advisory_id, enum fw_kind kind,
				     int version, struct fw_store_member_ref **out, size_t *n) FW_WUR;
/* One trace run: the inputs' hashes and the outcome, as JSON text made by
 * the caller. */
struct fw_store_trace {
	int64_t id; /* set by fw_store_trace_add */
	char advisory_id[FW_MODEL_ID_BYTES];
	enum fw_kind kind;
	int64_t created_at;
	char actor[64]; /* the token id that asked */
	double epsilon;
	const char *inputs; /* borrowed */
	const char *result; /* borrowed */
};
/* Stores a run, with log's entry (may be NULL) written in the run's
 * transaction; t->id is set before log->make runs. */
enum fw_err fw_store_trace_add(struct fw_store *s, struct fw_store_trace *t, struct fw_store_log_hook *log) FW_WUR;
/* How many traces of an advisory are stored (an audit count). */
enum fw_err fw_store_trace_count(struct fw_store *s, const char *advisory_id, size_t *n) FW_WUR;


/* --- several nodes on one database (pg_claim.c, pg_notify.c) -----------
 * SQLite serves one node: claiming there is fw_store_due_list, and there is
 * nobody to notify. On PostgreSQL several forewarnd nodes share the store. */
#define FW_STORE_CLAIM_LEASE_S 60 /* default life of a claim on due work */
#define FW_STORE_CHANNEL_RELEASE "forewarn_release" /* release work changed */
/* Like fw_store_due_list, but each pair returned is claimed by this store
 * (this node) for lease_s seconds of the database's clock: other nodes'
 * claim calls skip it while the claim lives and take it over once it has
 * expired (the node died mid-batch). Claims only avoid duplicate work;
 * exactly-once is the deliveries' uniqueness. */
enum fw_err fw_store_due_claim(struct fw_store *s, int64_t now, size_t max, int lease_s, struct fw_due **out,
			       size_t *n) FW_WUR;
/* Ends the claims this node holds (after its batch is stored), and drops
 * expired claims of anyone. */
enum fw_err fw_store_due_unclaim(struct fw_store *s) FW_WUR;
/* Seconds until the first live claim of another node expires, when one
 * exists (work that node is doing, or left behind when it died); 0 when
 * there is none. */
enum fw_err fw_store_claim_wait(struct fw_store *s, int64_t *seconds) FW_WUR;
/* Tells every node listening on channel (a fixed name of the
 * FW_STORE_CHANNEL_ constants) that something changed. */
enum fw_err fw_store_notify(struct fw_store *s, const char *channel) FW_WUR;
/* Calls fn(ctx) on a thread of the listener's own each time another node
 * notifies channel, and after re-establishing a lost listening connection
 * (notifications sent meanwhile are lost). *out is NULL when the backend has
 * a single node. fn must be cheap and must not block. */
struct fw_store_listener;
typedef void (*fw_store_listen_fn)(void *ctx);
enum fw_err fw_store_listen(struct fw_store *s, const char *channel, fw_store_listen_fn fn, void *ctx,
			    struct fw_store_listener **out) FW_WUR;
/* Stops the thread (fn is not called after it returns) and frees; NULL is a
 * no-op. Call before fw_store_close. */
void fw_store_listener_free(struct fw_store_listener *l);

/* --- moving a program from SQLite to PostgreSQL (copy.c) ---------------- */
/* Progress of a copy: table, rows done of rows; called every few thousand
 * rows and at each table's end. */
typedef void (*fw_store_copy_progress_fn)(void *ctx, const char *table, uint64_t done, uint64_t total);
struct fw_store_copy_table {
	char name[64];
	uint64_t rows_from, rows_to; /* counted after the copy, in each database */
};
#define FW_STORE_COPY_MAX_TABLES 48
struct fw_store_copy_report {
	struct fw_store_copy_table table[FW_STORE_COPY_MAX_TABLES];
	size_t ntables;
	uint64_t bytes; /* of data sent */
};
/* Copies every table of the SQLite database from_url (sqlite:PATH) into
 * the PostgreSQL database to_url, which must hold no program yet (it is
 * migrated first), in one transaction on each side: the target gets all or
 * nothing. Then counts the rows of each table on both sides (in *rep):
 * FW_ERR_STATE when a count differs. Rows are copied as stored: tokens stay
 * hashes, artifacts stay encrypted. */
enum fw_err fw_store_copy_database(const char *from_url, const char *to_url, fw_store_copy_progress_fn fn,
				   void *ctx, struct fw_store_copy_report *rep) FW_WUR;

#endif
