//! Kernel structs as declared field lists: one declaration gives the C
//! size (with C alignment), the encoder to the `XT_ALIGN`ed info blob and
//! the decoder back, so no extension writes a byte offset. Byte order lives
//! in the field type: `u16`/`u32`/`u64` are host order, [`Be16`]/[`Be32`]
//! network order, `[u8; N]` bytes.
//!
//! ```
//! rxtables::xt_struct! {
//!     /// `struct xt_mark_tginfo2`
//!     pub struct MarkTgInfo2 { pub mark: u32, pub mask: u32 }
//! }
//! const _: () = assert!(MarkTgInfo2::SIZE == 8);
//! let b = MarkTgInfo2 { mark: 1, mask: 0xff }.to_blob();
//! assert_eq!(MarkTgInfo2::from_blob(&b), Some(MarkTgInfo2 { mark: 1, mask: 0xff }));
//! ```

/// A field of a kernel struct: its C size and alignment, and its bytes.
pub trait Field: Sized {
    /// `sizeof`
    const SIZE: usize;
    /// `_Alignof`
    const ALIGN: usize;
    /// Appends the field's bytes.
    fn put(&self, out: &mut Vec<u8>);
    /// Reads the field from exactly [`Self::SIZE`] bytes.
    fn get(b: &[u8]) -> Self;
}

macro_rules! host_field {
    ($($t:ty),*) => {$(
        impl Field for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            const ALIGN: usize = std::mem::align_of::<$t>();
            fn put(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_ne_bytes());
            }
            fn get(b: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(&b[..Self::SIZE]);
                <$t>::from_ne_bytes(a)
            }
        }
    )*};
}
host_field!(u8, u16, u32, u64, i32);

/// A 16-bit value in network byte order (`__be16`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Be16(pub u16);
/// A 32-bit value in network byte order (`__be32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Be32(pub u32);

impl Field for Be16 {
    const SIZE: usize = 2;
    const ALIGN: usize = 2;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_be_bytes());
    }
    fn get(b: &[u8]) -> Self {
        Be16(u16::from_be_bytes([b[0], b[1]]))
    }
}

impl Field for Be32 {
    const SIZE: usize = 4;
    const ALIGN: usize = 4;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_be_bytes());
    }
    fn get(b: &[u8]) -> Self {
        Be32(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// `union nf_inet_addr`: 16 bytes (IPv4 in the first 4) aligned as `u32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Inet(pub [u8; 16]);

impl Field for Inet {
    const SIZE: usize = 16;
    const ALIGN: usize = 4;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
    fn get(b: &[u8]) -> Self {
        let mut a = [0u8; 16];
        a.copy_from_slice(&b[..16]);
        Inet(a)
    }
}

impl<const N: usize> Field for [u8; N] {
    const SIZE: usize = N;
    const ALIGN: usize = 1;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
    fn get(b: &[u8]) -> Self {
        let mut a = [0u8; N];
        a.copy_from_slice(&b[..N]);
        a
    }
}

/// `x` rounded up to a multiple of `a`.
pub const fn align_up(x: usize, a: usize) -> usize {
    x.div_ceil(a) * a
}

/// The C size of a struct of fields `(size, align)`, in order.
pub const fn c_size(fields: &[(usize, usize)]) -> usize {
    let mut off = 0;
    let mut max_align = 1;
    let mut i = 0;
    while i < fields.len() {
        let (size, align) = fields[i];
        off = align_up(off, align) + size;
        if align > max_align {
            max_align = align;
        }
        i += 1;
    }
    align_up(off, max_align)
}

/// Declares a kernel struct as a field list: the struct itself, `SIZE`
/// (its C `sizeof`), `to_blob` (the `XT_ALIGN`ed info blob, padding zero)
/// and `from_blob` (`None` when the blob is shorter than `SIZE`).
#[macro_export]
macro_rules! xt_struct {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $f:ident : $t:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name { $($(#[$fm])* #[allow(missing_docs)] pub $f: $t),* }

        impl $name {
            const FIELDS: &'static [(usize, usize)] = &[
                $((<$t as $crate::ext::blob::Field>::SIZE, <$t as $crate::ext::blob::Field>::ALIGN)),*
            ];
            /// The C `sizeof` of the struct.
            pub const SIZE: usize = $crate::ext::blob::c_size(Self::FIELDS);

            /// The info blob: the fields at their C offsets, zero padding,
            /// `XT_ALIGN`ed.
            pub fn to_blob(self) -> Vec<u8> {
                use $crate::ext::blob::Field;
                let mut out = Vec::with_capacity($crate::ext::xt_align(Self::SIZE));
                $(
                    out.resize($crate::ext::blob::align_up(out.len(), <$t as Field>::ALIGN), 0);
                    self.$f.put(&mut out);
                )*
                out.resize($crate::ext::xt_align(Self::SIZE), 0);
                out
            }

            /// The struct from an info blob.
            pub fn from_blob(b: &[u8]) -> Option<Self> {
                use $crate::ext::blob::Field;
                if b.len() < Self::SIZE {
                    return None;
                }
                let mut off = 0;
                $(
                    off = $crate::ext::blob::align_up(off, <$t as Field>::ALIGN);
                    let $f = <$t as Field>::get(&b[off..off + <$t as Field>::SIZE]);
                    off += <$t as Field>::SIZE;
                )*
                let _ = off;
                Some($name { $($f),* })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::xt_struct! {
        /// a struct with padding: u8, then u32 at offset 4, then u8, size 12
        pub struct Padded { pub a: u8, pub b: u32, pub c: u8 }
    }
    crate::xt_struct! {
        /// network-order fields
        pub struct Net { pub port: Be16, pub addr: Be32, pub name: [u8; 3] }
    }
    const _: () = assert!(Padded::SIZE == 12);
    const _: () = assert!(Net::SIZE == 12);

    #[test]
    fn c_layout_and_round_trip() {
        let p = Padded {
            a: 1,
            b: 0x0403_0201,
            c: 9,
        };
        let b = p.to_blob();
        assert_eq!(b.len(), 16); // XT_ALIGN(12)
        assert_eq!(&b[..9], &[1, 0, 0, 0, 1, 2, 3, 4, 9]);
        assert!(b[9..].iter().all(|x| *x == 0));
        assert_eq!(Padded::from_blob(&b), Some(p));
        assert_eq!(Padded::from_blob(&b[..11]), None);
    }

    #[test]
    fn network_order() {
        let n = Net {
            port: Be16(80),
            addr: Be32(0x0a00_0001),
            name: *b"abc",
        };
        let b = n.to_blob();
        assert_eq!(&b[..11], &[0, 80, 0, 0, 10, 0, 0, 1, b'a', b'b', b'c']);
        assert_eq!(Net::from_blob(&b), Some(n));
    }
}
