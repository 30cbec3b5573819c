/* The scheduler thread: sleeps until the next due time, or until woken. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/time.h"
#include "release/internal.h"

enum fw_err fw_release_new(const struct fw_release_config *cfg, struct fw_release **out)
{
	struct fw_release *r = calloc(1, sizeof *r);
	if (!r)
		return FW_ERR_NOMEM;
	r->store = cfg->store;
	r->sign_key = cfg->sign_key;
	memcpy(r->master_key, cfg->master_key, FW_CRYPTO_KEY_BYTES);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	r->workers = cfg->workers ? cfg->workers : (cpus > 0 ? (size_t)cpus : 1);
	r->claim_lease_s = cfg->claim_lease_s > 0 ? cfg->claim_lease_s : FW_STORE_CLAIM_LEASE_S;
	if (r->workers > 8)
		r->workers = 8;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	*out = r;
	return FW_OK;
}

/* This node's scheduler only. */
static void wake_local(struct fw_release *r)
{
	pthread_mutex_lock(&r->lock);
	r->wake = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

void fw_release_wake(struct fw_release *r)
{
	wake_local(r);
	/* Other nodes would otherwise act only at their next timer. A failure
	 * costs them that delay, not correctness. */
	enum fw_err e = fw_store_notify(r->store, FW_STORE_CHANNEL_RELEASE);
	if (e != FW_OK)
		fw_log_warn("release", "cannot wake the other nodes: %s %s", fw_strerror(e), fw_err_detail());
}

/* A simulated clock is this process's own: nobody else to wake. */
static void wake_on_clock(void *arg) { wake_local(arg); }
/* Another node changed release work (from the store's listener thread). */
static void wake_on_notify(void *arg) { wake_local(arg); }

/* With other nodes' claims alive (their batch in hand, or left behind by a
 * node that died), look again when the first expires: then it is taken
 * over. */
static int64_t claim_sleep(struct fw_release *r, int64_t secs)
{
	int64_t wait = 0;
	enum fw_err e = fw_store_claim_wait(r->store, &wait);
	if (e != FW_OK) {
		fw_log_warn("release", "cannot read other nodes' claims: %s", fw_strerror(e));
		return secs < 5 ? secs : 5;
	}
	return wait > 0 && wait < secs ? wait : secs;
}

/* How long to sleep: until the next due time on the real clock; on a
 * simulated clock time only moves when someone moves it (which wakes us), so
 * sleep the maximum. */
static int64_t sleep_seconds(int64_t now, int64_t next)
{
	if (fw_clock_is_simulated() || next == 0)
		return FW_RELEASE_MAX_SLEEP_S;
	int64_t s = next - now;
	if (s < 0)
		s = 0;
	return s > FW_RELEASE_MAX_SLEEP_S ? FW_RELEASE_MAX_SLEEP_S : s;
}

static void *run(void *arg)
{
	struct fw_release *r = arg;
	fw_log_set_request("scheduler");
	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		r->wake = false;
		pthread_mutex_unlock(&r->lock);

		int64_t now = fw_clock_now(), next = 0;
		size_t n = 0;
		enum fw_err e = fw_release_run_due(r, now, &n);
		if (e == FW_OK)
			e = fw_store_next_wakeup(r->store, now, &next);
		if (e != FW_OK)
			fw_log_error("release", "scheduler pass failed: %s %s", fw_strerror(e), fw_err_detail());
		if (n)
			fw_log_info("release", "scheduler pass delivered %zu copies", n);
		int64_t secs = e == FW_OK ? claim_sleep(r, sleep_seconds(now, next)) : 5;
		if (next) {
			char when[FW_TIME_BYTES];
			fw_time_format(next, when);
			fw_log_debug("release", "next release at %s", when);
		}

		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += (time_t)secs;
		pthread_mutex_lock(&r->lock);
		while (!r->wake && !r->stop) {
			if (pthread_cond_timedwait(&r->cond, &r->lock, &until) == ETIMEDOUT)
				break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

enum fw_err fw_release_start(struct fw_release *r)
{
	enum fw_err e;
	if ((e = fw_clock_listen(wake_on_clock, r)) != FW_OK)
		return e;
	if ((e = fw_store_listen(r->store, FW_STORE_CHANNEL_RELEASE, wake_on_notify, r, &r->listener)) != FW_OK)
		return e;
	if (pthread_create(&r->thread, NULL, run, r) != 0)
		return fw_err_set(FW_ERR_INTERNAL, "cannot start the scheduler thread");
	r->running = true;
	return FW_OK;
}

void fw_release_free(struct fw_release *r)
{
	if (!r)
		return;
	fw_store_listener_free(r->listener); /* no wake-up after this */
	r->listener = NULL;
	if (r->running) {
		pthread_mutex_lock(&r->lock);
		r->stop = true;
		pthread_cond_signal(&r->cond);
		pthread_mutex_unlock(&r->lock);
		pthread_join(r->thread, NULL);
	}
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	fw_crypto_wipe(r->master_key, sizeof r->master_key);
	free(r);
}
