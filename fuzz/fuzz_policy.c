/* libFuzzer target for the policy parser: any bytes must parse or be
 * refused with diagnostics, never crash, leak or read out of bounds; and a
 * policy that parses must decide for any member, advisory and kind, with an
 * explanation that is consistent with the decision. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_diags(const struct fw_policy_diags *d)
{
	if (d->n > FW_POLICY_MAX_DIAGS)
		abort();
	for (size_t i = 0; i < d->n; i++) {
		const struct fw_policy_diag *g = &d->d[i];
		if (g->line < 1 || g->col < 1 || memchr(g->message, '\0', sizeof g->message) == NULL)
			abort();
	}
}

static void set_tags(struct fw_tags *t, const char *a, const char *b)
{
	memset(t, 0, sizeof *t);
	if (a)
		snprintf(t->v[t->n++], sizeof t->v[0], "%s", a);
	if (b)
		snprintf(t->v[t->n++], sizeof t->v[0], "%s", b);
}

/* The rules of a decision agree with it: one decisive rule, the line and
 * the withheld flag those of that rule. */
static void check_decision(const struct fw_policy *p, const struct fw_member *m, enum fw_kind k,
			   const struct fw_policy_decision *dec)
{
	if (memchr(dec->reason, '\0', sizeof dec->reason) == NULL)
		abort();
	/* Grants and delays are bounded to a year around T. */
	if (!dec->withheld && (dec->offset < -365LL * 86400 || dec->offset > 365LL * 86400))
		abort();
	if (dec->nrules < 1 || dec->nrules > FW_POLICY_MAX_EXPLAIN)
		abort();
	const struct fw_policy_rule_ref *decisive = NULL;
	for (size_t i = 0; i < dec->nrules; i++) {
		const struct fw_policy_rule_ref *r = &dec->rules[i];
		if (memchr(r->name, '\0', sizeof r->name) == NULL || memchr(r->effect, '\0', sizeof r->effect) == NULL)
			abort();
		if (r->decisive) {
			if (decisive)
				abort();
			decisive = r;
		}
	}
	if (!decisive || decisive->line != dec->line)
		abort();
	switch (decisive->kind) {
	case FW_POLICY_RULE_WITHHOLD:
	case FW_POLICY_RULE_STATUS:
	case FW_POLICY_RULE_DEFAULT:
		if (!dec->withheld)
			abort();
		break;
	case FW_POLICY_RULE_GRANT:
	case FW_POLICY_RULE_PUBLIC:
	case FW_POLICY_RULE_DELAY:
		if (dec->withheld)
			abort();
		break;
	case FW_POLICY_RULE_CAP: break;
	}
	if ((decisive->kind == FW_POLICY_RULE_STATUS || decisive->kind == FW_POLICY_RULE_DEFAULT) != (dec->line == 0))
		abort();
	if ((m->status == FW_MEMBER_SUSPENDED || m->status == FW_MEMBER_EXPELLED) && !dec->withheld)
		abort();
	char text[2048];
	size_t need = fw_policy_explain_format(dec, k, 1751994000, text, sizeof text);
	if (need < sizeof text && strlen(text) != need)
		abort();
	(void)fw_policy_check_embargo(p, m, k, dec);
}

static void decide_all(const struct fw_policy *p)
{
	static const char *const tiers[] = {"validate", "ans", "entry", "a", "", "no-such-tier"};
	static const char *const jurs[] = {"CN", "DE", "", "RU"};
	static const enum fw_member_status statuses[] = {FW_MEMBER_ACTIVE, FW_MEMBER_PROBATION,
							 FW_MEMBER_SUSPENDED, FW_MEMBER_EXPELLED};
	static const double scores[] = {0.0, 5.0, 9.8};
	struct fw_advisory a;
	memset(&a, 0, sizeof a);
	snprintf(a.id, sizeof a.id, "adv-1");
	a.ncves = 1;
	snprintf(a.cves[0], sizeof a.cves[0], "CVE-2025-53770");
	a.nproducts = 1;
	snprintf(a.products[0], sizeof a.products[0], "SharePoint Server 2019");
	for (size_t t = 0; t < sizeof tiers / sizeof tiers[0]; t++) {
		struct fw_member m;
		memset(&m, 0, sizeof m);
		snprintf(m.id, sizeof m.id, "m-%zu", t);
		snprintf(m.tier, sizeof m.tier, "%s", tiers[t]);
		snprintf(m.jurisdiction, sizeof m.jurisdiction, "%s", jurs[t % 4]);
		m.status = statuses[t % 4];
		set_tags(&m.tags, t % 2 ? "vip" : NULL, "x");
		a.cvss_score = scores[t % 3];
		set_tags(&a.tags, t % 3 ? "sensitive" : NULL, NULL);
		(void)fw_policy_has_tier(p, tiers[t]);
		for (int k = 0; k < FW_KIND_COUNT; k++) {
			struct fw_policy_decision dec;
			fw_policy_decide(p, &m, t == 5 ? NULL : &a, (enum fw_kind)k, &dec);
			check_decision(p, &m, (enum fw_kind)k, &dec);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so that ASan catches a read past the end
	 * (the text is not NUL-terminated). */
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	struct fw_policy *p = NULL;
	struct fw_policy_diags d;
	enum fw_err r = fw_policy_parse(text, size, &p, &d);
	check_diags(&d);
	if ((r == FW_OK) != (p != NULL))
		abort();
	if (r == FW_OK) {
		if (fw_policy_max_embargo(p) < 0 || fw_policy_max_embargo(p) > 365LL * 86400)
			abort();
		decide_all(p);
	}
	fw_policy_free(p);
	free(text);
	return 0;
}
