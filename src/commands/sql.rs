//! `pgspec sql`: print the SQL of the system as `up` builds it.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use pgspec::document::SourceKind;
use pgspec::pipeline;
use pgspec::up;

use super::{read_input, server_for, FailOn, ServerArgs};

#[derive(clap::Args, Debug)]
pub(crate) struct SqlArgs {
    /// The design document (Markdown); `-` reads standard input.
    #[arg(value_name = "DOC")]
    doc: PathBuf,
    /// Write the SQL to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit with 1 when the document has a finding at or above this severity (by default
    /// the exit code says only whether the SQL was printed).
    #[arg(long, value_enum, default_value_t = FailOn::Never)]
    fail_on: FailOn,
    /// Use this server instead of the private cluster.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    #[command(flatten)]
    server: ServerArgs,
}

pub(crate) fn run_sql(args: &SqlArgs) -> Result<ExitCode> {
    let bytes = read_input(&args.doc)?;
    let server = server_for(args.db.as_deref(), &args.server)?;
    let path = args.doc.display().to_string();
    let built = up::build_in_scratch(
        &pipeline::extract_as(&bytes, SourceKind::of_path(&args.doc)),
        &server,
    )
    .with_context(|| format!("building {path}"))?;
    let script = up::system_script(&path, &built);
    match &args.output {
        Some(out) => {
            std::fs::write(out, script).with_context(|| format!("writing {}", out.display()))?
        }
        None => {
            // `pgspec sql DOC | head` closes the pipe early: not an error.
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(script.as_bytes()).and_then(|()| out.flush()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(e.into());
                }
            }
        }
    }
    Ok(args
        .fail_on
        .exit_code(built.report.diagnostics.iter().map(|d| d.severity)))
}
