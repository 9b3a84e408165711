// SIGINT / SIGTERM as something `poll` can wait on (the self-pipe trick), so a capture loop
// blocked on a silent interface wakes up and stops cleanly.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Write end of the self-pipe, read by the signal handler (set before the handler is installed).
nonisolated(unsafe) private var signalPipeWrite: Int32 = -1

/// Async-signal-safe: one write(2) of the signal number.
private let stopHandler: @convention(c) (Int32) -> Void = { signo in
    var byte = UInt8(truncatingIfNeeded: signo)
    _ = write(signalPipeWrite, &byte, 1)
}

/// Catches SIGINT, SIGTERM and SIGHUP (a closed terminal) and exposes them as a pollable fd. Install once, before capturing;
/// a signal asks the loop to stop; `restoreDefaults()` afterwards lets the next one terminate.
public struct StopSignal: Sendable {
    /// Read end of the pipe: readable once a signal arrived.
    public let fd: Int32

    /// Creates the pipe and installs the handlers (`sigaction`).
    public static func install() throws(PcapError) -> StopSignal {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) != 0 {
            throw PcapError(kind: .other, call: "pipe", device: nil, message: String(cString: strerror(errno)), status: errno)
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        signalPipeWrite = fds[1]
        for signo in [SIGINT, SIGTERM, SIGHUP] {
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = stopHandler
            #else
            action.__sigaction_u.__sa_handler = stopHandler
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0  // no SA_RESTART: poll returns EINTR, then sees the pipe
            sigaction(signo, &action, nil)
        }
        // A parent may have started us with these signals blocked (some process launchers do);
        // a blocked SIGINT would never reach the handler.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        sigaddset(&unblock, SIGHUP)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        return StopSignal(fd: fds[0])
    }

    /// Puts SIGINT, SIGTERM and SIGHUP back to their default action (terminate). Called once the capture
    /// loop has stopped: a second Ctrl-C during a long final report then ends the process.
    public func restoreDefaults() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        signal(SIGHUP, SIG_DFL)
    }

    /// The signal that arrived (SIGINT/SIGTERM/SIGHUP), or nil; does not block.
    public func pending() -> Int32? {
        var byte: UInt8 = 0
        let n = read(fd, &byte, 1)
        return n == 1 ? Int32(byte) : nil
    }
}
