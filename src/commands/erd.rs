//! `pgspec erd`: the ERD of what the document really builds, as SVG (laid out by Graphviz),
//! mermaid or DOT.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::ValueEnum;

use pgspec::document::SourceKind;
use pgspec::picture::{dot, gather, mermaid, svg};
use pgspec::pipeline;

use super::{read_input, server_for, ServerArgs};

#[derive(clap::Args, Debug)]
pub(crate) struct ErdArgs {
    /// The design document (Markdown); `-` reads standard input.
    #[arg(value_name = "DOC")]
    doc: PathBuf,
    /// Write the picture here (default: standard output).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// svg (laid out by Graphviz `dot`), mermaid (an erDiagram to paste into a document) or
    /// dot (the Graphviz text).
    #[arg(long, value_enum, default_value_t = ErdFormat::Svg)]
    format: ErdFormat,
    /// Use this server instead of the private cluster.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    #[command(flatten)]
    server: ServerArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ErdFormat {
    /// An SVG drawing (needs Graphviz's `dot`).
    Svg,
    /// A mermaid `erDiagram`.
    Mermaid,
    /// Graphviz DOT text.
    Dot,
}

pub(crate) fn run_erd(args: &ErdArgs) -> Result<ExitCode> {
    let bytes = read_input(&args.doc)?;
    let path = args.doc.display().to_string();
    let server = server_for(args.db.as_deref(), &args.server)?;
    let extracted = pipeline::extract_as(&bytes, SourceKind::of_path(&args.doc));
    let (erd, _) = gather::erd_of(&extracted, &server)
        .with_context(|| format!("building {path} on a scratch database"))?;
    let text = match args.format {
        ErdFormat::Mermaid => mermaid::to_mermaid(&erd),
        ErdFormat::Dot => dot::to_dot(&erd),
        ErdFormat::Svg => {
            let dot_text = dot::to_dot(&erd);
            match draw(&dot_text) {
                Ok(svg) => svg + "\n",
                Err(why) => {
                    let kept = keep_text_beside(args.output.as_deref(), &dot_text, &erd)?;
                    eprintln!("pgspec: error: cannot draw the ERD: {why}");
                    eprintln!("pgspec: {kept}");
                    return Ok(ExitCode::from(2));
                }
            }
        }
    };
    write_output(args.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

/// Write `text` to `output`, or to standard output.
pub(crate) fn write_output(output: Option<&Path>, text: &str) -> Result<()> {
    match output {
        Some(file) => {
            std::fs::write(file, text).with_context(|| format!("writing {}", file.display()))
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            out.write_all(text.as_bytes())?;
            Ok(())
        }
    }
}

/// When the SVG cannot be drawn: the DOT and mermaid texts, beside the requested file (or on
/// standard output), and the sentence that says where they are.
fn keep_text_beside(
    output: Option<&Path>,
    dot_text: &str,
    erd: &pgspec::picture::Erd,
) -> Result<String> {
    let mermaid_text = mermaid::to_mermaid(erd);
    match output {
        Some(file) => {
            let dot_file = file.with_extension("dot");
            let mermaid_file = file.with_extension("mmd");
            write_output(Some(&dot_file), dot_text)?;
            write_output(Some(&mermaid_file), &mermaid_text)?;
            Ok(format!(
                "the same picture as text: {} (Graphviz DOT) and {} (mermaid); `--format mermaid` or `--format dot` print them",
                dot_file.display(),
                mermaid_file.display()
            ))
        }
        None => {
            write_output(None, &mermaid_text)?;
            Ok("printed the picture as mermaid text instead; `--format dot` prints the Graphviz text".into())
        }
    }
}

/// How long Graphviz may take for one drawing.
const DRAW_BOUND: Duration = Duration::from_secs(120);

/// The Graphviz program: $PGSPEC_DOT, else `dot` on the PATH.
fn graphviz() -> PathBuf {
    std::env::var_os("PGSPEC_DOT").map_or_else(|| PathBuf::from("dot"), PathBuf::from)
}

/// `dot -Tsvg` of `dot_text`, checked by [`svg::safe_svg`] before it goes anywhere; or why
/// there is no drawing (Graphviz missing, failing, or slower than [`DRAW_BOUND`]).
pub(crate) fn draw(dot_text: &str) -> Result<String, String> {
    let program = graphviz();
    let mut child = Command::new(&program)
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "Graphviz's `{}` is not installed (Debian: `apt-get install graphviz`; scripts/setup.sh installs it)",
                    program.display()
                )
            } else {
                format!("cannot run `{}`: {e}", program.display())
            }
        })?;
    let mut stdin = child.stdin.take().ok_or("no stdin for dot")?;
    let input = dot_text.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let mut stdout = child.stdout.take().ok_or("no stdout for dot")?;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let mut stderr = child.stderr.take().ok_or("no stderr for dot")?;
    let errors = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > DRAW_BOUND => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "Graphviz did not finish within {} s",
                    DRAW_BOUND.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("waiting for Graphviz: {e}")),
        }
    };
    let _ = writer.join();
    let out = reader
        .join()
        .map_err(|_| "reading Graphviz's output".to_string())?
        .map_err(|e| format!("reading Graphviz's output: {e}"))?;
    let err = errors.join().unwrap_or_default();
    if !status.success() {
        return Err(format!("Graphviz failed ({status}): {}", err.trim()));
    }
    svg::safe_svg(&out).map_err(|why| format!("the drawing was refused: {why}"))
}
