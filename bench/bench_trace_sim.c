/* bench_trace_sim: the attribution table of issue 4, by simulation.
 *
 * For n = 1,000 recipients, a total false-accusation probability ε = 10⁻³
 * and a miss rate ≤ 10⁻² (at least one colluder accused in ≥ 99% of the
 * trials), the least number of binary points m that works, for c colluders,
 * each of the six attacks, erasure rates 0 / 20 / 50 % and a 5 % flip rate
 * (each read symbol replaced by the other with probability 0.05, on top of
 * no erasures), printed as m ÷ (c² ln(n/ε)) — Tardos's original code needs
 * 100 — for the arcsine biases (cutoff 1/(300c)) and Nuida et al.'s discrete
 * biases for c.
 *
 * Everything that decides is the module's own code: biases from
 * fw_mark_code_new, colluders' symbols from fw_mark_member_symbols (the real
 * PRF, a fixed public key), attacks from fw_mark_collude, the threshold from
 * fw_mark_threshold (what fw_mark_accuse sets). Only the colluders are
 * scored: an innocent member's score is independent of the leak, so the
 * threshold needs nothing else, and n enters through ln(n/ε). The innocent
 * side is shown separately: full fw_mark_accuse runs among 1,000 recipients
 * of leaks made by outsiders, counting how often anyone crosses the
 * threshold (the bound says: at most ε of the leaks).
 *
 * Method: per (bias, c) a pool of T trials of M points (independent codes;
 * codes of more than FW_MARK_MAX_POINTS points are concatenated versions,
 * as fw_mark_accuse concatenates leaks); for each attack and noise, m is
 * bisected (in log scale, to 1 %) over prefixes of the same trials, a
 * prefix passing when at most ⌊T/100⌋ trials miss. The (attack, noise)
 * searches run on --threads threads.
 *
 * Usage: bench_trace_sim [--full] [--trials T] [--cmin C] [--cmax C]
 *                        [--innocent-trials K] [--threads N]
 * Default (make bench): c = 2…4, 200 trials — a few minutes at most.
 * --full: c = 2…8 (discrete c ≤ 4), 500 trials, 1,000 innocent-only leaks.
 * With T trials the 1 % miss rate is estimated from ⌊T/100⌋ misses: the
 * least m carries Monte Carlo noise of several percent (compare attacks
 * that are the same for c = 2: interleave, majority, coin-flip). */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "mark/mark.h"

#define N_RECIPIENTS 1000
#define EPSILON 1e-3
#define FLIP_RATE 0.05
#define NOISES 4
#define MAX_COLLUDERS 8
#define MAX_POOL_POINTS (FW_MARK_MAX_LEAKS * FW_MARK_MAX_POINTS)
#define MAX_THREADS 16

static const double erase_rate[NOISES] = {0.0, 0.2, 0.5, 0.0};
static const double flip_rate[NOISES] = {0.0, 0.0, 0.0, FLIP_RATE};
static const char *const noise_name[NOISES] = {"none", "20% erased", "50% erased", "5% flipped"};
static const uint8_t sim_key[FW_MARK_KEY_BYTES]; /* public: simulations need no secret */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, enum fw_err r)
{
	fprintf(stderr, "bench_trace_sim: %s: %s %s\n", what, fw_strerror(r), fw_err_detail());
	exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		die("memory", FW_ERR_NOMEM);
	return p;
}

/* The noise of point i of trial t: uniforms independent of every member
 * (SplitMix64 of (t, i, which)), the same for every attack and rate, so the
 * 20 % erased points are among the 50 %. */
static double noise_u(size_t t, size_t i, unsigned which)
{
	uint64_t x = ((uint64_t)t << 34) ^ ((uint64_t)i << 2) ^ which;
	x += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	x ^= x >> 31;
	return (double)(x >> 11) * 0x1p-53;
}

/* --- the pool of trials ------------------------------------------------------ */

struct pool {
	enum fw_mark_bias bias;
	unsigned c;
	size_t T, M;
	double *p0;                              /* [T·M]: bias of symbol 0 */
	uint8_t *sym;                            /* [T·c·M]: colluder j of trial t at (t·c + j)·M */
	uint8_t *leak[FW_MARK_ATTACK_COUNT];     /* [T·M] */
};

struct gen_job {
	struct pool *pl;
	size_t first, end;
	enum fw_err r;
};

static enum fw_err gen_trial(struct pool *pl, size_t t)
{
	unsigned *q = xcalloc(FW_MARK_MAX_POINTS, sizeof *q);
	struct fw_mark_params prm = {pl->c, pl->bias};
	enum fw_err r = FW_OK;
	for (size_t i = 0; i < FW_MARK_MAX_POINTS; i++)
		q[i] = 2;
	for (size_t off = 0; off < pl->M && r == FW_OK; off += FW_MARK_MAX_POINTS) {
		size_t m = pl->M - off < FW_MARK_MAX_POINTS ? pl->M - off : FW_MARK_MAX_POINTS;
		struct fw_mark_code *code = NULL;
		char version[96];
		snprintf(version, sizeof version, "sim/%d/%u/%zu/%zu", (int)pl->bias, pl->c, t,
			 off / FW_MARK_MAX_POINTS);
		if ((r = fw_mark_code_new(sim_key, version, q, m, &prm, &code)) != FW_OK)
			break;
		for (size_t i = 0; i < m; i++)
			pl->p0[t * pl->M + off + i] = fw_mark_code_bias(code, i, 0);
		uint8_t *buf = xcalloc(m, 1);
		for (unsigned j = 0; j < pl->c && r == FW_OK; j++) {
			char id[32];
			snprintf(id, sizeof id, "colluder-%u", j);
			if ((r = fw_mark_member_symbols(code, id, buf, m)) == FW_OK)
				memcpy(pl->sym + (t * pl->c + j) * pl->M + off, buf, m);
		}
		free(buf);
		fw_mark_code_free(code);
	}
	const uint8_t *cs[MAX_COLLUDERS];
	for (unsigned j = 0; j < pl->c; j++)
		cs[j] = pl->sym + (t * pl->c + j) * pl->M;
	for (unsigned a = 0; a < FW_MARK_ATTACK_COUNT && r == FW_OK; a++)
		r = fw_mark_collude((enum fw_mark_attack)a, cs, pl->c, pl->M, t * 16 + a,
				    pl->leak[a] + t * pl->M);
	free(q);
	return r;
}

static void *gen_work(void *arg)
{
	struct gen_job *g = arg;
	g->r = FW_OK;
	for (size_t t = g->first; t < g->end && g->r == FW_OK; t++)
		g->r = gen_trial(g->pl, t);
	return NULL;
}

static void pool_build(struct pool *pl, unsigned threads)
{
	struct gen_job jobs[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	bool started[MAX_THREADS] = {false};
	pl->p0 = xcalloc(pl->T * pl->M, sizeof *pl->p0);
	pl->sym = xcalloc(pl->T * pl->c * pl->M, 1);
	for (unsigned a = 0; a < FW_MARK_ATTACK_COUNT; a++)
		pl->leak[a] = xcalloc(pl->T * pl->M, 1);
	for (unsigned w = 0; w < threads; w++) {
		jobs[w] = (struct gen_job){pl, pl->T * w / threads, pl->T * (w + 1) / threads, FW_OK};
		started[w] = w + 1 < threads && pthread_create(&th[w], NULL, gen_work, &jobs[w]) == 0;
		if (!started[w])
			gen_work(&jobs[w]);
	}
	for (unsigned w = 0; w < threads; w++) {
		if (started[w])
			pthread_join(th[w], NULL);
		if (jobs[w].r != FW_OK)
			die("pool", jobs[w].r);
	}
}

static void pool_free(struct pool *pl)
{
	free(pl->p0);
	free(pl->sym);
	for (unsigned a = 0; a < FW_MARK_ATTACK_COUNT; a++)
		free(pl->leak[a]);
}

/* --- one evaluation: how many of the trials miss with the first m points ---- */

struct scratch {
	double *p, *hi, *lo;
	uint32_t *idx;
	uint8_t *y;
};

static bool trial_detects(const struct pool *pl, size_t t, unsigned a, unsigned noise, size_t m,
			  struct scratch *s)
{
	size_t k = 0;
	const uint8_t *leak = pl->leak[a] + t * pl->M;
	for (size_t i = 0; i < m; i++) {
		if (erase_rate[noise] > 0.0 && noise_u(t, i, 0) < erase_rate[noise])
			continue;
		uint8_t y = leak[i];
		if (flip_rate[noise] > 0.0 && noise_u(t, i, 1) < flip_rate[noise])
			y ^= 1;
		double p0 = pl->p0[t * pl->M + i];
		s->p[k] = y ? 1.0 - p0 : p0;
		s->idx[k] = (uint32_t)i;
		s->y[k] = y;
		k++;
	}
	double Z;
	enum fw_err r = fw_mark_threshold(s->p, k, N_RECIPIENTS, EPSILON, &Z);
	if (r != FW_OK)
		die("threshold", r);
	if (!isfinite(Z))
		return false;
	for (size_t x = 0; x < k; x++) {
		s->hi[x] = sqrt((1.0 - s->p[x]) / s->p[x]);
		s->lo[x] = -sqrt(s->p[x] / (1.0 - s->p[x]));
	}
	for (unsigned j = 0; j < pl->c; j++) {
		const uint8_t *sym = pl->sym + (t * pl->c + j) * pl->M;
		double score = 0.0;
		for (size_t x = 0; x < k; x++)
			score += sym[s->idx[x]] == s->y[x] ? s->hi[x] : s->lo[x];
		if (score >= Z)
			return true;
	}
	return false;
}

/* Misses among the T trials, stopping once there are more than allowed. */
static size_t misses(const struct pool *pl, unsigned a, unsigned noise, size_t m, size_t allowed,
		     struct scratch *s)
{
	size_t miss = 0;
	for (size_t t = 0; t < pl->T && miss <= allowed; t++)
		miss += !trial_detects(pl, t, a, noise, m, s);
	return miss;
}

/* The least m (to 1 %) with at most `allowed` misses; 0 when even M fails. */
static size_t least_m(const struct pool *pl, unsigned a, unsigned noise, size_t allowed,
		      struct scratch *s)
{
	double unit = (double)pl->c * pl->c * log(N_RECIPIENTS / EPSILON);
	size_t hi = pl->M, lo = (size_t)unit; /* below c² ln(n/ε) nothing works */
	if (misses(pl, a, noise, hi, allowed, s) > allowed)
		return 0;
	if (misses(pl, a, noise, lo, allowed, s) <= allowed)
		return lo;
	while ((double)hi > 1.01 * (double)lo + 1.0) {
		size_t mid = (size_t)sqrt((double)lo * (double)hi);
		if (mid <= lo || mid >= hi)
			mid = lo + (hi - lo) / 2;
		if (misses(pl, a, noise, mid, allowed, s) <= allowed)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/* --- the (attack, noise) searches of one pool, over threads ----------------- */

struct search {
	const struct pool *pl;
	size_t allowed;
	pthread_mutex_t lock;
	unsigned next; /* task = noise · ATTACKS + attack */
	size_t result[NOISES][FW_MARK_ATTACK_COUNT];
};

static void *search_work(void *arg)
{
	struct search *se = arg;
	struct scratch s;
	size_t M = se->pl->M;
	s.p = xcalloc(M, sizeof *s.p);
	s.hi = xcalloc(M, sizeof *s.hi);
	s.lo = xcalloc(M, sizeof *s.lo);
	s.idx = xcalloc(M, sizeof *s.idx);
	s.y = xcalloc(M, 1);
	for (;;) {
		pthread_mutex_lock(&se->lock);
		unsigned task = se->next++;
		pthread_mutex_unlock(&se->lock);
		if (task >= NOISES * FW_MARK_ATTACK_COUNT)
			break;
		unsigned noise = task / FW_MARK_ATTACK_COUNT, a = task % FW_MARK_ATTACK_COUNT;
		se->result[noise][a] = least_m(se->pl, a, noise, se->allowed, &s);
	}
	free(s.p);
	free(s.hi);
	free(s.lo);
	free(s.idx);
	free(s.y);
	return NULL;
}

static void print_row(const struct pool *pl, unsigned noise, const size_t *res, double *worst_out)
{
	double unit = (double)pl->c * pl->c * log(N_RECIPIENTS / EPSILON);
	double worst = 0.0;
	size_t worst_m = 0;
	bool over = false;
	printf("%-9s %-11s %2u |", pl->bias == FW_MARK_BIAS_ARCSINE ? "arcsine" : "discrete",
	       noise_name[noise], pl->c);
	for (unsigned a = 0; a < FW_MARK_ATTACK_COUNT; a++) {
		if (res[a] == 0) {
			printf("  >%5.2f", (double)pl->M / unit);
			over = true;
			continue;
		}
		double v = (double)res[a] / unit;
		printf("  %6.2f", v);
		if (v > worst) {
			worst = v;
			worst_m = res[a];
		}
	}
	if (over)
		printf(" |  >%5.2f (m > %zu)\n", (double)pl->M / unit, pl->M);
	else
		printf(" |  %6.2f (m = %zu)\n", worst, worst_m);
	*worst_out = over ? INFINITY : worst;
	fflush(stdout);
}

static double run_pool(enum fw_mark_bias bias, unsigned c, size_t T, unsigned threads,
		       double worst[NOISES])
{
	double unit = (double)c * c * log(N_RECIPIENTS / EPSILON);
	/* room for a ratio of 12 (arcsine) or 9 (discrete) at 50 % erasures */
	double need = (bias == FW_MARK_BIAS_ARCSINE ? 12.0 : 9.0) * unit / (1.0 - 0.5);
	struct pool pl = {.bias = bias, .c = c, .T = T};
	pl.M = need > MAX_POOL_POINTS ? MAX_POOL_POINTS : (size_t)need;
	double t0 = now_s();
	pool_build(&pl, threads);
	struct search se = {.pl = &pl, .allowed = T / 100};
	pthread_t th[MAX_THREADS];
	bool started[MAX_THREADS] = {false};
	pthread_mutex_init(&se.lock, NULL);
	for (unsigned w = 0; w < threads; w++) {
		started[w] = w + 1 < threads && pthread_create(&th[w], NULL, search_work, &se) == 0;
		if (!started[w])
			search_work(&se);
	}
	for (unsigned w = 0; w < threads; w++)
		if (started[w])
			pthread_join(th[w], NULL);
	pthread_mutex_destroy(&se.lock);
	for (unsigned noise = 0; noise < NOISES; noise++)
		print_row(&pl, noise, se.result[noise], &worst[noise]);
	pool_free(&pl);
	return now_s() - t0;
}

/* --- the innocent side ---------------------------------------------------------- */

/* K leaks, each made by 3 outsiders (not recipients) with attack k mod 6
 * and 0/20/50 % erasures in turn, traced among 1,000 recipients with the
 * real fw_mark_accuse at ε: every accusation is a false one. */
static void innocent_run(size_t m, size_t K, double eps, unsigned threads)
{
	enum { C = 3 };
	unsigned *q = xcalloc(m, sizeof *q);
	char **ids = xcalloc(N_RECIPIENTS, sizeof *ids);
	uint8_t *sym[C];
	struct fw_mark_reading rd;
	size_t any = 0, total = 0;
	double worst = -INFINITY; /* the highest innocent score over its threshold */
	enum fw_err r;
	for (size_t i = 0; i < m; i++)
		q[i] = 2;
	for (size_t j = 0; j < N_RECIPIENTS; j++) {
		ids[j] = xcalloc(32, 1);
		snprintf(ids[j], 32, "member-%04zu", j);
	}
	for (int j = 0; j < C; j++)
		sym[j] = xcalloc(m, 1);
	for (size_t k = 0; k < K; k++) {
		struct fw_mark_params prm = {C, FW_MARK_BIAS_ARCSINE};
		struct fw_mark_code *code = NULL;
		struct fw_mark_trace tr;
		char version[64];
		snprintf(version, sizeof version, "innocent/%g/%zu", eps, k);
		if ((r = fw_mark_code_new(sim_key, version, q, m, &prm, &code)) != FW_OK ||
		    (r = fw_mark_reading_init(&rd, m)) != FW_OK)
			die("innocent code", r);
		for (int j = 0; j < C; j++) {
			char id[32];
			snprintf(id, sizeof id, "outsider-%d", j);
			if ((r = fw_mark_member_symbols(code, id, sym[j], m)) != FW_OK)
				die("symbols", r);
		}
		if ((r = fw_mark_collude((enum fw_mark_attack)(k % FW_MARK_ATTACK_COUNT),
					 (const uint8_t *const *)sym, C, m, k, rd.symbol)) != FW_OK)
			die("collude", r);
		double er = erase_rate[(k / FW_MARK_ATTACK_COUNT) % 3];
		for (size_t i = 0; i < m; i++)
			rd.status[i] = noise_u(k, i, 2) < er ? FW_MARK_MISSING : FW_MARK_READ;
		struct fw_mark_leak lk = {code, &rd, (const char *const *)ids, N_RECIPIENTS};
		if ((r = fw_mark_accuse(&lk, 1, eps, threads, &tr)) != FW_OK)
			die("accuse", r);
		any += tr.naccused > 0;
		total += tr.naccused;
		if (isfinite(tr.threshold) && tr.verdict[0].score / tr.threshold > worst)
			worst = tr.verdict[0].score / tr.threshold;
		fw_mark_trace_cleanup(&tr);
		fw_mark_reading_cleanup(&rd);
		fw_mark_code_free(code);
	}
	printf("  eps %-6g %zu leaks of %zu points: %zu with anyone accused (%.4f; bound %g), "
	       "%zu of %zu verdicts; highest innocent score %.2f x threshold\n",
	       eps, K, m, any, (double)any / (double)K, eps, total, K * (size_t)N_RECIPIENTS, worst);
	fflush(stdout);
	for (int j = 0; j < C; j++)
		free(sym[j]);
	for (size_t j = 0; j < N_RECIPIENTS; j++)
		free(ids[j]);
	free(ids);
	free(q);
}

/* --- main ------------------------------------------------------------------------ */

struct opts {
	bool full;
	size_t trials, innocent;
	unsigned cmin, cmax, threads;
};

static void parse_opts(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){false, 0, 0, 2, 0, 2};
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : "0";
		if (strcmp(argv[i], "--full") == 0) {
			o->full = true;
			continue;
		}
		if (strcmp(argv[i], "--trials") == 0)
			o->trials = strtoul(v, NULL, 10);
		else if (strcmp(argv[i], "--cmin") == 0)
			o->cmin = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(argv[i], "--cmax") == 0)
			o->cmax = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(argv[i], "--innocent-trials") == 0)
			o->innocent = strtoul(v, NULL, 10);
		else if (strcmp(argv[i], "--threads") == 0)
			o->threads = (unsigned)strtoul(v, NULL, 10);
		else {
			fprintf(stderr, "usage: bench_trace_sim [--full] [--trials T] [--cmin C] "
					"[--cmax C] [--innocent-trials K] [--threads N]\n");
			exit(2);
		}
		i++;
	}
	if (!o->trials)
		o->trials = o->full ? 500 : 200;
	if (!o->cmax)
		o->cmax = o->full ? 8 : 4;
	if (!o->innocent)
		o->innocent = o->full ? 1000 : 200;
	if (o->trials < 100 || o->trials > 100000 || o->cmin < 1 || o->cmax > MAX_COLLUDERS ||
	    o->cmin > o->cmax || o->threads < 1 || o->threads > MAX_THREADS) {
		fprintf(stderr, "bench_trace_sim: trials 100..100000, 1 <= cmin <= cmax <= %d, "
				"threads 1..%d\n", MAX_COLLUDERS, MAX_THREADS);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct opts o;
	parse_opts(argc, argv, &o);
	if (fw_crypto_init() != FW_OK)
		return 2;
	double t0 = now_s(), worst[NOISES], wb[2][NOISES] = {{0}};
	printf("attribution: n = %d, eps = %g, miss <= 1e-2 (<= %zu of %zu trials), binary points;\n"
	       "least m / (c^2 ln(n/eps)), ln(n/eps) = %.2f; arcsine cutoff 1/(300c), discrete for c\n",
	       N_RECIPIENTS, EPSILON, o.trials / 100, o.trials, log(N_RECIPIENTS / EPSILON));
	printf("%-9s %-11s %2s |", "bias", "noise", "c");
	for (unsigned a = 0; a < FW_MARK_ATTACK_COUNT; a++)
		printf("  %6.6s", fw_mark_attack_name((enum fw_mark_attack)a));
	printf(" |  worst\n");
	for (int b = 0; b < 2; b++) {
		enum fw_mark_bias bias = b ? FW_MARK_BIAS_DISCRETE : FW_MARK_BIAS_ARCSINE;
		unsigned cmax = b && o.cmax > 4 ? 4 : o.cmax; /* discrete: c <= 4 (the aim) */
		for (unsigned c = o.cmin; c <= cmax; c++) {
			double dt = run_pool(bias, c, o.trials, o.threads, worst);
			for (unsigned noise = 0; noise < NOISES; noise++)
				wb[b][noise] = fmax(wb[b][noise], worst[noise]);
			fprintf(stderr, "  (%s c = %u: %.0f s)\n", b ? "discrete" : "arcsine", c, dt);
		}
	}
	printf("worst over attacks and c = %u..%u:\n", o.cmin, o.cmax);
	for (unsigned noise = 0; noise < NOISES; noise++)
		printf("  %-11s arcsine %5.2f   discrete %5.2f\n", noise_name[noise], wb[0][noise],
		       wb[1][noise]);
	printf("aim (no noise): arcsine <= 5.5: %s; discrete (c <= 4) <= 4.0: %s\n",
	       wb[0][0] <= 5.5 ? "met" : "NOT met", wb[1][0] <= 4.0 ? "met" : "NOT met");
	printf("innocent-only (3 outsiders mix, 1,000 recipients, real fw_mark_accuse):\n");
	size_t m_inn = (size_t)(5.0 * 9.0 * log(N_RECIPIENTS / EPSILON)); /* ~ c = 3's need */
	innocent_run(m_inn, o.innocent, EPSILON, o.threads);
	innocent_run(m_inn, o.innocent, 0.1, o.threads);
	printf("done in %.0f s\n", now_s() - t0);
	return 0;
}
