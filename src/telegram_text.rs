//! Telegram's limits on what one message holds: texts cut or split to fit them. Used by every
//! part that sends messages (the bot's screens, digests), so it belongs to none of them.

/// Telegram's limit on a message's text.
pub const MAX_MESSAGE_CHARS: usize = 4096;

/// Cuts `text` to `max` characters, marking the cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Keeps a message within Telegram's limit.
pub fn fit(text: String) -> String {
    if text.chars().count() <= MAX_MESSAGE_CHARS { text } else { shorten(&text, MAX_MESSAGE_CHARS) }
}

/// Splits a long text into messages within Telegram's limit, at line boundaries (a single
/// overlong line is cut).
pub fn split_message(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let needed = current.chars().count() + line.chars().count() + usize::from(!current.is_empty());
        if needed > MAX_MESSAGE_CHARS && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(&shorten(line, MAX_MESSAGE_CHARS));
    }
    if !current.trim().is_empty() {
        parts.push(current);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_split_at_line_boundaries() {
        let line = "я".repeat(100);
        let text = vec![line.as_str(); 100].join("\n");
        let parts = split_message(&text);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.chars().count() <= MAX_MESSAGE_CHARS));
        assert!(parts.iter().all(|p| p.lines().all(|l| l == line)), "no row is cut");
        assert_eq!(parts.join("\n"), text);
        assert_eq!(split_message("короткий"), ["короткий"]);
    }

    #[test]
    fn long_texts_are_cut_to_telegram_limits() {
        assert_eq!(shorten("абвгд", 3), "аб…");
        assert_eq!(shorten("абв", 3), "абв");
        assert_eq!(fit("я".repeat(5000)).chars().count(), MAX_MESSAGE_CHARS);
    }
}
