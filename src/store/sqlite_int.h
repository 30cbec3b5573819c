/* Internals shared by the files of the SQLite backend (sqlite*.c).
 *
 * sqlite.c owns the connection pool, the statement cache, transactions, error
 * mapping and migrations; the other files hold the SQL of one table group
 * each. Small binding and column helpers are static inline here so that the
 * SQL-bearing code stays short. */
#ifndef FW_STORE_SQLITE_INT_H
#define FW_STORE_SQLITE_INT_H

#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "store/backend.h"

/* Distinct SQL texts the backend prepares; each connection caches them all.
 * fw_store_sq_stmt fails loudly (FW_ERR_INTERNAL) if this is too small. */
#define SQ_STMT_CACHE 128

struct sq_conn {
	sqlite3 *db;
	struct sq_conn *next; /* in the idle list */
	unsigned nstmt;
	struct {
		const char *sql; /* the key: the address of a static string */
		sqlite3_stmt *st;
	} stmt[SQ_STMT_CACHE];
};

struct sq_store {
	struct fw_store base; /* first, so that a struct fw_store * is one of these */
	char *path;
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* signalled when a connection comes back */
	struct sq_conn *idle;   /* connections nobody holds */
	unsigned nconn;         /* connections that exist: idle or lent */
	int schema_version;
};

/* Lends a connection, opening one when none is idle and the pool is not
 * full, else waiting for one to come back. */
enum fw_err fw_store_sq_acquire(struct fw_store *s, struct sq_conn **out) FW_WUR;
/* Takes a connection back (NULL is a no-op): resets its statements, so that
 * no read snapshot outlives the call, and rolls back a transaction a caller
 * left open. */
void fw_store_sq_release(struct fw_store *s, struct sq_conn *c);
/* The connection's prepared statement for sql, reset and with no bindings.
 * sql must have static storage: its address is the cache key. */
enum fw_err fw_store_sq_stmt(struct sq_conn *c, const char *sql, sqlite3_stmt **out) FW_WUR;
/* Maps an SQLite result code to fw_err, with a detail naming what for the
 * caller's mistakes and a log line for the database's failures. */
enum fw_err fw_store_sq_error(struct sq_conn *c, int rc, const char *what);
/* One step: *row is true for a row, false when the statement is done. */
enum fw_err fw_store_sq_step(struct sq_conn *c, sqlite3_stmt *st, bool *row, const char *what) FW_WUR;
/* Runs a statement that returns no rows (or whose rows are not wanted) to
 * the end. */
enum fw_err fw_store_sq_exec(struct sq_conn *c, sqlite3_stmt *st, const char *what) FW_WUR;
/* BEGIN IMMEDIATE: the write lock is taken up front, so that a transaction
 * that reads before it writes cannot fail half-way with SQLITE_BUSY. */
enum fw_err fw_store_sq_begin(struct sq_conn *c) FW_WUR;
enum fw_err fw_store_sq_commit(struct sq_conn *c) FW_WUR;
void fw_store_sq_rollback(struct sq_conn *c);

/* Reads one row into a struct. */
typedef enum fw_err (*sq_row_fn)(sqlite3_stmt *st, void *out);
/* Steps a bound statement once: FW_ERR_NOT_FOUND without a row, else the
 * row is read into out. */
enum fw_err fw_store_sq_one(struct sq_conn *c, sqlite3_stmt *st, sq_row_fn fn, void *out,
			    const char *what) FW_WUR;
/* Steps a bound statement to the end, reading every row into a new array
 * of elements of the given size (NULL when there are none). The SQL must
 * carry a LIMIT of at most FW_STORE_MAX_LIST. */
enum fw_err fw_store_sq_collect(struct sq_conn *c, sqlite3_stmt *st, sq_row_fn fn, size_t size,
				void **out, size_t *n, const char *what) FW_WUR;

/* --- binding parameters: the first failure sticks, checked once -------- */
struct sq_bind {
	struct sq_conn *c;
	sqlite3_stmt *st;
	const char *what;
	enum fw_err r;
};

static inline struct sq_bind sq_bind(struct sq_conn *c, sqlite3_stmt *st, const char *what)
{
	struct sq_bind b = {c, st, what, FW_OK};
	return b;
}

static inline void sq_rc(struct sq_bind *b, int rc)
{
	if (rc != SQLITE_OK && b->r == FW_OK)
		b->r = fw_store_sq_error(b->c, rc, b->what);
}

/* NULL binds SQL NULL. */
static inline void sq_text(struct sq_bind *b, int i, const char *s)
{
	if (b->r == FW_OK)
		sq_rc(b, s ? sqlite3_bind_text(b->st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(b->st, i));
}

/* n bytes of text, not necessarily NUL-terminated. */
static inline void sq_textn(struct sq_bind *b, int i, const char *s, size_t n)
{
	if (b->r == FW_OK)
		sq_rc(b, sqlite3_bind_text64(b->st, i, s, n, SQLITE_TRANSIENT, SQLITE_UTF8));
}

/* A fixed-size field of a model struct: refuses one without its NUL rather
 * than reading past it. */
static inline void sq_field_n(struct sq_bind *b, int i, const char *s, size_t cap)
{
	if (b->r != FW_OK)
		return;
	size_t n = strnlen(s, cap);
	if (n == cap) {
		b->r = fw_err_set(FW_ERR_INVALID, "%s: a text field is not terminated", b->what);
		return;
	}
	sq_rc(b, sqlite3_bind_text(b->st, i, s, (int)n, SQLITE_TRANSIENT));
}
#define sq_field(b, i, arr) sq_field_n((b), (i), (arr), sizeof(arr))

/* Like sq_field, but "" binds NULL: for optional references. */
static inline void sq_ref_n(struct sq_bind *b, int i, const char *s, size_t cap)
{
	if (b->r == FW_OK && s[0] == '\0')
		sq_rc(b, sqlite3_bind_null(b->st, i));
	else
		sq_field_n(b, i, s, cap);
}
#define sq_ref(b, i, arr) sq_ref_n((b), (i), (arr), sizeof(arr))

static inline void sq_i64(struct sq_bind *b, int i, int64_t v)
{
	if (b->r == FW_OK)
		sq_rc(b, sqlite3_bind_int64(b->st, i, v));
}

/* An empty blob is bound as a zero-length blob, not as NULL. */
static inline void sq_blob(struct sq_bind *b, int i, const void *p, size_t n)
{
	if (b->r != FW_OK)
		return;
	if (n == 0)
		sq_rc(b, sqlite3_bind_zeroblob(b->st, i, 0));
	else
		sq_rc(b, sqlite3_bind_blob64(b->st, i, p, n, SQLITE_TRANSIENT));
}

static inline void sq_f64(struct sq_bind *b, int i, double v)
{
	if (b->r == FW_OK)
		sq_rc(b, sqlite3_bind_double(b->st, i, v));
}

static inline void sq_u64(struct sq_bind *b, int i, uint64_t v)
{
	if (b->r == FW_OK && v > INT64_MAX)
		b->r = fw_err_set(FW_ERR_INVALID, "%s: size out of range", b->what);
	sq_i64(b, i, (int64_t)v);
}

/* --- reading columns: a value that does not fit is a corrupt database -- */
static inline enum fw_err sq_corrupt(sqlite3_stmt *st, int i)
{
	fw_log_error("store", "column %s does not fit its field", sqlite3_column_name(st, i));
	return FW_ERR_STORE;
}

/* NULL reads as "". */
static inline enum fw_err sq_col_text_n(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
	const unsigned char *p = sqlite3_column_text(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);
	if (!p)
		n = 0;
	if (n >= cap || (p && memchr(p, '\0', n)))
		return sq_corrupt(st, i);
	if (n)
		memcpy(dst, p, n);
	dst[n] = '\0';
	return FW_OK;
}
#define sq_col_text(st, i, arr) sq_col_text_n((st), (i), (arr), sizeof(arr))

static inline enum fw_err sq_col_hash(sqlite3_stmt *st, int i, uint8_t dst[32])
{
	const void *p = sqlite3_column_blob(st, i);
	if (!p || sqlite3_column_bytes(st, i) != 32)
		return sq_corrupt(st, i);
	memcpy(dst, p, 32);
	return FW_OK;
}

static inline enum fw_err sq_col_u64(sqlite3_stmt *st, int i, uint64_t *out)
{
	int64_t v = sqlite3_column_int64(st, i);
	if (v < 0)
		return sq_corrupt(st, i);
	*out = (uint64_t)v;
	return FW_OK;
}

static inline enum fw_err sq_col_int(sqlite3_stmt *st, int i, int *out)
{
	int64_t v = sqlite3_column_int64(st, i);
	if (v < INT_MIN || v > INT_MAX)
		return sq_corrupt(st, i);
	*out = (int)v;
	return FW_OK;
}

static inline enum fw_err sq_col_kind(sqlite3_stmt *st, int i, enum fw_kind *out)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	if (fw_kind_parse(s, out) != FW_OK) {
		fw_err_clear();
		return sq_corrupt(st, i);
	}
	return FW_OK;
}

/* A blob or text column appended to b after emptying it; NULL reads as
 * empty. */
static inline enum fw_err sq_col_buf(sqlite3_stmt *st, int i, struct fw_buf *b)
{
	const void *p = sqlite3_column_type(st, i) == SQLITE_TEXT ? (const void *)sqlite3_column_text(st, i)
								   : sqlite3_column_blob(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);
	fw_buf_reset(b);
	if (!p || n == 0)
		return FW_OK;
	return fw_buf_append(b, p, n);
}

/* --- growing a result array up to FW_STORE_MAX_LIST rows --------------- */
struct sq_rows {
	void *v;
	size_t n, cap, size;
};

/* *slot gets a zeroed element at the end of the array. */
static inline enum fw_err sq_rows_add(struct sq_rows *rs, void **slot)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		if (cap > FW_STORE_MAX_LIST)
			cap = FW_STORE_MAX_LIST;
		if (cap <= rs->n)
			return FW_ERR_INTERNAL; /* the SQL forgot its LIMIT */
		void *v = realloc(rs->v, cap * rs->size);
		if (!v)
			return FW_ERR_NOMEM;
		rs->v = v;
		rs->cap = cap;
	}
	*slot = (char *)rs->v + rs->n++ * rs->size;
	memset(*slot, 0, rs->size);
	return FW_OK;
}

/* --- the operations, by file -------------------------------------------- */
/* sqlite_people.c */
enum fw_err fw_store_sqlite_member_create(struct fw_store *s, const struct fw_member *m);
enum fw_err fw_store_sqlite_member_get(struct fw_store *s, const char *id, struct fw_member *out);
enum fw_err fw_store_sqlite_member_update(struct fw_store *s, const struct fw_member *m);
enum fw_err fw_store_sqlite_member_list(struct fw_store *s, struct fw_member **out, size_t *n);
enum fw_err fw_store_sqlite_member_set_status(struct fw_store *s, struct fw_store_status_change *c,
					      struct fw_store_log_hook *log);
enum fw_err fw_store_sqlite_token_create(struct fw_store *s, const struct fw_token *t,
					 const uint8_t hash[32]);
enum fw_err fw_store_sqlite_token_find(struct fw_store *s, const uint8_t hash[32], struct fw_token *out);
enum fw_err fw_store_sqlite_token_get(struct fw_store *s, const char *id, struct fw_token *out);
enum fw_err fw_store_sqlite_token_list(struct fw_store *s, const char *member_id,
				       struct fw_token **out, size_t *n);
enum fw_err fw_store_sqlite_token_revoke(struct fw_store *s, const char *id, int64_t at);
enum fw_err fw_store_sqlite_token_revoke_member(struct fw_store *s, const char *member_id, int64_t at,
						size_t *n);
enum fw_err fw_store_sqlite_token_touch(struct fw_store *s, const char *id, int64_t at);
enum fw_err fw_store_sqlite_advisory_create(struct fw_store *s, const struct fw_advisory *a);
enum fw_err fw_store_sqlite_advisory_get(struct fw_store *s, const char *id, struct fw_advisory *out);
enum fw_err fw_store_sqlite_advisory_update(struct fw_store *s, const struct fw_advisory *a,
					    struct fw_store_log_hook *log);
enum fw_err fw_store_sqlite_advisory_list(struct fw_store *s, struct fw_advisory **out, size_t *n);

/* sqlite_release.c */
enum fw_err fw_store_sqlite_artifact_add(struct fw_store *s, struct fw_artifact *a,
					 const uint8_t *content, size_t n);
enum fw_err fw_store_sqlite_artifact_get(struct fw_store *s, const char *advisory_id, enum fw_kind kind,
					 int version, struct fw_artifact *out, struct fw_buf *content);
enum fw_err fw_store_sqlite_artifact_list(struct fw_store *s, const char *advisory_id,
					  struct fw_artifact **out, size_t *n);
enum fw_err fw_store_sqlite_policy_add(struct fw_store *s, struct fw_policy_version *v,
				       const char *text, size_t n);
enum fw_err fw_store_sqlite_policy_get(struct fw_store *s, int version, struct fw_policy_version *out,
				       struct fw_buf *text);
enum fw_err fw_store_sqlite_policy_list(struct fw_store *s, struct fw_policy_version **out, size_t *n);
enum fw_err fw_store_sqlite_advisory_publish_due(struct fw_store *s, int64_t now, size_t *n);
/* A new policy version inside the caller's transaction. */
enum fw_err fw_store_sqlite_policy_insert(struct sq_conn *c, struct fw_policy_version *v, const char *text,
					  size_t n) FW_WUR;

/* sqlite_plan.c */
enum fw_err fw_store_sqlite_plan_write(struct fw_store *s, struct fw_plan_write *w);
enum fw_err fw_store_sqlite_plan_list(struct fw_store *s, const char *advisory_id,
				      const char *member_id, struct fw_plan_entry **out, size_t *n);
enum fw_err fw_store_sqlite_plan_current(struct fw_store *s, bool *current);
enum fw_err fw_store_sqlite_due_list(struct fw_store *s, int64_t now, size_t max, struct fw_due **out,
				     size_t *n);
enum fw_err fw_store_sqlite_next_wakeup(struct fw_store *s, int64_t now, int64_t *out);

/* sqlite_delivery.c */
enum fw_err fw_store_sqlite_delivery_insert_many(struct fw_store *s, struct fw_store_copy *c, size_t n);
enum fw_err fw_store_sqlite_delivery_get(struct fw_store *s, int64_t id, struct fw_delivery *out);
enum fw_err fw_store_sqlite_delivery_list(struct fw_store *s, const struct fw_delivery_filter *f,
					  struct fw_delivery **out, size_t *n);
enum fw_err fw_store_sqlite_delivery_content(struct fw_store *s, int64_t id, struct fw_buf *sealed,
					     struct fw_buf *minisig);
enum fw_err fw_store_sqlite_delivery_read_add(struct fw_store *s, const struct fw_delivery_read *r);
enum fw_err fw_store_sqlite_delivery_read_list(struct fw_store *s, int64_t delivery_id,
					       struct fw_delivery_read **out, size_t *n);

/* sqlite_ack.c */
enum fw_err fw_store_sqlite_ack_add(struct fw_store *s, struct fw_store_ack *a, const char *statement,
				    size_t statement_len, const char *signature, size_t signature_len,
				    struct fw_store_log_hook *log, bool *added);
enum fw_err fw_store_sqlite_ack_get(struct fw_store *s, int64_t delivery_id, struct fw_store_ack *out,
				    struct fw_buf *statement, struct fw_buf *signature);
enum fw_err fw_store_sqlite_ack_times(struct fw_store *s, const int64_t *ids, size_t n, int64_t *at);

/* sqlite_log.c */
enum fw_err fw_store_sqlite_log_append_many(struct fw_store *s, const struct fw_store_log_item *items, size_t n,
					uint64_t *first);
enum fw_err fw_store_sqlite_log_state(struct fw_store *s, struct fw_store_log_state *out);
enum fw_err fw_store_sqlite_log_leaves(struct fw_store *s, uint64_t from, size_t count, uint8_t *out);
enum fw_err fw_store_sqlite_log_entries(struct fw_store *s, uint64_t from, size_t count,
					fw_store_log_entry_fn fn, void *ctx);
enum fw_err fw_store_sqlite_log_delivery_entry(struct fw_store *s, int64_t delivery_id, uint64_t *index,
					       struct fw_buf *entry);
enum fw_err fw_store_sqlite_log_node_get(struct fw_store *s, unsigned level, uint64_t index, uint8_t out[32]);
enum fw_err fw_store_sqlite_log_integrate(struct fw_store *s, const struct fw_store_log_integration *in);
enum fw_err fw_store_sqlite_log_checkpoint_get(struct fw_store *s, bool latest, uint64_t size,
					       uint64_t *out_size, struct fw_buf *note);
/* sqlite_cosig.c */
enum fw_err fw_store_sqlite_log_cosig_add(struct fw_store *s, const struct fw_store_cosig *c, bool *added);
enum fw_err fw_store_sqlite_log_cosig_list(struct fw_store *s, uint64_t size, struct fw_store_cosig **out,
					   size_t *n);
/* Sequencing inside a caller's BEGIN IMMEDIATE transaction (the delivery's). */
enum fw_err fw_store_sqlite_log_seq_get(struct sq_conn *c, uint64_t *next) FW_WUR;
enum fw_err fw_store_sqlite_log_seq_set(struct sq_conn *c, uint64_t next) FW_WUR;
/* delivery_id 0: the entry records no delivery. */
enum fw_err fw_store_sqlite_log_put(struct sq_conn *c, uint64_t index, const uint8_t *entry, size_t n,
				    const uint8_t leaf_hash[32], int64_t delivery_id) FW_WUR;

/* Runs a log hook inside the caller's transaction (NULL: nothing). */
enum fw_err fw_store_sqlite_log_hook_run(struct sq_conn *c, struct fw_store_log_hook *h) FW_WUR;

/* sqlite_mark.c */
enum fw_err fw_store_sqlite_mark_add(struct fw_store *s, const struct fw_store_mark *m);
enum fw_err fw_store_sqlite_mark_get(struct fw_store *s, const char *advisory_id, enum fw_kind kind, int version,
				     struct fw_store_mark *out);
enum fw_err fw_store_sqlite_mark_recipients(struct fw_store *s, const char *advisory_id, enum fw_kind kind,
					    int version, struct fw_store_member_ref **out, size_t *n);
enum fw_err fw_store_sqlite_trace_add(struct fw_store *s, struct fw_store_trace *t, struct fw_store_log_hook *log);
enum fw_err fw_store_sqlite_trace_count(struct fw_store *s, const char *advisory_id, size_t *n);

#endif
