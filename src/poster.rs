//! The printable A4 poster of a class link: school, class, a call to the campaign's audience
//! (parents, students or both) with its last day, the QR code (large, centred, drawn as vector
//! squares so it stays sharp at any print size), the link as text and the anonymity promise. Several posters make one multi-page PDF. Pure: posters in, PDF bytes out.
//!
//! Posters are Russian (their readers are parents at a school stand), whatever the operator's
//! language. The text is set in DejaVu Sans, shipped in `assets/fonts/` and embedded (subset) in
//! every PDF, so Cyrillic prints the same on any machine.

use krilla::Document;
use krilla::action::{Action, LinkAction};
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

use chrono::NaiveDate;

use crate::i18n::Texts;
use crate::qr::Qr;
use crate::survey::grades::LAST_GRADE;
use crate::survey::{Audience, Lang, Survey, class_grade};

const REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

/// A4 in points (1/72 inch).
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
/// 17 mm: inside what any office printer can reach.
const MARGIN: f32 = 48.0;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// The QR code's square, quiet zone included: about 14 cm, readable from a couple of metres.
const MAX_QR_SIDE: f32 = 400.0;
/// Space between the blocks of the poster.
const GAP: f32 = 18.0;
/// Distance between baselines, as a multiple of the font size.
const LEADING: f32 = 1.25;

/// One class's poster.
pub struct Poster<'a> {
    pub school: &'a str,
    pub class: &'a str,
    pub link: &'a str,
    pub qr: &'a Qr,
    pub campaign: CampaignNotice<'a>,
}

/// What every poster of a campaign says about it.
#[derive(Debug, Clone, Copy)]
pub struct CampaignNotice<'a> {
    /// The campaign's name, given when more than one is open, so two posters of a class differ.
    pub name: Option<&'a str>,
    /// Its last day, the deadline the poster states.
    pub ends_on: NaiveDate,
    pub audiences: ClassAudiences,
}

/// Whom a campaign asks, as the poster calls on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audiences {
    Parents,
    Students,
    Both,
}

impl Audiences {
    /// The audiences of a campaign's questionnaires.
    pub fn of(survey: &Survey) -> Audiences {
        let asks = |wanted| survey.audiences().any(|a| a == wanted);
        match (asks(Audience::Parent), asks(Audience::Student)) {
            (true, true) => Audiences::Both,
            (false, true) => Audiences::Students,
            _ => Audiences::Parents,
        }
    }

    /// The audiences of a survey as one grade sees it; `None` for a grade asked nothing.
    fn of_grade(survey: &Survey, grade: Option<u8>) -> Option<Audiences> {
        survey.for_grade(grade).map(|survey| Audiences::of(&survey))
    }

    /// The audiences as the Fluent texts select on them (`parents`, `students`, `both`).
    pub fn code(self) -> &'static str {
        match self {
            Audiences::Parents => "parents",
            Audiences::Students => "students",
            Audiences::Both => "both",
        }
    }
}

/// Whom a campaign asks in each grade: a class's poster calls on the audiences of its grade only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassAudiences {
    /// By grade; at 0, a class whose grade cannot be read (asked every audience).
    by_grade: [Audiences; LAST_GRADE as usize + 1],
}

impl ClassAudiences {
    /// The audiences a campaign asks in each grade. A grade asked nothing gets no link that
    /// works, so what its poster says does not matter: it names all the campaign's audiences.
    pub fn of(survey: &Survey) -> ClassAudiences {
        let all = Audiences::of(survey);
        let mut by_grade = [all; LAST_GRADE as usize + 1];
        for grade in 1..=LAST_GRADE {
            by_grade[usize::from(grade)] = Audiences::of_grade(survey, Some(grade)).unwrap_or(all);
        }
        ClassAudiences { by_grade }
    }

    /// The same audiences in every grade.
    pub const fn everywhere(audiences: Audiences) -> ClassAudiences {
        ClassAudiences { by_grade: [audiences; LAST_GRADE as usize + 1] }
    }

    /// The audiences asked in the class named `class`.
    pub fn of_class(&self, class: &str) -> Audiences {
        self.by_grade[usize::from(class_grade(class).unwrap_or(0))]
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot make the poster PDF: {0}")]
pub struct PosterError(#[from] krilla::error::KrillaError);

/// A font for drawing (krilla) and the same font for measuring (rustybuzz shapes text exactly as
/// krilla will, so a measured line is the drawn line).
struct Typeface {
    font: Font,
    face: rustybuzz::Face<'static>,
}

impl Typeface {
    fn new(data: &'static [u8]) -> Typeface {
        Typeface {
            font: Font::new(data.into(), 0).expect("the shipped font parses (tested)"),
            face: rustybuzz::Face::from_slice(data, 0).expect("the shipped font parses (tested)"),
        }
    }

    /// The width of `text` set at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        let shaped = rustybuzz::shape(&self.face, &[], buffer);
        let units: i32 = shaped.glyph_positions().iter().map(|p| p.x_advance).sum();
        units as f32 * size / self.face.units_per_em() as f32
    }

    /// Splits `text` into lines no wider than `width`: at spaces, and inside a word only when the
    /// word alone is too wide. "№ 5" and "А. С. Пушкина" stay on one line.
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let text = keep_together(text);
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split(|c: char| c.is_whitespace() && c != '\u{a0}').filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
            if self.width(&candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for c in word.chars() {
                line.push(c);
                if self.width(&line, size) > width && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::replace(&mut line, c.to_string()));
                }
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}

/// `text` with non-breaking spaces where a line must not break: after «№» and after an initial,
/// so a number keeps its sign and a name its initials.
fn keep_together(text: &str) -> String {
    let initial = |word: &str| {
        let mut chars = word.chars();
        let mut letters = 0;
        while let Some(c) = chars.next() {
            if !(c.is_uppercase() && chars.next() == Some('.')) {
                return false;
            }
            letters += 1;
        }
        letters > 0
    };
    let mut out = String::with_capacity(text.len());
    let mut words = text.split(|c: char| c.is_whitespace() && c != '\u{a0}').filter(|w| !w.is_empty()).peekable();
    while let Some(word) = words.next() {
        out.push_str(word);
        if words.peek().is_some() {
            out.push(if word == "№" || initial(word) { '\u{a0}' } else { ' ' });
        }
    }
    out
}

/// A block of centred text: its lines at one size.
struct Block<'f> {
    typeface: &'f Typeface,
    size: f32,
    lines: Vec<String>,
}

impl<'f> Block<'f> {
    /// The largest size from `largest` down to `smallest` at which `text` wraps into at most
    /// `max_lines` lines; at `smallest`, as many lines as it takes (a very long school name
    /// shrinks, then wraps further, but never leaves the page sideways).
    fn fit(typeface: &'f Typeface, text: &str, largest: f32, smallest: f32, max_lines: usize) -> Block<'f> {
        let mut size = largest;
        loop {
            let lines = typeface.wrap(text, size, TEXT_WIDTH);
            if lines.len() <= max_lines || size <= smallest {
                return Block { typeface, size, lines };
            }
            size -= 1.0;
        }
    }

    fn height(&self) -> f32 {
        self.lines.len() as f32 * self.size * LEADING
    }

    /// Draws the block with its top at `top`; returns where it ends.
    fn draw(&self, surface: &mut Surface<'_>, top: f32) -> f32 {
        let mut y = top;
        for line in &self.lines {
            // The baseline sits one font size below the line's top: room for capitals and accents.
            let x = (PAGE_WIDTH - self.typeface.width(line, self.size)) / 2.0;
            let baseline = y + self.size;
            surface.draw_text(
                Point::from_xy(x, baseline),
                self.typeface.font.clone(),
                self.size,
                line,
                false,
                TextDirection::Auto,
            );
            y += self.size * LEADING;
        }
        y
    }

    /// The rectangle the block's lines cover when drawn with its top at `top`.
    fn bounds(&self, top: f32) -> Option<Rect> {
        let widest = self.lines.iter().map(|l| self.typeface.width(l, self.size)).fold(0.0, f32::max);
        Rect::from_xywh((PAGE_WIDTH - widest) / 2.0, top, widest, self.height())
    }
}

/// Makes poster PDFs; holds the fonts and the Russian texts, so it is built once per export.
pub struct Printer {
    regular: Typeface,
    bold: Typeface,
    texts: Texts,
}

impl Default for Printer {
    fn default() -> Self {
        Printer { regular: Typeface::new(REGULAR), bold: Typeface::new(BOLD), texts: Texts::default() }
    }
}

impl Printer {
    /// One A4 page per poster, in order.
    pub fn pdf(&self, posters: &[Poster<'_>]) -> Result<Vec<u8>, PosterError> {
        let mut document = Document::new();
        let mut title = posters.first().map(|p| p.school.to_string()).unwrap_or_default();
        if let [only] = posters {
            title = format!("{}, {}", only.school, self.class_label(only.class));
        }
        document.set_metadata(Metadata::new().title(title).language("ru".to_string()));
        for poster in posters {
            self.page(&mut document, poster);
        }
        Ok(document.finish()?)
    }

    fn class_label(&self, class: &str) -> String {
        self.texts.get_with(Lang::Ru, "poster-class", &crate::args![("class", class)])
    }

    /// The call to the campaign's audience.
    fn call(&self, audiences: Audiences) -> String {
        self.texts.get_with(Lang::Ru, "poster-call-to-action", &crate::args![("audience", audiences.code())])
    }

    /// The last day, as the poster states it.
    fn deadline(&self, ends_on: NaiveDate) -> String {
        let ends = ends_on.format("%d.%m.%Y").to_string();
        self.texts.get_with(Lang::Ru, "poster-deadline", &crate::args![("ends", ends)])
    }

    fn page(&self, document: &mut Document, poster: &Poster<'_>) {
        let ru = |id| self.texts.get(Lang::Ru, id);
        let school = Block::fit(&self.bold, poster.school, 28.0, 9.0, 4);
        let campaign = poster.campaign.name.map(|name| {
            let line = self.texts.get_with(Lang::Ru, "kit-campaign-line", &crate::args![("campaign", name)]);
            Block::fit(&self.regular, &line, 16.0, 9.0, 2)
        });
        let class = Block::fit(&self.bold, &self.class_label(poster.class), 48.0, 20.0, 2);
        let call =
            Block::fit(&self.regular, &self.call(poster.campaign.audiences.of_class(poster.class)), 22.0, 14.0, 3);
        let deadline = Block::fit(&self.bold, &self.deadline(poster.campaign.ends_on), 18.0, 12.0, 2);
        let scan = Block::fit(&self.regular, &ru("poster-scan"), 14.0, 10.0, 2);
        // The link is typed by hand when the camera fails: one line, never broken.
        let short_link = poster.link.trim_start_matches("https://");
        let link_size = (TEXT_WIDTH / self.bold.width(short_link, 1.0)).min(18.0);
        let link = Block { typeface: &self.bold, size: link_size, lines: vec![short_link.to_string()] };
        let promise = Block::fit(&self.regular, &ru("poster-anonymity"), 14.0, 10.0, 3);

        let mut page = document.start_page_with(PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).expect("A4"));
        let mut surface = page.surface();

        let mut y = MARGIN;
        y = school.draw(&mut surface, y) + GAP / 2.0;
        if let Some(campaign) = &campaign {
            y = campaign.draw(&mut surface, y) + GAP / 2.0;
        }
        y = class.draw(&mut surface, y) + GAP / 2.0;
        draw_rule(&mut surface, y);
        y = call.draw(&mut surface, y + GAP);
        y = deadline.draw(&mut surface, y + GAP / 3.0);

        let bottom_blocks = scan.height() + GAP / 3.0 + link.height() + GAP + promise.height();
        let bottom = PAGE_HEIGHT - MARGIN - bottom_blocks;
        // The QR code takes the room between the texts, centred in it; its quiet zone is blank page.
        let side = (bottom - y).min(TEXT_WIDTH).min(MAX_QR_SIDE);
        let qr_top = y + (bottom - y - side) / 2.0;
        draw_qr(&mut surface, poster.qr, (PAGE_WIDTH - side) / 2.0, qr_top, side);

        let mut y = scan.draw(&mut surface, bottom) + GAP / 3.0;
        let link_top = y;
        y = link.draw(&mut surface, y) + GAP;
        promise.draw(&mut surface, y);
        surface.finish();

        // On screen (a PDF shared in a chat) the code and the link can be tapped.
        let qr_rect = Rect::from_xywh((PAGE_WIDTH - side) / 2.0, qr_top, side, side);
        for rect in [qr_rect, link.bounds(link_top)].into_iter().flatten() {
            let target = Target::Action(Action::Link(LinkAction::new(poster.link.to_string())));
            page.add_annotation(Annotation::new_link(LinkAnnotation::new(rect, target), Some(poster.link.to_string())));
        }
        page.finish();
    }
}

/// A thin grey line across the text column: separates who the poster is for from what it asks.
fn draw_rule(surface: &mut Surface<'_>, y: f32) {
    let mut path = PathBuilder::new();
    path.move_to(MARGIN + TEXT_WIDTH / 4.0, y);
    path.line_to(PAGE_WIDTH - MARGIN - TEXT_WIDTH / 4.0, y);
    let Some(path) = path.finish() else { return };
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke { paint: luma::Color::new(160).into(), width: 1.0, ..Stroke::default() }));
    surface.draw_path(&path);
    surface.set_stroke(None);
    surface.set_fill(Some(Fill::default()));
}

/// Draws the code in the square at (`left`, `top`) of `side` points, quiet zone included; each
/// row's runs of dark modules become one rectangle, which keeps the PDF small.
fn draw_qr(surface: &mut Surface<'_>, qr: &Qr, left: f32, top: f32, side: f32) {
    let module = side / qr.width_with_quiet_zone() as f32;
    let origin = |i: usize| (i + crate::qr::QUIET_ZONE) as f32 * module;
    let mut path = PathBuilder::new();
    for y in 0..qr.width() {
        let mut x = 0;
        while x < qr.width() {
            if !qr.is_dark(x, y) {
                x += 1;
                continue;
            }
            let start = x;
            while x < qr.width() && qr.is_dark(x, y) {
                x += 1;
            }
            let run = (x - start) as f32 * module;
            if let Some(rect) = Rect::from_xywh(left + origin(start), top + origin(y), run, module) {
                path.push_rect(rect);
            }
        }
    }
    if let Some(path) = path.finish() {
        surface.set_fill(Some(Fill::default()));
        surface.draw_path(&path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Page objects in a PDF (`/Type/Page`, not the `/Type/Pages` tree).
    fn page_count(pdf: &[u8]) -> usize {
        let needle = b"/Type/Page";
        pdf.windows(needle.len() + 1).filter(|w| &w[..needle.len()] == needle && w[needle.len()] != b's').count()
    }

    fn poster<'a>(school: &'a str, class: &'a str, link: &'a str, qr: &'a Qr) -> Poster<'a> {
        let ends_on = NaiveDate::from_ymd_opt(2026, 12, 20).unwrap();
        Poster {
            school,
            class,
            link,
            qr,
            campaign: CampaignNotice { name: None, ends_on, audiences: ClassAudiences::everywhere(Audiences::Both) },
        }
    }

    const LINK: &str = "https://t.me/anketa_region_bot?start=Ab3dE6gH9kLm";

    #[test]
    fn one_poster_is_one_a4_page() {
        let qr = Qr::new(LINK).unwrap();
        let pdf = Printer::default().pdf(&[poster("Школа № 1", "5А", LINK, &qr)]).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(page_count(&pdf), 1);
        let media_box = String::from_utf8_lossy(&pdf).contains("/MediaBox[0 0 595.28 841.89]");
        assert!(media_box, "A4");
    }

    #[test]
    fn several_posters_make_one_page_each() {
        let qr = Qr::new(LINK).unwrap();
        let classes = ["1А", "1Б", "2А", "11В"];
        let posters: Vec<_> = classes.iter().map(|c| poster("Лицей № 2", c, LINK, &qr)).collect();
        let pdf = Printer::default().pdf(&posters).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(page_count(&pdf), classes.len());
    }

    #[test]
    fn the_font_is_embedded_as_a_subset() {
        let qr = Qr::new(LINK).unwrap();
        let pdf = Printer::default().pdf(&[poster("Школа № 1", "5А", LINK, &qr)]).unwrap();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/FontFile2"), "a TrueType font is embedded");
        assert!(text.contains("DejaVuSans"));
        // A subset: the whole regular font alone is 740 KB.
        assert!(pdf.len() < 150_000, "{} bytes", pdf.len());
    }

    #[test]
    fn long_names_wrap_within_the_page() {
        let printer = Printer::default();
        let name = "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа \
                    № 12 с углублённым изучением отдельных предметов имени Героя Советского Союза И. И. Иванова»";
        let block = Block::fit(&printer.bold, name, 28.0, 9.0, 4);
        assert!(block.lines.len() > 1);
        for line in &block.lines {
            assert!(printer.bold.width(line, block.size) <= TEXT_WIDTH, "{line}");
        }
        assert!(block.lines.iter().any(|l| l.contains("№\u{a0}12")), "the number stays with its sign");
        assert!(block.lines.iter().any(|l| l.contains("И.\u{a0}И.\u{a0}Иванова»")), "the initials stay with the name");
        let joined = block.lines.join(" ").replace('\u{a0}', " ");
        assert_eq!(joined, name.split_whitespace().collect::<Vec<_>>().join(" "), "nothing is lost");

        let no_spaces = "Ш".repeat(200);
        let lines = printer.bold.wrap(&no_spaces, 26.0, TEXT_WIDTH);
        assert!(lines.len() > 1 && lines.iter().all(|l| printer.bold.width(l, 26.0) <= TEXT_WIDTH));
        assert_eq!(lines.concat(), no_spaces);

        let qr = Qr::new(LINK).unwrap();
        let pdf = printer.pdf(&[poster(name, "10 (социально-экономический профиль)", LINK, &qr)]).unwrap();
        assert_eq!(page_count(&pdf), 1);
    }

    #[test]
    fn the_russian_texts_are_used() {
        let printer = Printer::default();
        assert_eq!(printer.class_label("5А"), "Класс 5А");
        let promise = printer.texts.get(Lang::Ru, "poster-anonymity");
        assert!(promise.starts_with("Опрос анонимный") && !promise.contains("семьи"), "one answer a person: {promise}");
    }

    #[test]
    fn the_poster_calls_on_the_campaigns_audience_and_states_its_last_day() {
        let printer = Printer::default();
        assert!(printer.call(Audiences::Parents).starts_with("Родители!"));
        assert!(printer.call(Audiences::Students).starts_with("Обучающиеся старше 14 лет!"));
        assert!(printer.call(Audiences::Both).starts_with("Родители и обучающиеся старше 14 лет!"));
        let last_day = printer.deadline(NaiveDate::from_ymd_opt(2026, 12, 20).unwrap());
        assert_eq!(last_day, "Опрос открыт до 20.12.2026 включительно");
    }

    #[test]
    fn a_class_poster_calls_on_the_audiences_of_its_grade() {
        use crate::survey::{Grades, Questionnaire};
        let shipped = |id: &str| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires");
            std::sync::Arc::new(Questionnaire::load(&dir.join(format!("{id}.toml"))).unwrap())
        };
        let survey = Survey::new([shipped("noko-parents"), shipped("noko-students")])
            .with_grades(Audience::Parent, Grades::parse("1-8").unwrap())
            .with_grades(Audience::Student, Grades::parse("9-11").unwrap());
        let audiences = ClassAudiences::of(&survey);
        assert_eq!(audiences.of_class("1А"), Audiences::Parents);
        assert_eq!(audiences.of_class("8Б"), Audiences::Parents);
        assert_eq!(audiences.of_class("10А"), Audiences::Students);
        assert_eq!(audiences.of_class("Коррекционный"), Audiences::Both, "an unread grade is asked everything");
        let survey = survey.with_grades(Audience::Parent, Grades::ALL);
        assert_eq!(ClassAudiences::of(&survey).of_class("10А"), Audiences::Both);
    }

    #[test]
    fn initials_and_numbers_keep_together() {
        assert_eq!(keep_together("МБОУ СОШ № 5 им. А. С. Пушкина"), "МБОУ СОШ №\u{a0}5 им. А.\u{a0}С.\u{a0}Пушкина");
        assert_eq!(keep_together("Лицей   им. А.С. Пушкина"), "Лицей им. А.С.\u{a0}Пушкина");
        assert_eq!(keep_together("Школа № 1. Корпус Б"), "Школа №\u{a0}1. Корпус Б", "a sentence's end is no initial");
    }
}
