/* Codes: per artifact version a secret bias vector per point, per member a
 * symbol per point, both from the keyed PRF (docs/tracing.md).
 *
 * Biases of point i come from the uniform stream
 *   fw_crypto_prf(key, "forewarn/mark/bias/v2",
 *                 u32(|version|) ‖ version ‖ u32 c ‖ u32 bias ‖ u32 i ‖ u32 q_i ‖ u64 block)
 * so each point is independent of how many draws the others took; the drawn
 * distribution is then rounded to multiples of 2⁻¹⁶ (every symbol keeps at
 * least 2⁻¹⁶), and the rounded biases are the code's biases everywhere.
 * Member j's symbols are one PRF output of 2m bytes,
 *   fw_crypto_prf(key, "forewarn/mark/symbol/v2",
 *                 u32(|version|) ‖ version ‖ u32(|member|) ‖ member),
 * read as m little-endian 16-bit draws d_i; the symbol is the first a with
 * d_i < 2¹⁶·P_i[≤ a]. As the biases are multiples of 2⁻¹⁶, a uniform 16-bit
 * draw gives each symbol with exactly its bias. Integers are little-endian;
 * the bias stream's uniforms have 53 random bits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "mark/internal.h"

#define DIRICHLET_TRIES 10000

static const char ctx_bias[] = "forewarn/mark/bias/v2";
static const char ctx_symbol[] = "forewarn/mark/symbol/v2";

/* --- the uniform stream -------------------------------------------------- */

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

void mark_rng_init(struct mark_rng *r, const uint8_t key[FW_MARK_KEY_BYTES], const char *ctx,
		   const void *in, size_t inlen)
{
	memset(r, 0, sizeof *r);
	memcpy(r->key, key, FW_MARK_KEY_BYTES);
	r->ctx = ctx;
	if (inlen > MARK_RNG_IN_BYTES)
		inlen = MARK_RNG_IN_BYTES; /* callers stay below; never reached */
	if (inlen)
		memcpy(r->in, in, inlen);
	r->inlen = inlen;
	r->pos = sizeof r->buf;
}

void mark_rng_wipe(struct mark_rng *r)
{
	fw_crypto_wipe(r, sizeof *r);
}

static void refill(struct mark_rng *r)
{
	put_u64(r->in + r->inlen, r->block++);
	if (fw_crypto_prf(r->key, r->ctx, r->in, r->inlen + 8, r->buf, sizeof r->buf) != FW_OK) {
		memset(r->buf, 0, sizeof r->buf);
		r->failed = true;
	}
	r->pos = 0;
}

uint64_t mark_rng_u64(struct mark_rng *r)
{
	if (r->pos + 8 > sizeof r->buf)
		refill(r);
	uint64_t v = get_u64(r->buf + r->pos);
	r->pos += 8;
	return v;
}

double mark_rng_uniform(struct mark_rng *r)
{
	return ((double)(mark_rng_u64(r) >> 11) + 0.5) * 0x1p-53;
}

uint32_t mark_rng_below(struct mark_rng *r, uint32_t n)
{
	if (n <= 1)
		return 0;
	uint64_t lim = UINT64_MAX - UINT64_MAX % n;
	for (;;) {
		uint64_t v = mark_rng_u64(r);
		if (v < lim)
			return (uint32_t)(v % n);
	}
}

/* --- Gamma and Dirichlet -------------------------------------------------- */

/* Standard normal, Marsaglia's polar method (one of each accepted pair). */
static double normal(struct mark_rng *r)
{
	for (;;) {
		double v1 = 2.0 * mark_rng_uniform(r) - 1.0;
		double v2 = 2.0 * mark_rng_uniform(r) - 1.0;
		double s = v1 * v1 + v2 * v2;
		if (s < 1.0 && s > 0.0)
			return v1 * sqrt(-2.0 * log(s) / s);
	}
}

/* Gamma(a, 1) for a ≥ 1: Marsaglia and Tsang (2000), "A simple method for
 * generating gamma variables", with their squeeze before the log test. */
static double gamma_ge1(struct mark_rng *r, double a)
{
	double d = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
	for (;;) {
		double x, v;
		do {
			x = normal(r);
			v = 1.0 + c * x;
		} while (v <= 0.0);
		v = v * v * v;
		double u = mark_rng_uniform(r), x2 = x * x;
		if (u < 1.0 - 0.0331 * x2 * x2)
			return d * v;
		if (log(u) < 0.5 * x2 + d * (1.0 - v + log(v)))
			return d * v;
	}
}

/* Gamma(1/2, 1) = Gamma(3/2)·U^(1/(1/2)) = Gamma(3/2)·U² (Marsaglia–Tsang's
 * boost for shapes below 1, exact here without pow). */
static double gamma_half(struct mark_rng *r)
{
	double g = gamma_ge1(r, 1.5);
	double u = mark_rng_uniform(r);
	return g * u * u;
}

/* Dirichlet(1/2, …, 1/2) on q symbols conditioned on every p_a ≥ t, by
 * rejection (normalised Gamma(1/2) draws). For q = 2 this is Tardos's
 * arcsine law on [t, 1−t]. */
static void dirichlet_half(struct mark_rng *r, unsigned q, double t, double *p)
{
	for (int tries = 0; tries < DIRICHLET_TRIES; tries++) {
		double sum = 0.0;
		for (unsigned a = 0; a < q; a++) {
			p[a] = gamma_half(r);
			sum += p[a];
		}
		if (!(sum > 0.0))
			continue;
		bool ok = true;
		for (unsigned a = 0; a < q; a++) {
			p[a] /= sum;
			ok = ok && p[a] >= t;
		}
		if (ok)
			return;
	}
	/* Not reached for t ≤ 1/300 and q ≤ 16 (acceptance ≥ 4%); a fixed,
	 * deterministic way out all the same. */
	for (unsigned a = 0; a < q; a++)
		p[a] = (1.0 - q * t) * p[a] + t;
}

/* --- Gauss–Legendre biases (Nuida et al. 2009) ---------------------------- */

/* P_k(x) and P_{k-1}(x) by the three-term recurrence. */
static double legendre(unsigned k, double x, double *prev)
{
	double p0 = 1.0, p1 = x;
	if (k == 0) {
		*prev = 0.0;
		return 1.0;
	}
	for (unsigned j = 1; j < k; j++) {
		double p2 = ((2.0 * j + 1.0) * x * p1 - j * p0) / (j + 1.0);
		p0 = p1;
		p1 = p2;
	}
	*prev = p0;
	return p1;
}

static double bisect_root(unsigned j, double lo, double hi)
{
	double dummy, flo = legendre(j, lo, &dummy);
	for (int it = 0; it < 200; it++) {
		double mid = 0.5 * (lo + hi);
		if (mid <= lo || mid >= hi)
			break;
		double fm = legendre(j, mid, &dummy);
		if (fm == 0.0)
			return mid;
		if ((fm > 0.0) == (flo > 0.0)) {
			lo = mid;
			flo = fm;
		} else {
			hi = mid;
		}
	}
	return 0.5 * (lo + hi);
}

/* The positive roots of P_k, ascending (P_k also has the root 0 when k is
 * odd), by bisection inside the intervals that the roots of P_{k−1} leave
 * (the roots interlace) — only +, −, ×, ÷, so the same bits everywhere. */
static unsigned legendre_roots(unsigned k, double *x)
{
	double prev[FW_MARK_MAX_C], bounds[FW_MARK_MAX_C + 2];
	unsigned np = 0; /* positive roots of P_1 = x: none */

	for (unsigned j = 2; j <= k; j++) {
		unsigned nb = 0;
		if (j % 2 == 0) /* P_{j−1} vanishes at 0; P_j does not */
			bounds[nb++] = 0.0;
		for (unsigned s = 0; s < np; s++)
			bounds[nb++] = prev[s];
		bounds[nb++] = 1.0;
		np = 0;
		for (unsigned s = 0; s + 1 < nb; s++)
			prev[np++] = bisect_root(j, bounds[s], bounds[s + 1]);
	}
	memcpy(x, prev, np * sizeof *prev);
	return np;
}

/* Nuida et al.'s P^GL_c: for c = 2k−1 or 2k, p = (1+x)/2 over the roots x of
 * the Legendre polynomial P_k, with probability ∝ (p(1−p))^(−3/2) P_k'(x)^(−2)
 * (the Gauss–Legendre discretisation of the arcsine law). */
struct gl_table {
	unsigned n;
	double p[FW_MARK_MAX_C];
	double cum[FW_MARK_MAX_C];
};

static void gl_table(unsigned c, struct gl_table *g)
{
	unsigned k = (c + 1) / 2;
	double pos[FW_MARK_MAX_C];
	unsigned np = legendre_roots(k, pos);
	double w[FW_MARK_MAX_C], sum = 0.0;

	g->n = 0;
	for (unsigned s = np; s-- > 0;) /* ascending x: negatives, 0, positives */
		g->p[g->n++] = -pos[s];
	if (k % 2)
		g->p[g->n++] = 0.0;
	for (unsigned s = 0; s < np; s++)
		g->p[g->n++] = pos[s];
	for (unsigned s = 0; s < g->n; s++) {
		double x = g->p[s], pk1;
		(void)legendre(k, x, &pk1);
		/* P_k'(x) = k (x P_k − P_{k−1}) / (x² − 1) = k P_{k−1}/(1 − x²) at a root */
		double d = k * pk1 / (1.0 - x * x);
		double pp = 0.5 * (1.0 + x);
		double v = pp * (1.0 - pp);
		w[s] = 1.0 / (v * sqrt(v) * d * d);
		g->p[s] = pp;
		sum += w[s];
	}
	double acc = 0.0;
	for (unsigned s = 0; s < g->n; s++) {
		acc += w[s] / sum;
		g->cum[s] = acc;
	}
	g->cum[g->n - 1] = 1.0;
}

/* --- codes ------------------------------------------------------------------ */

void fw_mark_params_init(struct fw_mark_params *p)
{
	p->c = FW_MARK_DEFAULT_C;
	p->bias = FW_MARK_BIAS_ARCSINE;
}

static size_t put_id(uint8_t *p, const char *s)
{
	size_t n = strlen(s);
	put_u32(p, (uint32_t)n);
	memcpy(p + 4, s, n);
	return 4 + n;
}

static bool id_ok(const char *s)
{
	return s && s[0] && strnlen(s, FW_MARK_MAX_ID_BYTES) < FW_MARK_MAX_ID_BYTES;
}

/* The distribution p[0..q) rounded to multiples of 2⁻¹⁶, as cumulative
 * counts: the cumulative sums rounded to nearest (floor(x + 1/2), exact in
 * IEEE-754), then kept strictly increasing so that every symbol has at
 * least one unit; the last is MARK_ONE. */
static void quantise(const double *p, unsigned q, uint32_t *cut)
{
	double acc = 0.0;
	uint32_t prev = 0;
	for (unsigned a = 0; a + 1 < q; a++) {
		acc += p[a];
		double v = floor(acc * (double)MARK_ONE + 0.5);
		uint32_t lo = prev + 1, hi = MARK_ONE - (q - 1 - a);
		uint32_t k = v <= (double)lo ? lo : v >= (double)hi ? hi : (uint32_t)v;
		cut[a] = k;
		prev = k;
	}
	cut[q - 1] = MARK_ONE;
}

static void point_biases(struct fw_mark_code *c, size_t i, const struct gl_table *gl)
{
	uint8_t in[MARK_RNG_IN_BYTES];
	size_t n = put_id(in, c->version);
	struct mark_rng r;
	double p[FW_MARK_MAX_ALTERNATIVES];
	unsigned q = c->q[i];

	put_u32(in + n, c->prm.c);
	put_u32(in + n + 4, (uint32_t)c->prm.bias);
	put_u32(in + n + 8, (uint32_t)i);
	put_u32(in + n + 12, q);
	mark_rng_init(&r, c->key, ctx_bias, in, n + 16);
	if (gl && q == 2) {
		double u = mark_rng_uniform(&r);
		unsigned s = 0;
		while (s + 1 < gl->n && !(u < gl->cum[s]))
			s++;
		p[0] = gl->p[s];
		p[1] = 1.0 - gl->p[s];
	} else if (gl && gl->n == 1) {
		/* c ≤ 2: the one Gauss–Legendre node is p = 1/2; its q-ary
		 * counterpart (our choice) is the uniform distribution. */
		for (unsigned a = 0; a < q; a++)
			p[a] = 1.0 / q;
	} else {
		dirichlet_half(&r, q, 1.0 / (300.0 * c->prm.c), p);
	}
	mark_rng_wipe(&r);
	quantise(p, q, c->cut + i * FW_MARK_MAX_ALTERNATIVES);
}

enum fw_err fw_mark_code_new(const uint8_t key[FW_MARK_KEY_BYTES], const char *version,
			     const unsigned *q, size_t m, const struct fw_mark_params *prm,
			     struct fw_mark_code **out)
{
	struct fw_mark_code *c = NULL;
	struct gl_table gl;
	enum fw_err r = FW_OK;

	if (!key || !out || !prm || !q || !id_ok(version))
		return fw_err_set(FW_ERR_INVALID, "a code needs a key, a version id and points");
	if (m == 0 || m > FW_MARK_MAX_POINTS)
		return fw_err_set(FW_ERR_INVALID, "a code has 1..%d points, not %zu",
				  FW_MARK_MAX_POINTS, m);
	if (prm->c < 1 || prm->c > FW_MARK_MAX_C ||
	    (prm->bias != FW_MARK_BIAS_ARCSINE && prm->bias != FW_MARK_BIAS_DISCRETE))
		return fw_err_set(FW_ERR_INVALID, "c must be 1..%d and the bias arcsine or discrete",
				  FW_MARK_MAX_C);
	for (size_t i = 0; i < m; i++)
		if (q[i] < 2 || q[i] > FW_MARK_MAX_ALTERNATIVES)
			return fw_err_set(FW_ERR_INVALID, "point %zu has %u alternatives", i, q[i]);
	if (!(c = calloc(1, sizeof *c)) || !(c->q = malloc(m)) ||
	    !(c->cut = calloc(m * FW_MARK_MAX_ALTERNATIVES, sizeof *c->cut))) {
		r = FW_ERR_NOMEM;
		goto out;
	}
	memcpy(c->key, key, sizeof c->key);
	snprintf(c->version, sizeof c->version, "%s", version);
	c->prm = *prm;
	c->m = m;
	for (size_t i = 0; i < m; i++)
		c->q[i] = (uint8_t)q[i];
	if (prm->bias == FW_MARK_BIAS_DISCRETE)
		gl_table(prm->c, &gl);
	for (size_t i = 0; i < m; i++)
		point_biases(c, i, prm->bias == FW_MARK_BIAS_DISCRETE ? &gl : NULL);
	*out = c;
	c = NULL;
out:
	fw_mark_code_free(c);
	return r;
}

void fw_mark_code_free(struct fw_mark_code *c)
{
	if (!c)
		return;
	fw_crypto_wipe(c->key, sizeof c->key);
	if (c->cut)
		fw_crypto_wipe(c->cut, c->m * FW_MARK_MAX_ALTERNATIVES * sizeof *c->cut);
	free(c->q);
	free(c->cut);
	free(c);
}

size_t fw_mark_code_npoints(const struct fw_mark_code *c)
{
	return c->m;
}

unsigned fw_mark_code_q(const struct fw_mark_code *c, size_t i)
{
	return c->q[i];
}

double mark_code_p(const struct fw_mark_code *c, size_t i, unsigned a)
{
	const uint32_t *cut = c->cut + i * FW_MARK_MAX_ALTERNATIVES;
	return (double)(a == 0 ? cut[0] : cut[a] - cut[a - 1]) / (double)MARK_ONE;
}

double fw_mark_code_bias(const struct fw_mark_code *c, size_t i, unsigned a)
{
	if (i >= c->m || a >= c->q[i])
		return 0.0;
	return mark_code_p(c, i, a);
}

void fw_mark_code_digest(const struct fw_mark_code *c, uint8_t out[32])
{
	static const char tag[] = "forewarn-mark-code-v2";
	size_t n = sizeof tag + 16 + c->m * (1 + 4 * FW_MARK_MAX_ALTERNATIVES);
	uint8_t *b = calloc(n, 1);
	if (!b) { /* a digest that can never match a stored one */
		memset(out, 0, 32);
		return;
	}
	size_t o = 0;
	memcpy(b, tag, sizeof tag);
	o += sizeof tag;
	put_u32(b + o, c->prm.c);
	put_u32(b + o + 4, (uint32_t)c->prm.bias);
	put_u64(b + o + 8, c->m);
	o += 16;
	for (size_t i = 0; i < c->m; i++) {
		b[o++] = c->q[i];
		for (unsigned a = 0; a < c->q[i]; a++) {
			put_u32(b + o, c->cut[i * FW_MARK_MAX_ALTERNATIVES + a]);
			o += 4;
		}
	}
	fw_crypto_sha256(b, o, out);
	fw_crypto_wipe(b, n);
	free(b);
}

/* --- members --------------------------------------------------------------- */

/* The PRF input naming (version, member). */
static size_t symbol_input(const struct fw_mark_code *c, const char *member_id, uint8_t *in)
{
	size_t n = put_id(in, c->version);
	return n + put_id(in + n, member_id);
}

enum fw_err mark_member_draws(const struct fw_mark_code *c, const char *member_id,
			      uint8_t *bytes, size_t m)
{
	uint8_t in[MARK_RNG_IN_BYTES];
	if (!id_ok(member_id))
		return fw_err_set(FW_ERR_INVALID, "a member id is 1..%d bytes",
				  FW_MARK_MAX_ID_BYTES - 1);
	size_t n = symbol_input(c, member_id, in);
	return fw_crypto_prf(c->key, ctx_symbol, in, n, bytes, MARK_DRAW_BYTES * m);
}

enum fw_err fw_mark_member_symbols(const struct fw_mark_code *c, const char *member_id,
				   uint8_t *sym, size_t m)
{
	uint8_t *d = NULL;
	enum fw_err r;

	if (!c || !sym || m != c->m)
		return FW_ERR_INVALID;
	if (!(d = malloc(MARK_DRAW_BYTES * m)))
		return FW_ERR_NOMEM;
	if ((r = mark_member_draws(c, member_id, d, m)) != FW_OK)
		goto out;
	for (size_t i = 0; i < m; i++) {
		uint32_t x = mark_draw_at(d, i);
		const uint32_t *cut = c->cut + i * FW_MARK_MAX_ALTERNATIVES;
		unsigned a = 0;
		while (a + 1 < c->q[i] && !(x < cut[a]))
			a++;
		sym[i] = (uint8_t)a;
	}
out:
	fw_crypto_wipe(d, MARK_DRAW_BYTES * m);
	free(d);
	return r;
}

enum fw_err fw_mark_render_member(const struct fw_mark_template *t, const struct fw_mark_code *c,
				  const char *member_id, struct fw_buf *out)
{
	size_t m = fw_mark_template_npoints(t);
	uint8_t *sym = NULL;
	enum fw_err r;

	if (m == 0)
		return fw_mark_render(t, NULL, 0, out);
	if (!c || c->m != m)
		return fw_err_set(FW_ERR_INVALID, "the code has %zu points, the template %zu",
				  c ? c->m : 0, m);
	for (size_t i = 0; i < m; i++)
		if (fw_mark_code_q(c, i) != t->points[i].q)
			return fw_err_set(FW_ERR_INVALID, "the code does not fit the template");
	if (!(sym = malloc(m)))
		return FW_ERR_NOMEM;
	if ((r = fw_mark_member_symbols(c, member_id, sym, m)) != FW_OK)
		goto out;
	r = fw_mark_render(t, sym, m, out);
out:
	free(sym);
	return r;
}
