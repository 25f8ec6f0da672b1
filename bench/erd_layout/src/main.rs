//! Lay out each DOT file given with layout-rs (parse, layout, SVG), several times; print one
//! line per file: `file median_ms min_ms width height`, and write `<file>.layout-rs.svg`.

use std::time::Instant;

use layout::backends::svg::SVGWriter;
use layout::gv::{DotParser, GraphBuilder};

fn draw(text: &str) -> Result<String, String> {
    let mut parser = DotParser::new(text);
    let graph = parser.process()?;
    let mut builder = GraphBuilder::new();
    builder.visit_graph(&graph);
    let mut visual = builder.get();
    let mut svg = SVGWriter::new();
    visual.do_it(false, false, false, &mut svg);
    Ok(svg.finalize())
}

fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    for file in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&file).expect("read");
        let mut times = Vec::new();
        let mut last = String::new();
        for _ in 0..runs {
            let start = Instant::now();
            match draw(&text) {
                Ok(svg) => last = svg,
                Err(e) => {
                    println!("{file} error {e}");
                    break;
                }
            }
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        if times.is_empty() {
            continue;
        }
        times.sort_by(f64::total_cmp);
        let size = |attr: &str| {
            last.split(&format!("{attr}=\""))
                .nth(1)
                .and_then(|v| v.split('"').next())
                .unwrap_or("?")
                .to_string()
        };
        println!(
            "{file} {:.1} {:.1} {} {}",
            times[times.len() / 2],
            times[0],
            size("width"),
            size("height")
        );
        std::fs::write(format!("{file}.layout-rs.svg"), &last).expect("write svg");
    }
}
