/* The seam between store.h and the database backends. Internal to src/store/.
 *
 * A backend allocates its own state with struct fw_store as its first member
 * and points ops at its table. store.c normalises arguments that every
 * backend must treat alike (limits, enum ranges) and then calls through ops,
 * so each backend only speaks its SQL dialect. */
#ifndef FW_STORE_BACKEND_H
#define FW_STORE_BACKEND_H

#include "store/store.h"

struct fw_store_ops {
	void (*close)(struct fw_store *s);
	int (*schema_version)(struct fw_store *s);

	enum fw_err (*member_create)(struct fw_store *s, const struct fw_member *m);
	enum fw_err (*member_get)(struct fw_store *s, const char *id, struct fw_member *out);
	enum fw_err (*member_update)(struct fw_store *s, const struct fw_member *m);
	enum fw_err (*member_list)(struct fw_store *s, struct fw_member **out, size_t *n);
	enum fw_err (*member_set_status)(struct fw_store *s, struct fw_store_status_change *c,
					 struct fw_store_log_hook *log);

	enum fw_err (*token_create)(struct fw_store *s, const struct fw_token *t, const uint8_t hash[32]);
	enum fw_err (*token_find)(struct fw_store *s, const uint8_t hash[32], struct fw_token *out);
	enum fw_err (*token_get)(struct fw_store *s, const char *id, struct fw_token *out);
	enum fw_err (*token_list)(struct fw_store *s, const char *member_id, struct fw_token **out,
				  size_t *n);
	enum fw_err (*token_revoke)(struct fw_store *s, const char *id, int64_t at);
	enum fw_err (*token_revoke_member)(struct fw_store *s, const char *member_id, int64_t at,
					   size_t *n);
	enum fw_err (*token_touch)(struct fw_store *s, const char *id, int64_t at);

	enum fw_err (*advisory_create)(struct fw_store *s, const struct fw_advisory *a);
	enum fw_err (*advisory_get)(struct fw_store *s, const char *id, struct fw_advisory *out);
	enum fw_err (*advisory_update)(struct fw_store *s, const struct fw_advisory *a, struct fw_store_log_hook *log);
	enum fw_err (*advisory_list)(struct fw_store *s, struct fw_advisory **out, size_t *n);

	enum fw_err (*artifact_add)(struct fw_store *s, struct fw_artifact *a, const uint8_t *content,
				    size_t n);
	enum fw_err (*artifact_get)(struct fw_store *s, const char *advisory_id, enum fw_kind kind,
				    int version, struct fw_artifact *out, struct fw_buf *content);
	enum fw_err (*artifact_list)(struct fw_store *s, const char *advisory_id,
				     struct fw_artifact **out, size_t *n);

	enum fw_err (*policy_add)(struct fw_store *s, struct fw_policy_version *v, const char *text,
				  size_t n);
	enum fw_err (*policy_get)(struct fw_store *s, int version, struct fw_policy_version *out,
				  struct fw_buf *text);
	enum fw_err (*policy_list)(struct fw_store *s, struct fw_policy_version **out, size_t *n);

	/* Checked by store.c: scope, counts, kinds. */
	enum fw_err (*plan_write)(struct fw_store *s, struct fw_plan_write *w);
	enum fw_err (*plan_current)(struct fw_store *s, bool *current);
	enum fw_err (*plan_list)(struct fw_store *s, const char *advisory_id, const char *member_id,
				 struct fw_plan_entry **out, size_t *n);

	/* max is already within 1..FW_STORE_MAX_LIST. */
	enum fw_err (*due_list)(struct fw_store *s, int64_t now, size_t max, struct fw_due **out,
				size_t *n);
	enum fw_err (*next_wakeup)(struct fw_store *s, int64_t now, int64_t *out);
	enum fw_err (*advisory_publish_due)(struct fw_store *s, int64_t now, size_t *n);

	enum fw_err (*delivery_insert_many)(struct fw_store *s, struct fw_store_copy *c, size_t n);
	enum fw_err (*delivery_get)(struct fw_store *s, int64_t id, struct fw_delivery *out);
	/* f is never NULL and f->limit is already within 1..FW_STORE_MAX_LIST. */
	enum fw_err (*delivery_list)(struct fw_store *s, const struct fw_delivery_filter *f,
				     struct fw_delivery **out, size_t *n);
	enum fw_err (*delivery_content)(struct fw_store *s, int64_t id, struct fw_buf *sealed,
					struct fw_buf *minisig);
	enum fw_err (*delivery_read_add)(struct fw_store *s, const struct fw_delivery_read *r);
	enum fw_err (*delivery_read_list)(struct fw_store *s, int64_t delivery_id,
					  struct fw_delivery_read **out, size_t *n);
	/* acknowledgements (sqlite_ack.c, pg_ack.c); arguments checked by store.c */
	enum fw_err (*ack_add)(struct fw_store *s, struct fw_store_ack *a, const char *statement, size_t statement_len,
			       const char *signature, size_t signature_len, struct fw_store_log_hook *log,
			       bool *added);
	enum fw_err (*ack_get)(struct fw_store *s, int64_t delivery_id, struct fw_store_ack *out,
			       struct fw_buf *statement, struct fw_buf *signature);
	enum fw_err (*ack_times)(struct fw_store *s, const int64_t *ids, size_t n, int64_t *at);

	/* transparency log; arguments checked by store.c */
	enum fw_err (*log_append_many)(struct fw_store *s, const struct fw_store_log_item *items, size_t n,
				       uint64_t *first);
	enum fw_err (*log_state)(struct fw_store *s, struct fw_store_log_state *out);
	enum fw_err (*log_leaves)(struct fw_store *s, uint64_t from, size_t count, uint8_t *out);
	enum fw_err (*log_entries)(struct fw_store *s, uint64_t from, size_t count,
				   fw_store_log_entry_fn fn, void *ctx);
	enum fw_err (*log_delivery_entry)(struct fw_store *s, int64_t delivery_id, uint64_t *index,
					  struct fw_buf *entry);
	enum fw_err (*log_node_get)(struct fw_store *s, unsigned level, uint64_t index, uint8_t out[32]);
	enum fw_err (*log_integrate)(struct fw_store *s, const struct fw_store_log_integration *in);
	enum fw_err (*log_checkpoint_get)(struct fw_store *s, bool latest, uint64_t size,
					  uint64_t *out_size, struct fw_buf *note);
	/* witness cosignatures (sqlite_cosig.c, pg_cosig.c) */
	enum fw_err (*log_cosig_add)(struct fw_store *s, const struct fw_store_cosig *c, bool *added);
	enum fw_err (*log_cosig_list)(struct fw_store *s, uint64_t size, struct fw_store_cosig **out, size_t *n);

	/* fingerprinting and tracing (sqlite_mark.c, pg_mark.c) */
	enum fw_err (*mark_add)(struct fw_store *s, const struct fw_store_mark *m);
	enum fw_err (*mark_get)(struct fw_store *s, const char *advisory_id, enum fw_kind kind, int version,
				struct fw_store_mark *out);
	enum fw_err (*mark_recipients)(struct fw_store *s, const char *advisory_id, enum fw_kind kind,
				       int version, struct fw_store_member_ref **out, size_t *n);
	enum fw_err (*trace_add)(struct fw_store *s, struct fw_store_trace *t, struct fw_store_log_hook *log);
	enum fw_err (*trace_count)(struct fw_store *s, const char *advisory_id, size_t *n);

	/* several nodes (pg_claim.c, pg_notify.c). NULL: one node (SQLite):
	 * store.c then claims with due_list and notifies nobody. */
	enum fw_err (*due_claim)(struct fw_store *s, int64_t now, size_t max, int lease_s, struct fw_due **out,
				 size_t *n);
	enum fw_err (*due_unclaim)(struct fw_store *s);
	enum fw_err (*claim_wait)(struct fw_store *s, int64_t *seconds);
	enum fw_err (*notify)(struct fw_store *s, const char *channel);
	enum fw_err (*listen)(struct fw_store *s, const char *channel, fw_store_listen_fn fn, void *ctx,
			      struct fw_store_listener **out);
};

/* A backend's listener starts with this. */
struct fw_store_listener {
	void (*free)(struct fw_store_listener *l);
};

struct fw_store {
	const struct fw_store_ops *ops;
};

/* path is a file name (the "sqlite:" prefix already removed). */
enum fw_err fw_store_sqlite_open(const char *path, struct fw_store **out) FW_WUR;
/* url is the whole postgresql:// (or postgres://) connection URL. */
enum fw_err fw_store_pg_open(const char *url, struct fw_store **out) FW_WUR;

#endif
