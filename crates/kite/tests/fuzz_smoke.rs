//! The fuzz targets on stable, in every test run: the committed corpus (`fuzz/corpus/<target>`), then
//! random mutations of it for a fixed time per target (`FUZZ_SMOKE_SECS`, default 2). A panic fails
//! the test and leaves the input under `target/fuzz-failures/` for `cargo fuzz run <target> <file>`.
//! Longer runs with coverage guidance: `make fuzz` (cargo-fuzz, nightly).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(!seeds.is_empty(), "empty corpus for {target}");
    seeds
}

fn mutate(rng: &mut StdRng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut d = seeds[rng.gen_range(0..seeds.len())].clone();
    for _ in 0..rng.gen_range(1..6) {
        let len = d.len();
        match rng.gen_range(0..8) {
            0 if len > 0 => {
                let i = rng.gen_range(0..len);
                d[i] ^= 1 << rng.gen_range(0..8);
            }
            1 if len > 0 => {
                let i = rng.gen_range(0..len);
                d[i] = [0x00, 0xFF, 0x7F, 0x80, b'"', b',', b'\n', b'{'][rng.gen_range(0..8)];
            }
            2 if len > 0 => d.truncate(rng.gen_range(0..len)),
            3 => {
                let i = rng.gen_range(0..=len);
                let n = rng.gen_range(1..16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
                d.splice(i..i, bytes);
            }
            4 if len > 1 => {
                // Duplicate a chunk (repeated packets, rows, fields).
                let a = rng.gen_range(0..len);
                let b = rng.gen_range(a..len.min(a + 64));
                let chunk = d[a..=b].to_vec();
                let at = rng.gen_range(0..=len);
                d.splice(at..at, chunk);
            }
            5 => {
                // Splice with another seed.
                let other = &seeds[rng.gen_range(0..seeds.len())];
                let cut = rng.gen_range(0..=d.len());
                let from = rng.gen_range(0..=other.len());
                d.truncate(cut);
                d.extend_from_slice(&other[from..]);
            }
            6 if len >= 2 => {
                // Big-endian length fields and counts are the ticker's weak spot.
                let i = rng.gen_range(0..len - 1);
                let v: u16 = [0, 1, 8, 28, 32, 44, 184, 0xFFFF][rng.gen_range(0..8)];
                d[i..i + 2].copy_from_slice(&v.to_be_bytes());
            }
            _ if len > 0 => {
                let a = rng.gen_range(0..len);
                let b = rng.gen_range(0..len);
                d.swap(a, b);
            }
            _ => d.push(rng.gen()),
        }
    }
    d
}

fn run(target: &str, f: fn(&[u8])) {
    let seeds = corpus(target);
    let secs: f64 = std::env::var("FUZZ_SMOKE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2.0);
    let mut rng = StdRng::seed_from_u64(0x6b69_7465);
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut runs = 0u64;
    let mut input_at = |data: &[u8]| {
        if std::panic::catch_unwind(|| f(data)).is_err() {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-failures");
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!("{target}-{runs}"));
            std::fs::write(&path, data).unwrap();
            panic!("{target} panicked on {} (saved)", path.display());
        }
        runs += 1;
    };
    for s in &seeds {
        input_at(s);
    }
    while Instant::now() < deadline {
        for _ in 0..64 {
            let d = mutate(&mut rng, &seeds);
            input_at(&d);
        }
    }
    eprintln!("{target}: {runs} inputs, no panic");
    assert!(runs > seeds.len() as u64);
}

#[test]
fn ticker_frames() {
    run("ticker_frame", kite::fuzz::ticker_frame);
}

#[test]
fn rest_envelopes() {
    run("rest_envelope", kite::fuzz::rest_envelope);
}

#[test]
fn instruments_csv() {
    run("instruments_csv", kite::fuzz::instruments_csv);
}
