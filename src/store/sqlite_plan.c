/* SQLite backend: the plan per member class (0005_plan_classes.sql) and the
 * queries the scheduler runs on it: what is due, and when next. */
#include "store/sqlite_int.h"

/* The newest policy version: only plan rows decided under it are due. */
#define CUR_VERSION "(SELECT COALESCE(MAX(pv.version), 0) FROM policy_versions pv)"
/* A member's class counts while it was classed under the newest policy and
 * the member is unchanged since, by its revision (pm: plan_members, m: members). */
#define CLASS_CURRENT "pm.policy_version = " CUR_VERSION " AND pm.member_revision = m.revision"
/* The status names are those of model/names.c. */
#define RELEASABLE "a.status IN ('scheduled', 'public') AND m.status IN ('active', 'probation')"
#define LATEST_VERSION(adv, kind) \
	"(SELECT MAX(x.version) FROM artifacts x WHERE x.advisory_id = " adv " AND x.kind = " kind ")"

static const char sql_version[] = "SELECT COALESCE(MAX(version), 0) FROM policy_versions";
static const char sql_members_clear[] = "DELETE FROM plan_members";
static const char sql_decisions_clear[] = "DELETE FROM plan_decisions";
static const char sql_member_put[] = "INSERT OR REPLACE INTO plan_members"
				     " (member_id, class, member_revision, policy_version)"
				     " VALUES (?1, ?2, ?3, ?4)";
static const char sql_decision_put[] = "INSERT OR REPLACE INTO plan_decisions"
				       " (advisory_id, class, kind, withheld, release_offset, reason, policy_version,"
				       " advisory_revision)"
				       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char sql_plan_list[] =
	"SELECT pm.member_id, d.advisory_id, d.kind, d.withheld,"
	" CASE WHEN d.withheld THEN 0 ELSE a.public_at + d.release_offset END AS t, d.reason, d.policy_version"
	" FROM plan_decisions d"
	" JOIN advisories a ON a.id = d.advisory_id"
	" JOIN plan_members pm ON pm.class = d.class"
	" JOIN kinds k ON k.name = d.kind"
	" WHERE d.advisory_id = ?1 AND (?2 IS NULL OR pm.member_id = ?2)"
	" ORDER BY t, pm.member_id, k.position LIMIT ?3";
static const char sql_plan_current[] =
	"SELECT (SELECT COUNT(*) FROM members m LEFT JOIN plan_members pm ON pm.member_id = m.id"
	"  WHERE pm.member_id IS NULL OR NOT (" CLASS_CURRENT "))"
	" + (SELECT COUNT(*) FROM advisories a WHERE a.status IN ('scheduled', 'public')"
	"  AND EXISTS (SELECT 1 FROM members)"
	"  AND NOT EXISTS (SELECT 1 FROM plan_decisions d"
	"   WHERE d.advisory_id = a.id AND d.policy_version = " CUR_VERSION
	"    AND d.advisory_revision = a.revision))";

/* What is due: a released, not withheld decision of a scheduled or public
 * advisory, for each active or probationary member of its class, paired
 * with the newest version of its artifact kind, that has no delivery yet.
 * Pairing with the newest version means a version uploaded after earlier
 * ones were delivered becomes due at once for everyone whose release time
 * has passed, while an older undelivered version is never sent once
 * superseded. */
/* What is due is found in two steps, so that the first `max` due pairs
 * are found without looking at the millions behind them: the released
 * decisions in release order (one row per advisory, class and kind), and for
 * each, its class's members in id order that have no copy yet. */
static const char sql_due_decisions[] =
	"SELECT d.advisory_id, d.kind, d.class, a.public_at + d.release_offset AS release_at, l.version"
	" FROM plan_decisions d JOIN advisories a ON a.id = d.advisory_id"
	" JOIN kinds k ON k.name = d.kind"
	" JOIN (SELECT x.advisory_id, x.kind, MAX(x.version) AS version FROM artifacts x"
	"  GROUP BY x.advisory_id, x.kind) l ON l.advisory_id = d.advisory_id AND l.kind = d.kind"
	" WHERE d.withheld = 0 AND a.public_at + d.release_offset <= ?1"
	"  AND d.policy_version = " CUR_VERSION " AND d.advisory_revision = a.revision"
	"  AND a.status IN ('scheduled', 'public')"
	" ORDER BY release_at, d.advisory_id, k.position, d.class";
static const char sql_due_members[] =
	"SELECT pm.member_id FROM plan_members pm JOIN members m ON m.id = pm.member_id"
	" WHERE pm.class = ?1 AND " CLASS_CURRENT " AND m.status IN ('active', 'probation')"
	"  AND NOT EXISTS (SELECT 1 FROM deliveries dl"
	"   WHERE dl.member_id = pm.member_id AND dl.advisory_id = ?2 AND dl.kind = ?3 AND dl.version = ?4)"
	" ORDER BY pm.member_id LIMIT ?5";

/* The same conditions with the release time after now, over decisions
 * (thousands of rows) with a member still to serve; plus the public time of
 * scheduled advisories, when publish_due has work. */
static const char sql_next_wakeup[] =
	"SELECT COALESCE(MIN(t), 0) FROM ("
	" SELECT MIN(a.public_at + d.release_offset) AS t FROM plan_decisions d"
	"  JOIN advisories a ON a.id = d.advisory_id"
	"  WHERE d.withheld = 0 AND a.public_at + d.release_offset > ?1"
	"   AND d.policy_version = " CUR_VERSION " AND d.advisory_revision = a.revision"
	"  AND a.status IN ('scheduled', 'public')"
	"   AND EXISTS (SELECT 1 FROM artifacts x WHERE x.advisory_id = d.advisory_id AND x.kind = d.kind)"
	"   AND EXISTS (SELECT 1 FROM plan_members pm JOIN members m ON m.id = pm.member_id"
	"    WHERE pm.class = d.class AND " CLASS_CURRENT " AND " RELEASABLE
	"    AND NOT EXISTS (SELECT 1 FROM deliveries dl"
	"     WHERE dl.member_id = pm.member_id AND dl.advisory_id = d.advisory_id AND dl.kind = d.kind"
	"      AND dl.version = " LATEST_VERSION("d.advisory_id", "d.kind") "))"
	" UNION ALL"
	" SELECT MIN(public_at) FROM advisories WHERE status = 'scheduled' AND public_at > ?1)";

/* --- writing ------------------------------------------------------------- */
static enum fw_err member_put(struct sq_conn *c, const struct fw_plan_member *m, int version)
{
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_stmt(c, sql_member_put, &st)) != FW_OK)
		return r;
	struct sq_bind b = sq_bind(c, st, "plan member");
	sq_field(&b, 1, m->member_id);
	sq_field(&b, 2, m->class_key);
	sq_i64(&b, 3, m->member_revision);
	sq_i64(&b, 4, version);
	if (b.r != FW_OK)
		return b.r;
	return fw_store_sq_exec(c, st, "plan member");
}

static enum fw_err decision_put(struct sq_conn *c, const struct fw_plan_decision *d, int version)
{
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_stmt(c, sql_decision_put, &st)) != FW_OK)
		return r;
	struct sq_bind b = sq_bind(c, st, "plan decision");
	sq_field(&b, 1, d->advisory_id);
	sq_field(&b, 2, d->class_key);
	sq_text(&b, 3, fw_kind_name(d->kind));
	sq_i64(&b, 4, d->withheld ? 1 : 0);
	sq_i64(&b, 5, d->offset);
	sq_field(&b, 6, d->reason);
	sq_i64(&b, 7, version);
	sq_i64(&b, 8, d->advisory_revision);
	if (b.r != FW_OK)
		return b.r;
	return fw_store_sq_exec(c, st, "plan decision");
}

static enum fw_err run_sql(struct sq_conn *c, const char *sql, const char *what)
{
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_stmt(c, sql, &st)) != FW_OK)
		return r;
	return fw_store_sq_exec(c, st, what);
}

static enum fw_err int_row(sqlite3_stmt *st, void *out)
{
	*(int64_t *)out = sqlite3_column_int64(st, 0);
	return FW_OK;
}

static enum fw_err query_int(struct sq_conn *c, const char *sql, int64_t *out, const char *what)
{
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_stmt(c, sql, &st)) != FW_OK)
		return r;
	return fw_store_sq_one(c, st, int_row, out, what);
}

/* All or nothing: readers (the scheduler) see the old plan or the new one,
 * never a half-written mix that might release what the new policy
 * withholds. BEGIN IMMEDIATE holds the write lock, so the version read here
 * cannot change before the commit. */
enum fw_err fw_store_sqlite_plan_write(struct fw_store *s, struct fw_plan_write *w)
{
	struct sq_conn *c = NULL;
	int64_t newest = 0;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_begin(c)) != FW_OK)
		goto out;
	if (w->add_policy) {
		if ((r = fw_store_sqlite_policy_insert(c, w->add_policy, w->policy_text, w->policy_len)) != FW_OK)
			goto out;
		w->policy_version = w->add_policy->version;
	}
	if ((r = query_int(c, sql_version, &newest, "policy version")) != FW_OK)
		goto out;
	if (newest != w->policy_version) {
		r = fw_err_set(FW_ERR_BUSY, "the policy changed while planning (version %lld is the newest, "
						"not %d): plan again",
			       (long long)newest, w->policy_version);
		goto out;
	}
	if (w->scope == FW_PLAN_ALL && ((r = run_sql(c, sql_members_clear, "plan")) != FW_OK ||
					(r = run_sql(c, sql_decisions_clear, "plan")) != FW_OK))
		goto out;
	for (size_t i = 0; i < w->nmembers; i++)
		if ((r = member_put(c, &w->members[i], w->policy_version)) != FW_OK)
			goto out;
	for (size_t i = 0; i < w->ndecisions; i++)
		if ((r = decision_put(c, &w->decisions[i], w->policy_version)) != FW_OK)
			goto out;
	/* A whole plan covers every member and advisory as they are now: one
	 * created or changed after the planner read them fails the write. */
	int64_t stale = 0;
	if (w->complete && (r = query_int(c, sql_plan_current, &stale, "plan")) != FW_OK)
		goto out;
	if (stale) {
		r = fw_err_set(FW_ERR_BUSY, "members or advisories changed while planning: plan again");
		goto out;
	}
	if ((r = fw_store_sqlite_log_hook_run(c, w->log)) != FW_OK)
		goto out;
	r = fw_store_sq_commit(c);
out:
	if (r != FW_OK && c)
		fw_store_sq_rollback(c);
	fw_store_sq_release(s, c);
	return r;
}

/* --- reading ------------------------------------------------------------- */
static enum fw_err plan_row(sqlite3_stmt *st, void *out)
{
	struct fw_plan_entry *e = out;
	enum fw_err r;
	if ((r = sq_col_text(st, 0, e->member_id)) != FW_OK || (r = sq_col_text(st, 1, e->advisory_id)) != FW_OK ||
	    (r = sq_col_kind(st, 2, &e->kind)) != FW_OK || (r = sq_col_text(st, 5, e->reason)) != FW_OK)
		return r;
	e->withheld = sqlite3_column_int(st, 3) != 0;
	e->release_at = sqlite3_column_int64(st, 4);
	e->policy_version = sqlite3_column_int(st, 6);
	return FW_OK;
}

enum fw_err fw_store_sqlite_plan_list(struct fw_store *s, const char *advisory_id,
				      const char *member_id, struct fw_plan_entry **out, size_t *n)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	void *v = NULL;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql_plan_list, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "plan");
	sq_text(&b, 1, advisory_id);
	sq_text(&b, 2, member_id);
	sq_i64(&b, 3, FW_STORE_MAX_LIST);
	if ((r = b.r) != FW_OK)
		goto out;
	if ((r = fw_store_sq_collect(c, st, plan_row, sizeof **out, &v, n, "plan")) == FW_OK)
		*out = v;
out:
	fw_store_sq_release(s, c);
	return r;
}

enum fw_err fw_store_sqlite_plan_current(struct fw_store *s, bool *current)
{
	struct sq_conn *c = NULL;
	int64_t stale = 0;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) == FW_OK &&
	    (r = query_int(c, sql_plan_current, &stale, "plan")) == FW_OK)
		*current = stale == 0;
	fw_store_sq_release(s, c);
	return r;
}

/* --- release work --------------------------------------------------------- */
/* The members of one released decision that are due, appended to out. */
static enum fw_err due_members(struct sq_conn *c, sqlite3_stmt *dec, struct fw_due *out, size_t *n, size_t max)
{
	sqlite3_stmt *st;
	struct fw_due d = {0};
	enum fw_err r;
	bool row = false;
	if ((r = sq_col_text(dec, 0, d.advisory_id)) != FW_OK || (r = sq_col_kind(dec, 1, &d.kind)) != FW_OK ||
	    (r = sq_col_int(dec, 4, &d.version)) != FW_OK)
		return r;
	d.release_at = sqlite3_column_int64(dec, 3);
	if ((r = fw_store_sq_stmt(c, sql_due_members, &st)) != FW_OK)
		return r;
	struct sq_bind b = sq_bind(c, st, "due list");
	sq_rc(&b, sqlite3_bind_value(st, 1, sqlite3_column_value(dec, 2)));
	sq_field(&b, 2, d.advisory_id);
	sq_text(&b, 3, fw_kind_name(d.kind));
	sq_i64(&b, 4, d.version);
	sq_i64(&b, 5, (int64_t)(max - *n));
	if (b.r != FW_OK)
		return b.r;
	while ((r = fw_store_sq_step(c, st, &row, "due list")) == FW_OK && row) {
		out[*n] = d;
		if ((r = sq_col_text(st, 0, out[*n].member_id)) != FW_OK)
			break;
		(*n)++;
	}
	sqlite3_reset(st);
	return r;
}

enum fw_err fw_store_sqlite_due_list(struct fw_store *s, int64_t now, size_t max, struct fw_due **out,
				     size_t *n)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st = NULL;
	struct fw_due *v = calloc(max, sizeof *v);
	size_t have = 0;
	bool row = false;
	enum fw_err r;
	if (!v)
		return FW_ERR_NOMEM;
	/* The decisions statement stays open while the members are read: both
	 * see the one snapshot it holds. */
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql_due_decisions, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "due list");
	sq_i64(&b, 1, now);
	if ((r = b.r) != FW_OK)
		goto out;
	while (have < max && (r = fw_store_sq_step(c, st, &row, "due list")) == FW_OK && row)
		if ((r = due_members(c, st, v, &have, max)) != FW_OK)
			break;
out:
	if (st)
		sqlite3_reset(st);
	fw_store_sq_release(s, c);
	if (r != FW_OK || have == 0) {
		free(v);
		v = NULL;
	}
	if (r == FW_OK) {
		*out = v;
		*n = have;
	}
	return r;
}

enum fw_err fw_store_sqlite_next_wakeup(struct fw_store *s, int64_t now, int64_t *out)
{
	struct sq_conn *c = NULL;
	sqlite3_stmt *st;
	enum fw_err r;
	if ((r = fw_store_sq_acquire(s, &c)) != FW_OK || (r = fw_store_sq_stmt(c, sql_next_wakeup, &st)) != FW_OK)
		goto out;
	struct sq_bind b = sq_bind(c, st, "next wakeup");
	sq_i64(&b, 1, now);
	if ((r = b.r) != FW_OK)
		goto out;
	r = fw_store_sq_one(c, st, int_row, out, "next wakeup");
out:
	fw_store_sq_release(s, c);
	return r;
}
