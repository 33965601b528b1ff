//! Plain text for the terminal: tables with columns as wide as their widest cell.

/// How a command prints what it found: for people, or for programs.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Table,
    Json,
}

/// Prints rows under a header, each column as wide as its widest cell.
pub fn print_table<const N: usize>(
    header: &[&str; N],
    rows: &[[String; N]],
) -> std::io::Result<()> {
    print_stdout(&render(header, rows))
}

/// Rows under a header, each column as wide as its widest cell, no trailing spaces.
pub fn render<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(str::len);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let mut line = |cells: [&str; N]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        text.push_str(padded.join("  ").trim_end());
        text.push('\n');
    };
    line(*header);
    for row in rows {
        line(row.each_ref().map(String::as_str));
    }
    text
}

/// Writes `text` to stdout through [`super::out`]: `BrokenPipe` when the reader has gone, which
/// stops the command and exits quietly.
pub fn print_stdout(text: &str) -> std::io::Result<()> {
    super::out::write(format_args!("{text}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn pads_columns_to_the_widest_cell() {
        let text = super::render(
            &["ID", "V"],
            &[
                ["palette-mask".into(), "0.1.0".into()],
                ["x".into(), "1".into()],
            ],
        );
        assert_eq!(
            text,
            "ID            V\npalette-mask  0.1.0\nx             1\n"
        );
    }
}
