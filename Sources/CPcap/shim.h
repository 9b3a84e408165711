#ifndef PORTOLAN_CPCAP_SHIM_H
#define PORTOLAN_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
