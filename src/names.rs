//! Names as people type them. A roster is typed by hand in spreadsheets and a phone types
//! «typographic» quotes, so names are compared by their [`fold`], and class names are written one
//! way ([`class_name`]): a Latin `5A` or a lowercase `5а` is the class `5А`.

/// Latin letters drawn like Cyrillic ones, with their Cyrillic twins.
const LOOK_ALIKES: [(char, char); 20] = [
    ('A', 'А'),
    ('a', 'а'),
    ('B', 'В'),
    ('C', 'С'),
    ('c', 'с'),
    ('E', 'Е'),
    ('e', 'е'),
    ('H', 'Н'),
    ('K', 'К'),
    ('k', 'к'),
    ('M', 'М'),
    ('O', 'О'),
    ('o', 'о'),
    ('P', 'Р'),
    ('p', 'р'),
    ('T', 'Т'),
    ('X', 'Х'),
    ('x', 'х'),
    ('y', 'у'),
    ('Y', 'У'),
];

fn cyrillic_twin(c: char) -> Option<char> {
    LOOK_ALIKES.iter().find(|(latin, _)| *latin == c).map(|(_, cyrillic)| *cyrillic)
}

fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{04FF}')
}

/// Every word that mixes Cyrillic letters with Latin look-alikes (or is a class grade followed by
/// look-alikes only, like `5A`) written in Cyrillic: what a person typing in a hurry meant.
pub fn to_cyrillic(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_inclusive(char::is_whitespace) {
        let letters = || word.chars().filter(|c| c.is_alphabetic());
        let cyrillic = letters().any(is_cyrillic);
        let latin_all_look_alike = letters().filter(|c| !is_cyrillic(*c)).all(|c| cyrillic_twin(c).is_some());
        let grade_like = word.trim_start().starts_with(|c: char| c.is_ascii_digit());
        let convert = latin_all_look_alike && (cyrillic || (grade_like && letters().count() <= 2));
        if convert {
            out.extend(word.chars().map(|c| cyrillic_twin(c).unwrap_or(c)));
        } else {
            out.push_str(word);
        }
    }
    out
}

/// A class name as the roster keeps it: trimmed, single spaces, look-alikes in Cyrillic, and a
/// grade's letter in capitals without a gap (`5 а`, `5-a`, `5A` are all `5А`).
pub fn class_name(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let cyrillic = to_cyrillic(&collapsed);
    let digits: String = cyrillic.chars().take_while(char::is_ascii_digit).collect();
    let rest = cyrillic[digits.len()..].trim_start_matches([' ', '-']);
    if !digits.is_empty() && !rest.is_empty() && rest.chars().count() <= 2 {
        // `5 a`: the letter stands apart from its grade, so it is read here, not by `to_cyrillic`.
        let letters: Option<String> = rest.chars().map(|c| cyrillic_twin(c).or(is_cyrillic(c).then_some(c))).collect();
        if let Some(letters) = letters {
            return format!("{digits}{}", letters.to_uppercase());
        }
    }
    cyrillic
}

/// The form two names are compared in: look-alikes in Cyrillic, lowercase, `ё` as `е`, without
/// quotes of any style, punctuation or spaces (`МАОУ «Лицей № 2»` and `маоу "лицей №2"` fold alike).
pub fn fold(text: &str) -> String {
    to_cyrillic(text)
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ё' { 'е' } else { c })
        .filter(|c| c.is_alphanumeric() || *c == '№')
        .collect()
}

/// How many single-character edits turn `a` into `b` (for «did you mean» suggestions).
pub fn edit_distance(a: &str, b: &str) -> usize {
    levenshtein(a, b, false)
}

/// The key names are listed by, the same on every database engine: their [`fold`], with numbers
/// in numeric order (`Школа № 2` before `Школа № 10`, `5А` before `10А`).
pub fn sort_key(text: &str) -> String {
    let folded = fold(text);
    let mut key = String::with_capacity(folded.len() + 16);
    let mut digits = String::new();
    for c in folded.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            // Padded to the longest run any roster has, so that digits compare as numbers.
            let run = digits.trim_start_matches('0');
            key.push_str(&format!("{run:0>20}"));
            digits.clear();
        }
        if c != '\0' {
            key.push(c);
        }
    }
    key
}

/// How many single-character edits turn `needle` into some part of `haystack`: a typed fragment
/// (`лицй 2`) is near the name it was meant to be part of (`МАОУ «Лицей № 2»`).
pub fn edit_distance_within(needle: &str, haystack: &str) -> usize {
    levenshtein(needle, haystack, true)
}

/// Levenshtein's table, row by row; with `part`, `a` may match any stretch of `b`: row zero is
/// all zeros (it may begin anywhere) and the last row's least value counts (it may end anywhere).
fn levenshtein(a: &str, b: &str, part: bool) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = if part { vec![0; b.len() + 1] } else { (0..=b.len()).collect() };
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    if part { previous.into_iter().min().unwrap_or(0) } else { previous[b.len()] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_listed_with_numbers_in_numeric_order() {
        let mut names = vec!["Школа № 10", "школа № 2", "Лицей № 1", "10А", "5Б", "5А", "Школа № 1"];
        names.sort_by_cached_key(|n| sort_key(n));
        assert_eq!(names, ["5А", "5Б", "10А", "Лицей № 1", "Школа № 1", "школа № 2", "Школа № 10"]);
    }

    #[test]
    fn class_names_are_written_one_way() {
        for (typed, kept) in [
            ("5А", "5А"),
            ("5A", "5А"),
            ("5а", "5А"),
            ("5a", "5А"),
            (" 5 а ", "5А"),
            ("5-a", "5А"),
            ("10Б", "10Б"),
            ("11 б", "11Б"),
            ("9В", "9В"),
            ("9B", "9В"),
            ("1", "1"),
            ("7 коррекционный", "7 коррекционный"),
            ("Kindergarten", "Kindergarten"),
        ] {
            assert_eq!(class_name(typed), kept, "{typed:?}");
        }
    }

    #[test]
    fn mixed_words_are_read_as_cyrillic_and_latin_words_stay() {
        assert_eq!(to_cyrillic("Лицeй № 2"), "Лицей № 2", "a Latin e inside a Cyrillic word");
        assert_eq!(to_cyrillic("School No 5"), "School No 5");
        assert_eq!(to_cyrillic("Шкoла № 5A"), "Школа № 5А");
    }

    #[test]
    fn names_fold_alike_whatever_quotes_case_and_spaces() {
        let stored = fold("МАОУ \"Лицей № 2\"");
        for typed in ["МАОУ «Лицей № 2»", "маоу “лицей №2”", "МАОУ „Лицей № 2“", "МАОУ 'ЛИЦЕЙ № 2'", "МАОУ «Лицeй № 2»"]
        {
            assert_eq!(fold(typed), stored, "{typed:?}");
        }
        assert_eq!(fold("Ёлкино"), fold("елкино"));
        assert_ne!(fold("Школа № 1"), fold("Школа № 11"));
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("лицей", "лицей"), 0);
        assert_eq!(edit_distance("лицей", "лицеи"), 1);
        assert_eq!(edit_distance("школа1", "школа12"), 1);
        assert_eq!(edit_distance("", "абв"), 3);
        assert_eq!(edit_distance_within("лицей№2", "маоулицей№2"), 0);
        assert_eq!(edit_distance_within("лицй№2", "маоулицей№2"), 1);
        assert_eq!(edit_distance_within("абв", ""), 3);
    }
}
