//! The keyword list: which chunks are candidates and how they are ranked.
//!
//! Ranking every chunk that shares one word with the query does not scale:
//! at 100 000 chunks a question of eight ordinary words matches a fifth of
//! them, and cover-density ranking of that many rows takes hundreds of
//! milliseconds. So, as search engines do with common terms, the list is
//! built in three steps:
//!
//! 1. **Candidates.** Each query term's document frequency is estimated from
//!    the statistics PostgreSQL keeps for the `tsv` column (`pg_stats`
//!    lists the most common lexemes and their frequencies; a lexeme not
//!    listed is rarer than the least common one listed). The rarest terms
//!    are taken while their estimated matches stay within a budget; a chunk
//!    is a candidate when it holds one of them, or every term of the query.
//!    Common terms still count in the ranking, they just do not pull in
//!    candidates by themselves.
//! 2. **Score.** A candidate scores the IDF-weighted share of query terms it
//!    holds (a rare term weighs more than a common one, and a chunk with
//!    every term scores 1) plus a third of `ts_rank`; the best few hundred
//!    go on.
//! 3. **Re-rank.** Those are ordered by the same share plus a third of
//!    `ts_rank_cd` (cover density: terms close together count more), which
//!    is costlier per row and so runs on the few hundred only.
//!
//! Without statistics (a new library before its first `ANALYZE`) every
//! term is a candidate term and all weigh the same; such a library is small.

use aidoc_text::tokenize::{QueryTerm, Token, query_terms};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// At most this many terms get a weight of their own (the rarest ones);
/// the others still count through `ts_rank`.
const MAX_WEIGHTED_TERMS: usize = 32;
/// How long lexeme statistics are reused before they are read again.
const STATS_TTL: Duration = Duration::from_secs(60);
/// How soon a library without statistics (never analysed) is checked again.
const NO_STATS_TTL: Duration = Duration::from_secs(5);

/// Statistics as read at an instant (`None`: the column was never analysed).
type Snapshot = (Instant, Option<Arc<TermStats>>);

fn fresh(at: &Instant, stats: &Option<Arc<TermStats>>) -> bool {
    at.elapsed() < if stats.is_some() { STATS_TTL } else { NO_STATS_TTL }
}

/// Lexeme frequencies of the `search.chunks.tsv` column.
#[derive(Debug, Clone, Default)]
pub struct TermStats {
    /// Estimated number of chunks.
    pub rows: f64,
    /// Share of chunks holding each of the most common lexemes.
    pub frequency: HashMap<String, f64>,
    /// Assumed share for a lexeme not listed: half the least common listed one.
    pub unlisted: f64,
}

impl TermStats {
    /// Reads the planner statistics; `None` before the column was analysed.
    pub async fn load(client: &tokio_postgres::Client) -> Result<Option<TermStats>, tokio_postgres::Error> {
        let row = client
            .query_opt(
                "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples::float8
                 FROM pg_stats s JOIN pg_class c ON c.oid = 'search.chunks'::regclass
                 WHERE s.schemaname = 'search' AND s.tablename = 'chunks' AND s.attname = 'tsv'",
                &[],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        let lexemes: Option<Vec<String>> = row.get(0);
        let freqs: Option<Vec<f32>> = row.get(1);
        let rows: f64 = row.get(2);
        let (Some(lexemes), Some(freqs)) = (lexemes, freqs) else { return Ok(None) };
        // The frequencies array carries three more numbers: the minimum and maximum frequency, then the
        // share of nulls.
        if lexemes.is_empty() || freqs.len() < lexemes.len() + 1 || rows <= 0.0 {
            return Ok(None);
        }
        let least = f64::from(freqs[lexemes.len()]);
        let frequency = lexemes.into_iter().zip(freqs.iter().map(|f| f64::from(*f))).collect();
        Ok(Some(TermStats { rows, frequency, unlisted: least / 2.0 }))
    }

    fn share(&self, lexeme: &str) -> f64 {
        self.frequency.get(lexeme).copied().unwrap_or(self.unlisted)
    }

    /// Estimated share of chunks a term matches: the sum over its alternatives,
    /// a phrase counting as its rarest word.
    pub fn estimate(&self, term: &QueryTerm) -> f64 {
        term.alternatives
            .iter()
            .map(|alt| alt.iter().map(|l| self.share(l)).fold(f64::INFINITY, f64::min))
            .filter(|s| s.is_finite())
            .sum::<f64>()
            .min(1.0)
    }
}

/// Statistics shared by the searches of one process, read at most once a minute.
#[derive(Clone, Default)]
pub struct StatsCache {
    inner: Arc<RwLock<Option<Snapshot>>>,
}

impl StatsCache {
    pub async fn get(&self, client: &tokio_postgres::Client) -> Option<Arc<TermStats>> {
        if let Some((at, stats)) = &*self.inner.read().await
            && fresh(at, stats)
        {
            return stats.clone();
        }
        let mut slot = self.inner.write().await;
        if let Some((at, stats)) = &*slot
            && fresh(at, stats)
        {
            return stats.clone();
        }
        let stats = match TermStats::load(client).await {
            Ok(s) => s.map(Arc::new),
            Err(e) => {
                // Ranking still works without them; try again next time.
                tracing::warn!(error = %e, "cannot read lexeme statistics");
                return slot.as_ref().and_then(|(_, s)| s.clone());
            }
        };
        *slot = Some((Instant::now(), stats.clone()));
        stats
    }
}

/// A planned keyword query: the `tsquery` literals and weights its SQL needs.
#[derive(Debug, Clone, PartialEq)]
pub struct KeywordQuery {
    /// Every term, OR-ed: what `ts_rank`/`ts_rank_cd` score.
    pub any: String,
    /// Which chunks are candidates.
    pub candidates: String,
    /// Weighted terms and their weights (summing to 1).
    pub weighted: Vec<(String, f64)>,
}

impl KeywordQuery {
    /// Plans the query for `tokens`; `None` when they hold no lexeme.
    /// `budget` is the number of chunks the candidate terms may match together.
    pub fn plan(tokens: &[Token], stats: Option<&TermStats>, budget: f64) -> Option<KeywordQuery> {
        let terms = query_terms(tokens);
        if terms.is_empty() {
            return None;
        }
        let any = join(terms.iter().map(|t| t.literal.as_str()), " | ");
        let Some(stats) = stats else {
            let n = terms.len().min(MAX_WEIGHTED_TERMS);
            let weighted = terms.iter().take(n).map(|t| (t.literal.clone(), 1.0 / n as f64)).collect();
            return Some(KeywordQuery { candidates: any.clone(), any, weighted });
        };
        // Rarest first; ties keep the query's order.
        let mut by_rarity: Vec<(f64, &QueryTerm)> = terms.iter().map(|t| (stats.estimate(t), t)).collect();
        by_rarity.sort_by(|a, b| a.0.total_cmp(&b.0));

        let mut chosen = 0;
        let mut matches = 0.0;
        for (share, _) in &by_rarity {
            let m = share * stats.rows;
            if chosen > 0 && matches + m > budget {
                break;
            }
            chosen += 1;
            matches += m;
        }
        let candidates = if chosen == terms.len() {
            any.clone()
        } else {
            let all = join(terms.iter().map(|t| t.literal.as_str()), " & ");
            let pull = if matches > budget && by_rarity.len() >= 2 {
                // Even the rarest term is common: ask for the two rarest together.
                format!("{} & {}", by_rarity[0].1.literal, by_rarity[1].1.literal)
            } else {
                join(by_rarity[..chosen].iter().map(|(_, t)| t.literal.as_str()), " | ")
            };
            format!("({all}) | ({pull})")
        };

        let idf = |share: f64| (1.0 + 1.0 / share.max(1e-6)).ln();
        let weighted: Vec<(String, f64)> =
            by_rarity.iter().take(MAX_WEIGHTED_TERMS).map(|(s, t)| (t.literal.clone(), idf(*s))).collect();
        let total: f64 = weighted.iter().map(|(_, w)| w).sum();
        let weighted = weighted.into_iter().map(|(l, w)| (l, w / total)).collect();
        Some(KeywordQuery { any, candidates, weighted })
    }

    /// The SQL: `$1` `any`, `$2` `candidates`, `$3` how many go to re-ranking,
    /// `$4` the depth, `$5…` the weighted terms; `join`/`cond` add filters,
    /// whose parameters follow the terms.
    pub fn sql(&self, join: &str, cond: &str) -> String {
        let share = if self.weighted.is_empty() {
            "0".to_owned()
        } else {
            self.weighted
                .iter()
                .enumerate()
                .map(|(i, (_, w))| format!("{w:.6} * (c.tsv @@ ${}::text::tsquery)::int", i + 5))
                .collect::<Vec<_>>()
                .join(" + ")
        };
        format!(
            "SELECT p.id, (p.share + ts_rank_cd(p.tsv, $1::text::tsquery, 1) / 3)::float8 AS score
             FROM (SELECT m.* FROM (
                     SELECT c.id, c.tsv, ({share})::float8 AS share, ts_rank(c.tsv, $1::text::tsquery, 1) AS rank
                     FROM search.chunks c{join}
                     WHERE c.tsv @@ $2::text::tsquery{cond}) m
                   ORDER BY m.share + m.rank / 3 DESC, m.id LIMIT $3) p
             ORDER BY score DESC, p.id LIMIT $4"
        )
    }

    /// The number of the first filter parameter.
    pub fn first_filter_param(&self) -> usize {
        5 + self.weighted.len()
    }
}

fn join<'a>(parts: impl Iterator<Item = &'a str>, sep: &str) -> String {
    parts.collect::<Vec<_>>().join(sep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aidoc_text::tokenize::query_tokens;

    fn stats(rows: f64, common: &[(&str, f64)]) -> TermStats {
        TermStats { rows, frequency: common.iter().map(|(l, f)| (l.to_string(), *f)).collect(), unlisted: 0.005 }
    }

    #[test]
    fn without_statistics_every_term_is_a_candidate_and_weighs_the_same() {
        let q = KeywordQuery::plan(&query_tokens("pool timeout PPR-9087"), None, 2000.0).unwrap();
        assert_eq!(q.any, "'pool' | 'timeout' | ('ppr-9087' | 'ppr' <-> '9087')");
        assert_eq!(q.candidates, q.any);
        assert_eq!(q.weighted.len(), 3);
        assert!(q.weighted.iter().all(|(_, w)| (w - 1.0 / 3.0).abs() < 1e-9));
        assert_eq!(KeywordQuery::plan(&query_tokens("the of"), None, 2000.0), None);
    }

    #[test]
    fn common_terms_rank_but_do_not_pull_in_candidates() {
        // 100 000 chunks; `system` in 30 %, `time` in 20 %, `hnsw` unlisted (0.5 % = 500).
        let s = stats(100_000.0, &[("system", 0.3), ("time", 0.2)]);
        let q = KeywordQuery::plan(&query_tokens("hnsw system time"), Some(&s), 2000.0).unwrap();
        assert_eq!(q.candidates, "('hnsw' & 'system' & 'time') | ('hnsw')");
        assert_eq!(q.any, "'hnsw' | 'system' | 'time'");
        // rarest first, heaviest first, summing to one
        let names: Vec<&str> = q.weighted.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(names, ["'hnsw'", "'time'", "'system'"]);
        assert!(q.weighted[0].1 > 2.0 * q.weighted[1].1, "{:?}", q.weighted);
        assert!((q.weighted.iter().map(|(_, w)| w).sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn rare_terms_fill_the_budget_in_order_of_rarity() {
        let s = stats(100_000.0, &[("alpha", 0.012), ("beta", 0.008), ("gamma", 0.3)]);
        // beta 800 + alpha 1200 = 2000 fit; gamma does not.
        let q = KeywordQuery::plan(&query_tokens("gamma alpha beta"), Some(&s), 2000.0).unwrap();
        assert_eq!(q.candidates, "('gamma' & 'alpha' & 'beta') | ('beta' | 'alpha')");
        // everything fits a larger budget: plain OR
        let q = KeywordQuery::plan(&query_tokens("gamma alpha beta"), Some(&s), 40_000.0).unwrap();
        assert_eq!(q.candidates, q.any);
    }

    #[test]
    fn when_every_term_is_common_the_two_rarest_must_meet() {
        let s = stats(100_000.0, &[("data", 0.3), ("time", 0.2), ("system", 0.25)]);
        let q = KeywordQuery::plan(&query_tokens("data time system"), Some(&s), 2000.0).unwrap();
        assert_eq!(q.candidates, "('data' & 'time' & 'system') | ('time' & 'system')");
        // a single common term is its own candidate set
        let q = KeywordQuery::plan(&query_tokens("data"), Some(&s), 2000.0).unwrap();
        assert_eq!(q.candidates, "'data'");
    }

    #[test]
    fn a_phrase_is_as_rare_as_its_rarest_word() {
        let s = stats(100_000.0, &[("js", 0.05), ("array", 0.1), ("set", 0.2)]);
        let terms = query_terms(&query_tokens("js_array_set"));
        // the whole identifier is unlisted (0.5 %), the phrase counts as `js` (5 %)
        assert!((s.estimate(&terms[0]) - 0.055).abs() < 1e-9, "{}", s.estimate(&terms[0]));
    }

    #[test]
    fn sql_numbers_terms_after_the_fixed_parameters() {
        let q = KeywordQuery::plan(&query_tokens("pool timeout"), None, 2000.0).unwrap();
        let sql = q.sql("", " AND c.language = ANY($7::text[])");
        assert!(
            sql.contains("0.500000 * (c.tsv @@ $5::text::tsquery)::int + 0.500000 * (c.tsv @@ $6::text::tsquery)::int")
        );
        assert!(sql.contains("WHERE c.tsv @@ $2::text::tsquery AND c.language = ANY($7::text[])"));
        assert_eq!(q.first_filter_param(), 7);
    }
}
