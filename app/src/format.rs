//! Number formatting as Indian traders read it: rupees with two decimals, quantities in lakh/crore
//! grouping (12,34,567).

/// Groups the integer part Indian style: last three digits, then pairs.
pub fn group_indian(n: u64) -> String {
    let s = n.to_string();
    if s.len() <= 3 {
        return s;
    }
    let (head, tail) = s.split_at(s.len() - 3);
    let mut out = String::new();
    let first = head.len() % 2;
    if first == 1 {
        out.push_str(&head[..1]);
    }
    for (i, pair) in head.as_bytes()[first..].chunks(2).enumerate() {
        if i > 0 || first == 1 {
            out.push(',');
        }
        out.push_str(std::str::from_utf8(pair).unwrap_or(""));
    }
    out.push(',');
    out.push_str(tail);
    out
}

/// A price with two decimals and Indian grouping: `26,050.35`.
pub fn price(p: f64) -> String {
    if !p.is_finite() {
        return "—".into();
    }
    let paise = (p.abs() * 100.0).round() as u64;
    let sign = if p < 0.0 && paise > 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", group_indian(paise / 100), paise % 100)
}

/// Rupees with the sign before the symbol: `₹1,23,456.78`, `-₹40.00`.
pub fn rupees(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let p = price(v.abs());
    if v < 0.0 && p != "0.00" {
        format!("-₹{p}")
    } else {
        format!("₹{p}")
    }
}

/// A signed quantity (positions can be short).
pub fn signed_quantity(q: i64) -> String {
    let g = group_indian(q.unsigned_abs());
    if q < 0 {
        format!("-{g}")
    } else {
        g
    }
}

pub fn quantity(q: u32) -> String {
    group_indian(q as u64)
}

/// Signed change with two decimals: `+1.25` / `-0.40`.
pub fn signed(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", price(v))
    } else {
        price(v)
    }
}

pub fn percent(v: f64) -> String {
    format!("{}%", signed(v))
}

/// A large count in lakh (L) and crore (Cr), the way OI is quoted in India: `1.25Cr`, `-3.40L`, `950`.
pub fn compact(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let a = v.abs();
    let sign = if v < 0.0 { "-" } else { "" };
    if a >= 1e7 {
        format!("{sign}{:.2}Cr", a / 1e7)
    } else if a >= 1e5 {
        format!("{sign}{:.2}L", a / 1e5)
    } else {
        format!("{sign}{}", group_indian(a.round() as u64))
    }
}

/// A signed count in lakh/crore with an explicit `+` for increases (OI change).
pub fn compact_signed(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", compact(v))
    } else {
        compact(v)
    }
}

/// The colour class of a signed change: `up`, `down` or `flat`.
pub fn tone(v: f64) -> &'static str {
    if v > 0.0 {
        "up"
    } else if v < 0.0 {
        "down"
    } else {
        "flat"
    }
}

/// An RFC 3339 instant as a trader reads it, in the zone it was written in: `29 Nov 00:10:21`.
/// Anything unparsable is shown as given rather than hidden.
pub fn short_time(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.format("%d %b %H:%M:%S").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

pub fn uptime(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}h {m:02}m")
    } else {
        format!("{m}m {s:02}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_time_keeps_the_written_zone() {
        assert_eq!(
            short_time("2026-11-29T00:10:21.692365302+05:30"),
            "29 Nov 00:10:21"
        );
        assert_eq!(short_time("yesterday"), "yesterday");
    }

    #[test]
    fn compact_uses_lakh_and_crore() {
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(12_345.0), "12,345");
        assert_eq!(compact(125_000.0), "1.25L");
        assert_eq!(compact(-340_000.0), "-3.40L");
        assert_eq!(compact(12_500_000.0), "1.25Cr");
        assert_eq!(compact_signed(150_000.0), "+1.50L");
        assert_eq!(compact_signed(0.0), "0");
        assert_eq!(compact(f64::NAN), "—");
    }

    #[test]
    fn indian_grouping() {
        assert_eq!(group_indian(0), "0");
        assert_eq!(group_indian(999), "999");
        assert_eq!(group_indian(1000), "1,000");
        assert_eq!(group_indian(100000), "1,00,000");
        assert_eq!(group_indian(1234567), "12,34,567");
        assert_eq!(group_indian(123456789), "12,34,56,789");
    }

    #[test]
    fn prices_and_changes() {
        assert_eq!(price(26050.35), "26,050.35");
        assert_eq!(price(0.05), "0.05");
        assert_eq!(price(-1234.5), "-1,234.50");
        assert_eq!(signed(1.2), "+1.20");
        assert_eq!(signed(-0.4), "-0.40");
        assert_eq!(signed(0.0), "0.00");
        assert_eq!(percent(0.123), "+0.12%");
        assert_eq!(price(f64::NAN), "—");
        assert_eq!(uptime(3725), "1h 02m");
        assert_eq!(uptime(65), "1m 05s");
        assert_eq!(rupees(123456.784), "₹1,23,456.78");
        assert_eq!(rupees(-40.0), "-₹40.00");
        assert_eq!(signed_quantity(-1500), "-1,500");
    }
}
