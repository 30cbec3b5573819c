/* PostgreSQL backend: artifacts, policy versions, the plan, and the queries
 * the scheduler runs (due work, next wakeup, publication).
 *
 * SQLite has one writer at a time; here several nodes write at once. Where
 * a write reads what it depends on (the next version number, the plan it
 * replaces), it first takes a lock that serialises the writers of that
 * thing, then reads in a new statement, which in READ COMMITTED sees what
 * the writer before it committed. */
#include "store/pg_int.h"

/* A transaction of the given statements, each with its parameters; the
 * last one's result goes to *res (may be NULL). */
static enum fw_err in_transaction(struct pg_conn *c, const char *const *sql, struct pg_params *p, size_t n,
				  PGresult **res)
{
	enum fw_err r;
	size_t i = 0; /* the parameters of statements before i are consumed */
	if ((r = fw_store_pg_begin(c)) != FW_OK)
		goto out;
	while (i < n) {
		r = fw_store_pg_exec(c, sql[i], &p[i], i + 1 == n ? res : NULL);
		i++;
		if (r != FW_OK)
			goto out;
	}
	if ((r = fw_store_pg_commit(c)) != FW_OK && res) {
		PQclear(*res);
		*res = NULL;
	}
out:
	for (; i < n; i++)
		fw_store_pg_params_free(&p[i]);
	fw_store_pg_rollback(c);
	return r;
}

/* --- artifacts ---------------------------------------------------------- */
#define ARTIFACT_COLS "a.advisory_id, a.kind, a.version, a.media_type, a.size, a.sha256, a.created_at"

/* Uploads of one advisory's artifacts wait for each other here, so that
 * the MAX below sees the version the one before took. NO KEY UPDATE does
 * not block the foreign-key checks of other writers. No row: the INSERT's
 * foreign key then reports the missing advisory. */
static const char sql_artifact_lock[] = "SELECT 1 FROM advisories WHERE id = $1 FOR NO KEY UPDATE";
static const char sql_artifact_add[] =
	"INSERT INTO artifacts (advisory_id, kind, version, media_type, size, sha256, created_at, content)"
	" SELECT $1::text, $2::text, COALESCE(MAX(version), 0) + 1, $3::text, $4::bigint, $5::bytea,"
	" $6::bigint, $7::bytea"
	" FROM artifacts WHERE advisory_id = $1 AND kind = $2"
	" RETURNING version";
/* Two texts so that a metadata read does not load the content. */
static const char sql_artifact_get[] = "SELECT " ARTIFACT_COLS " FROM artifacts a"
				       " WHERE a.advisory_id = $1 AND a.kind = $2"
				       " AND ($3 = 0 OR a.version = $3)"
				       " ORDER BY a.version DESC LIMIT 1";
static const char sql_artifact_get_content[] = "SELECT " ARTIFACT_COLS ", a.content FROM artifacts a"
					       " WHERE a.advisory_id = $1 AND a.kind = $2"
					       " AND ($3 = 0 OR a.version = $3)"
					       " ORDER BY a.version DESC LIMIT 1";
static const char sql_artifact_list[] = "SELECT " ARTIFACT_COLS " FROM artifacts a"
					" JOIN kinds k ON k.name = a.kind"
					" WHERE a.advisory_id = $1"
					" ORDER BY k.position, a.version LIMIT $2";

static enum fw_err artifact_row(const PGresult *res, int row, void *out)
{
	struct fw_artifact *a = out;
	enum fw_err r;
	if ((r = pg_col_text(res, row, 0, a->advisory_id)) != FW_OK ||
	    (r = pg_col_kind(res, row, 1, &a->kind)) != FW_OK ||
	    (r = pg_col_int(res, row, 2, &a->version)) != FW_OK ||
	    (r = pg_col_text(res, row, 3, a->media_type)) != FW_OK ||
	    (r = pg_col_u64(res, row, 4, &a->size)) != FW_OK ||
	    (r = pg_col_hash(res, row, 5, a->sha256)) != FW_OK ||
	    (r = pg_col_i64(res, row, 6, &a->created_at)) != FW_OK)
		return r;
	return FW_OK;
}

/* The version a RETURNING gave. */
static enum fw_err returned_version(PGresult *res, int *version)
{
	if (!res || PQntuples(res) != 1)
		return FW_ERR_INTERNAL;
	return pg_col_int(res, 0, 0, version);
}

enum fw_err fw_store_pg_artifact_add(struct fw_store *s, struct fw_artifact *a, const uint8_t *content, size_t n)
{
	struct pg_conn *c = NULL;
	struct pg_params p[2];
	PGresult *res = NULL;
	enum fw_err r;
	int version = 0;

	pg_params_init(&p[0], "artifact");
	pg_field(&p[0], 1, a->advisory_id);
	pg_params_init(&p[1], "artifact");
	pg_field(&p[1], 1, a->advisory_id);
	pg_text(&p[1], 2, fw_kind_name(a->kind));
	pg_field(&p[1], 3, a->media_type);
	pg_u64(&p[1], 4, a->size);
	pg_blob(&p[1], 5, a->sha256, sizeof a->sha256);
	pg_i64(&p[1], 6, a->created_at);
	pg_blob(&p[1], 7, content, n);
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	const char *sql[] = {sql_artifact_lock, sql_artifact_add};
	if ((r = in_transaction(c, sql, p, 2, &res)) != FW_OK ||
	    (r = returned_version(res, &version)) != FW_OK)
		goto out;
	a->version = version;
out:
	PQclear(res);
	fw_store_pg_release(s, c);
	return r;
}

enum fw_err fw_store_pg_artifact_get(struct fw_store *s, const char *advisory_id, enum fw_kind kind, int version,
				     struct fw_artifact *out, struct fw_buf *content)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	PGresult *res = NULL;
	struct fw_artifact a = {0};
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "artifact");
	pg_text(&p, 1, advisory_id);
	pg_text(&p, 2, fw_kind_name(kind));
	pg_i64(&p, 3, version);
	if ((r = fw_store_pg_exec(c, content ? sql_artifact_get_content : sql_artifact_get, &p, &res)) != FW_OK)
		goto out;
	if (PQntuples(res) == 0) {
		r = FW_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = artifact_row(res, 0, &a)) != FW_OK ||
	    (content && (r = pg_col_buf(res, 0, 7, content)) != FW_OK))
		goto out;
	*out = a;
out:
	PQclear(res);
	fw_store_pg_release(s, c);
	return r;
}

enum fw_err fw_store_pg_artifact_list(struct fw_store *s, const char *advisory_id, struct fw_artifact **out,
				      size_t *n)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	enum fw_err r;
	void *v = NULL;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "artifact");
	pg_text(&p, 1, advisory_id);
	pg_i64(&p, 2, FW_STORE_MAX_LIST);
	if ((r = fw_store_pg_collect(c, sql_artifact_list, &p, artifact_row, sizeof **out, &v, n)) == FW_OK)
		*out = v;
	fw_store_pg_release(s, c);
	return r;
}

/* --- policy versions ---------------------------------------------------- */
#define POLICY_COLS "version, created_at, author, comment, sha256"

/* Versions are global: adds wait for each other, readers do not wait. */
static const char sql_policy_lock[] = "LOCK TABLE policy_versions IN SHARE ROW EXCLUSIVE MODE";
static const char sql_policy_add[] = "INSERT INTO policy_versions"
				     " (version, text, sha256, author, comment, created_at)"
				     " SELECT COALESCE(MAX(version), 0) + 1, $1::text, $2::bytea, $3::text,"
				     " $4::text, $5::bigint"
				     " FROM policy_versions RETURNING version";
static const char sql_policy_get[] = "SELECT " POLICY_COLS " FROM policy_versions"
				     " WHERE $1 = 0 OR version = $1 ORDER BY version DESC LIMIT 1";
static const char sql_policy_get_text[] = "SELECT " POLICY_COLS ", text FROM policy_versions"
					  " WHERE $1 = 0 OR version = $1 ORDER BY version DESC LIMIT 1";
static const char sql_policy_list[] = "SELECT " POLICY_COLS " FROM policy_versions"
				      " ORDER BY version DESC LIMIT $1";

static enum fw_err policy_row(const PGresult *res, int row, void *out)
{
	struct fw_policy_version *v = out;
	enum fw_err r;
	if ((r = pg_col_int(res, row, 0, &v->version)) != FW_OK ||
	    (r = pg_col_i64(res, row, 1, &v->created_at)) != FW_OK ||
	    (r = pg_col_text(res, row, 2, v->author)) != FW_OK ||
	    (r = pg_col_text(res, row, 3, v->comment)) != FW_OK ||
	    (r = pg_col_hash(res, row, 4, v->sha256)) != FW_OK)
		return r;
	return FW_OK;
}

enum fw_err fw_store_pg_policy_add(struct fw_store *s, struct fw_policy_version *v, const char *text, size_t n)
{
	struct pg_conn *c = NULL;
	struct pg_params p[2];
	PGresult *res = NULL;
	enum fw_err r;
	int version = 0;

	pg_params_init(&p[0], "policy version");
	pg_params_init(&p[1], "policy version");
	pg_textn(&p[1], 1, text, n);
	pg_blob(&p[1], 2, v->sha256, sizeof v->sha256);
	pg_field(&p[1], 3, v->author);
	pg_field(&p[1], 4, v->comment);
	pg_i64(&p[1], 5, v->created_at);
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	const char *sql[] = {sql_policy_lock, sql_policy_add};
	if ((r = in_transaction(c, sql, p, 2, &res)) != FW_OK ||
	    (r = returned_version(res, &version)) != FW_OK)
		goto out;
	v->version = version;
out:
	PQclear(res);
	fw_store_pg_release(s, c);
	return r;
}

enum fw_err fw_store_pg_policy_get(struct fw_store *s, int version, struct fw_policy_version *out,
				   struct fw_buf *text)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	PGresult *res = NULL;
	struct fw_policy_version v = {0};
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "policy version");
	pg_i64(&p, 1, version);
	if ((r = fw_store_pg_exec(c, text ? sql_policy_get_text : sql_policy_get, &p, &res)) != FW_OK)
		goto out;
	if (PQntuples(res) == 0) {
		r = FW_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = policy_row(res, 0, &v)) != FW_OK || (text && (r = pg_col_buf(res, 0, 5, text)) != FW_OK))
		goto out;
	*out = v;
out:
	PQclear(res);
	fw_store_pg_release(s, c);
	return r;
}

enum fw_err fw_store_pg_policy_list(struct fw_store *s, struct fw_policy_version **out, size_t *n)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	enum fw_err r;
	void *v = NULL;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "policy version");
	pg_i64(&p, 1, FW_STORE_MAX_LIST);
	if ((r = fw_store_pg_collect(c, sql_policy_list, &p, policy_row, sizeof **out, &v, n)) == FW_OK)
		*out = v;
	fw_store_pg_release(s, c);
	return r;
}

/* --- plan --------------------------------------------------------------- */
/* Replacements of one advisory's plan wait for each other here: the DELETE
 * that follows then sees what the one before inserted. */
static const char sql_plan_lock[] = "SELECT 1 FROM advisories WHERE id = $1 FOR NO KEY UPDATE";
static const char sql_plan_delete[] = "DELETE FROM plan WHERE advisory_id = $1";
static const char sql_plan_delete_member[] = "DELETE FROM plan WHERE advisory_id = $1 AND member_id = $2";
/* The whole plan in one statement: the entries come as arrays, one per
 * column, however many thousand members there are. */
static const char sql_plan_insert[] =
	"INSERT INTO plan (advisory_id, member_id, kind, withheld, release_at, reason, policy_version)"
	" SELECT $1::text, u.m, u.k, u.w, u.t, u.why, $7::bigint"
	" FROM unnest($2::text[], $3::text[], $4::bool[], $5::int8[], $6::text[]) AS u(m, k, w, t, why)";
static const char sql_plan_list[] = "SELECT p.member_id, p.advisory_id, p.kind, p.withheld,"
				    " p.release_at, p.reason, p.policy_version::bigint FROM plan p"
				    " JOIN kinds k ON k.name = p.kind"
				    " WHERE p.advisory_id = $1"
				    " ORDER BY p.release_at, p.member_id, k.position LIMIT $2";
static const char sql_plan_list_member[] = "SELECT p.member_id, p.advisory_id, p.kind, p.withheld,"
					   " p.release_at, p.reason, p.policy_version::bigint FROM plan p"
					   " JOIN kinds k ON k.name = p.kind"
					   " WHERE p.advisory_id = $1 AND p.member_id = $2"
					   " ORDER BY p.release_at, p.member_id, k.position LIMIT $3";

static enum fw_err plan_row(const PGresult *res, int row, void *out)
{
	struct fw_plan_entry e = {0};
	enum fw_err r;
	if ((r = pg_col_text(res, row, 0, e.member_id)) != FW_OK ||
	    (r = pg_col_text(res, row, 1, e.advisory_id)) != FW_OK ||
	    (r = pg_col_kind(res, row, 2, &e.kind)) != FW_OK ||
	    (r = pg_col_bool(res, row, 3, &e.withheld)) != FW_OK ||
	    (r = pg_col_i64(res, row, 4, &e.release_at)) != FW_OK ||
	    (r = pg_col_text(res, row, 5, e.reason)) != FW_OK)
		return r;
	int64_t version = 0;
	if ((r = pg_col_i64(res, row, 6, &version)) != FW_OK)
		return r;
	e.policy_version = (int)version;
	memcpy(out, &e, sizeof e);
	return FW_OK;
}

/* --- one-dimensional arrays in PostgreSQL's binary format --------------- */
/* Arrays of a whole plan: the server's own limit for one value. */
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
		return fw_err_set(FW_ERR_INVALID, "plan entry: a text field is not terminated");
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

/* Binds the entries as the five column arrays $2..$6 of sql_plan_insert. */
static enum fw_err bind_plan(struct pg_params *p, const struct fw_plan_entry *e, size_t n)
{
	static const uint32_t oid[5] = {PG_OID_TEXT, PG_OID_TEXT, PG_OID_BOOL, PG_OID_INT8, PG_OID_TEXT};
	struct fw_buf b[5];
	enum fw_err r = FW_OK;
	for (int k = 0; k < 5; k++) {
		fw_buf_init(&b[k], ARRAY_MAX_BYTES);
		if (r == FW_OK)
			r = arr_begin(&b[k], oid[k], n);
	}
	for (size_t i = 0; i < n && r == FW_OK; i++) {
		const char *kind = fw_kind_name(e[i].kind);
		unsigned char w = e[i].withheld ? 1 : 0;
		if ((r = arr_field(&b[0], e[i].member_id, sizeof e[i].member_id)) != FW_OK ||
		    (r = arr_item(&b[1], kind, strlen(kind))) != FW_OK || (r = arr_item(&b[2], &w, 1)) != FW_OK ||
		    (r = arr_i64(&b[3], e[i].release_at)) != FW_OK)
			break;
		r = arr_field(&b[4], e[i].reason, sizeof e[i].reason);
	}
	for (int k = 0; k < 5; k++) {
		size_t len = b[k].len;
		char *v = r == FW_OK ? fw_buf_steal(&b[k]) : NULL;
		if (r == FW_OK && !v)
			r = FW_ERR_NOMEM;
		if (v)
			pg_own(p, 2 + k, v, len, 1);
		fw_buf_cleanup(&b[k]);
	}
	return r;
}

/* All or nothing: readers (the scheduler) see the old plan or the new one,
 * never a half-written mix that might release what the new policy withholds. */
enum fw_err fw_store_pg_plan_replace(struct fw_store *s, const char *advisory_id, const char *member_id,
				     const struct fw_plan_entry *e, size_t n)
{
	struct pg_conn *c = NULL;
	struct pg_params p[3];
	enum fw_err r;

	pg_params_init(&p[0], "plan");
	pg_text(&p[0], 1, advisory_id);
	pg_params_init(&p[1], "plan");
	pg_text(&p[1], 1, advisory_id);
	if (member_id)
		pg_text(&p[1], 2, member_id);
	pg_params_init(&p[2], "plan entry");
	pg_text(&p[2], 1, advisory_id);
	pg_i64(&p[2], 7, n ? e[0].policy_version : 0); /* one decision, one version */
	if ((r = bind_plan(&p[2], e, n)) != FW_OK) {
		fw_store_pg_params_free(&p[2]);
		return r;
	}
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK) {
		fw_store_pg_params_free(&p[2]);
		return r;
	}
	const char *sql[] = {sql_plan_lock, member_id ? sql_plan_delete_member : sql_plan_delete, sql_plan_insert};
	r = in_transaction(c, sql, p, n ? 3 : 2, NULL);
	if (!n)
		fw_store_pg_params_free(&p[2]);
	fw_store_pg_release(s, c);
	return r;
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
	if (member_id)
		pg_text(&p, 2, member_id);
	pg_i64(&p, member_id ? 3 : 2, FW_STORE_MAX_LIST);
	r = fw_store_pg_collect(c, member_id ? sql_plan_list_member : sql_plan_list, &p, plan_row, sizeof **out, &v,
				n);
	if (r == FW_OK)
		*out = v;
	fw_store_pg_release(s, c);
	return r;
}

/* --- release work ------------------------------------------------------- */
/* What is due: a released, not withheld plan entry of a scheduled or public
 * advisory for an active or probationary member, paired with the newest
 * version of its artifact kind, that has no delivery yet (see
 * sqlite_release.c for why the newest). The status names are those of
 * model/names.c. */
static const char sql_due[] =
	"WITH released AS ("
	"  SELECT p.member_id, p.advisory_id, p.kind, p.release_at,"
	"   (SELECT MAX(x.version) FROM artifacts x"
	"     WHERE x.advisory_id = p.advisory_id AND x.kind = p.kind) AS version"
	"  FROM plan p"
	"  JOIN advisories a ON a.id = p.advisory_id"
	"  JOIN members m ON m.id = p.member_id"
	"  WHERE NOT p.withheld AND p.release_at <= $1"
	"   AND p.policy_version = (SELECT COALESCE(MAX(pv.version), 0) FROM policy_versions pv)"
	"   AND a.status IN ('scheduled', 'public')"
	"   AND m.status IN ('active', 'probation'))"
	" SELECT r.member_id, r.advisory_id, r.kind, r.version, r.release_at"
	" FROM released r JOIN kinds k ON k.name = r.kind"
	" WHERE r.version IS NOT NULL"
	"  AND NOT EXISTS (SELECT 1 FROM deliveries d"
	"   WHERE d.member_id = r.member_id AND d.advisory_id = r.advisory_id"
	"    AND d.kind = r.kind AND d.version = r.version)"
	" ORDER BY r.release_at, r.advisory_id, k.position, r.member_id"
	" LIMIT $2";

/* The same conditions with the release time after now; plus the public
 * time of scheduled advisories, when publish_due has work. */
static const char sql_next_wakeup[] =
	"SELECT COALESCE(MIN(t), 0) FROM ("
	" (SELECT p.release_at AS t FROM plan p"
	"   JOIN advisories a ON a.id = p.advisory_id"
	"   JOIN members m ON m.id = p.member_id"
	"   WHERE NOT p.withheld AND p.release_at > $1"
	"    AND p.policy_version = (SELECT COALESCE(MAX(pv.version), 0) FROM policy_versions pv)"
	"    AND a.status IN ('scheduled', 'public')"
	"    AND m.status IN ('active', 'probation')"
	"    AND EXISTS (SELECT 1 FROM artifacts x"
	"     WHERE x.advisory_id = p.advisory_id AND x.kind = p.kind)"
	"    AND NOT EXISTS (SELECT 1 FROM deliveries d"
	"     WHERE d.member_id = p.member_id AND d.advisory_id = p.advisory_id"
	"      AND d.kind = p.kind AND d.version = (SELECT MAX(x.version) FROM artifacts x"
	"       WHERE x.advisory_id = p.advisory_id AND x.kind = p.kind))"
	"   ORDER BY p.release_at LIMIT 1)"
	" UNION ALL"
	" SELECT MIN(public_at) FROM advisories WHERE status = 'scheduled' AND public_at > $1) w";

/* public_at > 0: an advisory scheduled without a public time (a bug
 * elsewhere) must stay embargoed rather than be published at once. */
static const char sql_publish_due[] = "UPDATE advisories SET status = 'public', updated_at = $1"
				      " WHERE status = 'scheduled' AND public_at > 0 AND public_at <= $1";

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
	PGresult *res = NULL;
	enum fw_err r;
	int64_t t = 0;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "next wakeup");
	pg_i64(&p, 1, now);
	if ((r = fw_store_pg_exec(c, sql_next_wakeup, &p, &res)) != FW_OK)
		goto out;
	if (PQntuples(res) != 1) {
		r = FW_ERR_INTERNAL; /* an aggregate always gives a row */
		goto out;
	}
	if ((r = pg_col_i64(res, 0, 0, &t)) != FW_OK)
		goto out;
	*out = t;
out:
	PQclear(res);
	fw_store_pg_release(s, c);
	return r;
}

enum fw_err fw_store_pg_advisory_publish_due(struct fw_store *s, int64_t now, size_t *n)
{
	struct pg_conn *c = NULL;
	struct pg_params p;
	int64_t changed = 0;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "advisory");
	pg_i64(&p, 1, now);
	if ((r = fw_store_pg_command(c, sql_publish_due, &p, &changed)) == FW_OK && n)
		*n = (size_t)changed;
	fw_store_pg_release(s, c);
	return r;
}
