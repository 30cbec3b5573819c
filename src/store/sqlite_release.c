/* SQLite backend: artifacts, policy versions and publication (the plan and
 * the due queries are in sqlite_plan.c). */
#include "store/sqlite_int.h"

/* --- artifacts ---------------------------------------------------------- */
#define ARTIFACT_COLS "a.advisory_id, a.kind, a.version, a.media_type, a.size, a.sha256, a.created_at"

/* The next version is computed in the INSERT itself: one statement is one
 * write transaction, so two uploads of the same kind cannot both take the
 * same number (and the primary key would refuse it if they did). */
static const char sql_artifact_add[] =
	"INSERT INTO artifacts (advisory_id, kind, version, media_type, size, sha256, created_at, content)"
	" SELECT ?1, ?2, COALESCE(MAX(version), 0) + 1, ?3, ?4, ?5, ?6, ?7"
	" FROM artifacts WHERE advisory_id = ?1 AND kind = ?2"
	" RETURNING version";
/* Two texts so that a metadata read does not load the content. */
static const char sql_artifact_get[] = "SELECT " ARTIFACT_COLS " FROM artifacts a"
				       " WHERE a.advisory_id = ?1 AND a.kind = ?2"
				       " AND (?3 = 0 OR a.version = ?3)"
				       " ORDER BY a.version DESC LIMIT 1";
static const char sql_artifact_get_content[] = "SELECT " ARTIFACT_COLS ", a.content FROM artifacts a"
					       " WHERE a.advisory_id = ?1 AND a.kind = ?2"
					       " AND (?3 = 0 OR a.version = ?3)"
					       " ORDER BY a.version DESC LIMIT 1";
static const char sql_artifact_list[] = "SELECT " ARTIFACT_COLS " FROM artifacts a"
					" JOIN kinds k ON k.name = a.kind"
					" WHERE a.advisory_id = ?1"
					" ORDER BY k.position, a.version LIMIT ?2";

static enum fw_err artifact_row(sqlite3_stmt *st, void *out)
{
	struct fw_artifact *a = out;
	enum fw_err r;
	if ((r = sq_col_text(st, 0, a->advisory_id)) != FW_OK || (r = sq_col_kind(st, 1, &a->kind)) != FW_OK ||
	    (r = sq_col_int(st, 2, &a->version)) != FW_OK || (r = sq_col_text(st, 3, a->media_type)) != FW_OK ||
	    (r = sq_col_u64(st, 4, &a->size)) != FW_OK || (r = sq_col_hash(st, 5, a->sha256)) != FW_OK)
		return r;
	a->created_at = sqlite3_column_int64(st, 6);
	return FW_OK;
}

enum fw_err fw_store_sqlite_artifact_add(struct fw_store *s, struct fw_artifact *a,
					 const uint8_t *content, size_t n)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	bool row = false;
	int version = 0;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK ||
	    (r = fw_store_sq_stmt(c, sql_artifact_add, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "artifact");
	sq_field(&b, 1, a->advisory_id);
	sq_text(&b, 2, fw_kind_name(a->kind));
	sq_field(&b, 3, a->media_type);
	sq_u64(&b, 4, a->size);
	sq_blob(&b, 5, a->sha256, sizeof a->sha256);
	sq_i64(&b, 6, a->created_at);
	sq_blob(&b, 7, content, n);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_step(c, st, &row, "artifact")) != FW_OK)
		goto out;
	if (!row) {
		r = FW_ERR_INTERNAL;
		goto out;
	}
	if ((r = sq_col_int(st, 0, &version)) != FW_OK)
		goto out;
	/* Run to the end: the autocommit transaction ends with the statement. */
	if ((r = fw_store_sq_exec(c, st, "artifact")) != FW_OK)
		goto out;
	a->version = version;
out:
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_artifact_get(struct fw_store *s, const char *advisory_id, enum fw_kind kind,
					 int version, struct fw_artifact *out, struct fw_buf *content)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	struct fw_artifact a = {0};
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK ||
	    (r = fw_store_sq_stmt(c, content ? sql_artifact_get_content : sql_artifact_get, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "artifact");
	sq_text(&b, 1, advisory_id);
	sq_text(&b, 2, fw_kind_name(kind));
	sq_i64(&b, 3, version);
	bool row = false;
	if ((r = b.r) != FW_OK || (r = fw_store_sq_step(c, st, &row, "artifact")) != FW_OK)
		goto out;
	if (!row) {
		r = FW_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = artifact_row(st, &a)) != FW_OK || (content && (r = sq_col_buf(st, 7, content)) != FW_OK))
		goto out;
	*out = a;
out:
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_artifact_list(struct fw_store *s, const char *advisory_id,
					  struct fw_artifact **out, size_t *n)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	void *v = NULL;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK ||
	    (r = fw_store_sq_stmt(c, sql_artifact_list, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "artifact");
	sq_text(&b, 1, advisory_id);
	sq_i64(&b, 2, FW_STORE_MAX_LIST);
	if ((r = b.r) != FW_OK)
		goto out;
	if ((r = fw_store_sq_collect(c, st, artifact_row, sizeof **out, &v, n, "artifact")) == FW_OK)
		*out = v;
out:
	fw_store_sq_release(s, c);
	return r;
}

/* --- policy versions ---------------------------------------------------- */
#define POLICY_COLS "version, created_at, author, comment, sha256"

static const char sql_policy_add[] = "INSERT INTO policy_versions"
				     " (version, text, sha256, author, comment, created_at)"
				     " SELECT COALESCE(MAX(version), 0) + 1, ?1, ?2, ?3, ?4, ?5"
				     " FROM policy_versions RETURNING version";
static const char sql_policy_get[] = "SELECT " POLICY_COLS " FROM policy_versions"
				     " WHERE ?1 = 0 OR version = ?1 ORDER BY version DESC LIMIT 1";
static const char sql_policy_get_text[] = "SELECT " POLICY_COLS ", text FROM policy_versions"
					  " WHERE ?1 = 0 OR version = ?1 ORDER BY version DESC LIMIT 1";
static const char sql_policy_list[] = "SELECT " POLICY_COLS " FROM policy_versions"
				      " ORDER BY version DESC LIMIT ?1";

static enum fw_err policy_row(sqlite3_stmt *st, void *out)
{
	struct fw_policy_version *v = out;
	enum fw_err r;
	if ((r = sq_col_int(st, 0, &v->version)) != FW_OK || (r = sq_col_text(st, 2, v->author)) != FW_OK ||
	    (r = sq_col_text(st, 3, v->comment)) != FW_OK || (r = sq_col_hash(st, 4, v->sha256)) != FW_OK)
		return r;
	v->created_at = sqlite3_column_int64(st, 1);
	return FW_OK;
}

enum fw_err fw_store_sqlite_policy_insert(struct sq_conn *c, struct fw_policy_version *v, const char *text,
					  size_t n)
{
	sqlite3_stmt *st;
	enum fw_err r;
	bool row = false;
	int version = 0;
	if ((r = fw_store_sq_stmt(c, sql_policy_add, &st)) != FW_OK)
		return r;
	struct sq_bind b = sq_bind(c, st, "policy version");
	sq_textn(&b, 1, text, n);
	sq_blob(&b, 2, v->sha256, sizeof v->sha256);
	sq_field(&b, 3, v->author);
	sq_field(&b, 4, v->comment);
	sq_i64(&b, 5, v->created_at);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_step(c, st, &row, "policy version")) != FW_OK)
		return r;
	if (!row) {
		sqlite3_reset(st);
		return FW_ERR_INTERNAL;
	}
	if ((r = sq_col_int(st, 0, &version)) != FW_OK) {
		sqlite3_reset(st);
		return r;
	}
	if ((r = fw_store_sq_exec(c, st, "policy version")) != FW_OK)
		return r;
	v->version = version;
	return FW_OK;
}

enum fw_err fw_store_sqlite_policy_add(struct fw_store *s, struct fw_policy_version *v,
				       const char *text, size_t n)
{
	struct sq_conn *c = NULL;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) == FW_OK)
		r = fw_store_sqlite_policy_insert(c, v, text, n);
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_policy_get(struct fw_store *s, int version, struct fw_policy_version *out,
				       struct fw_buf *text)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	struct fw_policy_version v = {0};
	enum fw_err r;
	bool row = false;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK ||
	    (r = fw_store_sq_stmt(c, text ? sql_policy_get_text : sql_policy_get, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "policy version");
	sq_i64(&b, 1, version);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_step(c, st, &row, "policy version")) != FW_OK)
		goto out;
	if (!row) {
		r = FW_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = policy_row(st, &v)) != FW_OK || (text && (r = sq_col_buf(st, 5, text)) != FW_OK))
		goto out;
	*out = v;
out:
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_policy_list(struct fw_store *s, struct fw_policy_version **out, size_t *n)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	void *v = NULL;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql_policy_list, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "policy version");
	sq_i64(&b, 1, FW_STORE_MAX_LIST);
	if ((r = b.r) != FW_OK)
		goto out;
	if ((r = fw_store_sq_collect(c, st, policy_row, sizeof **out, &v, n, "policy version")) == FW_OK)
		*out = v;
out:
	fw_store_sq_release(s, c);
	return r;
}

/* --- release work ------------------------------------------------------- */
/* public_at > 0: an advisory scheduled without a public time (a bug
 * elsewhere) must stay embargoed rather than be published at once. */
static const char sql_publish_due[] = "UPDATE advisories SET status = 'public', updated_at = ?1"
				      " WHERE status = 'scheduled' AND public_at > 0 AND public_at <= ?1";

enum fw_err fw_store_sqlite_advisory_publish_due(struct fw_store *s, int64_t now, size_t *n)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql_publish_due, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "advisory");
	sq_i64(&b, 1, now);
	if ((r = b.r) != FW_OK || (r = fw_store_sq_exec(c, st, "advisory")) != FW_OK)
		goto out;
	if (n)
		*n = (size_t)sqlite3_changes(c->db);
out:
	fw_store_sq_release(s, c);
	return r;
}
