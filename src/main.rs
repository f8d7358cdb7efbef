//! The binary: flags → settings → pipeline → exit code. The only place fatal errors print.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use regshift::app;
use regshift::cli::Cli;
use regshift::settings::Settings;

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli.color.write_global();
    let settings = match Settings::from_cli(&cli.command) {
        Ok(settings) => settings,
        Err(error) => return fatal(&error.to_string()),
    };
    match app::run(&settings) {
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
