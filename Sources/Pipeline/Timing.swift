#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seconds on a clock: monotonic wall time by default, a thread's CPU time with
/// `CLOCK_THREAD_CPUTIME_ID` (progress bar, `bench` stages, byte ranges).
public enum Timing {
    public static func now(_ id: clockid_t = CLOCK_MONOTONIC) -> Double {
        var t = timespec()
        clock_gettime(id, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    public static func seconds(since t0: Double, _ id: clockid_t = CLOCK_MONOTONIC) -> Double { now(id) - t0 }
}
