/* PostgreSQL backend: acknowledgements, the member-signed receipts of
 * deliveries (0008_acks.sql). An acknowledgement and its "receipt" log
 * entry go in in one transaction; the entry is sequenced under the row lock
 * of log_seq, taken after the insert (the only other lock the insert holds
 * is the key-share lock on its delivery, which no log writer takes). */
#include "store/pg_int.h"

/* Of two acknowledgements of one delivery at once, the second waits for the
 * first to commit and then inserts nothing: it is compared with the stored
 * one (a replay, or a conflict), as a later one is. */
static const char sql_ack_insert[] =
	"INSERT INTO acks (delivery_id, member_id, acked_at, statement, signature, public_key)"
	" VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id";
static const char sql_ack_logged[] = "UPDATE acks SET log_idx = $2 WHERE delivery_id = $1";
static const char sql_ack_get[] = "SELECT delivery_id, member_id, acked_at, public_key, log_idx, statement, signature"
				  " FROM acks WHERE delivery_id = $1";
/* One row per id asked for, in the order asked ($1 is an array literal). */
static const char sql_ack_times[] = "SELECT a.acked_at FROM unnest($1::bigint[]) WITH ORDINALITY AS u (id, i)"
				    " LEFT JOIN acks AS a ON a.delivery_id = u.id ORDER BY u.i LIMIT $2";

/* The stored acknowledgement of a delivery, on c; FW_ERR_NOT_FOUND when
 * there is none. */
static enum fw_err read_ack(struct pg_conn *c, int64_t delivery_id, struct fw_store_ack *out, struct fw_buf *statement,
			    struct fw_buf *signature)
{
	struct pg_params p;
	struct fw_store_ack a;
	PGresult *res = NULL;
	enum fw_err r;
	memset(&a, 0, sizeof a);
	pg_params_init(&p, "acknowledgement");
	pg_i64(&p, 1, delivery_id);
	if ((r = fw_store_pg_exec(c, sql_ack_get, &p, &res)) != FW_OK)
		return r;
	if (PQntuples(res) != 1) {
		r = FW_ERR_NOT_FOUND;
		goto out;
	}
	a.logged = !PQgetisnull(res, 0, 4);
	if ((r = pg_col_i64(res, 0, 0, &a.delivery_id)) != FW_OK || (r = pg_col_text(res, 0, 1, a.member_id)) != FW_OK ||
	    (r = pg_col_i64(res, 0, 2, &a.acked_at)) != FW_OK || (r = pg_col_text(res, 0, 3, a.public_key)) != FW_OK ||
	    (a.logged && (r = pg_col_u64(res, 0, 4, &a.log_index)) != FW_OK) ||
	    (statement && (r = pg_col_buf(res, 0, 5, statement)) != FW_OK) ||
	    (signature && (r = pg_col_buf(res, 0, 6, signature)) != FW_OK))
		goto out;
	*out = a;
out:
	PQclear(res);
	return r;
}

enum fw_err fw_store_pg_ack_add(struct fw_store *s, struct fw_store_ack *a, const char *statement,
				size_t statement_len, const char *signature, size_t signature_len,
				struct fw_store_log_hook *log, bool *added)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	PGresult *res = NULL;
	bool inserted = false;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK || (r = fw_store_pg_begin(c)) != FW_OK)
		goto out;
	pg_params_init(&p, "acknowledgement");
	pg_i64(&p, 1, a->delivery_id);
	pg_field(&p, 2, a->member_id);
	pg_i64(&p, 3, a->acked_at);
	pg_textn(&p, 4, statement, statement_len);
	pg_textn(&p, 5, signature, signature_len);
	pg_field(&p, 6, a->public_key);
	if ((r = fw_store_pg_exec(c, sql_ack_insert, &p, &res)) != FW_OK)
		goto out;
	inserted = PQntuples(res) == 1;
	PQclear(res);
	if (!inserted)
		goto out; /* acknowledged already (store.c tells a replay from a conflict): rolled back below */
	if ((r = fw_store_pg_log_hook_run(c, log)) != FW_OK)
		goto out;
	if (log && log->written) {
		pg_params_init(&p, "acknowledgement");
		pg_i64(&p, 1, a->delivery_id);
		pg_u64(&p, 2, log->index);
		if ((r = fw_store_pg_command(c, sql_ack_logged, &p, NULL)) != FW_OK)
			goto out;
	}
	if ((r = fw_store_pg_commit(c)) != FW_OK)
		goto out;
	a->logged = log && log->written;
	a->log_index = a->logged ? log->index : 0;
out:
	if (c)
		fw_store_pg_rollback(c); /* nothing left to roll back after a commit */
	if (r == FW_OK)
		*added = inserted;
	fw_store_pg_release(s, c);
	return r;
}

enum fw_err fw_store_pg_ack_get(struct fw_store *s, int64_t delivery_id, struct fw_store_ack *out,
				struct fw_buf *statement, struct fw_buf *signature)
{
	struct pg_conn *c = NULL;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) == FW_OK)
		r = read_ack(c, delivery_id, out, statement, signature);
	fw_store_pg_release(s, c);
	return r;
}

static enum fw_err time_row(const PGresult *res, int row, void *out)
{
	if (PQgetisnull(res, row, 0)) { /* not acknowledged */
		*(int64_t *)out = 0;
		return FW_OK;
	}
	return pg_col_i64(res, row, 0, out);
}

enum fw_err fw_store_pg_ack_times(struct fw_store *s, const int64_t *ids, size_t n, int64_t *at)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	struct fw_buf list;
	void *v = NULL;
	size_t got = 0;
	enum fw_err r = FW_OK;
	fw_buf_init(&list, 2 + 21 * n);
	for (size_t i = 0; i < n && r == FW_OK; i++)
		r = fw_buf_printf(&list, "%c%" PRId64, i ? ',' : '{', ids[i]);
	if (r != FW_OK || (r = fw_buf_puts(&list, "}")) != FW_OK || (r = fw_store_pg_acquire(s, &c)) != FW_OK)
		goto out;
	pg_params_init(&p, "acknowledgement");
	pg_text(&p, 1, fw_buf_str(&list));
	pg_i64(&p, 2, (int64_t)n);
	if ((r = fw_store_pg_collect(c, sql_ack_times, &p, time_row, sizeof(int64_t), &v, &got)) != FW_OK)
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
	fw_store_pg_release(s, c);
	return r;
}
