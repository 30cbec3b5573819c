/* PostgreSQL backend: deliveries (the sealed copies) and their reads. */
#include "store/pg_int.h"

#define DELIVERY_COLS \
	"id, member_id, advisory_id, kind, version, created_at, first_read_at, size, " \
	"sha256_sealed, sha256_plain"

/* A copy already delivered, by this node or another, is skipped: a failed
 * statement would abort the whole batch's transaction in PostgreSQL, so the
 * UNIQUE constraint is met with ON CONFLICT rather than an error. A
 * concurrent insert of the same copy waits for the other transaction and
 * is then skipped too: still exactly once. */
static const char sql_delivery_insert[] =
	"INSERT INTO deliveries (member_id, advisory_id, kind, version, created_at, first_read_at,"
	" size, sha256_sealed, sha256_plain, minisig, sealed)"
	" VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, $9, $10)"
	" ON CONFLICT (member_id, advisory_id, kind, version) DO NOTHING RETURNING id";
static const char sql_delivery_get[] = "SELECT " DELIVERY_COLS " FROM deliveries WHERE id = $1";
/* One text per filter, so that each uses its index (see 0001_init.sql). */
static const char sql_delivery_list_all[] = "SELECT " DELIVERY_COLS " FROM deliveries"
					    " WHERE id > $1 ORDER BY id LIMIT $2";
static const char sql_delivery_list_member[] = "SELECT " DELIVERY_COLS " FROM deliveries"
					       " WHERE member_id = $1 AND id > $2 ORDER BY id LIMIT $3";
static const char sql_delivery_list_advisory[] = "SELECT " DELIVERY_COLS " FROM deliveries"
						 " WHERE advisory_id = $1 AND id > $2 ORDER BY id LIMIT $3";
static const char sql_delivery_list_both[] = "SELECT " DELIVERY_COLS " FROM deliveries"
					     " WHERE member_id = $1 AND advisory_id = $2 AND id > $3"
					     " ORDER BY id LIMIT $4";
static const char sql_delivery_content[] = "SELECT sealed, minisig FROM deliveries WHERE id = $1";

/* The read record and first_read_at change together, in one statement: a
 * copy never shows as unread once a read is on record. No row returned:
 * there is no such delivery. Of two first reads at once, the second
 * waits for the first's row lock and then finds first_read_at set. */
static const char sql_read_add[] =
	"WITH d AS (SELECT id FROM deliveries WHERE id = $1),"
	" f AS (UPDATE deliveries SET first_read_at = $4 WHERE id = $1 AND first_read_at = 0)"
	" INSERT INTO delivery_reads (delivery_id, token_id, member_id, at, remote, what)"
	" SELECT d.id, $2::text, $3::text, $4, $5::text, $6::text FROM d RETURNING id";
static const char sql_read_list[] = "SELECT delivery_id, token_id, member_id, at, remote, what"
				    " FROM delivery_reads WHERE delivery_id = $1"
				    " ORDER BY at, id LIMIT $2";

static enum fw_err delivery_row(const PGresult *res, int row, void *out)
{
	struct fw_delivery *d = out;
	enum fw_err r;
	if ((r = pg_col_i64(res, row, 0, &d->id)) != FW_OK ||
	    (r = pg_col_text(res, row, 1, d->member_id)) != FW_OK ||
	    (r = pg_col_text(res, row, 2, d->advisory_id)) != FW_OK ||
	    (r = pg_col_kind(res, row, 3, &d->kind)) != FW_OK ||
	    (r = pg_col_int(res, row, 4, &d->version)) != FW_OK ||
	    (r = pg_col_i64(res, row, 5, &d->created_at)) != FW_OK ||
	    (r = pg_col_i64(res, row, 6, &d->first_read_at)) != FW_OK ||
	    (r = pg_col_u64(res, row, 7, &d->size)) != FW_OK ||
	    (r = pg_col_hash(res, row, 8, d->sha256_sealed)) != FW_OK ||
	    (r = pg_col_hash(res, row, 9, d->sha256_plain)) != FW_OK)
		return r;
	return FW_OK;
}

static enum fw_err insert_one(struct pg_conn *c, struct fw_store_copy *cp)
{
	struct fw_delivery *d = &cp->d;
	struct pg_params p;
	PGresult *res = NULL;
	enum fw_err r;
	int64_t id = 0;

	pg_params_init(&p, "delivery");
	pg_field(&p, 1, d->member_id);
	pg_field(&p, 2, d->advisory_id);
	pg_text(&p, 3, fw_kind_name(d->kind));
	pg_i64(&p, 4, d->version);
	pg_i64(&p, 5, d->created_at);
	pg_u64(&p, 6, cp->n);
	pg_blob(&p, 7, d->sha256_sealed, sizeof d->sha256_sealed);
	pg_blob(&p, 8, d->sha256_plain, sizeof d->sha256_plain);
	pg_text(&p, 9, cp->minisig);
	pg_blob(&p, 10, cp->sealed, cp->n);
	if ((r = fw_store_pg_exec(c, sql_delivery_insert, &p, &res)) != FW_OK)
		return r;
	cp->inserted = PQntuples(res) == 1;
	if (cp->inserted && (r = pg_col_i64(res, 0, 0, &id)) == FW_OK) {
		/* d->size is taken from n, the length of the copy actually
		 * stored, so the two cannot disagree. */
		d->id = id;
		d->first_read_at = 0;
		d->size = cp->n;
	}
	PQclear(res);
	return r;
}

enum fw_err fw_store_pg_delivery_insert_many(struct fw_store *s, struct fw_store_copy *cp, size_t n)
{
	struct pg_conn *c = NULL;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK || (r = fw_store_pg_begin(c)) != FW_OK)
		goto out;
	/* The log entry of each new copy is sequenced in this transaction,
	 * under the row lock of log_seq (taken first: no lock-order cycles). */
	uint64_t next = 0, first = 0;
	bool logged = false;
	for (size_t i = 0; i < n && !logged; i++)
		logged = cp[i].entry != NULL;
	if (logged && (r = fw_store_pg_log_seq_lock(c, &next)) != FW_OK)
		goto out;
	first = next;
	for (size_t i = 0; i < n; i++) {
		if ((r = insert_one(c, &cp[i])) != FW_OK)
			goto out;
		if (!cp[i].inserted || !cp[i].entry)
			continue;
		if ((r = fw_store_pg_log_put(c, next, cp[i].entry, cp[i].entry_len, cp[i].leaf_hash, cp[i].d.id)) !=
		    FW_OK)
			goto out;
		cp[i].log_index = next++;
	}
	if (next != first && (r = fw_store_pg_log_seq_set(c, next)) != FW_OK)
		goto out;
	r = fw_store_pg_commit(c);
out:
	if (c)
		fw_store_pg_rollback(c);
	if (r != FW_OK)
		for (size_t i = 0; i < n; i++)
			cp[i].inserted = false;
	fw_store_pg_release(s, c);
	return r;
}

enum fw_err fw_store_pg_delivery_get(struct fw_store *s, int64_t id, struct fw_delivery *out)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	struct fw_delivery d = {0};
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "delivery");
	pg_i64(&p, 1, id);
	if ((r = fw_store_pg_one(c, sql_delivery_get, &p, delivery_row, &d)) == FW_OK)
		*out = d;
	fw_store_pg_release(s, c);
	return r;
}

enum fw_err fw_store_pg_delivery_list(struct fw_store *s, const struct fw_delivery_filter *f,
				      struct fw_delivery **out, size_t *n)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	enum fw_err r;
	void *v = NULL;
	int i = 1;
	const char *sql = f->member_id ? (f->advisory_id ? sql_delivery_list_both : sql_delivery_list_member)
				       : (f->advisory_id ? sql_delivery_list_advisory : sql_delivery_list_all);
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "delivery");
	if (f->member_id)
		pg_text(&p, i++, f->member_id);
	if (f->advisory_id)
		pg_text(&p, i++, f->advisory_id);
	pg_i64(&p, i++, f->after_id);
	pg_i64(&p, i, (int64_t)f->limit);
	if ((r = fw_store_pg_collect(c, sql, &p, delivery_row, sizeof **out, &v, n)) == FW_OK)
		*out = v;
	fw_store_pg_release(s, c);
	return r;
}

enum fw_err fw_store_pg_delivery_content(struct fw_store *s, int64_t id, struct fw_buf *sealed,
					 struct fw_buf *minisig)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	PGresult *res = NULL;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "delivery");
	pg_i64(&p, 1, id);
	if ((r = fw_store_pg_exec(c, sql_delivery_content, &p, &res)) != FW_OK)
		goto out;
	if (PQntuples(res) == 0) {
		r = FW_ERR_NOT_FOUND;
		goto out;
	}
	if ((sealed && (r = pg_col_buf(res, 0, 0, sealed)) != FW_OK) ||
	    (minisig && (r = pg_col_buf(res, 0, 1, minisig)) != FW_OK))
		goto out;
out:
	PQclear(res);
	fw_store_pg_release(s, c);
	return r;
}

enum fw_err fw_store_pg_delivery_read_add(struct fw_store *s, const struct fw_delivery_read *rd)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	PGresult *res = NULL;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "delivery read");
	pg_i64(&p, 1, rd->delivery_id);
	pg_field(&p, 2, rd->token_id);
	pg_ref(&p, 3, rd->member_id);
	pg_i64(&p, 4, rd->at);
	pg_field(&p, 5, rd->remote);
	pg_field(&p, 6, rd->what);
	if ((r = fw_store_pg_exec(c, sql_read_add, &p, &res)) == FW_OK && PQntuples(res) == 0)
		r = fw_err_set(FW_ERR_NOT_FOUND, "no delivery %lld", (long long)rd->delivery_id);
	PQclear(res);
	fw_store_pg_release(s, c);
	return r;
}

static enum fw_err read_row(const PGresult *res, int row, void *out)
{
	struct fw_delivery_read *rd = out;
	enum fw_err r;
	if ((r = pg_col_i64(res, row, 0, &rd->delivery_id)) != FW_OK ||
	    (r = pg_col_text(res, row, 1, rd->token_id)) != FW_OK ||
	    (r = pg_col_text(res, row, 2, rd->member_id)) != FW_OK ||
	    (r = pg_col_i64(res, row, 3, &rd->at)) != FW_OK ||
	    (r = pg_col_text(res, row, 4, rd->remote)) != FW_OK ||
	    (r = pg_col_text(res, row, 5, rd->what)) != FW_OK)
		return r;
	return FW_OK;
}

enum fw_err fw_store_pg_delivery_read_list(struct fw_store *s, int64_t delivery_id,
					   struct fw_delivery_read **out, size_t *n)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	enum fw_err r;
	void *v = NULL;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "delivery read");
	pg_i64(&p, 1, delivery_id);
	pg_i64(&p, 2, FW_STORE_MAX_LIST);
	if ((r = fw_store_pg_collect(c, sql_read_list, &p, read_row, sizeof **out, &v, n)) == FW_OK)
		*out = v;
	fw_store_pg_release(s, c);
	return r;
}
