/* Decisions for people (explain) and the max_embargo bound. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/time.h"
#include "policy/internal.h"

/* A bounded writer that, like snprintf, counts what did not fit. */
struct writer {
	char *out;
	size_t size, len;
};

static void put(struct writer *w, const char *fmt, ...) FW_PRINTF(2, 3);

static void put(struct writer *w, const char *fmt, ...)
{
	va_list ap;
	size_t room = w->len < w->size ? w->size - w->len : 0;
	va_start(ap, fmt);
	int n = vsnprintf(room ? w->out + w->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->len += (size_t)n;
}

static void put_rule(struct writer *w, const struct fw_policy_rule_ref *r)
{
	const char *decides = r->decisive ? " (decides)" : "";
	switch (r->kind) {
	case FW_POLICY_RULE_GRANT: put(w, "  line %d: tier %s %s%s\n", r->line, r->name, r->effect, decides); break;
	case FW_POLICY_RULE_PUBLIC: put(w, "  line %d: public %s%s\n", r->line, r->effect, decides); break;
	case FW_POLICY_RULE_WITHHOLD:
	case FW_POLICY_RULE_DELAY:
	case FW_POLICY_RULE_CAP:
		put(w, "  line %d: restriction %s %s%s\n", r->line, r->name, r->effect, decides);
		break;
	case FW_POLICY_RULE_STATUS:
	case FW_POLICY_RULE_DEFAULT: put(w, "  %s%s\n", r->effect, decides); break;
	}
}

size_t fw_policy_explain_format(const struct fw_policy_decision *d, enum fw_kind kind, int64_t public_at,
				char *out, size_t out_bytes)
{
	struct writer w = {out, out ? out_bytes : 0, 0};
	char when[32], at[FW_TIME_BYTES];
	if (w.size)
		out[0] = '\0';
	if (!d)
		return 0;
	const char *kn = (int)kind >= 0 && kind < FW_KIND_COUNT ? fw_kind_name(kind) : "?";
	if (d->withheld) {
		put(&w, "%s: withheld\n", kn);
	} else {
		fw_policy_format_time(d->offset, when, sizeof when);
		if (public_at != 0) {
			fw_time_format(public_at + d->offset, at);
			put(&w, "%s: release at %s (%s)\n", kn, at, when);
		} else {
			put(&w, "%s: release at %s\n", kn, when);
		}
	}
	size_t n = d->nrules < FW_POLICY_MAX_EXPLAIN ? d->nrules : FW_POLICY_MAX_EXPLAIN;
	for (size_t i = 0; i < n; i++)
		put_rule(&w, &d->rules[i]);
	if (d->rules_omitted)
		put(&w, "  (%zu more %s not shown)\n", d->rules_omitted, d->rules_omitted == 1 ? "rule" : "rules");
	return w.len;
}

int64_t fw_policy_max_embargo(const struct fw_policy *p)
{
	return p ? p->max_embargo : FW_POLICY_DEFAULT_MAX_EMBARGO;
}

int fw_policy_max_embargo_line(const struct fw_policy *p) { return p ? p->max_embargo_line : 0; }

enum fw_err fw_policy_check_embargo(const struct fw_policy *p, const struct fw_member *m, enum fw_kind kind,
				    const struct fw_policy_decision *d)
{
	if (!d)
		return fw_err_set(FW_ERR_INVALID, "fw_policy_check_embargo: no decision");
	int64_t max = fw_policy_max_embargo(p);
	if (d->withheld || d->offset >= -max)
		return FW_OK;
	char when[32], dur[FW_TIME_BYTES], where[32];
	fw_policy_format_time(d->offset, when, sizeof when);
	fw_duration_format(max, dur);
	if (fw_policy_max_embargo_line(p))
		snprintf(where, sizeof where, " (line %d)", fw_policy_max_embargo_line(p));
	else
		snprintf(where, sizeof where, " (the default)");
	return fw_err_set(FW_ERR_INVALID, "member %.*s would get %s at %s, more than max_embargo %s%s before T: %s",
			  m ? (int)strnlen(m->id, sizeof m->id) : 1, m ? m->id : "?",
			  (int)kind >= 0 && kind < FW_KIND_COUNT ? fw_kind_name(kind) : "?", when, dur, where,
			  d->reason);
}
