//! The private cluster's life: the root and base directories, initdb, the server settings,
//! start and stop under the running user (or `postgres` when run as root), and destruction.

use super::*;

pub(super) fn destroy_layout(
    layout: &Layout,
    bins: &PgBinaries,
    run_as: &RunAs,
) -> Result<(), ClusterError> {
    if layout.initialized() || layout.pid_file().is_file() {
        stop_server(layout, bins, run_as)?;
    }
    if layout.base.exists() {
        fs::remove_dir_all(&layout.base)
            .map_err(|e| ClusterError::io(format!("removing {}", layout.base.display()), e))?;
    }
    let _ = fs::remove_file(&layout.lock);
    let _ = fs::remove_dir(&layout.root); // only if empty
    Ok(())
}

/// Fast shutdown, falling back to immediate.
pub(super) fn stop_server(
    layout: &Layout,
    bins: &PgBinaries,
    run_as: &RunAs,
) -> Result<(), ClusterError> {
    match stop(layout, bins, run_as, "fast") {
        Ok(()) => Ok(()),
        Err(_) => stop(layout, bins, run_as, "immediate"),
    }
}

pub(super) fn stop(
    layout: &Layout,
    bins: &PgBinaries,
    run_as: &RunAs,
    mode: &str,
) -> Result<(), ClusterError> {
    if !layout.pid_file().is_file() {
        return Ok(());
    }
    let out = run_tool(
        run_as
            .command(&bins.tool("pg_ctl"), &layout.base)
            .arg("-D")
            .arg(&layout.data)
            .args(["-m", mode, "-w", "-t", "60", "-s", "stop"]),
        "pg_ctl stop",
    )?;
    if out.status.success() || !layout.pid_file().is_file() {
        Ok(())
    } else {
        Err(ClusterError::command("pg_ctl stop", output_text(&out)))
    }
}

/// `pg_ctl status`: true if a server runs on the data directory.
pub(super) fn pg_ctl_status(layout: &Layout, bins: &PgBinaries, run_as: &RunAs) -> bool {
    run_as
        .command(&bins.tool("pg_ctl"), &layout.base)
        .arg("-D")
        .arg(&layout.data)
        .arg("status")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Create `root` if needed and check it is ours and traversable by the server user.
pub(super) fn prepare_root(root: &Path, run_as: &RunAs, created: bool) -> Result<(), ClusterError> {
    if !root.exists() {
        fs::create_dir_all(root)
            .map_err(|e| ClusterError::io(format!("creating {}", root.display()), e))?;
        let mode = if run_as.uid().is_some() { 0o711 } else { 0o700 };
        fs::set_permissions(root, fs::Permissions::from_mode(mode))
            .map_err(|e| ClusterError::io(format!("chmod {}", root.display()), e))?;
    }
    let meta = fs::metadata(root)
        .map_err(|e| ClusterError::io(format!("reading {}", root.display()), e))?;
    let me = os::euid();
    if !created && meta.uid() != me && Some(meta.uid()) != run_as.uid() {
        return Err(ClusterError::command(
            "pgspec",
            format!(
                "refusing to use {}: it belongs to uid {}, not to you (uid {me}); set PGSPEC_HOME or --cluster-dir to a directory of yours",
                root.display(),
                meta.uid()
            ),
        ));
    }
    if let Some(server_uid) = run_as.uid() {
        // The server user must be able to reach <root>/pg<major>: every ancestor needs +x.
        let mut dir = Some(root);
        while let Some(d) = dir {
            if let Ok(m) = fs::metadata(d) {
                let mode = m.permissions().mode();
                let ok = if m.uid() == server_uid {
                    mode & 0o100 != 0
                } else {
                    mode & 0o001 != 0
                };
                if !ok {
                    return Err(ClusterError::command(
                        "pgspec",
                        format!(
                            "{} is not accessible to the `{SUPERUSER}` OS user that runs the server; use a cluster directory under /tmp or /var/tmp (PGSPEC_HOME or --cluster-dir)",
                            d.display()
                        ),
                    ));
                }
            }
            dir = d.parent();
        }
    }
    Ok(())
}

/// Create `<root>/pg<major>` and its socket directory, owned by the server user, mode 0700.
pub(super) fn prepare_base(layout: &Layout, run_as: &RunAs) -> Result<(), ClusterError> {
    for dir in [&layout.base, &layout.run] {
        if !dir.is_dir() {
            match fs::create_dir(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(ClusterError::io(format!("creating {}", dir.display()), e)),
            }
        }
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| ClusterError::io(format!("chmod {}", dir.display()), e))?;
        run_as.chown(dir)?;
    }
    Ok(())
}

pub(super) fn initdb(
    layout: &Layout,
    bins: &PgBinaries,
    run_as: &RunAs,
) -> Result<(), ClusterError> {
    let mut last_error = String::new();
    for locale in ["C.UTF-8", "C"] {
        if layout.data.exists() {
            // A half-made data directory from an interrupted initdb.
            fs::remove_dir_all(&layout.data)
                .map_err(|e| ClusterError::io(format!("removing {}", layout.data.display()), e))?;
        }
        let out = run_tool(
            run_as
                .command(&bins.tool("initdb"), &layout.base)
                .arg("-D")
                .arg(&layout.data)
                .args(["-A", "trust", "--no-sync", "-E", "UTF8", "-U", SUPERUSER])
                .arg(format!("--locale={locale}")),
            "initdb",
        )?;
        if out.status.success() {
            let conf = layout.data.join("postgresql.conf");
            let mut file = fs::OpenOptions::new()
                .append(true)
                .open(&conf)
                .map_err(|e| ClusterError::io(format!("opening {}", conf.display()), e))?;
            file.write_all(b"\n# Settings of pgspec (rewritten before every start).\ninclude_if_exists = 'pgspec.conf'\n")
                .map_err(|e| ClusterError::io(format!("writing {}", conf.display()), e))?;
            return Ok(());
        }
        last_error = output_text(&out);
        if !last_error.to_lowercase().contains("locale") {
            break;
        }
    }
    let _ = fs::remove_dir_all(&layout.data);
    Err(ClusterError::command("initdb", last_error))
}

/// The server settings pgspec starts the cluster with.
pub(super) fn settings(layout: &Layout, bins: &PgBinaries) -> String {
    let libs = bins.preload_libraries();
    let mut s = String::from("# Written by pgspec before every start; edits are overwritten.\n");
    s.push_str("listen_addresses = ''\n");
    s.push_str(&format!(
        "unix_socket_directories = '{}'\n",
        layout.run.display()
    ));
    s.push_str("unix_socket_permissions = 0700\n");
    s.push_str(&format!("port = {DEFAULT_PORT}\n"));
    s.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
    s.push_str("max_connections = 50\n");
    s.push_str(&format!(
        "shared_preload_libraries = '{}'\n",
        libs.join(",")
    ));
    if libs.contains(&"pg_cron") {
        s.push_str("cron.database_name = 'postgres'\n");
        // pg_cron's launcher connects to run each job; the default `localhost` needs TCP, and
        // this cluster listens only on its socket, so jobs never ran. A host that starts with
        // `/` is a socket directory to libpq.
        s.push_str(&format!("cron.host = '{}'\n", layout.run.display()));
    }
    s
}

pub(super) fn start(
    layout: &Layout,
    bins: &PgBinaries,
    run_as: &RunAs,
) -> Result<(), ClusterError> {
    let conf = layout.data.join("pgspec.conf");
    let tmp = layout.data.join("pgspec.conf.tmp");
    fs::write(&tmp, settings(layout, bins))
        .map_err(|e| ClusterError::io(format!("writing {}", tmp.display()), e))?;
    run_as.chown(&tmp)?;
    fs::rename(&tmp, &conf)
        .map_err(|e| ClusterError::io(format!("writing {}", conf.display()), e))?;
    let pg_ctl_start = |cmd: &mut Command| {
        cmd.arg("-D")
            .arg(&layout.data)
            .arg("-l")
            .arg(&layout.log)
            .args(["-w", "-t", "60", "-s", "start"]);
    };
    let why_not = match sandbox_for(layout, bins, run_as) {
        Ok(bwrap) => {
            let install = install_dir(bins);
            let mut cmd = run_as.command(&bwrap, &layout.base);
            cmd.args(sandbox::args(&layout.base, &install))
                .arg(bins.tool("pg_ctl"));
            pg_ctl_start(&mut cmd);
            let out = run_tool(&mut cmd, "pg_ctl start (in bubblewrap)")?;
            if out.status.success() {
                sandbox::record(&layout.base, &SandboxStatus::Active);
                return Ok(());
            }
            // Whatever half-started goes; then start without the sandbox.
            let _ = stop(layout, bins, run_as, "immediate");
            format!(
                "the server did not start inside bubblewrap: {}",
                output_text(&out)
            )
        }
        Err(why) => why,
    };
    let mut cmd = run_as.command(&bins.tool("pg_ctl"), &layout.base);
    pg_ctl_start(&mut cmd);
    let out = run_tool(&mut cmd, "pg_ctl start")?;
    sandbox::record(&layout.base, &SandboxStatus::Inactive(why_not));
    if out.status.success() {
        return Ok(());
    }
    Err(ClusterError::command(
        "pg_ctl start",
        format!(
            "{}\n--- last lines of {} ---\n{}",
            output_text(&out),
            layout.log.display(),
            log_tail(&layout.log, 20)
        ),
    ))
}

/// `bwrap` if the server can run in the sandbox here (probed as the server user), else why not.
pub(super) fn sandbox_for(
    layout: &Layout,
    bins: &PgBinaries,
    run_as: &RunAs,
) -> Result<PathBuf, String> {
    let bwrap = sandbox::bwrap()?;
    sandbox::probe(
        &bwrap,
        &layout.base,
        &install_dir(bins),
        &bins.tool("postgres"),
        |program| run_as.command(program, &layout.base),
    )?;
    Ok(bwrap)
}

/// The installation the binaries belong to (`/usr/lib/postgresql/15` for its `bin`).
pub(super) fn install_dir(bins: &PgBinaries) -> PathBuf {
    bins.bin_dir
        .parent()
        .map_or_else(|| bins.bin_dir.clone(), Path::to_path_buf)
}

pub(super) fn run_tool(cmd: &mut Command, what: &str) -> Result<Output, ClusterError> {
    cmd.output()
        .map_err(|e| ClusterError::io(format!("running {what}"), e))
}

pub(super) fn output_text(out: &Output) -> String {
    let mut text = String::from_utf8_lossy(&out.stderr).trim().to_string();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if text.is_empty() {
        text = stdout.trim().to_string();
    }
    if text.is_empty() {
        text = format!("exited with {}", out.status);
    }
    text
}

/// The last `lines` lines of a log file.
pub(super) fn log_tail(path: &Path, lines: usize) -> String {
    match fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(cannot read the log: {e})"),
    }
}
