#ifndef PORTOLAN_STOP_H
#define PORTOLAN_STOP_H

#include <signal.h>

/* `analyze` on SIGINT, SIGTERM and SIGHUP: the handler only counts the signal and notes which
   one (async-signal-safe); the packet loop reads the count every 64 packets, a plain load (the
   `volatile` makes the compiler load it each time instead of hoisting it out of the loop, which
   Swift, which drops `volatile` on imported globals, could not promise). */
extern volatile sig_atomic_t portolan_stop_count;
extern volatile sig_atomic_t portolan_stop_signo;

/* Signals received since `portolan_stop_install` (0: none). */
static inline int portolan_stop_signals(void) { return portolan_stop_count; }
/* The last signal received (0: none). */
static inline int portolan_stop_last(void) { return portolan_stop_signo; }

/* Installs the counting handler for SIGINT, SIGTERM and SIGHUP and unblocks them; 0 on success. */
int portolan_stop_install(void);
/* Back to the default actions and a zero count (tests, and the end of a run). */
void portolan_stop_uninstall(void);
/* Counts a signal as the handler would (tests: a stop without a signal). */
void portolan_stop_raise(int signo);

#endif
