#include "base/clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static atomic_bool simulated;
static atomic_llong sim_now;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	void (*fn)(void *);
	void *arg;
} listeners[FW_CLOCK_MAX_LISTENERS];
static unsigned nlisteners;

int64_t fw_clock_now(void)
{
	if (atomic_load(&simulated))
		return (int64_t)atomic_load(&sim_now);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

void fw_clock_simulate(int64_t t)
{
	atomic_store(&sim_now, t);
	atomic_store(&simulated, true);
}

bool fw_clock_is_simulated(void) { return atomic_load(&simulated); }

static void notify(void)
{
	pthread_mutex_lock(&lock);
	unsigned n = nlisteners;
	pthread_mutex_unlock(&lock);
	for (unsigned i = 0; i < n; i++)
		listeners[i].fn(listeners[i].arg);
}

enum fw_err fw_clock_set(int64_t t)
{
	if (!fw_clock_is_simulated())
		return fw_err_set(FW_ERR_STATE, "the clock can only be changed on a server started with --simulated-clock");
	pthread_mutex_lock(&lock);
	if (t < (int64_t)atomic_load(&sim_now)) {
		pthread_mutex_unlock(&lock);
		return fw_err_set(FW_ERR_INVALID, "the simulated clock only moves forward");
	}
	atomic_store(&sim_now, t);
	pthread_mutex_unlock(&lock);
	notify();
	return FW_OK;
}

enum fw_err fw_clock_advance(int64_t seconds)
{
	if (seconds < 0)
		return fw_err_set(FW_ERR_INVALID, "the simulated clock only moves forward");
	return fw_clock_set(fw_clock_now() + seconds);
}

enum fw_err fw_clock_listen(void (*fn)(void *), void *arg)
{
	pthread_mutex_lock(&lock);
	if (nlisteners == FW_CLOCK_MAX_LISTENERS) {
		pthread_mutex_unlock(&lock);
		return FW_ERR_TOO_LARGE;
	}
	listeners[nlisteners].fn = fn;
	listeners[nlisteners].arg = arg;
	nlisteners++;
	pthread_mutex_unlock(&lock);
	return FW_OK;
}
