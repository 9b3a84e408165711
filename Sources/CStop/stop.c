#include "stop.h"

#include <string.h>

volatile sig_atomic_t portolan_stop_count = 0;
volatile sig_atomic_t portolan_stop_signo = 0;

static void portolan_stop_handler(int signo) {
    portolan_stop_signo = signo;
    portolan_stop_count = portolan_stop_count + 1;
}

void portolan_stop_raise(int signo) { portolan_stop_handler(signo); }

int portolan_stop_install(void) {
    static const int signals[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = portolan_stop_handler;
    sigemptyset(&action.sa_mask);
    /* SA_RESTART: reads and writes of files go on; the loops poll the count. */
    action.sa_flags = SA_RESTART;
    sigset_t unblock;
    sigemptyset(&unblock);
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        if (sigaction(signals[i], &action, NULL) != 0) return -1;
        sigaddset(&unblock, signals[i]);
    }
    /* A parent may have started us with these signals blocked. */
    return sigprocmask(SIG_UNBLOCK, &unblock, NULL);
}

void portolan_stop_uninstall(void) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    portolan_stop_count = 0;
    portolan_stop_signo = 0;
}
