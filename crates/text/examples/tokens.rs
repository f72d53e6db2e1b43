//! Prints the index or query tokens of each argument: `cargo run -p aidoc-text --example tokens -- i|q TEXT...`
fn main() {
    let mode = std::env::args().nth(1).unwrap();
    for text in std::env::args().skip(2) {
        let toks = if mode == "q" { aidoc_text::query_tokens(&text) } else { aidoc_text::index_tokens(&text) };
        for t in &toks {
            println!("{:>4} {:<30} {}..{} {:?}", t.position, t.lexeme, t.start, t.end, &text[t.start..t.end]);
        }
        println!("tsvector: {}", aidoc_text::to_tsvector_literal(&toks));
        println!("tsquery: {:?}", aidoc_text::to_tsquery_literal(&toks, aidoc_text::QueryOp::And));
        println!();
    }
}
