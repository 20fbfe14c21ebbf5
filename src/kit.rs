//! The link kit: every class's link in `Ссылки.xlsx` (clickable), each class's QR code as PNG and
//! each school's posters as one PDF, packed into ZIP parts that each stay below Telegram's upload
//! limit for bots. Whole schools go into a part; a school is split by classes only when it alone
//! is over the limit. Pure: no database, no Telegram.

use std::collections::BTreeMap;
use std::io::{Cursor, Write};
use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rust_xlsxwriter::{Format, Url, Workbook, XlsxError};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::app::{links::Folder, links::class_order};
use crate::poster::{CampaignNotice, Poster, PosterError, Printer};
use crate::qr::{Qr, QrError};

/// The largest part, in bytes: Telegram takes documents from bots up to 50 MB; a margin is kept.
pub const PART_BYTES: u64 = 49 * 1024 * 1024;

/// The name of the links table inside every part (and beside `links.csv` in `links export`).
pub const LINKS_XLSX: &str = "Ссылки.xlsx";

/// One class of the kit with its deep link.
#[derive(Debug, Clone)]
pub struct KitClass {
    pub municipality: String,
    pub school: String,
    pub class: String,
    pub headcount: i64,
    pub link: String,
}

/// One ZIP document of the kit.
#[derive(Debug)]
pub struct KitPart {
    pub name: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum KitError {
    #[error("cannot write the links table: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("cannot write the ZIP: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("cannot write the ZIP: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Qr(#[from] QrError),
    #[error(transparent)]
    Poster(#[from] PosterError),
}

/// The links table: one row per class, the link clickable; a frozen header row and a filter.
pub fn links_xlsx(classes: &[KitClass]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Ссылки")?;
    let bold = Format::new().set_bold();
    for (column, (header, width)) in
        [("Муниципалитет", 30), ("Школа", 45), ("Класс", 10), ("Учеников", 10), ("Ссылка", 50)].into_iter().enumerate()
    {
        let column = column as u16;
        sheet.write_string_with_format(0, column, header, &bold)?;
        sheet.set_column_width(column, width)?;
    }
    for (row, class) in (1_u32..).zip(classes) {
        sheet.write_string(row, 0, &class.municipality)?;
        sheet.write_string(row, 1, &class.school)?;
        sheet.write_string(row, 2, &class.class)?;
        sheet.write_number(row, 3, class.headcount as f64)?;
        sheet.write_url(row, 4, Url::new(&class.link))?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, classes.len() as u32, 4)?;
    workbook.save_to_buffer()
}

/// Splits consecutive units of the given sizes into groups whose total stays within `limit`,
/// in order; a unit alone over the limit gets a group of its own.
pub fn split(sizes: &[u64], limit: u64) -> Vec<Range<usize>> {
    let mut groups = Vec::new();
    let (mut start, mut total) = (0, 0_u64);
    for (i, &size) in sizes.iter().enumerate() {
        if i > start && total + size > limit {
            groups.push(start..i);
            (start, total) = (i, 0);
        }
        total += size;
    }
    if start < sizes.len() {
        groups.push(start..sizes.len());
    }
    groups
}

/// Bytes a ZIP entry adds beyond its data: local and central headers with the name twice, a
/// data descriptor and room for ZIP64 and timestamp extras.
const ENTRY_OVERHEAD: u64 = 30 + 46 + 16 + 64;
/// Bytes a part adds once: the end records and the links table's fixed part.
const PART_OVERHEAD: u64 = 22 + 56 + 20 + 16 * 1024;
/// Bytes one class adds to the links table, generously.
const ROW_BYTES: u64 = 512;

/// One school's rendered files.
struct SchoolFiles {
    folder: String,
    /// Indexes into the kit's classes, in print order.
    classes: Vec<usize>,
    /// Each class's PNG file name and bytes.
    pngs: Vec<(String, Vec<u8>)>,
}

/// A part's content: a school, or some classes of a school too large for one part.
struct Unit {
    school: usize,
    classes: Range<usize>,
}

/// Builds the kit of `classes` as ZIP parts named `TITLE.zip`, or `TITLE (часть 1 из 3).zip`
/// when it needs several, none over `limit` bytes unless one class alone is. Draws the schools on
/// every core; calls `progress(done, total)` after each school.
pub fn build(
    title: &str,
    campaign: CampaignNotice<'_>,
    classes: &[KitClass],
    limit: u64,
    progress: impl FnMut(usize, usize) + Send,
) -> Result<Vec<KitPart>, KitError> {
    let printer = Printer::default();
    let schools = render_schools(classes, progress)?;
    let mut units: Vec<Unit> = Vec::new();
    let mut sizes = Vec::new();
    for (index, school) in schools.iter().enumerate() {
        let class_sizes: Vec<u64> = school
            .pngs
            .iter()
            .map(|(name, png)| png.len() as u64 + 2 * ENTRY_OVERHEAD + 2 * name.len() as u64 + ROW_BYTES)
            .collect();
        let (fixed, page) = poster_cost(&printer, campaign, classes, school)?;
        let per_class: Vec<u64> = class_sizes.iter().map(|size| size + page).collect();
        let whole = fixed + per_class.iter().sum::<u64>();
        if whole + PART_OVERHEAD <= limit {
            units.push(Unit { school: index, classes: 0..school.classes.len() });
            sizes.push(whole);
            continue;
        }
        for range in split(&per_class, limit.saturating_sub(PART_OVERHEAD + fixed)) {
            sizes.push(fixed + per_class[range.clone()].iter().sum::<u64>());
            units.push(Unit { school: index, classes: range });
        }
    }
    let mut groups: Vec<Vec<&Unit>> = split(&sizes, limit.saturating_sub(PART_OVERHEAD))
        .into_iter()
        .map(|range| units[range].iter().collect())
        .collect();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < groups.len() {
        let bytes = pack(&printer, campaign, classes, &schools, &groups[i])?;
        // The estimate is generous; should a part still be over, its last unit moves on.
        if bytes.len() as u64 > limit && groups[i].len() > 1 {
            let last = groups[i].pop().expect("more than one unit");
            groups.insert(i + 1, vec![last]);
            continue;
        }
        parts.push(bytes);
        i += 1;
    }
    let count = parts.len();
    Ok(parts
        .into_iter()
        .enumerate()
        .map(|(n, bytes)| KitPart { name: part_name(title, n + 1, count), bytes })
        .collect())
}

/// `TITLE.zip`, or `TITLE (часть N из COUNT).zip`.
pub fn part_name(title: &str, n: usize, count: usize) -> String {
    let title = crate::app::links::safe_file_name(title);
    if count == 1 { format!("{title}.zip") } else { format!("{title} (часть {n} из {count}).zip") }
}

/// The school's posters PDF as a fixed part (the fonts) and a bound on each further page,
/// measured from its first class's poster printed once and twice; a page's text differs only in
/// the class's name, and the margin covers the glyphs that adds.
fn poster_cost(
    printer: &Printer,
    campaign: CampaignNotice<'_>,
    classes: &[KitClass],
    school: &SchoolFiles,
) -> Result<(u64, u64), KitError> {
    let Some(&first) = school.classes.first() else { return Ok((0, 0)) };
    let class = &classes[first];
    let qr = Qr::new(&class.link)?;
    let poster = || Poster { school: &class.school, class: &class.class, link: &class.link, qr: &qr, campaign };
    let once = printer.pdf(&[poster()])?.len() as u64;
    let twice = printer.pdf(&[poster(), poster()])?.len() as u64;
    let page = twice.saturating_sub(once);
    Ok((once + 4 * 1024 + ENTRY_OVERHEAD, page + page / 2 + 1024))
}

/// Groups the classes by school and draws each class's QR code, a school at a time on each core.
fn render_schools(
    classes: &[KitClass],
    progress: impl FnMut(usize, usize) + Send,
) -> Result<Vec<SchoolFiles>, KitError> {
    let mut by_school: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (i, class) in classes.iter().enumerate() {
        by_school.entry((&class.municipality, &class.school)).or_default().push(i);
    }
    let mut folders = Folder::reserving(LINKS_XLSX);
    let plan: Vec<(String, Vec<usize>)> = by_school
        .into_iter()
        .map(|((_, school), mut members)| {
            members.sort_by_cached_key(|&i| class_order(&classes[i].class));
            (folders.name_for(school), members)
        })
        .collect();
    let total = plan.len();
    let next = AtomicUsize::new(0);
    let done = Mutex::new((0_usize, progress));
    let work = || -> Result<Vec<SchoolFiles>, KitError> {
        let mut mine = Vec::new();
        while let Some((folder, members)) = plan.get(next.fetch_add(1, Ordering::Relaxed)) {
            let mut files = Folder::reserving("Плакаты.pdf");
            let mut pngs = Vec::new();
            for &i in members {
                let png = Qr::new(&classes[i].link)?.png()?;
                pngs.push((format!("{}.png", files.name_for(&classes[i].class)), png));
            }
            mine.push(SchoolFiles { folder: folder.clone(), classes: members.clone(), pngs });
            let mut done = done.lock().expect("no thread panics holding it");
            done.0 += 1;
            let count = done.0;
            (done.1)(count, total);
        }
        Ok(mine)
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(plan.len()).max(1);
    let rendered: Vec<Vec<SchoolFiles>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        workers.into_iter().map(|worker| worker.join().expect("a kit thread panicked")).collect::<Result<_, _>>()
    })?;
    let mut schools: Vec<SchoolFiles> = rendered.into_iter().flatten().collect();
    // Back in the roster's order, whichever thread drew which school.
    let order: BTreeMap<&str, usize> = plan.iter().enumerate().map(|(i, (folder, _))| (folder.as_str(), i)).collect();
    schools.sort_by_key(|school| order[school.folder.as_str()]);
    Ok(schools)
}

/// One part: its links table, then each school's folder with the QR codes and the posters.
fn pack(
    printer: &Printer,
    campaign: CampaignNotice<'_>,
    classes: &[KitClass],
    schools: &[SchoolFiles],
    units: &[&Unit],
) -> Result<Vec<u8>, KitError> {
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let rows: Vec<KitClass> = units
        .iter()
        .flat_map(|unit| schools[unit.school].classes[unit.classes.clone()].iter().map(|&i| classes[i].clone()))
        .collect();
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file(LINKS_XLSX, deflated)?;
    zip.write_all(&links_xlsx(&rows)?)?;
    for unit in units {
        let school = &schools[unit.school];
        let mut posters_codes = Vec::new();
        for (&i, (name, png)) in school.classes[unit.classes.clone()].iter().zip(&school.pngs[unit.classes.clone()]) {
            // PNG and PDF are compressed already: stored, their sizes are known in advance.
            zip.start_file(format!("{}/{name}", school.folder), stored)?;
            zip.write_all(png)?;
            posters_codes.push((&classes[i], Qr::new(&classes[i].link)?));
        }
        let posters: Vec<Poster> = posters_codes
            .iter()
            .map(|(class, qr)| Poster { school: &class.school, class: &class.class, link: &class.link, qr, campaign })
            .collect();
        zip.start_file(format!("{}/Плакаты.pdf", school.folder), stored)?;
        zip.write_all(&printer.pdf(&posters)?)?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poster::{Audiences, ClassAudiences};

    const NOTICE: CampaignNotice<'static> = CampaignNotice {
        name: None,
        ends_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 20).expect("a day"),
        audiences: ClassAudiences::everywhere(Audiences::Both),
    };

    #[test]
    fn units_fill_a_group_up_to_the_limit_in_order() {
        assert_eq!(split(&[3, 4, 2, 5, 1], 7), vec![0..2, 2..4, 4..5]);
        assert_eq!(split(&[7, 7], 7), vec![0..1, 1..2]);
    }

    #[test]
    fn a_unit_over_the_limit_stands_alone() {
        assert_eq!(split(&[2, 10, 3], 5), vec![0..1, 1..2, 2..3]);
        assert_eq!(split(&[], 5), Vec::<Range<usize>>::new());
    }

    #[test]
    fn every_unit_is_in_exactly_one_group() {
        let sizes: Vec<u64> = (0..50).map(|i| (i * 37 % 11) + 1).collect();
        let groups = split(&sizes, 12);
        let covered: Vec<usize> = groups.iter().flat_map(|g| g.clone()).collect();
        assert_eq!(covered, (0..50).collect::<Vec<_>>());
        assert!(groups.iter().all(|g| sizes[g.clone()].iter().sum::<u64>() <= 12));
    }

    fn classes(schools: usize, per_school: usize) -> Vec<KitClass> {
        (0..schools)
            .flat_map(|s| {
                (0..per_school).map(move |c| KitClass {
                    municipality: "Город".into(),
                    school: format!("Школа № {s}"),
                    class: format!("{}А", c + 5),
                    headcount: 25,
                    link: format!("https://t.me/anketa_bot?start=s{s}c{c}"),
                })
            })
            .collect()
    }

    fn entries(part: &KitPart) -> Vec<String> {
        let mut archive = zip::ZipArchive::new(Cursor::new(&part.bytes)).expect("a valid ZIP");
        (0..archive.len())
            .map(|i| archive.by_index(i).expect("an entry").name().expect("a UTF-8 name").to_string())
            .collect()
    }

    #[test]
    fn a_small_kit_is_one_part_with_the_table_codes_and_posters() {
        let parts = build("Комплект", NOTICE, &classes(2, 2), PART_BYTES, |_, _| {}).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].name, "Комплект.zip");
        let names = entries(&parts[0]);
        assert_eq!(names[0], LINKS_XLSX);
        for school in ["Школа № 0", "Школа № 1"] {
            for file in ["5А.png", "6А.png", "Плакаты.pdf"] {
                assert!(names.contains(&format!("{school}/{file}")), "{names:?}");
            }
        }
    }

    #[test]
    fn a_tight_limit_gives_parts_under_it_with_whole_schools() {
        let all = classes(4, 3);
        let one = build("K", NOTICE, &all[..3], PART_BYTES, |_, _| {}).unwrap();
        // Room for about two schools a part.
        let limit = one[0].bytes.len() as u64 * 2 + PART_OVERHEAD;
        let parts = build("K", NOTICE, &all, limit, |_, _| {}).unwrap();
        assert!(parts.len() >= 2, "{}", parts.len());
        let mut schools_seen = Vec::new();
        for part in &parts {
            assert!(part.bytes.len() as u64 <= limit);
            let mut schools: Vec<String> = entries(part)
                .iter()
                .filter_map(|name| name.split_once('/').map(|(school, _)| school.to_string()))
                .collect();
            schools.dedup();
            schools_seen.extend(schools);
        }
        assert_eq!(schools_seen, ["Школа № 0", "Школа № 1", "Школа № 2", "Школа № 3"]);
    }

    #[test]
    fn a_school_over_the_limit_is_split_by_classes() {
        let all = classes(1, 20);
        let size = |n: usize| build("K", NOTICE, &all[..n], PART_BYTES, |_, _| {}).unwrap()[0].bytes.len() as u64;
        let (one, whole) = (size(1), size(20));
        let limit = one + PART_OVERHEAD + 16 * 1024 + 3 * (size(2) - one);
        assert!(whole > limit, "{whole} {limit}");
        let parts = build("K", NOTICE, &all, limit, |_, _| {}).unwrap();
        assert!(parts.len() >= 2);
        let pngs: usize = parts.iter().map(|p| entries(p).iter().filter(|n| n.ends_with(".png")).count()).sum();
        assert_eq!(pngs, 20);
        assert!(parts.iter().all(|p| p.bytes.len() as u64 <= limit));
    }

    #[test]
    fn parts_are_named_one_of_many() {
        assert_eq!(part_name("Комплект", 1, 1), "Комплект.zip");
        assert_eq!(part_name("Комплект", 2, 3), "Комплект (часть 2 из 3).zip");
    }
}
