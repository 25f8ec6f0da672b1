//! Defence in depth for the private cluster: its server runs inside bubblewrap (`bwrap`)
//! without network access and with the filesystem read-only, except the cluster's own
//! directory (data, socket, log); `/tmp`, `/var/tmp`, `/home` and `/root` are empty
//! in-memory directories in there. So even a superuser statement cannot write a file outside
//! the cluster's directory or reach the network.
//!
//! Needs `bwrap` (Debian package `bubblewrap`) and unprivileged user namespaces; where either
//! is missing the server runs as before and `pgspec cluster status` says why. `PGSPEC_SANDBOX=off`
//! turns it off.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What the sandbox promises, as `cluster status` prints it.
pub const ACTIVE_TEXT: &str = "bubblewrap: no network, read-only /";
/// Written next to the data directory at every start: `active (…)` or `inactive: <why>`.
const MARKER: &str = "sandbox";
/// Directories that the server gets as empty, private in-memory directories.
const HIDDEN: &[&str] = &["/tmp", "/var/tmp", "/home", "/root"];

/// Whether the server of a cluster runs sandboxed, and if not, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SandboxStatus {
    Active,
    Inactive(String),
}

impl SandboxStatus {
    pub fn is_active(&self) -> bool {
        matches!(self, SandboxStatus::Active)
    }
}

impl fmt::Display for SandboxStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SandboxStatus::Active => write!(f, "active ({ACTIVE_TEXT})"),
            SandboxStatus::Inactive(why) => write!(f, "inactive: {why}"),
        }
    }
}

/// The `bwrap` executable, or why there is none to use.
pub(crate) fn bwrap() -> Result<PathBuf, String> {
    if std::env::var("PGSPEC_SANDBOX").is_ok_and(|v| v.eq_ignore_ascii_case("off") || v == "0") {
        return Err("turned off (PGSPEC_SANDBOX=off)".to_string());
    }
    let found = crate::os::on_path("bwrap").or_else(|| {
        ["/usr/bin/bwrap", "/bin/bwrap"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
    });
    found.ok_or_else(|| {
        "bubblewrap (bwrap) is not installed (`apt-get install bubblewrap`)".to_string()
    })
}

/// The bwrap arguments (before `--` and the command) for a server whose own directory is
/// `base`, with binaries under `install`.
pub(crate) fn args(base: &Path, install: &Path) -> Vec<String> {
    let mut args: Vec<String> = ["--unshare-net", "--ro-bind", "/", "/"]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    for dir in HIDDEN {
        if Path::new(dir).is_dir() {
            args.extend(["--tmpfs".to_string(), (*dir).to_string()]);
        }
    }
    // Bring back what the hidden directories may hold: the binaries (read-only) and the
    // cluster's directory (writable).
    // A fresh /dev and /proc before the binds: a cluster kept in memory lives under /dev/shm,
    // which a later `--dev` would cover.
    args.extend(
        ["--dev", "/dev", "--proc", "/proc"]
            .iter()
            .map(|s| (*s).to_string()),
    );
    let install = install.display().to_string();
    args.extend(["--ro-bind".to_string(), install.clone(), install]);
    let base = base.display().to_string();
    args.extend(["--bind".to_string(), base.clone(), base, "--".to_string()]);
    args
}

/// Run `program --version` in the sandbox as the server user (`command` builds the command
/// for that user): Ok when bubblewrap works here.
pub(crate) fn probe(
    bwrap: &Path,
    base: &Path,
    install: &Path,
    program: &Path,
    command: impl Fn(&Path) -> Command,
) -> Result<(), String> {
    let out = command(bwrap)
        .args(args(base, install))
        .arg(program)
        .arg("--version")
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bwrap.display()))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    Err(format!(
        "bubblewrap does not work here ({}); user namespaces may be disabled",
        if stderr.is_empty() {
            out.status.to_string()
        } else {
            stderr
        }
    ))
}

/// Record how the server at `base` was started.
pub(crate) fn record(base: &Path, status: &SandboxStatus) {
    let _ = fs::write(base.join(MARKER), format!("{status}\n"));
}

/// How the server at `base` (postmaster pid file `pid_file`) runs: the recorded start,
/// checked against the server process (a sandboxed one is in a network namespace of its own).
pub(crate) fn status(base: &Path, pid_file: &Path) -> SandboxStatus {
    let recorded = fs::read_to_string(base.join(MARKER)).unwrap_or_default();
    let recorded = recorded.trim();
    let pid = fs::read_to_string(pid_file)
        .ok()
        .and_then(|s| s.lines().next().and_then(|l| l.trim().parse::<u32>().ok()));
    let own_namespace = pid.and_then(|pid| {
        let theirs = fs::read_link(format!("/proc/{pid}/ns/net")).ok()?;
        let ours = fs::read_link("/proc/self/ns/net").ok()?;
        Some(theirs == ours)
    });
    let recorded_why = recorded.strip_prefix("inactive: ").map(str::to_string);
    match own_namespace {
        Some(false) => SandboxStatus::Active,
        Some(true) => SandboxStatus::Inactive(recorded_why.unwrap_or_else(|| {
            "the running server was started without it (`pgspec cluster stop`, then run pgspec again)"
                .to_string()
        })),
        None if pid.is_none() => SandboxStatus::Inactive("the server is not running".to_string()),
        // Running, but its process cannot be inspected (no /proc): trust the record.
        None if recorded.starts_with("active") => SandboxStatus::Active,
        None => SandboxStatus::Inactive(
            recorded_why.unwrap_or_else(|| "unknown (no record of how the server started)".to_string()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cluster_directory_is_the_only_writable_place() {
        let a = args(
            Path::new("/tmp/pgspec-0/pg15"),
            Path::new("/usr/lib/postgresql/15"),
        );
        let text = a.join(" ");
        assert!(text.starts_with("--unshare-net --ro-bind / / "), "{text}");
        assert!(
            text.ends_with(
                "--dev /dev --proc /proc --ro-bind /usr/lib/postgresql/15 /usr/lib/postgresql/15 --bind /tmp/pgspec-0/pg15 /tmp/pgspec-0/pg15 --"
            ),
            "{text}"
        );
        assert!(text.contains("--tmpfs /tmp"), "{text}");
        assert_eq!(
            SandboxStatus::Active.to_string(),
            "active (bubblewrap: no network, read-only /)"
        );
        assert_eq!(
            SandboxStatus::Inactive("x".into()).to_string(),
            "inactive: x"
        );
    }
}
