//! The annotated field tree: what every output (pretty, table, JSON) is made from.
//!
//! The decoder builds it in the same pass as the typed packet, because only the decoder
//! knows where each field really was (non-minimal integers, fields before a fault).

use super::diag::Diagnostic;
use super::fields::FieldDef;
use super::types::MqttStr;
use std::borrow::Cow;

/// A field's typed value, borrowing the packet bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// A group: no value of its own.
    None,
    /// An unsigned integer.
    UInt(u64),
    /// A flag.
    Bool(bool),
    /// A UTF-8 string field (possibly invalid, see diagnostics).
    Str(MqttStr<'a>),
    /// Binary data.
    Bytes(&'a [u8]),
}

/// What a value means: a reason code's name and explanation, a QoS name, a flag's effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meaning {
    /// Short name (`Bad User Name or Password`, `At least once delivery`).
    pub name: Cow<'static, str>,
    /// A one-line explanation, when there is more to say.
    pub detail: Option<Cow<'static, str>>,
}

impl Meaning {
    /// A meaning with a name only.
    pub fn name(name: impl Into<Cow<'static, str>>) -> Meaning {
        Meaning {
            name: name.into(),
            detail: None,
        }
    }

    /// A meaning with a name and an explanation.
    pub fn with_detail(
        name: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
    ) -> Meaning {
        Meaning {
            name: name.into(),
            detail: Some(detail.into()),
        }
    }
}

/// One node of the field tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node<'a> {
    /// The registered field.
    pub field: &'static FieldDef,
    /// Offset of the first byte, relative to the start of the packet.
    pub offset: usize,
    /// Number of bytes.
    pub len: usize,
    /// For bit fields: the mask within the byte at `offset` (e.g. 0x80 for the User Name Flag).
    pub mask: Option<u8>,
    /// The typed value.
    pub value: Value<'a>,
    /// What the value means, where that can be said.
    pub meaning: Option<Meaning>,
    /// Nested fields.
    pub children: Vec<Node<'a>>,
    /// Indexes into the packet's diagnostics of the findings about this node.
    pub diagnostics: Vec<usize>,
}

impl<'a> Node<'a> {
    /// A leaf node.
    pub fn leaf(field: &'static FieldDef, offset: usize, len: usize, value: Value<'a>) -> Self {
        Node {
            field,
            offset,
            len,
            mask: None,
            value,
            meaning: None,
            children: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    /// Depth-first iterator over this node and all below it.
    pub fn walk(&self) -> impl Iterator<Item = &Node<'a>> {
        let mut stack = vec![self];
        std::iter::from_fn(move || {
            let n = stack.pop()?;
            stack.extend(n.children.iter().rev());
            Some(n)
        })
    }

    /// The first node (depth-first) with this field id.
    pub fn find(&self, id: &str) -> Option<&Node<'a>> {
        self.walk().find(|n| n.field.id == id)
    }
}

/// Finds the first node with this field id in a list of top-level nodes.
pub fn find<'t, 'a>(nodes: &'t [Node<'a>], id: &str) -> Option<&'t Node<'a>> {
    nodes.iter().find_map(|n| n.find(id))
}

/// Builds a tree while decoding: nodes are opened, filled and closed in byte order.
#[derive(Default)]
pub(crate) struct TreeBuilder<'a> {
    roots: Vec<Node<'a>>,
    open: Vec<Node<'a>>,
}

impl<'a> TreeBuilder<'a> {
    pub(crate) fn push(&mut self, node: Node<'a>) {
        match self.open.last_mut() {
            Some(parent) => parent.children.push(node),
            None => self.roots.push(node),
        }
    }

    pub(crate) fn open(&mut self, node: Node<'a>) {
        self.open.push(node);
    }

    /// Closes the innermost open node, which now ends at `end`.
    pub(crate) fn close(&mut self, end: usize) {
        if let Some(mut n) = self.open.pop() {
            n.len = end.saturating_sub(n.offset);
            self.push(n);
        }
    }

    /// The node most recently pushed at the current level (to add a meaning to it).
    pub(crate) fn last_mut(&mut self) -> Option<&mut Node<'a>> {
        match self.open.last_mut() {
            Some(parent) => parent.children.last_mut(),
            None => self.roots.last_mut(),
        }
    }

    /// The innermost open node.
    pub(crate) fn current_mut(&mut self) -> Option<&mut Node<'a>> {
        self.open.last_mut()
    }

    /// Closes whatever is still open (after a fault) and attaches diagnostics to nodes.
    pub(crate) fn finish(mut self, end: usize, diags: &[Diagnostic]) -> Vec<Node<'a>> {
        while !self.open.is_empty() {
            self.close(end);
        }
        let mut roots = self.roots;
        for (i, d) in diags.iter().enumerate() {
            attach(&mut roots, i, d);
        }
        roots
    }
}

/// Attaches diagnostic `i` to the deepest node that names its field and holds its offset,
/// else to the deepest node holding its offset, else to the last root.
fn attach(roots: &mut [Node<'_>], i: usize, d: &Diagnostic) {
    fn holds(n: &Node<'_>, d: &Diagnostic) -> bool {
        d.offset >= n.offset && d.offset < n.offset + n.len.max(1)
    }
    // Index path to the deepest node holding the offset (and naming the field, if asked).
    fn path(nodes: &[Node<'_>], d: &Diagnostic, by_field: bool, out: &mut Vec<usize>) -> bool {
        for (k, n) in nodes.iter().enumerate() {
            if !holds(n, d) {
                continue;
            }
            out.push(k);
            if path(&n.children, d, by_field, out) {
                return true;
            }
            if !by_field || d.field == Some(n.field.id) {
                return true;
            }
            out.pop();
        }
        false
    }
    let mut p = Vec::new();
    let found = (d.field.is_some() && path(roots, d, true, &mut p)) || {
        p.clear();
        path(roots, d, false, &mut p)
    };
    if !found {
        if let Some(n) = roots.last_mut() {
            n.diagnostics.push(i);
        }
        return;
    }
    let Some((&first, rest)) = p.split_first() else {
        return;
    };
    let Some(mut node) = roots.get_mut(first) else {
        return;
    };
    for &k in rest {
        match node.children.get_mut(k) {
            Some(child) => node = child,
            None => break,
        }
    }
    node.diagnostics.push(i);
}
