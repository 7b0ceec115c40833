use super::*;
use crate::error::ErrorCode;
use std::io::Write;
use std::path::PathBuf;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vgent-log-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn put(k: &str, v: &[u8]) -> Op {
    Op::Put {
        key: k.into(),
        value: v.to_vec(),
    }
}

/// Replays the log into a list of (key, value-or-deleted) in order.
type Entries = Vec<(String, Option<Vec<u8>>)>;

fn contents(dir: &std::path::Path) -> Result<Entries, crate::VgentError> {
    let mut out = Vec::new();
    read_only(dir, StoreKind::Datum, |ops| {
        for op in ops {
            match op {
                OpRef::Put { key, value } => out.push((key.to_string(), Some(value.to_vec()))),
                OpRef::Delete { key } => out.push((key.to_string(), None)),
                OpRef::Info { .. } | OpRef::Rows { .. } => {}
            }
        }
        Ok(())
    })?;
    Ok(out)
}

fn write_some(dir: &std::path::Path) {
    let (w, _) = open_writer(dir, StoreKind::Datum, Durability::Fsync, |_| Ok(())).unwrap();
    let s = w.append(&[put("a", b"1"), put("b", b"2")]).unwrap();
    w.sync(s).unwrap();
    let s = w.append(&[Op::Delete { key: "a".into() }]).unwrap();
    w.sync(s).unwrap();
}

#[test]
fn appends_survive_reopen_in_order() {
    let dir = temp_dir("reopen");
    write_some(&dir);
    let got = contents(&dir).unwrap();
    assert_eq!(
        got,
        vec![
            ("a".into(), Some(b"1".to_vec())),
            ("b".into(), Some(b"2".to_vec())),
            ("a".into(), None)
        ]
    );
}

#[test]
fn a_torn_tail_is_cut_and_everything_before_it_kept() {
    let dir = temp_dir("torn");
    write_some(&dir);
    let path = dir.join("data.log");
    let good_len = std::fs::metadata(&path).unwrap().len();
    // A stray byte, then half a record: both are what a crash mid-append leaves.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(&[7, 0, 0, 0, 1])
        .unwrap();
    let (w, report) = open_writer(&dir, StoreKind::Datum, Durability::Fsync, |_| Ok(())).unwrap();
    assert_eq!(report.records, 2);
    assert_eq!(report.torn_bytes, 5);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), good_len);
    // Appends continue where the verified log ended.
    let s = w.append(&[put("c", b"3")]).unwrap();
    w.sync(s).unwrap();
    drop(w);
    assert_eq!(contents(&dir).unwrap().len(), 4);
}

#[test]
fn a_zero_filled_tail_is_torn_not_corrupt() {
    let dir = temp_dir("zeros");
    write_some(&dir);
    std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("data.log"))
        .unwrap()
        .write_all(&[0u8; 4096])
        .unwrap();
    assert_eq!(contents(&dir).unwrap().len(), 3);
}

#[test]
fn a_flipped_byte_in_the_middle_is_corruption_and_repair_salvages() {
    let dir = temp_dir("flip");
    write_some(&dir);
    let path = dir.join("data.log");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[format::HEADER_LEN + format::FRAME_LEN + 2] ^= 0x10; // inside the first record's payload
    std::fs::write(&path, &bytes).unwrap();
    let e = contents(&dir).unwrap_err();
    assert_eq!(e.code, ErrorCode::StoreCorrupt);
    assert!(e.message.contains("offset 16"), "{}", e.message);
    let e = open_writer(&dir, StoreKind::Datum, Durability::Fsync, |_| Ok(()))
        .err()
        .unwrap();
    assert_eq!(e.code, ErrorCode::StoreCorrupt);
    let report = repair(&dir).unwrap();
    assert_eq!(report.kept_records, 1);
    assert_eq!(report.dropped_regions, 1);
    assert_eq!(contents(&dir).unwrap(), vec![("a".into(), None)]);
    assert!(dir.join("data.log.corrupt").exists());
}

#[test]
fn one_writer_at_a_time_but_readers_are_welcome() {
    let dir = temp_dir("lock");
    let (w, _) = open_writer(&dir, StoreKind::Datum, Durability::None, |_| Ok(())).unwrap();
    let e = open_writer(&dir, StoreKind::Datum, Durability::None, |_| Ok(()))
        .err()
        .unwrap();
    assert_eq!(e.code, ErrorCode::StoreLocked);
    w.append(&[put("k", b"v")]).unwrap();
    assert_eq!(contents(&dir).unwrap().len(), 1);
    drop(w);
    assert!(open_writer(&dir, StoreKind::Datum, Durability::None, |_| Ok(())).is_ok());
}

#[test]
fn compaction_keeps_only_live_records_and_stays_appendable() {
    let dir = temp_dir("compact");
    let (w, _) = open_writer(&dir, StoreKind::Datum, Durability::Fsync, |_| Ok(())).unwrap();
    for i in 0..100 {
        w.append(&[put("same", format!("{i}").as_bytes())]).unwrap();
    }
    let before = std::fs::metadata(dir.join("data.log")).unwrap().len();
    w.compact(StoreKind::Datum, std::iter::once(put("same", b"99")))
        .unwrap();
    let s = w.append(&[put("after", b"x")]).unwrap();
    w.sync(s).unwrap();
    drop(w);
    assert!(std::fs::metadata(dir.join("data.log")).unwrap().len() < before);
    assert_eq!(
        contents(&dir).unwrap(),
        vec![
            ("same".into(), Some(b"99".to_vec())),
            ("after".into(), Some(b"x".to_vec()))
        ]
    );
}

#[test]
fn the_wrong_kind_of_store_is_refused() {
    let dir = temp_dir("kind");
    write_some(&dir);
    let e = read_only(&dir, StoreKind::Vector, |_| Ok(())).unwrap_err();
    assert_eq!(e.code, ErrorCode::StoreMismatch);
}

#[test]
fn records_that_straddle_the_read_window_replay_intact() {
    let dir = temp_dir("window");
    let (w, _) = open_writer(&dir, StoreKind::Datum, Durability::None, |_| Ok(())).unwrap();
    // Sizes chosen to cross the 8 MiB window at odd offsets, including one record bigger than it.
    let sizes = [3_000_001usize, 5_000_003, 9_500_000, 17, 4_000_000, 1];
    for (i, n) in sizes.iter().enumerate() {
        let v: Vec<u8> = (0..*n).map(|j| (i * 31 + j) as u8).collect();
        w.append(&[put(&format!("k{i}"), &v)]).unwrap();
    }
    drop(w);
    let got = contents(&dir).unwrap();
    assert_eq!(got.len(), sizes.len());
    for (i, (k, v)) in got.iter().enumerate() {
        assert_eq!(k, &format!("k{i}"));
        let v = v.as_ref().unwrap();
        assert_eq!(v.len(), sizes[i]);
        assert!(v.iter().enumerate().all(|(j, b)| *b == (i * 31 + j) as u8));
    }
    // A torn tail after a big record is still found and cut.
    let path = dir.join("data.log");
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(&[0xff; 100])
        .unwrap();
    let (_, report) = open_writer(&dir, StoreKind::Datum, Durability::None, |_| Ok(())).unwrap();
    assert_eq!(report.valid_end, len);
    assert_eq!(report.torn_bytes, 100);
}

#[test]
fn a_flipped_byte_in_the_last_record_is_corruption_but_a_page_torn_last_record_is_not() {
    let dir = temp_dir("last");
    let (w, _) = open_writer(&dir, StoreKind::Datum, Durability::Fsync, |_| Ok(())).unwrap();
    w.append(&[put("a", b"1")]).unwrap();
    let big: Vec<u8> = (0..20_000).map(|i| (i % 251 + 1) as u8).collect();
    let s = w.append(&[put("big", &big)]).unwrap();
    w.sync(s).unwrap();
    drop(w);
    let path = dir.join("data.log");
    let good = std::fs::read(&path).unwrap();
    // A bit flip inside the last, complete record: acknowledged data is damaged, not torn.
    let mut flipped = good.clone();
    let n = flipped.len();
    flipped[n - 100] ^= 0x01;
    std::fs::write(&path, &flipped).unwrap();
    assert_eq!(contents(&dir).unwrap_err().code, ErrorCode::StoreCorrupt);
    // The same record with its last pages never written (zeros from a page boundary on): torn.
    let mut torn = good.clone();
    let start = good.len() - (format::FRAME_LEN + 4 + 3 + 4 + big.len() + 1);
    let page = (start / 4096 + 1) * 4096;
    torn[page..].iter_mut().for_each(|b| *b = 0);
    std::fs::write(&path, &torn).unwrap();
    assert_eq!(
        contents(&dir).unwrap(),
        vec![("a".into(), Some(b"1".to_vec()))]
    );
}
