/* PostgreSQL backend: artifacts, policy versions and publication (the plan
 * and the due queries are in pg_plan.c).
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

enum fw_err fw_store_pg_policy_insert(struct pg_conn *c, struct fw_policy_version *v, const char *text, size_t n)
{
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
	if ((r = fw_store_pg_exec(c, sql_policy_lock, &p[0], NULL)) != FW_OK) {
		fw_store_pg_params_free(&p[1]);
		return r;
	}
	if ((r = fw_store_pg_exec(c, sql_policy_add, &p[1], &res)) == FW_OK &&
	    (r = returned_version(res, &version)) == FW_OK)
		v->version = version;
	PQclear(res);
	return r;
}

enum fw_err fw_store_pg_policy_add(struct fw_store *s, struct fw_policy_version *v, const char *text, size_t n)
{
	struct pg_conn *c = NULL;
	struct fw_policy_version got = *v;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	if ((r = fw_store_pg_begin(c)) == FW_OK && (r = fw_store_pg_policy_insert(c, &got, text, n)) == FW_OK &&
	    (r = fw_store_pg_commit(c)) == FW_OK)
		v->version = got.version;
	fw_store_pg_rollback(c);
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

/* --- release work ------------------------------------------------------- */
/* public_at > 0: an advisory scheduled without a public time (a bug
 * elsewhere) must stay embargoed rather than be published at once. */
static const char sql_publish_due[] = "UPDATE advisories SET status = 'public', updated_at = $1"
				      " WHERE status = 'scheduled' AND public_at > 0 AND public_at <= $1";

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
