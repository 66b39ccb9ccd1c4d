//! The transport half of the twin: the backhaul, aggregation and core network that carries the
//! cells' traffic, with two models of how traffic fares on it.
//!
//! * [`topology`]: routers with roles (cell site, aggregation, core, interconnect) and positions,
//!   directed links with capacity, propagation delay, buffer, IGP weight and up/down state, on a
//!   petgraph graph; failures and re-homing never remove anything, so ids stay valid.
//!   [`import`] reads Internet Topology Zoo GraphML, SNDlib native files (with their demands)
//!   and the project's `nodes.csv` + `links.csv`, and writes the CSV form.
//! * [`routing`]: shortest paths by IGP weight or delay with equal-cost multipath; the flow model
//!   splits demands evenly over equal-cost next hops, the packet model pins each flow to one path
//!   by hashing. Routing is recomputed after failures; demands without a path are reported.
//! * [`flow`]: the flow-level model of one interval — demands allocated by max-min fairness
//!   (progressive filling) on link capacities, with per-link utilisation and an M/M/1 delay
//!   estimate, per-demand delivered and unserved traffic. [`replay`] runs it for every hour of a
//!   year with a diurnal profile and a what-if timeline, in about a second for a backbone.
//! * [`packet`]: the packet-level model on `sim-core` for the busy intervals — FIFO output queues
//!   with drop-tail or RED, serialisation and propagation, Poisson, CBR, on-off and TCP-like
//!   sources, per-link and per-flow throughput, delay quantiles, loss and queue length over time.
//!   Links are FIFO servers computed by the Lindley recursion, so packets cost about one event per
//!   hop; checked against M/M/1, M/D/1, M/M/1/K and Little's law.
//! * [`whatif`]: failures, repairs, capacity changes and re-homing, alone or on a timeline.
//!
//! Units: bit/s for rates and capacities, bytes for packets and buffers, seconds for delays
//! (nanosecond [`sim_core::SimTime`] inside the packet model).
//!
//! ```
//! use transport::flow::{Demand, FlowModel};
//! use transport::routing::{Metric, Routing};
//! use transport::topology::{Link, Role, Topology};
//!
//! // The parking lot: two unit links in a row; f0 crosses both, f1 and f2 one each.
//! let mut t = Topology::new();
//! let [a, b, c] = ["a", "b", "c"].map(|n| t.add_node(n, Role::Core, None).unwrap());
//! let unit = Link { name: String::new(), capacity_bps: 1.0, delay_s: 0.0, buffer_bytes: 1, igp_weight: 1.0, up: true };
//! t.add_link(a, b, unit.clone())?;
//! t.add_link(b, c, unit)?;
//! let routing = Routing::compute(&t, Metric::IgpWeight);
//! let demands = [
//!     Demand { name: "f0".into(), src: a, dst: c },
//!     Demand { name: "f1".into(), src: a, dst: b },
//!     Demand { name: "f2".into(), src: b, dst: c },
//! ];
//! let mut model = FlowModel::new(&t, &routing, &demands)?;
//! let alloc = model.allocate(&[10.0, 10.0, 10.0])?;
//! assert_eq!(alloc.delivered_bps, vec![0.5, 0.5, 0.5]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod error;
pub mod flow;
pub mod import;
pub mod packet;
pub mod replay;
pub mod routing;
pub mod topology;
pub mod whatif;

pub use error::{TopologyError, TrafficError};
pub use topology::{Link, LinkId, Node, NodeId, Position, Role, Topology};
