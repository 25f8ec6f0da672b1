//! `pgspec cluster`: manage the private PostgreSQL cluster.

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;

use pgspec::postgres::{Cluster, PgBinaries};

use super::{ReportFormat, ServerArgs};
use crate::printer::json_envelope;

#[derive(Subcommand, Debug, Clone, Copy)]
pub(crate) enum ClusterAction {
    /// Print where the cluster lives, whether it runs, and whether its server runs in the
    /// sandbox (bubblewrap: no network, read-only filesystem outside the cluster directory).
    Status {
        /// `json`: one object with `state`, `data_dir`, `url`, `detail` and
        /// `sandbox {active, detail}`.
        #[arg(long, value_enum, default_value_t = ReportFormat::Full)]
        format: ReportFormat,
    },
    /// Start it (initdb first if needed) and print its connection URL.
    Start,
    /// Stop it (data kept for reuse).
    Stop,
    /// Stop it and delete its directory.
    Destroy,
}

pub(crate) fn run_cluster(action: ClusterAction, args: &ServerArgs) -> Result<ExitCode> {
    let bins = PgBinaries::locate(args.pg_bin.as_deref())?;
    let root = args
        .cluster_dir
        .clone()
        .unwrap_or_else(Cluster::default_root);
    match action {
        ClusterAction::Start => {
            let cluster = Cluster::ensure(&root, &bins)?;
            println!("{}", cluster.url("postgres"));
        }
        ClusterAction::Status { format } => {
            let status = Cluster::status(&root, &bins);
            let sandbox = Cluster::sandbox_at(&root, &bins);
            if format == ReportFormat::Json {
                use pgspec::postgres::ClusterStatus as S;
                let (state, data_dir, url) = match &status {
                    S::NotInitialized { data_dir } => ("not-initialized", data_dir, None),
                    S::Stopped { data_dir } => ("stopped", data_dir, None),
                    S::Running { data_dir, url } => ("running", data_dir, Some(url)),
                    S::Unreachable { data_dir, .. } => ("unreachable", data_dir, None),
                };
                let value = json_envelope(
                    "cluster status",
                    serde_json::json!({
                        "state": state,
                        "data_dir": data_dir,
                        "url": url,
                        "detail": status.to_string(),
                        "sandbox": {"active": sandbox.is_active(), "detail": sandbox.to_string()},
                    }),
                );
                println!("{value:#}");
            } else {
                println!("{status}");
                println!("sandbox: {sandbox}");
            }
        }
        ClusterAction::Stop => {
            Cluster::stop_at(&root, &bins)?;
            println!("stopped the cluster at {}", root.display());
        }
        ClusterAction::Destroy => {
            Cluster::destroy_at(&root, &bins)?;
            println!("removed the cluster at {}", root.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
