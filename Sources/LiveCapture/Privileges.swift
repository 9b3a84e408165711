// Dropping root after the capture handle is open, as tcpdump -Z does.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why dropping privileges failed.
public struct PrivilegeError: Error, CustomStringConvertible, Sendable {
    public var call: String
    public var user: String
    public var message: String
    public var description: String { "cannot switch to user \"\(user)\": \(call): \(message)" }
}

public enum Privileges {
    /// `getpwnam` + `initgroups` (or `setgroups` to the user's primary group) + `setgid` + `setuid`.
    /// Order matters: supplementary groups and gid must change while we are still root.
    /// Afterwards the process cannot regain root (`setuid(0)` fails); that is checked.
    public static func drop(toUser user: String) throws(PrivilegeError) {
        guard let pw = getpwnam(user) else {
            throw PrivilegeError(call: "getpwnam", user: user, message: "no such user")
        }
        let uid = pw.pointee.pw_uid
        let gid = pw.pointee.pw_gid
        if initgroups(user, gid) != 0 {
            var groups = [gid]
            if setgroups(1, &groups) != 0 { throw error("setgroups", user) }
        }
        if setgid(gid) != 0 { throw error("setgid", user) }
        if setuid(uid) != 0 { throw error("setuid", user) }
        if uid != 0 && setuid(0) == 0 {
            throw PrivilegeError(call: "setuid", user: user, message: "could regain root after dropping it")
        }
    }

    private static func error(_ call: String, _ user: String) -> PrivilegeError {
        PrivilegeError(call: call, user: user, message: String(cString: strerror(errno)))
    }
}
