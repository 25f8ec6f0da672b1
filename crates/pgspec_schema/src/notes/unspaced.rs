//! Key and nullability words of the languages that write words without spaces between them
//! (Japanese, Chinese, Thai): found anywhere in a note, not as tokens.

use super::NoteFacts;

/// Japanese, Chinese and Thai key and nullability words, found anywhere in the note (they are not
/// separated from the words around them).
pub(super) fn cjk_markers(text: &str) -> NoteFacts {
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let lower = squeezed.to_lowercase();
    let has_squeezed = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    let not_null = if has_squeezed(&[
        "ห้ามว่าง",
        "ห้ามเป็นค่าว่าง",
        "ไม่เป็นค่าว่าง",
        "ไม่เป็นnull",
        "ห้ามnull",
        "ต้องระบุ",
        "ต้องมีค่า",
        "จำเป็น",
        "必須",
        "非空",
        "不可为空",
        "不能为空",
        "不可為空",
        "不能為空",
        "null不可",
        "null禁止",
        "null不允许",
        "不允许null",
        "不允许为空",
    ]) {
        Some(true)
    } else if has_squeezed(&[
        "null可",
        "null許可",
        "null许可",
        "可空",
        "允许为空",
        "允许null",
        "允許空",
        "可为空",
        "可為空",
        "任意",
        "ว่างได้",
        "เป็นnullได้",
        "ไม่บังคับ",
    ]) {
        Some(false)
    } else {
        None
    };
    NoteFacts {
        primary_key: has(&[
            "主キー",
            "主键",
            "主鍵",
            "プライマリキー",
            "คีย์หลัก",
            "กุญแจหลัก",
        ]),
        unique: has(&["ユニーク", "一意", "唯一", "ไม่ซ้ำ", "ห้ามซ้ำ"])
            && !has(&["非唯一", "一意でない"]),
        foreign_key: has(&["外部キー", "外键", "外鍵", "คีย์นอก", "คีย์อ้างอิง"]),
        not_null,
        ..NoteFacts::default()
    }
}
