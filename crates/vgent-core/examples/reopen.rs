//! Where a D-gent reopen spends its time, without Node in the way (for `perf`).
//!
//! ```sh
//! cargo run --release -p vgent-core --example reopen -- /tmp/vgent-reopen 1000000 3
//! perf record -g target/release/examples/reopen /tmp/vgent-reopen 1000000 3
//! ```
//! Creates the store in `DIR` when it has none (N × 384 cosine rows, ids `doc-0000000`…, 50,000 per
//! record, as `benchmark/dgent-tier.js` writes them), then, OPENS times: reads the log from the page
//! cache through one reused 64 MiB buffer (the floor), replays it with a visitor that does nothing
//! (reader thread: read + checksum; this thread: decode), and opens the store (the whole replay).
use std::io::Read;
use std::path::Path;
use std::time::Instant;
use vgent_core::log::{read_only, Durability, StoreKind};
use vgent_core::persistent::PersistentCollection;
use vgent_core::Metric;

const DIM: usize = 384;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = Path::new(args.get(1).map_or("/tmp/vgent-reopen", |s| s.as_str())).to_path_buf();
    let n: usize = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let opens: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(3);
    let log = dir.join("data.log");
    if !log.exists() {
        create(&dir, n);
    }
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;
    let mut buf = vec![0u8; 64 << 20];
    read_file(&log, &mut buf);
    for i in 0..opens {
        let t = Instant::now();
        let bytes = read_file(&log, &mut buf);
        let read = ms(t);
        let t = Instant::now();
        let mut ops = 0usize;
        read_only(&dir, StoreKind::Vector, |o| {
            ops += o.len();
            Ok(())
        })
        .expect("replay");
        let scan = ms(t);
        let t = Instant::now();
        let (u0, s0) = cpu_ms();
        let p =
            PersistentCollection::open(&dir, DIM, Metric::Cosine, Durability::None).expect("open");
        let open = ms(t);
        let (u1, s1) = cpu_ms();
        let rows = p.collection().len();
        let t = Instant::now();
        drop(p);
        let dropped = ms(t);
        println!(
            "{i}: {:.2} GB; read {read:.0} ms; read+crc+decode {scan:.0} ms ({ops} ops); open {open:.0} ms ({rows} rows, {:.2}× read; cpu user {:.0} + sys {:.0} ms, both threads); drop {dropped:.0} ms",
            bytes as f64 / 1e9,
            open / read,
            u1 - u0,
            s1 - s0
        );
    }
}

/// CPU time of the whole process so far, user and system (page faults), in ms.
#[cfg(target_os = "linux")]
fn cpu_ms() -> (f64, f64) {
    // SAFETY: `getrusage` only writes the `rusage` it is given, which is a valid, owned struct;
    // all-zero bytes are a valid `rusage` (plain integers).
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: see above; RUSAGE_SELF is a valid `who`.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut r) };
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
    (ms(r.ru_utime), ms(r.ru_stime))
}

#[cfg(not(target_os = "linux"))]
fn cpu_ms() -> (f64, f64) {
    (0.0, 0.0)
}

/// Reads the whole file through `buf`; returns the bytes read.
fn read_file(path: &Path, buf: &mut [u8]) -> usize {
    let mut f = std::fs::File::open(path).expect("log");
    let mut total = 0;
    loop {
        match f.read(buf).expect("read") {
            0 => return total,
            got => total += got,
        }
    }
}

/// Writes N seeded rows in records of 50,000 (durability none).
fn create(dir: &Path, n: usize) {
    let t = Instant::now();
    let mut p =
        PersistentCollection::open(dir, DIM, Metric::Cosine, Durability::None).expect("create");
    let mut state = 42u32;
    let mut next = move || {
        // xorshift32: any nonzero row will do.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state as f32 / u32::MAX as f32) * 2.0 - 1.0
    };
    let batch = 50_000;
    let mut at = 0;
    while at < n {
        let m = batch.min(n - at);
        let ids: Vec<String> = (at..at + m).map(|i| format!("doc-{i:07}")).collect();
        let rows: Vec<f32> = (0..m * DIM).map(|_| next()).collect();
        p.upsert_batch(&ids, &rows, vec![]).expect("upsert");
        at += m;
    }
    eprintln!(
        "created {n} rows in {} in {:.1} s",
        dir.display(),
        t.elapsed().as_secs_f64()
    );
}
