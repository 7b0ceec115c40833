use super::*;
use crate::metadata::Metadata;

fn coll(metric: Metric) -> Collection {
    let mut c = Collection::new(2, metric).unwrap();
    let ids: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
    c.upsert_batch(&ids, &[1.0, 0.0, 0.0, 1.0, 3.0, 4.0], vec![])
        .unwrap();
    c
}

fn params(k: usize) -> SearchParams<'static> {
    SearchParams {
        k,
        threshold: None,
        filter: None,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn hand_checked_scores_for_every_metric() {
    // Query (1, 0) against a=(1,0), b=(0,1), c=(3,4).
    let q = [1.0, 0.0];
    type Expected = [(&'static str, f64, f64); 3];
    let cases: [(Metric, Expected); 4] = [
        (
            Metric::Cosine,
            [("a", 1.0, 0.0), ("c", 0.6, 0.4), ("b", 0.0, 1.0)],
        ),
        (
            Metric::DotProduct,
            [("c", 3.0, -3.0), ("a", 1.0, -1.0), ("b", 0.0, 0.0)],
        ),
        (
            Metric::Euclidean,
            [
                ("a", 1.0, 0.0),
                ("b", 1.0 / (1.0 + 2f64.sqrt()), 2f64.sqrt()),
                ("c", 1.0 / (1.0 + 20f64.sqrt()), 20f64.sqrt()),
            ],
        ),
        (
            Metric::Manhattan,
            [
                ("a", 1.0, 0.0),
                ("b", 1.0 / 3.0, 2.0),
                ("c", 1.0 / 7.0, 6.0),
            ],
        ),
    ];
    for (metric, want) in cases {
        let hits = coll(metric).search(&q, &params(10)).unwrap();
        assert_eq!(hits.len(), 3, "{metric:?}");
        for (hit, (id, sim, dist)) in hits.iter().zip(want) {
            assert_eq!(hit.id, id, "{metric:?}");
            assert!(
                close(hit.similarity, sim),
                "{metric:?} {id} sim {} != {sim}",
                hit.similarity
            );
            assert!(
                close(hit.distance, dist),
                "{metric:?} {id} dist {} != {dist}",
                hit.distance
            );
        }
    }
}

#[test]
fn upsert_replaces_and_remove_keeps_the_map_consistent() {
    let mut c = coll(Metric::Euclidean);
    c.upsert_batch(&["a".into()], &[9.0, 9.0], vec![]).unwrap();
    assert_eq!(c.len(), 3);
    assert_eq!(c.get("a").unwrap().0, vec![9.0, 9.0]);
    assert!(c.remove("a"));
    assert!(!c.remove("a"));
    // "c" was the last row and moved into slot 0: it must still be found by id and by search.
    assert_eq!(c.get("c").unwrap().0, vec![3.0, 4.0]);
    let hits = c.search(&[3.0, 4.0], &params(1)).unwrap();
    assert_eq!(hits[0].id, "c");
    assert_eq!(c.clear(), 2);
    assert!(c.is_empty());
}

#[test]
fn a_bad_entry_rejects_the_whole_batch() {
    let mut c = coll(Metric::Cosine);
    let ids: Vec<String> = vec!["x".into(), "y".into()];
    let e = c
        .upsert_batch(&ids, &[1.0, 1.0, 0.0, 0.0], vec![])
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidVector);
    let e = c
        .upsert_batch(&ids, &[1.0, f32::NAN, 1.0, 1.0], vec![])
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidVector);
    let e = c.upsert_batch(&ids, &[1.0, 1.0, 1.0], vec![]).unwrap_err();
    assert_eq!(e.code, ErrorCode::DimensionMismatch);
    let e = c
        .upsert_batch(&["".into()], &[1.0, 1.0], vec![])
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidId);
    let e = c
        .upsert_batch(&["x".repeat(MAX_ID_BYTES + 1)], &[1.0, 1.0], vec![])
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidId);
    assert_eq!(c.len(), 3);
    assert!(!c.contains("x"));
}

#[test]
fn duplicates_in_one_batch_last_wins() {
    let mut c = Collection::new(1, Metric::DotProduct).unwrap();
    c.upsert_batch(&["a".into(), "a".into()], &[1.0, 2.0], vec![])
        .unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c.get("a").unwrap().0, vec![2.0]);
}

#[test]
fn filtered_search_fills_the_limit_and_threshold_applies() {
    let mut c = Collection::new(1, Metric::DotProduct).unwrap();
    let n = 1000;
    let ids: Vec<String> = (0..n).map(|i| format!("{i:04}")).collect();
    let vecs: Vec<f32> = (0..n).map(|i| i as f32).collect();
    let md: Vec<Option<Metadata>> = (0..n)
        .map(|i| Some(Metadata::from_json(&format!(r#"{{"even":{}}}"#, i % 2 == 0)).unwrap()))
        .collect();
    c.upsert_batch(&ids, &vecs, md).unwrap();
    let f = Filter::from_json(r#"{"op":"eq","key":"even","value":true}"#).unwrap();
    let hits = c
        .search(
            &[1.0],
            &SearchParams {
                k: 5,
                threshold: None,
                filter: Some(&f),
            },
        )
        .unwrap();
    let got: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(got, vec!["0998", "0996", "0994", "0992", "0990"]);
    let hits = c
        .search(
            &[1.0],
            &SearchParams {
                k: 10,
                threshold: Some(995.0),
                filter: None,
            },
        )
        .unwrap();
    assert_eq!(hits.len(), 5);
    assert!(hits.iter().all(|h| h.similarity >= 995.0));
}

#[test]
fn batch_search_equals_single_searches() {
    let dim = 8;
    let n = 3000;
    let mut c = Collection::new(dim, Metric::Cosine).unwrap();
    let ids: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
    let vecs: Vec<f32> = (0..n * dim)
        .map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 0.999)
        .collect();
    c.upsert_batch(&ids, &vecs, vec![]).unwrap();
    // Six queries: one group of four (the four-query kernel where the CPU has one) and two single.
    let queries = &vecs[..dim * 6];
    let batch = c.search_batch(queries, &params(7)).unwrap();
    for (i, q) in queries.chunks_exact(dim).enumerate() {
        assert_eq!(batch[i], c.search(q, &params(7)).unwrap());
    }
}

#[test]
fn bad_params_are_rejected() {
    let c = coll(Metric::Cosine);
    assert_eq!(
        c.search(&[1.0, 0.0], &params(0)).unwrap_err().code,
        ErrorCode::InvalidArgument
    );
    let nan = SearchParams {
        k: 1,
        threshold: Some(f64::NAN),
        filter: None,
    };
    assert_eq!(
        c.search(&[1.0, 0.0], &nan).unwrap_err().code,
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        c.search(&[1.0], &params(1)).unwrap_err().code,
        ErrorCode::DimensionMismatch
    );
    assert_eq!(
        c.search(&[0.0, 0.0], &params(1)).unwrap_err().code,
        ErrorCode::InvalidVector
    );
    assert!(Collection::new(0, Metric::Cosine).is_err());
}

#[test]
fn a_batch_big_enough_for_threads_equals_single_searches_in_order() {
    let dim = 64;
    let n = 20_000;
    let mut c = Collection::new(dim, Metric::Euclidean).unwrap();
    let ids: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
    let vecs: Vec<f32> = (0..n * dim)
        .map(|i| {
            ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as f32 / (1u64 << 24) as f32
        })
        .collect();
    c.upsert_batch(&ids, &vecs, vec![]).unwrap();
    // 13 queries × 1.28M floats is past the threading threshold on any multi-core machine, and 13
    // does not split evenly, so the last share is short.
    let queries = &vecs[dim * 100..dim * 113];
    assert!(
        batch_threads(13, n * dim) > 1
            || std::thread::available_parallelism().map_or(true, |p| p.get() == 1)
    );
    let batch = c.search_batch(queries, &params(5)).unwrap();
    assert_eq!(batch.len(), 13);
    for (i, q) in queries.chunks_exact(dim).enumerate() {
        assert_eq!(batch[i], c.search(q, &params(5)).unwrap(), "query {i}");
        assert_eq!(batch[i][0].id, format!("r{}", 100 + i));
    }
}

#[test]
fn the_id_index_survives_many_removes_and_re_adds() {
    let mut c = Collection::new(1, Metric::DotProduct).unwrap();
    let ids: Vec<String> = (0..500).map(|i| format!("k{i}")).collect();
    let vecs: Vec<f32> = (0..500).map(|i| i as f32).collect();
    c.upsert_batch(&ids, &vecs, vec![]).unwrap();
    for i in (0..500).step_by(3) {
        assert!(c.remove(&format!("k{i}")));
        assert!(!c.remove(&format!("k{i}")));
    }
    for i in (0..500).step_by(6) {
        c.upsert_batch(&[format!("k{i}")], &[-(i as f32)], vec![])
            .unwrap();
    }
    for i in 0..500 {
        let got = c.get(&format!("k{i}")).map(|(v, _)| v[0]);
        let want = match (i % 3, i % 6) {
            (_, 0) => Some(-(i as f32)),
            (0, _) => None,
            _ => Some(i as f32),
        };
        assert_eq!(got, want, "k{i}");
    }
    assert_eq!(c.len(), 500 - 167 + 84);
}
