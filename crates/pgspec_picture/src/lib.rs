//! Pictures of a document's system: the ERD of what `up` really builds (as data, DOT and
//! mermaid text) and one self-contained HTML report with the ERD, the findings, what `up`
//! assumed, the verified claims, drift and the figures. Nothing here prints or starts a
//! process: the binary lays the DOT out with Graphviz and writes the files.
//!
//! A document is untrusted: its text reaches DOT, SVG and HTML only through
//! [`text::escape_html`], and a drawing reaches the page only through [`svg::safe_svg`].

pub mod dot;
pub mod erd;
pub mod gather;
pub mod html;
pub mod mermaid;
pub mod svg;
pub mod text;

pub use erd::Erd;
