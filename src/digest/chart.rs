//! The digest's picture: one bar per class (or school, or municipality) with its participation in
//! percent, and the campaign's target as a line — people see at a glance who is behind. A bar is
//! the group as a whole (every audience's responses against every audience's base), green when
//! each audience reached the target; the digest's text gives parents and students apart.

use std::cell::RefCell;
use std::sync::LazyLock;

use ab_glyph::FontRef;
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::glyphs::CachedGlyphs;
use super::png_rgb;
use crate::db::Participation;

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 700;
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "anketa-sans";

/// The font, registered with plotters (which lays the labels out) and parsed for the glyph
/// cache (which draws them); `None` if it does not load.
fn font() -> Option<&'static FontRef<'static>> {
    static FONT_REF: LazyLock<Option<FontRef<'static>>> = LazyLock::new(|| {
        // The font ships with the binary: Cyrillic labels must not depend on the host's fonts.
        let registered = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok();
        let font = FontRef::try_from_slice(FONT).ok();
        if !registered || font.is_none() {
            tracing::error!("the shipped chart font does not load");
        }
        font
    });
    FONT_REF.as_ref()
}

thread_local! {
    /// Each thread's pixel buffer, kept from one chart to the next: a fresh 2.5 MB a chart was
    /// an allocation and 600 page faults before the first pixel.
    static PIXELS: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A PNG bar chart of participation against the target.
pub fn participation_png(title: &str, rows: &[Participation], target_percent: i64) -> anyhow::Result<Vec<u8>> {
    let font = font();
    PIXELS.with_borrow_mut(|pixels| {
        pixels.clear();
        // White already: filling the background again would be a second pass over 2.5 MB.
        pixels.resize((WIDTH * HEIGHT * 3) as usize, 255);
        draw(pixels, font, title, rows, target_percent)?;
        Ok(png_rgb::encode(pixels, WIDTH, HEIGHT))
    })
}

/// The chart drawn onto `pixels` (RGB, white).
fn draw(
    pixels: &mut [u8],
    font: Option<&'static FontRef<'static>>,
    title: &str,
    rows: &[Participation],
    target_percent: i64,
) -> anyhow::Result<()> {
    {
        let bitmap = BitMapBackend::with_buffer(pixels, (WIDTH, HEIGHT));
        let root = CachedGlyphs::new(bitmap, FAMILY, font).into_drawing_area();
        // A segmented range 0..n has n + 1 slots.
        let count = (rows.len() as i32 - 1).max(0);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FAMILY, 28))
            .margin(20)
            .x_label_area_size(if rows.len() > 12 { 90 } else { 50 })
            .y_label_area_size(60)
            .build_cartesian_2d((0..count).into_segmented(), 0f64..100f64)
            .map_err(|e| anyhow::anyhow!("chart: {e}"))?;
        let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
        let label_size = if rows.len() > 12 { 14 } else { 20 };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(rows.len().max(1))
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) => names.get(*i as usize).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .x_label_style((FAMILY, label_size))
            .y_label_style((FAMILY, 18))
            .y_label_formatter(&|y| format!("{y:.0}%"))
            .draw()
            .map_err(|e| anyhow::anyhow!("chart: {e}"))?;
        let behind = RGBColor(230, 126, 34);
        let reached = RGBColor(39, 174, 96);
        chart
            .draw_series(rows.iter().enumerate().map(|(i, row)| {
                let percent = row.total().percent().min(100.0);
                let color = if row.reached(target_percent) { reached } else { behind };
                let x = i as i32;
                let mut bar = Rectangle::new(
                    [(SegmentValue::Exact(x), 0.0), (SegmentValue::Exact(x + 1), percent)],
                    color.filled(),
                );
                bar.set_margin(0, 0, 6, 6);
                bar
            }))
            .map_err(|e| anyhow::anyhow!("chart: {e}"))?;
        let target = target_percent as f64;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(SegmentValue::Exact(0), target), (SegmentValue::Last, target)],
                RED.stroke_width(3),
            )))
            .map_err(|e| anyhow::anyhow!("chart: {e}"))?;
        root.present().map_err(|e| anyhow::anyhow!("chart: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Share;

    #[test]
    fn draws_a_png_with_bars_in_two_colours_and_the_target_line() {
        let rows = [
            Participation { parents: Share { responses: 20, base: 25 }, ..Participation::empty(1, "5А".into()) },
            Participation { parents: Share { responses: 3, base: 20 }, ..Participation::empty(2, "5Б".into()) },
        ];
        let png = participation_png("«НОКО» — Школа № 1", &rows, 40).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut pixels).unwrap();
        let rgb = |r: u8, g: u8, b: u8| pixels.chunks(3).filter(|p| p == &[r, g, b]).count();
        assert!(rgb(39, 174, 96) > 1000, "the class at target is green");
        assert!(rgb(230, 126, 34) > 1000, "the class below target is orange");
        assert!(rgb(255, 0, 0) > 500, "the target line is drawn");
        let one =
            [Participation { students: Share { responses: 0, base: 30 }, ..Participation::empty(1, "9В".into()) }];
        assert!(participation_png("один класс", &one, 40).is_ok());
        assert!(participation_png("пусто", &[], 40).is_ok());
    }
}
