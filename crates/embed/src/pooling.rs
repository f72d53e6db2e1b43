//! Sentence vectors from token vectors: masked mean pooling and L2 normalisation (the e5 recipe).

/// Averages the token vectors of each sequence over the positions its attention mask keeps, then
/// L2-normalises the result.
///
/// `hidden` is `[batch, seq, dim]` row-major and `mask` is `[batch, seq]` (1 = token, 0 = padding). A sequence
/// without any unmasked token gives a zero vector.
///
/// # Panics
/// Never on consistent input; callers pass the shapes the model returned, which [`crate::local`] checks.
pub fn mean_pool_normalized(hidden: &[f32], mask: &[i64], batch: usize, seq: usize, dim: usize) -> Vec<Vec<f32>> {
    debug_assert_eq!(hidden.len(), batch * seq * dim);
    debug_assert_eq!(mask.len(), batch * seq);
    let mut out = Vec::with_capacity(batch);
    for b in 0..batch {
        let mut acc = vec![0f32; dim];
        let mut count = 0usize;
        for t in 0..seq {
            if mask[b * seq + t] == 0 {
                continue;
            }
            count += 1;
            let row = &hidden[(b * seq + t) * dim..(b * seq + t + 1) * dim];
            for (a, h) in acc.iter_mut().zip(row) {
                *a += *h;
            }
        }
        if count > 0 {
            let inv = 1.0 / count as f32;
            acc.iter_mut().for_each(|a| *a *= inv);
        }
        l2_normalize(&mut acc);
        out.push(acc);
    }
    out
}

/// Scales `v` to unit Euclidean length; a zero (or non-finite-norm) vector is left as it is.
pub fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| f64::from(*x) * f64::from(*x)).sum::<f64>().sqrt();
    if norm > 1e-12 && norm.is_finite() {
        let inv = (1.0 / norm) as f32;
        v.iter_mut().for_each(|x| *x *= inv);
    }
}

/// Cosine similarity of two vectors (dot product over the product of norms); 0 when either is zero.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (mut dot, mut na, mut nb) = (0f64, 0f64, 0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 { 0.0 } else { (dot / (na.sqrt() * nb.sqrt())) as f32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_pool_ignores_padding_and_normalises() {
        // batch 2, seq 3, dim 2; the second sequence has one padding position holding garbage
        let hidden = [1.0, 0.0, 3.0, 0.0, 0.0, 4.0, /* */ 2.0, 2.0, 100.0, -100.0, 0.0, 0.0];
        let mask = [1, 1, 1, 1, 0, 1];
        let out = mean_pool_normalized(&hidden, &mask, 2, 3, 2);
        // first: mean (4/3, 4/3) -> (1/sqrt2, 1/sqrt2)
        let s = std::f32::consts::FRAC_1_SQRT_2;
        assert!((out[0][0] - s).abs() < 1e-6 && (out[0][1] - s).abs() < 1e-6, "{:?}", out[0]);
        // second: mean of (2,2) and (0,0) = (1,1) -> (1/sqrt2, 1/sqrt2); the padded (100,-100) must not count
        assert!((out[1][0] - s).abs() < 1e-6 && (out[1][1] - s).abs() < 1e-6, "{:?}", out[1]);
    }

    #[test]
    fn fully_masked_sequence_is_zero() {
        let out = mean_pool_normalized(&[5.0, 5.0], &[0], 1, 1, 2);
        assert_eq!(out, vec![vec![0.0, 0.0]]);
    }

    #[test]
    fn l2_normalize_gives_unit_norm() {
        let mut v = vec![3.0, 4.0];
        l2_normalize(&mut v);
        assert_eq!(v, vec![0.6, 0.8]);
        let mut z = vec![0.0; 3];
        l2_normalize(&mut z);
        assert_eq!(z, vec![0.0; 3]);
    }

    #[test]
    fn cosine_of_known_vectors() {
        assert!((cosine(&[1.0, 0.0], &[1.0, 0.0]) - 1.0).abs() < 1e-7);
        assert!(cosine(&[1.0, 0.0], &[0.0, 2.0]).abs() < 1e-7);
        assert!((cosine(&[1.0, 1.0], &[-1.0, -1.0]) + 1.0).abs() < 1e-7);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
    }
}
