//! The roster of a benchmark region, shared by `benches/region.rs` and `benches/digests.rs`:
//! 50 municipalities of 20 schools with 30 classes each (grades 1–10, letters А–В), written as the
//! CSV a Russian Excel saves (semicolons), the same every run.

use std::fmt::Write as _;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub const MUNICIPALITIES: usize = 50;
pub const SCHOOLS_PER_MUNICIPALITY: usize = 20;
pub const GRADES: usize = 10;
pub const LETTERS: [&str; 3] = ["А", "Б", "В"];
/// Timezones given to municipalities in turn; `""` leaves the column empty (the default applies).
const TIMEZONES: [&str; 5] = ["", "Europe/Moscow", "Asia/Irkutsk", "Asia/Yekaterinburg", "Asia/Vladivostok"];

/// The region's roster CSV.
pub fn region_csv() -> String {
    let mut csv = String::from("municipality;school;class;students;timezone\n");
    let mut rng = StdRng::seed_from_u64(1);
    let mut school = 0;
    for m in 0..MUNICIPALITIES {
        let timezone = TIMEZONES[m % TIMEZONES.len()];
        for _ in 0..SCHOOLS_PER_MUNICIPALITY {
            school += 1;
            for grade in 1..=GRADES {
                for letter in LETTERS {
                    let students = rng.gen_range(18..=30);
                    let _ = writeln!(csv, "Район {:02};Школа № {school};{grade}{letter};{students};{timezone}", m + 1);
                }
            }
        }
    }
    csv
}
