//! Places of the roster (municipalities, schools, classes) found by the names people type: one
//! matcher for `/stats <name>` in the bot and `--school` on the command line. Pure: the caller
//! hands it the places it may see, so it can never suggest or reveal a place outside them.
//!
//! A typed name is compared by [`names::fold`] (quotes of any style, case, ё, spaces, Latin
//! look-alikes), first whole, then as a part of a name (`Лицей № 2` in `МАОУ «Лицей № 2»`), then
//! as a school and a class (`Школа № 1 / 5А` or `Школа № 1 5А`), and failing that the nearest
//! names are offered.

use crate::names::{class_name, edit_distance, edit_distance_within, fold};
use crate::roles::Scope;

/// A level of the roster, broadest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Municipality,
    School,
    Class,
}

impl Level {
    /// The level one step down (a municipality's schools, a school's classes).
    pub fn below(self) -> Option<Level> {
        match self {
            Level::Municipality => Some(Level::School),
            Level::School => Some(Level::Class),
            Level::Class => None,
        }
    }
}

/// A municipality, school or class with the places it lies in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub level: Level,
    pub id: i64,
    pub name: String,
    pub municipality_id: i64,
    pub municipality: String,
    /// A class's school: (id, name).
    pub school: Option<(i64, String)>,
}

impl Place {
    /// The scope that sees exactly this place and what lies in it.
    pub fn scope(&self) -> Scope {
        let municipality_id = self.municipality_id;
        match (self.level, &self.school) {
            (Level::Municipality, _) => Scope::Municipality { municipality_id },
            (Level::School, _) => Scope::School { municipality_id, school_id: self.id },
            (Level::Class, Some((school_id, _))) => {
                Scope::Class { municipality_id, school_id: *school_id, class_id: self.id }
            }
            // A class always comes with its school; without one it is seen as its municipality.
            (Level::Class, None) => Scope::Municipality { municipality_id },
        }
    }

    /// Whether this place lies directly in `parent` (a school in its municipality, a class in its school).
    fn is_child_of(&self, parent: &Place) -> bool {
        match (parent.level, self.level) {
            (Level::Municipality, Level::School) => self.municipality_id == parent.id,
            (Level::School, Level::Class) => self.school.as_ref().is_some_and(|(id, _)| *id == parent.id),
            _ => false,
        }
    }

    /// The name as compared: a class by its one written form (`5а` and `5A` are `5А`).
    fn key(&self) -> String {
        key(self.level, &self.name)
    }
}

fn key(level: Level, text: &str) -> String {
    match level {
        Level::Class => fold(&class_name(text)),
        _ => fold(text),
    }
}

/// What a typed name found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found<'a> {
    One(&'a Place),
    /// Several places answer to the name: the person chooses.
    Several(Vec<&'a Place>),
    /// Nothing answers to it; these are the nearest names (at most [`SUGGESTIONS`], maybe none).
    Nearest(Vec<&'a Place>),
}

/// How many near names are offered at most.
pub const SUGGESTIONS: usize = 3;

/// Finds `typed` among `places`: a place of the levels `alone` by its name alone, any place as
/// `outer / inner` (within one school `5А` names a class; within a region it means nothing, and
/// `Школа № 1 / 5А` does).
pub fn find<'a>(places: &'a [Place], typed: &str, alone: &[Level]) -> Found<'a> {
    let named: Vec<&Place> = places.iter().filter(|p| alone.contains(&p.level)).collect();
    let direct = matching(&named, typed);
    if !direct.is_empty() {
        return one_or_several(direct);
    }
    let inner = inside(places, typed);
    if !inner.is_empty() {
        return one_or_several(inner);
    }
    Found::Nearest(nearest(&named, typed))
}

fn one_or_several(mut found: Vec<&Place>) -> Found<'_> {
    if found.len() == 1 { Found::One(found.remove(0)) } else { Found::Several(found) }
}

/// The places whose name is `typed`, or else those whose name holds it.
fn matching<'a>(places: &[&'a Place], typed: &str) -> Vec<&'a Place> {
    let exact: Vec<&Place> = places.iter().copied().filter(|p| p.key() == key(p.level, typed)).collect();
    if !exact.is_empty() {
        return exact;
    }
    places.iter().copied().filter(|p| holds(&p.key(), &key(p.level, typed))).collect()
}

/// Whether `name` holds `part`, a number not cut in the middle: `школа№1` is not in `школа№12`.
fn holds(name: &str, part: &str) -> bool {
    if part.is_empty() {
        return false;
    }
    let starts_with_digit = part.starts_with(|c: char| c.is_ascii_digit());
    let ends_with_digit = part.ends_with(|c: char| c.is_ascii_digit());
    name.match_indices(part).any(|(at, _)| {
        let before = name[..at].chars().next_back();
        let after = name[at + part.len()..].chars().next();
        let cuts_before = starts_with_digit && before.is_some_and(|c| c.is_ascii_digit());
        let cuts_after = ends_with_digit && after.is_some_and(|c| c.is_ascii_digit());
        !cuts_before && !cuts_after
    })
}

/// `Школа № 1 / 5А`, `Школа № 1 5А`, `Город / Школа № 1 / 5А`: a place, then one inside it.
fn inside<'a>(places: &'a [Place], typed: &str) -> Vec<&'a Place> {
    let typed = typed.trim();
    let Some((outer, inner)) = typed.rsplit_once('/').or_else(|| typed.rsplit_once(char::is_whitespace)) else {
        return Vec::new();
    };
    let outers: Vec<&Place> = places.iter().filter(|p| p.level != Level::Class).collect();
    let mut parents = matching(&outers, outer);
    if parents.is_empty() {
        parents = inside(places, outer);
    }
    let [parent] = parents[..] else { return Vec::new() };
    let children: Vec<&Place> = places.iter().filter(|p| p.is_child_of(parent)).collect();
    matching(&children, inner)
}

/// The names nearest to `typed`, within a distance that grows with its length.
fn nearest<'a>(places: &[&'a Place], typed: &str) -> Vec<&'a Place> {
    let mut scored: Vec<(usize, &Place)> = places
        .iter()
        .filter_map(|p| {
            let typed = key(p.level, typed);
            let length = typed.chars().count();
            if length == 0 {
                return None;
            }
            let name = p.key();
            let distance = edit_distance(&typed, &name).min(edit_distance_within(&typed, &name));
            // One slip in a short name, up to three in a long one.
            (distance <= (length / 3).clamp(1, 3)).then_some((distance, *p))
        })
        .collect();
    scored.sort_by(|(a, p), (b, q)| a.cmp(b).then(p.level.cmp(&q.level)).then(p.name.cmp(&q.name)));
    scored.into_iter().map(|(_, p)| p).take(SUGGESTIONS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster() -> Vec<Place> {
        let municipality = |id: i64, name: &str| Place {
            level: Level::Municipality,
            id,
            name: name.into(),
            municipality_id: id,
            municipality: name.into(),
            school: None,
        };
        let school = |id: i64, name: &str, m: i64| Place {
            level: Level::School,
            id,
            name: name.into(),
            municipality_id: m,
            municipality: format!("m{m}"),
            school: None,
        };
        let class = |id: i64, name: &str, s: i64, m: i64| Place {
            level: Level::Class,
            id,
            name: name.into(),
            municipality_id: m,
            municipality: format!("m{m}"),
            school: Some((s, format!("s{s}"))),
        };
        vec![
            municipality(1, "Иркутск"),
            municipality(2, "Ангарский район"),
            school(10, "МАОУ \"Лицей № 2\"", 1),
            school(11, "Школа № 1", 1),
            school(12, "Школа № 12", 1),
            school(13, "Школа № 1", 2),
            class(100, "5А", 11, 1),
            class(101, "5Б", 11, 1),
            class(102, "9В", 10, 1),
            class(103, "5А", 13, 2),
        ]
    }

    const BROAD: &[Level] = &[Level::Municipality, Level::School];
    const NARROW: &[Level] = &[Level::Municipality, Level::School, Level::Class];

    fn ids(found: &Found<'_>) -> Vec<i64> {
        match found {
            Found::One(p) => vec![p.id],
            Found::Several(ps) | Found::Nearest(ps) => ps.iter().map(|p| p.id).collect(),
        }
    }

    #[test]
    fn a_name_is_found_whatever_its_quotes_case_and_spaces() {
        let places = roster();
        for typed in ["МАОУ «Лицей № 2»", "маоу “лицей №2”", "МАОУ \"Лицей № 2\"", "Лицей № 2", "лицей №2", "ЛИЦЕЙ №2"]
        {
            assert_eq!(find(&places, typed, BROAD), Found::One(&places[2]), "{typed:?}");
        }
        assert_eq!(find(&places, "иркутск", BROAD), Found::One(&places[0]));
        assert_eq!(find(&places, "Ангарский", BROAD), Found::One(&places[1]), "a part of the name");
    }

    #[test]
    fn a_whole_name_comes_before_a_part_and_numbers_are_not_cut() {
        let places = roster();
        // `Школа № 1` is a whole name in two municipalities; `Школа № 12` only holds it as a part.
        assert_eq!(ids(&find(&places, "Школа № 1", BROAD)), [11, 13]);
        assert!(matches!(find(&places, "Школа № 1", BROAD), Found::Several(_)));
        assert_eq!(find(&places, "школа №12", BROAD), Found::One(&places[4]));
    }

    #[test]
    fn classes_by_name_only_within_one_school() {
        let places = roster();
        let school: Vec<Place> =
            places.iter().filter(|p| p.id == 11 || p.school.as_ref().is_some_and(|s| s.0 == 11)).cloned().collect();
        for typed in ["5а", "5A", "5 а", "5А"] {
            assert_eq!(ids(&find(&school, typed, NARROW)), [100], "{typed:?}");
        }
        assert_eq!(ids(&find(&school, "5", NARROW)), [100, 101], "a grade lists its classes");
        // Region-wide, a bare class name is no place; with its school it is.
        assert!(matches!(find(&places, "5а", BROAD), Found::Nearest(_)));
        assert_eq!(ids(&find(&places, "Лицей № 2 / 9в", BROAD)), [102]);
        assert_eq!(ids(&find(&places, "лицей №2 9В", BROAD)), [102]);
        assert_eq!(ids(&find(&places, "Иркутск / Школа № 1", BROAD)), [11]);
        assert_eq!(ids(&find(&places, "Ангарский район / Школа № 1 / 5А", BROAD)), [103]);
    }

    #[test]
    fn near_misses_are_offered_and_only_near_ones() {
        let places = roster();
        assert_eq!(ids(&find(&places, "Лицй № 2", BROAD)), [10]);
        assert_eq!(find(&places, "Лицей 2", BROAD), Found::Nearest(vec![&places[2]]), "without №: offered");
        assert_eq!(ids(&find(&places, "Иркуцк", BROAD)), [1]);
        assert_eq!(ids(&find(&places, "Гимназия № 7", BROAD)), Vec::<i64>::new());
        assert_eq!(ids(&find(&places, "«»", BROAD)), Vec::<i64>::new());
        let Found::Nearest(near) = find(&places, "Школа № 3", BROAD) else { panic!("not a near miss") };
        assert!(near.len() <= SUGGESTIONS && near.iter().all(|p| p.level == Level::School), "{near:?}");
    }

    #[test]
    fn nothing_outside_the_given_places_is_found_or_offered() {
        let places = roster();
        let school: Vec<Place> =
            places.iter().filter(|p| p.id == 11 || p.school.as_ref().is_some_and(|s| s.0 == 11)).cloned().collect();
        for typed in ["Лицей № 2", "Лицй № 2", "9В", "Иркутск", "Школа № 12"] {
            let found = find(&school, typed, NARROW);
            assert!(ids(&found).iter().all(|id| [11, 100, 101].contains(id)), "{typed:?}: {found:?}");
        }
    }

    #[test]
    fn a_place_sees_itself_and_what_lies_in_it() {
        let places = roster();
        assert_eq!(places[6].scope(), Scope::Class { municipality_id: 1, school_id: 11, class_id: 100 });
        assert!(places[3].scope().covers(places[6].scope()));
        assert!(!places[3].scope().covers(places[8].scope()));
    }
}
