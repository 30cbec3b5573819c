/* PostgreSQL backend: the migrations of src/store/sql/pg/, compiled in.
 *
 * Every pending migration is applied in order in one transaction that
 * first takes a transaction-scoped advisory lock: of several nodes starting
 * on a new database at once, one migrates and the others wait, then find
 * the work done. DDL is transactional in PostgreSQL, so a migration that
 * fails leaves nothing behind.
 *
 * The tables live in the connection's current schema (the first of its
 * search_path that exists). When none exists and the search_path names a
 * single plain schema (a URL with options=-csearch_path%3Dname), that schema
 * is created: one database can then hold several independent programs, or
 * one per test. */
#include <time.h>

#include "store/migrate.h"
#include "store/pg_int.h"

/* "forewarn" in ASCII: the key of the advisory lock that serialises
 * migrations (of every schema of the database; they are rare). */
#define MIGRATION_LOCK "7381244094403670638"

static const char sql_current_schema[] = "SELECT current_schema()::text";
static const char sql_search_path[] = "SELECT current_setting('search_path')";
static const char sql_lock[] = "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")";
/* Another node's migration may take longer than a busy timeout. */
static const char sql_no_lock_timeout[] = "SET LOCAL lock_timeout = 0";
static const char sql_mig_table[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
				    " version integer PRIMARY KEY,"
				    " name text NOT NULL,"
				    " applied_at bigint NOT NULL)";
static const char sql_mig_max[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
static const char sql_mig_has[] = "SELECT 1 FROM schema_migrations WHERE version = $1";
static const char sql_mig_add[] = "INSERT INTO schema_migrations (version, name, applied_at)"
				  " VALUES ($1, $2, $3)";

/* A statement without parameters, run once; *res (may be NULL) gets the
 * result. */
static enum fw_err run(struct pg_conn *c, const char *sql, const char *what, PGresult **res)
{
	struct pg_params p;
	pg_params_init(&p, what);
	return fw_store_pg_exec_once(c, sql, &p, res);
}

/* The first element of the search_path when it is a plain lower-case
 * name; false otherwise ("$user", quoted names, nothing). */
static bool first_plain_name(const char *path, char out[64])
{
	size_t n = 0;
	path += strspn(path, " ");
	for (; n < 63; n++) {
		char ch = path[n];
		if (!((ch >= 'a' && ch <= 'z') || ch == '_' || (n && ch >= '0' && ch <= '9')))
			break;
	}
	const char *rest = path + n + strspn(path + n, " ");
	if (n == 0 || (*rest != '\0' && *rest != ','))
		return false;
	memcpy(out, path, n);
	out[n] = '\0';
	return true;
}

/* Creates the schema of the search_path when none of it exists, in a
 * transaction of its own: the migration's transaction must start after the
 * schema is there to see it (the search path is resolved per transaction). */
static enum fw_err ensure_schema(struct pg_conn *c)
{
	PGresult *res = NULL;
	char name[64], *ident = NULL;
	struct fw_buf sql;
	enum fw_err r;

	fw_buf_init(&sql, 256);
	if ((r = run(c, sql_current_schema, "schema", &res)) != FW_OK)
		return r;
	bool exists = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0);
	PQclear(res);
	res = NULL;
	if (exists)
		return FW_OK;
	if ((r = run(c, sql_search_path, "schema", &res)) != FW_OK)
		return r;
	if (PQntuples(res) != 1 || !first_plain_name(PQgetvalue(res, 0, 0), name)) {
		fw_log_error("store", "no schema of the search_path \"%s\" exists",
			     PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
		r = fw_err_set(FW_ERR_STATE, "the database has no schema to create the tables in");
		goto out;
	}
	/* DDL takes no parameters: the name is checked above to be plain and
	 * is quoted by libpq. */
	if (!(ident = PQescapeIdentifier(c->pg, name, strlen(name)))) {
		r = fw_store_pg_error(c, NULL, "schema");
		goto out;
	}
	if ((r = fw_buf_printf(&sql, "CREATE SCHEMA IF NOT EXISTS %s", ident)) != FW_OK)
		goto out;
	if ((r = fw_store_pg_begin(c)) != FW_OK || (r = run(c, sql_lock, "schema", NULL)) != FW_OK ||
	    (r = run(c, fw_buf_str(&sql), "schema", NULL)) != FW_OK || (r = fw_store_pg_commit(c)) != FW_OK)
		goto out;
	fw_log_info("store", "using schema %s", name);
out:
	fw_store_pg_rollback(c);
	PQfreemem(ident);
	fw_buf_cleanup(&sql);
	PQclear(res);
	return r;
}

static enum fw_err applied_max(struct pg_conn *c, int *out)
{
	PGresult *res = NULL;
	enum fw_err r;
	if ((r = run(c, sql_mig_max, "schema_migrations", &res)) != FW_OK)
		return r;
	r = PQntuples(res) == 1 ? pg_col_int(res, 0, 0, out) : FW_ERR_INTERNAL;
	PQclear(res);
	return r;
}

static enum fw_err apply(struct pg_conn *c, const struct fw_migration *m)
{
	struct pg_params p;
	PGresult *res = NULL;
	enum fw_err r;

	pg_params_init(&p, "schema_migrations");
	pg_i64(&p, 1, m->version);
	if ((r = fw_store_pg_exec_once(c, sql_mig_has, &p, &res)) != FW_OK)
		return r;
	bool done = PQntuples(res) > 0;
	PQclear(res);
	if (done)
		return FW_OK;
	/* A migration file holds several statements: the simple protocol. */
	res = PQexec(c->pg, m->sql);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		fw_log_error("store", "migration %04d_%s failed", m->version, m->name);
		r = fw_store_pg_error(c, res, "migration");
		PQclear(res);
		return r;
	}
	PQclear(res);
	pg_params_init(&p, "schema_migrations");
	pg_i64(&p, 1, m->version);
	pg_text(&p, 2, m->name);
	/* The wall clock, not fw_clock: this records when the schema changed. */
	pg_i64(&p, 3, (int64_t)time(NULL));
	if ((r = fw_store_pg_exec_once(c, sql_mig_add, &p, NULL)) != FW_OK)
		return r;
	fw_log_info("store", "applied migration %04d_%s", m->version, m->name);
	return FW_OK;
}

enum fw_err fw_store_pg_migrate(struct pg_conn *c, int *version)
{
	enum fw_err r;
	int newest = 0, max = 0;

	for (unsigned i = 0; i < fw_migrations_pg_count; i++) {
		/* cmake sorts the files; a gap in order would apply them wrongly. */
		if (fw_migrations_pg[i].version <= newest) {
			fw_log_error("store", "migration %d is out of order", fw_migrations_pg[i].version);
			return FW_ERR_INTERNAL;
		}
		newest = fw_migrations_pg[i].version;
	}
	if ((r = ensure_schema(c)) != FW_OK || (r = fw_store_pg_begin(c)) != FW_OK)
		return r;
	if ((r = run(c, sql_no_lock_timeout, "schema_migrations", NULL)) != FW_OK ||
	    (r = run(c, sql_lock, "schema_migrations", NULL)) != FW_OK ||
	    (r = run(c, sql_mig_table, "schema_migrations", NULL)) != FW_OK || (r = applied_max(c, &max)) != FW_OK)
		goto out;
	if (max > newest) {
		/* An older program must not write to a schema it does not know. */
		fw_log_error("store", "database schema %d is newer than this program's %d", max, newest);
		r = fw_err_set(FW_ERR_STATE, "the database was created by a newer forewarn");
		goto out;
	}
	for (unsigned i = 0; i < fw_migrations_pg_count; i++)
		if ((r = apply(c, &fw_migrations_pg[i])) != FW_OK)
			goto out;
	if ((r = applied_max(c, &max)) != FW_OK || (r = fw_store_pg_commit(c)) != FW_OK)
		goto out;
	*version = max;
out:
	fw_store_pg_rollback(c);
	return r;
}
