//! Small OS helpers without `libc`: the effective uid, user lookup, process liveness.

use std::path::Path;
use std::process::{Command, Stdio};

/// The effective uid of this process.
pub(crate) fn euid() -> u32 {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        // "Uid:\treal\teffective\tsaved\tfs"
        if let Some(line) = status.lines().find(|l| l.starts_with("Uid:")) {
            if let Some(e) = line.split_whitespace().nth(2).and_then(|s| s.parse().ok()) {
                return e;
            }
        }
    }
    command_number(Command::new("id").arg("-u")).unwrap_or(u32::MAX)
}

/// uid and gid of the OS user `name` (from /etc/passwd, else `id`).
pub(crate) fn lookup_user(name: &str) -> Option<(u32, u32)> {
    if let Ok(passwd) = std::fs::read_to_string("/etc/passwd") {
        for line in passwd.lines() {
            let mut fields = line.split(':');
            if fields.next() != Some(name) {
                continue;
            }
            let _password = fields.next();
            let uid = fields.next().and_then(|s| s.parse().ok());
            let gid = fields.next().and_then(|s| s.parse().ok());
            if let (Some(uid), Some(gid)) = (uid, gid) {
                return Some((uid, gid));
            }
        }
    }
    let uid = command_number(Command::new("id").args(["-u", name]))?;
    let gid = command_number(Command::new("id").args(["-g", name]))?;
    Some((uid, gid))
}

fn command_number(cmd: &mut Command) -> Option<u32> {
    command_output(cmd)?.parse().ok()
}

/// What `cmd` prints on standard output, trimmed, when it succeeds (no input, errors unread).
pub(crate) fn command_output(cmd: &mut Command) -> Option<String> {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The first `name` in a directory of PATH.
pub(crate) fn on_path(name: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Whether `/proc` can answer liveness questions on this system.
pub(crate) fn has_procfs() -> bool {
    Path::new("/proc/self").exists()
}

/// Whether process `pid` exists. Without `/proc` we cannot tell and answer `true`
/// (callers use this to decide whether something is stale; never guess "dead").
pub(crate) fn pid_alive(pid: u32) -> bool {
    if !has_procfs() {
        return true;
    }
    Path::new(&format!("/proc/{pid}")).exists()
}

/// An identifier of this process's PID namespace ("pid:[4026531836]"), or "" if unknown.
pub(crate) fn pid_namespace() -> String {
    std::fs::read_link("/proc/self/ns/pid")
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The directory in memory where clusters keep their files: `/dev/shm` when it is a tmpfs
/// (read from `/proc/mounts`) of at least 1 GiB that everyone may write to, as on Linux by
/// default.
///
/// Why memory: a scratch database is created and dropped on every check, diff and test, each
/// a few hundred files. On a disk, file systems pay for that churn (ext4 without a journal, as
/// on the machines pgspec is measured on, scans every inode freed in the last minutes before it
/// hands out a new one, so each run gets slower than the last); in memory it costs nothing.
pub(crate) fn memory_dir() -> Option<&'static Path> {
    let dir = Path::new("/dev/shm");
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    let on_tmpfs = mounts.lines().any(|line| {
        let mut fields = line.split_whitespace();
        let (_device, point, kind) = (fields.next(), fields.next(), fields.next());
        point == Some("/dev/shm") && kind == Some("tmpfs") && fields.next().is_none_or(roomy)
    });
    use std::os::unix::fs::PermissionsExt;
    let open_to_all = std::fs::metadata(dir)
        .is_ok_and(|m| m.is_dir() && m.permissions().mode() & 0o1777 == 0o1777);
    (on_tmpfs && open_to_all).then_some(dir)
}

/// Whether a tmpfs mounted with `options` can hold clusters: at least 1 GiB, or no `size=`
/// (half the memory). A container's `/dev/shm` is often 64 MiB, which a cluster or two fill.
fn roomy(options: &str) -> bool {
    let Some(size) = options.split(',').find_map(|o| o.strip_prefix("size=")) else {
        return true;
    };
    let (digits, unit) = size.split_at(
        size.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(size.len()),
    );
    let Ok(n) = digits.parse::<u64>() else {
        return false;
    };
    let bytes = match unit.to_ascii_lowercase().as_str() {
        "" => n,
        "k" => n << 10,
        "m" => n << 20,
        "g" => n << 30,
        "t" => n << 40,
        // `size=50%`: a share of the memory, which this machine decides.
        "%" => return n >= 10,
        _ => return false,
    };
    bytes >= 1 << 30
}

#[cfg(test)]
mod tests {
    use super::roomy;

    #[test]
    fn a_small_dev_shm_is_not_used_for_clusters() {
        assert!(roomy("rw,relatime,size=24683784k"));
        assert!(roomy("rw,nosuid,nodev"));
        assert!(roomy("rw,size=2g"));
        assert!(!roomy("rw,nosuid,nodev,noexec,relatime,size=65536k"));
        assert!(!roomy("rw,size=64m"));
        assert!(!roomy("rw,size=lots"));
    }
}
