/* SQLite backend: deliveries (the sealed copies) and their reads. */
#include "store/sqlite_int.h"

#define DELIVERY_COLS \
	"id, member_id, advisory_id, kind, version, created_at, first_read_at, size, " \
	"sha256_sealed, sha256_plain"

/* A second insert of the same (member, advisory, kind, version) fails on
 * the UNIQUE constraint: FW_ERR_EXISTS tells a scheduler that raced or
 * re-ran after a crash that the copy is already there. */
static const char sql_delivery_insert[] =
	"INSERT INTO deliveries (member_id, advisory_id, kind, version, created_at, first_read_at,"
	" size, sha256_sealed, sha256_plain, minisig, sealed)"
	" VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8, ?9, ?10)";
static const char sql_delivery_get[] = "SELECT " DELIVERY_COLS " FROM deliveries WHERE id = ?1";
/* One text per filter, so that each uses its index (see 0001_init.sql). */
static const char sql_delivery_list_all[] = "SELECT " DELIVERY_COLS " FROM deliveries"
					    " WHERE id > ?3 ORDER BY id LIMIT ?4";
static const char sql_delivery_list_member[] = "SELECT " DELIVERY_COLS " FROM deliveries"
					       " WHERE member_id = ?1 AND id > ?3 ORDER BY id LIMIT ?4";
static const char sql_delivery_list_advisory[] = "SELECT " DELIVERY_COLS " FROM deliveries"
						 " WHERE advisory_id = ?2 AND id > ?3 ORDER BY id LIMIT ?4";
static const char sql_delivery_list_both[] = "SELECT " DELIVERY_COLS " FROM deliveries"
					     " WHERE member_id = ?1 AND advisory_id = ?2 AND id > ?3"
					     " ORDER BY id LIMIT ?4";
static const char sql_delivery_content[] = "SELECT sealed, minisig FROM deliveries WHERE id = ?1";

static const char sql_delivery_exists[] = "SELECT 1 FROM deliveries WHERE id = ?1";
static const char sql_read_insert[] = "INSERT INTO delivery_reads"
				      " (delivery_id, token_id, member_id, at, remote, what)"
				      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char sql_first_read[] = "UPDATE deliveries SET first_read_at = ?2"
				     " WHERE id = ?1 AND first_read_at = 0";
static const char sql_read_list[] = "SELECT delivery_id, token_id, member_id, at, remote, what"
				    " FROM delivery_reads WHERE delivery_id = ?1"
				    " ORDER BY at, id LIMIT ?2";

static enum fw_err delivery_row(sqlite3_stmt *st, void *out)
{
	struct fw_delivery *d = out;
	enum fw_err r;
	if ((r = sq_col_text(st, 1, d->member_id)) != FW_OK || (r = sq_col_text(st, 2, d->advisory_id)) != FW_OK ||
	    (r = sq_col_kind(st, 3, &d->kind)) != FW_OK || (r = sq_col_int(st, 4, &d->version)) != FW_OK ||
	    (r = sq_col_u64(st, 7, &d->size)) != FW_OK || (r = sq_col_hash(st, 8, d->sha256_sealed)) != FW_OK ||
	    (r = sq_col_hash(st, 9, d->sha256_plain)) != FW_OK)
		return r;
	d->id = sqlite3_column_int64(st, 0);
	d->created_at = sqlite3_column_int64(st, 5);
	d->first_read_at = sqlite3_column_int64(st, 6);
	return FW_OK;
}

static enum fw_err insert_one(struct sq_conn *c, sqlite3_stmt *st, struct fw_store_copy *cp)
{
	struct fw_delivery *d = &cp->d;
	enum fw_err r;
	sqlite3_reset(st);
	struct sq_bind b = sq_bind(c, st, "delivery");
	sq_field(&b, 1, d->member_id);
	sq_field(&b, 2, d->advisory_id);
	sq_text(&b, 3, fw_kind_name(d->kind));
	sq_i64(&b, 4, d->version);
	sq_i64(&b, 5, d->created_at);
	sq_u64(&b, 6, cp->n);
	sq_blob(&b, 7, d->sha256_sealed, sizeof d->sha256_sealed);
	sq_blob(&b, 8, d->sha256_plain, sizeof d->sha256_plain);
	sq_text(&b, 9, cp->minisig);
	sq_blob(&b, 10, cp->sealed, cp->n);
	if ((r = b.r) != FW_OK)
		return r;
	r = fw_store_sq_exec(c, st, "delivery");
	cp->inserted = r == FW_OK;
	if (r == FW_ERR_EXISTS)
		return FW_OK; /* a UNIQUE failure undoes this statement only */
	if (r != FW_OK)
		return r;
	/* d->size is taken from n, the length of the copy actually stored, so
	 * the two cannot disagree. */
	d->id = sqlite3_last_insert_rowid(c->db);
	d->first_read_at = 0;
	d->size = cp->n;
	return FW_OK;
}

enum fw_err fw_store_sqlite_delivery_insert_many(struct fw_store *s, struct fw_store_copy *cp, size_t n)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	bool in_tx = false;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK ||
	    (r = fw_store_sq_stmt(c, sql_delivery_insert, &st)) != FW_OK)
		goto out;
	if ((r = fw_store_sq_begin(c)) != FW_OK)
		goto out;
	in_tx = true;
	/* The log entry of each new copy is sequenced in this transaction. */
	uint64_t next = 0, first = 0;
	bool logged = false;
	for (size_t i = 0; i < n && !logged; i++)
		logged = cp[i].entry != NULL;
	if (logged && (r = fw_store_sqlite_log_seq_get(c, &next)) != FW_OK)
		goto out;
	first = next;
	for (size_t i = 0; i < n; i++) {
		if ((r = insert_one(c, st, &cp[i])) != FW_OK)
			goto out;
		if (!cp[i].inserted || !cp[i].entry)
			continue;
		if ((r = fw_store_sqlite_log_put(c, next, cp[i].entry, cp[i].entry_len, cp[i].leaf_hash,
						 cp[i].d.id)) != FW_OK)
			goto out;
		cp[i].log_index = next++;
	}
	if (next != first && (r = fw_store_sqlite_log_seq_set(c, next)) != FW_OK)
		goto out;
	r = fw_store_sq_commit(c);
	in_tx = false;
out:
	if (in_tx)
		fw_store_sq_rollback(c);
	if (r != FW_OK)
		for (size_t i = 0; i < n; i++)
			cp[i].inserted = false;
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_delivery_get(struct fw_store *s, int64_t id, struct fw_delivery *out)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	struct fw_delivery d = {0};
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql_delivery_get, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "delivery");
	sq_i64(&b, 1, id);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_one(c, st, delivery_row, &d, "delivery")) != FW_OK)
		goto out;
	*out = d;
out:
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_delivery_list(struct fw_store *s, const struct fw_delivery_filter *f,
					  struct fw_delivery **out, size_t *n)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	void *v = NULL;
	const char *sql = f->member_id ? (f->advisory_id ? sql_delivery_list_both : sql_delivery_list_member)
				       : (f->advisory_id ? sql_delivery_list_advisory : sql_delivery_list_all);
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "delivery");
	sq_text(&b, 1, f->member_id);
	sq_text(&b, 2, f->advisory_id);
	sq_i64(&b, 3, f->after_id);
	sq_i64(&b, 4, (int64_t)f->limit);
	if ((r = b.r) != FW_OK)
		goto out;
	if ((r = fw_store_sq_collect(c, st, delivery_row, sizeof **out, &v, n, "delivery")) == FW_OK)
		*out = v;
out:
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_delivery_content(struct fw_store *s, int64_t id, struct fw_buf *sealed,
					     struct fw_buf *minisig)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	bool row = false;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK ||
	    (r = fw_store_sq_stmt(c, sql_delivery_content, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "delivery");
	sq_i64(&b, 1, id);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_step(c, st, &row, "delivery")) != FW_OK)
		goto out;
	if (!row) {
		r = FW_ERR_NOT_FOUND;
		goto out;
	}
	if ((sealed && (r = sq_col_buf(st, 0, sealed)) != FW_OK) ||
	    (minisig && (r = sq_col_buf(st, 1, minisig)) != FW_OK))
		goto out;
out:
	fw_store_sq_release(s, c);
	return r;
}

static enum fw_err read_insert(struct sq_conn *c, const struct fw_delivery_read *rd)
{
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_stmt(c, sql_read_insert, &st)) != FW_OK)
		return r;
	struct sq_bind b = sq_bind(c, st, "delivery read");
	sq_i64(&b, 1, rd->delivery_id);
	sq_field(&b, 2, rd->token_id);
	sq_ref(&b, 3, rd->member_id);
	sq_i64(&b, 4, rd->at);
	sq_field(&b, 5, rd->remote);
	sq_field(&b, 6, rd->what);
	if (b.r != FW_OK)
		return b.r;
	return fw_store_sq_exec(c, st, "delivery read");
}

/* The read record and first_read_at change together: a copy never shows as
 * unread once a read is on record. */
enum fw_err fw_store_sqlite_delivery_read_add(struct fw_store *s, const struct fw_delivery_read *rd)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	bool row = false;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_begin(c)) != FW_OK)
		goto out;
	if ((r = fw_store_sq_stmt(c, sql_delivery_exists, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "delivery");
	sq_i64(&b, 1, rd->delivery_id);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_step(c, st, &row, "delivery")) != FW_OK)
		goto out;
	sqlite3_reset(st);
	if (!row) {
		r = fw_err_set(FW_ERR_NOT_FOUND, "no delivery %lld", (long long)rd->delivery_id);
		goto out;
	}
	if ((r = read_insert(c, rd)) != FW_OK || (r = fw_store_sq_stmt(c, sql_first_read, &st)) != FW_OK)
		goto out;
	b = sq_bind(c, st, "delivery");
	sq_i64(&b, 1, rd->delivery_id);
	sq_i64(&b, 2, rd->at);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_exec(c, st, "delivery")) != FW_OK)
		goto out;
	r = fw_store_sq_commit(c);
out:
	if (r != FW_OK && c)
		fw_store_sq_rollback(c);
	fw_store_sq_release(s, c);
	return r;
}

static enum fw_err read_row(sqlite3_stmt *st, void *out)
{
	struct fw_delivery_read *rd = out;
	enum fw_err r;
	if ((r = sq_col_text(st, 1, rd->token_id)) != FW_OK || (r = sq_col_text(st, 2, rd->member_id)) != FW_OK ||
	    (r = sq_col_text(st, 4, rd->remote)) != FW_OK || (r = sq_col_text(st, 5, rd->what)) != FW_OK)
		return r;
	rd->delivery_id = sqlite3_column_int64(st, 0);
	rd->at = sqlite3_column_int64(st, 3);
	return FW_OK;
}

enum fw_err fw_store_sqlite_delivery_read_list(struct fw_store *s, int64_t delivery_id,
					       struct fw_delivery_read **out, size_t *n)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	void *v = NULL;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql_read_list, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "delivery read");
	sq_i64(&b, 1, delivery_id);
	sq_i64(&b, 2, FW_STORE_MAX_LIST);
	if ((r = b.r) != FW_OK)
		goto out;
	if ((r = fw_store_sq_collect(c, st, read_row, sizeof **out, &v, n, "delivery read")) == FW_OK)
		*out = v;
out:
	fw_store_sq_release(s, c);
	return r;
}
