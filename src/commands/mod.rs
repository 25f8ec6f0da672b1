//! One module per command: its clap arguments and its run function. Here: what they share (the
//! server options, the output format, reading a document, finding the server).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::ValueEnum;

use pgspec::postgres::{Cluster, PgBinaries, Server};

pub(crate) mod check;
pub(crate) mod cluster;
pub(crate) mod fix;
pub(crate) mod model;
pub(crate) mod rule;
pub(crate) mod seed;
pub(crate) mod sql;
pub(crate) mod up;
pub(crate) mod verify;

#[derive(clap::Args, Debug)]
pub(crate) struct ServerArgs {
    /// Directory of the PostgreSQL server binaries (initdb, pg_ctl); default: $PG_BIN,
    /// `pg_config --bindir`, then the newest /usr/lib/postgresql/*/bin.
    #[arg(long, value_name = "DIR", global = true)]
    pg_bin: Option<PathBuf>,
    /// Where the private cluster lives (default: $PGSPEC_HOME or /tmp/pgspec-<uid>).
    #[arg(long, value_name = "DIR", global = true)]
    cluster_dir: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// rustc-style excerpts with carets, notes and help.
    Full,
    /// One line per finding: `path:line:col: severity[CODE] message (category)`.
    Concise,
    /// One JSON object: `documents[]` with `summary`, `statements[]`, `diagnostics[]`.
    Json,
    /// GitHub Actions annotations (`::error file=…,line=…::…`).
    Github,
    /// SARIF 2.1.0 (one run, every document), for code scanning.
    Sarif,
}

pub(crate) fn server_for(db: Option<&str>, args: &ServerArgs) -> Result<Server> {
    if let Some(url) = db {
        let server = Server::Url(url.to_string());
        server.terminate_orphans();
        return Ok(server);
    }
    let bins = PgBinaries::locate(args.pg_bin.as_deref())?;
    let root = args
        .cluster_dir
        .clone()
        .unwrap_or_else(Cluster::default_root);
    let cluster =
        Cluster::ensure(&root, &bins).context("starting the private PostgreSQL cluster")?;
    let server = Server::Embedded(cluster);
    server.terminate_orphans();
    Ok(server)
}

/// The document's path for `up`'s identity check (none for standard input).
pub(crate) fn document_path(path: &Path) -> Option<String> {
    (path != Path::new("-")).then(|| path.display().to_string())
}

pub(crate) fn read_input(path: &Path) -> Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .context("reading standard input")?;
        return Ok(buf);
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}
