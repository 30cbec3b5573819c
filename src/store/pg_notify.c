/* PostgreSQL backend: waking the other nodes (LISTEN/NOTIFY).
 *
 * fw_store_notify sends NOTIFY on a pooled connection with this node's id
 * as the payload. A listener holds one connection of its own outside the
 * pool (a pooled one would lose its LISTEN to whoever borrows it next),
 * waits on its socket with poll(2), and calls back for every notification
 * of another node. A lost connection is re-established with backoff, and
 * the callback then runs once, since notifications sent meanwhile are gone. */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "store/pg_int.h"

#define LISTEN_BACKOFF_MIN_MS 200
#define LISTEN_BACKOFF_MAX_MS 5000
#define LISTEN_IDLE_MS 30000 /* wake up this often to check the connection */

static const char sql_notify[] = "SELECT pg_notify($1, $2)";

enum fw_err fw_store_pg_notify(struct fw_store *s, const char *channel)
{
	struct pg_store *q = (struct pg_store *)s;
	struct pg_conn *c = NULL;
	struct pg_params p;
	enum fw_err r;
	if ((r = fw_store_pg_acquire(s, &c)) != FW_OK)
		return r;
	pg_params_init(&p, "notification");
	pg_text(&p, 1, channel);
	pg_text(&p, 2, q->node);
	r = fw_store_pg_command(c, sql_notify, &p, NULL);
	fw_store_pg_release(s, c);
	return r;
}

struct pg_listener {
	struct fw_store_listener base; /* first */
	struct pg_store *q;            /* borrowed */
	char channel[64];
	fw_store_listen_fn fn;
	void *ctx;
	PGconn *pg;
	int stop_pipe[2]; /* a byte on [1] stops the thread */
	pthread_t thread;
};

/* Waits up to ms for fd (may be -1) or the stop pipe; true when stopping. */
static bool wait_or_stop(struct pg_listener *l, int fd, int ms, bool *readable)
{
	struct pollfd p[2] = {{.fd = l->stop_pipe[0], .events = POLLIN}, {.fd = fd, .events = POLLIN}};
	int n = poll(p, fd >= 0 ? 2 : 1, ms);
	if (readable)
		*readable = n > 0 && fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR));
	return n > 0 && (p[0].revents & POLLIN);
}

/* A new listening connection, or NULL (logged). */
static PGconn *listen_connect(struct pg_listener *l)
{
	const char *keys[] = {"connect_timeout", "fallback_application_name", "dbname", "client_encoding", NULL};
	const char *vals[] = {"5", "forewarn-listen", l->q->url, "UTF8", NULL};
	PGconn *pg = PQconnectdbParams(keys, vals, 1);
	if (!pg)
		return NULL;
	if (PQstatus(pg) == CONNECTION_OK) {
		char *id = PQescapeIdentifier(pg, l->channel, strlen(l->channel));
		char sql[128];
		if (id) {
			/* LISTEN takes no parameters; the channel is one of
			 * store.h's fixed names, quoted anyway. */
			snprintf(sql, sizeof sql, "LISTEN %s", id);
			PQfreemem(id);
			PGresult *res = PQexec(pg, sql);
			bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
			PQclear(res);
			if (ok)
				return pg;
		}
	}
	fw_log_warn("store", "cannot listen for other nodes on %s: %.*s", l->q->shown,
		    (int)strcspn(PQerrorMessage(pg), "\n"), PQerrorMessage(pg));
	PQfinish(pg);
	return NULL;
}

/* Reads what arrived; true when another node notified. false with the
 * connection closed when it was lost. */
static bool drain(struct pg_listener *l, bool *lost)
{
	bool other = false;
	*lost = !PQconsumeInput(l->pg) || PQstatus(l->pg) != CONNECTION_OK;
	PGnotify *n;
	while ((n = PQnotifies(l->pg)) != NULL) {
		if (strcmp(n->extra, l->q->node) != 0)
			other = true;
		PQfreemem(n);
	}
	return other;
}

static void *listen_run(void *arg)
{
	struct pg_listener *l = arg;
	int backoff = LISTEN_BACKOFF_MIN_MS;
	bool readable = false;
	fw_log_set_request("listener");
	for (;;) {
		if (!l->pg) {
			if (!(l->pg = listen_connect(l))) {
				if (wait_or_stop(l, -1, backoff, NULL))
					break;
				backoff = backoff * 2 > LISTEN_BACKOFF_MAX_MS ? LISTEN_BACKOFF_MAX_MS : backoff * 2;
				continue;
			}
			if (backoff > LISTEN_BACKOFF_MIN_MS) {
				fw_log_info("store", "listening for other nodes again");
				l->fn(l->ctx); /* what was missed meanwhile */
			}
			backoff = LISTEN_BACKOFF_MIN_MS;
		}
		if (wait_or_stop(l, PQsocket(l->pg), LISTEN_IDLE_MS, &readable))
			break;
		bool lost = false;
		if (readable && drain(l, &lost))
			l->fn(l->ctx);
		if (lost || PQstatus(l->pg) != CONNECTION_OK) {
			fw_log_warn("store", "the listening connection was lost; reconnecting");
			PQfinish(l->pg);
			l->pg = NULL;
			backoff = LISTEN_BACKOFF_MIN_MS * 2; /* marks "was lost" for the callback */
		}
	}
	return NULL;
}

static void listener_free(struct fw_store_listener *base)
{
	struct pg_listener *l = (struct pg_listener *)base;
	ssize_t w;
	do
		w = write(l->stop_pipe[1], "x", 1);
	while (w < 0 && errno == EINTR);
	pthread_join(l->thread, NULL);
	if (l->pg)
		PQfinish(l->pg);
	close(l->stop_pipe[0]);
	close(l->stop_pipe[1]);
	free(l);
}

enum fw_err fw_store_pg_listen(struct fw_store *s, const char *channel, fw_store_listen_fn fn, void *ctx,
			       struct fw_store_listener **out)
{
	struct pg_listener *l = calloc(1, sizeof *l);
	if (!l)
		return FW_ERR_NOMEM;
	l->base.free = listener_free;
	l->q = (struct pg_store *)s;
	snprintf(l->channel, sizeof l->channel, "%s", channel);
	l->fn = fn;
	l->ctx = ctx;
	if (pipe(l->stop_pipe) != 0) {
		free(l);
		return fw_err_set(FW_ERR_INTERNAL, "cannot make a pipe: %s", strerror(errno));
	}
	/* Listening from the start, so that nothing sent after this returns
	 * is missed; if the server is down, the thread keeps trying. */
	l->pg = listen_connect(l);
	if (pthread_create(&l->thread, NULL, listen_run, l) != 0) {
		if (l->pg)
			PQfinish(l->pg);
		close(l->stop_pipe[0]);
		close(l->stop_pipe[1]);
		free(l);
		return fw_err_set(FW_ERR_INTERNAL, "cannot start the listener thread");
	}
	*out = &l->base;
	return FW_OK;
}
