/* SQLite backend: fingerprint records of artifact versions, their
 * recipients, and the trace runs (0003_mark.sql). */
#include "store/sqlite_int.h"

#define MARK_COLS "advisory_id, kind, version, version_id, key_label, points, c, bias, digest, created_at"

static const char sql_mark_add[] = "INSERT INTO artifact_marks (" MARK_COLS ")"
				   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char sql_mark_get[] = "SELECT " MARK_COLS " FROM artifact_marks"
				   " WHERE advisory_id = ?1 AND kind = ?2 AND version = ?3";
static const char sql_mark_recipients[] = "SELECT member_id FROM deliveries"
					  " WHERE advisory_id = ?1 AND kind = ?2 AND version = ?3"
					  " ORDER BY member_id LIMIT ?4";
static const char sql_trace_add[] = "INSERT INTO traces (advisory_id, kind, created_at, actor, epsilon, inputs, result)"
				    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char sql_trace_count[] = "SELECT count(*) FROM traces WHERE advisory_id = ?1";

static enum fw_err mark_row(sqlite3_stmt *st, void *out)
{
	struct fw_store_mark *m = out;
	enum fw_err r;
	int points = 0, c = 0;
	if ((r = sq_col_text(st, 0, m->advisory_id)) != FW_OK || (r = sq_col_kind(st, 1, &m->kind)) != FW_OK ||
	    (r = sq_col_int(st, 2, &m->version)) != FW_OK || (r = sq_col_text(st, 3, m->version_id)) != FW_OK ||
	    (r = sq_col_text(st, 4, m->key_label)) != FW_OK || (r = sq_col_int(st, 5, &points)) != FW_OK ||
	    (r = sq_col_int(st, 6, &c)) != FW_OK || (r = sq_col_text(st, 7, m->bias)) != FW_OK ||
	    (r = sq_col_hash(st, 8, m->digest)) != FW_OK)
		return r;
	if (points < 1 || c < 1)
		return sq_corrupt(st, points < 1 ? 5 : 6);
	m->points = (unsigned)points;
	m->c = (unsigned)c;
	m->created_at = sqlite3_column_int64(st, 9);
	return FW_OK;
}

enum fw_err fw_store_sqlite_mark_add(struct fw_store *s, const struct fw_store_mark *m)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql_mark_add, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "artifact mark");
	sq_field(&b, 1, m->advisory_id);
	sq_text(&b, 2, fw_kind_name(m->kind));
	sq_i64(&b, 3, m->version);
	sq_field(&b, 4, m->version_id);
	sq_field(&b, 5, m->key_label);
	sq_i64(&b, 6, m->points);
	sq_i64(&b, 7, m->c);
	sq_field(&b, 8, m->bias);
	sq_blob(&b, 9, m->digest, sizeof m->digest);
	sq_i64(&b, 10, m->created_at);
	if ((r = b.r) == FW_OK)
		r = fw_store_sq_exec(c, st, "artifact mark");
out:
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_mark_get(struct fw_store *s, const char *advisory_id, enum fw_kind kind, int version,
				     struct fw_store_mark *out)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	struct fw_store_mark m;
	enum fw_err r;
	memset(&m, 0, sizeof m);
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql_mark_get, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "artifact mark");
	sq_text(&b, 1, advisory_id);
	sq_text(&b, 2, fw_kind_name(kind));
	sq_i64(&b, 3, version);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_one(c, st, mark_row, &m, "artifact mark")) != FW_OK)
		goto out;
	*out = m;
out:
	fw_store_sq_release(s, c);
	return r;
}

static enum fw_err ref_row(sqlite3_stmt *st, void *out)
{
	struct fw_store_member_ref *m = out;
	return sq_col_text(st, 0, m->id);
}

enum fw_err fw_store_sqlite_mark_recipients(struct fw_store *s, const char *advisory_id, enum fw_kind kind,
					    int version, struct fw_store_member_ref **out, size_t *n)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	void *v = NULL;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK ||
	    (r = fw_store_sq_stmt(c, sql_mark_recipients, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "recipients");
	sq_text(&b, 1, advisory_id);
	sq_text(&b, 2, fw_kind_name(kind));
	sq_i64(&b, 3, version);
	sq_i64(&b, 4, FW_STORE_MAX_LIST);
	if ((r = b.r) != FW_OK)
		goto out;
	if ((r = fw_store_sq_collect(c, st, ref_row, sizeof **out, &v, n, "recipients")) == FW_OK)
		*out = v;
out:
	fw_store_sq_release(s, c);
	return r;
}

/* The run and its log entry (log may be NULL) in one transaction; the
 * hook sees t->id, which is put back if anything fails. */
enum fw_err fw_store_sqlite_trace_add(struct fw_store *s, struct fw_store_trace *t, struct fw_store_log_hook *log)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	int64_t id_before = t->id;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_begin(c)) != FW_OK ||
	    (r = fw_store_sq_stmt(c, sql_trace_add, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "trace");
	sq_field(&b, 1, t->advisory_id);
	sq_text(&b, 2, fw_kind_name(t->kind));
	sq_i64(&b, 3, t->created_at);
	sq_field(&b, 4, t->actor);
	sq_f64(&b, 5, t->epsilon);
	sq_text(&b, 6, t->inputs);
	sq_text(&b, 7, t->result);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_exec(c, st, "trace")) != FW_OK)
		goto out;
	t->id = sqlite3_last_insert_rowid(c->db);
	if ((r = fw_store_sqlite_log_hook_run(c, log)) != FW_OK)
		goto out;
	r = fw_store_sq_commit(c);
out:
	if (r != FW_OK) {
		t->id = id_before;
		if (c)
			fw_store_sq_rollback(c);
	}
	fw_store_sq_release(s, c);
	return r;
}

static enum fw_err count_row(sqlite3_stmt *st, void *out)
{
	int64_t v = sqlite3_column_int64(st, 0);
	if (v < 0)
		return sq_corrupt(st, 0);
	*(size_t *)out = (size_t)v;
	return FW_OK;
}

enum fw_err fw_store_sqlite_trace_count(struct fw_store *s, const char *advisory_id, size_t *n)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	size_t k = 0;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql_trace_count, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "trace");
	sq_text(&b, 1, advisory_id);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_one(c, st, count_row, &k, "trace")) != FW_OK)
		goto out;
	*n = k;
out:
	fw_store_sq_release(s, c);
	return r;
}
