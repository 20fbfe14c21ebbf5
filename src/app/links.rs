//! Class links: codes people can type from a poster, deep links, the link kit written to a folder
//! (links table, QR codes, posters), a leaked link reissued.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::Utc;
use rand::Rng;

use super::campaigns::{campaign_named, campaign_survey};

use crate::csv_out::Dialect;
use crate::db::{ClassLink, Db};
use crate::failure::Failure;
use crate::poster::{CampaignNotice, ClassAudiences, Poster, Printer};
use crate::qr::Qr;

/// The symbols of class link codes: digits and lowercase letters without the ones a printed poster
/// lets people mistake for each other (0/o, 1/l/i), and one case only, as people type.
const LINK_CODE_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";

/// Length of a class link code: 14 of 31 symbols is 69 bits, far beyond guessing.
const LINK_CODE_LEN: usize = 14;

fn new_link_code() -> String {
    let mut rng = rand::thread_rng();
    (0..LINK_CODE_LEN).map(|_| char::from(LINK_CODE_ALPHABET[rng.gen_range(0..LINK_CODE_ALPHABET.len())])).collect()
}

/// The deep link a class's parents open.
pub fn deep_link(bot_username: &str, code: &str) -> String {
    format!("https://t.me/{bot_username}?start={code}")
}

/// What `links export` wrote.
pub struct LinksExport {
    pub csv: PathBuf,
    /// The same links in a table with clickable links, [`crate::kit::LINKS_XLSX`].
    pub xlsx: PathBuf,
    pub classes: usize,
    pub schools: usize,
}

/// How often `links export` reports progress, in classes: a region has tens of thousands.
pub const PROGRESS_EVERY: usize = 100;

/// Gives every class a link for the campaign and writes `DIR/links.csv`; then, for each class,
/// its QR code and poster as `DIR/<municipality>/<school>/<class>.png|.svg|.pdf`, and for each
/// school all its posters in `posters.pdf`. Calls `progress(done, total)` every
/// [`PROGRESS_EVERY`] classes and once at the end.
pub async fn export_links(
    db: &Db,
    campaign: &str,
    dir: &Path,
    bot_username: &str,
    csv_dialect: Dialect,
    progress: impl FnMut(usize, usize) + Send,
) -> anyhow::Result<LinksExport> {
    if bot_username.is_empty() {
        return Err(Failure::NoBotUsername.into());
    }
    let campaign = campaign_named(db, campaign).await?;
    let links = db.ensure_links(campaign.id, Utc::now(), new_link_code).await?;
    if links.is_empty() {
        return Err(Failure::EmptyRoster.into());
    }
    std::fs::create_dir_all(dir).map_err(|e| Failure::CreateFolder(dir.to_path_buf(), e))?;
    let csv = dir.join("links.csv");
    let mut writer =
        crate::csv_out::Writer::from_path(&csv, csv_dialect).map_err(|e| Failure::Write(csv.clone(), e))?;
    writer.write_record(["municipality", "school", "class", "url"])?;
    for link in &links {
        writer.write_record([&link.municipality, &link.school, &link.class, &deep_link(bot_username, &link.code)])?;
    }
    writer.flush()?;
    let xlsx = dir.join(crate::kit::LINKS_XLSX);
    let table = crate::kit::links_xlsx(&kit_classes(&links, bot_username))?;
    std::fs::write(&xlsx, table).map_err(|e| Failure::Write(xlsx.clone(), e))?;
    let notice = CampaignNotice {
        name: None,
        ends_on: campaign.ends_on,
        audiences: ClassAudiences::of(&campaign_survey(db, campaign.id).await?),
    };
    let schools = write_posters(dir, bot_username, notice, &links, progress)?;
    Ok(LinksExport { csv, xlsx, classes: links.len(), schools })
}

/// Every class's link for the campaign, creating the missing ones.
pub async fn campaign_links(db: &Db, campaign_id: i64) -> anyhow::Result<Vec<ClassLink>> {
    Ok(db.ensure_links(campaign_id, Utc::now(), new_link_code).await?)
}

/// The classes of a kit, each with its deep link.
pub fn kit_classes(links: &[ClassLink], bot_username: &str) -> Vec<crate::kit::KitClass> {
    links
        .iter()
        .map(|link| crate::kit::KitClass {
            municipality: link.municipality.clone(),
            school: link.school.clone(),
            class: link.class.clone(),
            headcount: link.headcount,
            link: deep_link(bot_username, &link.code),
        })
        .collect()
}

/// One school's folder and its classes with their file stems.
struct SchoolFiles<'a> {
    school: &'a str,
    dir: PathBuf,
    classes: Vec<(&'a ClassLink, PathBuf)>,
}

/// Decides every folder and file name before anything is drawn, in one pass over the sorted
/// roster, so a name never depends on which thread got there first.
fn plan_files<'a>(dir: &Path, links: &'a [ClassLink]) -> Vec<SchoolFiles<'a>> {
    let mut by_school: BTreeMap<(&str, &str), Vec<&ClassLink>> = BTreeMap::new();
    for link in links {
        by_school.entry((&link.municipality, &link.school)).or_default().push(link);
    }
    let mut municipalities = Folder::reserving("links.csv");
    let mut municipality: Option<(&str, PathBuf, Folder)> = None;
    let mut plan = Vec::new();
    for ((municipality_name, school), mut classes) in by_school {
        if municipality.as_ref().is_none_or(|(name, ..)| *name != municipality_name) {
            let path = dir.join(municipalities.name_for(municipality_name));
            municipality = Some((municipality_name, path, Folder::default()));
        }
        let (_, municipality_dir, schools) = municipality.as_mut().expect("set above");
        let school_dir = municipality_dir.join(schools.name_for(school));
        // The school's booklet is printed in class order: 5А, 5Б, …, 10А, not 10А before 5А.
        classes.sort_by_cached_key(|link| class_order(&link.class));
        let mut files = Folder::reserving("posters");
        let classes = classes.into_iter().map(|link| (link, school_dir.join(files.name_for(&link.class)))).collect();
        plan.push(SchoolFiles { school, dir: school_dir, classes });
    }
    plan
}

/// Writes the QR codes and posters of every class, a school at a time on each core (a region
/// takes minutes on one); returns the school count.
fn write_posters(
    dir: &Path,
    bot_username: &str,
    notice: CampaignNotice<'_>,
    links: &[ClassLink],
    progress: impl FnMut(usize, usize) + Send,
) -> anyhow::Result<usize> {
    let plan = plan_files(dir, links);
    let printer = Printer::default();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    // The count and the report move together, so reports come in order.
    let done = Mutex::new((0_usize, progress));
    let class_done = || {
        let mut done = done.lock().expect("no thread panics holding it");
        done.0 += 1;
        if done.0.is_multiple_of(PROGRESS_EVERY) && done.0 < links.len() {
            let count = done.0;
            (done.1)(count, links.len());
        }
    };
    let work = || -> anyhow::Result<()> {
        while let Some(school) = plan.get(next.fetch_add(1, Ordering::Relaxed)) {
            if failed.load(Ordering::Relaxed) {
                break;
            }
            write_school(school, bot_username, notice, &printer, class_done).inspect_err(|_| {
                failed.store(true, Ordering::Relaxed);
            })?;
        }
        Ok(())
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(plan.len());
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        workers.into_iter().try_for_each(|worker| worker.join().expect("a poster thread panicked"))
    })?;
    let (count, mut progress) = done.into_inner().expect("no thread panicked");
    progress(count, links.len());
    Ok(plan.len())
}

/// One school: each class's PNG, SVG and poster, then the school's `posters.pdf`.
fn write_school(
    school: &SchoolFiles<'_>,
    bot_username: &str,
    notice: CampaignNotice<'_>,
    printer: &Printer,
    class_done: impl Fn(),
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&school.dir).map_err(|e| Failure::CreateFolder(school.dir.to_path_buf(), e))?;
    let mut codes = Vec::new();
    for (link, stem) in &school.classes {
        let url = deep_link(bot_username, &link.code);
        let qr = Qr::new(&url)?;
        write_file(stem, "png", &qr.png()?)?;
        write_file(stem, "svg", qr.svg().as_bytes())?;
        let poster = Poster { school: school.school, class: &link.class, link: &url, qr: &qr, campaign: notice };
        write_file(stem, "pdf", &printer.pdf(&[poster])?)?;
        codes.push((link, url, qr));
        class_done();
    }
    let posters: Vec<Poster> = codes
        .iter()
        .map(|(link, url, qr)| Poster { school: school.school, class: &link.class, link: url, qr, campaign: notice })
        .collect();
    write_file(&school.dir.join("posters"), "pdf", &printer.pdf(&posters)?)
}

/// Writes `STEM.EXTENSION` (added, not `Path::with_extension`: class "5.1" keeps its dot).
fn write_file(stem: &Path, extension: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let path = stem.with_added_extension(extension);
    std::fs::write(&path, bytes).map_err(|e| Failure::Write(path, e).into())
}

/// Sorts class names by their leading number, then by name; names without a number go last.
pub(crate) fn class_order(class: &str) -> (u32, String) {
    let digits: String = class.chars().take_while(char::is_ascii_digit).collect();
    (digits.parse().unwrap_or(u32::MAX), class.to_string())
}

/// Longest file or folder name, in characters: a typical long school name fits whole, and three
/// levels plus a 40-character output folder stay under the 260 characters that Windows Explorer
/// and many programs still allow for a whole path.
const MAX_NAME_CHARS: usize = 100;

/// Longest name in UTF-8 bytes, leaving room for " (2)" and an extension under the 255 bytes Linux
/// allows (Cyrillic takes two bytes a letter, some scripts four).
const MAX_NAME_BYTES: usize = 240;

/// Names Windows keeps for devices, with or without an extension (`CON`, `nul.pdf`).
const RESERVED_NAMES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹",
    "COM²", "COM³", "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²",
    "LPT³",
];

/// A file or folder name made from a roster name that a person still recognises (Cyrillic kept)
/// and that Windows, macOS and Linux all accept: forbidden characters (`<>:"/\|?*`, control
/// characters) become `_`, a leading dot (a hidden file) too, trailing dots and spaces (which
/// Windows drops) go, device names (`CON`, `NUL`…) get a `_` in front, and a very long name keeps
/// its beginning and end around a `…`, since school names differ at the end ("… № 12").
pub fn safe_file_name(name: &str) -> String {
    let chars: Vec<char> =
        name.trim().chars().map(|c| if c.is_control() || r#"<>:"/\|?*"#.contains(c) { '_' } else { c }).collect();
    // Keeps `keep` characters: all of them, or the beginning and the end around a `…`.
    let shortened = |keep: usize| -> String {
        if keep >= chars.len() {
            return chars.iter().collect();
        }
        let head = (keep - 1).div_ceil(2);
        let (start, end) = (&chars[..head], &chars[chars.len() - (keep - 1 - head)..]);
        start.iter().chain(&['…']).chain(end).collect()
    };
    let mut keep = chars.len().min(MAX_NAME_CHARS);
    let mut safe = shortened(keep);
    while safe.len() > MAX_NAME_BYTES {
        keep -= 1;
        safe = shortened(keep);
    }
    safe.truncate(safe.trim_end_matches(['.', ' ']).len());
    if safe.starts_with('.') {
        safe.replace_range(..1, "_");
    }
    let device = safe.split('.').next().unwrap_or_default().trim_end().to_uppercase();
    if safe.is_empty() || RESERVED_NAMES.contains(&device.as_str()) {
        safe.insert(0, '_');
    }
    safe
}

/// The names given inside one folder: [`safe_file_name`]s, made distinct even where Windows and
/// macOS ignore case ("5А" and "5а" become "5А" and "5а (2)"), so no file overwrites another.
#[derive(Default)]
pub(crate) struct Folder {
    taken: HashSet<String>,
}
impl Folder {
    pub(crate) fn reserving(name: &str) -> Folder {
        Folder { taken: HashSet::from([name.to_lowercase()]) }
    }

    pub(crate) fn name_for(&mut self, name: &str) -> String {
        let base = safe_file_name(name);
        let mut candidate = base.clone();
        let mut n = 2;
        while !self.taken.insert(candidate.to_lowercase()) {
            candidate = format!("{base} ({n})");
            n += 1;
        }
        candidate
    }
}

/// Revokes a class's link (e.g. it leaked into the wrong chat) and issues a new one; returns the new URL.
pub async fn reissue_link(
    db: &Db,
    campaign: &str,
    school: &str,
    class: &str,
    bot_username: &str,
) -> anyhow::Result<String> {
    if bot_username.is_empty() {
        return Err(Failure::NoBotUsername.into());
    }
    let campaign = campaign_named(db, campaign).await?;
    let school = crate::app::staff::resolve_school(db, school).await?;
    let class_id = crate::app::staff::resolve_class(db, &school, class).await?;
    let code = db
        .reissue_link(campaign.id, class_id, &new_link_code(), Utc::now())
        .await?
        .ok_or_else(|| Failure::NoLinkYet(class.to_string()))?;
    Ok(deep_link(bot_username, &code))
}

/// The class's current link in a campaign, created if the class has none yet.
pub async fn class_link(db: &Db, campaign_id: i64, class_id: i64, bot_username: &str) -> anyhow::Result<String> {
    let code = db.class_link(campaign_id, class_id, Utc::now(), &new_link_code()).await?;
    Ok(deep_link(bot_username, &code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_codes_fit_telegram_deep_links_and_differ() {
        let a = new_link_code();
        assert_eq!(a.len(), LINK_CODE_LEN);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, new_link_code());
        // Nothing a printed poster lets people mistake: no 0/O/o, 1/l/I/i, no capitals.
        let many: String = (0..200).map(|_| new_link_code()).collect();
        assert!(!many.contains(['0', 'o', 'O', '1', 'l', 'I', 'i']), "{many}");
        assert!(!many.bytes().any(|b| b.is_ascii_uppercase()));
    }

    #[test]
    fn file_names_keep_cyrillic_and_drop_what_windows_forbids() {
        assert_eq!(safe_file_name("Школа № 1"), "Школа № 1");
        assert_eq!(safe_file_name("5А"), "5А");
        assert_eq!(safe_file_name(r#"Лицей "Открытие": 5/6\7 <a>|b?*"#), "Лицей _Открытие__ 5_6_7 _a__b__");
        assert_eq!(safe_file_name("9\tБ\n"), "9_Б");
        assert_eq!(safe_file_name("  Гимназия ...  "), "Гимназия");
        assert_eq!(safe_file_name(".hidden"), "_hidden");
        assert_eq!(safe_file_name(".."), "_");
        assert_eq!(safe_file_name(""), "_");
        assert_eq!(safe_file_name("???"), "___");
        for device in ["CON", "con", "Nul", "AUX", "prn", "COM1", "lpt9", "nul.tar", "CON .x"] {
            assert!(safe_file_name(device).starts_with('_'), "{device}");
        }
        assert_eq!(safe_file_name("CONTACT"), "CONTACT");
        assert_eq!(safe_file_name("COM10"), "COM10");
    }

    #[test]
    fn long_file_names_keep_their_beginning_and_end() {
        let typical = "МБОУ «Средняя общеобразовательная школа № 12 с углублённым изучением отдельных предметов»";
        assert_eq!(safe_file_name(typical), typical);
        let name = "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 12 \
                    с углублённым изучением отдельных предметов имени Героя Советского Союза И. И. Иванова»";
        let safe = safe_file_name(name);
        assert_eq!(safe.chars().count(), MAX_NAME_CHARS);
        assert!(safe.starts_with("Муниципальное бюджетное") && safe.ends_with("Союза И. И. Иванова»"), "{safe}");
        assert!(safe.contains('…'));
        for long in ["ш".repeat(300), "😀".repeat(300), "a".repeat(300)] {
            let safe = safe_file_name(&long);
            assert!(safe.len() + " (99).pdf".len() <= 255, "Linux's byte limit: {} bytes", safe.len());
            assert!(safe.starts_with(&long[..4]) && safe.ends_with(&long[long.len() - 4..]), "{safe}");
        }
        let dots = format!("{}.{}", "а".repeat(40), ".".repeat(40));
        assert!(!safe_file_name(&dots).ends_with('.'), "no trailing dot after shortening");
    }

    #[test]
    fn names_in_one_folder_stay_distinct_ignoring_case() {
        let mut folder = Folder::reserving("posters");
        assert_eq!(folder.name_for("5А"), "5А");
        assert_eq!(folder.name_for("5а"), "5а (2)");
        assert_eq!(folder.name_for("5:А"), "5_А");
        assert_eq!(folder.name_for("5/А"), "5_А (2)");
        assert_eq!(folder.name_for("Posters"), "Posters (2)", "the school's posters.pdf is not overwritten");
    }

    #[test]
    fn classes_sort_by_grade_then_name() {
        let mut classes = vec!["10А", "5Б", "11", "5А", "Подготовительный", "1В"];
        classes.sort_by_key(|c| class_order(c));
        assert_eq!(classes, ["1В", "5А", "5Б", "10А", "11", "Подготовительный"]);
    }
}
