//! A cheap language guess from script statistics, with a stopword vote among Latin-script languages.

use crate::script::{is_cyrillic, is_han, is_hangul, is_kana, is_latin_letter};

/// Characters of CJK scripts carry about a word each, so they weigh more than a letter of an alphabet.
const CJK_WEIGHT: usize = 3;
/// Only the start of a long text is looked at.
const MAX_CHARS: usize = 20_000;

#[derive(Default)]
struct Counts {
    han: usize,
    kana: usize,
    hangul: usize,
    latin: usize,
    cyrillic: usize,
    ukrainian: usize,
    greek: usize,
    arabic: usize,
    hebrew: usize,
    thai: usize,
    devanagari: usize,
}

/// The BCP-47 tag of the text's probable language: `zh`, `ja`, `ko`, `en`, `de`, `fr`, `es`, `ru`, `uk`,
/// `el`, `ar`, `he`, `th`, `hi`, or `und` when there are no letters.
///
/// The dominant script decides (CJK characters weigh three letters each); Han with a noticeable share of
/// kana is Japanese; Latin text is English unless the stopwords of German, French or Spanish clearly
/// outnumber the English ones.
pub fn detect_language(text: &str) -> &'static str {
    let mut n = Counts::default();
    for c in text.chars().take(MAX_CHARS) {
        match c {
            _ if is_han(c) => n.han += 1,
            _ if is_kana(c) => n.kana += 1,
            _ if is_hangul(c) => n.hangul += 1,
            _ if is_latin_letter(c) => n.latin += 1,
            _ if is_cyrillic(c) => {
                n.cyrillic += 1;
                if matches!(c, 'і' | 'ї' | 'є' | 'ґ' | 'І' | 'Ї' | 'Є' | 'Ґ') {
                    n.ukrainian += 1;
                }
            }
            '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => n.greek += 1,
            '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{08A0}'..='\u{08FF}' => n.arabic += 1,
            '\u{0590}'..='\u{05FF}' => n.hebrew += 1,
            '\u{0E00}'..='\u{0E7F}' => n.thai += 1,
            '\u{0900}'..='\u{097F}' => n.devanagari += 1,
            _ => {}
        }
    }
    let scores = [
        ("cjk", (n.han + n.kana) * CJK_WEIGHT),
        ("ko", n.hangul * CJK_WEIGHT),
        ("latin", n.latin),
        ("cyrillic", n.cyrillic),
        ("el", n.greek),
        ("ar", n.arabic),
        ("he", n.hebrew),
        ("th", n.thai),
        ("hi", n.devanagari),
    ];
    // The first of equal scores wins, so the order above breaks ties deterministically.
    let (script, score) = scores.iter().fold(("und", 0), |best, &(s, v)| if v > best.1 { (s, v) } else { best });
    if score == 0 {
        return "und";
    }
    match script {
        // Japanese text is mostly kana; Chinese has none, except quoted Japanese.
        "cjk" if n.kana * 5 >= n.han + n.kana => "ja",
        "cjk" => "zh",
        "cyrillic" if n.ukrainian * 50 >= n.cyrillic => "uk",
        "cyrillic" => "ru",
        "latin" => latin_language(text),
        other => other,
    }
}

const EN: &[&str] = &[
    "the", "and", "of", "to", "is", "in", "that", "it", "for", "with", "this", "are", "be", "on", "not", "was", "you",
];
const DE: &[&str] = &[
    "der", "die", "das", "und", "ist", "nicht", "mit", "ein", "eine", "zu", "den", "von", "für", "auf", "sie", "es",
    "wir", "dem", "sich", "auch", "werden", "wird",
];
const FR: &[&str] = &[
    "le", "la", "les", "et", "est", "des", "une", "du", "dans", "pour", "qui", "pas", "sur", "avec", "ce", "au",
    "sont", "vous", "nous", "il",
];
const ES: &[&str] =
    &["el", "los", "las", "y", "es", "del", "una", "por", "para", "con", "se", "su", "al", "lo", "como", "más", "está"];

fn latin_language(text: &str) -> &'static str {
    let mut votes = [("en", 0usize), ("de", 0), ("fr", 0), ("es", 0)];
    let words =
        text.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()).take(2_000).map(|w| w.to_lowercase());
    for word in words {
        for (k, list) in [EN, DE, FR, ES].iter().enumerate() {
            if list.contains(&word.as_str()) {
                votes[k].1 += 1;
            }
        }
    }
    let english = votes[0].1;
    let (best, count) = votes[1..].iter().fold(("en", 0), |best, &(l, v)| if v > best.1 { (l, v) } else { best });
    // Another language needs a few hits and a clear lead over English.
    if count >= 2 && count > english * 2 { best } else { "en" }
}

#[cfg(test)]
mod tests {
    use super::detect_language;

    #[test]
    fn scripts() {
        assert_eq!(detect_language(""), "und");
        assert_eq!(detect_language("12345 -- !!"), "und");
        assert_eq!(detect_language("How to restore the database from a backup"), "en");
        assert_eq!(detect_language("数据库备份与恢复的配置文件"), "zh");
        assert_eq!(detect_language("設定ファイルの場所を確認してください"), "ja");
        assert_eq!(detect_language("데이터베이스를 백업합니다"), "ko");
        assert_eq!(detect_language("Резервное копирование базы данных"), "ru");
        assert_eq!(detect_language("Резервне копіювання бази даних і відновлення"), "uk");
        assert_eq!(detect_language("Η βάση δεδομένων"), "el");
        assert_eq!(detect_language("قاعدة البيانات"), "ar");
    }

    #[test]
    fn chinese_with_english_terms_is_still_chinese() {
        assert_eq!(detect_language("使用 PostgreSQL 和 pgvector 实现向量检索"), "zh");
    }

    #[test]
    fn latin_languages_by_stopwords() {
        assert_eq!(detect_language("Die Datenbank wird mit dem Befehl gesichert und ist nicht verfügbar"), "de");
        assert_eq!(detect_language("La base de données est sauvegardée avec la commande pour les tests"), "fr");
        assert_eq!(detect_language("El servidor se reinicia con los cambios para las pruebas del sistema"), "es");
        assert_eq!(detect_language("Restart nginx"), "en");
    }
}
