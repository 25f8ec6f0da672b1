//! A small built-in lexicon for guessing characters whose bytes were lost in mis-decoding.
//!
//! When UTF-8 text is mis-decoded as windows-1252, the bytes the codec does not define are
//! dropped; a Korean syllable such as `입` (`EC 9E 85`) keeps only two of its three bytes and
//! could have been any of a dozen syllables. The candidates are ranked here: a syllable that forms
//! a known word with its neighbour wins, otherwise the more frequent syllable. The data is
//! general-purpose (frequent syllables and common words of database design documents), not
//! derived from any particular document.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Symbols and emoji whose UTF-8 contains a byte that mis-decoding loses, most likely first.
const SYMBOLS: &str = concat!(
    "\u{FE0F}\u{201D}\u{200D}\u{2190}\u{21D0}\u{2510}\u{2550}\u{255D}\u{251D}\u{25CF}",
    "\u{274C}\u{2757}\u{2753}\u{2764}\u{2B50}\u{23F0}\u{23F1}\u{23F3}\u{23E9}\u{27A1}\u{2795}\u{270D}",
    "🔐🔍🎯📝📁🏗🐘👍🎉🏷🏢🏠🏪🏆🎨🔎📍📎📐📏🔁🌐🌍🏁🎁🎓🎫🎮🏃🔝🔏📞🙏😎😍🚭💭👎👏🤝",
    "🍀🍕🍔🍎🐛🐳🐍🐞🗝🚍🚏🚐🛍🛎🛏🙁",
);

/// The most frequent Hangul syllables, most frequent first.
const TOP_SYLLABLES: &str = concat!(
    "이다는의에하고을가지로서기한사도리대어자및일수정인시아적나들부주전제있보그것라여",
    "게해상성과은생를장신연면만비구우무공원동소내문위오마경중요세니민학년화실물발유관",
    "저방재계개회국했음분거터없알말선단안되될된금식모치미당통교히입업영산데트스용행간",
    "결명조합형권력체품작처차반출별속표호현점진심법목준설질활특운색순록확변초번창감온",
    "날크득험택받례필근역향예",
);

/// Common Korean words (general and database/software vocabulary), space-separated: the source
/// of syllable pairs and of the frequency order after [`TOP_SYLLABLES`].
const WORDS: &str = concat!(
    "은 는 이 가 을 를 의 에 에서 로 으로 와 과 도 만 까지 부터 보다 처럼 하고 이나 나 라고 이다 입니다 합니다 됩니다 있습니다 없습니다 ",
    "했습니다 하는 하여 해서 하면 되는 되어 된 될 및 등 또는 그리고 하지만 따라서 그러나 그래서 경우 위해 위한 통해 대한 대해 같은 다른 모든 ",
    "각 해당 관련 기반 기준 이상 이하 이후 이전 이내 미만 초과 단위 시 때 중 후 전 간 내 외 것 수 있는 없는 있다 없다 한다 된다 하다 ",
    "되다 있음 없음 않음 않는 않고 않은 아닌 아니라 여러 모두 항상 반드시 자주 가장 매우 너무 더 덜 다시 함께 먼저 나중 바로 직접 간접 일부 ",
    "전체 전부 대부분 최소한 최대한 만약 만일 또한 즉 예를 들어 예컨대 예: 참고로 주의 사항 필요 필요한 필요시 가능 가능한 불가능 허용 금지 ",
    "권장 비권장 추천 선택적 선택 기본 기본값 초기값 설정 구성 환경 개발 운영 테스트 배포 스테이징 프로덕션 데이터베이스 데이터 테이블 컬럼 칼럼 ",
    "열 행 레코드 필드 인덱스 색인 키 기본키 외래키 대체키 복합키 참조 무결성 제약 제약조건 조건 유니크 고유 중복 방지 파티션 파티셔닝 분할 ",
    "월별 일별 연도별 주별 시간별 스키마 설계 구조 개요 원칙 전략 핵심 철학 정규화 비정규화 트리거 함수 프로시저 뷰 구체화 머티리얼라이즈드 ",
    "시퀀스 타입 자료형 문자열 문자 숫자 정수 실수 소수 날짜 시간 타임스탬프 불리언 배열 객체 제이슨 생성 수정 삭제 조회 검색 입력 출력 저장 ",
    "갱신 업데이트 추가 변경 이력 기록 로그 감사 보안 암호화 복호화 해시 인증 인가 권한 역할 사용자 관리자 운영자 회원 고객 판매자 구매자 주문 ",
    "결제 상품 제품 재고 배송 장바구니 쿠폰 할인 가격 금액 수량 합계 총액 포인트 적립 등급 카테고리 분류 옵션 리뷰 평점 댓글 게시글 게시판 ",
    "알림 메시지 이메일 전화번호 휴대폰 주소 이름 성명 닉네임 비밀번호 계정 로그인 로그아웃 세션 토큰 만료 활성 비활성 활성화 비활성화 상태 여부 ",
    "필수 자동 증가 일련번호 번호 코드 식별자 아이디 성능 최적화 쿼리 실행 계획 통계 분석 집계 매출 보고서 리포트 대시보드 모니터링 백업 복구 ",
    "복제 확장 확장성 동시성 트랜잭션 잠금 격리 수준 일관성 가용성 정책 규칙 검증 유효성 예외 오류 에러 처리 완료 실패 성공 취소 환불 대기 ",
    "진행 진행중 승인 거절 반려 요청 응답 서비스 서버 클라이언트 애플리케이션 시스템 플랫폼 마이크로서비스 전환 대비 점진적 우선 우선순위 완전 ",
    "완전한 중요 중요한 변경사항 불변 추적 마스터 회전 프로세스 주기 주기적 정기 정기적 매월 매일 매주 매년 스케줄 작업 배치 이벤트 큐 외부 ",
    "내부 연동 동기화 비동기 웹훅 호출 제한 속도 처리량 지연 응답시간 용량 스토리지 절감 감소 저장소 파일 이미지 첨부 메타데이터 태그 검색어 ",
    "전문검색 형태소 한국어 영어 다국어 언어 지역 국가 통화 환율 시간대 생성일 수정일 삭제일 생성일시 수정일시 등록일 가입일 탈퇴 가입 마지막 ",
    "최근 최초 최대 최소 평균 개수 건수 비율 퍼센트 예시 예제 참고 설명 목적 용도 정의 명세 요구사항 기능 비기능 구현 적용 도입 사용 이용 ",
    "지원 제공 포함 제외 연결 분리 통합 공통 개인정보 민감 민감정보 마스킹 접근 제어 행수준 테넌트 다중 조직 팀 프로젝트 부서 직원 급여 일정 ",
    "예약 좌석 객실 숙소 병원 환자 진료 학생 강의 수강 성적 도서 대출 반납 차량 위치 좌표 거리 지도 매장 점포 판매 구매 공급 공급자 업체 ",
    "거래처 송장 세금 계산서 영수증 청구 구독 요금 플랜 결제수단 카드 계좌 은행 송금 입금 출금 잔액 거래 내역 정산 수수료 배송지 수령인 ",
    "우편번호 상세 상세정보 정보 목록 리스트 항목 요약 결과 대상 범위 기간 시작 종료 시작일 종료일 마감 마감일 유효기간 만료일 발급 발행 재발급 ",
    "토큰값 비밀키 공개키 암호 평문 암호문 키관리 데이터키 봉투 봉투암호화 엔벨로프 해시값 솔트 난수 무작위 랜덤 고정 가변 길이 크기 바이트 ",
    "문자셋 인코딩 정렬 순서 순번 오름차순 내림차순 그룹 그룹화 조인 결합 병합 집합 교집합 합집합 차집합 하위 상위 부모 자식 계층 트리 경로 ",
    "노드 관계 일대일 일대다 다대다 연관 매핑 중간 중간테이블 다형성 상속 확장자 버전 버전관리 마이그레이션 롤백 적용일 반영 스냅샷 아카이브 ",
    "아카이빙 보관 보존 영구 임시 캐시 캐싱 메모리 디스크 읽기 쓰기 조회용 전용 읽기전용 쓰기전용 복제본 샤딩 샤드 클러스터 가상 물리 논리 ",
    "논리적 물리적 이벤트소싱 감사로그 접근로그 변경로그 로그인이력 실패횟수 잠금해제 시도 횟수 제한횟수 임계값 경고 위험 심각 치명 정상 비정상 ",
    "징후 탐지 차단 허용목록 차단목록 블랙리스트 화이트리스트 아이피 주소록 연락처 프로필 사진 설정값 환경설정 알림설정 수신 발신 수신동의 동의 ",
    "약관 개인정보처리 동의여부 마케팅 광고 캠페인 프로모션 이벤트참여 참여 응모 당첨 추첨 배너 노출 클릭 조회수 방문 방문자 세션수 전환율 이탈률 ",
    "분석용 지표 측정 측정값 센서 장비 기기 디바이스 모바일 웹 앱 브라우저 운영체제 위치정보 배달 라이더 기사 매칭 픽업 도착 출발 경유 예상 ",
    "실제 소요 소요시간 지연시간 대기시간 도착시간 화폐 원화 달러 세율 부가세 공급가 합산 차감 잔여 누적 월간 연간 일간 주간 분기 분기별 반기 ",
    "회계 장부 분개 차변 대변 계정과목 원장 전표 결재 결재선 기안 품의 문서 문서번호 첨부파일 버전번호 승인자 작성자 수정자 삭제자 담당자 책임자 ",
    "소유자 생성자 등록자 관리번호 고유번호 사업자 사업자등록번호 법인 개인 대표자 상호 업종 업태 매출액 매입 매입처 재고량 안전재고 입고 출고 ",
    "이동 창고 로케이션 바코드 시리얼 제조 제조사 유통기한 원산지 규격 단가 단위가격 할인율 할인금액 쿠폰번호 사용여부 사용일 사용처 발급일 ",
    "잔여수량 최소주문 최대주문 주문번호 주문상태 결제상태 배송상태 결제금액 결제일 결제방법 결제수단별 환불금액 환불사유 취소사유 반품 교환 반품사유 ",
    "교환사유 문의 답변 문의유형 고객센터 상담 상담원 티켓 이슈 우선도 상태값 코드값 공통코드 코드그룹 다음 현재 과거 미래 오늘 어제 내일 이번 ",
    "지난 올해 작년 내년 초 분 시각 일시 날짜별 타임존 협정 세계시 기존 신규 새로운 새 원본 사본 복사 교체 대체 재사용 재시도 재처리 재계산 ",
    "재생성 재구축 재인덱싱 인덱싱 부분 부분인덱스 표현식 표현식인덱스 복합 복합인덱스 커버링 포함열 필터 필터링 조건부 술어 선택도 카디널리티 분포 ",
    "히스토그램 통계정보 비용 추정 실행계획 병렬 병렬처리 순차 순차스캔 인덱스스캔 비트맵 해시조인 중첩루프 정렬병합 진공 청소 팽창 단편화 재구성 ",
    "유지보수 점검 진단 문제 해결 해결책 방안 대안 개선 개선안 권장사항 모범사례 주의사항 제약사항 한계 단점 장점 이점 특징 특성 차이 비교 ",
    "분석결과 결론 정리 요약본 부록 목차 개정 개정이력 작성일 검토 검토자 승인일 배포일 담당 영역 도메인 모듈 컴포넌트 계층형 레이어 인터페이스 ",
    "엔드포인트 경로명 메서드 파라미터 매개변수 반환 반환값 인자 변수 상수 열거형 열거 구조체 클래스 인스턴스 모델 엔티티 속성 관계형 문서형 키값 ",
    "그래프 시계열 공간 공간정보 지리 지리정보 전문 텍스트 본문 제목 내용 요약문 키워드 해시태그 좋아요 싫어요 팔로우 팔로워 구독자 채널 방송 ",
    "영상 동영상 음악 재생 재생목록 앨범 아티스트 곡 장르 작가 출판사 저자 번역 원문 번역문 언어코드 국가코드 통화코드 단위코드 상태코드 오류코드 ",
    "응답코드 결과코드 메시지코드 타입코드 구분 구분값 구분코드 유형 종류 형태 방식 방법 수단 채널별 유형별 종류별 상태별 사용자별 회원별 상품별 ",
    "주문별 카테고리별 지역별 기간별 날짜별집계 월별집계 일별집계 집계테이블 요약테이블 통계테이블 이력테이블 로그테이블 감사테이블 매핑테이블 ",
    "코드테이블 마스터테이블 트랜잭션테이블 기준정보 기초 기초데이터 초기데이터 샘플 샘플데이터 더미 테스트데이터 시드 시드데이터 삽입 대량 대량삽입 ",
    "일괄 일괄처리 실시간 준실시간 지연처리 비동기처리 동기처리 스트림 스트리밍 파이프라인 적재 추출 변환 웨어하우스 데이터웨어하우스 레이크 마트 ",
    "큐브 차원 팩트 측정치 기간별집계 누적합 이동평균 순위 순위별 상위권 하위권 랭킹 점수 가중치 추천시스템 유사도 벡터 임베딩 검색엔진 색인어 ",
    "토큰화 형태소분석 사전 불용어 동의어 유의어 오타 교정 자동완성 제안 인기 인기검색어 최신 최신순 인기순 정확도순 가격순 거리순 평점순 리뷰순 ",
    "판매순 등록순 익명 느린 느림 영향 영향받는 크론잡 크론 잡 충돌 정렬됨 됨 대형 소형 폐기 폐가전 가전 의뢰 의뢰취소 의견 의존 의존성 의미 ",
    "의무 결제완료 배정 미배정 부재 인수 회수 연기 확정 고객정보 고객명 고객번호 재암호화 자신 자신의 사장님 사장 점장 매장정보 사업자정보 전략적 ",
    "메트릭 타입별 생성됨 삭제됨 수정됨 변경됨 처리됨 완료됨 취소됨 만료됨 적용됨 포함됨 사용됨 저장됨 기록됨 설정됨 활성화됨 비활성화됨 잠김 열림 ",
    "닫힘 보류 보류중 확인 확인중 확인사항 항목별 방향 향상 상향 하향 적합 적절 적절한 적당 적은 적게 많은 많이 많음 주문자 주문일 주문일시 ",
    "주문내역 주문서 일일 일일판매량 판매량 판매액 히트율 히트 적중률 캐시히트 분포도 배포전 체크리스트 점검항목 단계 다음단계 이전단계 예정 예정일 ",
    "완료일 결과값 기대값 기댓값 실제값 효과 효과분석 ",
);

/// Ranks and syllable pairs, built once from the data above.
pub(crate) struct Lexicon {
    rank: HashMap<char, u32>,
    pairs: HashSet<(char, char)>,
}

impl Lexicon {
    fn build() -> Self {
        let mut rank = HashMap::new();
        let mut next = 0u32;
        let mut add = |c: char, rank: &mut HashMap<char, u32>| {
            rank.entry(c).or_insert_with(|| {
                next += 1;
                next - 1
            });
        };
        for c in SYMBOLS.chars().chain(TOP_SYLLABLES.chars()) {
            add(c, &mut rank);
        }
        // The remaining syllables follow in order of how many words use them.
        let mut counts: HashMap<char, (usize, usize)> = HashMap::new();
        let mut pairs = HashSet::new();
        for (position, word) in WORDS.split_whitespace().enumerate() {
            let chars: Vec<char> = word.chars().collect();
            for &c in &chars {
                counts.entry(c).or_insert((0, position)).0 += 1;
            }
            for pair in chars.windows(2) {
                pairs.insert((pair[0], pair[1]));
            }
        }
        let mut rest: Vec<(char, (usize, usize))> = counts.into_iter().collect();
        rest.sort_by(|a, b| {
            b.1 .0
                .cmp(&a.1 .0)
                .then(a.1 .1.cmp(&b.1 .1))
                .then(a.0.cmp(&b.0))
        });
        for (c, _) in rest {
            add(c, &mut rank);
        }
        Self { rank, pairs }
    }

    /// Frequency rank of `c` (0 = most likely), if the lexicon knows it.
    pub(crate) fn rank(&self, c: char) -> Option<u32> {
        self.rank.get(&c).copied()
    }

    /// Whether `a` followed by `b` occurs in a known word.
    pub(crate) fn is_pair(&self, a: char, b: char) -> bool {
        self.pairs.contains(&(a, b))
    }

    /// Number of ranked characters.
    pub(crate) fn len(&self) -> usize {
        self.rank.len()
    }
}

/// The lexicon, built on first use (only documents with lost bytes need it).
pub(crate) fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(Lexicon::build)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequent_syllables_rank_first_and_words_give_pairs() {
        let lex = lexicon();
        assert_eq!(lex.rank('\u{FE0F}'), Some(0));
        assert!(lex.rank('이') < lex.rank('쁅').or(Some(u32::MAX)));
        assert!(lex.is_pair('생', '성'));
        assert!(!lex.is_pair('성', '생'));
    }
}
