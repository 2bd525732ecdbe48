//! A small document model: what a report says, independent of how it is shown.

/// A run of text with one tone.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub text: String,
    pub tone: Tone,
}

/// Semantic emphasis; the renderer maps it to colour (terminal) or markup (Markdown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Strong,
    Dim,
    /// An identifier or literal (cause id, header, log message).
    Code,
    /// Who owns the fix.
    Owner,
    Good,
    Warn,
    Bad,
}

pub type Line = Vec<Span>;

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Title(Line),
    Heading(String),
    Para(Line),
    Bullets(Vec<Line>),
    /// Numbered items, each with optional blocks nested under it.
    Numbered(Vec<(Line, Vec<Block>)>),
    /// Shell commands or configuration, shown verbatim (never wrapped); `lang` is `sh` or `yaml`.
    Code {
        lang: &'static str,
        text: String,
    },
    Table {
        head: Vec<String>,
        rows: Vec<Vec<Line>>,
    },
    /// A closing hint, set apart and de-emphasised.
    Note(Line),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Doc {
    pub blocks: Vec<Block>,
}

impl Doc {
    pub fn push(&mut self, block: Block) -> &mut Self {
        self.blocks.push(block);
        self
    }
}

pub fn plain(text: impl Into<String>) -> Span {
    Span { text: text.into(), tone: Tone::Plain }
}

pub fn styled(text: impl Into<String>, tone: Tone) -> Span {
    Span { text: text.into(), tone }
}

/// Tone for a status code by class: 2xx good, 3xx plain, 4xx warn, 5xx bad.
pub fn status_tone(code: u16) -> Tone {
    match code / 100 {
        2 => Tone::Good,
        4 => Tone::Warn,
        5 => Tone::Bad,
        _ => Tone::Strong,
    }
}
