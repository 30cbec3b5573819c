/* CVSS v3.1 base scores, per FIRST's specification (section 7.1 for the
 * equations, 7.4 for the metric values, Appendix A for Roundup).
 *
 * Vectors come from people (advisory authors), so the parser is strict and
 * its errors say exactly what is wrong: a vector that scores differently from
 * what its author meant is worse than one that is refused. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/model.h"

/* Every metric a v3.x vector may carry, with its legal values. Base metrics
 * come first, in the specification's order, so that an index below NBASE is a
 * base metric. Temporal and environmental metrics are checked and ignored:
 * the program publishes base scores only. */
enum { AV, AC, PR, UI, S, C, I, A, NBASE = 8 };

static const struct metric {
	const char *name;
	const char *values; /* one letter each */
} metrics[] = {
	{"AV", "NALP"}, {"AC", "LH"},    {"PR", "NLH"},  {"UI", "NR"},   {"S", "UC"},
	{"C", "HLN"},   {"I", "HLN"},    {"A", "HLN"},   {"E", "XUPFH"}, {"RL", "XOTWU"},
	{"RC", "XURC"}, {"CR", "XLMH"},  {"IR", "XLMH"}, {"AR", "XLMH"}, {"MAV", "XNALP"},
	{"MAC", "XLH"}, {"MPR", "XNLH"}, {"MUI", "XNR"}, {"MS", "XUC"},  {"MC", "XNLH"},
	{"MI", "XNLH"}, {"MA", "XNLH"},
};
#define NMETRICS (sizeof metrics / sizeof metrics[0])

static int find_metric(const char *name, size_t n)
{
	for (size_t i = 0; i < NMETRICS; i++)
		if (strlen(metrics[i].name) == n && memcmp(metrics[i].name, name, n) == 0)
			return (int)i;
	return -1;
}

/* "N, A, L, P" for an error message. */
static void list_values(const char *values, char *out, size_t n)
{
	size_t w = 0;
	out[0] = '\0';
	for (const char *v = values; *v && w + 4 < n; v++) {
		if (v != values) {
			out[w++] = ',';
			out[w++] = ' ';
		}
		out[w++] = *v;
		out[w] = '\0';
	}
}

/* One "NAME:VALUE" component of length len at p; records the value in got. */
static enum fw_err parse_component(const char *p, size_t len, char got[NMETRICS])
{
	const char *colon = memchr(p, ':', len);
	if (!colon)
		return fw_err_set(FW_ERR_INVALID, "CVSS component \"%.*s\" is not METRIC:VALUE",
				  (int)(len > 32 ? 32 : len), p);
	size_t nlen = (size_t)(colon - p);
	const char *v = colon + 1;
	size_t vlen = len - nlen - 1;
	int m = find_metric(p, nlen);
	if (m < 0)
		return fw_err_set(FW_ERR_INVALID, "unknown CVSS v3 metric \"%.*s\"",
				  (int)(nlen > 16 ? 16 : nlen), p);
	if (got[m])
		return fw_err_set(FW_ERR_INVALID, "CVSS metric %s appears more than once",
				  metrics[m].name);
	if (vlen != 1 || !strchr(metrics[m].values, v[0])) {
		char allowed[32];
		list_values(metrics[m].values, allowed, sizeof allowed);
		return fw_err_set(FW_ERR_INVALID,
				  "invalid value \"%.*s\" for CVSS metric %s (one of %s)",
				  (int)(vlen > 16 ? 16 : vlen), v, metrics[m].name, allowed);
	}
	got[m] = v[0];
	return FW_OK;
}

static enum fw_err parse_vector(const char *vector, char got[NMETRICS])
{
	enum fw_err r;
	/* 3.0 vectors are still common in feeds; the 3.1 equations differ from
	 * 3.0 only in Roundup (and environmental scores), so they are scored the
	 * 3.1 way rather than refused. */
	if (!vector ||
	    (strncmp(vector, "CVSS:3.1/", 9) != 0 && strncmp(vector, "CVSS:3.0/", 9) != 0))
		return fw_err_set(FW_ERR_INVALID, "CVSS vector must start with \"CVSS:3.1/\"");
	const char *p = vector + 9;
	if (!*p)
		return fw_err_set(FW_ERR_INVALID, "CVSS vector has no metrics");
	for (;;) {
		size_t len = strcspn(p, "/");
		if (len == 0)
			return fw_err_set(FW_ERR_INVALID,
					  *p ? "CVSS vector has an empty component (\"//\")"
					     : "CVSS vector ends with '/'");
		if ((r = parse_component(p, len, got)) != FW_OK)
			return r;
		p += len;
		if (!*p)
			break;
		p++;
	}
	char missing[64] = "";
	for (int m = 0; m < NBASE; m++) {
		if (got[m])
			continue;
		size_t w = strlen(missing);
		snprintf(missing + w, sizeof missing - w, "%s%s", w ? ", " : "", metrics[m].name);
	}
	if (missing[0])
		return fw_err_set(FW_ERR_INVALID, "CVSS vector lacks base metric(s) %s", missing);
	return FW_OK;
}

double fw_cvss_roundup(double x)
{
	/* Appendix A: work in units of 1e-5 so that 4.000000000000001 (float
	 * noise around 4.0) rounds to 4.0, not 4.1. */
	long long i = llround(x * 100000.0);
	if (i % 10000 == 0)
		return (double)i / 100000.0;
	long long tenths = i >= 0 ? i / 10000 : -((-i + 9999) / 10000); /* floor */
	return (double)(tenths + 1) / 10.0;
}

static double weight_cia(char v) { return v == 'H' ? 0.56 : v == 'L' ? 0.22 : 0.0; }

static double weight_pr(char v, bool changed)
{
	/* Privileges weigh more when the impact crosses a scope boundary. */
	switch (v) {
	case 'N': return 0.85;
	case 'L': return changed ? 0.68 : 0.62;
	default: return changed ? 0.50 : 0.27;
	}
}

static double weight_av(char v)
{
	switch (v) {
	case 'N': return 0.85;
	case 'A': return 0.62;
	case 'L': return 0.55;
	default: return 0.2;
	}
}

enum fw_err fw_cvss31_base_score(const char *vector, double *score)
{
	char got[NMETRICS] = {0};
	enum fw_err r;
	if ((r = parse_vector(vector, got)) != FW_OK)
		return r;
	bool changed = got[S] == 'C';
	double iss = 1.0 - (1.0 - weight_cia(got[C])) * (1.0 - weight_cia(got[I])) *
				   (1.0 - weight_cia(got[A]));
	double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15) : 6.42 * iss;
	double exploitability = 8.22 * weight_av(got[AV]) * (got[AC] == 'L' ? 0.77 : 0.44) *
				weight_pr(got[PR], changed) * (got[UI] == 'N' ? 0.85 : 0.62);
	double base;
	if (impact <= 0)
		base = 0.0;
	else if (changed)
		base = fw_cvss_roundup(fmin(1.08 * (impact + exploitability), 10.0));
	else
		base = fw_cvss_roundup(fmin(impact + exploitability, 10.0));
	*score = base;
	return FW_OK;
}

enum fw_cvss_severity fw_cvss_severity(double score)
{
	/* Compare in tenths: scores are one-decimal numbers held in doubles. */
	long t = lround(score * 10.0);
	if (t <= 0)
		return FW_CVSS_NONE;
	if (t < 40)
		return FW_CVSS_LOW;
	if (t < 70)
		return FW_CVSS_MEDIUM;
	if (t < 90)
		return FW_CVSS_HIGH;
	return FW_CVSS_CRITICAL;
}

const char *fw_cvss_severity_name(enum fw_cvss_severity s)
{
	switch (s) {
	case FW_CVSS_NONE: return "none";
	case FW_CVSS_LOW: return "low";
	case FW_CVSS_MEDIUM: return "medium";
	case FW_CVSS_HIGH: return "high";
	case FW_CVSS_CRITICAL: return "critical";
	}
	return "unknown";
}
