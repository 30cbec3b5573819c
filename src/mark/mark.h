/* Fingerprinted copies and leak tracing.
 *
 * An artifact's text is a template with variation points (docs/templates.md):
 *
 *   memset(buf, 0, {{size: 0x10 | 16}});   // point "size", q = 2
 *   read(fd, buf, {{=size}});              // the same choice again
 *   {{ retries | attempts | tries }} = 3;  // an anonymous point, q = 3
 *
 * Every member's copy picks one alternative per point. The choices form a
 * codeword of a symmetric q-ary Tardos code (docs/tracing.md): per artifact
 * version a secret bias vector per point, per member a symbol per point, both
 * derived with a keyed PRF from the program's secret, so nothing per member
 * is stored and a trace can be re-run years later. From a leaked copy —
 * re-indented, partial, or mixed from several members' copies — extraction
 * reads the alternative each point shows (or an erasure), and accusation
 * scores the members that received the version, accusing only those above
 * a threshold that bounds the probability of accusing any innocent member
 * by epsilon, whatever the leakers did.
 *
 * The module is pure: no I/O, no clock, no global state; everything is
 * deterministic in its inputs. Objects are immutable after creation and may
 * be shared between threads. */
#ifndef FW_MARK_MARK_H
#define FW_MARK_MARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

/* --- limits ------------------------------------------------------------- */
#define FW_MARK_MAX_TEMPLATE_BYTES (2u * 1024u * 1024u)
#define FW_MARK_MAX_RENDER_BYTES (8u * 1024u * 1024u) /* a rendered copy */
#define FW_MARK_MAX_SUSPECT_BYTES (8u * 1024u * 1024u) /* a leaked file */
#define FW_MARK_MAX_POINTS 4096        /* distinct points of a template */
#define FW_MARK_MAX_USES 16384         /* points plus {{=name}} repeats */
#define FW_MARK_MAX_ALTERNATIVES 16    /* q of a point */
#define FW_MARK_MAX_ALT_BYTES 4096     /* one alternative, as written */
#define FW_MARK_NAME_BYTES 33          /* a point name: 32 bytes + NUL */
#define FW_MARK_KEY_BYTES 32
#define FW_MARK_MAX_ID_BYTES 256       /* a version or member id, NUL included */
#define FW_MARK_MAX_LEAKS 8            /* leaked artifacts traced together */
#define FW_MARK_MAX_MEMBERS 1000000    /* members scored in one trace */
#define FW_MARK_MAX_THREADS 64
#define FW_MARK_MAX_C 64               /* largest coalition a code is built for */
#define FW_MARK_DEFAULT_C 4
#define FW_MARK_DEFAULT_EPSILON 1e-6

/* --- templates ---------------------------------------------------------- */
struct fw_mark_template;

struct fw_mark_error {
	int line; /* 1-based */
	int col;  /* 1-based, in bytes */
	char message[200];
};

/* Parses a template (any bytes; not NUL-terminated necessarily). On a
 * syntax error returns FW_ERR_INVALID with the first error's position and
 * message in *err (err may be NULL) and as the fw_err detail
 * ("line 3:17: ..."); over FW_MARK_MAX_TEMPLATE_BYTES FW_ERR_TOO_LARGE at
 * 1:1. A template with no points is valid. Never crashes on any input
 * (fuzz/fuzz_template.c). The caller frees *out with fw_mark_template_free. */
enum fw_err fw_mark_parse(const char *text, size_t n, struct fw_mark_template **out,
			  struct fw_mark_error *err) FW_WUR;
void fw_mark_template_free(struct fw_mark_template *t); /* NULL is a no-op */

struct fw_mark_point_info {
	const char *name; /* "" when anonymous; borrowed from the template */
	unsigned q;       /* alternatives, 2..FW_MARK_MAX_ALTERNATIVES */
	int line, col;    /* of the point's definition ({{) */
	size_t uses;      /* 1 + the number of {{=name}} repeats */
	/* false when the template's own text around every use of the point
	 * repeats elsewhere, so that extraction could never tell where the point
	 * is: it is always an erasure and adds nothing. A warning for authors. */
	bool readable;
};

size_t fw_mark_template_npoints(const struct fw_mark_template *t);
/* Points in order of definition; i < npoints. */
void fw_mark_template_point(const struct fw_mark_template *t, size_t i,
			    struct fw_mark_point_info *out);
/* The alternative a of point i as it is rendered (unescaped, trimmed);
 * borrowed from the template. */
const char *fw_mark_template_alternative(const struct fw_mark_template *t, size_t i, unsigned a,
					 size_t *len);
/* Uses of points in text order (definitions and repeats). The fixed text
 * before use k is fw_mark_template_text(t, k); the text after the last use
 * is fw_mark_template_text(t, nuses). */
size_t fw_mark_template_nuses(const struct fw_mark_template *t);
size_t fw_mark_template_use_point(const struct fw_mark_template *t, size_t k);
const char *fw_mark_template_text(const struct fw_mark_template *t, size_t k, size_t *len);
/* The alphabet sizes q[0..npoints) (to build a code); m must be npoints. */
void fw_mark_template_alphabet(const struct fw_mark_template *t, unsigned *q, size_t m);
/* Points whose readable flag is false. */
size_t fw_mark_template_unreadable(const struct fw_mark_template *t);

/* Appends the copy with symbol sym[i] (0-based alternative) at point i to
 * out; m must be npoints and every sym[i] < q_i. Markers never appear in the
 * output; the fixed text is reproduced byte for byte. */
enum fw_err fw_mark_render(const struct fw_mark_template *t, const uint8_t *sym, size_t m,
			   struct fw_buf *out) FW_WUR;

/* --- codes --------------------------------------------------------------- */
enum fw_mark_bias {
	/* Dirichlet(1/2,…,1/2) — the arcsine law when q = 2 — conditioned on
	 * every component ≥ t = 1/(300c). The default. */
	FW_MARK_BIAS_ARCSINE = 0,
	/* Binary points take Nuida et al.'s discrete Gauss–Legendre biases for
	 * c colluders (fewer points needed when c is a true bound; c ≤ 2 gives
	 * p = 1/2). Points with q > 2 are uniform when c ≤ 2 and keep the
	 * Dirichlet law otherwise. */
	FW_MARK_BIAS_DISCRETE = 1,
};

struct fw_mark_params {
	unsigned c; /* the coalition size the code is tuned for, 1..FW_MARK_MAX_C */
	enum fw_mark_bias bias;
};

/* c = FW_MARK_DEFAULT_C, arcsine. The parameters are part of the code:
 * store them with the artifact version, as a trace must use the same. */
void fw_mark_params_init(struct fw_mark_params *p);

struct fw_mark_code;

/* The code of one artifact version: the biases of its m points, derived
 * from key (the program's fingerprinting secret), the version's id (unique
 * per advisory, kind and version, e.g. "ADV-2025-0001/poc/3"), the alphabet
 * sizes q[0..m) and the parameters. 1 ≤ m ≤ FW_MARK_MAX_POINTS. The code
 * keeps a copy of the key (wiped when freed). */
enum fw_err fw_mark_code_new(const uint8_t key[FW_MARK_KEY_BYTES], const char *version,
			     const unsigned *q, size_t m, const struct fw_mark_params *prm,
			     struct fw_mark_code **out) FW_WUR;
void fw_mark_code_free(struct fw_mark_code *c); /* NULL is a no-op */
size_t fw_mark_code_npoints(const struct fw_mark_code *c);
unsigned fw_mark_code_q(const struct fw_mark_code *c, size_t i);
/* p_i(a): the probability that a member's copy shows alternative a at i.
 * Biases are multiples of 2⁻¹⁶ (the drawn distribution rounded; every
 * alternative keeps at least 2⁻¹⁶), so that 16 PRF bits per point give each
 * symbol with exactly its bias (docs/tracing.md). */
double fw_mark_code_bias(const struct fw_mark_code *c, size_t i, unsigned a);
/* SHA-256 of the parameters and the biases (as 2¹⁶·cumulative sums). Store it at
 * release; a trace years later checks it to prove the biases were re-derived
 * bit for bit (the sampling uses libm's log; see docs/tracing.md). */
void fw_mark_code_digest(const struct fw_mark_code *c, uint8_t out[32]);

/* The member's symbols sym[0..m) for this version (m = npoints).
 * Deterministic in (key, version, member_id); member_id is a non-empty
 * string shorter than FW_MARK_MAX_ID_BYTES. */
enum fw_err fw_mark_member_symbols(const struct fw_mark_code *c, const char *member_id,
				   uint8_t *sym, size_t m) FW_WUR;

/* Renders the member's copy: fw_mark_member_symbols + fw_mark_render. The
 * code must have been built from this template's alphabet. Appends to out. */
enum fw_err fw_mark_render_member(const struct fw_mark_template *t, const struct fw_mark_code *c,
				  const char *member_id, struct fw_buf *out) FW_WUR;

/* --- extraction --------------------------------------------------------- */
enum fw_mark_status {
	FW_MARK_READ = 0,       /* exactly one alternative found, in one place */
	FW_MARK_MISSING = 1,    /* the text around the point is not in the copy */
	FW_MARK_ALTERED = 2,    /* its surroundings are there, none of its alternatives */
	FW_MARK_AMBIGUOUS = 3,  /* several places or alternatives fit, or its uses disagree */
	FW_MARK_UNREADABLE = 4, /* the template itself cannot locate it (see readable) */
};
#define FW_MARK_STATUS_COUNT 5

/* What a suspect copy shows, per point. Member-independent by construction. */
struct fw_mark_reading {
	size_t m;
	uint8_t *symbol; /* [m]; meaningful where status is FW_MARK_READ */
	uint8_t *status; /* [m]; enum fw_mark_status; anything else is an erasure */
};

/* m points, all FW_MARK_MISSING (for callers that build readings). */
enum fw_err fw_mark_reading_init(struct fw_mark_reading *r, size_t m) FW_WUR;
void fw_mark_reading_cleanup(struct fw_mark_reading *r);
size_t fw_mark_reading_count(const struct fw_mark_reading *r, enum fw_mark_status s);

/* Reads text[0..n) against the template. Whitespace is ignored (line
 * endings, indentation, re-wrapping, NBSP, zero-width spaces, BOM); each use
 * of a point is located by the template text on both sides (growing the
 * context while it matches in several places; by one side alone, at a token
 * boundary, when an edit broke the other) and read only when exactly one
 * alternative fits in exactly one place; the uses of a named point must
 * agree. Everything else is an erasure — never a guess, never a comparison
 * with any member's copy. *out is initialised here (cleanup when done).
 * Work is bounded; docs/tracing.md describes the method. */
enum fw_err fw_mark_extract(const struct fw_mark_template *t, const char *text, size_t n,
			    struct fw_mark_reading *out) FW_WUR;

/* Combines two readings of the same version (e.g. two leaked files): a
 * point read in both must agree (else ambiguous); read in one, it is read. */
enum fw_err fw_mark_reading_merge(struct fw_mark_reading *into,
				  const struct fw_mark_reading *other) FW_WUR;

/* --- accusation --------------------------------------------------------- */
struct fw_mark_leak {
	const struct fw_mark_code *code;       /* borrowed */
	const struct fw_mark_reading *reading; /* borrowed; reading->m = npoints */
	const char *const *recipients;         /* borrowed: the members that received this version */
	size_t nrecipients;
};

struct fw_mark_verdict {
	const char *member_id; /* borrowed from the leaks' recipient arrays */
	double score;          /* symmetric Tardos score summed over the leaks it received */
	double threshold;      /* its Chernoff threshold Z */
	/* ln of the bound min_λ exp(K(λ) − λ·score) on the probability that an
	 * innocent member scores this much; ≤ ln(ε/n) exactly when accused. */
	double log_pvalue;
	bool accused;          /* score ≥ threshold */
	uint32_t leaks;        /* bit l set: received leak l */
};

struct fw_mark_trace {
	size_t n;                       /* members scored (distinct ids) */
	struct fw_mark_verdict *verdict; /* [n], by score, highest first */
	size_t naccused;
	double epsilon;
	size_t points_read;   /* over all leaks */
	size_t points_erased;
	double threshold;     /* Z of a member that received every leak */
	/* false when even a member holding every symbol read could not reach
	 * the threshold (too few points read for this many members and ε). */
	bool can_accuse;
};

/* Scores every recipient of the leaks (ids are compared as strings; a member
 * may receive several of the leaks; each leak a distinct code). Member j's
 * score is Σ over the points read of the symmetric score: √((1−p)/p) when
 * its symbol equals the one read, −√(p/(1−p)) otherwise (p the bias of the
 * symbol read); erasures score 0. Its threshold is
 * Z = min_λ>0 (K(λ) + ln(n/ε))/λ with K the cumulant generating function of
 * an innocent member's score given the actual biases and symbols read, so
 * that P[any innocent member accused] ≤ ε for any attack. ε in (0, 1);
 * FW_MARK_DEFAULT_EPSILON is 1e-6. Members are scored on up to `threads`
 * threads (0 or 1: the calling thread only; at most FW_MARK_MAX_THREADS);
 * the result does not depend on it. The caller cleans *out up. */
enum fw_err fw_mark_accuse(const struct fw_mark_leak *leaks, size_t nleaks, double epsilon,
			   unsigned threads, struct fw_mark_trace *out) FW_WUR;
void fw_mark_trace_cleanup(struct fw_mark_trace *t);

/* The threshold Z that fw_mark_accuse sets for a leak whose k points read
 * show symbols of biases p[0..k) (each in (0, 1); fw_mark_code_bias of the
 * symbol read), among n members at ε; INFINITY when k = 0 (and, in effect,
 * when too few points are read). For simulations (bench/bench_trace_sim.c)
 * that score only the colluders: an innocent member's score is independent
 * of the leak, so Z needs nothing else. k ≤ FW_MARK_MAX_LEAKS·FW_MARK_MAX_POINTS. */
enum fw_err fw_mark_threshold(const double *p, size_t k, size_t n, double epsilon,
			      double *z) FW_WUR;

/* --- attacks and capacity ----------------------------------------------- */
enum fw_mark_attack {
	FW_MARK_ATTACK_INTERLEAVE = 0, /* each point from a random colluder */
	FW_MARK_ATTACK_MAJORITY,       /* the most common symbol (ties at random) */
	FW_MARK_ATTACK_MINORITY,       /* the rarest symbol they hold (ties at random) */
	FW_MARK_ATTACK_COIN_FLIP,      /* a random one of the distinct symbols they hold */
	FW_MARK_ATTACK_ALL_FIRST,      /* the lowest-numbered symbol they hold */
	FW_MARK_ATTACK_ALL_LAST,       /* the highest-numbered symbol they hold */
};
#define FW_MARK_ATTACK_COUNT 6

const char *fw_mark_attack_name(enum fw_mark_attack a); /* "interleave", … */

/* A mixed copy's symbols out[0..m) from c colluders' symbols sym[j][0..m),
 * under the marking assumption (only symbols some colluder holds).
 * Randomness comes from seed, deterministically. For simulations and tests. */
enum fw_err fw_mark_collude(enum fw_mark_attack a, const uint8_t *const *sym, size_t c,
			    size_t m, uint64_t seed, uint8_t *out) FW_WUR;

#define FW_MARK_CAPACITY_MAX_C 16
#define FW_MARK_CAPACITY_TRIALS 200

struct fw_mark_capacity_opts {
	size_t recipients;  /* n, ≥ 1 */
	double epsilon;     /* as for fw_mark_accuse */
	double erasure_rate; /* fraction of points assumed unreadable, [0, 1) */
	size_t trials;      /* per coalition size and attack; 0 = FW_MARK_CAPACITY_TRIALS */
};

struct fw_mark_capacity {
	/* The largest c ≤ FW_MARK_CAPACITY_MAX_C such that, in simulation, at
	 * least one colluder was accused in ≥ 99% of trials under each attack;
	 * 0 when not even a single leaker can be named. */
	unsigned colluders;
	bool single_leaker;  /* colluders ≥ 1 */
	unsigned tested;     /* coalition sizes simulated: 1..tested */
	double detect[FW_MARK_CAPACITY_MAX_C + 1]; /* [c]: worst attack's detection rate */
	enum fw_mark_attack worst[FW_MARK_CAPACITY_MAX_C + 1];
};

/* Estimates how many colluders a template with alphabet q[0..m) traces among
 * o->recipients members at o->epsilon, by simulation with a fixed seed
 * (deterministic; docs/tracing.md describes the method). */
enum fw_err fw_mark_capacity(const unsigned *q, size_t m, const struct fw_mark_params *prm,
			     const struct fw_mark_capacity_opts *o,
			     struct fw_mark_capacity *out) FW_WUR;

#endif
