//! Column tables in languages written right to left (Arabic), with combining signs inside
//! words (Hindi, Thai) and in the Nordic languages: headers, keys, nullability, references and
//! defaults in their own words.

use super::*;
use crate::document::read;

fn read_tables(text: &str) -> Vec<DocTable> {
    let (doc, _) = read(text.as_bytes());
    let reading = from_document(&doc);
    assert!(reading.diagnostics.is_empty(), "{:?}", reading.diagnostics);
    reading.tables
}

fn column<'a>(t: &'a DocTable, name: &str) -> &'a DocColumn {
    t.columns
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{name} in {:?}", t.columns))
}

#[test]
fn arabic_headers_and_notes_with_the_arabic_comma() {
    let tables = read_tables(
        "### جدول التسجيل (`enrollments`)

| اسم العمود | نوع البيانات | القيود | الوصف |
|---|---|---|---|
| id | BIGSERIAL | مفتاح أساسي | |
| student_id | BIGINT | مفتاح أجنبي ← students.id، غير فارغ | |
| code | VARCHAR(20) | فريد، غير فارغ | |
| status | VARCHAR(20) | غير فارغ، افتراضي 'active' | |
| note | TEXT | اختياري | |
",
    );
    let t = &tables[0];
    assert_eq!(t.name, "enrollments");
    assert!(column(t, "id").primary_key);
    let student = column(t, "student_id");
    assert_eq!(
        student.references,
        Some(("students".into(), Some("id".into())))
    );
    assert_eq!(student.not_null, Some(true));
    let code = column(t, "code");
    assert!(code.unique && code.not_null == Some(true));
    assert_eq!(column(t, "status").default.as_deref(), Some("'active'"));
    assert_eq!(column(t, "note").not_null, Some(false));
}

#[test]
fn hindi_and_thai_words_keep_their_combining_signs() {
    let tables = read_tables(
        "### `orders`

| कॉलम | प्रकार | विवरण |
|---|---|---|
| id | BIGINT | प्राथमिक कुंजी |
| customer_id | BIGINT | विदेशी कुंजी → customers.id, अनिवार्य |
| sku | TEXT | अद्वितीय |

### `payments`

| ชื่อคอลัมน์ | ชนิดข้อมูล | คำอธิบาย |
|---|---|---|
| id | BIGINT | คีย์หลัก |
| order_id | BIGINT | คีย์นอก อ้างอิง orders.id ห้ามว่าง |
| ref_no | TEXT | ไม่ซ้ำ |
| paid_at | TIMESTAMPTZ | ค่าเริ่มต้น now() |
",
    );
    let (orders, payments) = (&tables[0], &tables[1]);
    assert!(column(orders, "id").primary_key);
    let customer = column(orders, "customer_id");
    assert_eq!(
        customer.references,
        Some(("customers".into(), Some("id".into())))
    );
    assert_eq!(customer.not_null, Some(true));
    assert!(column(orders, "sku").unique);
    assert!(column(payments, "id").primary_key);
    let order = column(payments, "order_id");
    assert_eq!(order.references, Some(("orders".into(), Some("id".into()))));
    assert_eq!(order.not_null, Some(true));
    assert!(column(payments, "ref_no").unique);
    assert_eq!(
        column(payments, "paid_at").default.as_deref(),
        Some("now()")
    );
}

#[test]
fn swedish_and_danish_headers_and_notes() {
    let tables = read_tables(
        "### `kunder`

| Kolumn | Datatyp | Beskrivning |
|---|---|---|
| id | BIGINT | Primärnyckel |
| butik_id | BIGINT | Främmande nyckel till butiker.id, obligatorisk |
| epost | TEXT | unik, inte null |

### `ordrer`

| Kolonne | Datatype | Standardværdi | Beskrivelse |
|---|---|---|---|
| id | BIGINT | | primærnøgle |
| status | TEXT | 'ny' | påkrævet |
",
    );
    let (kunder, ordrer) = (&tables[0], &tables[1]);
    assert!(column(kunder, "id").primary_key);
    let butik = column(kunder, "butik_id");
    assert_eq!(
        butik.references,
        Some(("butiker".into(), Some("id".into())))
    );
    assert_eq!(butik.not_null, Some(true));
    let epost = column(kunder, "epost");
    assert!(epost.unique && epost.not_null == Some(true));
    assert!(column(ordrer, "id").primary_key);
    let status = column(ordrer, "status");
    assert_eq!(status.default.as_deref(), Some("'ny'"));
    assert_eq!(status.not_null, Some(true));
}

#[test]
fn the_word_table_before_a_quoted_name_in_thai_arabic_hindi_and_swedish_titles() {
    for (title, name) in [
        ("### 2.1 ตาราง `waitlist` (คิวหน้าร้าน)", "waitlist"),
        ("### جدول `students` (الطلاب)", "students"),
        ("### तालिका `orders` (ऑर्डर)", "orders"),
        ("### Tabell `kunder`", "kunder"),
        ("**ตาราง: payments**", "payments"),
    ] {
        let text = format!("{title}\n\n| Column | Type |\n|---|---|\n| id | bigint |\n");
        let tables = read_tables(&text);
        assert_eq!(
            tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            [name],
            "{title}"
        );
    }
}
