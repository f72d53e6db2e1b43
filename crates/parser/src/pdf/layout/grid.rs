//! Grids: columns whose blocks stand in rows (a table, a form's labels and values, a
//! table of contents), read row by row and, when dense enough, kept as a table of cells.

use super::{Block, split_columns, stack};

/// What reading order yields: a block, or a grid's rows, each row one cell per
/// column, each cell the blocks in it in reading order.
pub(super) enum Item {
    Block(usize),
    Grid(Vec<Vec<Vec<usize>>>),
}

/// Whether columns are the cells of rows (a table, a form's labels and values). When
/// every block is one line, every block must share its baseline with a block of another
/// column. When a cell runs over several lines, the blocks must stack in rows that do not
/// overlap, each row's cells aligned at their first lines, their middles or their last
/// lines, at most one per column, and there must be three rows of several cells (two
/// columns of paragraphs whose first lines happen to align are no table); a few
/// single-line cells may stand alone in their rows (the other cells empty). Those read
/// row by row.
pub(super) fn is_grid(blocks: &[Block], cols: &[Vec<usize>]) -> bool {
    if cols.iter().flatten().all(|&i| blocks[i].lines.len() == 1) {
        return partnered(blocks, cols).len() == cols.iter().map(Vec::len).sum::<usize>();
    }
    let mut column = vec![usize::MAX; blocks.len()];
    for (c, col) in cols.iter().enumerate() {
        for &i in col {
            column[i] = c;
        }
    }
    let rows = rows(blocks, cols.iter().flatten().copied().collect());
    let (mut paired, mut alone) = (0usize, 0usize);
    for row in &rows {
        if row.len() == 1 {
            if blocks[row[0]].lines.len() > 1 {
                return false;
            }
            alone += 1;
            continue;
        }
        let mut used: Vec<usize> = row.iter().map(|&i| column[i]).collect();
        used.sort_unstable();
        used.dedup();
        let size = row.iter().map(|&i| blocks[i].size).fold(f32::INFINITY, f32::min);
        let aligned = |at: &dyn Fn(&Block) -> f32| {
            let (lo, hi) = row.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &i| {
                (lo.min(at(&blocks[i])), hi.max(at(&blocks[i])))
            });
            hi - lo < 0.3 * size
        };
        if used.len() != row.len()
            || !(aligned(&|b| b.first_y) || aligned(&|b| (b.first_y + b.last_y) / 2.0) || aligned(&|b| b.last_y))
        {
            return false;
        }
        paired += 1;
    }
    paired >= 3 && alone * 3 <= paired
}

/// The blocks that share their first baseline with a block of another column.
fn partnered(blocks: &[Block], cols: &[Vec<usize>]) -> Vec<usize> {
    // (baseline, column, size, block), by baseline: partners are neighbours in this order.
    let mut v: Vec<(f32, usize, f32, usize)> = cols
        .iter()
        .enumerate()
        .flat_map(|(c, col)| col.iter().map(move |&i| (blocks[i].first_y, c, blocks[i].size, i)))
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let partner = |k: usize, j: usize| v[j].1 != v[k].1 && (v[j].0 - v[k].0).abs() < 0.3 * v[k].2.min(v[j].2);
    (0..v.len())
        .filter(|&k| {
            let near = |j: &usize| (v[*j].0 - v[k].0).abs() < 0.3 * v[k].2;
            (k + 1..v.len()).take_while(near).any(|j| partner(k, j))
                || (0..k).rev().take_while(near).any(|j| partner(k, j))
        })
        .map(|k| v[k].3)
        .collect()
}

/// A grid of at least three rows with other blocks only above and below it (a table of
/// contents under its heading, a table between paragraphs of a column layout, a page
/// number under either): the blocks above, the grid's columns, the blocks below.
#[allow(clippy::type_complexity)]
pub(super) fn split_off_grid(
    blocks: &[Block],
    idx: &[usize],
    cols: &[Vec<usize>],
) -> Option<(Vec<usize>, Vec<Vec<usize>>, Vec<usize>)> {
    let paired = partnered(blocks, cols);
    if paired.len() < 6 {
        return None;
    }
    let top = paired.iter().map(|&i| blocks[i].top).fold(f32::NEG_INFINITY, f32::max);
    let bottom = paired.iter().map(|&i| blocks[i].bottom).fold(f32::INFINITY, f32::min);
    let (mut above, mut inside, mut below) = (Vec::new(), Vec::new(), Vec::new());
    for &i in idx {
        let (b, slack) = (&blocks[i], 0.1 * blocks[i].size);
        if b.bottom >= top - slack {
            above.push(i);
        } else if b.top <= bottom + slack {
            below.push(i);
        } else if b.top <= top + slack && b.bottom >= bottom - slack {
            inside.push(i);
        } else {
            return None;
        }
    }
    if above.is_empty() && below.is_empty() {
        return None;
    }
    let cols = split_columns(blocks, &inside);
    (cols.len() > 1 && is_grid(blocks, &cols) && rows(blocks, inside).len() >= 3).then_some((above, cols, below))
}

/// Blocks grouped into rows, top down: a row is the blocks whose heights overlap (by
/// more than a tenth of a font size), one after another.
fn rows(blocks: &[Block], idx: Vec<usize>) -> Vec<Vec<usize>> {
    stack(blocks, &idx, 0.1)
}

/// A grid's rows, each with one cell per column: the blocks in it, top down, then left
/// to right.
pub(super) fn cells(blocks: &[Block], cols: &[Vec<usize>]) -> Vec<Vec<Vec<usize>>> {
    let mut column = vec![0usize; blocks.len()];
    for (c, col) in cols.iter().enumerate() {
        for &i in col {
            column[i] = c;
        }
    }
    rows(blocks, cols.iter().flatten().copied().collect())
        .into_iter()
        .map(|row| {
            let mut cells: Vec<Vec<usize>> = vec![Vec::new(); cols.len()];
            for i in row {
                cells[column[i]].push(i);
            }
            for cell in &mut cells {
                *cell = rows(blocks, std::mem::take(cell))
                    .into_iter()
                    .flat_map(|mut row| {
                        row.sort_by(|&a, &b| blocks[a].x0.total_cmp(&blocks[b].x0));
                        row
                    })
                    .collect();
            }
            cells
        })
        .collect()
}

/// Whether a grid is a table: at least two rows, and three cells in four filled. The
/// labels of a figure (axes, nodes, arrows) also stand in rows and columns, but sparsely.
pub(super) fn dense(cells: &[Vec<Vec<usize>>]) -> bool {
    let total: usize = cells.iter().map(Vec::len).sum();
    let filled = cells.iter().flatten().filter(|c| !c.is_empty()).count();
    cells.len() >= 2 && filled * 4 >= total * 3
}

/// A grid's [`cells`] in reading order: a table when it is [`dense`], else its blocks
/// row by row, each row left to right. Rows of a single cell at its top or bottom (a line
/// of text merged into the band of the first or last row) are blocks before or after it.
pub(super) fn grid(mut cells: Vec<Vec<Vec<usize>>>, out: &mut Vec<Item>) {
    let single = |row: &Vec<Vec<usize>>| row.iter().filter(|c| !c.is_empty()).count() <= 1;
    let lead = cells.iter().take_while(|r| single(r)).count();
    let trail = cells[lead..].iter().rev().take_while(|r| single(r)).count();
    let after: Vec<Vec<Vec<usize>>> = cells.split_off(cells.len() - trail);
    let core: Vec<Vec<Vec<usize>>> = cells.split_off(lead);
    out.extend(cells.into_iter().flatten().flatten().map(Item::Block));
    if dense(&core) {
        out.push(Item::Grid(core));
    } else {
        out.extend(core.into_iter().flatten().flatten().map(Item::Block));
    }
    out.extend(after.into_iter().flatten().flatten().map(Item::Block));
}

/// The bands from `start` on that may together form a table: each of them has blocks in
/// two columns or more of their union (rows whose cells are aligned differently, left,
/// centred, split over several blocks, so no row's gutters are clear in the next one).
/// Returns where the run ends and, for every prefix of it, the prefix's end and columns.
#[allow(clippy::type_complexity)]
pub(super) fn table_run(
    blocks: &[Block],
    bands: &[Vec<usize>],
    start: usize,
) -> (usize, Vec<(usize, Vec<Vec<usize>>)>) {
    let mut column = vec![0usize; blocks.len()];
    let mut union: Vec<usize> = Vec::new();
    let mut prefixes = Vec::new();
    let mut end = start;
    while end < bands.len() && end - start < 256 {
        let mut next = union.clone();
        next.extend_from_slice(&bands[end]);
        let candidate = split_columns(blocks, &next);
        if candidate.len() < 2 {
            break;
        }
        for (c, col) in candidate.iter().enumerate() {
            for &i in col {
                column[i] = c;
            }
        }
        let spread = |band: &Vec<usize>| {
            let first = column[band[0]];
            band.iter().any(|&i| column[i] != first)
        };
        if !bands[start..=end].iter().all(|b| !b.is_empty() && spread(b)) {
            break;
        }
        union = next;
        end += 1;
        prefixes.push((end, candidate));
    }
    (end, prefixes)
}

/// The longest prefix of a [`table_run`] from `start` that is a table: two bands or more
/// (a header row apart from the rows under it is one), three rows or more, [`dense`].
/// A run that ends in another table with other columns still yields the first one.
pub(super) fn table_prefix(
    blocks: &[Block],
    start: usize,
    prefixes: Vec<(usize, Vec<Vec<usize>>)>,
) -> Option<(usize, Vec<Vec<Vec<usize>>>)> {
    prefixes.into_iter().rev().filter(|(end, _)| end - start >= 2).find_map(|(end, cols)| {
        let cells = cells(blocks, &cols);
        (cells.len() >= 3 && dense(&cells)).then_some((end, cells))
    })
}
