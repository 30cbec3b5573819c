/* Decisions: which grant, if any, releases a kind to a member, and when;
 * then what the restrictions that apply take away. Pure: no I/O, no clock.
 *
 * The order, which docs/policy.md states as the semantics:
 *   1. a suspended or expelled member gets nothing;
 *   2. the earliest grant of the member's tier block and the public block
 *      (none: default deny);
 *   3. restrictions whose condition holds, in the order of the file:
 *      caps (no earlier than the capped tier gets the kind, withheld if it
 *      does not), then delays (no earlier than `until`; the latest wins),
 *      then withholds (withheld, whatever the delays say).
 * Restrictions never grant and never make a release earlier. */
#include <stdarg.h>
#include <string.h>

#include "policy/internal.h"

static const struct fw_policy_block *tier_of(const struct fw_policy *p, const char *tier)
{
	for (size_t i = 0; i < p->ntiers; i++)
		if (strncmp(p->tiers[i].name, tier, FW_MODEL_ID_BYTES) == 0)
			return &p->tiers[i];
	return NULL;
}

bool fw_policy_has_tier(const struct fw_policy *p, const char *tier)
{
	return p && tier && tier_of(p, tier) != NULL;
}

const char *fw_policy_rule_kind_name(enum fw_policy_rule_kind k)
{
	switch (k) {
	case FW_POLICY_RULE_GRANT: return "grant";
	case FW_POLICY_RULE_PUBLIC: return "public";
	case FW_POLICY_RULE_WITHHOLD: return "withhold";
	case FW_POLICY_RULE_DELAY: return "delay";
	case FW_POLICY_RULE_CAP: return "cap";
	case FW_POLICY_RULE_STATUS: return "status";
	case FW_POLICY_RULE_DEFAULT: return "default";
	}
	return "unknown";
}

/* The grant a member of tier block tb (NULL: a tier with no block) gets
 * for kind: the earliest of its block and the public block; on a tie the
 * tier's own rule, being the more specific. */
struct pick {
	const struct fw_policy_block *block;
	const struct fw_policy_grant *grant;
};

static struct pick best_grant(const struct fw_policy *p, const struct fw_policy_block *tb, enum fw_kind kind)
{
	const struct fw_policy_block *cand[2] = {tb, p->has_public ? &p->pub : NULL};
	struct pick win = {NULL, NULL};
	for (int i = 0; i < 2; i++) {
		if (!cand[i] || cand[i]->best[kind] < 0)
			continue;
		const struct fw_policy_grant *g = &cand[i]->grants[cand[i]->best[kind]];
		if (!win.grant || g->offset < win.grant->offset) {
			win.grant = g;
			win.block = cand[i];
		}
	}
	return win;
}

/* ---- building a decision ------------------------------------------------- */

/* Texts are built from pieces without printf, and times come formatted from
 * the parser: a re-plan decides millions of times. */
struct text {
	char *p;
	size_t size, len; /* len < size always; the text stays NUL-terminated */
};

static void put(struct text *t, const char *s)
{
	size_t n = strlen(s);
	if (n > t->size - 1 - t->len)
		n = t->size - 1 - t->len;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void put_line(struct text *t, int line)
{
	char digits[16], out[24];
	size_t n = 0, i = 0;
	unsigned v = line < 0 ? 0u : (unsigned)line;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof digits);
	memcpy(out, " (line ", 7);
	i = 7;
	while (n > 0)
		out[i++] = digits[--n];
	out[i++] = ')';
	out[i] = '\0';
	put(t, out);
}

struct state {
	struct fw_policy_decision *out;
	enum fw_kind kind;
	bool granted;  /* a release time stands (before withholds) */
	bool withheld; /* by a withhold */
	int64_t offset;
	int dec_slot;                  /* the decisive rule so far in out->rules, */
	struct fw_policy_rule_ref dec; /* or, when -1, here (past the bound) */
};

/* Records a rule that applied, its effect the concatenation of the pieces
 * up to NULL; decisive makes it the one the decision names. */
static void rule(struct state *st, bool decisive, enum fw_policy_rule_kind kind, const char *name, int line, ...)
	__attribute__((sentinel));

static void rule(struct state *st, bool decisive, enum fw_policy_rule_kind kind, const char *name, int line, ...)
{
	struct fw_policy_decision *out = st->out;
	bool room = out->nrules < FW_POLICY_MAX_EXPLAIN;
	if (!room && !decisive) {
		out->rules_omitted++;
		return;
	}
	/* Past the bound a decisive rule waits in st->dec for the last place. */
	struct fw_policy_rule_ref *r = room ? &out->rules[out->nrules] : &st->dec;
	struct text name_t = {r->name, sizeof r->name, 0}, effect = {r->effect, sizeof r->effect, 0};
	const char *piece;
	va_list ap;
	r->kind = kind;
	r->line = line;
	r->decisive = false;
	r->name[0] = r->effect[0] = '\0';
	put(&name_t, name);
	va_start(ap, line);
	while ((piece = va_arg(ap, const char *)) != NULL)
		put(&effect, piece);
	va_end(ap);
	if (room)
		out->nrules++;
	else
		out->rules_omitted++;
	if (decisive)
		st->dec_slot = room ? (int)out->nrules - 1 : -1;
}

static void apply_caps(const struct fw_policy *p, const struct fw_policy_restriction *r, struct state *st)
{
	const char *kn = fw_kind_name(st->kind);
	for (size_t i = 0; i < r->neffects; i++) {
		const struct fw_policy_effect *e = &r->effects[i];
		if (e->type != EFFECT_CAP || e->tier_index < 0)
			continue;
		struct pick c = best_grant(p, &p->tiers[e->tier_index], st->kind);
		if (!c.grant) {
			bool takes = st->granted;
			st->granted = false;
			rule(st, takes, FW_POLICY_RULE_CAP, r->name, e->line, "caps to tier ", e->tier, ", which gets no ",
			     kn, (const char *)NULL);
			continue;
		}
		bool later = st->granted && c.grant->offset > st->offset;
		if (later)
			st->offset = c.grant->offset;
		rule(st, later, FW_POLICY_RULE_CAP, r->name, e->line, "caps to tier ", e->tier, ", which gets ", kn,
		     " at ", c.grant->when, (const char *)NULL);
	}
}

static void apply_delays(const struct fw_policy_restriction *r, struct state *st)
{
	for (size_t i = 0; i < r->neffects; i++) {
		const struct fw_policy_effect *e = &r->effects[i];
		if (e->type != EFFECT_DELAY || !(e->kinds & (1u << st->kind)))
			continue;
		bool later = st->granted && e->until > st->offset;
		if (later)
			st->offset = e->until;
		rule(st, later, FW_POLICY_RULE_DELAY, r->name, e->line, "delays ", fw_kind_name(st->kind), " until ",
		     e->until_when, (const char *)NULL);
	}
}

static void apply_withholds(const struct fw_policy_restriction *r, struct state *st)
{
	for (size_t i = 0; i < r->neffects; i++) {
		const struct fw_policy_effect *e = &r->effects[i];
		if (e->type != EFFECT_WITHHOLD || !(e->kinds & (1u << st->kind)))
			continue;
		bool first = !st->withheld;
		st->withheld = true;
		rule(st, first, FW_POLICY_RULE_WITHHOLD, r->name, e->line, "withholds ", fw_kind_name(st->kind),
		     (const char *)NULL);
	}
}

static void apply_restrictions(const struct fw_policy *p, const struct fw_policy_subject *s, struct state *st)
{
	int matched[FW_POLICY_MAX_RESTRICTIONS];
	size_t n = 0;
	for (size_t i = 0; i < p->nrestr; i++) {
		const struct fw_policy_restriction *r = &p->restr[i];
		if ((r->caps || (r->kinds & (1u << s->kind))) && fw_policy_eval(p, r->cond, s))
			matched[n++] = (int)i;
	}
	for (size_t i = 0; i < n; i++)
		if (p->restr[matched[i]].caps)
			apply_caps(p, &p->restr[matched[i]], st);
	for (size_t i = 0; i < n; i++)
		apply_delays(&p->restr[matched[i]], st);
	for (size_t i = 0; i < n; i++)
		apply_withholds(&p->restr[matched[i]], st);
}

/* "tier ans grants poc at T-5d (line 3)", "public grants ...". */
static void put_grant(struct text *t, const struct fw_policy_rule_ref *g)
{
	if (g->kind == FW_POLICY_RULE_GRANT) {
		put(t, "tier ");
		put(t, g->name);
		put(t, " ");
	} else {
		put(t, "public ");
	}
	put(t, g->effect);
	put_line(t, g->line);
}

/* The one-line reason: the decisive rule, and for a restriction that moved
 * a release, the grant it moved. */
static void finish(struct state *st)
{
	struct fw_policy_decision *out = st->out;
	struct text reason = {out->reason, sizeof out->reason, 0};
	if (st->dec_slot < 0) { /* keep the decisive rule, in the last place */
		out->rules[FW_POLICY_MAX_EXPLAIN - 1] = st->dec;
		st->dec_slot = FW_POLICY_MAX_EXPLAIN - 1;
	}
	const struct fw_policy_rule_ref *d = &out->rules[st->dec_slot];
	out->rules[st->dec_slot].decisive = true;
	out->withheld = st->withheld || !st->granted;
	out->offset = out->withheld ? 0 : st->offset;
	out->line = d->line;
	out->reason[0] = '\0';
	switch (d->kind) {
	case FW_POLICY_RULE_GRANT:
	case FW_POLICY_RULE_PUBLIC: put_grant(&reason, d); return;
	case FW_POLICY_RULE_STATUS:
	case FW_POLICY_RULE_DEFAULT: put(&reason, d->effect); return;
	default: break;
	}
	put(&reason, "restriction ");
	put(&reason, d->name);
	put(&reason, " ");
	put(&reason, d->effect);
	put_line(&reason, d->line);
	if (!out->withheld) {
		put(&reason, "; ");
		put_grant(&reason, &out->rules[0]);
	}
	if (reason.len == reason.size - 1) /* long names: say that it was cut */
		memcpy(out->reason + sizeof out->reason - 4, "...", 4);
}

void fw_policy_decide(const struct fw_policy *p, const struct fw_member *m, const struct fw_advisory *a,
		      enum fw_kind kind, struct fw_policy_decision *out)
{
	static const struct fw_advisory no_advisory;
	struct state st = {.out = out, .kind = kind, .dec_slot = -1};
	char tier[FW_MODEL_ID_BYTES];
	if (!out)
		return;
	out->nrules = 0;
	out->rules_omitted = 0;
	if (!p || !m || (int)kind < 0 || kind >= FW_KIND_COUNT) {
		rule(&st, true, FW_POLICY_RULE_DEFAULT, "", 0,
		     !p || !m ? "no policy or no member (default deny)" : "unknown artifact kind (default deny)",
		     (const char *)NULL);
		finish(&st);
		return;
	}
	/* Status first: a sanction overrides every rule. */
	if (m->status == FW_MEMBER_SUSPENDED || m->status == FW_MEMBER_EXPELLED) {
		const char *status = fw_member_status_name(m->status);
		rule(&st, true, FW_POLICY_RULE_STATUS, status, 0, "member is ", status, ": nothing is released",
		     (const char *)NULL);
		finish(&st);
		return;
	}
	size_t tlen = strnlen(m->tier, sizeof m->tier);
	if (tlen >= sizeof tier)
		tlen = sizeof tier - 1;
	memcpy(tier, m->tier, tlen);
	tier[tlen] = '\0';
	struct pick g = best_grant(p, tier_of(p, tier), kind);
	if (g.grant) {
		st.granted = true;
		st.offset = g.grant->offset;
		rule(&st, true, g.block->is_public ? FW_POLICY_RULE_PUBLIC : FW_POLICY_RULE_GRANT,
		     g.block->is_public ? "public" : g.block->name, g.grant->line, "grants ", fw_kind_name(kind), " at ",
		     g.grant->when, (const char *)NULL);
	} else {
		rule(&st, true, FW_POLICY_RULE_DEFAULT, "", 0, "no rule grants ", fw_kind_name(kind), " to tier ",
		     tier[0] ? tier : "(none)", " (default deny)", (const char *)NULL);
	}
	if (p->nrestr > 0) {
		struct fw_policy_subject s = {m, a ? a : &no_advisory, kind, 0, 0};
		double score = s.a->cvss_score; /* NaN and out of range are clamped */
		s.cvss10 = !(score > 0) ? 0 : !(score < 10) ? 100 : (int)(score * 10.0 + 0.5);
		s.severity = (int)fw_cvss_severity(s.cvss10 / 10.0);
		apply_restrictions(p, &s, &st);
	}
	finish(&st);
}
