//! Bands of a page that belong together although a line can be drawn between them.

use super::{Block, gutters};

/// Whether a band ends a box at the top of one column beside rows of the others and the
/// next band runs on in the same columns: a block of several lines with at least three rows
/// of other blocks beside it, and a gutter the two bands share. The next band must be more
/// than one row (not a running footer of two blocks apart).
pub(super) fn shared_gutter(blocks: &[Block], a: &[usize], b: &[usize]) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let boxed = a.iter().any(|&t| {
        let tall = &blocks[t];
        if tall.lines.len() < 3 {
            return false;
        }
        let mut rows: Vec<f32> = a
            .iter()
            .map(|&i| &blocks[i])
            .filter(|o| {
                (o.x0 >= tall.x1 || o.x1 <= tall.x0)
                    && o.top <= tall.top + 0.5 * tall.size
                    && o.bottom >= tall.bottom - 0.5 * tall.size
            })
            .map(|o| o.first_y)
            .collect();
        rows.sort_by(f32::total_cmp);
        rows.dedup_by(|x, y| (*x - *y).abs() < 0.5 * tall.size);
        rows.len() >= 3
    });
    let first = &blocks[b[0]];
    let one_row = b.iter().all(|&i| (blocks[i].first_y - first.first_y).abs() < 0.5 * first.size);
    if !boxed || one_row || gutters(blocks, b).is_empty() {
        return false;
    }
    let both: Vec<usize> = a.iter().chain(b).copied().collect();
    !gutters(blocks, &both).is_empty()
}
