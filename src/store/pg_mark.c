/* PostgreSQL backend: fingerprint records of artifact versions, their
 * recipients, and the trace runs (0003_mark.sql). */
#include "store/pg_int.h"

#define MARK_COLS "advisory_id, kind, version, version_id, key_label, points, c, bias, digest, created_at"

static const char sql_mark_add[] = "INSERT INTO artifact_marks (" MARK_COLS ")"
				   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
static const char sql_mark_get[] = "SELECT " MARK_COLS " FROM artifact_marks"
				   " WHERE advisory_id = $1 AND kind = $2 AND version = $3";
static const char sql_mark_recipients[] = "SELECT member_id FROM deliveries"
					  " WHERE advisory_id = $1 AND kind = $2 AND version = $3"
					  " ORDER BY member_id LIMIT $4";
static const char sql_trace_add[] = "INSERT INTO traces (advisory_id, kind, created_at, actor, epsilon, inputs, result)"
				    " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
static const char sql_trace_count[] = "SELECT count(*) FROM traces WHERE advisory_id = $1";

static enum fw_err mark_row(const PGresult *res, int row, void *out)
{
	struct fw_store_mark *m = out;
	enum fw_err r;
	int points = 0, c = 0;
	if ((r = pg_col_text(res, row, 0, m->advisory_id)) != FW_OK ||
	    (r = pg_col_kind(res, row, 1, &m->kind)) != FW_OK || (r = pg_col_int(res, row, 2, &m->version)) != FW_OK ||
	    (r = pg_col_text(res, row, 3, m->version_id)) != FW_OK ||
	    (r = pg_col_text(res, row, 4, m->key_label)) != FW_OK || (r = pg_col_int(res, row, 5, &points)) != FW_OK ||
	    (r = pg_col_int(res, row, 6, &c)) != FW_OK || (r = pg_col_text(res, row, 7, m->bias)) != FW_OK ||
	    (r = pg_col_hash(res, row, 8, m->digest)) != FW_OK || (r = pg_col_i64(res, row, 9, &m->created_at)) != FW_OK)
		return r;
	if (points < 1 || c < 1)
		return fw_store_pg_corrupt(res, points < 1 ? 5 : 6);
	m->points = (unsigned)points;
	m->c = (unsigned)c;
	return FW_OK;
}

enum fw_err fw_store_pg_mark_add(struct fw_store *s, const struct fw_store_mark *m)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "artifact mark");
	pg_field(&p, 1, m->advisory_id);
	pg_text(&p, 2, fw_kind_name(m->kind));
	pg_i64(&p, 3, m->version);
	pg_field(&p, 4, m->version_id);
	pg_field(&p, 5, m->key_label);
	pg_i64(&p, 6, m->points);
	pg_i64(&p, 7, m->c);
	pg_field(&p, 8, m->bias);
	pg_blob(&p, 9, m->digest, sizeof m->digest);
	pg_i64(&p, 10, m->created_at);
	r = fw_store_pg_command(c, sql_mark_add, &p, NULL);
	fw_store_pg_release(s, c);
	return r;
}

enum fw_err fw_store_pg_mark_get(struct fw_store *s, const char *advisory_id, enum fw_kind kind, int version,
				 struct fw_store_mark *out)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	struct fw_store_mark m;
	enum fw_err r;
	memset(&m, 0, sizeof m);
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "artifact mark");
	pg_text(&p, 1, advisory_id);
	pg_text(&p, 2, fw_kind_name(kind));
	pg_i64(&p, 3, version);
	if ((r = fw_store_pg_one(c, sql_mark_get, &p, mark_row, &m)) == FW_OK)
		*out = m;
	fw_store_pg_release(s, c);
	return r;
}

static enum fw_err ref_row(const PGresult *res, int row, void *out)
{
	struct fw_store_member_ref *m = out;
	return pg_col_text(res, row, 0, m->id);
}

enum fw_err fw_store_pg_mark_recipients(struct fw_store *s, const char *advisory_id, enum fw_kind kind,
					int version, struct fw_store_member_ref **out, size_t *n)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	enum fw_err r;
	void *v = NULL;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "recipients");
	pg_text(&p, 1, advisory_id);
	pg_text(&p, 2, fw_kind_name(kind));
	pg_i64(&p, 3, version);
	pg_i64(&p, 4, FW_STORE_MAX_LIST);
	if ((r = fw_store_pg_collect(c, sql_mark_recipients, &p, ref_row, sizeof **out, &v, n)) == FW_OK)
		*out = v;
	fw_store_pg_release(s, c);
	return r;
}

static enum fw_err id_row(const PGresult *res, int row, void *out)
{
	return pg_col_i64(res, row, 0, out);
}

/* The run and its log entry (log may be NULL) in one transaction; the
 * hook sees t->id, which is put back if anything fails. */
enum fw_err fw_store_pg_trace_add(struct fw_store *s, struct fw_store_trace *t, struct fw_store_log_hook *log)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	int64_t id = 0, id_before = t->id;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	if ((r = fw_store_pg_begin(c)) != FW_OK) {
		fw_store_pg_release(s, c);
		return r;
	}
	pg_params_init(&p, "trace");
	pg_field(&p, 1, t->advisory_id);
	pg_text(&p, 2, fw_kind_name(t->kind));
	pg_i64(&p, 3, t->created_at);
	pg_field(&p, 4, t->actor);
	pg_f64(&p, 5, t->epsilon);
	pg_text(&p, 6, t->inputs);
	pg_text(&p, 7, t->result);
	if ((r = fw_store_pg_one(c, sql_trace_add, &p, id_row, &id)) == FW_OK) {
		t->id = id;
		if ((r = fw_store_pg_log_hook_run(c, log)) == FW_OK)
			r = fw_store_pg_commit(c);
	}
	if (r != FW_OK) {
		t->id = id_before;
		fw_store_pg_rollback(c);
	}
	fw_store_pg_release(s, c);
	return r;
}

enum fw_err fw_store_pg_trace_count(struct fw_store *s, const char *advisory_id, size_t *n)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	int64_t k = 0;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "trace");
	pg_text(&p, 1, advisory_id);
	if ((r = fw_store_pg_one(c, sql_trace_count, &p, id_row, &k)) == FW_OK) {
		if (k < 0)
			r = FW_ERR_STORE;
		else
			*n = (size_t)k;
	}
	fw_store_pg_release(s, c);
	return r;
}
