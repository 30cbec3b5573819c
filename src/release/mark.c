/* Fingerprinted copies and leak tracing: the release module's use of
 * src/mark (docs/tracing.md).
 *
 * The fingerprinting key is derived from the master key
 * (PRF "forewarn/mark/key/v1", empty input) so that nothing new needs to be
 * kept safe; an artifact version's code is derived from that key and the
 * version id "ADVISORY/KIND/vN". Its parameters and digest are recorded in
 * the store the first time the version is stored or rendered, and every
 * later use re-derives the code and checks the digest, so that a trace run
 * years later provably scores the codewords members were given. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/utf8.h"
#include "release/internal.h"

#define KEY_CONTEXT "forewarn/mark/key/v1"
#define CHECK_TRIALS 50 /* capacity trials for the schedule warning */

void fw_release_set_markable_kinds(struct fw_release *r, unsigned mask)
{
	r->markable = (mask & ((1u << FW_KIND_COUNT) - 1)) | (1u << 31);
}

bool fw_release_is_markable(const struct fw_release *r, enum fw_kind kind)
{
	unsigned mask = r->markable ? r->markable : FW_RELEASE_MARKABLE_DEFAULT;
	return (unsigned)kind < FW_KIND_COUNT && (mask & (1u << kind));
}

/* Text is UTF-8 without NUL bytes; anything else (an archive, a capture) is
 * binary and cannot carry variation points. */
static bool is_text(const uint8_t *s, size_t n) { return fw_utf8_is_text(s, n); }

static enum fw_err mark_key(const struct fw_release *rel, uint8_t key[FW_MARK_KEY_BYTES])
{
	return fw_crypto_prf(rel->master_key, KEY_CONTEXT, NULL, 0, key, FW_MARK_KEY_BYTES);
}

static void version_id(const char *advisory_id, enum fw_kind kind, int version, char out[FW_STORE_MARK_ID_BYTES])
{
	snprintf(out, FW_STORE_MARK_ID_BYTES, "%s/%s/v%d", advisory_id, fw_kind_name(kind), version);
}

/* Parses a markable kind's text; *t is NULL for binary content. */
static enum fw_err parse(const struct fw_release *rel, enum fw_kind kind, const uint8_t *content, size_t n,
			 struct fw_mark_template **t, bool *binary)
{
	struct fw_mark_error e;
	*t = NULL;
	*binary = false;
	if (!fw_release_is_markable(rel, kind))
		return FW_OK;
	if (!is_text(content, n)) {
		*binary = true;
		return FW_OK;
	}
	enum fw_err r = fw_mark_parse((const char *)content, n, t, &e);
	if (r == FW_ERR_INVALID || r == FW_ERR_TOO_LARGE)
		return fw_err_set(r, "the %s is a template (docs/templates.md) and does not parse: line %d:%d: %s",
				  fw_kind_name(kind), e.line, e.col, e.message);
	return r;
}

enum fw_err fw_release_mark_inspect(struct fw_release *rel, enum fw_kind kind, const uint8_t *content, size_t n,
				    struct fw_release_mark_info *out)
{
	struct fw_mark_template *t = NULL;
	bool binary = false;
	enum fw_err r;
	if ((r = parse(rel, kind, content, n, &t, &binary)) != FW_OK)
		return r;
	if (out) {
		memset(out, 0, sizeof *out);
		out->markable = fw_release_is_markable(rel, kind);
		out->binary = binary;
		if (t) {
			out->points = fw_mark_template_npoints(t);
			out->uses = fw_mark_template_nuses(t);
			for (size_t i = 0; i < out->points; i++) {
				struct fw_mark_point_info pi;
				fw_mark_template_point(t, i, &pi);
				out->q[i] = (uint8_t)pi.q;
				if (pi.readable)
					continue;
				if (out->unreadable < FW_RELEASE_MARK_UNREADABLE_SHOWN) {
					snprintf(out->unreadable_at[out->unreadable].name, FW_MARK_NAME_BYTES, "%s", pi.name);
					out->unreadable_at[out->unreadable].line = pi.line;
					out->unreadable_at[out->unreadable].col = pi.col;
				}
				out->unreadable++;
			}
		}
	}
	fw_mark_template_free(t);
	return FW_OK;
}

static enum fw_err params_of(const struct fw_store_mark *m, struct fw_mark_params *p)
{
	fw_mark_params_init(p);
	p->c = m->c;
	if (strcmp(m->bias, "arcsine") == 0)
		p->bias = FW_MARK_BIAS_ARCSINE;
	else if (strcmp(m->bias, "discrete") == 0)
		p->bias = FW_MARK_BIAS_DISCRETE;
	else
		return fw_err_set(FW_ERR_STORE, "mark record of %s has an unknown bias", m->version_id);
	return FW_OK;
}

/* The code of an artifact version, re-derived from its record and checked
 * against the recorded digest; without a record (and with create) a record
 * is made with the default parameters. FW_ERR_NOT_FOUND without a record
 * and without create. */
static enum fw_err version_code(struct fw_release *rel, const struct fw_artifact *a, const struct fw_mark_template *t,
				bool create, struct fw_mark_code **out)
{
	struct fw_store_mark rec;
	struct fw_mark_params prm;
	struct fw_mark_code *code = NULL;
	uint8_t key[FW_MARK_KEY_BYTES], digest[32];
	unsigned q[FW_MARK_MAX_POINTS];
	char vid[FW_STORE_MARK_ID_BYTES];
	size_t m = fw_mark_template_npoints(t);
	enum fw_err r;

	version_id(a->advisory_id, a->kind, a->version, vid);
	fw_mark_template_alphabet(t, q, m);
	r = fw_store_mark_get(rel->store, a->advisory_id, a->kind, a->version, &rec);
	if (r == FW_ERR_NOT_FOUND && create) {
		memset(&rec, 0, sizeof rec);
		snprintf(rec.advisory_id, sizeof rec.advisory_id, "%s", a->advisory_id);
		rec.kind = a->kind;
		rec.version = a->version;
		snprintf(rec.version_id, sizeof rec.version_id, "%s", vid);
		snprintf(rec.key_label, sizeof rec.key_label, "%s", KEY_CONTEXT);
		rec.points = (unsigned)m;
		rec.c = FW_MARK_DEFAULT_C;
		snprintf(rec.bias, sizeof rec.bias, "arcsine");
		rec.created_at = fw_clock_now();
		r = FW_OK;
	} else if (r != FW_OK) {
		return r;
	} else {
		create = false;
	}
	if (rec.points != m || strcmp(rec.version_id, vid) != 0 || strcmp(rec.key_label, KEY_CONTEXT) != 0)
		return fw_err_set(FW_ERR_CRYPTO, "the mark record of %s does not match its template", vid);
	if ((r = params_of(&rec, &prm)) != FW_OK || (r = mark_key(rel, key)) != FW_OK)
		goto out;
	if ((r = fw_mark_code_new(key, vid, q, m, &prm, &code)) != FW_OK)
		goto out;
	fw_mark_code_digest(code, digest);
	if (create) {
		memcpy(rec.digest, digest, 32);
		r = fw_store_mark_add(rel->store, &rec);
		if (r == FW_ERR_EXISTS) /* another worker or node was first: check theirs */
			r = version_code(rel, a, t, false, out);
		else if (r == FW_OK)
			*out = code, code = NULL;
		goto out;
	}
	if (!fw_crypto_equal(rec.digest, digest, 32)) {
		fw_log_error("release", "the code of %s does not re-derive to its recorded digest", vid);
		r = fw_err_set(FW_ERR_CRYPTO, "the code of %s does not re-derive to its recorded digest", vid);
		goto out;
	}
	*out = code;
	code = NULL;
out:
	fw_crypto_wipe(key, sizeof key);
	fw_mark_code_free(code);
	return r;
}

/* --- rendering ------------------------------------------------------------ */

void fw_release_mark_version_cleanup(struct fw_release_mark_version *mv)
{
	fw_mark_code_free(mv->code);
	fw_mark_template_free(mv->t);
	memset(mv, 0, sizeof *mv);
}

/* A markable kind's template, or NULL when the version is delivered as is:
 * not markable, binary, no points, or (only when the kind became markable
 * after the upload, which would have refused it) text that is no template. */
static enum fw_err template_of(struct fw_release *rel, const struct fw_artifact *a, const uint8_t *plain, size_t n,
			       struct fw_mark_template **out)
{
	struct fw_mark_template *t = NULL;
	bool binary = false;
	enum fw_err r = parse(rel, a->kind, plain, n, &t, &binary);
	*out = NULL;
	if (r == FW_ERR_INVALID || r == FW_ERR_TOO_LARGE) {
		fw_log_warn("release", "%s/%s v%d is not a template (%s): delivered as is", a->advisory_id,
			    fw_kind_name(a->kind), a->version, fw_err_detail());
		fw_err_clear();
		return FW_OK;
	}
	if (r != FW_OK)
		return r;
	if (t && fw_mark_template_npoints(t) == 0) {
		fw_mark_template_free(t);
		t = NULL;
	}
	*out = t;
	return FW_OK;
}

enum fw_err fw_release_mark_prepare(struct fw_release *rel, const struct fw_artifact *meta, const uint8_t *plain,
				    size_t n, struct fw_release_mark_version *mv)
{
	struct fw_mark_template *t = NULL;
	struct fw_mark_code *code = NULL;
	enum fw_err r;
	fw_release_mark_version_cleanup(mv);
	if ((r = template_of(rel, meta, plain, n, &t)) != FW_OK || !t)
		return r;
	if ((r = version_code(rel, meta, t, true, &code)) != FW_OK) {
		fw_mark_template_free(t);
		return r;
	}
	mv->t = t;
	mv->code = code;
	mv->marked = true;
	return FW_OK;
}

void fw_release_mark_record(struct fw_release *rel, const struct fw_artifact *a, const uint8_t *content, size_t n)
{
	struct fw_release_mark_version mv = {0};
	enum fw_err r = fw_release_mark_prepare(rel, a, content, n, &mv);
	if (r != FW_OK)
		fw_log_error("release", "cannot record the mark of %s/%s v%d: %s %s", a->advisory_id,
			     fw_kind_name(a->kind), a->version, fw_strerror(r), fw_err_detail());
	else if (mv.marked)
		fw_log_info("release", "%s/%s v%d is fingerprinted: %zu variation points", a->advisory_id,
			    fw_kind_name(a->kind), a->version, fw_mark_template_npoints(mv.t));
	fw_release_mark_version_cleanup(&mv);
}

/* --- capacity ------------------------------------------------------------- */

/* Recipients of a version: delivered, else planned (not withheld), else
 * every member that may receive anything (active or on probation). */
static enum fw_err recipients_count(struct fw_release *rel, const char *advisory_id, enum fw_kind kind, int version,
				    size_t *out)
{
	struct fw_store_member_ref *ids = NULL;
	struct fw_plan_entry *p = NULL;
	struct fw_member *ms = NULL;
	size_t nd = 0, np = 0, planned = 0, nm = 0, active = 0;
	enum fw_err r;
	if ((r = fw_store_mark_recipients(rel->store, advisory_id, kind, version, &ids, &nd)) != FW_OK ||
	    (r = fw_store_plan_list(rel->store, advisory_id, NULL, &p, &np)) != FW_OK)
		goto out;
	for (size_t i = 0; i < np; i++)
		planned += p[i].kind == kind && !p[i].withheld;
	if (nd == 0 && planned == 0) {
		if ((r = fw_store_member_list(rel->store, &ms, &nm)) != FW_OK)
			goto out;
		for (size_t i = 0; i < nm; i++)
			active += ms[i].status == FW_MEMBER_ACTIVE || ms[i].status == FW_MEMBER_PROBATION;
	}
	*out = nd > planned ? nd : planned ? planned : active ? active : 1;
out:
	free(ids);
	free(p);
	free(ms);
	return r;
}

static enum fw_err capacity_of(const struct fw_mark_template *t, size_t recipients, double epsilon, size_t trials,
			       struct fw_mark_capacity *out)
{
	unsigned q[FW_MARK_MAX_POINTS];
	struct fw_mark_params prm;
	size_t m = fw_mark_template_npoints(t);
	struct fw_mark_capacity_opts o = {.recipients = recipients, .epsilon = epsilon, .trials = trials};
	fw_mark_template_alphabet(t, q, m);
	fw_mark_params_init(&prm);
	return fw_mark_capacity(q, m, &prm, &o, out);
}

enum fw_err fw_release_mark_capacity(struct fw_release *rel, const char *advisory_id, enum fw_kind kind, int version,
				     double epsilon, struct fw_release_capacity *out)
{
	struct fw_artifact a;
	struct fw_buf plain;
	struct fw_mark_template *t = NULL;
	struct fw_release_capacity c;
	enum fw_err r;
	if (!(epsilon > 0 && epsilon < 1))
		return fw_err_set(FW_ERR_INVALID, "epsilon must be in (0, 1)");
	memset(&c, 0, sizeof c);
	fw_buf_init(&plain, FW_CRYPTO_AGE_MAX_BYTES);
	if ((r = fw_release_artifact_open(rel, advisory_id, kind, version, &a, &plain)) != FW_OK) {
		if (r == FW_ERR_NOT_FOUND)
			r = fw_err_set(FW_ERR_NOT_FOUND, "no %s artifact%s of advisory %.64s", fw_kind_name(kind),
				       version ? " of that version" : "", advisory_id);
		goto out;
	}
	c.version = a.version;
	c.epsilon = epsilon;
	c.markable = fw_release_is_markable(rel, kind);
	if ((r = template_of(rel, &a, plain.data, plain.len, &t)) != FW_OK ||
	    (r = recipients_count(rel, advisory_id, kind, a.version, &c.recipients)) != FW_OK)
		goto out;
	if (t) {
		c.points = fw_mark_template_npoints(t);
		if ((r = capacity_of(t, c.recipients, epsilon, 0, &c.cap)) != FW_OK)
			goto out;
	}
	*out = c;
out:
	fw_mark_template_free(t);
	fw_buf_cleanup_secret(&plain);
	return r;
}

static enum fw_err warn(struct fw_release_mark_warning **w, size_t *n, enum fw_kind kind, int version,
			const char *fmt, ...) FW_PRINTF(5, 6);
static enum fw_err warn(struct fw_release_mark_warning **w, size_t *n, enum fw_kind kind, int version,
			const char *fmt, ...)
{
	struct fw_release_mark_warning *nw = realloc(*w, (*n + 1) * sizeof **w);
	va_list ap;
	if (!nw)
		return FW_ERR_NOMEM;
	*w = nw;
	nw[*n].kind = kind;
	nw[*n].version = version;
	va_start(ap, fmt);
	vsnprintf(nw[*n].message, sizeof nw[*n].message, fmt, ap);
	va_end(ap);
	(*n)++;
	return FW_OK;
}

/* The warnings of one kind's newest version. */
static enum fw_err check_kind(struct fw_release *rel, const char *advisory_id, enum fw_kind kind, double epsilon,
			      struct fw_release_mark_warning **w, size_t *n)
{
	struct fw_artifact a;
	struct fw_buf plain;
	struct fw_mark_template *t = NULL;
	struct fw_mark_capacity cap;
	size_t recipients = 0;
	enum fw_err r;
	fw_buf_init(&plain, FW_CRYPTO_AGE_MAX_BYTES);
	r = fw_release_artifact_open(rel, advisory_id, kind, 0, &a, &plain);
	if (r == FW_ERR_NOT_FOUND) { /* no artifact of this kind */
		fw_err_clear();
		r = FW_OK;
		goto out;
	}
	if (r != FW_OK || (r = template_of(rel, &a, plain.data, plain.len, &t)) != FW_OK)
		goto out;
	if (!t) {
		if (is_text(plain.data, plain.len))
			r = warn(w, n, kind, a.version,
				 "%s v%d has no variation points: every member gets the same copy and a leak "
				 "of it cannot be traced", fw_kind_name(kind), a.version);
		goto out;
	}
	if ((r = recipients_count(rel, advisory_id, kind, a.version, &recipients)) != FW_OK ||
	    (r = capacity_of(t, recipients, epsilon, CHECK_TRIALS, &cap)) != FW_OK)
		goto out;
	if (!cap.single_leaker)
		r = warn(w, n, kind, a.version,
			 "%s v%d has %zu variation points: too few to name even a single leaker among %zu "
			 "recipients at epsilon %g; add points (forewarn artifact capacity)", fw_kind_name(kind),
			 a.version, fw_mark_template_npoints(t), recipients, epsilon);
out:
	fw_mark_template_free(t);
	fw_buf_cleanup_secret(&plain);
	return r;
}

enum fw_err fw_release_mark_check(struct fw_release *rel, const char *advisory_id, double epsilon,
				  struct fw_release_mark_warning **out, size_t *n)
{
	struct fw_release_mark_warning *w = NULL;
	size_t nw = 0;
	enum fw_err r = FW_OK;
	for (int k = 0; k < FW_KIND_COUNT && r == FW_OK; k++)
		if (fw_release_is_markable(rel, (enum fw_kind)k))
			r = check_kind(rel, advisory_id, (enum fw_kind)k, epsilon, &w, &nw);
	if (r != FW_OK) {
		free(w);
		return r;
	}
	*out = w;
	*n = nw;
	return FW_OK;
}

/* --- tracing -------------------------------------------------------------- */

#define TRACE_MAX_VERSIONS 64 /* fingerprinted versions of one kind looked at */

struct tversion {
	int version;
	struct fw_mark_template *t;
	struct fw_mark_code *code;
	struct fw_mark_reading reading; /* merged readings of the files assigned */
	size_t files;
	struct fw_store_member_ref *ids;
	const char **recipients;
	size_t nrecipients;
};

struct tctx {
	struct tversion v[TRACE_MAX_VERSIONS];
	size_t nv;
};

static void tctx_cleanup(struct tctx *c)
{
	for (size_t i = 0; i < c->nv; i++) {
		fw_mark_template_free(c->v[i].t);
		fw_mark_code_free(c->v[i].code);
		fw_mark_reading_cleanup(&c->v[i].reading);
		free(c->v[i].ids);
		free(c->v[i].recipients);
	}
	memset(c, 0, sizeof *c);
}

/* The fingerprinted versions of (advisory, kind), newest last; at most
 * TRACE_MAX_VERSIONS of the newest. */
static enum fw_err load_versions(struct fw_release *rel, const char *advisory_id, enum fw_kind kind, struct tctx *c)
{
	struct fw_artifact *as = NULL, meta;
	struct fw_buf plain;
	size_t na = 0, first = 0, count = 0;
	enum fw_err r;
	fw_buf_init(&plain, FW_CRYPTO_AGE_MAX_BYTES);
	if ((r = fw_store_artifact_list(rel->store, advisory_id, &as, &na)) != FW_OK)
		goto out;
	for (size_t i = 0; i < na; i++)
		count += as[i].kind == kind;
	for (size_t i = 0, seen = 0; i < na; i++)
		if (as[i].kind == kind && ++seen + TRACE_MAX_VERSIONS == count + 1)
			first = i;
	for (size_t i = first; i < na && r == FW_OK; i++) {
		struct tversion *v = &c->v[c->nv];
		if (as[i].kind != kind)
			continue;
		fw_buf_reset(&plain);
		if ((r = fw_release_artifact_open(rel, advisory_id, kind, as[i].version, &meta, &plain)) != FW_OK ||
		    (r = template_of(rel, &meta, plain.data, plain.len, &v->t)) != FW_OK || !v->t)
			continue;
		v->version = meta.version;
		c->nv++;
		r = version_code(rel, &meta, v->t, true, &v->code);
	}
out:
	free(as);
	fw_buf_cleanup_secret(&plain);
	return r;
}

/* Reads one file against every version; assigns it to the version where
 * the most points read (ties: the newer). Depends on the file alone. */
static enum fw_err read_file(struct tctx *c, const struct fw_release_trace_input *in, struct fw_release_trace_file *f)
{
	struct fw_mark_reading best = {0};
	size_t best_v = 0, best_read = 0;
	enum fw_err r = FW_OK;
	snprintf(f->name, sizeof f->name, "%s", in->name && in->name[0] ? in->name : "leak");
	fw_crypto_sha256(in->data, in->n, f->sha256);
	f->size = in->n;
	if (in->n > FW_MARK_MAX_SUSPECT_BYTES)
		return fw_err_set(FW_ERR_TOO_LARGE, "%s is larger than %u bytes", f->name, FW_MARK_MAX_SUSPECT_BYTES);
	for (size_t i = 0; i < c->nv; i++) {
		struct fw_mark_reading rd;
		if ((r = fw_mark_extract(c->v[i].t, (const char *)in->data, in->n, &rd)) != FW_OK)
			goto out;
		size_t read = fw_mark_reading_count(&rd, FW_MARK_READ);
		if (read > 0 && read >= best_read) {
			fw_mark_reading_cleanup(&best);
			best = rd;
			best_v = i;
			best_read = read;
		} else {
			fw_mark_reading_cleanup(&rd);
		}
	}
	if (best_read == 0)
		goto out;
	struct tversion *v = &c->v[best_v];
	f->version = v->version;
	f->read = best_read;
	f->erased = best.m - best_read;
	if (v->files++ == 0) {
		v->reading = best;
		memset(&best, 0, sizeof best);
	} else {
		r = fw_mark_reading_merge(&v->reading, &best);
	}
out:
	fw_mark_reading_cleanup(&best);
	return r;
}

/* The leaks to score: every version some file was assigned to, with its
 * recipients (members delivered that version). */
static enum fw_err collect_leaks(struct fw_release *rel, const char *advisory_id, enum fw_kind kind, struct tctx *c,
				 struct fw_mark_leak *leaks, size_t *nleaks, struct fw_release_trace *out)
{
	enum fw_err r;
	*nleaks = 0;
	for (size_t i = 0; i < c->nv; i++) {
		struct tversion *v = &c->v[i];
		if (!v->files)
			continue;
		if (out->nleaks == FW_MARK_MAX_LEAKS)
			return fw_err_set(FW_ERR_INVALID, "the files read as more than %d versions of the %s",
					  FW_MARK_MAX_LEAKS, fw_kind_name(kind));
		if ((r = fw_store_mark_recipients(rel->store, advisory_id, kind, v->version, &v->ids,
						  &v->nrecipients)) != FW_OK)
			return r;
		struct fw_release_trace_leak *l = &out->leak[out->nleaks++];
		l->version = v->version;
		l->points = v->reading.m;
		l->read = fw_mark_reading_count(&v->reading, FW_MARK_READ);
		l->erased = l->points - l->read;
		l->recipients = v->nrecipients;
		if (!v->nrecipients)
			continue; /* nobody was given it: nobody to score */
		if (!(v->recipients = calloc(v->nrecipients, sizeof *v->recipients)))
			return FW_ERR_NOMEM;
		for (size_t k = 0; k < v->nrecipients; k++)
			v->recipients[k] = v->ids[k].id;
		leaks[*nleaks].code = v->code;
		leaks[*nleaks].reading = &v->reading;
		leaks[*nleaks].recipients = v->recipients;
		leaks[*nleaks].nrecipients = v->nrecipients;
		(*nleaks)++;
	}
	return FW_OK;
}

/* The accused, then up to FW_RELEASE_TRACE_TOP others (highest first). */
static enum fw_err keep_verdicts(const struct fw_mark_trace *mt, struct fw_release_trace *out)
{
	size_t keep = mt->naccused + FW_RELEASE_TRACE_TOP;
	if (keep > mt->n)
		keep = mt->n;
	out->scored = mt->n;
	out->threshold = mt->threshold;
	out->can_accuse = mt->can_accuse;
	out->points_read = mt->points_read;
	out->points_erased = mt->points_erased;
	if (!keep)
		return FW_OK;
	if (!(out->verdict = calloc(keep, sizeof *out->verdict)))
		return FW_ERR_NOMEM;
	for (size_t i = 0; i < keep; i++) {
		const struct fw_mark_verdict *v = &mt->verdict[i];
		struct fw_release_verdict *o = &out->verdict[i];
		snprintf(o->member_id, sizeof o->member_id, "%s", v->member_id);
		o->score = v->score;
		o->threshold = v->threshold;
		o->log_pvalue = v->log_pvalue;
		o->accused = v->accused;
	}
	out->nverdict = keep;
	out->naccused = mt->naccused;
	return FW_OK;
}

/* The stored record: inputs' hashes and the outcome (no member's copy, no
 * leaked bytes). */
struct trace_hook {
	const struct fw_store_trace *st;
	struct fw_release_trace *t;
	struct fw_release_trace_log *log;
};

static enum fw_err trace_entry(void *ctx, struct fw_buf *entry, uint8_t leaf_hash[32])
{
	struct trace_hook *h = ctx;
	h->t->id = h->st->id;
	return h->log->make(h->log->ctx, h->t, entry, leaf_hash);
}

static enum fw_err store_trace(struct fw_release *rel, const char *advisory_id, enum fw_kind kind, const char *actor,
			       struct fw_release_trace_log *log, struct fw_release_trace *t)
{
	json_t *in = json_array(), *acc = json_array(), *res = NULL;
	char *ins = NULL, *ress = NULL, hex[65];
	enum fw_err r = FW_ERR_NOMEM;
	for (size_t i = 0; in && i < t->nfiles; i++) {
		fw_crypto_hex(t->file[i].sha256, 32, hex);
		json_array_append_new(in, json_pack("{s:s,s:s,s:I,s:i,s:I,s:I}", "name", t->file[i].name, "sha256", hex,
						    "size", (json_int_t)t->file[i].size, "version", t->file[i].version,
						    "read", (json_int_t)t->file[i].read, "erased",
						    (json_int_t)t->file[i].erased));
	}
	for (size_t i = 0; acc && i < t->naccused; i++)
		json_array_append_new(acc, json_pack("{s:s,s:f,s:f}", "member", t->verdict[i].member_id, "score",
						     t->verdict[i].score, "log_pvalue", t->verdict[i].log_pvalue));
	res = json_pack("{s:I,s:I,s:I,s:f,s:b,s:O}", "scored", (json_int_t)t->scored, "points_read",
			(json_int_t)t->points_read, "points_erased", (json_int_t)t->points_erased, "threshold",
			isfinite(t->threshold) ? t->threshold : -1.0, "can_accuse", t->can_accuse, "accused", acc);
	if (in && res && (ins = json_dumps(in, JSON_COMPACT)) && (ress = json_dumps(res, JSON_COMPACT))) {
		struct fw_store_trace st = {.kind = kind, .created_at = fw_clock_now(), .epsilon = t->epsilon,
					    .inputs = ins, .result = ress};
		snprintf(st.advisory_id, sizeof st.advisory_id, "%s", advisory_id);
		snprintf(st.actor, sizeof st.actor, "%s", actor ? actor : "");
		struct trace_hook th = {&st, t, log};
		struct fw_store_log_hook hook = {.make = trace_entry, .ctx = &th};
		if ((r = fw_store_trace_add(rel->store, &st, log && log->make ? &hook : NULL)) == FW_OK) {
			t->id = st.id;
			if (log) {
				log->written = hook.written;
				log->index = hook.index;
			}
		}
	}
	free(ins);
	free(ress);
	json_decref(in);
	json_decref(acc);
	json_decref(res);
	return r;
}

enum fw_err fw_release_trace(struct fw_release *rel, const char *advisory_id, enum fw_kind kind,
			     const struct fw_release_trace_input *in, size_t nin, double epsilon, const char *actor,
			     struct fw_release_trace_log *log, struct fw_release_trace *out)
{
	struct tctx *c = calloc(1, sizeof *c);
	struct fw_release_trace t;
	struct fw_mark_leak leaks[FW_MARK_MAX_LEAKS];
	struct fw_mark_trace mt = {0};
	size_t nleaks = 0;
	enum fw_err r;
	memset(&t, 0, sizeof t);
	t.epsilon = epsilon;
	if (!c)
		return FW_ERR_NOMEM;
	if (nin < 1 || nin > FW_RELEASE_TRACE_MAX_FILES) {
		r = fw_err_set(FW_ERR_INVALID, "give 1 to %d leaked files", FW_RELEASE_TRACE_MAX_FILES);
		goto out;
	}
	if (!(epsilon > 0 && epsilon < 1)) {
		r = fw_err_set(FW_ERR_INVALID, "epsilon must be in (0, 1)");
		goto out;
	}
	if ((r = load_versions(rel, advisory_id, kind, c)) != FW_OK)
		goto out;
	if (c->nv == 0) {
		r = fw_err_set(FW_ERR_STATE, "advisory %.64s has no fingerprinted %s: nothing to trace", advisory_id,
			       fw_kind_name(kind));
		goto out;
	}
	for (size_t i = 0; i < nin; i++, t.nfiles++)
		if ((r = read_file(c, &in[i], &t.file[i])) != FW_OK)
			goto out;
	if ((r = collect_leaks(rel, advisory_id, kind, c, leaks, &nleaks, &t)) != FW_OK)
		goto out;
	if (nleaks) {
		if ((r = fw_mark_accuse(leaks, nleaks, epsilon, (unsigned)rel->workers, &mt)) != FW_OK ||
		    (r = keep_verdicts(&mt, &t)) != FW_OK)
			goto out;
	} else {
		t.threshold = INFINITY;
	}
	if ((r = store_trace(rel, advisory_id, kind, actor, log, &t)) != FW_OK)
		goto out;
	fw_log_info("release", "trace %lld of %s/%s: %zu files, %zu members scored, %zu accused", (long long)t.id,
		    advisory_id, fw_kind_name(kind), t.nfiles, t.scored, t.naccused);
	*out = t;
	memset(&t, 0, sizeof t);
out:
	fw_mark_trace_cleanup(&mt);
	fw_release_trace_cleanup(&t);
	tctx_cleanup(c);
	free(c);
	return r;
}

void fw_release_trace_cleanup(struct fw_release_trace *t)
{
	free(t->verdict);
	t->verdict = NULL;
	t->nverdict = t->naccused = 0;
}
