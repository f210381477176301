//! The instrument dumps the analytics need (NSE for stocks, NFO and BFO for index options), kept
//! in memory for the IST day: Kite regenerates them once a day, so one download a day is enough.

use chrono::NaiveDate;
use kite::{KiteClient, KiteError};
use model::broker::Instrument;
use model::Exchange;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

/// One exchange's dump and the IST day it was downloaded.
type Dated = (NaiveDate, Arc<Vec<Instrument>>);

#[derive(Default)]
pub struct InstrumentStore {
    /// Per exchange: the day it was downloaded and the rows. The async mutex makes concurrent first
    /// callers wait for one download instead of starting several.
    dumps: Mutex<HashMap<Exchange, Dated>>,
}

impl InstrumentStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Today's dump of `exchange`, downloaded on the first call of the IST day.
    pub async fn get(
        &self,
        kite: &KiteClient,
        exchange: Exchange,
    ) -> Result<Arc<Vec<Instrument>>, KiteError> {
        let today = kite::rest::instruments::ist_today();
        let mut dumps = self.dumps.lock().await;
        if let Some((day, list)) = dumps.get(&exchange) {
            if *day == today {
                return Ok(list.clone());
            }
        }
        let list = Arc::new(kite.instruments(Some(exchange), None).await?);
        dumps.insert(exchange, (today, list.clone()));
        Ok(list)
    }
}
