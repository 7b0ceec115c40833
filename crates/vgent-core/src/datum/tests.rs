use super::*;

fn dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("vgent-datum-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn datum(id: &str, t: f64, parent: Option<&str>) -> Datum {
    Datum {
        id: id.into(),
        content: id.as_bytes().to_vec(),
        created_at: t,
        causal_parent: parent.map(Into::into),
        metadata: vec![("k".into(), format!("v-{id}")), ("ä".into(), "🔑".into())],
    }
}

fn ids(ds: &[&Datum]) -> Vec<String> {
    ds.iter().map(|d| d.id.clone()).collect()
}

#[test]
fn list_is_newest_first_with_literal_prefix_after_and_limit() {
    let mut s = DatumStore::memory();
    s.put_many(vec![datum("a:1", 10.0, None), datum("a:2", 30.0, None)])
        .unwrap();
    s.put_many(vec![datum("ab", 20.0, None), datum("a.*", 25.0, None)])
        .unwrap();
    s.put_many(vec![datum("a:3", 30.0, None)]).unwrap(); // same time as a:2, written later: newer
    assert_eq!(
        ids(&s.list("", None, 100)),
        ["a:3", "a:2", "a.*", "ab", "a:1"]
    );
    assert_eq!(ids(&s.list("a:", None, 100)), ["a:3", "a:2", "a:1"]);
    assert_eq!(ids(&s.list("a.", None, 100)), ["a.*"]); // literal, not a pattern
    assert_eq!(ids(&s.list("", Some(20.0), 100)), ["a:3", "a:2", "a.*"]);
    assert_eq!(ids(&s.list("a:", None, 2)), ["a:3", "a:2"]);
    // Re-putting moves a datum to its new time.
    s.put_many(vec![datum("a:1", 40.0, None)]).unwrap();
    assert_eq!(ids(&s.list("a:", None, 1)), ["a:1"]);
    assert_eq!(s.len(), 5);
}

#[test]
fn causal_chain_is_oldest_first_stops_at_missing_parents_and_survives_cycles() {
    let mut s = DatumStore::memory();
    s.put_many(vec![
        datum("root", 1.0, Some("gone")),
        datum("mid", 2.0, Some("root")),
        datum("leaf", 3.0, Some("mid")),
        datum("x", 4.0, Some("y")),
        datum("y", 5.0, Some("x")),
        datum("self", 6.0, Some("self")),
    ])
    .unwrap();
    assert_eq!(ids(&s.causal_chain("leaf")), ["root", "mid", "leaf"]);
    assert_eq!(ids(&s.causal_chain("x")), ["y", "x"]);
    assert_eq!(ids(&s.causal_chain("self")), ["self"]);
    assert!(s.causal_chain("nope").is_empty());
}

#[test]
fn a_file_store_survives_reopen_with_tombstones_and_re_adds() {
    let d = dir("reopen");
    {
        let mut s = DatumStore::open(&d, Durability::Fsync).unwrap();
        s.put_many(vec![
            datum("a", 1.0, None),
            datum("b", 2.0, Some("a")),
            datum("c", 3.0, None),
        ])
        .unwrap();
        assert!(s.delete("a").unwrap());
        assert!(!s.delete("a").unwrap());
        s.delete("c").unwrap();
        s.put_many(vec![datum("c", 4.0, None)]).unwrap(); // deleted then re-added
    }
    let s = DatumStore::open(&d, Durability::Fsync).unwrap();
    assert_eq!(s.len(), 2);
    assert!(s.get("a").is_none());
    assert_eq!(s.get("b").unwrap(), &datum("b", 2.0, Some("a")));
    assert_eq!(s.get("c").unwrap().created_at, 4.0);
    assert_eq!(ids(&s.list("", None, 10)), ["c", "b"]);
}

#[test]
fn read_only_opens_beside_a_writer_and_refuses_writes() {
    let d = dir("ro");
    let mut w = DatumStore::open(&d, Durability::None).unwrap();
    w.put_many(vec![datum("a", 1.0, None)]).unwrap();
    assert_eq!(
        DatumStore::open(&d, Durability::None).err().unwrap().code,
        ErrorCode::StoreLocked
    );
    let mut r = DatumStore::open_read_only(&d).unwrap();
    assert_eq!(r.get("a").unwrap().content, b"a");
    assert_eq!(
        r.put_many(vec![datum("b", 1.0, None)]).unwrap_err().code,
        ErrorCode::InvalidArgument
    );
    assert!(r.get("b").is_none());
}

#[test]
fn compaction_keeps_live_datums_and_their_order() {
    let d = dir("compact");
    {
        let mut s = DatumStore::open(&d, Durability::None).unwrap();
        for i in 0..100 {
            s.put_many(vec![datum(&format!("k{}", i % 7), 5.0, None)])
                .unwrap();
        }
        s.delete("k3").unwrap();
        let before = ids(&s.list("", None, 100));
        s.compact().unwrap();
        assert_eq!(ids(&s.list("", None, 100)), before);
        s.put_many(vec![datum("late", 1.0, None)]).unwrap();
    }
    let s = DatumStore::open(&d, Durability::None).unwrap();
    assert_eq!(s.len(), 7);
    assert_eq!(
        ids(&s.list("k", None, 100)),
        ["k1", "k0", "k6", "k5", "k4", "k2"]
    );
}

#[test]
fn bad_datums_are_refused_and_change_nothing() {
    let mut s = DatumStore::memory();
    let long = "x".repeat(MAX_ID_BYTES + 1);
    for bad in [
        datum("", 1.0, None),
        datum(&long, 1.0, None),
        datum("ok", f64::NAN, None),
        datum("ok", 1.0, Some("")),
    ] {
        assert!(s.put_many(vec![datum("fine", 1.0, None), bad]).is_err());
    }
    assert!(s.is_empty());
}

#[test]
fn a_vector_log_is_not_a_datum_store() {
    let d = dir("kind");
    drop(
        crate::persistent::PersistentCollection::open(
            &d,
            2,
            crate::Metric::Cosine,
            Durability::None,
        )
        .unwrap(),
    );
    assert_eq!(
        DatumStore::open(&d, Durability::None).err().unwrap().code,
        ErrorCode::StoreMismatch
    );
}
