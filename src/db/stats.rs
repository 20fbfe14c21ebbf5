//! Participation counts by class, school and municipality: what staff see in `/stats` and what
//! the daily digests are built from. Counts only, never answers: they come from the class tallies
//! kept at submit, live, while answers wait in the box for their release. Each audience is
//! counted against its own base: the parents of a class against its families, its students
//! against its students, in the grades the campaign asks that audience only.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use super::{Db, on_pool};
use crate::names;
use crate::roles::Scope;
use crate::survey::{Audience, Grades, class_grade};

/// Responses of one audience against its base.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Share {
    pub responses: i64,
    /// Families (parents) or students of the classes this audience is asked in.
    pub base: i64,
}

impl Share {
    pub fn percent(self) -> f64 {
        if self.base > 0 { 100.0 * self.responses as f64 / self.base as f64 } else { 0.0 }
    }

    fn add(self, other: Share) -> Share {
        Share { responses: self.responses + other.responses, base: self.base + other.base }
    }
}

/// The participation of one group (a class, a school or a municipality), audience by audience.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Participation {
    pub id: i64,
    pub name: String,
    pub parents: Share,
    pub students: Share,
}

impl Participation {
    /// A group with nothing counted yet.
    pub fn empty(id: i64, name: String) -> Participation {
        Participation { id, name, parents: Share::default(), students: Share::default() }
    }

    /// The groups' participation added up.
    pub fn sum(groups: &[Participation]) -> Participation {
        let mut sum = Participation::empty(0, String::new());
        for group in groups {
            sum.add(group);
        }
        sum
    }

    /// Responses of every audience.
    pub fn responses(&self) -> i64 {
        self.parents.responses + self.students.responses
    }

    /// Every audience's responses against every audience's base: the group's single bar.
    pub fn total(&self) -> Share {
        self.parents.add(self.students)
    }

    /// The audiences asked in the group (or answered in it, from before their grades were set),
    /// parents first.
    pub fn shares(&self) -> Vec<(Audience, Share)> {
        self.asked_shares().collect()
    }

    /// [`Participation::shares`] without collecting them: the digests ask this of every bar
    /// and, sorting a municipality's classes, thousands of times per digest.
    fn asked_shares(&self) -> impl Iterator<Item = (Audience, Share)> {
        [(Audience::Parent, self.parents), (Audience::Student, self.students)]
            .into_iter()
            .filter(|(_, share)| share.base > 0 || share.responses > 0)
    }

    /// Whether every audience asked in the group reached `target` percent of its base.
    pub fn reached(&self, target: i64) -> bool {
        self.asked_shares().all(|(_, share)| share.percent() >= target as f64)
    }

    /// The lowest share of the audiences asked (for "the lowest classes").
    pub fn lowest_percent(&self) -> f64 {
        self.asked_shares().map(|(_, share)| share.percent()).fold(f64::INFINITY, f64::min)
    }

    fn add(&mut self, other: &Participation) {
        self.parents = self.parents.add(other.parents);
        self.students = self.students.add(other.students);
    }
}

/// One class with its tallies and where it is.
#[derive(Debug, Clone, sqlx::FromRow)]
struct ClassCount {
    id: i64,
    name: String,
    headcount: i64,
    school_id: i64,
    school: String,
    municipality_id: i64,
    municipality: String,
    parents: i64,
    students: i64,
}

/// The audiences a campaign asks and the grades each is asked in (`None`: every grade).
struct Asked(BTreeMap<Audience, Option<Grades>>);

impl Asked {
    fn base(&self, audience: Audience, class: &ClassCount) -> i64 {
        let asked = match (self.0.get(&audience), class_grade(&class.name)) {
            (None, _) => false,
            (Some(Some(grades)), Some(grade)) => grades.contains(grade),
            (Some(_), _) => true,
        };
        if asked { class.headcount } else { 0 }
    }

    /// The class's parents' and students' shares.
    fn shares(&self, class: &ClassCount) -> (Share, Share) {
        (
            Share { responses: class.parents, base: self.base(Audience::Parent, class) },
            Share { responses: class.students, base: self.base(Audience::Student, class) },
        )
    }

    fn class(&self, class: &ClassCount) -> Participation {
        let (parents, students) = self.shares(class);
        Participation { id: class.id, name: class.name.clone(), parents, students }
    }
}

/// Which classes a count covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Within {
    Region,
    Municipality(i64),
    School(i64),
    Class(i64),
}

impl Within {
    /// The classes of a staff member's scope.
    pub fn of(scope: Scope) -> Within {
        match scope {
            Scope::Region => Within::Region,
            Scope::Municipality { municipality_id } => Within::Municipality(municipality_id),
            Scope::School { school_id, .. } => Within::School(school_id),
            Scope::Class { class_id, .. } => Within::Class(class_id),
        }
    }
}

/// Sums the classes' participation by the group `key` names, in the classes' order.
fn grouped(asked: &Asked, classes: &[ClassCount], key: impl Fn(&ClassCount) -> (i64, &str)) -> Vec<Participation> {
    let mut groups: Vec<Participation> = Vec::new();
    for class in classes {
        let (id, name) = key(class);
        // The classes come ordered by municipality and school, so a group's classes are adjacent.
        let group = match groups.last_mut() {
            Some(group) if group.id == id => group,
            _ => {
                groups.push(Participation::empty(id, name.to_string()));
                groups.last_mut().expect("just pushed")
            }
        };
        let (parents, students) = asked.shares(class);
        group.parents = group.parents.add(parents);
        group.students = group.students.add(students);
    }
    groups
}

/// A campaign's participation counts, read at once: a digest round reads the region's classes
/// once and builds every digest from them (one query a round, not three a digest, and every
/// digest of the round counted at the same moment); `/stats` reads the classes of one view.
pub struct Counts {
    asked: Asked,
    /// In listing order ([`in_listing_order`]); names are unique at each level, so each
    /// school's and each municipality's classes are adjacent.
    classes: Vec<ClassCount>,
    /// Where each class is in `classes`, and where each school's and each municipality's lie.
    class_at: HashMap<i64, usize>,
    schools: HashMap<i64, Range<usize>>,
    municipalities: HashMap<i64, Range<usize>>,
}

impl Counts {
    fn new(asked: Asked, classes: Vec<ClassCount>) -> Counts {
        let (mut class_at, mut schools, mut municipalities) = (HashMap::new(), HashMap::new(), HashMap::new());
        for (at, class) in classes.iter().enumerate() {
            class_at.insert(class.id, at);
            schools.entry(class.school_id).or_insert(at..at).end = at + 1;
            municipalities.entry(class.municipality_id).or_insert(at..at).end = at + 1;
        }
        Counts { asked, classes, class_at, schools, municipalities }
    }

    fn in_school(&self, school_id: i64) -> &[ClassCount] {
        self.schools.get(&school_id).map_or(&[], |range| &self.classes[range.clone()])
    }

    fn in_municipality(&self, municipality_id: i64) -> &[ClassCount] {
        self.municipalities.get(&municipality_id).map_or(&[], |range| &self.classes[range.clone()])
    }

    /// Each class of a school.
    pub fn classes_of_school(&self, school_id: i64) -> Vec<Participation> {
        self.in_school(school_id).iter().map(|class| self.asked.class(class)).collect()
    }

    /// One class.
    pub fn class(&self, class_id: i64) -> Option<Participation> {
        self.class_at.get(&class_id).map(|&at| self.asked.class(&self.classes[at]))
    }

    /// Each school of a municipality.
    pub fn schools_of_municipality(&self, municipality_id: i64) -> Vec<Participation> {
        grouped(&self.asked, self.in_municipality(municipality_id), |class| (class.school_id, class.school.as_str()))
    }

    /// Each class of a municipality with its school's name (for "the lowest classes").
    pub fn classes_of_municipality(&self, municipality_id: i64) -> Vec<(String, Participation)> {
        self.in_municipality(municipality_id)
            .iter()
            .map(|class| (class.school.clone(), self.asked.class(class)))
            .collect()
    }

    /// Each municipality.
    pub fn municipalities(&self) -> Vec<Participation> {
        grouped(&self.asked, &self.classes, |class| (class.municipality_id, class.municipality.as_str()))
    }

    /// Each school with the base of its minimum sample: the students of its classes that any
    /// of the campaign's audiences is asked in (a class asked of parents and students counts once).
    pub fn school_bases(&self) -> Vec<SchoolBase> {
        let mut bases: Vec<SchoolBase> = Vec::new();
        for class in &self.classes {
            let students = self.asked.base(Audience::Parent, class).max(self.asked.base(Audience::Student, class));
            match bases.last_mut() {
                Some(base) if base.school_id == class.school_id => base.students += students,
                _ => bases.push(SchoolBase {
                    municipality_id: class.municipality_id,
                    municipality: class.municipality.clone(),
                    school_id: class.school_id,
                    school: class.school.clone(),
                    students,
                }),
            }
        }
        bases
    }
}

/// Orders classes by municipality, school and class in the order people list names
/// ([`names::sort_key`]: `1А` before `10А`, `Школа № 2` before `Школа № 10`), the same on both
/// engines. Each distinct name's key is worked out once (a region has about 1,100), then the
/// classes are sorted by the names' ranks.
fn in_listing_order(classes: &mut [ClassCount]) {
    let mut names: Vec<&str> = classes
        .iter()
        .flat_map(|class| [class.municipality.as_str(), class.school.as_str(), class.name.as_str()])
        .collect();
    names.sort_unstable();
    names.dedup();
    // Names that list alike (`5а`, `5А`) are ranked by their bytes: each name has a rank of its own.
    let mut keyed: Vec<(String, &str)> = names.into_iter().map(|name| (names::sort_key(name), name)).collect();
    keyed.sort_unstable();
    let rank: HashMap<String, usize> =
        keyed.into_iter().enumerate().map(|(rank, (_, name))| (name.to_string(), rank)).collect();
    classes
        .sort_by_cached_key(|class| [&class.municipality, &class.school, &class.name].map(|name| rank[name.as_str()]));
}

/// The classes `class_counts` packed into one string.
fn unpack_classes(packed: &str) -> sqlx::Result<Vec<ClassCount>> {
    let mut rest = packed;
    let mut classes = Vec::new();
    while !rest.is_empty() {
        let class = unpack_class(&mut rest).ok_or_else(|| {
            sqlx::Error::Decode(format!("a packed class list that does not parse: {packed:.80}").into())
        })?;
        classes.push(class);
    }
    Ok(classes)
}

/// The class at the start of `rest`, taken off it.
fn unpack_class(rest: &mut &str) -> Option<ClassCount> {
    let mut numbers = [0i64; 6];
    for number in &mut numbers {
        let (value, tail) = rest.split_once(',')?;
        *number = value.parse().ok()?;
        *rest = tail;
    }
    let [id, headcount, school_id, municipality_id, parents, students] = numbers;
    let (name, school, municipality) = (unpack_name(rest)?, unpack_name(rest)?, unpack_name(rest)?);
    Some(ClassCount { id, name, headcount, school_id, school, municipality_id, municipality, parents, students })
}

/// The `length:name` at the start of `rest`, taken off it.
fn unpack_name(rest: &mut &str) -> Option<String> {
    let (length, tail) = rest.split_once(':')?;
    let length: usize = length.parse().ok()?;
    let name = tail.get(..length)?;
    *rest = &tail[length..];
    Some(name.to_string())
}

/// A school and the base of its minimum sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchoolBase {
    pub municipality_id: i64,
    pub municipality: String,
    pub school_id: i64,
    pub school: String,
    /// The students of the school's classes the campaign asks (families are counted as students).
    pub students: i64,
}

impl Db {
    async fn asked(&self, campaign_id: i64) -> sqlx::Result<Asked> {
        let rows: Vec<(String, Option<String>)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT audience, grades FROM campaign_questionnaires WHERE campaign_id = $1",
        )
        .bind(campaign_id)
        .fetch_all(pool)
        .await)?;
        let mut asked = BTreeMap::new();
        for (audience, grades) in rows {
            let Some(audience) = Audience::from_code(&audience) else { continue };
            let grades = grades.map(|text| Grades::parse(&text).map_err(|e| sqlx::Error::Decode(Box::new(e))));
            asked.insert(audience, grades.transpose()?);
        }
        Ok(Asked(asked))
    }

    /// The participation counts of every class within.
    pub async fn counts(&self, campaign_id: i64, within: Within) -> sqlx::Result<Counts> {
        Ok(Counts::new(self.asked(campaign_id).await?, self.class_counts(campaign_id, within).await?))
    }

    /// Every class within, ordered by municipality, school and class, with its tallies (joined,
    /// as `class_counts_by_name` does, rather than two subqueries per class). Read as one row,
    /// the classes packed into one string: sqlx hands each row over from its SQLite thread with
    /// two thread wake-ups, and a municipality's digest read 600 rows, a school's 30.
    async fn class_counts(&self, campaign_id: i64, within: Within) -> sqlx::Result<Vec<ClassCount>> {
        let (filter, id) = match within {
            Within::Region => ("$2 = 0", 0),
            Within::Municipality(id) => ("s.municipality_id = $2", id),
            Within::School(id) => ("s.id = $2", id),
            Within::Class(id) => ("k.id = $2", id),
        };
        // Each class as `id,headcount,school id,municipality id,parents,students,` and then its,
        // its school's and its municipality's names as `length in bytes:name`: no name can
        // break a record.
        let sql = format!(
            "SELECT string_agg(k.id || ',' || k.headcount || ',' || s.id || ',' || m.id || ','
                               || COALESCE(p.responses, 0) || ',' || COALESCE(t.responses, 0) || ','
                               || octet_length(k.name) || ':' || k.name || octet_length(s.name) || ':' || s.name
                               || octet_length(m.name) || ':' || m.name, '')
             FROM classes k JOIN schools s ON s.id = k.school_id JOIN municipalities m ON m.id = s.municipality_id
             LEFT JOIN class_tallies p ON p.campaign_id = $1 AND p.class_id = k.id AND p.audience = 'parent'
             LEFT JOIN class_tallies t ON t.campaign_id = $1 AND t.class_id = k.id AND t.audience = 'student'
             WHERE {filter}"
        );
        let packed: Option<String> =
            on_pool!(self, pool => sqlx::query_scalar(&sql).bind(campaign_id).bind(id).fetch_one(pool).await)?;
        let mut classes = packed.as_deref().map_or(Ok(Vec::new()), unpack_classes)?;
        // Ordered here, not in the aggregate: PostgreSQL spilled the region's 30,000 classes to
        // disk to order them, a third of the query's 100 ms.
        in_listing_order(&mut classes);
        Ok(classes)
    }

    /// Each municipality's classes of one name ("5А" of all its schools) as one row, their
    /// headcounts and tallies added up, ordered by municipality (no school: `school_id` 0,
    /// `school` empty). Which audiences a class is asked depends on its name alone, so the
    /// municipalities add up to what every class gives, from a twentieth of the rows: the
    /// region's digest read 30,000 classes, 0.4 s, most of it in fetching and decoding rows.
    /// Joined rather than a subquery per class: the same on SQLite, a third of the time on
    /// PostgreSQL (BENCHMARKS.md, digests).
    async fn class_counts_by_name(&self, campaign_id: i64) -> sqlx::Result<Vec<ClassCount>> {
        const SQL: &str = "SELECT MIN(k.id) AS id, k.name, CAST(SUM(k.headcount) AS BIGINT) AS headcount,
                    CAST(0 AS BIGINT) AS school_id, '' AS school, m.id AS municipality_id, m.name AS municipality,
                    CAST(SUM(COALESCE(p.responses, 0)) AS BIGINT) AS parents,
                    CAST(SUM(COALESCE(t.responses, 0)) AS BIGINT) AS students
             FROM classes k JOIN schools s ON s.id = k.school_id JOIN municipalities m ON m.id = s.municipality_id
             LEFT JOIN class_tallies p ON p.campaign_id = $1 AND p.class_id = k.id AND p.audience = 'parent'
             LEFT JOIN class_tallies t ON t.campaign_id = $1 AND t.class_id = k.id AND t.audience = 'student'
             GROUP BY m.id, m.name, k.name";
        let mut classes = on_pool!(self, pool => sqlx::query_as(SQL).bind(campaign_id).fetch_all(pool).await)?;
        in_listing_order(&mut classes);
        Ok(classes)
    }

    /// Every school of the roster with the base of its minimum sample in `campaign_id`.
    pub async fn school_bases(&self, campaign_id: i64) -> sqlx::Result<Vec<SchoolBase>> {
        Ok(self.counts(campaign_id, Within::Region).await?.school_bases())
    }

    /// Each class of a school.
    pub async fn participation_by_class(&self, campaign_id: i64, school_id: i64) -> sqlx::Result<Vec<Participation>> {
        Ok(self.counts(campaign_id, Within::School(school_id)).await?.classes_of_school(school_id))
    }

    /// One class (the thanks screen's count).
    pub async fn class_participation(&self, campaign_id: i64, class_id: i64) -> sqlx::Result<Option<Participation>> {
        Ok(self.counts(campaign_id, Within::Class(class_id)).await?.class(class_id))
    }

    /// Each school of a municipality.
    pub async fn participation_by_school(
        &self,
        campaign_id: i64,
        municipality_id: i64,
    ) -> sqlx::Result<Vec<Participation>> {
        Ok(self
            .counts(campaign_id, Within::Municipality(municipality_id))
            .await?
            .schools_of_municipality(municipality_id))
    }

    /// Each municipality of the region, from its classes summed by name.
    pub async fn participation_by_municipality(&self, campaign_id: i64) -> sqlx::Result<Vec<Participation>> {
        let by_name = Counts::new(self.asked(campaign_id).await?, self.class_counts_by_name(campaign_id).await?);
        Ok(by_name.municipalities())
    }

    /// The whole region's participation, audience by audience (`anketa campaign list`).
    pub async fn participation_in_region(&self, campaign_id: i64) -> sqlx::Result<Participation> {
        Ok(Participation::sum(&self.participation_by_municipality(campaign_id).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(name: &str, headcount: i64, parents: i64, students: i64) -> ClassCount {
        ClassCount {
            id: 1,
            name: name.into(),
            headcount,
            school_id: 1,
            school: "Школа".into(),
            municipality_id: 1,
            municipality: "Город".into(),
            parents,
            students,
        }
    }

    #[test]
    fn each_audience_is_counted_against_the_classes_it_is_asked_in() {
        let asked = Asked(BTreeMap::from([
            (Audience::Parent, Some(Grades::parse("1-8").unwrap())),
            (Audience::Student, Some(Grades::parse("9-11").unwrap())),
        ]));
        let classes = [class("1А", 20, 5, 0), class("10А", 25, 0, 8), class("Подготовительный", 10, 1, 0)];
        let first = asked.class(&classes[0]);
        assert_eq!((first.parents, first.students), (Share { responses: 5, base: 20 }, Share::default()));
        assert_eq!(first.shares().len(), 1, "students are not asked in grade 1");
        let tenth = asked.class(&classes[1]);
        assert_eq!((tenth.parents.base, tenth.students), (0, Share { responses: 8, base: 25 }));
        let unread = asked.class(&classes[2]);
        assert_eq!((unread.parents.base, unread.students.base), (10, 10), "an unread grade is asked everything");
        let school = &grouped(&asked, &classes, |c| (c.school_id, c.school.as_str()))[0];
        assert_eq!(school.parents, Share { responses: 6, base: 30 });
        assert_eq!(school.students, Share { responses: 8, base: 35 });
        assert!(!school.reached(30) && school.reached(20));
    }

    #[test]
    fn packed_classes_unpack_whatever_their_names_hold() {
        let packed = "7,25,3,1,12,0,3:5А16:Школа, 1:2\n10:Город8,30,3,1,0,4,3:5Б16:Школа, 1:2\n10:Город";
        let classes = unpack_classes(packed).unwrap();
        assert_eq!(classes.len(), 2);
        let first = &classes[0];
        assert_eq!((first.id, first.headcount, first.school_id, first.municipality_id), (7, 25, 3, 1));
        assert_eq!((first.parents, first.students), (12, 0));
        assert_eq!(
            (first.name.as_str(), first.school.as_str(), first.municipality.as_str()),
            ("5А", "Школа, 1:2\n", "Город")
        );
        assert_eq!((classes[1].id, classes[1].name.as_str(), classes[1].students), (8, "5Б", 4));
        assert!(unpack_classes("7,25,3,1,12,0,9:5А").is_err(), "a name cut short");
        assert!(unpack_classes("7,25,x,1,12,0,3:5А0:0:").is_err(), "not a number");
    }

    #[test]
    fn classes_are_listed_as_people_number_them() {
        let at = |school: &str, name: &str| ClassCount { school: school.into(), ..class(name, 20, 0, 0) };
        let mut classes = vec![
            at("Школа № 10", "1А"),
            at("Школа № 2", "10А"),
            at("Школа № 2", "1Б"),
            at("Школа № 2", "1А"),
            at("Школа № 2", "2А"),
        ];
        in_listing_order(&mut classes);
        let listed: Vec<(&str, &str)> = classes.iter().map(|c| (c.school.as_str(), c.name.as_str())).collect();
        assert_eq!(
            listed,
            [("Школа № 2", "1А"), ("Школа № 2", "1Б"), ("Школа № 2", "2А"), ("Школа № 2", "10А"), ("Школа № 10", "1А")]
        );
    }

    #[test]
    fn a_campaign_for_parents_only_shows_no_students() {
        let asked = Asked(BTreeMap::from([(Audience::Parent, None)]));
        let row = asked.class(&class("10А", 25, 12, 0));
        assert_eq!(row.shares(), [(Audience::Parent, Share { responses: 12, base: 25 })]);
    }
}
