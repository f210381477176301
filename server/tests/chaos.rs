//! Two minutes of trading under Kite's failure modes (issue #8), with the server as its own process
//! killed (SIGKILL) and restarted once: the chaos runner's every invariant must hold.
//! `CHAOS_MINUTES` changes the length; `kite-agent chaos --minutes 10` is the long run recorded in
//! BENCHMARKS.md.

use server::chaos::{run, ChaosArgs};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_minutes_of_faults_lose_and_duplicate_nothing() {
    let minutes = std::env::var("CHAOS_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(2.0);
    let report = run(&ChaosArgs {
        minutes,
        seed: 7,
        server_bin: Some(env!("CARGO_BIN_EXE_kite-agent").into()),
    })
    .await
    .unwrap();
    let table = report.table();
    println!("{table}");
    assert!(report.all_held(), "{table}");
    // The run did what it says: traded (an option basket too), killed the server, and injected
    // most kinds of fault.
    assert!(report.orders >= 10 && report.fills >= 10, "{table}");
    assert!(report.basket_orders >= 2, "{table}");
    assert!(
        report.faults.contains_key("server SIGKILL + restart"),
        "{table}"
    );
    assert!(report.faults.len() >= 7, "{table}");
    assert!(report.checks.len() >= 7, "{table}");
}
