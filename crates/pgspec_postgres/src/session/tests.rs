use super::*;

#[test]
fn unique_names_are_valid_identifiers() {
    let a = unique_name("pgspec_check");
    let b = unique_name("pgspec_check");
    assert_ne!(a, b);
    assert!(a.starts_with("pgspec_check_"));
    assert!(a.len() <= 63);
    let odd = unique_name("9 Weird-Prefix!");
    assert!(odd.starts_with("pgspec9weirdprefix_"), "{odd}");
    assert!(unique_name(&"x".repeat(200)).len() <= 63);
}

#[test]
fn quoting() {
    assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    assert_eq!(quote_literal("it's"), "'it''s'");
}

#[test]
fn watchdog_fires_after_the_timeout() {
    assert_eq!(watchdog_after(Duration::ZERO), None);
    assert_eq!(
        watchdog_after(Duration::from_secs(15)),
        Some(Duration::from_secs(20))
    );
    assert_eq!(
        watchdog_after(Duration::from_secs(1)),
        Some(Duration::from_millis(1500))
    );
}
