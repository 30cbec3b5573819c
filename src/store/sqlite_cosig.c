/* SQLite backend: witness cosignatures of the log's checkpoints
 * (0006_cosignatures.sql). The first cosignature of a key for a checkpoint
 * is kept; a later one is ignored (ON CONFLICT DO NOTHING), so the served
 * note of a size does not change once a witness has cosigned it. */
#include "store/sqlite_int.h"

#define COSIG_COLS "size, witness, key_id, cosig_time, line, created_at"

static const char sql_cosig_add[] = "INSERT INTO log_cosignatures (" COSIG_COLS ")"
				    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
				    " ON CONFLICT (size, witness, key_id) DO NOTHING";
static const char sql_cosig_list[] = "SELECT " COSIG_COLS " FROM log_cosignatures WHERE size = ?1"
				     " ORDER BY witness, key_id LIMIT ?2";

enum fw_err fw_store_sqlite_log_cosig_add(struct fw_store *s, const struct fw_store_cosig *c, bool *added)
{
	struct sq_conn *conn = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &conn)) != FW_OK || (r = fw_store_sq_stmt(conn, sql_cosig_add, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(conn, st, "cosignature");
	sq_u64(&b, 1, c->size);
	sq_field(&b, 2, c->witness);
	sq_i64(&b, 3, (int64_t)c->key_id);
	sq_u64(&b, 4, c->time);
	sq_field(&b, 5, c->line);
	sq_i64(&b, 6, c->created_at);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_exec(conn, st, "cosignature")) != FW_OK)
		goto out;
	*added = sqlite3_changes(conn->db) == 1;
out:
	fw_store_sq_release(s, conn);
	return r;
}

static enum fw_err cosig_row(sqlite3_stmt *st, void *out)
{
	struct fw_store_cosig *c = out;
	enum fw_err r;
	uint64_t id = 0;
	if ((r = sq_col_u64(st, 0, &c->size)) != FW_OK || (r = sq_col_text(st, 1, c->witness)) != FW_OK ||
	    (r = sq_col_u64(st, 2, &id)) != FW_OK || (r = sq_col_u64(st, 3, &c->time)) != FW_OK ||
	    (r = sq_col_text(st, 4, c->line)) != FW_OK)
		return r;
	if (id > UINT32_MAX)
		return sq_corrupt(st, 2);
	c->key_id = (uint32_t)id;
	c->created_at = sqlite3_column_int64(st, 5);
	return FW_OK;
}

enum fw_err fw_store_sqlite_log_cosig_list(struct fw_store *s, uint64_t size, struct fw_store_cosig **out,
					   size_t *n)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	void *v = NULL;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql_cosig_list, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "cosignatures");
	sq_u64(&b, 1, size);
	sq_i64(&b, 2, FW_STORE_COSIGS_MAX);
	if ((r = b.r) != FW_OK)
		goto out;
	if ((r = fw_store_sq_collect(c, st, cosig_row, sizeof **out, &v, n, "cosignatures")) == FW_OK)
		*out = v;
out:
	fw_store_sq_release(s, c);
	return r;
}
