//! [`List`]: a list that costs nothing while empty, for what a decoded packet usually
//! lacks (diagnostics, a field tree).

use std::fmt;
use std::ops::{Deref, DerefMut};

/// A list of one word that allocates nothing while empty. Every packet of a capture is
/// decoded and dropped, twice for a summary, and almost all of them have no diagnostics
/// and no tree: dropping an empty `List` is one test, where a `Vec` of elements that own
/// memory costs a loop and the registers it needs. Reads go through the slice it derefs to.
// The box is the point: one word instead of a `Vec`'s three, allocated only when needed.
#[allow(clippy::box_collection)]
pub struct List<T>(Option<Box<Vec<T>>>);

impl<T> List<T> {
    /// An empty list.
    pub const fn new() -> Self {
        List(None)
    }

    /// Appends an element.
    pub fn push(&mut self, x: T) {
        self.as_mut_vec().push(x);
    }

    /// Moves every element of `other` to the end of the list.
    pub fn append(&mut self, other: &mut Vec<T>) {
        if !other.is_empty() {
            self.as_mut_vec().append(other);
        }
    }

    /// True when the list holds an allocation (possibly empty, after
    /// [`List::as_mut_vec`]).
    #[inline]
    pub fn is_allocated(&self) -> bool {
        self.0.is_some()
    }

    /// Removes every element.
    pub fn clear(&mut self) {
        self.0 = None;
    }

    /// The elements as a `Vec`, to change the list in any way a `Vec` can (allocates one
    /// while the list is empty).
    pub fn as_mut_vec(&mut self) -> &mut Vec<T> {
        self.0.get_or_insert_with(Box::default)
    }

    /// The elements as a `Vec`.
    pub fn into_vec(self) -> Vec<T> {
        self.0.map(|v| *v).unwrap_or_default()
    }
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List::new()
    }
}

impl<T> From<Vec<T>> for List<T> {
    fn from(v: Vec<T>) -> Self {
        List((!v.is_empty()).then(|| Box::new(v)))
    }
}

impl<T> FromIterator<T> for List<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Vec::from_iter(iter).into()
    }
}

impl<T> Extend<T> for List<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        let mut v: Vec<T> = iter.into_iter().collect();
        self.append(&mut v);
    }
}

impl<T> Deref for List<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

impl<T> DerefMut for List<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.0.as_deref_mut().map_or(&mut [], Vec::as_mut_slice)
    }
}

impl<T: Clone> Clone for List<T> {
    fn clone(&self) -> Self {
        List(self.0.clone())
    }
}

impl<T: fmt::Debug> fmt::Debug for List<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: PartialEq> PartialEq for List<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Eq> Eq for List<T> {}

impl<T: PartialEq> PartialEq<Vec<T>> for List<T> {
    fn eq(&self, other: &Vec<T>) -> bool {
        **self == **other
    }
}

impl<'l, T> IntoIterator for &'l List<T> {
    type Item = &'l T;
    type IntoIter = std::slice::Iter<'l, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T> IntoIterator for List<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_vec() {
        let mut l: List<String> = List::new();
        assert!(l.is_empty());
        assert_eq!(l, Vec::<String>::new());
        l.push("a".into());
        l.append(&mut vec!["b".into(), "c".into()]);
        l.extend(["d".to_string()]);
        assert_eq!(l.len(), 4);
        assert_eq!(l.first().map(String::as_str), Some("a"));
        l[1].push('!');
        assert_eq!(l.clone().into_vec(), ["a", "b!", "c", "d"]);
        assert_eq!(format!("{l:?}"), r#"["a", "b!", "c", "d"]"#);
        l.clear();
        assert!(l.is_empty());
        assert_eq!(List::from(Vec::<u8>::new()), List::new());
    }
}
