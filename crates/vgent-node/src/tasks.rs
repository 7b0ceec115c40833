//! Work that may be long (big batches, big scans) as `Task`s run on the libuv pool. Each task owns
//! its inputs; the synchronous twins in `collection.rs` share the same `run_*` functions.
use crate::collection::NativeHit;
use crate::error::{guard, to_napi};
use crate::shared::Shared;
use napi::bindgen_prelude::Float32Array;
use napi::{Env, Task};
use vgent_core::{error::err, ErrorCode, Filter, Metadata, SearchHit, SearchParams};

/// Parses a JSON array of metadata objects (or nulls), one per id.
pub fn parse_metadata(json: Option<&str>, n: usize) -> napi::Result<Vec<Option<Metadata>>> {
    let Some(json) = json else {
        return Ok(Vec::new());
    };
    let values: Vec<serde_json::Value> = serde_json::from_str(json).map_err(|e| {
        to_napi(err(
            ErrorCode::InvalidArgument,
            format!("metadata is not a JSON array: {e}"),
        ))
    })?;
    if values.len() != n {
        return Err(to_napi(err(
            ErrorCode::InvalidArgument,
            format!("{} metadata entries for {n} ids", values.len()),
        )));
    }
    values
        .iter()
        .map(|v| {
            if v.is_null() {
                Ok(None)
            } else {
                Metadata::from_value(v).map(Some)
            }
        })
        .collect::<vgent_core::Result<_>>()
        .map_err(to_napi)
}

fn parse_filter(json: Option<&str>) -> napi::Result<Option<Filter>> {
    json.map(Filter::from_json).transpose().map_err(to_napi)
}

fn to_hits(hits: Vec<SearchHit>) -> Vec<NativeHit> {
    hits.into_iter()
        .map(|h| NativeHit {
            id: h.id,
            similarity: h.similarity,
            distance: h.distance,
            metadata: h.metadata.map(|m| m.to_json()),
        })
        .collect()
}

pub fn run_search(
    shared: &Shared,
    q: &[f32],
    k: u32,
    threshold: Option<f64>,
    filter: Option<&str>,
) -> napi::Result<Vec<NativeHit>> {
    let filter = parse_filter(filter)?;
    let p = SearchParams {
        k: k as usize,
        threshold,
        filter: filter.as_ref(),
    };
    shared.read(|c| c.search(q, &p)).map(to_hits)
}

pub fn run_search_batch(
    shared: &Shared,
    qs: &[f32],
    k: u32,
    threshold: Option<f64>,
    filter: Option<&str>,
) -> napi::Result<Vec<Vec<NativeHit>>> {
    let filter = parse_filter(filter)?;
    let p = SearchParams {
        k: k as usize,
        threshold,
        filter: filter.as_ref(),
    };
    shared
        .read(|c| c.search_batch(qs, &p))
        .map(|all| all.into_iter().map(to_hits).collect())
}

pub struct UpsertTask {
    pub shared: Shared,
    pub ids: Vec<String>,
    pub vectors: Float32Array,
    pub metadata_json: Option<String>,
}

impl Task for UpsertTask {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<()> {
        guard(|| {
            let md = parse_metadata(self.metadata_json.as_deref(), self.ids.len())?;
            self.shared
                .write(|s| s.upsert(&self.ids, &self.vectors, md))
        })
    }

    fn resolve(&mut self, _env: Env, _output: ()) -> napi::Result<()> {
        Ok(())
    }
}

pub struct SearchTask {
    pub shared: Shared,
    pub query: Float32Array,
    pub k: u32,
    pub threshold: Option<f64>,
    pub filter_json: Option<String>,
}

impl Task for SearchTask {
    type Output = Vec<NativeHit>;
    type JsValue = Vec<NativeHit>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        guard(|| {
            run_search(
                &self.shared,
                &self.query,
                self.k,
                self.threshold,
                self.filter_json.as_deref(),
            )
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(output)
    }
}

pub struct SearchBatchTask {
    pub shared: Shared,
    pub queries: Float32Array,
    pub k: u32,
    pub threshold: Option<f64>,
    pub filter_json: Option<String>,
}

impl Task for SearchBatchTask {
    type Output = Vec<Vec<NativeHit>>;
    type JsValue = Vec<Vec<NativeHit>>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        guard(|| {
            run_search_batch(
                &self.shared,
                &self.queries,
                self.k,
                self.threshold,
                self.filter_json.as_deref(),
            )
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(output)
    }
}
