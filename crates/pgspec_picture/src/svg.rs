//! The SVG that goes into a page: only the elements and attributes a Graphviz drawing of our
//! DOT uses. Document text reaches Graphviz escaped; this check makes sure that nothing in the
//! drawing can load, link or run anything even if a layout engine passed something through.

/// Elements a drawing may hold.
const ELEMENTS: &[&str] = &[
    "svg", "g", "title", "polygon", "polyline", "path", "ellipse", "text", "rect", "line",
];

/// Attributes a drawing may use (no `href`, no event handlers, no `style`).
const ATTRIBUTES: &[&str] = &[
    "width",
    "height",
    "viewbox",
    "xmlns",
    "xmlns:xlink",
    "id",
    "class",
    "transform",
    "fill",
    "stroke",
    "stroke-width",
    "stroke-dasharray",
    "stroke-opacity",
    "fill-opacity",
    "points",
    "d",
    "cx",
    "cy",
    "rx",
    "ry",
    "x",
    "y",
    "x1",
    "x2",
    "y1",
    "y2",
    "text-anchor",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "text-decoration",
    "preserveaspectratio",
    "role",
    "aria-label",
];

/// `svg` (Graphviz output) reduced to its `<svg>` element without comments, or why it is
/// refused: an element or attribute outside the lists above, or a value that could reach
/// outside the page (`url(`, `javascript:`).
pub fn safe_svg(svg: &str) -> Result<String, String> {
    let start = svg
        .find("<svg")
        .ok_or_else(|| "no <svg> element".to_string())?;
    let mut rest = &svg[start..];
    let mut out = String::with_capacity(rest.len());
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            let end = after
                .find("-->")
                .ok_or_else(|| "unclosed comment".to_string())?;
            rest = &after[end + 3..];
            continue;
        }
        let gt = rest.find('>').ok_or_else(|| "unclosed tag".to_string())?;
        let tag = &rest[1..gt];
        check_tag(tag)?;
        out.push_str(&rest[..=gt]);
        rest = &rest[gt + 1..];
    }
    out.push_str(rest);
    Ok(out.trim_end().to_string())
}

fn check_tag(tag: &str) -> Result<(), String> {
    let body = tag.strip_prefix('/').unwrap_or(tag);
    let body = body.strip_suffix('/').unwrap_or(body);
    let name_end = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
    let name = body[..name_end].to_ascii_lowercase();
    if !ELEMENTS.contains(&name.as_str()) {
        return Err(format!("element <{name}> is not allowed"));
    }
    let mut attrs = body[name_end..].trim();
    while !attrs.is_empty() {
        let eq = attrs
            .find('=')
            .ok_or_else(|| format!("attribute without value in <{name}>"))?;
        let attr = attrs[..eq].trim().to_ascii_lowercase();
        if !ATTRIBUTES.contains(&attr.as_str()) {
            return Err(format!("attribute {attr} is not allowed"));
        }
        let value = attrs[eq + 1..].trim_start();
        let quote = value
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')
            .ok_or_else(|| format!("unquoted value of {attr}"))?;
        let close = value[1..]
            .find(quote)
            .ok_or_else(|| format!("unclosed value of {attr}"))?;
        let v = value[1..=close].to_ascii_lowercase();
        if v.contains("url(") || v.contains("javascript:") || v.contains('<') {
            return Err(format!("value of {attr} is not allowed"));
        }
        attrs = value[close + 2..].trim_start();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::safe_svg;

    #[test]
    fn a_drawing_passes_without_its_prolog_and_comments() {
        let svg = "<?xml version=\"1.0\"?>\n<!DOCTYPE svg>\n<svg width=\"10pt\" viewBox=\"0 0 1 1\"><!-- t0 --><g id=\"node1\" class=\"node\"><text x=\"1\" y=\"2\">&lt;b&gt;</text></g></svg>\n";
        assert_eq!(
            safe_svg(svg).expect("allowed"),
            "<svg width=\"10pt\" viewBox=\"0 0 1 1\"><g id=\"node1\" class=\"node\"><text x=\"1\" y=\"2\">&lt;b&gt;</text></g></svg>"
        );
    }

    #[test]
    fn scripts_links_styles_and_handlers_are_refused() {
        for bad in [
            "<svg><script>alert(1)</script></svg>",
            "<svg><a href=\"https://x\">x</a></svg>",
            "<svg><style>*{}</style></svg>",
            "<svg onload=\"alert(1)\"></svg>",
            "<svg><g fill=\"url(https://x/y)\"></g></svg>",
            "<svg><foreignObject></foreignObject></svg>",
            "<svg><image xlink:href=\"x.png\"/></svg>",
        ] {
            assert!(safe_svg(bad).is_err(), "{bad}");
        }
    }
}
