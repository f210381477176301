//! Frame parser throughput: full-mode packets decoded per second on one core.
//! Run: `cargo bench -p kite --bench parse`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use kite::parse_packet;
use kite::ticker::parse::Frame;

fn full_packet(token: u32, seed: u32) -> Vec<u8> {
    let mut p = vec![0u8; 184];
    p[0..4].copy_from_slice(&token.to_be_bytes());
    for (i, chunk) in p[4..].chunks_mut(4).enumerate() {
        let v = (seed.wrapping_mul(2654435761).wrapping_add(i as u32 * 97)) & 0x7fff_ffff;
        chunk.copy_from_slice(&v.to_be_bytes()[..chunk.len()]);
    }
    p
}

fn bench(c: &mut Criterion) {
    const N: usize = 200;
    let mut frame = (N as u16).to_be_bytes().to_vec();
    for i in 0..N {
        let p = full_packet(((i as u32 + 1000) << 8) | 1, i as u32);
        frame.extend_from_slice(&184u16.to_be_bytes());
        frame.extend_from_slice(&p);
    }
    let mut g = c.benchmark_group("ticker_parse");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("full_frame_200_packets", |b| {
        b.iter(|| {
            let Ok(Frame::Packets(p)) = Frame::parse(black_box(&frame)) else {
                unreachable!()
            };
            let mut sum = 0.0;
            for t in p {
                let t = t.unwrap();
                sum += t.last_price + t.depth.map_or(0.0, |d| d.sell[4].price);
            }
            black_box(sum)
        })
    });
    let one = full_packet((1594 << 8) | 1, 7);
    g.throughput(Throughput::Elements(1));
    g.bench_function("single_full_packet", |b| {
        b.iter(|| black_box(parse_packet(black_box(&one))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
