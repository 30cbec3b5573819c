#include "base/time.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAX_SPAN (100LL * 366 * 86400)

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static int month_days(int y, int m)
{
	static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : md[m - 1];
}

enum fw_err fw_time_parse(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, se;
	if (!s || strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &se))
		goto bad;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 || mi > 59 || se > 60)
		goto bad;
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p))
			p++;
	}
	int64_t off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
			goto bad;
		off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		goto bad;
	}
	if (*p)
		goto bad;
	if (se == 60)
		se = 59; /* a leap second is the last second of its minute */
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - off;
	return FW_OK;
bad:
	return fw_err_set(FW_ERR_INVALID, "not an RFC 3339 time (want e.g. 2025-07-08T17:00:00Z)");
}

void fw_time_format(int64_t t, char out[FW_TIME_BYTES])
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400;
	/* civil_from_days */
	int64_t z = days + 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	const unsigned d = doy - (153 * mp + 2) / 5 + 1;
	const unsigned m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y < 0 || y > 9999)
		y = y < 0 ? 0 : 9999; /* out of range; callers validate before */
	snprintf(out, FW_TIME_BYTES, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)y % 10000u, m % 100u,
		 d % 100u, (unsigned)(secs / 3600) % 100u, (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
}

enum fw_err fw_duration_parse(const char *s, int64_t *out)
{
	if (!s)
		goto bad;
	int sign = 1;
	if (*s == '-' || *s == '+') {
		sign = *s == '-' ? -1 : 1;
		s++;
	}
	if (!*s)
		goto bad;
	int64_t total = 0;
	while (*s) {
		if (!isdigit((unsigned char)*s))
			goto bad;
		int64_t v = 0;
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s++ - '0');
			if (v > MAX_SPAN)
				goto bad;
		}
		int64_t unit;
		switch (*s++) {
		case 'w': unit = 7 * 86400; break;
		case 'd': unit = 86400; break;
		case 'h': unit = 3600; break;
		case 'm': unit = 60; break;
		case 's': unit = 1; break;
		default: goto bad;
		}
		if (v > MAX_SPAN / unit)
			goto bad;
		total += v * unit;
		if (total > MAX_SPAN)
			goto bad;
	}
	*out = sign * total;
	return FW_OK;
bad:
	return fw_err_set(FW_ERR_INVALID, "not a duration (want e.g. 14d, -5d, 12h30m, 90s)");
}

void fw_duration_format(int64_t seconds, char out[FW_TIME_BYTES])
{
	if (seconds == 0) {
		snprintf(out, FW_TIME_BYTES, "0s");
		return;
	}
	size_t n = 0;
	if (seconds < 0) {
		out[n++] = '-';
		seconds = -seconds;
	}
	static const struct { int64_t secs; char unit; } units[] = {
		{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
	for (unsigned i = 0; i < 4; i++) {
		if (seconds >= units[i].secs) {
			int w = snprintf(out + n, FW_TIME_BYTES - n, "%lld%c",
					 (long long)(seconds / units[i].secs), units[i].unit);
			n += (size_t)w;
			seconds %= units[i].secs;
		}
	}
	out[n] = '\0';
}
