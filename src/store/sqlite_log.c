/* SQLite backend: the transparency log's entries, tree state, subtree
 * hashes and checkpoints (0002_log.sql). Sequencing relies on BEGIN
 * IMMEDIATE: the writer holds the database's write lock from the first
 * statement, so reading log_seq and writing it back cannot interleave with
 * another writer. */
#include "store/sqlite_int.h"

static const char sql_seq_get[] = "SELECT next_index FROM log_seq WHERE id = 1";
static const char sql_seq_set[] = "UPDATE log_seq SET next_index = ?1 WHERE id = 1";
static const char sql_entry_put[] = "INSERT INTO log_entries (idx, entry, leaf_hash, delivery_id)"
				    " VALUES (?1, ?2, ?3, ?4)";
static const char sql_tree_get[] = "SELECT size, frontier FROM log_tree WHERE id = 1";
static const char sql_leaves[] = "SELECT idx, leaf_hash FROM log_entries WHERE idx >= ?1 AND idx < ?2"
				 " ORDER BY idx";
static const char sql_entries[] = "SELECT idx, entry FROM log_entries WHERE idx >= ?1 AND idx < ?2"
				  " ORDER BY idx";
static const char sql_by_delivery[] = "SELECT idx, entry FROM log_entries WHERE delivery_id = ?1";
static const char sql_node_get[] = "SELECT hash FROM log_nodes WHERE level = ?1 AND idx = ?2";
static const char sql_tree_cas[] = "UPDATE log_tree SET size = ?2, frontier = ?3 WHERE id = 1 AND size = ?1";
static const char sql_node_put[] = "INSERT OR REPLACE INTO log_nodes (level, idx, hash) VALUES (?1, ?2, ?3)";
static const char sql_cp_put[] = "INSERT OR IGNORE INTO log_checkpoints (size, root, note, created_at)"
				 " VALUES (?1, ?2, ?3, ?4)";
static const char sql_cp_size[] = "SELECT size, note FROM log_checkpoints WHERE size = ?1";
static const char sql_cp_latest[] = "SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1";

/* --- sequencing, inside a caller's transaction --------------------------- */
enum fw_err fw_store_sqlite_log_seq_get(struct sq_conn *c, uint64_t *next)
{
	sqlite3_stmt *st;
	bool row = false;
	enum fw_err r;
	if ((r = fw_store_sq_stmt(c, sql_seq_get, &st)) != FW_OK ||
	    (r = fw_store_sq_step(c, st, &row, "log")) != FW_OK)
		return r;
	if (!row) {
		sqlite3_reset(st);
		fw_log_error("store", "log_seq has no row");
		return FW_ERR_STORE;
	}
	r = sq_col_u64(st, 0, next);
	sqlite3_reset(st);
	return r;
}

enum fw_err fw_store_sqlite_log_seq_set(struct sq_conn *c, uint64_t next)
{
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_stmt(c, sql_seq_set, &st)) != FW_OK)
		return r;
	struct sq_bind b = sq_bind(c, st, "log");
	sq_u64(&b, 1, next);
	if (b.r != FW_OK)
		return b.r;
	return fw_store_sq_exec(c, st, "log");
}

enum fw_err fw_store_sqlite_log_put(struct sq_conn *c, uint64_t index, const uint8_t *entry, size_t n,
				    const uint8_t leaf_hash[32], int64_t delivery_id)
{
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_stmt(c, sql_entry_put, &st)) != FW_OK)
		return r;
	struct sq_bind b = sq_bind(c, st, "log entry");
	sq_u64(&b, 1, index);
	sq_blob(&b, 2, entry, n);
	sq_blob(&b, 3, leaf_hash, 32);
	if (delivery_id > 0)
		sq_i64(&b, 4, delivery_id);
	if (b.r != FW_OK)
		return b.r;
	return fw_store_sq_exec(c, st, "log entry");
}

enum fw_err fw_store_sqlite_log_hook_run(struct sq_conn *c, struct fw_store_log_hook *h)
{
	struct fw_buf entry;
	uint8_t leaf[32];
	uint64_t next = 0;
	enum fw_err r;
	if (!h || !h->make)
		return FW_OK;
	fw_buf_init(&entry, FW_STORE_LOG_ENTRY_MAX);
	if ((r = h->make(h->ctx, &entry, leaf)) == FW_OK &&
	    (r = fw_store_sqlite_log_seq_get(c, &next)) == FW_OK &&
	    (r = fw_store_sqlite_log_put(c, next, entry.data, entry.len, leaf, 0)) == FW_OK &&
	    (r = fw_store_sqlite_log_seq_set(c, next + 1)) == FW_OK) {
		h->index = next;
		h->written = true;
	}
	fw_buf_cleanup(&entry);
	return r;
}

enum fw_err fw_store_sqlite_log_append_many(struct fw_store *s, const struct fw_store_log_item *items, size_t n,
				       uint64_t *first)
{
	struct sq_conn *c = NULL;
	uint64_t next = 0;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_begin(c)) != FW_OK)
		goto out;
	if ((r = fw_store_sqlite_log_seq_get(c, &next)) != FW_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((r = fw_store_sqlite_log_put(c, next + i, items[i].entry, items[i].n, items[i].leaf_hash, 0)) != FW_OK)
			goto out;
	if ((r = fw_store_sqlite_log_seq_set(c, next + n)) != FW_OK || (r = fw_store_sq_commit(c)) != FW_OK)
		goto out;
	*first = next;
out:
	if (r != FW_OK && c)
		fw_store_sq_rollback(c);
	fw_store_sq_release(s, c);
	return r;
}

/* --- reads --------------------------------------------------------------- */
/* Both reads run in one read transaction, so they see one snapshot. */
enum fw_err fw_store_sqlite_log_state(struct fw_store *s, struct fw_store_log_state *out)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	struct fw_store_log_state v;
	bool row = false;
	enum fw_err r;
	memset(&v, 0, sizeof v);
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK)
		goto out;
	if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		r = fw_store_sq_error(c, sqlite3_errcode(c->db), "log");
		goto out;
	}
	if ((r = fw_store_sqlite_log_seq_get(c, &v.sequenced)) != FW_OK ||
	    (r = fw_store_sq_stmt(c, sql_tree_get, &st)) != FW_OK ||
	    (r = fw_store_sq_step(c, st, &row, "log")) != FW_OK)
		goto out;
	const void *p = row ? sqlite3_column_blob(st, 1) : NULL;
	size_t n = row ? (size_t)sqlite3_column_bytes(st, 1) : 0;
	if (!row || !p || n > sizeof v.frontier || (r = sq_col_u64(st, 0, &v.integrated)) != FW_OK) {
		fw_log_error("store", "log_tree is damaged");
		r = FW_ERR_STORE;
		goto out;
	}
	memcpy(v.frontier, p, n);
	v.frontier_len = n;
	*out = v;
out:
	if (c)
		fw_store_sq_rollback(c);
	fw_store_sq_release(s, c);
	return r;
}

static enum fw_err range_stmt(struct sq_conn *c, const char *sql, uint64_t from, size_t count,
			      sqlite3_stmt **out)
{
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_stmt(c, sql, &st)) != FW_OK)
		return r;
	struct sq_bind b = sq_bind(c, st, "log");
	sq_u64(&b, 1, from);
	sq_u64(&b, 2, from + count);
	if (b.r != FW_OK)
		return b.r;
	*out = st;
	return FW_OK;
}

enum fw_err fw_store_sqlite_log_leaves(struct fw_store *s, uint64_t from, size_t count, uint8_t *out)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st = NULL;
	size_t got = 0;
	bool row = true;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = range_stmt(c, sql_leaves, from, count, &st)) != FW_OK)
		goto out;
	while ((r = fw_store_sq_step(c, st, &row, "log")) == FW_OK && row) {
		uint64_t idx = 0;
		if ((r = sq_col_u64(st, 0, &idx)) != FW_OK)
			goto out;
		if (idx != from + got) /* a gap: the log is damaged */
			break;
		if ((r = sq_col_hash(st, 1, out + 32 * got)) != FW_OK)
			goto out;
		got++;
	}
	if (r == FW_OK && got != count)
		r = fw_err_set(FW_ERR_NOT_FOUND, "log entries %llu…%llu are not all there",
			       (unsigned long long)from, (unsigned long long)(from + count - 1));
out:
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_log_entries(struct fw_store *s, uint64_t from, size_t count,
					fw_store_log_entry_fn fn, void *ctx)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st = NULL;
	size_t got = 0;
	bool row = true;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = range_stmt(c, sql_entries, from, count, &st)) != FW_OK)
		goto out;
	while ((r = fw_store_sq_step(c, st, &row, "log")) == FW_OK && row) {
		uint64_t idx = 0;
		if ((r = sq_col_u64(st, 0, &idx)) != FW_OK)
			goto out;
		if (idx != from + got)
			break;
		const void *p = sqlite3_column_blob(st, 1);
		size_t n = (size_t)sqlite3_column_bytes(st, 1);
		if ((r = fn(ctx, idx, p ? p : "", n)) != FW_OK)
			goto out;
		got++;
	}
	if (r == FW_OK && got != count)
		r = fw_err_set(FW_ERR_NOT_FOUND, "log entries %llu…%llu are not all there",
			       (unsigned long long)from, (unsigned long long)(from + count - 1));
out:
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_log_delivery_entry(struct fw_store *s, int64_t delivery_id, uint64_t *index,
					       struct fw_buf *entry)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	uint64_t idx = 0;
	bool row = false;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql_by_delivery, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "log entry");
	sq_i64(&b, 1, delivery_id);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_step(c, st, &row, "log entry")) != FW_OK)
		goto out;
	if (!row) {
		r = FW_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = sq_col_u64(st, 0, &idx)) != FW_OK || (entry && (r = sq_col_buf(st, 1, entry)) != FW_OK))
		goto out;
	*index = idx;
out:
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_log_node_get(struct fw_store *s, unsigned level, uint64_t index, uint8_t out[32])
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	bool row = false;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql_node_get, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "log node");
	sq_i64(&b, 1, (int64_t)level);
	sq_u64(&b, 2, index);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_step(c, st, &row, "log node")) != FW_OK)
		goto out;
	if (!row) {
		r = fw_err_set(FW_ERR_NOT_FOUND, "no log node %u/%llu", level, (unsigned long long)index);
		goto out;
	}
	r = sq_col_hash(st, 0, out);
out:
	fw_store_sq_release(s, c);
	return r;
}

/* --- integration --------------------------------------------------------- */
static enum fw_err tree_cas(struct sq_conn *c, const struct fw_store_log_integration *in)
{
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_stmt(c, sql_tree_cas, &st)) != FW_OK)
		return r;
	struct sq_bind b = sq_bind(c, st, "log tree");
	sq_u64(&b, 1, in->old_size);
	sq_u64(&b, 2, in->new_size);
	sq_blob(&b, 3, in->frontier, in->frontier_len);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_exec(c, st, "log tree")) != FW_OK)
		return r;
	if (sqlite3_changes(c->db) != 1)
		return fw_err_set(FW_ERR_STATE, "the log tree moved on (another integrator won)");
	return FW_OK;
}

static enum fw_err nodes_put(struct sq_conn *c, const struct fw_store_log_node *nodes, size_t n)
{
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_stmt(c, sql_node_put, &st)) != FW_OK)
		return r;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(st);
		struct sq_bind b = sq_bind(c, st, "log node");
		sq_i64(&b, 1, (int64_t)nodes[i].level);
		sq_u64(&b, 2, nodes[i].index);
		sq_blob(&b, 3, nodes[i].hash, 32);
		if ((r = b.r) != FW_OK || (r = fw_store_sq_exec(c, st, "log node")) != FW_OK)
			return r;
	}
	return FW_OK;
}

enum fw_err fw_store_sqlite_log_integrate(struct fw_store *s, const struct fw_store_log_integration *in)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_begin(c)) != FW_OK)
		goto out;
	if ((r = tree_cas(c, in)) != FW_OK || (r = nodes_put(c, in->nodes, in->n_nodes)) != FW_OK ||
	    (r = fw_store_sq_stmt(c, sql_cp_put, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "log checkpoint");
	sq_u64(&b, 1, in->new_size);
	sq_blob(&b, 2, in->root, 32);
	sq_textn(&b, 3, in->note, in->note_len);
	sq_i64(&b, 4, in->at);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_exec(c, st, "log checkpoint")) != FW_OK)
		goto out;
	r = fw_store_sq_commit(c);
out:
	if (r != FW_OK && c)
		fw_store_sq_rollback(c);
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_log_checkpoint_get(struct fw_store *s, bool latest, uint64_t size,
					       uint64_t *out_size, struct fw_buf *note)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	uint64_t got = 0;
	bool row = false;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK ||
	    (r = fw_store_sq_stmt(c, latest ? sql_cp_latest : sql_cp_size, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "log checkpoint");
	if (!latest)
		sq_u64(&b, 1, size);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_step(c, st, &row, "log checkpoint")) != FW_OK)
		goto out;
	if (!row) {
		r = fw_err_set(FW_ERR_NOT_FOUND, "no such checkpoint");
		goto out;
	}
	if ((r = sq_col_u64(st, 0, &got)) != FW_OK || (note && (r = sq_col_buf(st, 1, note)) != FW_OK))
		goto out;
	if (out_size)
		*out_size = got;
out:
	fw_store_sq_release(s, c);
	return r;
}
