//! The roster file: municipalities, schools, classes and their headcounts, as a region keeps them
//! in a spreadsheet. Parsed whole before anything is stored, so a bad row imports nothing.

use std::collections::HashMap;

use chrono_tz::Tz;

/// One class of the roster, with the line it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterRow {
    pub line: u64,
    pub municipality: String,
    pub school: String,
    pub class: String,
    pub headcount: i64,
    /// The school's timezone when the file gives one.
    pub timezone: Option<Tz>,
}

/// Why a roster file was rejected; `line` is the line number a spreadsheet shows.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RosterError {
    #[error("the file is not UTF-8 text (in Excel choose «CSV UTF-8» when saving)")]
    NotUtf8,
    #[error("the file is empty")]
    Empty,
    #[error("the header row has no {0:?} column (needed: municipality, school, class, students; optional: timezone)")]
    MissingColumn(&'static str),
    #[error("line {line}: {problem}")]
    Row { line: u64, problem: String },
    #[error("the file has a header but no classes")]
    NoRows,
}

fn row_error(line: u64, problem: impl Into<String>) -> RosterError {
    RosterError::Row { line, problem: problem.into() }
}

/// Accepted header names for each column (English as documented, plus the Russian a region's
/// spreadsheet is likely to carry).
const COLUMNS: [(&str, &[&str]); 5] = [
    ("municipality", &["municipality", "муниципалитет", "муниципальное образование", "район"]),
    ("school", &["school", "школа", "оо", "образовательная организация"]),
    ("class", &["class", "класс"]),
    (
        "students",
        &[
            "students",
            "учащихся",
            "обучающихся",
            "учеников",
            "численность",
            "количество обучающихся",
            "количество учеников",
        ],
    ),
    ("timezone", &["timezone", "часовой пояс"]),
];

/// The separator of a spreadsheet's CSV: Russian Excel writes semicolons, so whichever of `;` and
/// `,` the header line uses more.
pub(crate) fn delimiter(header_line: &str) -> u8 {
    if header_line.matches(';').count() > header_line.matches(',').count() { b';' } else { b',' }
}

/// The first line with something on it, whichever line ends the file uses.
pub(crate) fn first_line(text: &str) -> Option<&str> {
    text.split(['\r', '\n']).find(|l| !l.trim().is_empty())
}

/// Parses a roster CSV: comma or semicolon separated, UTF-8 with or without a byte order mark.
pub fn parse(bytes: &[u8]) -> Result<Vec<RosterRow>, RosterError> {
    let text = std::str::from_utf8(bytes).map_err(|_| RosterError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header_line = first_line(text).ok_or(RosterError::Empty)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(header_line))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());

    let headers = reader.headers().map_err(|e| row_error(1, e.to_string()))?.clone();
    let find = |name: &'static str| -> Option<usize> {
        let aliases = COLUMNS.iter().find(|(n, _)| *n == name).map(|(_, a)| *a).unwrap_or(&[]);
        headers
            .iter()
            .position(|h| aliases.iter().any(|a| h.trim().eq_ignore_ascii_case(a) || h.trim().to_lowercase() == *a))
    };
    let required = |name: &'static str| find(name).ok_or(RosterError::MissingColumn(name));
    let (m_col, s_col, c_col, n_col) =
        (required("municipality")?, required("school")?, required("class")?, required("students")?);
    let tz_col = find("timezone");

    let mut lines = LineCounter::new(text);
    let mut rows = Vec::new();
    let mut seen: HashMap<(String, String, String), u64> = HashMap::new();
    let mut school_zones: HashMap<(String, String), (Tz, u64)> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = lines.line_at(e.position());
            row_error(line, format!("cannot be read as CSV: {e}"))
        })?;
        let line = lines.line_at(record.position());
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let field = |col: usize, name: &str| -> Result<String, RosterError> {
            match record.get(col) {
                Some(value) if !value.is_empty() => Ok(value.to_string()),
                _ => Err(row_error(line, format!("the {name} is missing"))),
            }
        };
        let municipality = field(m_col, "municipality")?;
        let school = field(s_col, "school")?;
        let class = field(c_col, "class")?;
        let students = field(n_col, "number of students")?;
        let headcount = match students.parse::<i64>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(row_error(
                    line,
                    format!("the number of students must be a positive whole number, got {students:?}"),
                ));
            }
        };
        let timezone = match tz_col.and_then(|c| record.get(c)).filter(|v| !v.is_empty()) {
            None => None,
            Some(name) => Some(name.parse::<Tz>().map_err(|_| {
                row_error(
                    line,
                    format!("unknown timezone {name:?} (use an IANA name such as Europe/Moscow or Asia/Irkutsk)"),
                )
            })?),
        };
        if let Some(tz) = timezone {
            let key = (municipality.clone(), school.clone());
            if let Some((other, other_line)) = school_zones.get(&key) {
                if *other != tz {
                    return Err(row_error(
                        line,
                        format!("school {school:?} has timezone {tz} here but {other} on line {other_line}"),
                    ));
                }
            } else {
                school_zones.insert(key, (tz, line));
            }
        }
        let key = (municipality.clone(), school.clone(), class.clone());
        if let Some(first) = seen.insert(key, line) {
            return Err(row_error(
                line,
                format!("class {class:?} of school {school:?} is already listed on line {first}"),
            ));
        }
        rows.push(RosterRow { line, municipality, school, class, headcount, timezone });
    }
    if rows.is_empty() {
        return Err(RosterError::NoRows);
    }
    Ok(rows)
}

/// Line numbers as a spreadsheet shows them. The csv crate does not count blank lines, so lines
/// come from byte offsets; records arrive in order, so counting resumes where it stopped instead of
/// starting again from the top of the file for every record (which made a region's roster of
/// 30,000 classes take seconds to parse). A line ends with LF, CR LF or a bare CR (the csv crate
/// reads all three, and Excel's «CSV (Macintosh)» writes the last).
pub(crate) struct LineCounter<'a> {
    bytes: &'a [u8],
    /// Where counting stopped, and the line there.
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        LineCounter { bytes: text.as_bytes(), offset: 0, line: 1 }
    }

    pub(crate) fn line_at(&mut self, position: Option<&csv::Position>) -> u64 {
        let bytes = self.bytes;
        let mut start = position.map_or(0, |p| p.byte() as usize).min(bytes.len());
        // A record's position may sit on the blank lines skipped before it.
        while start < bytes.len() && (bytes[start] == b'\n' || bytes[start] == b'\r') {
            start += 1;
        }
        if start < self.offset {
            (self.offset, self.line) = (0, 1);
        }
        // `start` never sits between the CR and LF of one line end: those were skipped above.
        let breaks = (self.offset..start)
            .filter(|&i| bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
            .count();
        self.line += breaks as u64;
        self.offset = start;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_semicolons_bom_and_optional_timezone() {
        let file = "\u{feff}municipality;school;class;students;timezone\nИркутск;Школа № 1;5А;25;Asia/Irkutsk\nИркутск;Школа № 1;5Б;24;\n";
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].school, "Школа № 1");
        assert_eq!(rows[0].timezone, Some(chrono_tz::Asia::Irkutsk));
        assert_eq!(rows[1].timezone, None);
        assert_eq!(rows[1].line, 3);
    }

    #[test]
    fn reads_commas_quotes_and_russian_headers() {
        let file = "Муниципалитет,Школа,Класс,Учащихся\nКунгур,\"Школа № 2, корпус 1\",9В,30\n";
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows[0].school, "Школа № 2, корпус 1");
        assert_eq!(rows[0].headcount, 30);
        // The header a methodologist's spreadsheet has, as the campaign letters write it.
        let rows = parse("Муниципалитет;Школа;Класс;Учеников\nКунгур;Школа № 2;9В;30\n".as_bytes()).unwrap();
        assert_eq!(rows[0].headcount, 30);
    }

    #[test]
    fn reports_the_line_of_a_bad_row() {
        let file = "municipality,school,class,students\nA,S,1А,20\nA,S,1Б,двадцать\n";
        assert_eq!(
            parse(file.as_bytes()).unwrap_err().to_string(),
            "line 3: the number of students must be a positive whole number, got \"двадцать\""
        );
        let file = "municipality,school,class,students\nA,S,1А,20\n\nA,,1Б,20\n";
        assert_eq!(parse(file.as_bytes()).unwrap_err(), row_error(4, "the school is missing"));
        let file = "municipality,school,class,students,timezone\nA,S,1А,20,Mars/Olympus\n";
        assert!(parse(file.as_bytes()).unwrap_err().to_string().starts_with("line 2: unknown timezone"));
        let file = "municipality,school,class,students\nA,S,1А,0\n";
        assert!(parse(file.as_bytes()).unwrap_err().to_string().starts_with("line 2:"));
        let file = "municipality,school,class,students\nA,S,1А,20\nA,S,1А,21\n";
        assert!(parse(file.as_bytes()).unwrap_err().to_string().contains("already listed on line 2"));
        // Line numbers stay right far down a file with CRLF line ends and blank lines on the way.
        let mut file = String::from("municipality;school;class;students\r\n");
        for n in 1..=500 {
            file.push_str(&format!("A;S;{n};20\r\n"));
            if n % 100 == 0 {
                file.push_str("\r\n");
            }
        }
        file.push_str("A;S;x;0\r\n");
        assert_eq!(parse(file.as_bytes()).unwrap_err().to_string().split(':').next(), Some("line 507"));
    }

    #[test]
    fn counts_bare_cr_line_ends() {
        // Found by tests/fuzz.rs: with the old Mac's line ends every row was reported as line 1.
        let file = "municipality;school;class;students\rA;S;1А;20\r\rA;S;1Б;0\r";
        assert_eq!(
            parse(file.as_bytes()).unwrap_err(),
            row_error(4, "the number of students must be a positive whole number, got \"0\"")
        );
        let rows = parse(b"municipality,school,class,students\rA,S,1,20\r\nA,S,2,20\nA,S,3,20").unwrap();
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 4]);
    }

    #[test]
    fn rejects_missing_columns_and_empty_files() {
        assert_eq!(parse(b"municipality,school,students\n").unwrap_err(), RosterError::MissingColumn("class"));
        assert_eq!(parse(b"").unwrap_err(), RosterError::Empty);
        assert_eq!(parse(b"municipality,school,class,students\n").unwrap_err(), RosterError::NoRows);
        assert_eq!(parse(&[0xff, 0xfe, 0x00]).unwrap_err(), RosterError::NotUtf8);
    }
}
