#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `live`'s interval output, written by a thread of its own: the capture thread hands each
/// rendered interval over and goes back to the ring at once. A reader of standard output that is
/// slow (or stopped) then costs interval lines, never packets (written on the capture thread, up
/// to ≈ 1 MB per line, they made the kernel drop 57–89 % of the packets).
///
/// The queue is bounded (`maxBytes`): when it is full, a JSON line is dropped and counted; a table
/// frame replaces the frames still waiting (only the newest matters on a terminal), and those are
/// counted too. A write that fails is kept (`error`) and everything after it is discarded; the
/// capture loop stops on it at its next tick.
public final class QueuedOutput: @unchecked Sendable {
    // Every `var` below is read and written only with `lock` held.
    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    private let changed: UnsafeMutablePointer<pthread_cond_t>
    private var queue: [[UInt8]] = []
    private var queuedBytes = 0
    private var closing = false
    private var failure: OutputError?
    private var droppedCount = 0
    private var thread: pthread_t?

    public let fd: Int32
    let path: String
    public let maxBytes: Int

    /// Starts the writer thread for `fd` (standard output by default).
    public init(fd: Int32 = STDOUT_FILENO, maxBytes: Int = 4 << 20) {
        self.fd = fd
        self.maxBytes = maxBytes
        path = fd == 1 ? "standard output" : "descriptor \(fd)"
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_mutex_t())
        pthread_mutex_init(lock, nil)
        changed = .allocate(capacity: 1)
        changed.initialize(to: pthread_cond_t())
        pthread_cond_init(changed, nil)
        var t = pthread_t()
        let me = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&t, nil, { context in
            let q = Unmanaged<QueuedOutput>.fromOpaque(context!).takeRetainedValue()
            q.run()
            return nil
        }, me)
        if status == 0 {
            thread = t
        } else {
            Unmanaged<QueuedOutput>.fromOpaque(me).release()
            failure = OutputError(path: path, message: "cannot start the writer thread: \(String(cString: strerror(status)))")
        }
    }

    deinit {
        pthread_cond_destroy(changed)
        changed.deallocate()
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// Hands `bytes` to the writer; never blocks on the output. `replacingPending`: a frame that
    /// makes the ones still waiting useless (the live table). Returns false when it was dropped.
    @discardableResult
    public func enqueue(_ bytes: [UInt8], replacingPending: Bool = false) -> Bool {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        guard failure == nil, !closing else { return false }
        if replacingPending && !queue.isEmpty {
            droppedCount += queue.count
            queue.removeAll()
            queuedBytes = 0
        }
        // Always room for one (a line larger than the bound is written when the queue is empty).
        if !queue.isEmpty && queuedBytes + bytes.count > maxBytes {
            droppedCount += 1
            return false
        }
        queue.append(bytes)
        queuedBytes += bytes.count
        pthread_cond_broadcast(changed)
        return true
    }

    /// The first write that failed, if one did.
    public var error: OutputError? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return failure
    }

    /// Lines or frames dropped (the queue was full) or replaced by a newer frame so far.
    public var dropped: Int {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return droppedCount
    }

    /// Bytes waiting to be written (not counting the chunk being written).
    public var pending: Int {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return queuedBytes
    }

    /// Waits until everything queued is written (or a write failed), then ends the thread. Later
    /// output (the final report) goes straight to the descriptor. Returns the write failure.
    @discardableResult
    public func finish() -> OutputError? {
        pthread_mutex_lock(lock)
        closing = true
        pthread_cond_broadcast(changed)
        let t = thread
        thread = nil
        pthread_mutex_unlock(lock)
        if let t { pthread_join(t, nil) }
        return error
    }

    /// The writer thread: takes the oldest chunk and writes it, blocking as long as the reader
    /// makes it.
    private func run() {
        pthread_mutex_lock(lock)
        while true {
            while queue.isEmpty && !closing { pthread_cond_wait(changed, lock) }
            if queue.isEmpty { break }
            let chunk = queue.removeFirst()
            queuedBytes -= chunk.count
            pthread_mutex_unlock(lock)
            let problem = writeAll(chunk)
            pthread_mutex_lock(lock)
            if let problem {
                failure = problem
                queue.removeAll()
                queuedBytes = 0
                break
            }
        }
        pthread_mutex_unlock(lock)
    }

    private func writeAll(_ chunk: [UInt8]) -> OutputError? {
        var off = 0
        while off < chunk.count {
            let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                return OutputError(path: path, message: String(cString: strerror(errno)))
            }
            off += n
        }
        return nil
    }
}
