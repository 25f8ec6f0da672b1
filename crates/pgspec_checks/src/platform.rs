//! Platform layers: what a hosted platform provides that plain PostgreSQL lacks (Supabase's
//! `auth`, `storage`, `net`, roles), installed before the document runs when the document uses
//! it and does not define it. `check` and `up` install the same layer.

pub mod supabase;
