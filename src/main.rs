//! The binary: flags → settings → pipeline → exit code. The only place fatal errors print.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use regshift::cli::{Cli, Command};
use regshift::settings::Settings;
use regshift::{app, explain, server, sweep};

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli.color.write_global();
    let result = match &cli.command {
        Command::Explain(args) => {
            match explain::run(args.rule.as_deref(), args.list, &mut anstream::stdout()) {
                Ok(Ok(())) => Ok(app::Outcome::Clean),
                Ok(Err(usage)) => return fatal(&usage),
                Err(error) => Err(error),
            }
        }
        Command::Server(_) => match server::run() {
            Ok(code) => return ExitCode::from(code),
            Err(error) => Err(error),
        },
        Command::Sweep(args) => match sweep::run(args) {
            Ok(result) => result,
            Err(usage) => return fatal(&usage.to_string()),
        },
        command => match Settings::from_cli(command) {
            // The run's standard error, opened after the colour choice above; app::run
            // writes the run's messages to it through reporters.
            Some(Ok(settings)) => app::run(&settings, &mut anstream::stderr()),
            Some(Err(error)) => return fatal(&error.to_string()),
            None => unreachable!("every other command is a scan"),
        },
    };
    match result {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        // `regshift check | head` closes the pipe early: stop quietly, as ripgrep does.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => fatal(&error.to_string()),
    }
}

fn fatal(message: &str) -> ExitCode {
    let style = anstyle::AnsiColor::Red.on_default().bold();
    let _ = writeln!(anstream::stderr(), "{style}error{style:#}: {message}");
    ExitCode::from(2)
}
