use super::*;

/// Mis-decode `text` the way the seed documents were: UTF-8 bytes read with `table`, bytes the
/// table does not define dropped (or turned into U+FFFD with `replace`).
fn mis_decode(text: &str, table: &[char; 128], replace: bool) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            0..=0x7F => out.push(char::from(b)),
            _ => match table[usize::from(b - 0x80)] {
                '\0' if replace => out.push(char::REPLACEMENT_CHARACTER),
                '\0' => {}
                c => out.push(c),
            },
        }
    }
    out
}

const KOREAN: &str = "# 주문 시스템 설계\n\n주문 테이블은 고객의 주문 정보를 저장한다.\nCREATE TABLE orders (id bigint);\n\n- 상태 값: 대기, 완료 ✅\n한국어 설명 → 끝\n";

#[test]
fn genuine_korean_utf8_is_not_mojibake() {
    assert!(repair(KOREAN).is_none());
    assert!(repair("간단한 문서 🔐 📊 — “quoted” × 3 · 완료\n").is_none());
}

#[test]
fn genuine_latin_text_is_not_mojibake() {
    assert!(repair("Café résumé naïve — “quoted” déjà vu\nÀ bientôt, Ångström ±5 °C\n").is_none());
    assert!(repair("≤ ≥ ∞ π µ ° • – — … ‘’\n").is_none());
}

#[test]
fn one_quoted_mojibake_line_in_a_korean_document_is_left_alone() {
    let text = format!(
        "{KOREAN}깨진 예시: {}\n{KOREAN}",
        mis_decode("안녕하세요", &WINDOWS_1252_DECODE, false)
    );
    assert!(repair(&text).is_none());
}

#[test]
fn windows_1252_mojibake_without_lost_bytes_reverses_exactly() {
    let original = "# 주문 설계\n\nSELECT 1; -- 주문 조회\n결제 금액 × 3 • 완료\n";
    let mojibake = mis_decode(original, &WINDOWS_1252_DECODE, false);
    let r = repair(&mojibake).expect("detected");
    assert_eq!(r.text, original);
    assert_eq!(r.codec, "windows-1252");
    assert_eq!(r.lines_repaired, 3);
    assert_eq!(r.lines_lossy, 0);
    assert_eq!(r.diagnostics.len(), 1);
    assert_eq!(r.diagnostics[0].code, Code::MojibakeRepaired);
    assert_eq!(r.diagnostics[0].primary.range.start, 0);
}

#[test]
fn mac_roman_mojibake_reverses_exactly() {
    let original = "-- 매월 실행\nSELECT '완료';\n\n텍스트 ✅ 🐘\n";
    let mojibake = mis_decode(original, &MAC_ROMAN_DECODE, false);
    let r = repair(&mojibake).expect("detected");
    assert_eq!(r.codec, "mac-roman");
    assert_eq!(r.text, original);
}

#[test]
fn lost_bytes_are_guessed_and_reported() {
    // `생` is EC 83 9D and `데` is EB 8D B0: windows-1252 drops 0x9D and 0x8D.
    let original = "-- 주문 테이블 생성\n-- 이전 데이터 보관\nSELECT 1;\n-- 주문 정보\n";
    let mojibake = mis_decode(original, &WINDOWS_1252_DECODE, false);
    assert_eq!(mojibake.lines().count(), original.lines().count());
    let r = repair(&mojibake).expect("detected");
    assert_eq!(r.text, original);
    assert_eq!(r.lines_lossy, 2);
    let lost = r
        .diagnostics
        .iter()
        .find(|d| d.code == Code::MojibakeBytesLost)
        .expect("DOC003");
    assert_eq!(lost.severity, Severity::Warning);
    assert_eq!(lost.primary.range.start, 0);
    assert_eq!(lost.notes, ["lines with lost bytes: 1, 2"]);
}

#[test]
fn replacement_characters_stand_for_lost_bytes() {
    let original = "-- 주문 테이블 생성\n-- 주문 정보 조회\n";
    let mojibake = mis_decode(original, &WINDOWS_1252_DECODE, true);
    assert!(mojibake.contains('\u{FFFD}'));
    let r = repair(&mojibake).expect("detected");
    assert_eq!(r.text, original);
    assert_eq!(r.lines_lossy, 1);
}

#[test]
fn unguessable_bytes_become_replacement_characters() {
    // Mac Roman defines every byte, so nothing is known about a byte missing from its
    // mojibake: the truncated character becomes U+FFFD and the line counts as lossy.
    let clean = mis_decode("-- 주문 정보 조회", &MAC_ROMAN_DECODE, false);
    let broken: String = mis_decode("주문", &MAC_ROMAN_DECODE, false)
        .chars()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, c)| c)
        .collect();
    let r = repair(&format!("{clean}\n{broken}\nplain")).expect("detected");
    assert_eq!(r.text, "-- 주문 정보 조회\n\u{FFFD}문\nplain");
    assert_eq!(r.lines_lossy, 1);
}

#[test]
fn windows_1254_is_told_apart_by_its_turkish_letters() {
    // 🔐 is F0 9F 94 90: windows-1254 reads F0 as `ğ` and drops 0x90.
    let original = "## 🔐 보안 설계\n주문 정보 조회\n";
    let mojibake = mis_decode(original, &WINDOWS_1254_DECODE, false);
    assert!(mojibake.starts_with("## ğ"));
    let r = repair(&mojibake).expect("detected");
    assert_eq!(r.codec, "windows-1254");
    assert_eq!(r.text, original);
}

#[test]
fn every_table_character_passes_the_fast_filter() {
    for codec in &CODECS {
        for &c in codec.table.iter().filter(|c| **c != '\0') {
            assert!(may_be_in_a_table(c), "{} {c:?}", codec.name);
        }
        for &(c, _) in codec.aliases {
            assert!(may_be_in_a_table(c));
        }
    }
}

#[test]
fn candidates_cover_every_position_of_the_lost_byte() {
    let t = Truncated {
        lead: 0xEC,
        present: [0x85, 0, 0],
        n_present: 1,
        len: 3,
    };
    let mut out = Vec::new();
    let mut budget = 1000;
    enumerate_candidates(&t, &[0x9E, 0x81], &mut out, &mut budget);
    // EC 9E 85, EC 81 85 (missing last byte was 0x85's predecessor) and EC 85 9E, EC 85 81.
    for c in ['입', '쁅', '셞', '셁'] {
        assert!(out.contains(&c), "{c} missing from {out:?}");
    }
}
