//! Stable-Rust runner for the fuzz oracle: no nightly flags, no libFuzzer, no coverage
//! feedback. It replays every input it is given (the seed corpus, the regression fixtures in
//! `fixtures/fuzz/`, libFuzzer's corpus), then mutates them at random and runs each mutant
//! through `regshift_fuzz::check`. A panic is saved under `--artifacts` and makes the exit
//! code 1.
//!
//! Two ways to mutate:
//!
//! - `--runs N` with one or more `--seed S`: N mutants per seed, each seed starting from the
//!   same corpus. The same commit, corpus and seeds give the same inputs on every machine, so
//!   CI runs this and a failure points at the change, never at the draw.
//! - `--seconds N` (with a random seed unless `--seed` names one): a hunt for as long as you
//!   like, locally.
//!
//! ```text
//! cargo run --release --no-default-features --bin replay -- \
//!     --seconds 60 --dict regshift.dict corpus/detect_fix_render ../fixtures/fuzz
//! cargo run --release --no-default-features --bin replay -- \
//!     --seed 1 --seed 2 --runs 15000 --dict regshift.dict corpus/detect_fix_render
//! ```
//!
//! The mutations are libFuzzer's basic ones (bit flips, interesting bytes, insert, erase,
//! duplicate, splice, dictionary words, selector change) plus line-end and encoding changes
//! that matter to regshift (CRLF, BOM, multi-byte and invalid UTF-8).

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

struct Options {
    seconds: u64,
    /// Mutants per seed; with it, the run is bounded by count, not time.
    runs: Option<u64>,
    seeds: Vec<u64>,
    max_len: usize,
    artifacts: PathBuf,
    dict: Option<PathBuf>,
    inputs: Vec<PathBuf>,
}

fn usage() -> ! {
    eprintln!(
        "usage: replay [--seconds N | --runs N] [--seed S]... [--max-len BYTES] [--artifacts DIR] [--dict FILE] PATH..."
    );
    std::process::exit(2);
}

fn parse_options() -> Options {
    let mut options = Options {
        seconds: 0,
        runs: None,
        seeds: Vec::new(),
        max_len: 64 * 1024,
        artifacts: PathBuf::from("artifacts/replay"),
        dict: None,
        inputs: Vec::new(),
    };
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        let number = |value: std::ffi::OsString| -> u64 {
            value
                .to_str()
                .and_then(|text| text.parse().ok())
                .unwrap_or_else(|| usage())
        };
        match arg.to_str() {
            Some("--seconds") => options.seconds = number(value()),
            Some("--seed") => options.seeds.push(number(value())),
            Some("--runs") => options.runs = Some(number(value())),
            Some("--max-len") => options.max_len = number(value()) as usize,
            Some("--artifacts") => options.artifacts = PathBuf::from(value()),
            Some("--dict") => options.dict = Some(PathBuf::from(value())),
            Some("-h" | "--help") => usage(),
            _ => options.inputs.push(PathBuf::from(arg)),
        }
    }
    if options.seeds.is_empty() {
        options.seeds.push(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |elapsed| elapsed.as_nanos() as u64),
        );
    }
    options
}

fn collect_files(path: &Path, files: &mut Vec<PathBuf>) {
    match std::fs::read_dir(path) {
        Ok(entries) => {
            let mut children: Vec<PathBuf> = entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .collect();
            children.sort();
            for child in children {
                collect_files(&child, files);
            }
        }
        Err(_) if path.is_file() => files.push(path.to_path_buf()),
        Err(_) => {}
    }
}

/// libFuzzer's dictionary format: `name="value"` lines with `\\`, `\"` and `\xNN` escapes.
fn read_dictionary(path: &Path) -> Vec<Vec<u8>> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let mut words = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let (Some(open), Some(close)) = (line.find('"'), line.rfind('"')) else {
            continue;
        };
        if close <= open {
            continue;
        }
        let quoted = &line.as_bytes()[open + 1..close];
        let mut word = Vec::new();
        let mut index = 0;
        while index < quoted.len() {
            match quoted[index] {
                b'\\' if quoted.get(index + 1) == Some(&b'x') && index + 3 < quoted.len() => {
                    let hex = std::str::from_utf8(&quoted[index + 2..index + 4]).expect("ascii");
                    word.push(u8::from_str_radix(hex, 16).expect("a hex escape"));
                    index += 4;
                }
                b'\\' if index + 1 < quoted.len() => {
                    word.push(quoted[index + 1]);
                    index += 2;
                }
                byte => {
                    word.push(byte);
                    index += 1;
                }
            }
        }
        words.push(word);
    }
    words
}

/// splitmix64: small, fast, and reproducible from `--seed`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        if bound == 0 {
            0
        } else {
            (self.next() % bound as u64) as usize
        }
    }
}

const INTERESTING: &[u8] = b"\0\xff\n\r\t \"':-#{}[]|>&*!\\/.,=\x80\xc3\xef";

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>], dictionary: &[Vec<u8>]) {
    let position = |rng: &mut Rng, input: &Vec<u8>| rng.below(input.len() + 1);
    match rng.below(12) {
        0 if !input.is_empty() => {
            let at = rng.below(input.len());
            input[at] ^= 1 << rng.below(8);
        }
        1 if !input.is_empty() => {
            let at = rng.below(input.len());
            input[at] = INTERESTING[rng.below(INTERESTING.len())];
        }
        2 | 3 if !dictionary.is_empty() => {
            let word = &dictionary[rng.below(dictionary.len())];
            let at = position(rng, input);
            input.splice(at..at, word.iter().copied());
        }
        4 if !input.is_empty() => {
            let start = rng.below(input.len());
            let end = (start + 1 + rng.below(32)).min(input.len());
            input.drain(start..end);
        }
        5 if !input.is_empty() => {
            let start = rng.below(input.len());
            let end = (start + 1 + rng.below(64)).min(input.len());
            let copy: Vec<u8> = input[start..end].to_vec();
            let at = position(rng, input);
            input.splice(at..at, copy);
        }
        6 if !corpus.is_empty() => {
            let other = &corpus[rng.below(corpus.len())];
            if !other.is_empty() {
                let start = rng.below(other.len());
                let end = (start + 1 + rng.below(256)).min(other.len());
                let at = position(rng, input);
                input.splice(at..at, other[start..end].iter().copied());
            }
        }
        7 if !input.is_empty() => input[0] = rng.next() as u8,
        8 => {
            // Every LF becomes CRLF, or every CRLF becomes LF.
            let mut output = Vec::with_capacity(input.len() + input.len() / 16);
            let to_crlf = !input.windows(2).any(|pair| pair == b"\r\n");
            for (index, &byte) in input.iter().enumerate() {
                if to_crlf && byte == b'\n' && (index == 0 || input[index - 1] != b'\r') {
                    output.push(b'\r');
                }
                if !to_crlf && byte == b'\r' && input.get(index + 1) == Some(&b'\n') {
                    continue;
                }
                output.push(byte);
            }
            *input = output;
        }
        9 if input.len() > 1 => {
            // A BOM right after the selector byte.
            input.splice(1..1, *b"\xef\xbb\xbf");
        }
        10 => {
            let characters = ["é", "✓", "日本", "🐳", "\u{2028}", "\u{85}", "\u{feff}"];
            let text = characters[rng.below(characters.len())];
            let at = position(rng, input);
            input.splice(at..at, text.bytes());
        }
        _ => {
            // A run of random bytes.
            let at = position(rng, input);
            let count = 1 + rng.below(8);
            let bytes: Vec<u8> = (0..count).map(|_| rng.next() as u8).collect();
            input.splice(at..at, bytes);
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// An input that runs longer than this is a hang: the watchdog saves it and exits.
const HANG: Duration = Duration::from_secs(10);

/// The input being checked and when it started, for the watchdog.
static CURRENT: Mutex<Option<(Instant, Vec<u8>)>> = Mutex::new(None);

fn start_watchdog(artifacts: PathBuf) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let current = CURRENT.lock().unwrap_or_else(|poison| poison.into_inner());
            if let Some((started, input)) = current.as_ref()
                && started.elapsed() > HANG
            {
                let path = save_crash(&artifacts, input);
                eprintln!(
                    "HANG: one input ran for more than {} s; saved to {}",
                    HANG.as_secs(),
                    path.display()
                );
                std::process::exit(1);
            }
        }
    });
}

fn run_one(input: &[u8]) -> Result<(), String> {
    *CURRENT.lock().unwrap_or_else(|poison| poison.into_inner()) =
        Some((Instant::now(), input.to_vec()));
    let result = panic::catch_unwind(AssertUnwindSafe(|| regshift_fuzz::check(input)));
    *CURRENT.lock().unwrap_or_else(|poison| poison.into_inner()) = None;
    result.map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|text| text.to_string()))
            .unwrap_or_else(|| "a panic".into())
    })
}

fn save_crash(artifacts: &Path, input: &[u8]) -> PathBuf {
    std::fs::create_dir_all(artifacts).expect("create the artifacts folder");
    let path = artifacts.join(format!("crash-{:016x}", fnv1a(input)));
    std::fs::write(&path, input).expect("write the crashing input");
    path
}

/// Mutate the corpus with one seed: `--runs` mutants, or until `--seconds` are up. Each seed
/// starts from the same corpus, so seeds are independent of each other's order. `Err` after
/// the first crash (saved and reported).
fn mutate_from(
    seed: u64,
    options: &Options,
    corpus: &[Vec<u8>],
    dictionary: &[Vec<u8>],
    executions: &mut u64,
) -> Result<(), ()> {
    let mut corpus = corpus.to_vec();
    let mut rng = Rng(seed);
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    let started = Instant::now();
    let mut last_report = Instant::now();
    let mut runs = 0u64;
    match options.runs {
        Some(count) => eprintln!("mutating: {count} inputs from seed {seed}"),
        None => eprintln!("mutating for {} s (seed {seed})", options.seconds),
    }
    loop {
        let more = match options.runs {
            Some(count) => runs < count,
            None => Instant::now() < deadline,
        };
        if !more {
            return Ok(());
        }
        let mut input = corpus[rng.below(corpus.len())].clone();
        for _ in 0..1 + rng.below(8) {
            mutate(&mut rng, &mut input, &corpus, dictionary);
        }
        input.truncate(options.max_len);
        runs += 1;
        *executions += 1;
        if let Err(message) = run_one(&input) {
            let path = save_crash(&options.artifacts, &input);
            eprintln!(
                "CRASH after {runs} executions from seed {seed}: {message}\n  input saved to {}\n  reproduce: cargo run --release --no-default-features --bin replay -- {}",
                path.display(),
                path.display()
            );
            return Err(());
        }
        // Keep every 64th mutant so that mutations compound; there is no coverage feedback to
        // pick better ones.
        if runs.is_multiple_of(64) && corpus.len() < 20_000 {
            corpus.push(input);
        }
        if last_report.elapsed() > Duration::from_secs(30) {
            eprintln!(
                "  {runs} executions, {:.0}/s",
                runs as f64 / started.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
    }
}

fn main() -> ExitCode {
    let options = parse_options();
    start_watchdog(options.artifacts.clone());
    let mut files = Vec::new();
    for input in &options.inputs {
        collect_files(input, &mut files);
    }
    let dictionary = options
        .dict
        .as_deref()
        .map(read_dictionary)
        .unwrap_or_default();
    // The panic message is printed by the default hook; the runner adds which input it was.
    let mut corpus: Vec<Vec<u8>> = Vec::new();
    let mut crashes = 0usize;
    let started = Instant::now();
    for file in &files {
        let Ok(bytes) = std::fs::read(file) else {
            continue;
        };
        if let Err(message) = run_one(&bytes) {
            crashes += 1;
            eprintln!("CRASH replaying {}: {message}", file.display());
        }
        if bytes.len() <= options.max_len {
            corpus.push(bytes);
        }
    }
    let replay_time = started.elapsed();
    eprintln!(
        "replayed {} inputs in {:.1} s, {crashes} crashing",
        files.len(),
        replay_time.as_secs_f64()
    );

    let mut executions = 0u64;
    if options.runs.is_some() || options.seconds > 0 {
        if corpus.is_empty() {
            corpus.push(vec![0]);
        }
        for &seed in &options.seeds {
            if mutate_from(seed, &options, &corpus, &dictionary, &mut executions).is_err() {
                crashes += 1;
                break;
            }
        }
    }
    eprintln!(
        "done: {} replayed, {executions} random executions, {crashes} crashes, {:.1} s in all",
        files.len(),
        started.elapsed().as_secs_f64()
    );
    if crashes > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
