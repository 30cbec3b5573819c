/* SQLite backend: acknowledgements, the member-signed receipts of
 * deliveries (0007_acks.sql). An acknowledgement and its "receipt" log
 * entry go in under one BEGIN IMMEDIATE, so neither is ever stored without
 * the other. */
#include <inttypes.h>
#include <stdio.h>

#include "store/sqlite_int.h"

/* A second acknowledgement of a delivery changes nothing: the caller then
 * compares it with the stored one (a replay, or a conflict). */
static const char sql_ack_insert[] =
	"INSERT INTO acks (delivery_id, member_id, acked_at, statement, signature, public_key)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (delivery_id) DO NOTHING";
static const char sql_ack_logged[] = "UPDATE acks SET log_idx = ?2 WHERE delivery_id = ?1";
static const char sql_ack_get[] = "SELECT delivery_id, member_id, acked_at, public_key, log_idx, statement, signature"
				  " FROM acks WHERE delivery_id = ?1";
/* One row per id asked for, in the order asked (?1 is a JSON array of ids). */
static const char sql_ack_times[] = "SELECT a.acked_at FROM json_each(?1) AS j"
				    " LEFT JOIN acks AS a ON a.delivery_id = j.value ORDER BY j.key LIMIT ?2";

/* The stored acknowledgement of a delivery, on c (inside or outside a
 * transaction); FW_ERR_NOT_FOUND when there is none. */
static enum fw_err read_ack(struct sq_conn *c, int64_t delivery_id, struct fw_store_ack *out, struct fw_buf *statement,
			    struct fw_buf *signature)
{
	sqlite3_stmt *st;
	struct fw_store_ack a;
	bool row = false;
	enum fw_err r;
	memset(&a, 0, sizeof a);
	if ((r = fw_store_sq_stmt(c, sql_ack_get, &st)) != FW_OK)
		return r;
	struct sq_bind b = sq_bind(c, st, "acknowledgement");
	sq_i64(&b, 1, delivery_id);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_step(c, st, &row, "acknowledgement")) != FW_OK)
		goto out;
	if (!row) {
		r = FW_ERR_NOT_FOUND;
		goto out;
	}
	a.delivery_id = sqlite3_column_int64(st, 0);
	a.acked_at = sqlite3_column_int64(st, 2);
	a.logged = sqlite3_column_type(st, 4) != SQLITE_NULL;
	if ((r = sq_col_text(st, 1, a.member_id)) != FW_OK || (r = sq_col_text(st, 3, a.public_key)) != FW_OK ||
	    (a.logged && (r = sq_col_u64(st, 4, &a.log_index)) != FW_OK) ||
	    (statement && (r = sq_col_buf(st, 5, statement)) != FW_OK) ||
	    (signature && (r = sq_col_buf(st, 6, signature)) != FW_OK))
		goto out;
	*out = a;
out:
	sqlite3_reset(st);
	return r;
}

static enum fw_err set_logged(struct sq_conn *c, int64_t delivery_id, uint64_t index)
{
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_stmt(c, sql_ack_logged, &st)) != FW_OK)
		return r;
	struct sq_bind b = sq_bind(c, st, "acknowledgement");
	sq_i64(&b, 1, delivery_id);
	sq_u64(&b, 2, index);
	if (b.r != FW_OK)
		return b.r;
	return fw_store_sq_exec(c, st, "acknowledgement");
}

enum fw_err fw_store_sqlite_ack_add(struct fw_store *s, struct fw_store_ack *a, const char *statement,
				    size_t statement_len, const char *signature, size_t signature_len,
				    struct fw_store_log_hook *log, bool *added)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	bool inserted = false;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_begin(c)) != FW_OK ||
	    (r = fw_store_sq_stmt(c, sql_ack_insert, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "acknowledgement");
	sq_i64(&b, 1, a->delivery_id);
	sq_field(&b, 2, a->member_id);
	sq_i64(&b, 3, a->acked_at);
	sq_textn(&b, 4, statement, statement_len);
	sq_textn(&b, 5, signature, signature_len);
	sq_field(&b, 6, a->public_key);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_exec(c, st, "acknowledgement")) != FW_OK)
		goto out;
	inserted = sqlite3_changes(c->db) == 1;
	if (!inserted)
		goto out; /* acknowledged already (store.c tells a replay from a conflict): rolled back below */
	if ((r = fw_store_sqlite_log_hook_run(c, log)) != FW_OK ||
	    (log && log->written && (r = set_logged(c, a->delivery_id, log->index)) != FW_OK) ||
	    (r = fw_store_sq_commit(c)) != FW_OK)
		goto out;
	a->logged = log && log->written;
	a->log_index = a->logged ? log->index : 0;
out:
	if (c && (r != FW_OK || !inserted))
		fw_store_sq_rollback(c);
	if (r == FW_OK)
		*added = inserted;
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_ack_get(struct fw_store *s, int64_t delivery_id, struct fw_store_ack *out,
				    struct fw_buf *statement, struct fw_buf *signature)
{
	struct sq_conn *c = NULL;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) == FW_OK)
		r = read_ack(c, delivery_id, out, statement, signature);
	fw_store_sq_release(s, c);
	return r;
}

static enum fw_err time_row(sqlite3_stmt *st, void *out)
{
	*(int64_t *)out = sqlite3_column_int64(st, 0); /* NULL (not acknowledged) reads 0 */
	return FW_OK;
}

enum fw_err fw_store_sqlite_ack_times(struct fw_store *s, const int64_t *ids, size_t n, int64_t *at)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	struct fw_buf list;
	void *v = NULL;
	size_t got = 0;
	enum fw_err r = FW_OK;
	fw_buf_init(&list, 2 + 21 * n);
	for (size_t i = 0; i < n && r == FW_OK; i++)
		r = fw_buf_printf(&list, "%c%" PRId64, i ? ',' : '[', ids[i]);
	if (r != FW_OK || (r = fw_buf_puts(&list, "]")) != FW_OK)
		goto out;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql_ack_times, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "acknowledgement");
	sq_textn(&b, 1, fw_buf_str(&list), list.len);
	sq_i64(&b, 2, (int64_t)n);
	if ((r = b.r) != FW_OK ||
	    (r = fw_store_sq_collect(c, st, time_row, sizeof(int64_t), &v, &got, "acknowledgement")) != FW_OK)
		goto out;
	if (got != n) {
		fw_log_error("store", "acknowledgement times: %zu rows for %zu deliveries", got, n);
		r = FW_ERR_STORE;
		goto out;
	}
	memcpy(at, v, n * sizeof *at);
out:
	free(v);
	fw_buf_cleanup(&list);
	fw_store_sq_release(s, c);
	return r;
}
