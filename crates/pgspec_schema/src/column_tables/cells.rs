//! A Markdown table's rows and cells: splitting a row, the delimiter row, what a header cell says a column holds, yes/no cells.

use super::*;

/// A table cell: trimmed text and its document range.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cell<'a> {
    pub(super) text: &'a str,
    pub(super) range: TextRange,
}

/// Split a table row into cells (GFM: outer pipes optional, `\|` escapes a pipe).
pub(super) fn split_row(line: Line<'_>) -> Vec<Cell<'_>> {
    let text = line.text;
    let bytes = text.as_bytes();
    let mut bounds = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'|' => {
                bounds.push(i);
                i += 1;
            }
            _ => i += 1,
        }
    }
    let trimmed_start = text.len() - text.trim_start().len();
    let trimmed_end = text.trim_end().len();
    let mut pieces = Vec::new();
    let mut from = trimmed_start;
    for &b in &bounds {
        pieces.push((from, b));
        from = b + 1;
    }
    pieces.push((from, trimmed_end.max(from)));
    // Outer pipes make an empty first and last piece.
    if bounds.first() == Some(&trimmed_start) && !pieces.is_empty() {
        pieces.remove(0);
    }
    if bounds.last().is_some_and(|&b| b + 1 == trimmed_end) && !pieces.is_empty() {
        pieces.pop();
    }
    pieces
        .into_iter()
        .map(|(a, b)| {
            let raw = &text[a..b];
            let lead = raw.len() - raw.trim_start().len();
            let content = raw.trim();
            let start = line.start + a + lead;
            Cell {
                text: content,
                range: TextRange::new(offset(start), offset(start + content.len())),
            }
        })
        .collect()
}

pub(super) fn has_pipe(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'|' => return true,
            _ => i += 1,
        }
    }
    false
}

/// A delimiter row: every cell `:?-+:?`.
pub(super) fn is_delimiter_row(cells: &[Cell<'_>]) -> bool {
    !cells.is_empty()
        && cells.iter().all(|c| {
            let t = c.text.trim_start_matches(':').trim_end_matches(':');
            !t.is_empty() && t.bytes().all(|b| b == b'-')
        })
}

/// What a header cell says its column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    /// The column name; `true` for a header that can only mean a column name (`Column`,
    /// `컬럼명`), `false` for a generic one (`Name`, `Field`).
    Name(bool),
    Type,
    Notes,
    Key,
    Nullable,
    NotNull,
    Default,
    References,
    Unique,
    /// A primary-key mark (`PK`, `主キー`) whose cells are yes/no marks (`○`, `Y`).
    PrimaryKey,
    /// The type's length or precision (`長さ`, `桁数`, `길이`, `Length`): `50`, `10,2`.
    Length,
    /// The scale of a numeric type, apart from its precision (`精度` beside `桁数`).
    Scale,
    /// The table each row's column belongs to, in a data dictionary that lists the columns
    /// of several tables in one table (`| Table | Column | Type |`).
    Table,
    /// An index's name: the table lists indexes (`| Index | Table | Columns | Type |`), not
    /// columns.
    IndexName,
    /// A constraint's name: the table lists constraints, not columns.
    ConstraintName,
    /// A value of a list of values (`| Value | Description |` under `### order_status`): the
    /// labels of an enum type, not columns.
    Value,
    Other,
}

pub(super) fn header_role(cell: &str) -> Role {
    let norm: String = cell
        .chars()
        .filter(|c| !matches!(c, '*' | '`'))
        .collect::<String>()
        .trim()
        .trim_end_matches([':', '?'])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    match norm.as_str() {
        "column" | "columns" | "column name" | "column_name" | "col" | "컬럼" | "컬럼명"
        | "칼럼" | "칼럼명" | "컬럼 이름" | "필드명" | "열" | "열 이름" | "물리명"
        | "컬럼 (물리명)" | "컬럼(물리명)" | "속성명"
        // Japanese, Chinese (simplified and traditional)
        | "カラム名" | "カラム" | "列名" | "物理名" | "カラム物理名" | "フィールド名" | "字段名"
        | "字段" | "字段名称" | "列名称" | "欄位" | "欄位名稱" | "欄位名" | "栏位" | "栏位名"
        | "column名"
        // Spanish, Portuguese, French, German, Italian, Russian, Dutch, Vietnamese, Turkish, Polish
        | "columna" | "nombre de columna" | "nombre de la columna" | "coluna" | "nome da coluna" | "colonne" | "nom de colonne" | "nom de la colonne" | "spalte" | "spaltenname" | "colonna" | "nome colonna" | "nome della colonna" | "колонка" | "столбец" | "имя столбца" | "имя колонки" | "kolom" | "kolomnaam" | "cột" | "tên cột" | "sütun" | "sütun adı" | "kolumna" | "nazwa kolumny"
        // Swedish, Danish, Norwegian, Arabic, Hindi, Thai
        | "kolumn" | "kolumnnamn" | "kolonne" | "kolonnenavn" | "kolonnavn" | "العمود" | "اسم العمود"
        | "عمود" | "कॉलम" | "कॉलम नाम" | "कॉलम का नाम" | "स्तंभ" | "คอลัมน์" | "ชื่อคอลัมน์" => Role::Name(true),
        "name" | "field" | "field name" | "fields" | "attribute" | "이름" | "필드" | "속성"
        | "名前" | "項目名" | "項目" | "名称" | "名稱" | "属性"
        // Spanish, Portuguese, French, German, Italian, Russian, Dutch, Vietnamese, Turkish, Polish
        | "nombre" | "campo" | "nome" | "nom" | "champ" | "feld" | "feldname" | "имя" | "название" | "поле" | "naam" | "veld" | "tên" | "alan" | "nazwa" | "pole" | "namn" | "fält" | "navn" | "felt"
        | "الاسم" | "الحقل" | "اسم الحقل" | "नाम" | "फ़ील्ड" | "फील्ड" | "फ़ील्ड नाम" | "ชื่อ" | "ฟิลด์"
        | "ชื่อฟิลด์" => Role::Name(false),
        "type" | "data type" | "datatype" | "data_type" | "sql type" | "pg type" | "型/型名"
        | "型名" | "データ型名"
        | "postgres type" | "postgresql type" | "column type" | "type (length)" | "타입"
        | "자료형" | "데이터 타입" | "데이터타입" | "데이터 형식" | "데이터형" | "형식"
        | "유형" | "타입(길이)" | "자료형(길이)" | "データ型" | "型" | "データタイプ" | "タイプ"
        | "型(桁数)" | "データ型(桁数)" | "数据类型" | "类型" | "字段类型" | "資料型態"
        | "資料類型" | "型態" | "類型" | "数据类型(长度)"
        // Spanish, Portuguese, French, German, Italian, Russian, Dutch, Vietnamese, Turkish, Polish
        | "tipo" | "tipo de dato" | "tipo de datos" | "tipo de dado" | "tipo de dados" | "type de données" | "type de donnée" | "typ" | "datentyp" | "tipo di dato" | "tipo dati" | "тип" | "тип данных" | "gegevenstype" | "kiểu" | "kiểu dữ liệu" | "tür" | "veri tipi" | "veri türü" | "typ danych"
        // Indonesian (Malay)
        | "tipe" | "tipe data" | "jenis data"
        // Swedish, Danish, Norwegian, Arabic, Hindi, Thai
        | "datatyp" | "النوع" | "نوع البيانات" | "نوع" | "प्रकार" | "डेटा प्रकार"
        | "डेटा टाइप" | "ประเภท" | "ชนิด" | "ชนิดข้อมูล" | "ประเภทข้อมูล" => Role::Type,
        "notes" | "note" | "description" | "desc" | "constraints" | "constraint" | "comment"
        | "comments" | "remarks" | "remark" | "details" | "detail" | "options" | "modifiers"
        | "properties" | "extra" | "설명" | "비고" | "제약" | "제약조건" | "제약 조건" | "참고"
        | "메모" | "내용" | "의미" | "용도" | "논리명" | "한글명" | "설명/제약" | "説明" | "備考"
        | "制約" | "概要" | "内容" | "論理名" | "コメント" | "制約・備考" | "说明" | "描述"
        | "备注" | "约束" | "注释" | "含义" | "說明" | "描述說明" | "備註" | "約束" | "註解"
        | "意味" | "用途" | "定義内容" | "説明/備考" | "中文名" | "字段说明" | "备注说明"
        | "字段描述"
        // Spanish, Portuguese, French, German, Italian, Russian, Dutch, Vietnamese, Turkish, Polish
        | "descripción" | "descripcion" | "restricciones" | "restricción" | "notas" | "observaciones" | "comentario" | "comentarios" | "descrição" | "descricao" | "restrições" | "observações" | "contraintes" | "contrainte" | "remarques" | "commentaire" | "commentaires" | "beschreibung" | "bemerkung" | "bemerkungen" | "einschränkungen" | "hinweis" | "hinweise" | "descrizione" | "vincoli" | "vincolo" | "описание" | "ограничения" | "примечание" | "примечания" | "комментарий" | "beschrijving" | "omschrijving" | "opmerking" | "opmerkingen" | "mô tả" | "ghi chú" | "ràng buộc" | "açıklama" | "kısıtlar" | "opis" | "ograniczenia" | "uwagi"
        // Indonesian (Malay)
        | "keterangan" | "deskripsi" | "catatan" | "batasan"
        // Swedish, Danish, Norwegian, Arabic, Hindi, Thai
        | "beskrivning" | "anmärkning" | "kommentar" | "villkor" | "begränsningar" | "beskrivelse"
        | "bemærkning" | "merknad" | "begrænsninger" | "begrensninger" | "الوصف" | "القيود"
        | "ملاحظات" | "ملاحظة" | "الشرح" | "विवरण" | "टिप्पणी" | "बाधाएँ" | "बाधाएं" | "नोट"
        | "คำอธิบาย" | "หมายเหตุ" | "ข้อจำกัด" | "รายละเอียด" => Role::Notes,
        "key" | "keys" | "pk/fk" | "key type" | "키" | "pk/fk/uk" | "キー" | "键" | "鍵" | "clave"
        | "chave" | "clé" | "schlüssel" | "chiave" | "ключ" | "sleutel" | "khóa" | "anahtar"
        | "klucz" | "kunci" | "nyckel" | "nøgle" | "nøkkel" | "المفتاح" | "مفتاح" | "कुंजी"
        | "คีย์" => {
            Role::Key
        }
        "pk" | "主キー" | "主キー(pk)" | "主キー（pk）" | "主键" | "主鍵" | "기본키" | "pk 여부"
        | "pk여부" | "primary key" | "clave primaria" | "chave primária" | "clé primaire"
        | "primärschlüssel" | "chiave primaria" | "первичный ключ" | "kunci utama" | "primärnyckel"
        | "primærnøgle" | "primærnøkkel" | "مفتاح أساسي" | "प्राथमिक कुंजी" | "คีย์หลัก" => Role::PrimaryKey,
        "length" | "size" | "len" | "長さ" | "桁数" | "長さ/桁数" | "桁" | "길이" | "크기"
        | "사이즈" | "长度" | "長度" | "longitud" | "tamaño" | "comprimento" | "tamanho"
        | "longueur" | "taille" | "länge" | "lunghezza" | "длина" | "размер" => Role::Length,
        "精度" | "scale" | "小数桁" | "小数位" | "소수점" => Role::Scale,
        "nullable" | "null" | "null 허용" | "null여부" | "null 여부" | "null 허용 여부"
        | "허용" | "null許可" | "null許容" | "null可" | "null许可" | "允许空" | "允许为空" | "是否为空"
        | "可空" | "允許空值" | "允许null" | "nulo" | "nulable" | "anulable" | "acepta nulos"
        | "nullbar" | "nulo?" | "boleh kosong" | "boleh null" | "يقبل null" | "يقبل القيم الفارغة"
        | "null مسموح" | "null की अनुमति" | "ว่างได้" => Role::Nullable,
        "not null" | "required" | "필수" | "nn" | "필수 여부" | "필수여부" | "必須" | "非空"
        | "是否必填" | "必填" | "not null制約" | "obligatorio" | "requerido" | "obrigatório"
        | "obligatoire" | "pflicht" | "pflichtfeld" | "obbligatorio" | "обязательное"
        | "обязательный" | "verplicht" | "bắt buộc" | "zorunlu" | "wymagane" | "wajib" | "wajib diisi" | "obligatorisk" | "påkrævet" | "مطلوب" | "إلزامي"
        | "अनिवार्य" | "आवश्यक" | "จำเป็น" => Role::NotNull,
        "default" | "default value" | "기본값" | "디폴트" | "デフォルト" | "デフォルト値" | "初期値"
        | "默认值" | "默认" | "默認值" | "預設值" | "缺省值" | "por defecto" | "valor por defecto"
        | "predeterminado" | "valor predeterminado" | "padrão" | "valor padrão" | "défaut"
        | "valeur par défaut" | "standardwert" | "vorgabe" | "predefinito"
        | "valore predefinito" | "по умолчанию" | "значение по умолчанию" | "standaard"
        | "mặc định" | "varsayılan" | "domyślna" | "wartość domyślna" | "nilai bawaan"
        | "nilai default" | "bawaan" | "standardvärde" | "standardværdi" | "standardverdi"
        | "القيمة الافتراضية" | "افتراضي" | "डिफ़ॉल्ट" | "डिफ़ॉल्ट मान" | "ค่าเริ่มต้น" => Role::Default,
        "references" | "reference" | "fk" | "foreign key" | "참조" | "ref" | "fk 참조" | "参照"
        | "参照先" | "外部キー" | "外键" | "外鍵" | "关联" | "關聯" | "referencia" | "referencias"
        | "referência" | "référence" | "referenz" | "fremdschlüssel" | "riferimento" | "ссылка"
        | "внешний ключ" | "clave foránea" | "chave estrangeira" | "clé étrangère" | "referensi"
        | "kunci asing" | "främmande nyckel" | "fremmednøgle" | "fremmednøkkel" | "مرجع"
        | "مفتاح أجنبي" | "संदर्भ" | "विदेशी कुंजी" | "อ้างอิง" | "คีย์นอก" => {
            Role::References
        }
        "unique" | "uk" | "유니크" | "고유" | "ユニーク" | "一意" | "唯一" | "único" | "unico"
        | "eindeutig" | "univoco" | "уникальный" | "uniek" | "benzersiz" | "unik" | "فريد"
        | "अद्वितीय" | "ไม่ซ้ำ" => Role::Unique,
        "table" | "table name" | "table_name" | "tablename" | "테이블" | "테이블명"
        | "テーブル" | "テーブル名" | "表名" | "数据表" | "表名称" | "資料表" | "tabla"
        | "nombre de tabla" | "tabela" | "nome da tabela" | "tableau" | "nom de table"
        | "tabelle" | "tabellenname" | "tabella" | "таблица" | "имя таблицы" | "tabel"
        | "tablo" | "bảng" | "nama tabel" | "tabell" | "tabellnamn" | "tabelnavn" | "tabellnavn"
        | "الجدول" | "اسم الجدول" | "तालिका" | "टेबल" | "ตาราง" | "ชื่อตาราง" => Role::Table,
        "index" | "index name" | "index_name" | "indexes" | "indices" | "인덱스" | "인덱스명"
        | "인덱스 이름" | "인덱스이름" | "インデックス" | "インデックス名" | "索引" | "索引名"
        | "索引名称" | "索引名稱" | "índice" | "nombre del índice" | "nombre de índice"
        | "nome do índice" | "nom de l'index" | "nom de l’index" | "indexname" | "indice"
        | "nome indice" | "nome dell'indice" | "индекс" | "имя индекса" | "indexnaam"
        | "chỉ mục" | "tên chỉ mục" | "indeks" | "nazwa indeksu" | "dizin" | "dizin adı" => {
            Role::IndexName
        }
        "constraint name" | "constraint_name" | "제약조건명" | "제약 조건명" | "제약조건 이름"
        | "制約名" | "约束名" | "约束名称" | "約束名稱" | "nombre de la restricción"
        | "nome da restrição" | "nom de la contrainte" | "constraint-name" | "имя ограничения" => {
            Role::ConstraintName
        }
        "value" | "values" | "enum value" | "enum values" | "code" | "code value" | "값"
        | "코드" | "코드값" | "코드 값" | "열거값" | "値" | "コード" | "コード値" | "区分値"
        | "值" | "取值" | "枚举值" | "代码" | "代碼" | "valor" | "valores" | "valeur"
        | "valeurs" | "wert" | "werte" | "valore" | "valori" | "значение" | "значения"
        | "waarde" | "giá trị" | "değer" | "wartość" | "nilai" => Role::Value,
        _ => Role::Other,
    }
}

/// A yes/no cell: `Some(true)` for yes-like marks, `Some(false)` for no-like, else `None`.
pub(super) fn yes_no(cell: &str) -> Option<bool> {
    let t = cell.trim().trim_matches(['*', '`']).to_lowercase();
    match t.as_str() {
        "y" | "yes" | "o" | "✓" | "✔" | "✅" | "true" | "1" | "예" | "v" | "○" | "◯" | "●"
        | "是" | "はい" | "可" => Some(true),
        "n" | "no" | "x" | "✗" | "✘" | "❌" | "false" | "0" | "아니오" | "아니요" | "否"
        | "いいえ" | "不可" | "×" => Some(false),
        t if crate::notes::words::YES.contains(&t) => Some(true),
        t if crate::notes::words::NO.contains(&t) => Some(false),
        _ => None,
    }
}
