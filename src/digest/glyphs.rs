//! The chart's text with each glyph rasterised once per thread, not once per label: plotters'
//! ab_glyph font draws every character of every label from its outline anew, a third of a
//! chart's drawing (BENCHMARKS.md, digests). plotters places each glyph at a whole pixel (it
//! rasterises it at the origin and moves it by the integer part of its advance), so a glyph's
//! coverage depends on the character and the size alone: kept, it is blended exactly as plotters
//! would blend it, and the picture is the same to the pixel.

use std::cell::RefCell;
use std::collections::HashMap;

use ab_glyph::{Font, FontRef, ScaleFont};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind, FontStyle,
};

/// One glyph as plotters draws it at the origin: its vertical shift and the pixels it covers.
struct Glyph {
    y_shift: i32,
    /// (x, y, coverage), pixels of no coverage left out (plotters' blend skips them).
    coverage: Vec<(i32, i32, f32)>,
}

/// More glyphs than a chart's labels use (Cyrillic, Latin, digits, in four sizes); past it a
/// thread's cache starts over, so that names in many scripts cannot grow it without bound.
const MOST_GLYPHS: usize = 4096;

thread_local! {
    /// Each thread's glyphs by (character, size in pixels as bits), `None`: nothing to draw.
    static GLYPHS: RefCell<HashMap<(char, u64), Option<Glyph>>> = RefCell::new(HashMap::new());
}

/// A backend that draws the text set in `font` from glyphs kept per thread, everything else
/// (and text in any other font) as `inner` does.
pub struct CachedGlyphs<B> {
    inner: B,
    family: &'static str,
    /// `None`: the font did not load, and plotters draws (or fails) as it would.
    font: Option<&'static FontRef<'static>>,
}

impl<B: DrawingBackend> CachedGlyphs<B> {
    pub fn new(inner: B, family: &'static str, font: Option<&'static FontRef<'static>>) -> Self {
        CachedGlyphs { inner, family, font }
    }

    /// plotters' `FontDataInternal::draw` (ab_glyph), from the kept glyphs: `draw` gets each
    /// covered pixel of `text` set at the origin and its coverage.
    fn draw_glyphs(
        font: &FontRef<'static>,
        size: f64,
        text: &str,
        mut draw: impl FnMut(i32, i32, f32) -> Result<(), DrawingErrorKind<B::ErrorType>>,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        let scaled = font.as_scaled(size as f32);
        GLYPHS.with_borrow_mut(|glyphs| {
            if glyphs.len() > MOST_GLYPHS {
                glyphs.clear();
            }
            let mut x_shift = 0f32;
            let mut previous = None;
            for c in text.chars() {
                if let Some(previous) = previous {
                    x_shift += scaled.kern(scaled.glyph_id(previous), scaled.glyph_id(c));
                }
                previous = Some(c);
                let glyph = glyphs.entry((c, size.to_bits())).or_insert_with(|| {
                    let outlined = scaled.outline_glyph(scaled.scaled_glyph(c))?;
                    let y_shift = ((size as f32) / 2.0 + outlined.px_bounds().min.y) as i32;
                    let mut coverage = Vec::new();
                    outlined.draw(|x, y, c| {
                        if c > 0.0 {
                            coverage.push((x as i32, y as i32, c));
                        }
                    });
                    Some(Glyph { y_shift, coverage })
                });
                if let Some(glyph) = glyph {
                    let x = x_shift as i32;
                    for &(dx, dy, c) in &glyph.coverage {
                        draw(dx + x, dy + glyph.y_shift, c)?;
                    }
                }
                x_shift += scaled.h_advance(scaled.glyph_id(c));
            }
            Ok(())
        })
    }
}

impl<B: DrawingBackend> DrawingBackend for CachedGlyphs<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.inner.estimate_text_size(text, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    /// plotters' own `draw_text` (placement, anchor, transform, clipping, colour), with the
    /// glyphs drawn from the cache when the text is set in the chart's font.
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let font = match self.font {
            Some(font) if style.family().as_str() == self.family && matches!(style.style(), FontStyle::Normal) => font,
            _ => return self.inner.draw_text(text, style, pos),
        };
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let ((min_x, min_y), (max_x, max_y)) =
            style.layout_box(text).map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let (w, h) = self.get_size();
        let inner = &mut self.inner;
        Self::draw_glyphs(font, style.size(), text, |x, y, coverage| {
            let (x, y) = transform.transform(x + dx - min_x, y + dy - min_y);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                inner.draw_pixel((x, y), color.mix(coverage as f64))
            } else {
                Ok(())
            }
        })
    }
}
