//! Messages on the dashboard's `/ws/live` socket. Every message is a JSON object with a `type` field.

use crate::alert::Alert;
use crate::status::TickerState;
use crate::tick::Tick;
use crate::trading::{KillSwitchState, OrderRecord, PositionRow, SignalEvent};
use serde::{Deserialize, Serialize};

/// Server → browser.
// Ticks are nearly every message, so boxing the large variant would add an allocation to almost all of
// them while saving nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveMessage {
    /// Latest state of one instrument.
    Tick { tick: Tick },
    /// Sent every second so the browser can tell a quiet market from a dead socket.
    Heartbeat { server_time_ms: u64 },
    /// Upstream ticker changed state (connected, reconnecting, ...).
    Ticker { ticker: TickerState },
    /// Liveness probe; the browser must answer with [`ClientMessage::Pong`] carrying the same nonce.
    Ping { nonce: u64 },
    /// A strategy fired (with the risk manager's verdict).
    Signal { signal: SignalEvent },
    /// An order the engine placed changed (placed, filled in part or whole, cancelled, rejected).
    Order { order: OrderRecord },
    /// A position the engine holds changed.
    Position { position: PositionRow },
    /// The kill switch fired or was reset.
    KillSwitch { kill_switch: KillSwitchState },
    /// Something the trader must see now (a toast), also kept in the Alerts list.
    Alert { alert: Alert },
}

/// Browser → server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    Pong { nonce: u64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_type_field() {
        let m = LiveMessage::Heartbeat { server_time_ms: 5 };
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"type":"heartbeat","server_time_ms":5}"#
        );
        let m = LiveMessage::Ticker {
            ticker: TickerState::Reconnecting {
                attempt: 2,
                retry_in_ms: 800,
            },
        };
        let s = serde_json::to_string(&m).unwrap();
        assert_eq!(
            s,
            r#"{"type":"ticker","ticker":{"state":"reconnecting","attempt":2,"retry_in_ms":800}}"#
        );
        assert_eq!(serde_json::from_str::<LiveMessage>(&s).unwrap(), m);
        let c: ClientMessage = serde_json::from_str(r#"{"type":"pong","nonce":7}"#).unwrap();
        assert_eq!(c, ClientMessage::Pong { nonce: 7 });
    }
}
