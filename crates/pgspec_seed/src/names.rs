//! Word lists for values that look real: people, places, words (Korean and English).

use super::values::Rng;

const KO_SURNAMES: &[&str] = &[
    "김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권", "황",
    "안", "송", "류", "홍",
];
const KO_GIVEN: &[&str] = &[
    "민준", "서연", "도윤", "지우", "하준", "서윤", "시우", "하은", "지호", "민서", "예준", "수아",
    "주원", "지민", "현우", "채원", "건우", "유진", "우진", "다은", "선우", "예은", "연우", "소율",
    "은우", "지아", "정우", "윤서", "승현", "가은",
];
const KO_SURNAMES_ROMAN: &[&str] = &[
    "kim", "lee", "park", "choi", "jung", "kang", "cho", "yoon", "jang", "lim", "han", "oh", "seo",
    "shin", "kwon", "hwang", "ahn", "song", "ryu", "hong",
];
const KO_GIVEN_ROMAN: &[&str] = &[
    "minjun",
    "seoyeon",
    "doyoon",
    "jiwoo",
    "hajun",
    "seoyun",
    "siwoo",
    "haeun",
    "jiho",
    "minseo",
    "yejun",
    "sua",
    "juwon",
    "jimin",
    "hyunwoo",
    "chaewon",
    "gunwoo",
    "yujin",
    "woojin",
    "daeun",
    "sunwoo",
    "yeeun",
    "yeonwoo",
    "soyul",
    "eunwoo",
    "jia",
    "jungwoo",
    "yunseo",
    "seunghyun",
    "gaeun",
];
const EN_FIRST: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Daniel",
    "Karen",
    "Emma",
    "Olivia",
    "Noah",
    "Liam",
    "Ava",
    "Sophia",
    "Lucas",
    "Mia",
    "Ethan",
    "Chloe",
];
const EN_LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
];
const EN_WORDS: &[&str] = &[
    "quick", "report", "summary", "order", "update", "design", "review", "project", "weekly",
    "customer", "delivery", "service", "premium", "basic", "team", "market", "launch", "plan",
    "invoice", "status", "draft", "final", "mobile", "cloud", "secure", "daily", "monthly",
    "product", "support", "account",
];
const KO_WORDS: &[&str] = &[
    "주문",
    "배송",
    "고객",
    "서비스",
    "보고서",
    "요약",
    "업데이트",
    "프로젝트",
    "주간",
    "월간",
    "결제",
    "상품",
    "매장",
    "메뉴",
    "알림",
    "예약",
    "문의",
    "리뷰",
    "이벤트",
    "할인",
    "정산",
    "배정",
    "수거",
    "설치",
    "점검",
    "안내",
    "확인",
    "요청",
    "완료",
    "관리",
];
const KO_CITIES: &[&str] = &[
    "서울특별시",
    "부산광역시",
    "인천광역시",
    "대구광역시",
    "대전광역시",
    "광주광역시",
    "수원시",
    "성남시",
    "고양시",
    "용인시",
];
const KO_DISTRICTS: &[&str] = &[
    "강남구",
    "서초구",
    "송파구",
    "마포구",
    "종로구",
    "중구",
    "해운대구",
    "수성구",
    "유성구",
    "분당구",
];
const KO_STREETS: &[&str] = &[
    "테헤란로",
    "강남대로",
    "세종대로",
    "올림픽로",
    "해운대로",
    "중앙로",
    "판교역로",
    "월드컵로",
];
const EN_CITIES: &[&str] = &[
    "Springfield",
    "Riverside",
    "Franklin",
    "Greenville",
    "Bristol",
    "Clinton",
    "Fairview",
    "Salem",
    "Madison",
    "Georgetown",
];
const DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "example.net",
    "mail.example.com",
];

/// Realistic strings, Korean when the document is.
#[derive(Clone, Copy, Debug)]
pub struct Names {
    pub korean: bool,
}

fn pick<'a>(rng: &mut Rng, items: &'a [&'a str]) -> &'a str {
    rng.pick(items).copied().unwrap_or("")
}

impl Names {
    /// A person's full name.
    pub fn full_name(self, rng: &mut Rng) -> String {
        if self.korean {
            format!("{}{}", pick(rng, KO_SURNAMES), pick(rng, KO_GIVEN))
        } else {
            format!("{} {}", pick(rng, EN_FIRST), pick(rng, EN_LAST))
        }
    }

    pub fn first_name(self, rng: &mut Rng) -> String {
        if self.korean {
            pick(rng, KO_GIVEN)
        } else {
            pick(rng, EN_FIRST)
        }
        .to_string()
    }

    pub fn last_name(self, rng: &mut Rng) -> String {
        if self.korean {
            pick(rng, KO_SURNAMES)
        } else {
            pick(rng, EN_LAST)
        }
        .to_string()
    }

    /// `given.surname` in ASCII (for emails and user names).
    pub fn handle(self, rng: &mut Rng) -> String {
        if self.korean {
            format!(
                "{}.{}",
                pick(rng, KO_GIVEN_ROMAN),
                pick(rng, KO_SURNAMES_ROMAN)
            )
        } else {
            format!("{}.{}", pick(rng, EN_FIRST), pick(rng, EN_LAST)).to_lowercase()
        }
    }

    pub fn domain(self, rng: &mut Rng) -> &'static str {
        pick(rng, DOMAINS)
    }

    pub fn phone(self, rng: &mut Rng) -> String {
        if self.korean {
            format!("010-{:04}-{:04}", rng.below(10_000), rng.below(10_000))
        } else {
            format!("+1-555-{:03}-{:04}", rng.below(1000), rng.below(10_000))
        }
    }

    /// `n` words.
    pub fn words(self, rng: &mut Rng, n: usize) -> String {
        let list = if self.korean { KO_WORDS } else { EN_WORDS };
        (0..n)
            .map(|_| pick(rng, list))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A title-cased phrase of 2–4 words.
    pub fn title(self, rng: &mut Rng) -> String {
        let n = 2 + usize::try_from(rng.below(3)).unwrap_or(0);
        let w = self.words(rng, n);
        if self.korean {
            w
        } else {
            w.split(' ')
                .map(|x| {
                    let mut c = x.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(" ")
        }
    }

    /// A sentence of 6–14 words.
    pub fn sentence(self, rng: &mut Rng) -> String {
        let n = 6 + usize::try_from(rng.below(9)).unwrap_or(0);
        let mut s = self.words(rng, n);
        s.push('.');
        s
    }

    pub fn address(self, rng: &mut Rng) -> String {
        if self.korean {
            format!(
                "{} {} {} {}",
                pick(rng, KO_CITIES),
                pick(rng, KO_DISTRICTS),
                pick(rng, KO_STREETS),
                1 + rng.below(500)
            )
        } else {
            format!("{} Main St, {}", 1 + rng.below(9999), pick(rng, EN_CITIES))
        }
    }

    pub fn city(self, rng: &mut Rng) -> String {
        if self.korean {
            pick(rng, KO_CITIES)
        } else {
            pick(rng, EN_CITIES)
        }
        .to_string()
    }
}

/// Whether a document is Korean: Hangul makes up a noticeable share of its letters.
pub fn is_korean(text: &str) -> bool {
    let mut letters = 0usize;
    let mut hangul = 0usize;
    for c in text.chars() {
        if c.is_alphabetic() {
            letters += 1;
            if ('\u{AC00}'..='\u{D7A3}').contains(&c) {
                hangul += 1;
            }
        }
    }
    letters > 0 && hangul * 20 >= letters
}

/// `n` random lowercase hex digits.
pub fn hex(rng: &mut Rng, n: usize) -> String {
    let mut s = String::with_capacity(n + 16);
    while s.len() < n {
        s.push_str(&format!("{:016x}", rng.next_u64()));
    }
    s.truncate(n);
    s
}
