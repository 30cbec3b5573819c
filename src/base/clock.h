/* The one clock. Time is UTC seconds since the epoch.
 *
 * A process runs either on the real clock or, for tests and demos, on a
 * simulated clock that stands still until fw_clock_set() or fw_clock_advance()
 * moves it. Moving a real clock is refused. Listeners (the scheduler) are told
 * at once when simulated time moves. Thread-safe. */
#ifndef FW_BASE_CLOCK_H
#define FW_BASE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

#define FW_CLOCK_MAX_LISTENERS 4

int64_t fw_clock_now(void);
/* Switches the process to a simulated clock standing at t. */
void fw_clock_simulate(int64_t t);
bool fw_clock_is_simulated(void);
/* FW_ERR_STATE unless simulated; FW_ERR_INVALID to move backwards. */
enum fw_err fw_clock_set(int64_t t) FW_WUR;
enum fw_err fw_clock_advance(int64_t seconds) FW_WUR;
/* fn(arg) is called (from the thread that moved the clock) after each move. */
enum fw_err fw_clock_listen(void (*fn)(void *), void *arg) FW_WUR;

#endif
