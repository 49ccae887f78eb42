//! Topic Name and Topic Filter rules (§4.7, §4.8.2).

use super::diag::{self, Check};

/// A finding about a topic name or filter: the check, the byte offset within the string,
/// the length, and a message.
pub type TopicIssue = (&'static Check, usize, usize, String);

/// Checks a Topic Name (PUBLISH, Will Topic): no wildcards. Emptiness is the caller's
/// business, because a v5 Topic Alias makes an empty name legal.
pub fn check_name(name: &[u8]) -> Vec<TopicIssue> {
    let mut out = Vec::new();
    if let Some(i) = name.iter().position(|&b| b == b'+' || b == b'#') {
        out.push((
            &diag::TOPIC_WILDCARD,
            i,
            1,
            format!(
                "Topic Name contains wildcard '{}' at position {i}; wildcards are only for \
                 subscriptions",
                name[i] as char
            ),
        ));
    }
    out
}

/// Checks a Topic Filter (SUBSCRIBE, UNSUBSCRIBE): non-empty, `#` last and alone in its
/// level, `+` alone in its level, and for v5 the shared-subscription form.
pub fn check_filter(filter: &[u8], v5: bool) -> Vec<TopicIssue> {
    let mut out = Vec::new();
    if filter.is_empty() {
        out.push((
            &diag::FILTER_EMPTY,
            0,
            0,
            "Topic Filter is empty; it must have at least one character".to_string(),
        ));
        return out;
    }
    let mut body = filter;
    let mut base = 0;
    if v5 {
        if let Some(rest) = filter.strip_prefix(b"$share/") {
            let name_len = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
            let name = &rest[..name_len];
            if name.is_empty() || name.iter().any(|&b| b == b'+' || b == b'#') {
                out.push((
                    &diag::SHARED_NAME_INVALID,
                    7,
                    name_len,
                    "Shared subscription ShareName must be at least one character and contain \
                     no '/', '+' or '#'"
                        .to_string(),
                ));
            }
            if name_len + 1 >= rest.len() {
                out.push((
                    &diag::SHARED_FILTER_MISSING,
                    0,
                    filter.len(),
                    "Shared subscription needs a topic filter after $share/{ShareName}/"
                        .to_string(),
                ));
                return out;
            }
            base = 7 + name_len + 1;
            body = &rest[name_len + 1..];
        }
    }
    let mut level_start = 0;
    for (i, &b) in body.iter().enumerate() {
        let level_end = body[i..]
            .iter()
            .position(|&c| c == b'/')
            .map_or(body.len(), |p| i + p);
        if b == b'/' {
            level_start = i + 1;
            continue;
        }
        let alone = level_start == i && level_end == i + 1;
        if b == b'#' && (!alone || level_end != body.len()) {
            out.push((
                &diag::FILTER_HASH_NOT_LAST,
                base + i,
                1,
                format!(
                    "'#' at position {} must be the last character and alone in its level",
                    base + i
                ),
            ));
        }
        if b == b'+' && !alone {
            out.push((
                &diag::FILTER_PLUS_NOT_ALONE,
                base + i,
                1,
                format!("'+' at position {} must occupy a whole level", base + i),
            ));
        }
    }
    out
}

/// True when `filter` matches `topic` under MQTT wildcard rules (for `--topic` filters).
pub fn matches(filter: &str, topic: &str) -> bool {
    let filter = filter
        .strip_prefix("$share/")
        .and_then(|r| r.split_once('/').map(|(_, f)| f))
        .unwrap_or(filter);
    // Wildcards at the first level do not match topics starting with '$' (§4.7.2).
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: Vec<TopicIssue>) -> Vec<(&'static str, usize)> {
        v.into_iter().map(|(c, o, _, _)| (c.id, o)).collect()
    }

    #[test]
    fn filters() {
        assert!(check_filter(b"a/+/b/#", true).is_empty());
        assert!(check_filter(b"#", true).is_empty());
        assert!(check_filter(b"+", true).is_empty());
        assert!(check_filter(b"/", true).is_empty());
        assert_eq!(
            ids(check_filter(b"a/#/b", true)),
            [("filter-hash-misplaced", 2)]
        );
        assert_eq!(
            ids(check_filter(b"a#", true)),
            [("filter-hash-misplaced", 1)]
        );
        assert_eq!(
            ids(check_filter(b"a/b+", true)),
            [("filter-plus-misplaced", 3)]
        );
        assert_eq!(ids(check_filter(b"", true)), [("filter-empty", 0)]);
        assert!(check_filter(b"$share/g/a/#", true).is_empty());
        assert_eq!(
            ids(check_filter(b"$share//a", true)),
            [("shared-name-invalid", 7)]
        );
        assert_eq!(
            ids(check_filter(b"$share/g", true)),
            [("shared-filter-missing", 0)]
        );
        assert_eq!(
            ids(check_filter(b"$share/g/a#", true)),
            [("filter-hash-misplaced", 10)]
        );
        // 3.1.1 has no shared subscriptions: "$share/g" is an ordinary filter there.
        assert!(check_filter(b"$share/g", false).is_empty());
    }

    #[test]
    fn names() {
        assert!(check_name(b"a/b").is_empty());
        assert_eq!(ids(check_name(b"a/+")), [("topic-wildcard", 2)]);
    }

    #[test]
    fn matching() {
        assert!(matches("a/+/c", "a/b/c"));
        assert!(matches("a/#", "a"));
        assert!(matches("a/#", "a/b/c"));
        assert!(!matches("a/+", "a/b/c"));
        assert!(!matches("#", "$SYS/x"));
        assert!(matches("$share/g/a/#", "a/b"));
    }
}
