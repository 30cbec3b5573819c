/* store.h: chooses a backend from the URL and forwards every call to it.
 *
 * Arguments whose meaning must not differ between backends (list limits,
 * enum ranges, missing filters) are settled here, once. */
#include <stdbool.h>
#include <string.h>

#include "store/backend.h"
#include "store/store.h"


static bool has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

enum fw_err fw_store_open(const char *url, struct fw_store **out)
{
	if (!url || !*url)
		return fw_err_set(FW_ERR_INVALID, "database URL is empty");
	if (has_prefix(url, "postgresql://") || has_prefix(url, "postgres://"))
		return fw_store_pg_open(url, out);
	if (has_prefix(url, "sqlite:")) {
		const char *path = url + strlen("sqlite:");
		if (!*path)
			return fw_err_set(FW_ERR_INVALID, "database URL \"sqlite:\" has no path");
		return fw_store_sqlite_open(path, out);
	}
	/* A plain path is SQLite; anything else that looks like a URL is a
	 * scheme we do not know, not a file to create. */
	if (strstr(url, "://"))
		return fw_err_set(FW_ERR_UNSUPPORTED, "unknown database URL scheme");
	return fw_store_sqlite_open(url, out);
}

void fw_store_close(struct fw_store *s)
{
	if (s)
		s->ops->close(s);
}

int fw_store_schema_version(struct fw_store *s) { return s->ops->schema_version(s); }

/* A log hook's out-fields tell what was committed: nothing unless the
 * change and its entry both were. */
static void log_hook_reset(struct fw_store_log_hook *log)
{
	if (log) {
		log->written = false;
		log->index = 0;
	}
}
static enum fw_err log_hook_done(enum fw_err r, struct fw_store_log_hook *log)
{
	if (r != FW_OK)
		log_hook_reset(log);
	return r;
}

static enum fw_err check_kind(enum fw_kind k)
{
	if ((unsigned)k >= FW_KIND_COUNT)
		return fw_err_set(FW_ERR_INVALID, "unknown artifact kind %d", (int)k);
	return FW_OK;
}

/* --- members ------------------------------------------------------------ */
enum fw_err fw_store_member_create(struct fw_store *s, const struct fw_member *m)
{
	return s->ops->member_create(s, m);
}
enum fw_err fw_store_member_get(struct fw_store *s, const char *id, struct fw_member *out)
{
	return s->ops->member_get(s, id, out);
}
enum fw_err fw_store_member_update(struct fw_store *s, const struct fw_member *m)
{
	return s->ops->member_update(s, m);
}
enum fw_err fw_store_member_list(struct fw_store *s, struct fw_member **out, size_t *n)
{
	return s->ops->member_list(s, out, n);
}
enum fw_err fw_store_member_set_status(struct fw_store *s, struct fw_store_status_change *c,
				       struct fw_store_log_hook *log)
{
	if (!c->member_id || (unsigned)c->from > FW_MEMBER_EXPELLED || (unsigned)c->to > FW_MEMBER_EXPELLED)
		return fw_err_set(FW_ERR_INVALID, "status change incomplete");
	log_hook_reset(log);
	return log_hook_done(s->ops->member_set_status(s, c, log), log);
}

/* --- tokens ------------------------------------------------------------- */
enum fw_err fw_store_token_create(struct fw_store *s, const struct fw_token *t, const uint8_t hash[32])
{
	return s->ops->token_create(s, t, hash);
}
enum fw_err fw_store_token_find(struct fw_store *s, const uint8_t hash[32], struct fw_token *out)
{
	return s->ops->token_find(s, hash, out);
}
enum fw_err fw_store_token_get(struct fw_store *s, const char *id, struct fw_token *out)
{
	return s->ops->token_get(s, id, out);
}
enum fw_err fw_store_token_list(struct fw_store *s, const char *member_id, struct fw_token **out,
				size_t *n)
{
	return s->ops->token_list(s, member_id, out, n);
}
enum fw_err fw_store_token_revoke(struct fw_store *s, const char *id, int64_t at)
{
	return s->ops->token_revoke(s, id, at);
}
enum fw_err fw_store_token_revoke_member(struct fw_store *s, const char *member_id, int64_t at,
					 size_t *n)
{
	return s->ops->token_revoke_member(s, member_id, at, n);
}
enum fw_err fw_store_token_touch(struct fw_store *s, const char *id, int64_t at)
{
	return s->ops->token_touch(s, id, at);
}

/* --- advisories --------------------------------------------------------- */
enum fw_err fw_store_advisory_create(struct fw_store *s, const struct fw_advisory *a)
{
	return s->ops->advisory_create(s, a);
}
enum fw_err fw_store_advisory_get(struct fw_store *s, const char *id, struct fw_advisory *out)
{
	return s->ops->advisory_get(s, id, out);
}
enum fw_err fw_store_advisory_update(struct fw_store *s, const struct fw_advisory *a,
				     struct fw_store_log_hook *log)
{
	log_hook_reset(log);
	return log_hook_done(s->ops->advisory_update(s, a, log), log);
}
enum fw_err fw_store_advisory_list(struct fw_store *s, struct fw_advisory **out, size_t *n)
{
	return s->ops->advisory_list(s, out, n);
}

/* --- artifacts ---------------------------------------------------------- */
enum fw_err fw_store_artifact_add(struct fw_store *s, struct fw_artifact *a, const uint8_t *content,
				  size_t n)
{
	enum fw_err r;
	if ((r = check_kind(a->kind)) != FW_OK)
		return r;
	if (!content && n)
		return fw_err_set(FW_ERR_INVALID, "artifact content is missing");
	return s->ops->artifact_add(s, a, content, n);
}
enum fw_err fw_store_artifact_get(struct fw_store *s, const char *advisory_id, enum fw_kind kind,
				  int version, struct fw_artifact *out, struct fw_buf *content)
{
	enum fw_err r;
	if ((r = check_kind(kind)) != FW_OK)
		return r;
	if (version < 0)
		return FW_ERR_NOT_FOUND;
	return s->ops->artifact_get(s, advisory_id, kind, version, out, content);
}
enum fw_err fw_store_artifact_list(struct fw_store *s, const char *advisory_id,
				   struct fw_artifact **out, size_t *n)
{
	return s->ops->artifact_list(s, advisory_id, out, n);
}

/* --- policy versions ---------------------------------------------------- */
enum fw_err fw_store_policy_add(struct fw_store *s, struct fw_policy_version *v, const char *text,
				size_t n)
{
	if (!text && n)
		return fw_err_set(FW_ERR_INVALID, "policy text is missing");
	return s->ops->policy_add(s, v, text ? text : "", n);
}
enum fw_err fw_store_policy_get(struct fw_store *s, int version, struct fw_policy_version *out,
				struct fw_buf *text)
{
	if (version < 0)
		return FW_ERR_NOT_FOUND;
	return s->ops->policy_get(s, version, out, text);
}
enum fw_err fw_store_policy_list(struct fw_store *s, struct fw_policy_version **out, size_t *n)
{
	return s->ops->policy_list(s, out, n);
}

/* --- plan --------------------------------------------------------------- */
enum fw_err fw_store_plan_write(struct fw_store *s, struct fw_plan_write *w)
{
	enum fw_err r;
	if ((!w->members && w->nmembers) || (!w->decisions && w->ndecisions))
		return fw_err_set(FW_ERR_INVALID, "plan rows are missing");
	if (w->scope != FW_PLAN_ALL && w->scope != FW_PLAN_MEMBER)
		return fw_err_set(FW_ERR_INVALID, "unknown plan scope");
	if (w->scope == FW_PLAN_MEMBER && (w->nmembers != 1 || w->add_policy || w->complete))
		return fw_err_set(FW_ERR_INVALID, "a member's plan names one member and adds no policy");
	if (w->add_policy && !w->policy_text)
		return fw_err_set(FW_ERR_INVALID, "the policy text is missing");
	for (size_t i = 0; i < w->ndecisions; i++) {
		if ((r = check_kind(w->decisions[i].kind)) != FW_OK)
			return r;
		/* A member's plan may only add decisions for its own class. */
		if (w->scope == FW_PLAN_MEMBER && strcmp(w->decisions[i].class_key, w->members[0].class_key) != 0)
			return fw_err_set(FW_ERR_INVALID, "plan decision %zu is for another class", i);
	}
	return s->ops->plan_write(s, w);
}
enum fw_err fw_store_plan_current(struct fw_store *s, bool *current)
{
	return s->ops->plan_current(s, current);
}
enum fw_err fw_store_plan_list(struct fw_store *s, const char *advisory_id, const char *member_id,
			       struct fw_plan_entry **out, size_t *n)
{
	return s->ops->plan_list(s, advisory_id, member_id, out, n);
}

/* --- release work ------------------------------------------------------- */
enum fw_err fw_store_due_list(struct fw_store *s, int64_t now, size_t max, struct fw_due **out,
			      size_t *n)
{
	/* 0 is read as "as many as allowed": a scheduler that passed 0 by
	 * mistake would otherwise silently never deliver anything. */
	if (max == 0 || max > FW_STORE_MAX_LIST)
		max = FW_STORE_MAX_LIST;
	return s->ops->due_list(s, now, max, out, n);
}
enum fw_err fw_store_next_wakeup(struct fw_store *s, int64_t now, int64_t *out)
{
	return s->ops->next_wakeup(s, now, out);
}
enum fw_err fw_store_advisory_publish_due(struct fw_store *s, int64_t now, size_t *n)
{
	return s->ops->advisory_publish_due(s, now, n);
}

/* --- deliveries --------------------------------------------------------- */
enum fw_err fw_store_delivery_insert(struct fw_store *s, struct fw_delivery *d, const uint8_t *sealed,
				     size_t n, const char *minisig)
{
	enum fw_err r;
	if ((r = check_kind(d->kind)) != FW_OK)
		return r;
	struct fw_store_copy c = {.d = *d, .sealed = sealed, .n = n, .minisig = minisig};
	if ((r = fw_store_delivery_insert_many(s, &c, 1)) != FW_OK)
		return r;
	if (!c.inserted)
		return FW_ERR_EXISTS;
	*d = c.d;
	return FW_OK;
}
enum fw_err fw_store_delivery_insert_many(struct fw_store *s, struct fw_store_copy *c, size_t n)
{
	enum fw_err r;
	for (size_t i = 0; i < n; i++) {
		if ((r = check_kind(c[i].d.kind)) != FW_OK)
			return r;
		if (!c[i].sealed && c[i].n)
			return fw_err_set(FW_ERR_INVALID, "sealed copy is missing");
		if (c[i].entry && (c[i].entry_len == 0 || c[i].entry_len > FW_STORE_LOG_ENTRY_MAX))
			return fw_err_set(FW_ERR_INVALID, "a log entry must be 1 to %u bytes",
					  FW_STORE_LOG_ENTRY_MAX);
	}
	if (n == 0)
		return FW_OK;
	return s->ops->delivery_insert_many(s, c, n);
}
enum fw_err fw_store_delivery_get(struct fw_store *s, int64_t id, struct fw_delivery *out)
{
	return s->ops->delivery_get(s, id, out);
}
enum fw_err fw_store_delivery_list(struct fw_store *s, const struct fw_delivery_filter *f,
				   struct fw_delivery **out, size_t *n)
{
	struct fw_delivery_filter g = {0};
	if (f)
		g = *f;
	if (g.limit == 0 || g.limit > FW_STORE_MAX_LIST)
		g.limit = FW_STORE_MAX_LIST;
	return s->ops->delivery_list(s, &g, out, n);
}
enum fw_err fw_store_delivery_content(struct fw_store *s, int64_t id, struct fw_buf *sealed,
				      struct fw_buf *minisig)
{
	return s->ops->delivery_content(s, id, sealed, minisig);
}
enum fw_err fw_store_delivery_read_add(struct fw_store *s, const struct fw_delivery_read *r)
{
	return s->ops->delivery_read_add(s, r);
}
enum fw_err fw_store_delivery_read_list(struct fw_store *s, int64_t delivery_id,
					struct fw_delivery_read **out, size_t *n)
{
	return s->ops->delivery_read_list(s, delivery_id, out, n);
}

/* --- acknowledgements --------------------------------------------------- */
/* Texts are stored as text: no NUL inside. */
static bool ack_text_ok(const char *p, size_t n, size_t max)
{
	return p && n > 0 && n <= max && memchr(p, '\0', n) == NULL;
}
/* The delivery was acknowledged already (an acknowledgement never changes):
 * the same bytes are a replay -- *a gets the stored one and log->index its
 * entry, nothing is written -- and other bytes a conflict. */
static enum fw_err ack_replayed(struct fw_store *s, struct fw_store_ack *a, const char *statement,
				size_t statement_len, const char *signature, size_t signature_len,
				struct fw_store_log_hook *log)
{
	struct fw_buf st, sig;
	struct fw_store_ack got;
	enum fw_err r;
	fw_buf_init(&st, FW_STORE_ACK_STATEMENT_MAX);
	fw_buf_init(&sig, FW_STORE_ACK_SIGNATURE_MAX);
	if ((r = fw_store_ack_get(s, a->delivery_id, &got, &st, &sig)) != FW_OK)
		goto out;
	if (st.len != statement_len || sig.len != signature_len || memcmp(st.data, statement, st.len) != 0 ||
	    memcmp(sig.data, signature, sig.len) != 0) {
		r = fw_err_set(FW_ERR_EXISTS, "delivery %lld was acknowledged already, with another signature",
			       (long long)a->delivery_id);
		goto out;
	}
	*a = got;
	if (log)
		log->index = got.log_index;
out:
	fw_buf_cleanup(&st);
	fw_buf_cleanup(&sig);
	return r;
}

enum fw_err fw_store_ack_add(struct fw_store *s, struct fw_store_ack *a, const char *statement, size_t statement_len,
			     const char *signature, size_t signature_len, struct fw_store_log_hook *log, bool *added)
{
	if (a->delivery_id <= 0 || !a->member_id[0] || !a->public_key[0] || !added ||
	    !ack_text_ok(statement, statement_len, FW_STORE_ACK_STATEMENT_MAX) ||
	    !ack_text_ok(signature, signature_len, FW_STORE_ACK_SIGNATURE_MAX))
		return fw_err_set(FW_ERR_INVALID, "an acknowledgement needs a delivery, a member, a key, a statement of "
				  "1 to %u bytes and a signature of 1 to %u bytes",
				  FW_STORE_ACK_STATEMENT_MAX, FW_STORE_ACK_SIGNATURE_MAX);
	enum fw_err r;
	log_hook_reset(log);
	if ((r = s->ops->ack_add(s, a, statement, statement_len, signature, signature_len, log, added)) != FW_OK ||
	    *added)
		return log_hook_done(r, log);
	return ack_replayed(s, a, statement, statement_len, signature, signature_len, log);
}
enum fw_err fw_store_ack_get(struct fw_store *s, int64_t delivery_id, struct fw_store_ack *out,
			     struct fw_buf *statement, struct fw_buf *signature)
{
	return s->ops->ack_get(s, delivery_id, out, statement, signature);
}
enum fw_err fw_store_ack_times(struct fw_store *s, const int64_t *ids, size_t n, int64_t *at)
{
	if (n > FW_STORE_MAX_LIST)
		return fw_err_set(FW_ERR_INVALID, "at most %d deliveries at a time", FW_STORE_MAX_LIST);
	if (n == 0)
		return FW_OK;
	return s->ops->ack_times(s, ids, n, at);
}

/* --- transparency log --------------------------------------------------- */
#define LOG_RANGE_MAX (1u << 20) /* leaves or entries one call may ask for */

enum fw_err fw_store_log_append(struct fw_store *s, const uint8_t *entry, size_t n,
				const uint8_t leaf_hash[32], uint64_t *index)
{
	struct fw_store_log_item item = {.entry = entry, .n = n};
	memcpy(item.leaf_hash, leaf_hash, sizeof item.leaf_hash);
	return fw_store_log_append_many(s, &item, 1, index);
}
enum fw_err fw_store_log_append_many(struct fw_store *s, const struct fw_store_log_item *items, size_t n,
				     uint64_t *first)
{
	if (n == 0 || n > LOG_RANGE_MAX)
		return fw_err_set(FW_ERR_INVALID, "a log batch must hold 1 to %u entries", LOG_RANGE_MAX);
	for (size_t i = 0; i < n; i++)
		if (!items[i].entry || items[i].n == 0 || items[i].n > FW_STORE_LOG_ENTRY_MAX)
			return fw_err_set(FW_ERR_INVALID, "a log entry must be 1 to %u bytes", FW_STORE_LOG_ENTRY_MAX);
	return s->ops->log_append_many(s, items, n, first);
}
enum fw_err fw_store_log_state(struct fw_store *s, struct fw_store_log_state *out)
{
	return s->ops->log_state(s, out);
}
enum fw_err fw_store_log_leaves(struct fw_store *s, uint64_t from, size_t count, uint8_t *out)
{
	if (count == 0 || count > LOG_RANGE_MAX || from > INT64_MAX - count)
		return fw_err_set(FW_ERR_INVALID, "log range out of bounds");
	return s->ops->log_leaves(s, from, count, out);
}
enum fw_err fw_store_log_entries(struct fw_store *s, uint64_t from, size_t count,
				 fw_store_log_entry_fn fn, void *ctx)
{
	if (count == 0 || count > LOG_RANGE_MAX || from > INT64_MAX - count)
		return fw_err_set(FW_ERR_INVALID, "log range out of bounds");
	return s->ops->log_entries(s, from, count, fn, ctx);
}
enum fw_err fw_store_log_delivery_entry(struct fw_store *s, int64_t delivery_id, uint64_t *index,
					struct fw_buf *entry)
{
	return s->ops->log_delivery_entry(s, delivery_id, index, entry);
}
enum fw_err fw_store_log_node_get(struct fw_store *s, unsigned level, uint64_t index, uint8_t out[32])
{
	if (level > 63 || index > INT64_MAX)
		return fw_err_set(FW_ERR_INVALID, "log node out of range");
	return s->ops->log_node_get(s, level, index, out);
}
enum fw_err fw_store_log_integrate(struct fw_store *s, const struct fw_store_log_integration *in)
{
	if (in->new_size < in->old_size || in->new_size > INT64_MAX || !in->root || !in->note ||
	    in->frontier_len > sizeof ((struct fw_store_log_state *)0)->frontier)
		return fw_err_set(FW_ERR_INVALID, "bad log integration");
	for (size_t i = 0; i < in->n_nodes; i++)
		if (in->nodes[i].level > 63 || in->nodes[i].index > INT64_MAX)
			return fw_err_set(FW_ERR_INVALID, "log node out of range");
	return s->ops->log_integrate(s, in);
}
enum fw_err fw_store_log_checkpoint_get(struct fw_store *s, bool latest, uint64_t size,
					uint64_t *out_size, struct fw_buf *note)
{
	if (!latest && size > INT64_MAX)
		return fw_err_set(FW_ERR_NOT_FOUND, "no checkpoint of that size");
	return s->ops->log_checkpoint_get(s, latest, size, out_size, note);
}
enum fw_err fw_store_log_cosig_add(struct fw_store *s, const struct fw_store_cosig *c, bool *added)
{
	size_t wl = strnlen(c->witness, sizeof c->witness), ll = strnlen(c->line, sizeof c->line);
	if (c->size > INT64_MAX || c->time > INT64_MAX || wl == 0 || wl == sizeof c->witness || ll == 0 ||
	    ll == sizeof c->line || c->line[ll - 1] != '\n')
		return fw_err_set(FW_ERR_INVALID, "bad cosignature record");
	return s->ops->log_cosig_add(s, c, added);
}
enum fw_err fw_store_log_cosig_list(struct fw_store *s, uint64_t size, struct fw_store_cosig **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (size > INT64_MAX)
		return FW_OK;
	return s->ops->log_cosig_list(s, size, out, n);
}

/* --- fingerprinting and tracing ----------------------------------------- */
enum fw_err fw_store_mark_add(struct fw_store *s, const struct fw_store_mark *m)
{
	enum fw_err r;
	if ((r = check_kind(m->kind)) != FW_OK)
		return r;
	if (m->points < 1 || m->points > 4096 || m->c < 1 || m->c > 64 || m->version < 1)
		return fw_err_set(FW_ERR_INVALID, "mark record out of range");
	return s->ops->mark_add(s, m);
}
enum fw_err fw_store_mark_get(struct fw_store *s, const char *advisory_id, enum fw_kind kind, int version,
			      struct fw_store_mark *out)
{
	enum fw_err r;
	if ((r = check_kind(kind)) != FW_OK)
		return r;
	return s->ops->mark_get(s, advisory_id, kind, version, out);
}
enum fw_err fw_store_mark_recipients(struct fw_store *s, const char *advisory_id, enum fw_kind kind,
				     int version, struct fw_store_member_ref **out, size_t *n)
{
	enum fw_err r;
	if ((r = check_kind(kind)) != FW_OK)
		return r;
	return s->ops->mark_recipients(s, advisory_id, kind, version, out, n);
}
enum fw_err fw_store_trace_add(struct fw_store *s, struct fw_store_trace *t, struct fw_store_log_hook *log)
{
	enum fw_err r;
	if ((r = check_kind(t->kind)) != FW_OK)
		return r;
	if (!t->inputs || !t->result || !(t->epsilon > 0 && t->epsilon < 1))
		return fw_err_set(FW_ERR_INVALID, "trace record incomplete");
	log_hook_reset(log);
	return log_hook_done(s->ops->trace_add(s, t, log), log);
}
enum fw_err fw_store_trace_count(struct fw_store *s, const char *advisory_id, size_t *n)
{
	return s->ops->trace_count(s, advisory_id, n);
}

/* --- several nodes ------------------------------------------------------ */
enum fw_err fw_store_due_claim(struct fw_store *s, int64_t now, size_t max, int lease_s, struct fw_due **out,
			       size_t *n)
{
	if (max == 0 || max > FW_STORE_MAX_LIST)
		max = FW_STORE_MAX_LIST;
	if (lease_s < 1 || lease_s > 86400)
		return fw_err_set(FW_ERR_INVALID, "a claim lease must be 1 to 86400 seconds");
	if (!s->ops->due_claim) /* one node: nobody to claim against */
		return s->ops->due_list(s, now, max, out, n);
	return s->ops->due_claim(s, now, max, lease_s, out, n);
}
enum fw_err fw_store_due_unclaim(struct fw_store *s)
{
	return s->ops->due_unclaim ? s->ops->due_unclaim(s) : FW_OK;
}
enum fw_err fw_store_claim_wait(struct fw_store *s, int64_t *seconds)
{
	if (!s->ops->claim_wait) {
		*seconds = 0;
		return FW_OK;
	}
	return s->ops->claim_wait(s, seconds);
}
static bool channel_ok(const char *channel)
{
	return channel && strcmp(channel, FW_STORE_CHANNEL_RELEASE) == 0;
}
enum fw_err fw_store_notify(struct fw_store *s, const char *channel)
{
	if (!channel_ok(channel))
		return fw_err_set(FW_ERR_INVALID, "unknown notification channel");
	return s->ops->notify ? s->ops->notify(s, channel) : FW_OK;
}
enum fw_err fw_store_listen(struct fw_store *s, const char *channel, fw_store_listen_fn fn, void *ctx,
			    struct fw_store_listener **out)
{
	if (!channel_ok(channel) || !fn)
		return fw_err_set(FW_ERR_INVALID, "unknown notification channel");
	if (!s->ops->listen) {
		*out = NULL;
		return FW_OK;
	}
	return s->ops->listen(s, channel, fn, ctx, out);
}
void fw_store_listener_free(struct fw_store_listener *l)
{
	if (l)
		l->free(l);
}
