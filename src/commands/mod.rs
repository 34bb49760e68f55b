//! One module per subcommand: each owns its clap arguments and a `run` that returns the
//! outcome (exit code) or an error. `cli.rs` only dispatches.

pub mod activity;
pub mod activity_inputs;
pub mod audit;
pub mod collect;
pub mod completions;
pub mod config;
pub mod db_args;
pub mod doctor;
pub mod explain;
pub mod live;
pub mod report_outputs;
pub mod rules;
pub mod shaping;
pub mod simulate;
pub mod token;
