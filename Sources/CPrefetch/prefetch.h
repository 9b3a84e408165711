#ifndef PORTOLAN_PREFETCH_H
#define PORTOLAN_PREFETCH_H

/* CaptureReader: hint the record a few packets ahead into the cache (no fault, no effect on
   correctness; Swift has no prefetch intrinsic). */
static inline void portolan_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif
