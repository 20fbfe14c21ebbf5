//! Which school grades (1–11) an audience is asked in, as operators type them (`9-11`,
//! `1-8`, `5,7,9-11`), and the grade a class name starts with (`10А` is in grade 10).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The highest grade of a Russian school.
pub const LAST_GRADE: u8 = 11;

/// A set of grades within 1..=11, never empty. Stored as [`Grades::parse`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Grades(u16);

impl TryFrom<String> for Grades {
    type Error = GradesError;
    fn try_from(text: String) -> Result<Grades, GradesError> {
        Grades::parse(&text)
    }
}

impl From<Grades> for String {
    fn from(grades: Grades) -> String {
        grades.to_string()
    }
}

/// Why a typed set of grades was refused; the text is kept for the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read the grades {0:?}: write grades 1 to 11 as ranges and commas, e.g. 1-8, 9-11 or 5,7,9-11")]
pub struct GradesError(pub String);

impl Grades {
    /// Every grade, 1 to 11.
    pub const ALL: Grades = Grades(((1 << (LAST_GRADE + 1)) - 1) & !1);

    /// Reads `9-11`, `1-8`, `5,7,9-11` (spaces and en dashes allowed); a range runs low to high.
    pub fn parse(text: &str) -> Result<Grades, GradesError> {
        let error = || GradesError(text.trim().to_string());
        let grade = |part: &str| -> Result<u8, GradesError> {
            let part = part.trim();
            if part.is_empty() || part.len() > 2 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(error());
            }
            part.parse().ok().filter(|g| (1..=LAST_GRADE).contains(g)).ok_or_else(error)
        };
        let mut bits = 0u16;
        for part in text.split(',') {
            let (low, high) = match part.split_once(['-', '–']) {
                Some((low, high)) => (grade(low)?, grade(high)?),
                None => (grade(part)?, grade(part)?),
            };
            if low > high {
                return Err(error());
            }
            for g in low..=high {
                bits |= 1 << g;
            }
        }
        Ok(Grades(bits))
    }

    pub fn contains(self, grade: u8) -> bool {
        grade <= LAST_GRADE && self.0 & (1 << grade) != 0
    }

    pub fn is_all(self) -> bool {
        self == Grades::ALL
    }
}

/// The shortest form [`Grades::parse`] reads back: `5,7,9-11`.
impl fmt::Display for Grades {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        let mut grade = 1;
        while grade <= LAST_GRADE {
            if !self.contains(grade) {
                grade += 1;
                continue;
            }
            let start = grade;
            while grade < LAST_GRADE && self.contains(grade + 1) {
                grade += 1;
            }
            parts.push(if start == grade { start.to_string() } else { format!("{start}-{grade}") });
            grade += 1;
        }
        f.write_str(&parts.join(","))
    }
}

/// The grade a class name starts with (`10А` → 10, `5 б` → 5); `None` when it has no leading
/// number or the number is no school grade (`Подготовительный`, `0А`, `12А`).
pub fn class_grade(class_name: &str) -> Option<u8> {
    let digits: String = class_name.trim_start().chars().take_while(char::is_ascii_digit).collect();
    if digits.len() > 2 {
        return None;
    }
    digits.parse().ok().filter(|g| (1..=LAST_GRADE).contains(g))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_lists_are_read() {
        let grades = Grades::parse("5,7,9-11").unwrap();
        assert_eq!((1..=11).filter(|&g| grades.contains(g)).collect::<Vec<_>>(), [5, 7, 9, 10, 11]);
        assert_eq!(grades.to_string(), "5,7,9-11");
        assert_eq!(Grades::parse(" 1 - 8 ").unwrap().to_string(), "1-8");
        assert_eq!(Grades::parse("9–11").unwrap().to_string(), "9-11");
        assert_eq!(Grades::parse("3").unwrap().to_string(), "3");
        assert_eq!(Grades::parse("1-4,5-11").unwrap(), Grades::ALL);
        assert!(Grades::ALL.is_all() && !Grades::parse("1-10").unwrap().is_all());
        assert_eq!(Grades::ALL.to_string(), "1-11");
        assert!(!Grades::ALL.contains(0) && !Grades::ALL.contains(12));
    }

    #[test]
    fn anything_else_is_refused_keeping_the_text() {
        for bad in ["", "0", "12", "0-4", "9-12", "11-9", "5,", "a-b", "5-", "-5", "1-8-9", "+5", "005", "٥"] {
            assert_eq!(Grades::parse(bad), Err(GradesError(bad.trim().to_string())), "{bad:?}");
        }
    }

    #[test]
    fn a_class_is_in_the_grade_its_name_starts_with() {
        assert_eq!(class_grade("10А"), Some(10));
        assert_eq!(class_grade("1Б"), Some(1));
        assert_eq!(class_grade("11"), Some(11));
        assert_eq!(class_grade("5 б"), Some(5));
        for unread in ["Подготовительный", "0А", "12А", "100А", "", "А5"] {
            assert_eq!(class_grade(unread), None, "{unread:?}");
        }
    }
}
