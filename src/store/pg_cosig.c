/* PostgreSQL backend: witness cosignatures of the log's checkpoints
 * (0007_cosignatures.sql); the first of a key for a checkpoint is kept, as
 * on SQLite. */
#include "store/pg_int.h"

#define COSIG_COLS "size, witness, key_id, cosig_time, line, created_at"

static const char sql_cosig_add[] = "INSERT INTO log_cosignatures (" COSIG_COLS ")"
				    " VALUES ($1, $2, $3, $4, $5, $6)"
				    " ON CONFLICT (size, witness, key_id) DO NOTHING";
static const char sql_cosig_list[] = "SELECT " COSIG_COLS " FROM log_cosignatures WHERE size = $1"
				     " ORDER BY witness, key_id LIMIT $2";

enum fw_err fw_store_pg_log_cosig_add(struct fw_store *s, const struct fw_store_cosig *c, bool *added)
{
	struct pg_conn *conn = NULL;
	struct pg_params p;
	int64_t changed = 0;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &conn)) != FW_OK)
		return r;
	pg_params_init(&p, "cosignature");
	pg_u64(&p, 1, c->size);
	pg_field(&p, 2, c->witness);
	pg_i64(&p, 3, (int64_t)c->key_id);
	pg_u64(&p, 4, c->time);
	pg_field(&p, 5, c->line);
	pg_i64(&p, 6, c->created_at);
	if ((r = fw_store_pg_command(conn, sql_cosig_add, &p, &changed)) == FW_OK)
		*added = changed == 1;
	fw_store_pg_release(s, conn);
	return r;
}

static enum fw_err cosig_row(const PGresult *res, int row, void *out)
{
	struct fw_store_cosig *c = out;
	enum fw_err r;
	uint64_t id = 0;
	if ((r = pg_col_u64(res, row, 0, &c->size)) != FW_OK || (r = pg_col_text(res, row, 1, c->witness)) != FW_OK ||
	    (r = pg_col_u64(res, row, 2, &id)) != FW_OK || (r = pg_col_u64(res, row, 3, &c->time)) != FW_OK ||
	    (r = pg_col_text(res, row, 4, c->line)) != FW_OK || (r = pg_col_i64(res, row, 5, &c->created_at)) != FW_OK)
		return r;
	if (id > UINT32_MAX)
		return fw_store_pg_corrupt(res, 2);
	c->key_id = (uint32_t)id;
	return FW_OK;
}

enum fw_err fw_store_pg_log_cosig_list(struct fw_store *s, uint64_t size, struct fw_store_cosig **out, size_t *n)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	void *v = NULL;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "cosignatures");
	pg_u64(&p, 1, size);
	pg_i64(&p, 2, FW_STORE_COSIGS_MAX);
	if ((r = fw_store_pg_collect(c, sql_cosig_list, &p, cosig_row, sizeof **out, &v, n)) == FW_OK)
		*out = v;
	fw_store_pg_release(s, c);
	return r;
}
