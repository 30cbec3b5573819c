/* The PostgreSQL backend: connections, the pool, reconnection, prepared
 * statements, transactions and error mapping. The migrations are in
 * pg_migrate.c; the SQL of each table group in pg_people.c, pg_release.c
 * and pg_delivery.c.
 *
 * Several forewarnd nodes may share one database, so nothing here assumes
 * it is the only writer: what SQLite gets from its single write lock, the
 * statements get from constraints, row locks and ON CONFLICT. */
#include <poll.h>
#include <time.h>

#include "store/migrate.h"
#include "store/pg_int.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* The oldest server the SQL is written for (identity columns, jsonb,
 * ON CONFLICT, CREATE SCHEMA IF NOT EXISTS). */
#define PG_MIN_SERVER_VERSION 120000

/* --- errors ------------------------------------------------------------- */
static bool state_is(const char *st, const char *code) { return st && strcmp(st, code) == 0; }
static bool class_is(const char *st, const char *cls) { return st && strncmp(st, cls, 2) == 0; }

/* A message of libpq or the server on one line, its lines joined with
 * "; ". Connection messages name host and port, never the password. */
static void one_line(const char *m, char *out, size_t cap)
{
	size_t k = 0;
	while (*m && k + 3 < cap) {
		size_t line = strcspn(m, "\n");
		size_t lead = strspn(m, " \t");
		if (line > lead) {
			if (k) {
				out[k++] = ';';
				out[k++] = ' ';
			}
			size_t take = line - lead < cap - k - 1 ? line - lead : cap - k - 1;
			memcpy(out + k, m + lead, take);
			k += take;
		}
		m += line + (m[line] == '\n');
	}
	out[k] = '\0';
}

enum fw_err fw_store_pg_corrupt(const PGresult *res, int col)
{
	const char *name = PQfname(res, col);
	fw_log_error("store", "column %s does not fit its field", name ? name : "?");
	return FW_ERR_STORE;
}

/* The server's own words go to the log only: they may quote values. */
enum fw_err fw_store_pg_error(struct pg_conn *c, const PGresult *res, const char *what)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char msg[512];
	one_line(primary ? primary : PQerrorMessage(c->pg), msg, sizeof msg);

	if (PQstatus(c->pg) != CONNECTION_OK || (class_is(st, "08") && !state_is(st, "08P01")) ||
	    state_is(st, "57P01") || state_is(st, "57P02") || state_is(st, "57P03")) {
		fw_log_error("store", "%s: the connection to the database was lost: %s", what, msg);
		return fw_err_set(FW_ERR_UNAVAILABLE, "the connection to the database was lost");
	}
	if (state_is(st, "23505"))
		return fw_err_set(FW_ERR_EXISTS, "%s already exists", what);
	if (state_is(st, "23503"))
		return fw_err_set(FW_ERR_INVALID, "%s refers to a record that does not exist", what);
	if (state_is(st, "23514") || state_is(st, "23502") || class_is(st, "22")) {
		/* CHECKs guard value domains and class 22 is bad data (e.g. not
		 * UTF-8): bad input, not a failing database. */
		fw_log_warn("store", "%s: %s", what, msg);
		return fw_err_set(FW_ERR_INVALID, "%s has a value out of range", what);
	}
	if (state_is(st, "40001") || state_is(st, "40P01") || state_is(st, "55P03") || state_is(st, "57014")) {
		fw_log_warn("store", "%s: database busy: %s", what, msg);
		return fw_err_set(FW_ERR_BUSY, "the database is busy");
	}
	if (state_is(st, "25006")) { /* a standby, e.g. after a failover */
		fw_log_error("store", "%s: the database is read-only: %s", what, msg);
		return fw_err_set(FW_ERR_UNAVAILABLE, "the database is read-only");
	}
	fw_log_error("store", "%s: postgresql error %s: %s", what, st ? st : "?", msg);
	return FW_ERR_STORE;
}

/* --- statements --------------------------------------------------------- */
void fw_store_pg_params_free(struct pg_params *p)
{
	for (int i = 0; i < PG_MAX_PARAMS; i++) {
		free(p->own[i]);
		p->own[i] = NULL;
	}
}

/* The name under which sql is prepared on c, preparing it on first use. */
static enum fw_err prepared(struct pg_conn *c, const char *sql, char name[16])
{
	unsigned i = 0;
	while (i < c->nstmt && c->stmt[i] != sql)
		i++;
	snprintf(name, 16, "fw%u", i);
	if (i < c->nstmt)
		return FW_OK;
	if (c->nstmt == PG_STMT_CACHE) {
		fw_log_error("store", "statement cache full (PG_STMT_CACHE=%d)", PG_STMT_CACHE);
		return FW_ERR_INTERNAL;
	}
	PGresult *res = PQprepare(c->pg, name, sql, 0, NULL);
	enum fw_err r = FW_OK;
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		r = fw_store_pg_error(c, res, "prepare");
	else
		c->stmt[c->nstmt++] = sql;
	PQclear(res);
	return r;
}

static enum fw_err finish(struct pg_conn *c, PGresult *res, const char *what, PGresult **out)
{
	ExecStatusType st = PQresultStatus(res); /* PGRES_FATAL_ERROR for NULL */
	enum fw_err r = FW_OK;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		r = fw_store_pg_error(c, res, what);
	} else if (out) {
		*out = res;
		res = NULL;
	}
	PQclear(res);
	return r;
}

enum fw_err fw_store_pg_exec(struct pg_conn *c, const char *sql, struct pg_params *p, PGresult **out)
{
	char name[16];
	enum fw_err r = p->r;
	if (r == FW_OK)
		r = prepared(c, sql, name);
	if (r == FW_OK)
		r = finish(c, PQexecPrepared(c->pg, name, p->n, p->v, p->len, p->fmt, 1), p->what, out);
	fw_store_pg_params_free(p);
	return r;
}

enum fw_err fw_store_pg_exec_once(struct pg_conn *c, const char *sql, struct pg_params *p, PGresult **out)
{
	enum fw_err r = p->r;
	if (r == FW_OK)
		r = finish(c, PQexecParams(c->pg, sql, p->n, NULL, p->v, p->len, p->fmt, 1), p->what, out);
	fw_store_pg_params_free(p);
	return r;
}

int64_t fw_store_pg_changes(const PGresult *res)
{
	const char *s = PQcmdTuples((PGresult *)res);
	char *end = NULL;
	long long v = strtoll(s, &end, 10);
	return end != s && v > 0 ? (int64_t)v : 0;
}

enum fw_err fw_store_pg_one(struct pg_conn *c, const char *sql, struct pg_params *p, pg_row_fn fn, void *out)
{
	PGresult *res = NULL;
	enum fw_err r;
	if ((r = fw_store_pg_exec(c, sql, p, &res)) != FW_OK)
		return r;
	r = PQntuples(res) > 0 ? fn(res, 0, out) : FW_ERR_NOT_FOUND;
	PQclear(res);
	return r;
}

enum fw_err fw_store_pg_collect(struct pg_conn *c, const char *sql, struct pg_params *p, pg_row_fn fn,
				size_t size, void **out, size_t *n)
{
	PGresult *res = NULL;
	char *v = NULL;
	enum fw_err r;
	if ((r = fw_store_pg_exec(c, sql, p, &res)) != FW_OK)
		return r;
	int rows = PQntuples(res);
	if (rows > FW_STORE_MAX_LIST) {
		r = FW_ERR_INTERNAL; /* the SQL forgot its LIMIT */
		goto out;
	}
	if (rows > 0 && !(v = calloc((size_t)rows, size))) {
		r = FW_ERR_NOMEM;
		goto out;
	}
	for (int i = 0; i < rows; i++)
		if ((r = fn(res, i, v + (size_t)i * size)) != FW_OK)
			goto out;
	*out = v;
	*n = (size_t)rows;
	v = NULL;
out:
	free(v);
	PQclear(res);
	return r;
}

enum fw_err fw_store_pg_command(struct pg_conn *c, const char *sql, struct pg_params *p, int64_t *changed)
{
	PGresult *res = NULL;
	enum fw_err r;
	if ((r = fw_store_pg_exec(c, sql, p, &res)) != FW_OK)
		return r;
	if (changed)
		*changed = fw_store_pg_changes(res);
	PQclear(res);
	return FW_OK;
}

/* --- transactions ------------------------------------------------------- */
static enum fw_err simple(struct pg_conn *c, const char *sql, const char *what)
{
	return finish(c, PQexec(c->pg, sql), what, NULL);
}

/* READ COMMITTED: where a transaction must see what another committed
 * while it waited (versions, the plan), it takes a lock first and reads
 * afterwards. */
enum fw_err fw_store_pg_begin(struct pg_conn *c) { return simple(c, "BEGIN", "begin"); }

enum fw_err fw_store_pg_commit(struct pg_conn *c)
{
	/* PostgreSQL answers COMMIT of a failed transaction with a rollback,
	 * not an error: refuse to call that a success. */
	if (PQtransactionStatus(c->pg) != PQTRANS_INTRANS) {
		fw_log_error("store", "commit of a transaction that failed or never began");
		fw_store_pg_rollback(c);
		return FW_ERR_INTERNAL;
	}
	enum fw_err r = simple(c, "COMMIT", "commit");
	if (r != FW_OK)
		fw_store_pg_rollback(c);
	return r;
}

void fw_store_pg_rollback(struct pg_conn *c)
{
	PGTransactionStatusType ts = PQtransactionStatus(c->pg);
	if (ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR)
		return; /* nothing to undo, or the connection is gone with it */
	if (simple(c, "ROLLBACK", "rollback") != FW_OK)
		fw_log_error("store", "rollback failed");
}

/* --- connections -------------------------------------------------------- */
static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Notices (e.g. "relation already exists, skipping") would otherwise go to
 * stderr. */
static void notice(void *arg, const char *msg)
{
	(void)arg;
	fw_log_debug("store", "postgresql: %.*s", (int)strcspn(msg, "\n"), msg);
}

/* Per connection: a lock wait ends like SQLite's busy timeout. */
static const char session_setup[] = "SET lock_timeout = " STR(FW_STORE_BUSY_TIMEOUT_MS);

/* Connects c (again, when it has a connection already). FW_ERR_UNAVAILABLE
 * with why filled when the server cannot be reached. */
static enum fw_err conn_connect(struct pg_store *q, struct pg_conn *c, char *why, size_t cap)
{
	/* Keywords before dbname are defaults the URL may override; those
	 * after it are not. */
	char timeout[16];
	snprintf(timeout, sizeof timeout, "%d", FW_STORE_BUSY_TIMEOUT_MS < 1000 ? 1 : FW_STORE_BUSY_TIMEOUT_MS / 1000);
	const char *keys[] = {"connect_timeout", "fallback_application_name", "dbname", "client_encoding", NULL};
	const char *vals[] = {timeout, "forewarn", q->url, "UTF8", NULL};
	c->nstmt = 0; /* a new session has no prepared statements */
	if (c->pg)
		PQreset(c->pg);
	else
		c->pg = PQconnectdbParams(keys, vals, 1);
	if (!c->pg)
		return FW_ERR_NOMEM;
	PQsetNoticeProcessor(c->pg, notice, NULL);
	if (PQstatus(c->pg) != CONNECTION_OK) {
		one_line(PQerrorMessage(c->pg), why, cap);
		return FW_ERR_UNAVAILABLE;
	}
	if (PQserverVersion(c->pg) < PG_MIN_SERVER_VERSION) {
		fw_log_error("store", "PostgreSQL %d is too old; forewarn needs %d or later", PQserverVersion(c->pg),
			     PG_MIN_SERVER_VERSION / 10000);
		return fw_err_set(FW_ERR_UNSUPPORTED, "the PostgreSQL server is too old");
	}
	return simple(c, session_setup, "configure");
}

static void conn_free(struct pg_conn *c)
{
	if (!c)
		return;
	if (c->pg)
		PQfinish(c->pg);
	free(c);
}

/* An idle connection has nothing to read, unless the server dropped it
 * while it sat in the pool (a restart, an idle timeout): then it sent an
 * error and closed. Reading that without blocking, libpq meets the end of
 * the stream and marks the connection bad, so that the first statement
 * after a server restart need not fail. */
static bool conn_healthy(struct pg_conn *c)
{
	if (PQstatus(c->pg) != CONNECTION_OK || PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		return false;
	for (int i = 0; i < 4; i++) {
		struct pollfd pfd = {.fd = PQsocket(c->pg), .events = POLLIN};
		if (poll(&pfd, 1, 0) <= 0)
			break;
		if (!PQconsumeInput(c->pg) || PQstatus(c->pg) != CONNECTION_OK)
			return false;
	}
	return true;
}

/* FW_OK when a connection may be attempted now. */
static enum fw_err backoff_gate(struct pg_store *q)
{
	enum fw_err r = FW_OK;
	pthread_mutex_lock(&q->mu);
	if (q->retry_at && mono_ms() < q->retry_at)
		r = fw_err_set(FW_ERR_UNAVAILABLE, "the database is unreachable");
	pthread_mutex_unlock(&q->mu);
	return r;
}

static void backoff_record(struct pg_store *q, bool reached)
{
	pthread_mutex_lock(&q->mu);
	if (reached) {
		q->backoff_ms = 0;
		q->retry_at = 0;
	} else {
		q->backoff_ms = q->backoff_ms ? q->backoff_ms * 2 : PG_BACKOFF_MIN_MS;
		if (q->backoff_ms > PG_BACKOFF_MAX_MS)
			q->backoff_ms = PG_BACKOFF_MAX_MS;
		q->retry_at = mono_ms() + q->backoff_ms;
	}
	pthread_mutex_unlock(&q->mu);
}

/* --- the pool ----------------------------------------------------------- */
enum fw_err fw_store_pg_acquire(struct fw_store *s, struct pg_conn **out)
{
	struct pg_store *q = (struct pg_store *)s;
	struct pg_conn *c = NULL;
	enum fw_err r;
	char why[256];

	pthread_mutex_lock(&q->mu);
	while (!q->idle && q->nconn >= FW_STORE_POOL_SIZE)
		pthread_cond_wait(&q->cv, &q->mu);
	if (q->idle) {
		c = q->idle;
		q->idle = c->next;
		c->next = NULL;
	} else {
		q->nconn++; /* reserve the slot, then connect without the lock */
	}
	pthread_mutex_unlock(&q->mu);

	if (c && conn_healthy(c)) {
		*out = c;
		return FW_OK;
	}
	if (c)
		fw_log_warn("store", "a connection to the database was broken; reconnecting");
	if (!c && !(c = calloc(1, sizeof *c))) {
		r = FW_ERR_NOMEM;
		goto fail;
	}
	if ((r = backoff_gate(q)) != FW_OK)
		goto fail;
	r = conn_connect(q, c, why, sizeof why);
	backoff_record(q, r != FW_ERR_UNAVAILABLE);
	if (r == FW_ERR_UNAVAILABLE) {
		fw_log_error("store", "cannot connect to %s: %s", q->shown, why);
		r = fw_err_set(FW_ERR_UNAVAILABLE, "the database is unreachable");
	}
	if (r != FW_OK)
		goto fail;
	*out = c;
	return FW_OK;
fail:
	conn_free(c);
	pthread_mutex_lock(&q->mu);
	q->nconn--;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return r;
}

void fw_store_pg_release(struct fw_store *s, struct pg_conn *c)
{
	struct pg_store *q = (struct pg_store *)s;
	if (!c)
		return;
	PGTransactionStatusType ts = PQtransactionStatus(c->pg);
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
		fw_log_error("store", "a transaction was left open; rolling back");
		fw_store_pg_rollback(c);
	}
	/* A broken connection goes back too: the next acquire reconnects it. */
	pthread_mutex_lock(&q->mu);
	c->next = q->idle;
	q->idle = c;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* --- open and close ----------------------------------------------------- */
/* The URL for messages: the password of the user part and the value of
 * any parameter named *password* become "***". NULL on no memory. */
static char *mask_url(const char *url)
{
	struct fw_buf b;
	const char *p = strstr(url, "://");
	enum fw_err r = FW_OK;

	fw_buf_init(&b, strlen(url) + 64);
	p = p ? p + 3 : url;
	r = fw_buf_append(&b, url, (size_t)(p - url));
	size_t alen = strcspn(p, "/?#");
	const char *at = NULL;
	for (size_t i = 0; i < alen; i++)
		if (p[i] == '@')
			at = p + i;
	if (at && r == FW_OK) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		r = fw_buf_append(&b, p, (size_t)((colon ? colon : at) - p));
		if (r == FW_OK && colon)
			r = fw_buf_puts(&b, ":***");
		p = at;
	}
	const char *query = strchr(p, '?');
	if (r == FW_OK)
		r = fw_buf_append(&b, p, query ? (size_t)(query + 1 - p) : strlen(p));
	for (p = query ? query + 1 : ""; *p && r == FW_OK;) {
		size_t plen = strcspn(p, "&"), klen = strcspn(p, "=&");
		bool secret = false;
		for (size_t i = 0; i + 8 <= klen; i++)
			secret = secret || strncmp(p + i, "password", 8) == 0;
		r = fw_buf_append(&b, p, secret ? klen : plen);
		if (r == FW_OK && secret)
			r = fw_buf_puts(&b, "=***");
		p += plen;
		if (*p == '&' && r == FW_OK)
			r = fw_buf_append(&b, p++, 1);
	}
	if (r != FW_OK) {
		fw_buf_cleanup(&b);
		return NULL;
	}
	return fw_buf_steal(&b);
}

static void pg_close(struct fw_store *s)
{
	struct pg_store *q = (struct pg_store *)s;
	pthread_mutex_lock(&q->mu);
	unsigned closed = 0;
	while (q->idle) {
		struct pg_conn *c = q->idle;
		q->idle = c->next;
		conn_free(c);
		closed++;
	}
	if (closed != q->nconn)
		fw_log_error("store", "closing with %u connections still lent", q->nconn - closed);
	pthread_mutex_unlock(&q->mu);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	if (q->url) /* it may hold the password */
		explicit_bzero(q->url, strlen(q->url));
	free(q->url);
	free(q->shown);
	free(q);
}

static int pg_schema_version(struct fw_store *s) { return ((struct pg_store *)s)->schema_version; }

static const struct fw_store_ops pg_ops = {
	.close = pg_close,
	.schema_version = pg_schema_version,
	.member_create = fw_store_pg_member_create,
	.member_get = fw_store_pg_member_get,
	.member_update = fw_store_pg_member_update,
	.member_list = fw_store_pg_member_list,
	.member_set_status = fw_store_pg_member_set_status,
	.token_create = fw_store_pg_token_create,
	.token_find = fw_store_pg_token_find,
	.token_get = fw_store_pg_token_get,
	.token_list = fw_store_pg_token_list,
	.token_revoke = fw_store_pg_token_revoke,
	.token_revoke_member = fw_store_pg_token_revoke_member,
	.token_touch = fw_store_pg_token_touch,
	.advisory_create = fw_store_pg_advisory_create,
	.advisory_get = fw_store_pg_advisory_get,
	.advisory_update = fw_store_pg_advisory_update,
	.advisory_list = fw_store_pg_advisory_list,
	.artifact_add = fw_store_pg_artifact_add,
	.artifact_get = fw_store_pg_artifact_get,
	.artifact_list = fw_store_pg_artifact_list,
	.policy_add = fw_store_pg_policy_add,
	.policy_get = fw_store_pg_policy_get,
	.policy_list = fw_store_pg_policy_list,
	.plan_write = fw_store_pg_plan_write,
	.plan_current = fw_store_pg_plan_current,
	.plan_list = fw_store_pg_plan_list,
	.due_list = fw_store_pg_due_list,
	.next_wakeup = fw_store_pg_next_wakeup,
	.advisory_publish_due = fw_store_pg_advisory_publish_due,
	.delivery_insert_many = fw_store_pg_delivery_insert_many,
	.delivery_get = fw_store_pg_delivery_get,
	.delivery_list = fw_store_pg_delivery_list,
	.delivery_content = fw_store_pg_delivery_content,
	.delivery_read_add = fw_store_pg_delivery_read_add,
	.delivery_read_list = fw_store_pg_delivery_read_list,
	.ack_add = fw_store_pg_ack_add,
	.ack_get = fw_store_pg_ack_get,
	.ack_times = fw_store_pg_ack_times,
	.log_append_many = fw_store_pg_log_append_many,
	.log_state = fw_store_pg_log_state,
	.log_leaves = fw_store_pg_log_leaves,
	.log_entries = fw_store_pg_log_entries,
	.log_delivery_entry = fw_store_pg_log_delivery_entry,
	.log_node_get = fw_store_pg_log_node_get,
	.log_integrate = fw_store_pg_log_integrate,
	.log_checkpoint_get = fw_store_pg_log_checkpoint_get,
	.log_cosig_add = fw_store_pg_log_cosig_add,
	.log_cosig_list = fw_store_pg_log_cosig_list,
	.mark_add = fw_store_pg_mark_add,
	.mark_get = fw_store_pg_mark_get,
	.mark_recipients = fw_store_pg_mark_recipients,
	.trace_add = fw_store_pg_trace_add,
	.trace_count = fw_store_pg_trace_count,
	.due_claim = fw_store_pg_due_claim,
	.due_unclaim = fw_store_pg_due_unclaim,
	.claim_wait = fw_store_pg_claim_wait,
	.notify = fw_store_pg_notify,
	.listen = fw_store_pg_listen,
};

/* libpq's parser may quote the URL in its message: say only that it is
 * not valid, showing the masked URL. */
static enum fw_err check_url(const struct pg_store *q)
{
	char *err = NULL;
	PQconninfoOption *o = PQconninfoParse(q->url, &err);
	if (o) {
		PQconninfoFree(o);
		return FW_OK;
	}
	if (!err)
		return FW_ERR_NOMEM;
	PQfreemem(err);
	return fw_err_set(FW_ERR_INVALID, "%s is not a valid PostgreSQL URL", q->shown);
}

/* The first connection, and the migrations over it. */
static enum fw_err first_connection(struct pg_store *q)
{
	struct pg_conn *c = calloc(1, sizeof *c);
	char why[256];
	enum fw_err r;
	if (!c)
		return FW_ERR_NOMEM;
	if ((r = conn_connect(q, c, why, sizeof why)) != FW_OK) {
		if (r == FW_ERR_UNAVAILABLE) {
			fw_log_error("store", "cannot connect to %s: %s", q->shown, why);
			r = fw_err_set(FW_ERR_UNAVAILABLE, "cannot connect to %s: %s", q->shown, why);
		}
		conn_free(c);
		return r;
	}
	q->nconn = 1;
	r = fw_store_pg_migrate(c, &q->schema_version);
	fw_store_pg_release(&q->base, c);
	return r;
}

enum fw_err fw_store_pg_open(const char *url, struct fw_store **out)
{
	enum fw_err r;
	struct pg_store *q = calloc(1, sizeof *q);

	if (!q)
		return FW_ERR_NOMEM;
	q->base.ops = &pg_ops;
	if (!PQisthreadsafe()) {
		free(q);
		fw_log_error("store", "this libpq was built without thread support");
		return FW_ERR_UNSUPPORTED;
	}
	if (pthread_mutex_init(&q->mu, NULL) != 0) {
		free(q);
		return FW_ERR_NOMEM;
	}
	if (pthread_cond_init(&q->cv, NULL) != 0) {
		pthread_mutex_destroy(&q->mu);
		free(q);
		return FW_ERR_NOMEM;
	}
	/* From here pg_close cleans up everything. */
	if (!(q->url = strdup(url)) || !(q->shown = mask_url(url))) {
		r = FW_ERR_NOMEM;
		goto out;
	}
	if ((r = check_url(q)) != FW_OK || (r = fw_store_pg_node_init(q)) != FW_OK)
		goto out;
	r = first_connection(q);
out:
	if (r != FW_OK) {
		pg_close(&q->base);
		return r;
	}
	*out = &q->base;
	return FW_OK;
}
