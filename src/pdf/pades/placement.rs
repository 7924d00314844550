//! Where stamps go on a page as seen on screen: the frame that undoes a page's /Rotate, the
//! signer's default box at the bottom right, and the seal over the left third of the signer's
//! box (Decree 30/2020, appendix I).

use crate::pdf::syntax::Page;

pub(super) const SIGNER_W: f64 = 210.0;
pub(super) const SIGNER_H: f64 = 80.0;
/// About 36 mm, a department seal's real diameter.
pub(super) const SEAL_D: f64 = 102.0;

/// A page as seen on screen: the matrix mapping the upright visual frame (origin at the
/// visual bottom left of the visible box) to user space for /Rotate (clockwise, ISO 32000-1
/// §8.3.2.3 / Table 30), and the visual width and height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Frame {
    pub matrix: [f64; 6],
    pub width: f64,
    pub height: f64,
}

impl Frame {
    pub fn of(page: &Page) -> Frame {
        let [x0, y0, x1, y1] = page.visible_box();
        let (matrix, width, height) = match page.rotation() {
            90 => ([0.0, 1.0, -1.0, 0.0, x1, y0], y1 - y0, x1 - x0),
            180 => ([-1.0, 0.0, 0.0, -1.0, x1, y1], x1 - x0, y1 - y0),
            270 => ([0.0, -1.0, 1.0, 0.0, x0, y1], y1 - y0, x1 - x0),
            _ => ([1.0, 0.0, 0.0, 1.0, x0, y0], x1 - x0, y1 - y0),
        };
        Frame {
            matrix,
            width,
            height,
        }
    }

    /// A visual rectangle in user space (normalised).
    pub fn to_user(self, r: [f64; 4]) -> [f64; 4] {
        let [a, b, c, d, e, f] = self.matrix;
        let map = |x: f64, y: f64| (a * x + c * y + e, b * x + d * y + f);
        normalise(map(r[0], r[1]), map(r[2], r[3]))
    }

    /// A user-space rectangle as seen on screen (normalised).
    pub fn to_visual(self, r: [f64; 4]) -> [f64; 4] {
        // The linear part is a rotation: its inverse is its transpose.
        let [a, b, c, d, e, f] = self.matrix;
        let map = |x: f64, y: f64| {
            let (x, y) = (x - e, y - f);
            (a * x + b * y, c * x + d * y)
        };
        normalise(map(r[0], r[1]), map(r[2], r[3]))
    }
}

fn normalise((x0, y0): (f64, f64), (x1, y1): (f64, f64)) -> [f64; 4] {
    [x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)]
}

/// Default placement: bottom right of the page as seen on screen, above the footer margin.
pub(super) fn default_signer_rect(page: &Page) -> [f64; 4] {
    let frame = Frame::of(page);
    let (w, h) = (SIGNER_W, SIGNER_H);
    let x1 = frame.width - 40.0;
    frame.to_user([x1 - w, 90.0, x1, 90.0 + h])
}

/// The seal overlaps the left third of the signer's stamp as seen on screen; `signer` and the
/// result are in user space.
pub(super) fn seal_rect_for(page: &Page, signer: [f64; 4]) -> [f64; 4] {
    let frame = Frame::of(page);
    let v = frame.to_visual(signer);
    let w = v[2] - v[0];
    let cy = (v[1] + v[3]) / 2.0;
    let right = v[0] + w / 3.0;
    frame.to_user([right - SEAL_D, cy - SEAL_D / 2.0, right, cy + SEAL_D / 2.0])
}
