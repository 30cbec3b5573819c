/* PostgreSQL backend: the transparency log (0002_log.sql). Sequencing takes
 * the row lock of log_seq (SELECT … FOR UPDATE) inside the writer's
 * transaction, so entries get consecutive indices across every node that
 * shares the database; integration is compare-and-set on log_tree.size. */
#include "store/pg_int.h"

static const char sql_seq_lock[] = "SELECT next_index FROM log_seq WHERE id = 1 FOR UPDATE";
static const char sql_seq_set[] = "UPDATE log_seq SET next_index = $1 WHERE id = 1";
static const char sql_entry_put[] = "INSERT INTO log_entries (idx, entry, leaf_hash, delivery_id)"
				    " VALUES ($1, $2, $3, $4)";
/* One statement, one snapshot. */
static const char sql_state[] = "SELECT s.next_index, t.size, t.frontier FROM log_seq s, log_tree t"
				" WHERE s.id = 1 AND t.id = 1";
static const char sql_leaves[] = "SELECT idx, leaf_hash FROM log_entries WHERE idx >= $1 AND idx < $2"
				 " ORDER BY idx";
static const char sql_entries[] = "SELECT idx, entry FROM log_entries WHERE idx >= $1 AND idx < $2"
				  " ORDER BY idx";
static const char sql_by_delivery[] = "SELECT idx, entry FROM log_entries WHERE delivery_id = $1";
static const char sql_node_get[] = "SELECT hash FROM log_nodes WHERE level = $1 AND idx = $2";
static const char sql_tree_cas[] = "UPDATE log_tree SET size = $2, frontier = $3 WHERE id = 1 AND size = $1";
/* Nodes go in as one packed bytea of 41-byte records (level ‖ index as
 * 8 bytes big-endian ‖ hash): one round trip per chunk, not per node. */
static const char sql_nodes_put[] =
	"INSERT INTO log_nodes (level, idx, hash)"
	" SELECT get_byte($1::bytea, i * 41)::smallint,"
	" ('x' || encode(substring($1::bytea from i * 41 + 2 for 8), 'hex'))::bit(64)::bigint,"
	" substring($1::bytea from i * 41 + 10 for 32)"
	" FROM generate_series(0, $2::integer - 1) AS i"
	" ON CONFLICT (level, idx) DO UPDATE SET hash = EXCLUDED.hash";
static const char sql_cp_put[] = "INSERT INTO log_checkpoints (size, root, note, created_at)"
				 " VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING";
static const char sql_cp_size[] = "SELECT size, note FROM log_checkpoints WHERE size = $1";
static const char sql_cp_latest[] = "SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1";

#define NODE_REC 41
#define NODES_PER_CHUNK 20000

/* --- sequencing, inside a caller's transaction --------------------------- */
static enum fw_err u64_row(const PGresult *res, int row, void *out)
{
	return pg_col_u64(res, row, 0, out);
}

enum fw_err fw_store_pg_log_seq_lock(struct pg_conn *c, uint64_t *next)
{
	struct pg_params p;
	pg_params_init(&p, "log");
	enum fw_err r = fw_store_pg_one(c, sql_seq_lock, &p, u64_row, next);
	if (r == FW_ERR_NOT_FOUND) {
		fw_log_error("store", "log_seq has no row");
		r = FW_ERR_STORE;
	}
	return r;
}

enum fw_err fw_store_pg_log_seq_set(struct pg_conn *c, uint64_t next)
{
	struct pg_params p;
	pg_params_init(&p, "log");
	pg_u64(&p, 1, next);
	return fw_store_pg_command(c, sql_seq_set, &p, NULL);
}

enum fw_err fw_store_pg_log_put(struct pg_conn *c, uint64_t index, const uint8_t *entry, size_t n,
				const uint8_t leaf_hash[32], int64_t delivery_id)
{
	struct pg_params p;
	pg_params_init(&p, "log entry");
	pg_u64(&p, 1, index);
	pg_blob(&p, 2, entry, n);
	pg_blob(&p, 3, leaf_hash, 32);
	if (delivery_id > 0)
		pg_i64(&p, 4, delivery_id);
	else
		pg_text(&p, 4, NULL);
	return fw_store_pg_command(c, sql_entry_put, &p, NULL);
}

enum fw_err fw_store_pg_log_hook_run(struct pg_conn *c, struct fw_store_log_hook *h)
{
	struct fw_buf entry;
	uint8_t leaf[32];
	uint64_t next = 0;
	enum fw_err r;
	if (!h || !h->make)
		return FW_OK;
	fw_buf_init(&entry, FW_STORE_LOG_ENTRY_MAX);
	if ((r = h->make(h->ctx, &entry, leaf)) == FW_OK &&
	    (r = fw_store_pg_log_seq_lock(c, &next)) == FW_OK &&
	    (r = fw_store_pg_log_put(c, next, entry.data, entry.len, leaf, 0)) == FW_OK &&
	    (r = fw_store_pg_log_seq_set(c, next + 1)) == FW_OK) {
		h->index = next;
		h->written = true;
	}
	fw_buf_cleanup(&entry);
	return r;
}

enum fw_err fw_store_pg_log_append_many(struct fw_store *s, const struct fw_store_log_item *items, size_t n,
				       uint64_t *first)
{
	struct pg_conn *c = NULL;
	uint64_t next = 0;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK || (r = fw_store_pg_begin(c)) != FW_OK)
		goto out;
	if ((r = fw_store_pg_log_seq_lock(c, &next)) != FW_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((r = fw_store_pg_log_put(c, next + i, items[i].entry, items[i].n, items[i].leaf_hash, 0)) != FW_OK)
			goto out;
	if ((r = fw_store_pg_log_seq_set(c, next + n)) != FW_OK || (r = fw_store_pg_commit(c)) != FW_OK)
		goto out;
	*first = next;
out:
	if (r != FW_OK && c)
		fw_store_pg_rollback(c);
	fw_store_pg_release(s, c);
	return r;
}

/* --- reads --------------------------------------------------------------- */
static enum fw_err state_row(const PGresult *res, int row, void *out)
{
	struct fw_store_log_state *v = out;
	enum fw_err r;
	if ((r = pg_col_u64(res, row, 0, &v->sequenced)) != FW_OK ||
	    (r = pg_col_u64(res, row, 1, &v->integrated)) != FW_OK)
		return r;
	int n = PQgetlength(res, row, 2);
	if (PQgetisnull(res, row, 2) || PQftype(res, 2) != PG_OID_BYTEA || n < 0 || (size_t)n > sizeof v->frontier)
		return fw_store_pg_corrupt(res, 2);
	memcpy(v->frontier, PQgetvalue(res, row, 2), (size_t)n);
	v->frontier_len = (size_t)n;
	return FW_OK;
}

enum fw_err fw_store_pg_log_state(struct fw_store *s, struct fw_store_log_state *out)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	struct fw_store_log_state v;
	enum fw_err r;
	memset(&v, 0, sizeof v);
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "log");
	if ((r = fw_store_pg_one(c, sql_state, &p, state_row, &v)) == FW_OK)
		*out = v;
	else if (r == FW_ERR_NOT_FOUND)
		r = FW_ERR_STORE;
	fw_store_pg_release(s, c);
	return r;
}

typedef enum fw_err (*range_row_fn)(void *ctx, const PGresult *res, int row, uint64_t index);

static enum fw_err range_read(struct fw_store *s, const char *sql, uint64_t from, size_t count,
			      range_row_fn fn, void *ctx)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	PGresult *res = NULL;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "log");
	pg_u64(&p, 1, from);
	pg_u64(&p, 2, from + count);
	if ((r = fw_store_pg_exec(c, sql, &p, &res)) != FW_OK)
		goto out;
	int rows = PQntuples(res);
	size_t got = 0;
	for (int i = 0; i < rows; i++) {
		uint64_t idx = 0;
		if ((r = pg_col_u64(res, i, 0, &idx)) != FW_OK)
			goto out;
		if (idx != from + got)
			break;
		if ((r = fn(ctx, res, i, idx)) != FW_OK)
			goto out;
		got++;
	}
	if (got != count)
		r = fw_err_set(FW_ERR_NOT_FOUND, "log entries %llu…%llu are not all there",
			       (unsigned long long)from, (unsigned long long)(from + count - 1));
out:
	PQclear(res);
	fw_store_pg_release(s, c);
	return r;
}

struct leaves_ctx {
	uint8_t *out;
	uint64_t from;
};

static enum fw_err leaf_row(void *ctx, const PGresult *res, int row, uint64_t index)
{
	struct leaves_ctx *l = ctx;
	return pg_col_hash(res, row, 1, l->out + 32 * (index - l->from));
}

enum fw_err fw_store_pg_log_leaves(struct fw_store *s, uint64_t from, size_t count, uint8_t *out)
{
	struct leaves_ctx l = {out, from};
	return range_read(s, sql_leaves, from, count, leaf_row, &l);
}

struct entries_ctx {
	fw_store_log_entry_fn fn;
	void *ctx;
};

static enum fw_err entry_row(void *ctx, const PGresult *res, int row, uint64_t index)
{
	struct entries_ctx *e = ctx;
	if (PQgetisnull(res, row, 1) || PQftype(res, 1) != PG_OID_BYTEA)
		return fw_store_pg_corrupt(res, 1);
	return e->fn(e->ctx, index, (const uint8_t *)PQgetvalue(res, row, 1), (size_t)PQgetlength(res, row, 1));
}

enum fw_err fw_store_pg_log_entries(struct fw_store *s, uint64_t from, size_t count, fw_store_log_entry_fn fn,
				    void *ctx)
{
	struct entries_ctx e = {fn, ctx};
	return range_read(s, sql_entries, from, count, entry_row, &e);
}

enum fw_err fw_store_pg_log_delivery_entry(struct fw_store *s, int64_t delivery_id, uint64_t *index,
					   struct fw_buf *entry)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	PGresult *res = NULL;
	uint64_t idx = 0;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "log entry");
	pg_i64(&p, 1, delivery_id);
	if ((r = fw_store_pg_exec(c, sql_by_delivery, &p, &res)) != FW_OK)
		goto out;
	if (PQntuples(res) != 1) {
		r = FW_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = pg_col_u64(res, 0, 0, &idx)) != FW_OK || (entry && (r = pg_col_buf(res, 0, 1, entry)) != FW_OK))
		goto out;
	*index = idx;
out:
	PQclear(res);
	fw_store_pg_release(s, c);
	return r;
}

static enum fw_err hash_row(const PGresult *res, int row, void *out)
{
	return pg_col_hash(res, row, 0, out);
}

enum fw_err fw_store_pg_log_node_get(struct fw_store *s, unsigned level, uint64_t index, uint8_t out[32])
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	uint8_t h[32];
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "log node");
	pg_i64(&p, 1, (int64_t)level);
	pg_u64(&p, 2, index);
	r = fw_store_pg_one(c, sql_node_get, &p, hash_row, h);
	if (r == FW_OK)
		memcpy(out, h, 32);
	else if (r == FW_ERR_NOT_FOUND)
		r = fw_err_set(FW_ERR_NOT_FOUND, "no log node %u/%llu", level, (unsigned long long)index);
	fw_store_pg_release(s, c);
	return r;
}

/* --- integration --------------------------------------------------------- */
static enum fw_err nodes_put(struct pg_conn *c, const struct fw_store_log_node *nodes, size_t n)
{
	enum fw_err r = FW_OK;
	for (size_t at = 0; at < n && r == FW_OK; at += NODES_PER_CHUNK) {
		size_t k = n - at < NODES_PER_CHUNK ? n - at : NODES_PER_CHUNK;
		char *pack = malloc(k * NODE_REC);
		struct pg_params p;
		if (!pack)
			return FW_ERR_NOMEM;
		for (size_t i = 0; i < k; i++) {
			const struct fw_store_log_node *nd = &nodes[at + i];
			unsigned char *q = (unsigned char *)pack + i * NODE_REC;
			q[0] = (unsigned char)nd->level;
			for (int b = 0; b < 8; b++)
				q[1 + b] = (unsigned char)(nd->index >> (56 - 8 * b));
			memcpy(q + 9, nd->hash, 32);
		}
		pg_params_init(&p, "log node");
		pg_own(&p, 1, pack, k * NODE_REC, 1);
		pg_u64(&p, 2, k);
		r = fw_store_pg_command(c, sql_nodes_put, &p, NULL);
	}
	return r;
}

enum fw_err fw_store_pg_log_integrate(struct fw_store *s, const struct fw_store_log_integration *in)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	int64_t changed = 0;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK || (r = fw_store_pg_begin(c)) != FW_OK)
		goto out;
	pg_params_init(&p, "log tree");
	pg_u64(&p, 1, in->old_size);
	pg_u64(&p, 2, in->new_size);
	pg_blob(&p, 3, in->frontier, in->frontier_len);
	if ((r = fw_store_pg_command(c, sql_tree_cas, &p, &changed)) != FW_OK)
		goto out;
	if (changed != 1) {
		r = fw_err_set(FW_ERR_STATE, "the log tree moved on (another integrator won)");
		goto out;
	}
	if ((r = nodes_put(c, in->nodes, in->n_nodes)) != FW_OK)
		goto out;
	pg_params_init(&p, "log checkpoint");
	pg_u64(&p, 1, in->new_size);
	pg_blob(&p, 2, in->root, 32);
	pg_textn(&p, 3, in->note, in->note_len);
	pg_i64(&p, 4, in->at);
	if ((r = fw_store_pg_command(c, sql_cp_put, &p, NULL)) != FW_OK)
		goto out;
	r = fw_store_pg_commit(c);
out:
	if (c)
		fw_store_pg_rollback(c);
	fw_store_pg_release(s, c);
	return r;
}

struct cp_row {
	uint64_t size;
	struct fw_buf *note;
};

static enum fw_err cp_row_read(const PGresult *res, int row, void *out)
{
	struct cp_row *cp = out;
	enum fw_err r;
	if ((r = pg_col_u64(res, row, 0, &cp->size)) != FW_OK)
		return r;
	return cp->note ? pg_col_buf(res, row, 1, cp->note) : FW_OK;
}

enum fw_err fw_store_pg_log_checkpoint_get(struct fw_store *s, bool latest, uint64_t size, uint64_t *out_size,
					   struct fw_buf *note)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	struct cp_row cp = {0, note};
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "log checkpoint");
	if (!latest)
		pg_u64(&p, 1, size);
	r = fw_store_pg_one(c, latest ? sql_cp_latest : sql_cp_size, &p, cp_row_read, &cp);
	if (r == FW_OK && out_size)
		*out_size = cp.size;
	else if (r == FW_ERR_NOT_FOUND)
		r = fw_err_set(FW_ERR_NOT_FOUND, "no such checkpoint");
	fw_store_pg_release(s, c);
	return r;
}
