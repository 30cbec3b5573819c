/* Internals shared by the files of the PostgreSQL backend (pg*.c).
 *
 * pg.c owns the connection pool, reconnection, prepared statements,
 * transactions and error mapping; pg_migrate.c the migrations; the other
 * files hold the SQL of one table group each, as the SQLite backend does.
 *
 * Parameters are always bound: scalars in text format (so the server
 * converts them to the column's type), bytes in binary format. Results come
 * back in binary format, so that bytea needs no unescaping and integers and
 * doubles round-trip exactly; the readers below check each value's length
 * and type. */
#ifndef FW_STORE_PG_INT_H
#define FW_STORE_PG_INT_H

#include <inttypes.h>
#include <libpq-fe.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "store/backend.h"

/* Distinct SQL texts the backend prepares; each connection prepares each
 * on first use. fw_store_pg_exec fails loudly (FW_ERR_INTERNAL) if this is
 * too small. */
#define PG_STMT_CACHE 128
#define PG_MAX_PARAMS 16
/* After a failed connection attempt none is tried for this long, doubling
 * up to the maximum: callers fail fast with FW_ERR_UNAVAILABLE meanwhile
 * rather than each waiting for a server that is down. */
#define PG_BACKOFF_MIN_MS 100
#define PG_BACKOFF_MAX_MS 5000

/* Type OIDs (catalog/pg_type.h, stable across versions) of the columns read. */
#define PG_OID_BOOL 16
#define PG_OID_BYTEA 17
#define PG_OID_INT8 20
#define PG_OID_INT2 21
#define PG_OID_INT4 23
#define PG_OID_TEXT 25
#define PG_OID_FLOAT8 701
#define PG_OID_JSONB 3802

struct pg_conn {
	PGconn *pg;
	struct pg_conn *next; /* in the idle list */
	unsigned nstmt;
	const char *stmt[PG_STMT_CACHE]; /* stmt[i] is prepared as "fw<i>" */
};

struct pg_store {
	struct fw_store base; /* first, so that a struct fw_store * is one of these */
	char *url;            /* as given; may hold a password: never shown */
	char *shown;          /* the URL with any password masked, for messages */
	pthread_mutex_t mu;
	pthread_cond_t cv;    /* signalled when a connection comes back */
	struct pg_conn *idle; /* connections nobody holds */
	unsigned nconn;       /* connections that exist: idle or lent */
	int schema_version;
	int64_t retry_at;     /* monotonic ms: no connection attempt before */
	unsigned backoff_ms;
	char node[40];        /* this node's random id: owns its claims (pg_claim.c) */
};

/* --- parameters: the first failure sticks, checked once by exec -------- */
struct pg_params {
	const char *what; /* names the record in error messages */
	enum fw_err r;
	int n;
	const char *v[PG_MAX_PARAMS];
	int len[PG_MAX_PARAMS];
	int fmt[PG_MAX_PARAMS];
	char num[PG_MAX_PARAMS][32]; /* text of numeric parameters */
	char *own[PG_MAX_PARAMS];    /* values allocated here; pg_params_free */
};

static inline void pg_params_init(struct pg_params *p, const char *what)
{
	memset(p, 0, sizeof *p);
	p->what = what;
}

void fw_store_pg_params_free(struct pg_params *p);

/* Parameter i ($i, from 1) as text (fmt 0) or bytes (fmt 1). */
static inline void pg_set(struct pg_params *p, int i, const char *v, int len, int fmt)
{
	if (p->r != FW_OK)
		return;
	if (i < 1 || i > PG_MAX_PARAMS) {
		p->r = FW_ERR_INTERNAL;
		return;
	}
	p->v[i - 1] = v;
	p->len[i - 1] = len;
	p->fmt[i - 1] = fmt;
	if (i > p->n)
		p->n = i;
}

/* NULL binds SQL NULL. */
static inline void pg_text(struct pg_params *p, int i, const char *s) { pg_set(p, i, s, 0, 0); }

/* n bytes of text, not necessarily NUL-terminated: sent in text's binary
 * form, which is the bytes themselves (the server checks the encoding). */
static inline void pg_textn(struct pg_params *p, int i, const char *s, size_t n)
{
	if (p->r == FW_OK && n > INT_MAX) {
		p->r = fw_err_set(FW_ERR_TOO_LARGE, "%s is too large", p->what);
		return;
	}
	pg_set(p, i, s ? s : "", (int)n, 1);
}

/* A fixed-size field of a model struct: refuses one without its NUL rather
 * than reading past it. */
static inline void pg_field_n(struct pg_params *p, int i, const char *s, size_t cap)
{
	if (p->r == FW_OK && strnlen(s, cap) == cap) {
		p->r = fw_err_set(FW_ERR_INVALID, "%s: a text field is not terminated", p->what);
		return;
	}
	pg_text(p, i, s);
}
#define pg_field(p, i, arr) pg_field_n((p), (i), (arr), sizeof(arr))

/* Like pg_field, but "" binds NULL: for optional references. */
static inline void pg_ref_n(struct pg_params *p, int i, const char *s, size_t cap)
{
	if (s[0] == '\0')
		pg_text(p, i, NULL);
	else
		pg_field_n(p, i, s, cap);
}
#define pg_ref(p, i, arr) pg_ref_n((p), (i), (arr), sizeof(arr))

/* A parameter whose text is kept in p->num: NULL for a bad index. */
static inline char *pg_num(struct pg_params *p, int i)
{
	if (p->r != FW_OK)
		return NULL;
	if (i < 1 || i > PG_MAX_PARAMS) {
		p->r = FW_ERR_INTERNAL;
		return NULL;
	}
	return p->num[i - 1];
}

static inline void pg_i64(struct pg_params *p, int i, int64_t v)
{
	if (!pg_num(p, i))
		return;
	snprintf(p->num[i - 1], sizeof p->num[i - 1], "%" PRId64, v);
	pg_set(p, i, p->num[i - 1], 0, 0);
}

static inline void pg_u64(struct pg_params *p, int i, uint64_t v)
{
	if (p->r == FW_OK && v > INT64_MAX)
		p->r = fw_err_set(FW_ERR_INVALID, "%s: size out of range", p->what);
	pg_i64(p, i, (int64_t)v);
}

/* %.17g: every double reads back as the same double. */
static inline void pg_f64(struct pg_params *p, int i, double v)
{
	if (!pg_num(p, i))
		return;
	snprintf(p->num[i - 1], sizeof p->num[i - 1], "%.17g", v);
	pg_set(p, i, p->num[i - 1], 0, 0);
}

static inline void pg_bool(struct pg_params *p, int i, bool v) { pg_text(p, i, v ? "t" : "f"); }

/* Bytes (bytea); an empty blob is bound as zero bytes, not as NULL. */
static inline void pg_blob(struct pg_params *p, int i, const void *v, size_t n)
{
	if (p->r == FW_OK && n > INT_MAX) {
		p->r = fw_err_set(FW_ERR_TOO_LARGE, "%s is too large", p->what);
		return;
	}
	pg_set(p, i, n ? (const char *)v : "", (int)n, 1);
}

/* Takes ownership of v (malloc'd, n bytes), freed by fw_store_pg_params_free
 * even when binding fails. */
static inline void pg_own(struct pg_params *p, int i, char *v, size_t n, int fmt)
{
	if (i >= 1 && i <= PG_MAX_PARAMS) {
		free(p->own[i - 1]);
		p->own[i - 1] = v;
	} else {
		free(v);
	}
	if (p->r == FW_OK && n > INT_MAX) {
		p->r = fw_err_set(FW_ERR_TOO_LARGE, "%s is too large", p->what);
		return;
	}
	pg_set(p, i, v, (int)n, fmt);
}

/* --- reading binary columns: a value that does not fit is a corrupt
 * database (or a schema this program does not know) -------------------- */
enum fw_err fw_store_pg_corrupt(const PGresult *res, int col);

/* A big-endian integer of n bytes. */
static inline uint64_t pg_be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int k = 0; k < n; k++)
		v = v << 8 | p[k];
	return v;
}

static inline enum fw_err pg_col_i64(const PGresult *res, int row, int col, int64_t *out)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(res, row, col);
	int n = PQgetlength(res, row, col);
	Oid t = PQftype(res, col);
	if (PQgetisnull(res, row, col) || !((t == PG_OID_INT8 && n == 8) || (t == PG_OID_INT4 && n == 4) ||
					      (t == PG_OID_INT2 && n == 2)))
		return fw_store_pg_corrupt(res, col);
	uint64_t u = pg_be(p, n);
	if (n < 8 && (u >> (8 * n - 1)) & 1) /* sign-extend */
		u |= ~(uint64_t)0 << (8 * n);
	int64_t v;
	memcpy(&v, &u, sizeof v);
	*out = v;
	return FW_OK;
}

static inline enum fw_err pg_col_int(const PGresult *res, int row, int col, int *out)
{
	int64_t v = 0;
	enum fw_err r = pg_col_i64(res, row, col, &v);
	if (r != FW_OK)
		return r;
	if (v < INT_MIN || v > INT_MAX)
		return fw_store_pg_corrupt(res, col);
	*out = (int)v;
	return FW_OK;
}

static inline enum fw_err pg_col_u64(const PGresult *res, int row, int col, uint64_t *out)
{
	int64_t v = 0;
	enum fw_err r = pg_col_i64(res, row, col, &v);
	if (r != FW_OK)
		return r;
	if (v < 0)
		return fw_store_pg_corrupt(res, col);
	*out = (uint64_t)v;
	return FW_OK;
}

static inline enum fw_err pg_col_f64(const PGresult *res, int row, int col, double *out)
{
	if (PQgetisnull(res, row, col) || PQftype(res, col) != PG_OID_FLOAT8 || PQgetlength(res, row, col) != 8)
		return fw_store_pg_corrupt(res, col);
	uint64_t u = pg_be((const unsigned char *)PQgetvalue(res, row, col), 8);
	double v;
	memcpy(&v, &u, sizeof v);
	*out = v;
	return FW_OK;
}

static inline enum fw_err pg_col_bool(const PGresult *res, int row, int col, bool *out)
{
	if (PQgetisnull(res, row, col) || PQftype(res, col) != PG_OID_BOOL || PQgetlength(res, row, col) != 1)
		return fw_store_pg_corrupt(res, col);
	*out = PQgetvalue(res, row, col)[0] != 0;
	return FW_OK;
}

/* Text into a fixed-size field; NULL reads as "". */
static inline enum fw_err pg_col_text_n(const PGresult *res, int row, int col, char *dst, size_t cap)
{
	const char *p = PQgetvalue(res, row, col);
	size_t n = PQgetisnull(res, row, col) ? 0 : (size_t)PQgetlength(res, row, col);
	if (PQftype(res, col) != PG_OID_TEXT || n >= cap || memchr(p, '\0', n))
		return fw_store_pg_corrupt(res, col);
	if (n)
		memcpy(dst, p, n);
	dst[n] = '\0';
	return FW_OK;
}
#define pg_col_text(res, row, col, arr) pg_col_text_n((res), (row), (col), (arr), sizeof(arr))

static inline enum fw_err pg_col_hash(const PGresult *res, int row, int col, uint8_t dst[32])
{
	if (PQgetisnull(res, row, col) || PQftype(res, col) != PG_OID_BYTEA || PQgetlength(res, row, col) != 32)
		return fw_store_pg_corrupt(res, col);
	memcpy(dst, PQgetvalue(res, row, col), 32);
	return FW_OK;
}

static inline enum fw_err pg_col_kind(const PGresult *res, int row, int col, enum fw_kind *out)
{
	char name[32];
	if (pg_col_text(res, row, col, name) != FW_OK || fw_kind_parse(name, out) != FW_OK) {
		fw_err_clear();
		return fw_store_pg_corrupt(res, col);
	}
	return FW_OK;
}

/* A bytea or text column appended to b after emptying it; NULL reads as
 * empty. */
static inline enum fw_err pg_col_buf(const PGresult *res, int row, int col, struct fw_buf *b)
{
	Oid t = PQftype(res, col);
	fw_buf_reset(b);
	if (t != PG_OID_BYTEA && t != PG_OID_TEXT)
		return fw_store_pg_corrupt(res, col);
	if (PQgetisnull(res, row, col) || PQgetlength(res, row, col) == 0)
		return FW_OK;
	return fw_buf_append(b, PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col));
}

/* --- statements, results, transactions (pg.c) --------------------------- */
/* Lends a connection, opening one when none is idle and the pool is not
 * full, else waiting for one to come back. A connection found broken is
 * re-established (subject to the backoff above). */
enum fw_err fw_store_pg_acquire(struct fw_store *s, struct pg_conn **out) FW_WUR;
/* Takes a connection back (NULL is a no-op), rolling back a transaction a
 * caller left open. */
void fw_store_pg_release(struct fw_store *s, struct pg_conn *c);
/* Maps a failed result (or, res NULL, the connection's error) to fw_err,
 * with a detail naming what for the caller's mistakes and a log line with
 * the server's message for the database's failures. */
enum fw_err fw_store_pg_error(struct pg_conn *c, const PGresult *res, const char *what);
/* Runs sql, prepared once per connection (sql must have static storage:
 * its address is the cache key), with p's parameters (p->what names the
 * record in errors). Frees what p owns. *out, when out is not NULL, gets
 * the result, which the caller PQclear()s. */
enum fw_err fw_store_pg_exec(struct pg_conn *c, const char *sql, struct pg_params *p, PGresult **out) FW_WUR;
/* The same without preparing: for statements run once (migrations). */
enum fw_err fw_store_pg_exec_once(struct pg_conn *c, const char *sql, struct pg_params *p,
				  PGresult **out) FW_WUR;
/* A command's count of rows affected. */
int64_t fw_store_pg_changes(const PGresult *res);
enum fw_err fw_store_pg_begin(struct pg_conn *c) FW_WUR;
/* Commits, or rolls back and fails if the transaction had failed. */
enum fw_err fw_store_pg_commit(struct pg_conn *c) FW_WUR;
void fw_store_pg_rollback(struct pg_conn *c);

/* Reads one row of a result into a struct. */
typedef enum fw_err (*pg_row_fn)(const PGresult *res, int row, void *out);
/* Runs a query: FW_ERR_NOT_FOUND without a row, else the first row is read
 * into out. */
enum fw_err fw_store_pg_one(struct pg_conn *c, const char *sql, struct pg_params *p, pg_row_fn fn,
			    void *out) FW_WUR;
/* Runs a query, reading every row into a new array of elements of the
 * given size (NULL when there are none). The SQL must carry a LIMIT of at
 * most FW_STORE_MAX_LIST. */
enum fw_err fw_store_pg_collect(struct pg_conn *c, const char *sql, struct pg_params *p, pg_row_fn fn,
				size_t size, void **out, size_t *n) FW_WUR;
/* Runs a command; *changed (may be NULL) gets the rows it affected. */
enum fw_err fw_store_pg_command(struct pg_conn *c, const char *sql, struct pg_params *p,
				int64_t *changed) FW_WUR;

/* pg_migrate.c: applies the migrations not yet applied; *version gets the
 * schema version after. */
enum fw_err fw_store_pg_migrate(struct pg_conn *c, int *version) FW_WUR;

/* pg.c: url is a postgresql:// or postgres:// URL as libpq takes it. */
enum fw_err fw_store_pg_open(const char *url, struct fw_store **out) FW_WUR;

/* --- the operations, by file -------------------------------------------- */
/* pg_people.c */
enum fw_err fw_store_pg_member_create(struct fw_store *s, const struct fw_member *m);
enum fw_err fw_store_pg_member_get(struct fw_store *s, const char *id, struct fw_member *out);
enum fw_err fw_store_pg_member_update(struct fw_store *s, const struct fw_member *m);
enum fw_err fw_store_pg_member_list(struct fw_store *s, struct fw_member **out, size_t *n);
enum fw_err fw_store_pg_member_set_status(struct fw_store *s, struct fw_store_status_change *c,
					  struct fw_store_log_hook *log);
enum fw_err fw_store_pg_token_create(struct fw_store *s, const struct fw_token *t, const uint8_t hash[32]);
enum fw_err fw_store_pg_token_find(struct fw_store *s, const uint8_t hash[32], struct fw_token *out);
enum fw_err fw_store_pg_token_get(struct fw_store *s, const char *id, struct fw_token *out);
enum fw_err fw_store_pg_token_list(struct fw_store *s, const char *member_id, struct fw_token **out,
				   size_t *n);
enum fw_err fw_store_pg_token_revoke(struct fw_store *s, const char *id, int64_t at);
enum fw_err fw_store_pg_token_revoke_member(struct fw_store *s, const char *member_id, int64_t at,
					    size_t *n);
enum fw_err fw_store_pg_token_touch(struct fw_store *s, const char *id, int64_t at);
enum fw_err fw_store_pg_advisory_create(struct fw_store *s, const struct fw_advisory *a);
enum fw_err fw_store_pg_advisory_get(struct fw_store *s, const char *id, struct fw_advisory *out);
enum fw_err fw_store_pg_advisory_update(struct fw_store *s, const struct fw_advisory *a,
					struct fw_store_log_hook *log);
enum fw_err fw_store_pg_advisory_list(struct fw_store *s, struct fw_advisory **out, size_t *n);

/* pg_release.c */
enum fw_err fw_store_pg_artifact_add(struct fw_store *s, struct fw_artifact *a, const uint8_t *content,
				     size_t n);
enum fw_err fw_store_pg_artifact_get(struct fw_store *s, const char *advisory_id, enum fw_kind kind,
				     int version, struct fw_artifact *out, struct fw_buf *content);
enum fw_err fw_store_pg_artifact_list(struct fw_store *s, const char *advisory_id, struct fw_artifact **out,
				      size_t *n);
enum fw_err fw_store_pg_policy_add(struct fw_store *s, struct fw_policy_version *v, const char *text,
				   size_t n);
enum fw_err fw_store_pg_policy_get(struct fw_store *s, int version, struct fw_policy_version *out,
				   struct fw_buf *text);
enum fw_err fw_store_pg_policy_list(struct fw_store *s, struct fw_policy_version **out, size_t *n);
enum fw_err fw_store_pg_advisory_publish_due(struct fw_store *s, int64_t now, size_t *n);

/* A new policy version inside the caller's transaction. */
enum fw_err fw_store_pg_policy_insert(struct pg_conn *c, struct fw_policy_version *v, const char *text,
				      size_t n) FW_WUR;

/* pg_plan.c. The conditions under which a plan row is due, shared with the
 * claiming statement of pg_claim.c (d: plan_decisions, pm: plan_members,
 * m: members, a: advisories). */
#define PG_PLAN_CUR_VERSION "(SELECT COALESCE(MAX(pv.version), 0) FROM policy_versions pv)"
#define PG_PLAN_CLASS_CURRENT \
	"pm.policy_version = " PG_PLAN_CUR_VERSION " AND pm.member_revision = m.revision"
#define PG_PLAN_RELEASABLE "a.status IN ('scheduled', 'public') AND m.status IN ('active', 'probation')"
/* Released, not withheld decisions of the newest policy version for
 * scheduled or public advisories that have an artifact of their kind, with
 * the newest version of it, in release order: (advisory_id, kind, class,
 * release_at, version, position). Decisions are thousands of rows; each
 * one's members are looked at after, in a LATERAL subquery, so that the
 * first $2 due pairs are found without looking at the millions behind
 * them. $1: now. */
#define PG_PLAN_RELEASED \
	"SELECT d.advisory_id, d.kind, d.class, a.public_at + d.release_offset AS release_at, l.version," \
	" k.position" \
	" FROM plan_decisions d JOIN advisories a ON a.id = d.advisory_id JOIN kinds k ON k.name = d.kind" \
	" JOIN (SELECT x.advisory_id, x.kind, MAX(x.version) AS version FROM artifacts x" \
	"  GROUP BY x.advisory_id, x.kind) l ON l.advisory_id = d.advisory_id AND l.kind = d.kind" \
	" WHERE NOT d.withheld AND a.public_at + d.release_offset <= $1" \
	"  AND d.policy_version = " PG_PLAN_CUR_VERSION " AND d.advisory_revision = a.revision" \
	"  AND a.status IN ('scheduled', 'public')" \
	" ORDER BY release_at, d.advisory_id, k.position, d.class"
/* The members of decision r that are due (no copy yet), in id order. */
#define PG_PLAN_DUE_MEMBERS \
	"SELECT pm.member_id FROM plan_members pm JOIN members m ON m.id = pm.member_id" \
	" WHERE pm.class = r.class AND " PG_PLAN_CLASS_CURRENT " AND m.status IN ('active', 'probation')" \
	"  AND NOT EXISTS (SELECT 1 FROM deliveries dl" \
	"   WHERE dl.member_id = pm.member_id AND dl.advisory_id = r.advisory_id" \
	"    AND dl.kind = r.kind AND dl.version = r.version)"
#define PG_PLAN_LATEST_VERSION(adv, kind) \
	"(SELECT MAX(x.version) FROM artifacts x WHERE x.advisory_id = " adv " AND x.kind = " kind ")"
enum fw_err fw_store_pg_plan_write(struct fw_store *s, struct fw_plan_write *w);
enum fw_err fw_store_pg_plan_list(struct fw_store *s, const char *advisory_id, const char *member_id,
				  struct fw_plan_entry **out, size_t *n);
enum fw_err fw_store_pg_plan_current(struct fw_store *s, bool *current);
enum fw_err fw_store_pg_due_list(struct fw_store *s, int64_t now, size_t max, struct fw_due **out,
				 size_t *n);
enum fw_err fw_store_pg_next_wakeup(struct fw_store *s, int64_t now, int64_t *out);

/* pg_delivery.c */
enum fw_err fw_store_pg_delivery_insert_many(struct fw_store *s, struct fw_store_copy *c, size_t n);
enum fw_err fw_store_pg_delivery_get(struct fw_store *s, int64_t id, struct fw_delivery *out);
enum fw_err fw_store_pg_delivery_list(struct fw_store *s, const struct fw_delivery_filter *f,
				      struct fw_delivery **out, size_t *n);
enum fw_err fw_store_pg_delivery_content(struct fw_store *s, int64_t id, struct fw_buf *sealed,
					 struct fw_buf *minisig);
enum fw_err fw_store_pg_delivery_read_add(struct fw_store *s, const struct fw_delivery_read *r);
enum fw_err fw_store_pg_delivery_read_list(struct fw_store *s, int64_t delivery_id,
					   struct fw_delivery_read **out, size_t *n);

/* pg_ack.c */
enum fw_err fw_store_pg_ack_add(struct fw_store *s, struct fw_store_ack *a, const char *statement,
				size_t statement_len, const char *signature, size_t signature_len,
				struct fw_store_log_hook *log, bool *added);
enum fw_err fw_store_pg_ack_get(struct fw_store *s, int64_t delivery_id, struct fw_store_ack *out,
				struct fw_buf *statement, struct fw_buf *signature);
enum fw_err fw_store_pg_ack_times(struct fw_store *s, const int64_t *ids, size_t n, int64_t *at);

/* pg_log.c */
enum fw_err fw_store_pg_log_append_many(struct fw_store *s, const struct fw_store_log_item *items, size_t n,
					uint64_t *first);
enum fw_err fw_store_pg_log_state(struct fw_store *s, struct fw_store_log_state *out);
enum fw_err fw_store_pg_log_leaves(struct fw_store *s, uint64_t from, size_t count, uint8_t *out);
enum fw_err fw_store_pg_log_entries(struct fw_store *s, uint64_t from, size_t count, fw_store_log_entry_fn fn,
				    void *ctx);
enum fw_err fw_store_pg_log_delivery_entry(struct fw_store *s, int64_t delivery_id, uint64_t *index,
					   struct fw_buf *entry);
enum fw_err fw_store_pg_log_node_get(struct fw_store *s, unsigned level, uint64_t index, uint8_t out[32]);
enum fw_err fw_store_pg_log_integrate(struct fw_store *s, const struct fw_store_log_integration *in);
enum fw_err fw_store_pg_log_checkpoint_get(struct fw_store *s, bool latest, uint64_t size, uint64_t *out_size,
					   struct fw_buf *note);
/* pg_cosig.c */
enum fw_err fw_store_pg_log_cosig_add(struct fw_store *s, const struct fw_store_cosig *c, bool *added);
enum fw_err fw_store_pg_log_cosig_list(struct fw_store *s, uint64_t size, struct fw_store_cosig **out, size_t *n);
/* Sequencing inside a caller's transaction (the delivery's): the row lock
 * of log_seq is held until it commits. */
enum fw_err fw_store_pg_log_seq_lock(struct pg_conn *c, uint64_t *next) FW_WUR;
enum fw_err fw_store_pg_log_seq_set(struct pg_conn *c, uint64_t next) FW_WUR;
/* delivery_id 0: the entry records no delivery. */
enum fw_err fw_store_pg_log_put(struct pg_conn *c, uint64_t index, const uint8_t *entry, size_t n,
				const uint8_t leaf_hash[32], int64_t delivery_id) FW_WUR;

/* Runs a log hook inside the caller's transaction (NULL: nothing). */
enum fw_err fw_store_pg_log_hook_run(struct pg_conn *c, struct fw_store_log_hook *h) FW_WUR;

/* pg_mark.c */
enum fw_err fw_store_pg_mark_add(struct fw_store *s, const struct fw_store_mark *m);
enum fw_err fw_store_pg_mark_get(struct fw_store *s, const char *advisory_id, enum fw_kind kind, int version,
				     struct fw_store_mark *out);
enum fw_err fw_store_pg_mark_recipients(struct fw_store *s, const char *advisory_id, enum fw_kind kind,
					    int version, struct fw_store_member_ref **out, size_t *n);
enum fw_err fw_store_pg_trace_add(struct fw_store *s, struct fw_store_trace *t, struct fw_store_log_hook *log);
enum fw_err fw_store_pg_trace_count(struct fw_store *s, const char *advisory_id, size_t *n);

/* pg_claim.c, pg_notify.c: several nodes */
enum fw_err fw_store_pg_node_init(struct pg_store *q) FW_WUR;
enum fw_err fw_store_pg_due_claim(struct fw_store *s, int64_t now, size_t max, int lease_s, struct fw_due **out,
				  size_t *n);
enum fw_err fw_store_pg_due_unclaim(struct fw_store *s);
enum fw_err fw_store_pg_claim_wait(struct fw_store *s, int64_t *seconds);
enum fw_err fw_store_pg_notify(struct fw_store *s, const char *channel);
enum fw_err fw_store_pg_listen(struct fw_store *s, const char *channel, fw_store_listen_fn fn, void *ctx,
			       struct fw_store_listener **out);

#endif
