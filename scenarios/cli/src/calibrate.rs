//! `twin calibrate`: the hold-out and backend choices mapped onto the library's, then one
//! library call ([`scenarios::calibration::calibrate`]); the training's epochs shown on a
//! terminal. A build of the library without its `calibrate` feature answers with an error that
//! says how to rebuild.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Result;
use scenarios::ScenarioError;
use scenarios::calibration::{CalibrateRequest, Split, TrainBackend};

use crate::args::{CalibrateArgs, SplitArg, TrainBackendArg};

pub(crate) fn calibrate(a: CalibrateArgs) -> Result<ExitCode> {
    let plan = match scenarios::scenario::validate(&a.scenario) {
        Ok(p) => p,
        Err(diags) => {
            crate::print_diagnostics(&diags, a.json)?;
            return Ok(ExitCode::from(2));
        }
    };
    let req = CalibrateRequest {
        measurements: a.measurements.clone(),
        map: a.map.clone(),
        map_file: a.map_file.clone(),
        drop_invalid: a.drop_invalid,
        max_depth: a.max_depth,
        split: match a.split {
            SplitArg::Spatial => Split::Spatial { block_m: a.block_m },
            SplitArg::Time => Split::Time,
            SplitArg::Random => Split::Random,
        },
        seed: a.seed,
        epochs: a.epochs,
        level: a.level,
        backend: match a.backend {
            TrainBackendArg::Ndarray => TrainBackend::NdArray,
            TrainBackendArg::Flex => TrainBackend::Flex,
            TrainBackendArg::Wgpu => TrainBackend::Wgpu,
        },
        out: a.out.clone(),
    };
    let obs = crate::observer::Cli::new(a.json);
    let tty = std::io::stderr().is_terminal() && !a.json;
    let mut epoch_line = |epoch: usize, loss: f64, rmse: f64| {
        if tty {
            eprint!(
                "\repoch {:>3}: training loss {loss:.4}, validation RMSE {rmse:.2} dB   ",
                epoch + 1
            );
        }
    };
    let run = scenarios::calibration::calibrate(&plan, &req, &obs, &mut epoch_line);
    if tty {
        eprintln!();
    }
    let run = match run {
        Err(ScenarioError::Interrupted) => return Ok(crate::signals::exit_code()),
        other => other?,
    };
    let seconds = obs.elapsed_s();
    if a.json {
        let v = serde_json::json!({
            "out": a.out,
            "rows": run.rows,
            "evaluation": run.evaluation,
            "seconds": seconds,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", run.table);
        println!(
            "model written to {} in {seconds:.1} s; apply it with `calibration = \"{}\"` in the \
             scenario",
            a.out.display(),
            a.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
