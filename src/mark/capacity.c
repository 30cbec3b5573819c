/* Collusion attacks (for simulations and tests) and the capacity estimate.
 *
 * Capacity is measured, not derived from an asymptotic formula: for each
 * trial a fresh code is drawn (same alphabet and parameters, a fixed public
 * seed instead of the secret), colluders 0..c−1 mix their copies with each
 * of the six standard attacks, a fixed fraction of points may be erased,
 * and the leak is accused exactly as fw_mark_accuse would (threshold from
 * the actual biases and symbols, n recipients, ε). A coalition size c
 * passes when, for every attack, at least one colluder was accused in ≥ 99%
 * of the trials; the capacity is the largest c such that every size up to
 * it passes. Everything is deterministic, so the same template always gets
 * the same answer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mark/internal.h"

#define DETECT 0.99
#define MAX_TRIALS 100000

static const char *const attack_names[FW_MARK_ATTACK_COUNT] = {
	"interleave", "majority", "minority", "coin-flip", "all-first", "all-last",
};

const char *fw_mark_attack_name(enum fw_mark_attack a)
{
	if ((unsigned)a >= FW_MARK_ATTACK_COUNT)
		return "?";
	return attack_names[a];
}

/* The i-th symbol present (cnt > 0) among those with count best (or any
 * count when best is 0), chosen uniformly. */
static uint8_t pick(struct mark_rng *r, const unsigned *cnt, unsigned best)
{
	unsigned k = 0;
	for (unsigned a = 0; a < FW_MARK_MAX_ALTERNATIVES; a++)
		k += cnt[a] && (best == 0 || cnt[a] == best);
	uint32_t want = mark_rng_below(r, k);
	for (unsigned a = 0; a < FW_MARK_MAX_ALTERNATIVES; a++)
		if (cnt[a] && (best == 0 || cnt[a] == best) && want-- == 0)
			return (uint8_t)a;
	return 0; /* not reached */
}

static uint8_t collude_point(enum fw_mark_attack a, const uint8_t *const *sym, size_t c, size_t i,
			     struct mark_rng *r)
{
	unsigned cnt[FW_MARK_MAX_ALTERNATIVES] = {0}, most = 0, least = UINT32_MAX;
	for (size_t j = 0; j < c; j++)
		cnt[sym[j][i]]++;
	for (unsigned s = 0; s < FW_MARK_MAX_ALTERNATIVES; s++) {
		if (!cnt[s])
			continue;
		if (cnt[s] > most)
			most = cnt[s];
		if (cnt[s] < least)
			least = cnt[s];
	}
	switch (a) {
	case FW_MARK_ATTACK_INTERLEAVE:
		return sym[mark_rng_below(r, (uint32_t)c)][i];
	case FW_MARK_ATTACK_MAJORITY:
		return pick(r, cnt, most);
	case FW_MARK_ATTACK_MINORITY:
		return pick(r, cnt, least);
	case FW_MARK_ATTACK_COIN_FLIP:
		return pick(r, cnt, 0);
	case FW_MARK_ATTACK_ALL_FIRST:
		for (unsigned s = 0; s < FW_MARK_MAX_ALTERNATIVES; s++)
			if (cnt[s])
				return (uint8_t)s;
		break;
	case FW_MARK_ATTACK_ALL_LAST:
		for (unsigned s = FW_MARK_MAX_ALTERNATIVES; s-- > 0;)
			if (cnt[s])
				return (uint8_t)s;
		break;
	}
	return sym[0][i];
}

static void seeded_rng(struct mark_rng *r, const char *ctx, uint64_t seed, uint32_t extra)
{
	static const uint8_t zero_key[FW_MARK_KEY_BYTES];
	uint8_t in[12];
	for (int i = 0; i < 8; i++)
		in[i] = (uint8_t)(seed >> (8 * i));
	for (int i = 0; i < 4; i++)
		in[8 + i] = (uint8_t)(extra >> (8 * i));
	mark_rng_init(r, zero_key, ctx, in, sizeof in);
}

enum fw_err fw_mark_collude(enum fw_mark_attack a, const uint8_t *const *sym, size_t c,
			    size_t m, uint64_t seed, uint8_t *out)
{
	struct mark_rng r;
	if ((unsigned)a >= FW_MARK_ATTACK_COUNT || !sym || c == 0 || !out)
		return FW_ERR_INVALID;
	for (size_t j = 0; j < c; j++) {
		if (!sym[j])
			return FW_ERR_INVALID;
		for (size_t i = 0; i < m; i++)
			if (sym[j][i] >= FW_MARK_MAX_ALTERNATIVES)
				return FW_ERR_INVALID;
	}
	seeded_rng(&r, "forewarn/mark/attack/v1", seed, (uint32_t)a);
	for (size_t i = 0; i < m; i++)
		out[i] = collude_point(a, sym, c, i, &r);
	return FW_OK;
}

/* --- capacity ---------------------------------------------------------------- */

struct sim {
	size_t m;
	double L;
	const struct fw_mark_code *code;
	uint8_t *sym[FW_MARK_CAPACITY_MAX_C];
	uint8_t *y;
	bool *erased;
	struct mark_term *terms;
	uint32_t *idx;
};

/* Whether, for this leak, some colluder's score reaches the threshold. */
static bool detected(struct sim *s, size_t c)
{
	size_t n = 0;
	for (size_t i = 0; i < s->m; i++) {
		if (s->erased[i])
			continue;
		mark_term_init(&s->terms[n], mark_code_p(s->code, i, s->y[i]));
		s->idx[n++] = (uint32_t)i;
	}
	double Z = mark_threshold(s->terms, n, s->L, NULL);
	if (!isfinite(Z))
		return false;
	for (size_t j = 0; j < c; j++) {
		double score = 0.0;
		for (size_t k = 0; k < n; k++)
			score += s->sym[j][s->idx[k]] == s->y[s->idx[k]] ? s->terms[k].hi : s->terms[k].lo;
		if (score >= Z)
			return true;
	}
	return false;
}

static enum fw_err check_capacity_args(const unsigned *q, size_t m,
				       const struct fw_mark_params *prm,
				       const struct fw_mark_capacity_opts *o)
{
	if (!q || !prm || !o || m == 0 || m > FW_MARK_MAX_POINTS)
		return fw_err_set(FW_ERR_INVALID, "capacity needs 1..%d points", FW_MARK_MAX_POINTS);
	if (o->recipients == 0 || o->recipients > FW_MARK_MAX_MEMBERS ||
	    !(o->epsilon > 0.0 && o->epsilon < 1.0) ||
	    !(o->erasure_rate >= 0.0 && o->erasure_rate < 1.0) || o->trials > MAX_TRIALS)
		return fw_err_set(FW_ERR_INVALID, "capacity: bad recipients, epsilon, erasure rate "
						  "or trials");
	return FW_OK;
}

/* One trial: every live coalition size against every attack. */
static enum fw_err run_trial(struct sim *s, size_t trial, unsigned *alive,
			     unsigned fails[][FW_MARK_ATTACK_COUNT], unsigned *runs, unsigned allowed)
{
	enum fw_err r;
	for (unsigned c = 1; c <= *alive; c++) {
		runs[c]++;
		for (unsigned a = 0; a < FW_MARK_ATTACK_COUNT; a++) {
			if ((r = fw_mark_collude((enum fw_mark_attack)a, (const uint8_t *const *)s->sym, c,
						 s->m, (uint64_t)trial * 4096u + c, s->y)) != FW_OK)
				return r;
			if (!detected(s, c))
				fails[c][a]++;
			if (fails[c][a] > allowed) {
				*alive = c - 1;
				return FW_OK;
			}
		}
	}
	return FW_OK;
}

static enum fw_err simulate(const unsigned *q, struct sim *s, const struct fw_mark_params *prm,
			    const struct fw_mark_capacity_opts *o, size_t trials,
			    struct fw_mark_capacity *res)
{
	static const uint8_t zero_key[FW_MARK_KEY_BYTES];
	unsigned fails[FW_MARK_CAPACITY_MAX_C + 1][FW_MARK_ATTACK_COUNT];
	unsigned runs[FW_MARK_CAPACITY_MAX_C + 1];
	unsigned cmax = o->recipients < FW_MARK_CAPACITY_MAX_C ? (unsigned)o->recipients
							      : FW_MARK_CAPACITY_MAX_C;
	unsigned alive = cmax, allowed = (unsigned)floor((double)trials * (1.0 - DETECT) + 1e-9);
	enum fw_err r = FW_OK;

	memset(fails, 0, sizeof fails);
	memset(runs, 0, sizeof runs);
	for (size_t t = 0; t < trials && alive > 0; t++) {
		struct fw_mark_code *code = NULL;
		struct mark_rng er;
		char version[64];
		snprintf(version, sizeof version, "capacity/%zu", t);
		if ((r = fw_mark_code_new(zero_key, version, q, s->m, prm, &code)) != FW_OK)
			return r;
		s->code = code;
		for (unsigned j = 0; j < alive && r == FW_OK; j++) {
			char id[32];
			snprintf(id, sizeof id, "colluder-%u", j);
			r = fw_mark_member_symbols(code, id, s->sym[j], s->m);
		}
		seeded_rng(&er, "forewarn/mark/erasure/v1", t, 0);
		for (size_t i = 0; i < s->m; i++)
			s->erased[i] = mark_rng_uniform(&er) < o->erasure_rate;
		if (r == FW_OK)
			r = run_trial(s, t, &alive, fails, runs, allowed);
		fw_mark_code_free(code);
		s->code = NULL;
		if (r != FW_OK)
			return r;
	}
	memset(res, 0, sizeof *res);
	res->colluders = alive;
	res->single_leaker = alive >= 1;
	res->tested = cmax;
	for (unsigned c = 1; c <= cmax; c++) {
		unsigned worst = 0;
		for (unsigned a = 1; a < FW_MARK_ATTACK_COUNT; a++)
			if (fails[c][a] > fails[c][worst])
				worst = a;
		res->worst[c] = (enum fw_mark_attack)worst;
		res->detect[c] = runs[c] ? 1.0 - (double)fails[c][worst] / runs[c] : 0.0;
	}
	return FW_OK;
}

enum fw_err fw_mark_capacity(const unsigned *q, size_t m, const struct fw_mark_params *prm,
			     const struct fw_mark_capacity_opts *o, struct fw_mark_capacity *out)
{
	struct sim s;
	struct fw_mark_capacity res;
	enum fw_err r;

	if ((r = check_capacity_args(q, m, prm, o)) != FW_OK)
		return r;
	memset(&s, 0, sizeof s);
	s.m = m;
	s.L = log((double)o->recipients) - log(o->epsilon);
	size_t trials = o->trials ? o->trials : FW_MARK_CAPACITY_TRIALS;
	r = FW_ERR_NOMEM;
	if (!(s.y = malloc(m)) || !(s.erased = malloc(m * sizeof *s.erased)) ||
	    !(s.terms = malloc(m * sizeof *s.terms)) || !(s.idx = malloc(m * sizeof *s.idx)))
		goto out;
	for (unsigned j = 0; j < FW_MARK_CAPACITY_MAX_C; j++)
		if (!(s.sym[j] = malloc(m)))
			goto out;
	if ((r = simulate(q, &s, prm, o, trials, &res)) != FW_OK)
		goto out;
	*out = res;
out:
	for (unsigned j = 0; j < FW_MARK_CAPACITY_MAX_C; j++)
		free(s.sym[j]);
	free(s.y);
	free(s.erased);
	free(s.terms);
	free(s.idx);
	return r;
}
