//! Thin binary: parse arguments, run the command, map the outcome to an exit code.
//! Everything of substance lives in the library (`rdsiam::…`).

use std::process::ExitCode;

fn main() -> ExitCode {
    rdsiam::cli::main()
}
