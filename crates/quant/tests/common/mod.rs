//! Fixture loading shared by the integration tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A CSV fixture as columns of f64 (empty cells are NaN), plus its text columns.
pub struct Table {
    pub text: HashMap<String, Vec<String>>,
    pub num: HashMap<String, Vec<f64>>,
    pub rows: usize,
}

impl Table {
    pub fn load(name: &str) -> Table {
        let mut rdr = csv::Reader::from_path(fixture_path(name)).expect("fixture exists");
        let headers: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
        let mut text: HashMap<String, Vec<String>> = HashMap::new();
        let mut num: HashMap<String, Vec<f64>> = HashMap::new();
        let mut rows = 0;
        for rec in rdr.records() {
            let rec = rec.unwrap();
            rows += 1;
            for (h, cell) in headers.iter().zip(rec.iter()) {
                text.entry(h.clone()).or_default().push(cell.to_string());
                let v = if cell.is_empty() {
                    f64::NAN
                } else {
                    cell.parse::<f64>().unwrap_or(f64::NAN)
                };
                num.entry(h.clone()).or_default().push(v);
            }
        }
        Table { text, num, rows }
    }

    pub fn col(&self, name: &str) -> &[f64] {
        self.num
            .get(name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }
}

/// `got` equals `want` to `rel` relative, or within `abs` absolutely (for values near 0); NaN
/// exactly where `want` is NaN.
pub fn assert_series(label: &str, got: &[f64], want: &[f64], rel: f64, abs: f64) {
    assert_eq!(got.len(), want.len(), "{label}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        if w.is_nan() {
            assert!(g.is_nan(), "{label}[{i}]: expected NaN (warm-up), got {g}");
            continue;
        }
        assert!(!g.is_nan(), "{label}[{i}]: got NaN, expected {w}");
        let err = (g - w).abs();
        assert!(
            err <= rel * w.abs() || err <= abs,
            "{label}[{i}]: got {g}, want {w} (abs err {err:e}, rel {:e})",
            err / w.abs()
        );
    }
}
