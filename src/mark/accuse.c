/* Accusation: symmetric Tardos scores and a Chernoff threshold computed from
 * the actual biases and the symbols read (docs/tracing.md).
 *
 * For an innocent member, whose symbols were drawn from the biases
 * independently of everything the leakers could see, the score at a point
 * read as y is U = hi with probability p = p_y and lo otherwise, with
 * hi = √((1−p)/p) and lo = −√(p/(1−p)): E[U] = 0, Var[U] = 1. The points are
 * independent given the biases and the leak, so with
 * K(λ) = Σ ln(p e^{λ hi} + (1−p) e^{λ lo}),
 *   P[score ≥ Z] ≤ exp(K(λ) − λZ) for every λ > 0.
 * Z = (K(λ) + ln(n/ε))/λ makes that ε/n, and the union over the n members
 * gives P[any innocent accused] ≤ ε whatever the attack, erasures included
 * (an erased point adds nothing to either side). Any λ gives a valid
 * threshold; the one minimising Z is found by a safeguarded Newton
 * iteration on the monotone g(λ) = λK'(λ) − K(λ) − ln(n/ε). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "mark/internal.h"

#define LAMBDA_MAX 1e6
#define GRID 64      /* λ values per threshold, for every member's p-value */
#define EXACT_TOP 32 /* members whose p-value is then refined exactly */

/* --- the innocent score's cumulant ------------------------------------------ */

void mark_term_init(struct mark_term *t, double p)
{
	t->p = p;
	t->hi = sqrt((1.0 - p) / p);
	t->lo = -sqrt(p / (1.0 - p));
	t->logp = log(p);
	t->log1mp = log1p(-p);
}

void mark_cumulant(const struct mark_term *terms, size_t n, double lambda, double *k, double *k1,
		   double *k2)
{
	double K = 0.0, K1 = 0.0, K2 = 0.0;
	for (size_t i = 0; i < n; i++) {
		const struct mark_term *t = &terms[i];
		double A = t->logp + lambda * t->hi, B = t->log1mp + lambda * t->lo;
		double e = exp(-fabs(A - B));
		double w = A >= B ? 1.0 / (1.0 + e) : e / (1.0 + e); /* tilted P[U = hi] */
		K += (A >= B ? A : B) + log1p(e);
		K1 += w * t->hi + (1.0 - w) * t->lo;
		double d = t->hi - t->lo;
		K2 += w * (1.0 - w) * d * d;
	}
	if (k)
		*k = K;
	if (k1)
		*k1 = K1;
	if (k2)
		*k2 = K2;
}

double mark_threshold(const struct mark_term *terms, size_t n, double L, double *lambda_out)
{
	double K, K1, K2;
	if (n == 0) {
		if (lambda_out)
			*lambda_out = 0.0;
		return INFINITY;
	}
	/* For a Gaussian score, λ* = √(2L/n); bracket from there. */
	double lo = 0.0, hi = 2.0 * sqrt(2.0 * L / (double)n);
	for (;;) {
		mark_cumulant(terms, n, hi, &K, &K1, NULL);
		if (hi * K1 - K - L >= 0.0 || hi >= LAMBDA_MAX)
			break;
		lo = hi;
		hi *= 2.0;
	}
	double lam = hi;
	bool bracketed = hi * K1 - K - L >= 0.0; /* else Z decreases up to λ = LAMBDA_MAX */
	for (int it = 0; bracketed && it < 100; it++) {
		mark_cumulant(terms, n, lam, &K, &K1, &K2);
		double g = lam * K1 - K - L, dg = lam * K2;
		if (g > 0.0)
			hi = lam;
		else
			lo = lam;
		if (fabs(g) <= 1e-12 * (L + fabs(K)))
			break;
		double nx = dg > 0.0 ? lam - g / dg : 0.5 * (lo + hi);
		if (!(nx > lo && nx < hi))
			nx = 0.5 * (lo + hi);
		if (fabs(nx - lam) <= 1e-15 * lam)
			break;
		lam = nx;
	}
	mark_cumulant(terms, n, lam, &K, NULL, NULL);
	if (lambda_out)
		*lambda_out = lam;
	return (K + L) / lam;
}

enum fw_err fw_mark_threshold(const double *p, size_t k, size_t n, double epsilon, double *z)
{
	struct mark_term *terms = NULL;
	if (!z || (!p && k) || n == 0 || n > FW_MARK_MAX_MEMBERS || !(epsilon > 0.0 && epsilon < 1.0))
		return fw_err_set(FW_ERR_INVALID, "threshold: bad biases, members or epsilon");
	if (k > (size_t)FW_MARK_MAX_LEAKS * FW_MARK_MAX_POINTS)
		return fw_err_set(FW_ERR_TOO_LARGE, "threshold: more than %d points",
				  FW_MARK_MAX_LEAKS * FW_MARK_MAX_POINTS);
	for (size_t i = 0; i < k; i++)
		if (!(p[i] > 0.0 && p[i] < 1.0))
			return fw_err_set(FW_ERR_INVALID, "threshold: bias %zu is not in (0, 1)", i);
	if (k && !(terms = malloc(k * sizeof *terms)))
		return FW_ERR_NOMEM;
	for (size_t i = 0; i < k; i++)
		mark_term_init(&terms[i], p[i]);
	*z = mark_threshold(terms, k, log((double)n) - log(epsilon), NULL);
	free(terms);
	return FW_OK;
}

/* min over λ ≥ 0 of K(λ) − λs, solving K'(λ) = s (K' increases from 0). */
static double log_pvalue_exact(const struct mark_term *terms, size_t n, double s, double lam0)
{
	double K, K1, K2;
	if (!(s > 0.0) || n == 0)
		return 0.0;
	double lo = 0.0, hi = lam0 > 0.0 ? lam0 : 1.0;
	for (;;) {
		mark_cumulant(terms, n, hi, NULL, &K1, NULL);
		if (K1 >= s || hi >= LAMBDA_MAX)
			break;
		lo = hi;
		hi *= 2.0;
	}
	double lam = hi;
	for (int it = 0; it < 100; it++) {
		mark_cumulant(terms, n, lam, NULL, &K1, &K2);
		double h = K1 - s;
		if (h > 0.0)
			hi = lam;
		else
			lo = lam;
		double nx = K2 > 0.0 ? lam - h / K2 : 0.5 * (lo + hi);
		if (!(nx > lo && nx < hi))
			nx = 0.5 * (lo + hi);
		if (fabs(nx - lam) <= 1e-15 * lam)
			break;
		lam = nx;
	}
	mark_cumulant(terms, n, lam, &K, NULL, NULL);
	double v = K - lam * s;
	return v < 0.0 ? v : 0.0;
}

/* --- per leak and per set of leaks ------------------------------------------- */

/* A point read, as the scoring loop needs it: a member holds the symbol
 * read iff its draw d at point idx has (d − lo) mod 2¹⁶ < w (w ≤ 2¹⁶ − 1, as
 * every symbol has at least one unit). Eight bytes, so that a 4,096-point
 * leak's table stays in the L1 cache with the member's draws. */
struct read_point {
	uint16_t idx, lo, w, pad;
};

struct leak_points {
	size_t nread;
	size_t span;    /* last read index + 1: how many draws to derive */
	struct read_point *pt; /* [nread] */
	double *val;    /* [2·nread]: the score without, with the symbol */
	struct mark_term *terms;
};

struct mask_info {
	bool used;
	double Z, lambda, amax;
	double grid_l[GRID], grid_k[GRID];
	struct mark_term *terms; /* concatenated over the mask's leaks */
	size_t nterms;
};

static void leak_points_free(struct leak_points *lp)
{
	free(lp->pt);
	free(lp->val);
	free(lp->terms);
}

static enum fw_err leak_points_init(const struct fw_mark_leak *L, struct leak_points *lp)
{
	const struct fw_mark_code *c = L->code;
	const struct fw_mark_reading *rd = L->reading;
	size_t m = c->m, k = 0;

	memset(lp, 0, sizeof *lp);
	lp->pt = malloc(m * sizeof *lp->pt);
	lp->val = malloc(2 * m * sizeof *lp->val);
	lp->terms = malloc(m * sizeof *lp->terms);
	if (!lp->pt || !lp->val || !lp->terms)
		return FW_ERR_NOMEM;
	for (size_t i = 0; i < m; i++) {
		if (rd->status[i] != FW_MARK_READ)
			continue;
		unsigned y = rd->symbol[i];
		if (y >= c->q[i])
			return fw_err_set(FW_ERR_INVALID, "symbol %u read at point %zu (q = %u)", y, i,
					  c->q[i]);
		const uint32_t *cut = c->cut + i * FW_MARK_MAX_ALTERNATIVES;
		uint32_t lo = y ? cut[y - 1] : 0;
		lp->pt[k].idx = (uint16_t)i; /* m ≤ FW_MARK_MAX_POINTS ≤ 2¹⁶ */
		lp->pt[k].lo = (uint16_t)lo;
		lp->pt[k].w = (uint16_t)(cut[y] - lo);
		lp->pt[k].pad = 0;
		mark_term_init(&lp->terms[k], mark_code_p(c, i, y));
		lp->val[2 * k] = lp->terms[k].lo;
		lp->val[2 * k + 1] = lp->terms[k].hi;
		k++;
		lp->span = i + 1;
	}
	lp->nread = k;
	return FW_OK;
}

static enum fw_err mask_prepare(struct mask_info *mi, uint32_t mask, const struct leak_points *lps,
				size_t nleaks, double L)
{
	size_t n = 0;
	for (size_t l = 0; l < nleaks; l++)
		if (mask & (1u << l))
			n += lps[l].nread;
	mi->terms = malloc((n ? n : 1) * sizeof *mi->terms);
	if (!mi->terms)
		return FW_ERR_NOMEM;
	mi->amax = 0.0;
	for (size_t l = 0; l < nleaks; l++)
		if (mask & (1u << l))
			for (size_t k = 0; k < lps[l].nread; k++) {
				mi->terms[mi->nterms++] = lps[l].terms[k];
				mi->amax += lps[l].terms[k].hi;
			}
	mi->Z = mark_threshold(mi->terms, mi->nterms, L, &mi->lambda);
	/* K at λ*·2^((g − GRID/2)/4): a valid p-value bound for any score in one pass. */
	for (int g = 0; g < GRID; g++) {
		double lam = (mi->lambda > 0.0 ? mi->lambda : 1.0) * exp2((g - GRID / 2) / 4.0);
		mi->grid_l[g] = lam;
		mark_cumulant(mi->terms, mi->nterms, lam, &mi->grid_k[g], NULL, NULL);
	}
	mi->used = true;
	return FW_OK;
}

static double log_pvalue_grid(const struct mask_info *mi, double s)
{
	double best = 0.0;
	if (mi->nterms == 0)
		return 0.0;
	for (int g = 0; g < GRID; g++) {
		double v = mi->grid_k[g] - mi->grid_l[g] * s;
		if (v < best)
			best = v;
	}
	return best;
}

/* --- members ------------------------------------------------------------------- */

struct pair {
	const char *id;
	uint32_t leak;
};

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	if (c)
		return c;
	return (x->leak > y->leak) - (x->leak < y->leak);
}

static int verdict_cmp(const void *a, const void *b)
{
	const struct fw_mark_verdict *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return strcmp(x->member_id, y->member_id);
}

/* Distinct recipients with the leaks each received, into t->verdict. */
static enum fw_err gather(const struct fw_mark_leak *leaks, size_t nleaks, struct fw_mark_trace *t)
{
	size_t total = 0, n = 0;
	struct pair *pairs = NULL;
	enum fw_err r = FW_OK;

	for (size_t l = 0; l < nleaks; l++) {
		if (leaks[l].nrecipients > FW_MARK_MAX_MEMBERS || (!leaks[l].recipients &&
								   leaks[l].nrecipients))
			return fw_err_set(FW_ERR_INVALID, "leak %zu: bad recipient list", l);
		total += leaks[l].nrecipients;
	}
	if (!(pairs = malloc((total ? total : 1) * sizeof *pairs)))
		return FW_ERR_NOMEM;
	for (size_t l = 0, k = 0; l < nleaks; l++)
		for (size_t j = 0; j < leaks[l].nrecipients; j++, k++) {
			const char *id = leaks[l].recipients[j];
			if (!id || !id[0] || strnlen(id, FW_MARK_MAX_ID_BYTES) >= FW_MARK_MAX_ID_BYTES) {
				r = fw_err_set(FW_ERR_INVALID, "leak %zu: recipient %zu has a bad id", l, j);
				goto out;
			}
			pairs[k].id = id;
			pairs[k].leak = (uint32_t)l;
		}
	qsort(pairs, total, sizeof *pairs, pair_cmp);
	if (!(t->verdict = calloc(total ? total : 1, sizeof *t->verdict))) {
		r = FW_ERR_NOMEM;
		goto out;
	}
	for (size_t k = 0; k < total; k++) {
		if (k && strcmp(pairs[k].id, pairs[k - 1].id) == 0) {
			if (pairs[k].leak == pairs[k - 1].leak) {
				r = fw_err_set(FW_ERR_INVALID, "member \"%s\" is listed twice for leak %u",
					       pairs[k].id, pairs[k].leak);
				goto out;
			}
			t->verdict[n - 1].leaks |= 1u << pairs[k].leak;
			continue;
		}
		if (n >= FW_MARK_MAX_MEMBERS) {
			r = fw_err_set(FW_ERR_TOO_LARGE, "more than %d members", FW_MARK_MAX_MEMBERS);
			goto out;
		}
		t->verdict[n].member_id = pairs[k].id;
		t->verdict[n].leaks = 1u << pairs[k].leak;
		n++;
	}
	t->n = n;
out:
	free(pairs);
	return r;
}

static inline size_t holds(const struct read_point *p, const uint8_t *d)
{
	return (size_t)(((mark_draw_at(d, p->idx) - p->lo) & 0xffffu) < p->w);
}

/* The member's summed score over the leaks it received. */
static enum fw_err score_member(const struct fw_mark_leak *leaks, const struct leak_points *lps,
				size_t nleaks, struct fw_mark_verdict *v, uint8_t *dbuf)
{
	double s = 0.0;
	enum fw_err r;
	for (size_t l = 0; l < nleaks; l++) {
		const struct leak_points *lp = &lps[l];
		if (!(v->leaks & (1u << l)) || lp->nread == 0)
			continue;
		if ((r = mark_member_draws(leaks[l].code, v->member_id, dbuf, lp->span)) != FW_OK)
			return r;
		/* Branch-free (whether a member holds a symbol is a coin flip the
		 * CPU cannot predict) and four sums, to cut the add latency chain.
		 * The order is fixed, so the score does not depend on threads. */
		const struct read_point *pt = lp->pt;
		const double *val = lp->val;
		double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
		size_t k = 0;
		for (; k + 3 < lp->nread; k += 4) {
			s0 += val[2 * k + holds(&pt[k], dbuf)];
			s1 += val[2 * k + 2 + holds(&pt[k + 1], dbuf)];
			s2 += val[2 * k + 4 + holds(&pt[k + 2], dbuf)];
			s3 += val[2 * k + 6 + holds(&pt[k + 3], dbuf)];
		}
		for (; k < lp->nread; k++)
			s0 += val[2 * k + holds(&pt[k], dbuf)];
		s += (s0 + s1) + (s2 + s3);
	}
	v->score = s;
	return FW_OK;
}

/* Members [first, end) of the trace, on one thread. */
struct worker {
	pthread_t thread;
	const struct fw_mark_leak *leaks;
	const struct leak_points *lps;
	size_t nleaks;
	const struct mask_info *mi;
	struct fw_mark_verdict *v;
	size_t first, end;
	size_t maxm;
	enum fw_err r;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	uint8_t *ubuf = malloc(MARK_DRAW_BYTES * w->maxm);
	w->r = FW_OK;
	if (!ubuf) {
		w->r = FW_ERR_NOMEM;
		return NULL;
	}
	for (size_t j = w->first; j < w->end; j++) {
		struct fw_mark_verdict *v = &w->v[j];
		const struct mask_info *q = &w->mi[v->leaks];
		if ((w->r = score_member(w->leaks, w->lps, w->nleaks, v, ubuf)) != FW_OK)
			break;
		v->threshold = q->Z;
		v->accused = isfinite(q->Z) && v->score >= q->Z;
		v->log_pvalue = log_pvalue_grid(q, v->score);
	}
	fw_crypto_wipe(ubuf, MARK_DRAW_BYTES * w->maxm); /* members' symbols are secret */
	free(ubuf);
	return NULL;
}

/* Scores every member, splitting them over up to `threads` threads (this
 * one included); the results do not depend on the split. */
static enum fw_err score_all(struct worker *proto, struct fw_mark_trace *t, unsigned threads)
{
	struct worker ws[FW_MARK_MAX_THREADS];
	bool started[FW_MARK_MAX_THREADS] = {false};
	size_t nw = threads ? threads : 1;
	enum fw_err r = FW_OK;

	if (nw > FW_MARK_MAX_THREADS)
		nw = FW_MARK_MAX_THREADS;
	if (nw > t->n / 256 + 1) /* not worth a thread for fewer members */
		nw = t->n / 256 + 1;
	for (size_t w = 0; w < nw; w++) {
		ws[w] = *proto;
		ws[w].first = t->n * w / nw;
		ws[w].end = t->n * (w + 1) / nw;
		if (w + 1 < nw && pthread_create(&ws[w].thread, NULL, work, &ws[w]) == 0) {
			started[w] = true;
			continue;
		}
		work(&ws[w]);
	}
	for (size_t w = 0; w < nw; w++) {
		if (started[w])
			pthread_join(ws[w].thread, NULL);
		if (ws[w].r != FW_OK && r == FW_OK)
			r = ws[w].r;
	}
	for (size_t j = 0; j < t->n; j++)
		t->naccused += t->verdict[j].accused;
	return r;
}

static enum fw_err check_leaks(const struct fw_mark_leak *leaks, size_t nleaks, double epsilon)
{
	if (!leaks || nleaks == 0 || nleaks > FW_MARK_MAX_LEAKS)
		return fw_err_set(FW_ERR_INVALID, "trace 1..%d leaks", FW_MARK_MAX_LEAKS);
	if (!(epsilon > 0.0 && epsilon < 1.0))
		return fw_err_set(FW_ERR_INVALID, "epsilon must be in (0, 1)");
	for (size_t l = 0; l < nleaks; l++) {
		const struct fw_mark_code *c = leaks[l].code;
		const struct fw_mark_reading *rd = leaks[l].reading;
		if (!c || !rd || rd->m != c->m || !rd->symbol || !rd->status)
			return fw_err_set(FW_ERR_INVALID, "leak %zu: the reading does not fit the code",
					  l);
		for (size_t k = 0; k < l; k++)
			if (leaks[k].code == c || strcmp(leaks[k].code->version, c->version) == 0)
				/* the same symbols twice would not be independent evidence */
				return fw_err_set(FW_ERR_INVALID,
						  "leaks %zu and %zu are of the same version; merge "
						  "their readings first",
						  k, l);
	}
	return FW_OK;
}

static void count_points(const struct fw_mark_leak *leaks, const struct leak_points *lps,
			 size_t nleaks, struct fw_mark_trace *t)
{
	for (size_t l = 0; l < nleaks; l++) {
		t->points_read += lps[l].nread;
		t->points_erased += leaks[l].code->m - lps[l].nread;
	}
}

/* The exact p-value for the accused and the highest scores (sorted first). */
static void refine(struct fw_mark_trace *t, const struct mask_info *mi)
{
	for (size_t j = 0; j < t->n; j++) {
		struct fw_mark_verdict *v = &t->verdict[j];
		if (j >= EXACT_TOP && !v->accused)
			continue;
		const struct mask_info *q = &mi[v->leaks];
		double e = log_pvalue_exact(q->terms, q->nterms, v->score, q->lambda);
		if (e < v->log_pvalue)
			v->log_pvalue = e;
	}
}

enum fw_err fw_mark_accuse(const struct fw_mark_leak *leaks, size_t nleaks, double epsilon,
			   unsigned threads, struct fw_mark_trace *out)
{
	struct fw_mark_trace t;
	struct leak_points lps[FW_MARK_MAX_LEAKS];
	struct mask_info *mi = NULL;
	size_t nlp = 0, maxm = 1;
	enum fw_err r;

	memset(&t, 0, sizeof t);
	if (!out)
		return FW_ERR_INVALID;
	if ((r = check_leaks(leaks, nleaks, epsilon)) != FW_OK)
		return r;
	t.epsilon = epsilon;
	if ((r = gather(leaks, nleaks, &t)) != FW_OK)
		goto out;
	for (; nlp < nleaks; nlp++) {
		if ((r = leak_points_init(&leaks[nlp], &lps[nlp])) != FW_OK) {
			nlp++;
			goto out;
		}
		if (leaks[nlp].code->m > maxm)
			maxm = leaks[nlp].code->m;
	}
	count_points(leaks, lps, nleaks, &t);
	if (!(mi = calloc((size_t)1 << nleaks, sizeof *mi))) {
		r = FW_ERR_NOMEM;
		goto out;
	}
	/* ln(n/ε): the union bound over the n members scored */
	double L = log((double)(t.n ? t.n : 1)) - log(epsilon);
	uint32_t full = (uint32_t)((1u << nleaks) - 1);
	if ((r = mask_prepare(&mi[full], full, lps, nleaks, L)) != FW_OK)
		goto out;
	t.threshold = mi[full].Z;
	t.can_accuse = isfinite(mi[full].Z) && mi[full].Z <= mi[full].amax;
	for (size_t j = 0; j < t.n; j++) {
		struct mask_info *q = &mi[t.verdict[j].leaks];
		if (!q->used && (r = mask_prepare(q, t.verdict[j].leaks, lps, nleaks, L)) != FW_OK)
			goto out;
	}
	struct worker proto = {.leaks = leaks, .lps = lps, .nleaks = nleaks, .mi = mi,
			       .v = t.verdict, .maxm = maxm};
	if ((r = score_all(&proto, &t, threads)) != FW_OK)
		goto out;
	qsort(t.verdict, t.n, sizeof *t.verdict, verdict_cmp);
	refine(&t, mi);
	*out = t;
	memset(&t, 0, sizeof t);
out:
	if (mi)
		for (size_t k = 0; k < ((size_t)1 << nleaks); k++)
			free(mi[k].terms);
	free(mi);
	for (size_t l = 0; l < nlp; l++)
		leak_points_free(&lps[l]);
	fw_mark_trace_cleanup(&t);
	return r;
}

void fw_mark_trace_cleanup(struct fw_mark_trace *t)
{
	if (!t)
		return;
	free(t->verdict);
	memset(t, 0, sizeof *t);
}
