/* Diagnostics of the policy parser: a bounded sink and their printed form. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/time.h"
#include "policy/internal.h"

void fw_policy_sink_init(struct fw_policy_sink *s, struct fw_policy_diags *d)
{
	memset(s, 0, sizeof *s);
	s->d = d;
	d->n = 0;
}

static void note_dropped(struct fw_policy_sink *s, int line, int col, bool warning)
{
	if (s->dropped == 0) {
		s->dropped_line = line;
		s->dropped_col = col;
	}
	s->dropped++;
	if (!warning)
		s->dropped_errors++;
}

void fw_policy_diag_add(struct fw_policy_sink *s, bool warning, int line, int col, const char *fmt, ...)
{
	if (!warning)
		s->nerrors++;
	/* One slot stays free for the "not shown" note of fw_policy_sink_finish.
	 * When full, an error pushes out the latest warning: a policy with
	 * hundreds of repeated grants must still show why it was refused. */
	if (s->d->n + 1 >= FW_POLICY_MAX_DIAGS) {
		size_t victim = s->d->n;
		while (!warning && victim > 0 && !s->d->d[victim - 1].warning)
			victim--;
		if (!warning && victim > 0) {
			struct fw_policy_diag *v = &s->d->d[victim - 1];
			note_dropped(s, v->line, v->col, true);
			memmove(v, v + 1, (s->d->n - victim) * sizeof *v);
			s->d->n--;
		} else {
			note_dropped(s, line, col, warning);
			return;
		}
	}
	struct fw_policy_diag *d = &s->d->d[s->d->n++];
	d->line = line;
	d->col = col;
	d->warning = warning;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->message, sizeof d->message, fmt, ap);
	va_end(ap);
}

/* Diagnostics come from several passes (parsing, then names and types,
 * then warnings over the whole policy); people read them by position. A
 * stable insertion sort: at most FW_POLICY_MAX_DIAGS of them. */
static void sort_by_position(struct fw_policy_diags *d)
{
	for (size_t i = 1; i < d->n; i++) {
		struct fw_policy_diag x = d->d[i];
		size_t j = i;
		while (j > 0 && (d->d[j - 1].line > x.line || (d->d[j - 1].line == x.line && d->d[j - 1].col > x.col))) {
			d->d[j] = d->d[j - 1];
			j--;
		}
		d->d[j] = x;
	}
}

void fw_policy_sink_finish(struct fw_policy_sink *s)
{
	sort_by_position(s->d);
	if (s->dropped == 0)
		return;
	struct fw_policy_diag *d = &s->d->d[s->d->n++];
	d->line = s->dropped_line;
	d->col = s->dropped_col;
	d->warning = s->dropped_errors == 0;
	snprintf(d->message, sizeof d->message, "%zu more %s (%zu %s) not shown", s->dropped,
		 s->dropped == 1 ? "diagnostic" : "diagnostics", s->dropped_errors,
		 s->dropped_errors == 1 ? "error" : "errors");
}

void fw_policy_diag_format(const struct fw_policy_diag *d, char *out, size_t out_bytes)
{
	if (!out || out_bytes == 0)
		return;
	if (!d) {
		out[0] = '\0';
		return;
	}
	snprintf(out, out_bytes, "line %d:%d: %s%s", d->line, d->col, d->warning ? "warning: " : "",
		 d->message);
}

void fw_policy_format_time(int64_t offset, char *out, size_t out_bytes)
{
	char dur[FW_TIME_BYTES];
	if (offset == 0) {
		snprintf(out, out_bytes, "T");
		return;
	}
	fw_duration_format(offset, dur); /* "-14d" carries its sign, "1d" not */
	snprintf(out, out_bytes, "T%s%s", offset > 0 ? "+" : "", dur);
}
