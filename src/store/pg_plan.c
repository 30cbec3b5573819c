/* PostgreSQL backend: the plan per member class (0006_plan_classes.sql)
 * and the queries the scheduler runs on it (see sqlite_plan.c for the
 * meaning of each; claiming is in pg_claim.c). */
#include "store/pg_int.h"

static const char sql_plan_lock[] = "LOCK TABLE plan_members, plan_decisions IN SHARE ROW EXCLUSIVE MODE";
static const char sql_version[] = "SELECT COALESCE(MAX(version), 0)::bigint FROM policy_versions";
static const char sql_members_clear[] = "DELETE FROM plan_members";
static const char sql_decisions_clear[] = "DELETE FROM plan_decisions";
/* The rows come as arrays, one per column, however many there are. */
static const char sql_members_put[] =
	"INSERT INTO plan_members (member_id, class, member_revision, policy_version)"
	" SELECT u.m, u.c, u.t, $4::int FROM unnest($1::text[], $2::text[], $3::int8[]) AS u(m, c, t)"
	" ON CONFLICT (member_id) DO UPDATE SET class = EXCLUDED.class,"
	"  member_revision = EXCLUDED.member_revision, policy_version = EXCLUDED.policy_version";
static const char sql_decisions_put[] =
	"INSERT INTO plan_decisions (advisory_id, class, kind, withheld, release_offset, reason, policy_version,"
	" advisory_revision)"
	" SELECT u.a, u.c, u.k, u.w, u.o, u.why, $8::int, u.rev"
	" FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::int8[], $6::text[], $7::int8[])"
	"  AS u(a, c, k, w, o, why, rev)"
	" ON CONFLICT (advisory_id, class, kind) DO UPDATE SET withheld = EXCLUDED.withheld,"
	"  release_offset = EXCLUDED.release_offset, reason = EXCLUDED.reason,"
	"  policy_version = EXCLUDED.policy_version, advisory_revision = EXCLUDED.advisory_revision";
static const char sql_plan_list[] =
	"SELECT pm.member_id, d.advisory_id, d.kind, d.withheld,"
	" (CASE WHEN d.withheld THEN 0 ELSE a.public_at + d.release_offset END)::bigint AS t, d.reason,"
	" d.policy_version::bigint"
	" FROM plan_decisions d"
	" JOIN advisories a ON a.id = d.advisory_id"
	" JOIN plan_members pm ON pm.class = d.class"
	" JOIN kinds k ON k.name = d.kind"
	" WHERE d.advisory_id = $1 AND ($2::text IS NULL OR pm.member_id = $2)"
	" ORDER BY t, pm.member_id, k.position LIMIT $3";
static const char sql_plan_current[] =
	"SELECT ((SELECT COUNT(*) FROM members m LEFT JOIN plan_members pm ON pm.member_id = m.id"
	"  WHERE pm.member_id IS NULL OR NOT (" PG_PLAN_CLASS_CURRENT "))"
	" + (SELECT COUNT(*) FROM advisories a WHERE a.status IN ('scheduled', 'public')"
	"  AND EXISTS (SELECT 1 FROM members)"
	"  AND NOT EXISTS (SELECT 1 FROM plan_decisions d"
	"   WHERE d.advisory_id = a.id AND d.policy_version = " PG_PLAN_CUR_VERSION
	"    AND d.advisory_revision = a.revision)))::bigint";

static const char sql_due[] =
	"SELECT x.member_id, r.advisory_id, r.kind, r.version, r.release_at"
	" FROM (" PG_PLAN_RELEASED ") r"
	" CROSS JOIN LATERAL (" PG_PLAN_DUE_MEMBERS " ORDER BY pm.member_id LIMIT $2) x"
	" LIMIT $2";

static const char sql_next_wakeup[] =
	"SELECT COALESCE(MIN(t), 0)::bigint FROM ("
	" SELECT MIN(a.public_at + d.release_offset) AS t FROM plan_decisions d"
	"  JOIN advisories a ON a.id = d.advisory_id"
	"  WHERE NOT d.withheld AND a.public_at + d.release_offset > $1"
	"   AND d.policy_version = " PG_PLAN_CUR_VERSION " AND d.advisory_revision = a.revision"
	"   AND a.status IN ('scheduled', 'public')"
	"   AND EXISTS (SELECT 1 FROM artifacts x WHERE x.advisory_id = d.advisory_id AND x.kind = d.kind)"
	"   AND EXISTS (SELECT 1 FROM plan_members pm JOIN members m ON m.id = pm.member_id"
	"    WHERE pm.class = d.class AND " PG_PLAN_CLASS_CURRENT " AND " PG_PLAN_RELEASABLE
	"    AND NOT EXISTS (SELECT 1 FROM deliveries dl"
	"     WHERE dl.member_id = pm.member_id AND dl.advisory_id = d.advisory_id AND dl.kind = d.kind"
	"      AND dl.version = " PG_PLAN_LATEST_VERSION("d.advisory_id", "d.kind") "))"
	" UNION ALL"
	" SELECT MIN(public_at) FROM advisories WHERE status = 'scheduled' AND public_at > $1) w";

/* --- one-dimensional arrays in PostgreSQL's binary format --------------- */
/* A column of a whole plan: the server's own limit for one value. */
#define ARRAY_MAX_BYTES (1024u * 1024u * 1024u - 1u)

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Header: dimensions, has-nulls flag, element type, then length and lower
 * bound of the one dimension. */
static enum fw_err arr_begin(struct fw_buf *b, uint32_t oid, size_t n)
{
	unsigned char h[20];
	if (n > INT32_MAX)
		return FW_ERR_TOO_LARGE;
	put32(h, 1);
	put32(h + 4, 0);
	put32(h + 8, oid);
	put32(h + 12, (uint32_t)n);
	put32(h + 16, 1);
	return fw_buf_append(b, h, sizeof h);
}

/* One element: its length, then its bytes. */
static enum fw_err arr_item(struct fw_buf *b, const void *v, size_t n)
{
	unsigned char len[4];
	enum fw_err r;
	put32(len, (uint32_t)n);
	if ((r = fw_buf_append(b, len, sizeof len)) != FW_OK || n == 0)
		return r;
	return fw_buf_append(b, v, n);
}

static enum fw_err arr_field(struct fw_buf *b, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	if (n == cap)
		return fw_err_set(FW_ERR_INVALID, "plan: a text field is not terminated");
	return arr_item(b, s, n);
}

static enum fw_err arr_i64(struct fw_buf *b, int64_t v)
{
	unsigned char be[8];
	uint64_t u;
	memcpy(&u, &v, sizeof u);
	put32(be, (uint32_t)(u >> 32));
	put32(be + 4, (uint32_t)u);
	return arr_item(b, be, sizeof be);
}

static enum fw_err arr_kind(struct fw_buf *b, enum fw_kind k)
{
	const char *name = fw_kind_name(k);
	return arr_item(b, name, strlen(name));
}

static enum fw_err arr_bool(struct fw_buf *b, bool v)
{
	unsigned char c = v ? 1 : 0;
	return arr_item(b, &c, 1);
}

/* Columns $1..$ncols of p, one array each, of n rows; fill(i, cols) appends
 * row i's element to each column. */
typedef enum fw_err (*fill_fn)(const void *rows, size_t i, struct fw_buf *cols);

static enum fw_err bind_columns(struct pg_params *p, const uint32_t *oid, int ncols, const void *rows, size_t n,
				fill_fn fill)
{
	struct fw_buf b[8];
	enum fw_err r = FW_OK;
	for (int k = 0; k < ncols; k++) {
		fw_buf_init(&b[k], ARRAY_MAX_BYTES);
		if (r == FW_OK)
			r = arr_begin(&b[k], oid[k], n);
	}
	for (size_t i = 0; i < n && r == FW_OK; i++)
		r = fill(rows, i, b);
	for (int k = 0; k < ncols; k++) {
		size_t len = b[k].len;
		char *v = r == FW_OK ? fw_buf_steal(&b[k]) : NULL;
		if (r == FW_OK && !v)
			r = FW_ERR_NOMEM;
		if (v)
			pg_own(p, 1 + k, v, len, 1);
		fw_buf_cleanup(&b[k]);
	}
	return r;
}

static enum fw_err fill_member(const void *rows, size_t i, struct fw_buf *cols)
{
	const struct fw_plan_member *m = (const struct fw_plan_member *)rows + i;
	enum fw_err r;
	if ((r = arr_field(&cols[0], m->member_id, sizeof m->member_id)) != FW_OK ||
	    (r = arr_field(&cols[1], m->class_key, sizeof m->class_key)) != FW_OK)
		return r;
	return arr_i64(&cols[2], m->member_revision);
}

static enum fw_err fill_decision(const void *rows, size_t i, struct fw_buf *cols)
{
	const struct fw_plan_decision *d = (const struct fw_plan_decision *)rows + i;
	enum fw_err r;
	if ((r = arr_field(&cols[0], d->advisory_id, sizeof d->advisory_id)) != FW_OK ||
	    (r = arr_field(&cols[1], d->class_key, sizeof d->class_key)) != FW_OK ||
	    (r = arr_kind(&cols[2], d->kind)) != FW_OK || (r = arr_bool(&cols[3], d->withheld)) != FW_OK ||
	    (r = arr_i64(&cols[4], d->offset)) != FW_OK)
		return r;
	if ((r = arr_field(&cols[5], d->reason, sizeof d->reason)) != FW_OK)
		return r;
	return arr_i64(&cols[6], d->advisory_revision);
}

static enum fw_err version_row(const PGresult *res, int row, void *out)
{
	return pg_col_i64(res, row, 0, out);
}

static enum fw_err simple_cmd(struct pg_conn *c, const char *sql, const char *what)
{
	struct pg_params p;
	pg_params_init(&p, what);
	return fw_store_pg_command(c, sql, &p, NULL);
}

static enum fw_err write_rows(struct pg_conn *c, struct fw_plan_write *w)
{
	static const uint32_t member_oid[] = {PG_OID_TEXT, PG_OID_TEXT, PG_OID_INT8};
	static const uint32_t decision_oid[] = {PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT, PG_OID_BOOL,
						PG_OID_INT8, PG_OID_TEXT, PG_OID_INT8};
	struct pg_params p;
	enum fw_err r;
	if (w->nmembers) {
		pg_params_init(&p, "plan member");
		pg_i64(&p, 4, w->policy_version);
		if ((r = bind_columns(&p, member_oid, 3, w->members, w->nmembers, fill_member)) != FW_OK) {
			fw_store_pg_params_free(&p);
			return r;
		}
		if ((r = fw_store_pg_command(c, sql_members_put, &p, NULL)) != FW_OK)
			return r;
	}
	if (w->ndecisions) {
		pg_params_init(&p, "plan decision");
		pg_i64(&p, 8, w->policy_version);
		if ((r = bind_columns(&p, decision_oid, 7, w->decisions, w->ndecisions, fill_decision)) != FW_OK) {
			fw_store_pg_params_free(&p);
			return r;
		}
		if ((r = fw_store_pg_command(c, sql_decisions_put, &p, NULL)) != FW_OK)
			return r;
	}
	return FW_OK;
}

/* All or nothing: readers (the schedulers) see the old plan or the new
 * one. Plan writes wait for each other at the table lock, which readers do
 * not take; a policy version added meanwhile by another node makes the
 * version check fail, so a plan is never written under an older policy. */
enum fw_err fw_store_pg_plan_write(struct fw_store *s, struct fw_plan_write *w)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	int64_t newest = 0;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	if ((r = fw_store_pg_begin(c)) != FW_OK)
		goto out;
	if (w->add_policy) {
		if ((r = fw_store_pg_policy_insert(c, w->add_policy, w->policy_text, w->policy_len)) != FW_OK)
			goto out;
		w->policy_version = w->add_policy->version;
	}
	if ((r = simple_cmd(c, sql_plan_lock, "plan")) != FW_OK)
		goto out;
	pg_params_init(&p, "policy version");
	if ((r = fw_store_pg_one(c, sql_version, &p, version_row, &newest)) != FW_OK)
		goto out;
	if (newest != w->policy_version) {
		r = fw_err_set(FW_ERR_BUSY, "the policy changed while planning (version %lld is the newest, not %d): "
					    "plan again",
			       (long long)newest, w->policy_version);
		goto out;
	}
	if (w->scope == FW_PLAN_ALL && ((r = simple_cmd(c, sql_members_clear, "plan")) != FW_OK ||
					(r = simple_cmd(c, sql_decisions_clear, "plan")) != FW_OK))
		goto out;
	if ((r = write_rows(c, w)) != FW_OK)
		goto out;
	/* A whole plan covers every member and advisory as they are now: one
	 * created or changed after the planner read them fails the write. A
	 * change committed after this check re-plans itself, and waits at the
	 * table lock until this write has committed. */
	int64_t stale = 0;
	pg_params_init(&p, "plan");
	if (w->complete && (r = fw_store_pg_one(c, sql_plan_current, &p, version_row, &stale)) != FW_OK)
		goto out;
	if (stale) {
		r = fw_err_set(FW_ERR_BUSY, "members or advisories changed while planning: plan again");
		goto out;
	}
	if ((r = fw_store_pg_log_hook_run(c, w->log)) != FW_OK)
		goto out;
	r = fw_store_pg_commit(c);
out:
	fw_store_pg_rollback(c);
	fw_store_pg_release(s, c);
	return r;
}

/* --- reading ------------------------------------------------------------- */
static enum fw_err plan_row(const PGresult *res, int row, void *out)
{
	struct fw_plan_entry e = {0};
	int64_t version = 0;
	enum fw_err r;
	if ((r = pg_col_text(res, row, 0, e.member_id)) != FW_OK ||
	    (r = pg_col_text(res, row, 1, e.advisory_id)) != FW_OK ||
	    (r = pg_col_kind(res, row, 2, &e.kind)) != FW_OK ||
	    (r = pg_col_bool(res, row, 3, &e.withheld)) != FW_OK ||
	    (r = pg_col_i64(res, row, 4, &e.release_at)) != FW_OK ||
	    (r = pg_col_text(res, row, 5, e.reason)) != FW_OK || (r = pg_col_i64(res, row, 6, &version)) != FW_OK)
		return r;
	e.policy_version = (int)version;
	memcpy(out, &e, sizeof e);
	return FW_OK;
}

enum fw_err fw_store_pg_plan_list(struct fw_store *s, const char *advisory_id, const char *member_id,
				  struct fw_plan_entry **out, size_t *n)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	enum fw_err r;
	void *v = NULL;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "plan");
	pg_text(&p, 1, advisory_id);
	pg_text(&p, 2, member_id);
	pg_i64(&p, 3, FW_STORE_MAX_LIST);
	if ((r = fw_store_pg_collect(c, sql_plan_list, &p, plan_row, sizeof **out, &v, n)) == FW_OK)
		*out = v;
	fw_store_pg_release(s, c);
	return r;
}

enum fw_err fw_store_pg_plan_current(struct fw_store *s, bool *current)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	int64_t stale = 0;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "plan");
	if ((r = fw_store_pg_one(c, sql_plan_current, &p, version_row, &stale)) == FW_OK)
		*current = stale == 0;
	fw_store_pg_release(s, c);
	return r;
}

/* --- release work --------------------------------------------------------- */
static enum fw_err due_row(const PGresult *res, int row, void *out)
{
	struct fw_due *d = out;
	enum fw_err r;
	if ((r = pg_col_text(res, row, 0, d->member_id)) != FW_OK ||
	    (r = pg_col_text(res, row, 1, d->advisory_id)) != FW_OK ||
	    (r = pg_col_kind(res, row, 2, &d->kind)) != FW_OK ||
	    (r = pg_col_int(res, row, 3, &d->version)) != FW_OK ||
	    (r = pg_col_i64(res, row, 4, &d->release_at)) != FW_OK)
		return r;
	return FW_OK;
}

enum fw_err fw_store_pg_due_list(struct fw_store *s, int64_t now, size_t max, struct fw_due **out, size_t *n)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	enum fw_err r;
	void *v = NULL;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "due list");
	pg_i64(&p, 1, now);
	pg_i64(&p, 2, (int64_t)max);
	if ((r = fw_store_pg_collect(c, sql_due, &p, due_row, sizeof **out, &v, n)) == FW_OK)
		*out = v;
	fw_store_pg_release(s, c);
	return r;
}

enum fw_err fw_store_pg_next_wakeup(struct fw_store *s, int64_t now, int64_t *out)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "next wakeup");
	pg_i64(&p, 1, now);
	r = fw_store_pg_one(c, sql_next_wakeup, &p, version_row, out);
	fw_store_pg_release(s, c);
	return r;
}
