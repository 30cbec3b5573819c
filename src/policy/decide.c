/* Decisions: which grant, if any, releases a kind to a member, and when. */
#include <stdio.h>
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

/* Sets a withheld decision; the caller writes the reason. */
static char *withhold(struct fw_policy_decision *out)
{
	out->withheld = true;
	out->offset = 0;
	out->line = 0;
	return out->reason;
}

void fw_policy_decide(const struct fw_policy *p, const struct fw_member *m, const struct fw_advisory *a,
		      enum fw_kind kind, struct fw_policy_decision *out)
{
	(void)a; /* advisory attributes come with restrictions, in the next version */
	if (!out)
		return;
	if (!p || !m) {
		snprintf(withhold(out), sizeof out->reason, "no policy or no member (default deny)");
		return;
	}
	if ((int)kind < 0 || kind >= FW_KIND_COUNT) {
		snprintf(withhold(out), sizeof out->reason, "unknown artifact kind (default deny)");
		return;
	}
	/* Status first: a sanction overrides every grant. */
	if (m->status == FW_MEMBER_SUSPENDED || m->status == FW_MEMBER_EXPELLED) {
		snprintf(withhold(out), sizeof out->reason, "member is %s: nothing is released",
			 fw_member_status_name(m->status));
		return;
	}
	char tier[FW_MODEL_ID_BYTES];
	snprintf(tier, sizeof tier, "%.*s", (int)strnlen(m->tier, sizeof m->tier), m->tier);

	/* The earliest grant of the member's tier block and the public block;
	 * on a tie the tier's own rule is named, being the more specific. */
	const struct fw_policy_block *cand[2] = {tier_of(p, tier), p->has_public ? &p->pub : NULL};
	const struct fw_policy_block *win = NULL;
	const struct fw_policy_grant *g = NULL;
	for (int i = 0; i < 2; i++) {
		if (!cand[i] || cand[i]->best[kind] < 0)
			continue;
		const struct fw_policy_grant *cg = &cand[i]->grants[cand[i]->best[kind]];
		if (!g || cg->offset < g->offset) {
			g = cg;
			win = cand[i];
		}
	}
	if (!g) {
		snprintf(withhold(out), sizeof out->reason, "no rule grants %s to tier %s (default deny)",
			 fw_kind_name(kind), tier[0] ? tier : "(none)");
		return;
	}
	char when[32];
	fw_policy_format_time(g->offset, when, sizeof when);
	out->withheld = false;
	out->offset = g->offset;
	out->line = g->line;
	if (win->is_public)
		snprintf(out->reason, sizeof out->reason, "public grants %s at %s (line %d)", fw_kind_name(kind),
			 when, g->line);
	else
		snprintf(out->reason, sizeof out->reason, "tier %s grants %s at %s (line %d)", win->name,
			 fw_kind_name(kind), when, g->line);
}
