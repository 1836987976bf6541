//! Shared helpers of the integration tests: a throw-away working directory that runs the real `mawb`
//! binary (in the style of xsv's `Workdir`), and builders for the fixtures every command reads: MAWB
//! folders (`mawb.toml`, a scan, HAWB spreadsheets in csv or xlsx), sample batches and hostile files.
//!
//! Every test module includes it with `mod common;`; not every module uses every helper, hence the
//! `allow(dead_code)`.
#![allow(dead_code)]

pub mod acp;
pub mod binary_workbooks;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary working directory, removed when dropped. `mawb()` runs the binary inside it, so relative
/// paths in arguments and default files (`mawb-state.sqlite`, `archive/`) land here.
pub struct Workdir {
    dir: tempfile::TempDir,
}

impl Default for Workdir {
    fn default() -> Self {
        Self::new()
    }
}

impl Workdir {
    pub fn new() -> Workdir {
        let dir = tempfile::Builder::new()
            .prefix("mawb-test-")
            .tempdir()
            .expect("create a temporary directory");
        Workdir { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `rel` inside the workdir (nothing is created).
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.path().join(rel)
    }

    /// Creates the folder `rel` (and its parents) and returns its path.
    pub fn mkdir(&self, rel: impl AsRef<Path>) -> PathBuf {
        let p = self.join(rel);
        fs::create_dir_all(&p).unwrap_or_else(|e| panic!("mkdir {}: {e}", p.display()));
        p
    }

    /// Writes `bytes` to `rel`, creating parent folders, and returns the path.
    pub fn write(&self, rel: impl AsRef<Path>, bytes: impl AsRef<[u8]>) -> PathBuf {
        write_file(&self.join(rel), bytes.as_ref())
    }

    pub fn read(&self, rel: impl AsRef<Path>) -> Vec<u8> {
        let p = self.join(rel);
        fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    }

    pub fn read_string(&self, rel: impl AsRef<Path>) -> String {
        String::from_utf8(self.read(rel)).expect("UTF-8 file")
    }

    /// The real `mawb` binary, run in this workdir, with a clean environment for the variables mawb reads
    /// (so a developer's own `ACP_*` or `RUST_LOG` settings cannot change what a test sees).
    pub fn mawb(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mawb"));
        cmd.current_dir(self.path());
        for var in [
            "ACP_ENDPOINT",
            "ACP_API_KEY",
            "ACP_TEST_MODE",
            "RUST_LOG",
            "RUST_BACKTRACE",
        ] {
            cmd.env_remove(var);
        }
        // The default ledger and archive live in the state folder: keep them inside the workdir.
        cmd.env("MAWB_STATE_DIR", self.path().join(".mawb-state"));
        cmd
    }

    /// Runs a command and returns its output; a process that could not start fails the test.
    pub fn run(&self, cmd: &mut Command) -> Output {
        cmd.output()
            .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
    }

    /// Runs `mawb ARGS…` in the workdir.
    pub fn run_mawb<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = self.mawb();
        cmd.args(args);
        self.run(&mut cmd)
    }

    /// Writes a sample batch of `mawbs` MAWB folders and `hawbs` items with `mawb samples` into
    /// `samples-<seed>` (xlsx and csv alternating) and returns the batch folder.
    pub fn samples(&self, mawbs: usize, hawbs: usize, seed: u64) -> PathBuf {
        self.samples_with(mawbs, hawbs, seed, &[])
    }

    /// Like [`Workdir::samples`], with extra `mawb samples` flags (`--formats csv`, `--label 1`…).
    pub fn samples_with(&self, mawbs: usize, hawbs: usize, seed: u64, extra: &[&str]) -> PathBuf {
        let out = self.join(format!("samples-{seed}"));
        let o = self.run_mawb(
            [
                "samples".to_string(),
                out.display().to_string(),
                "--mawbs".into(),
                mawbs.to_string(),
                "--hawbs".into(),
                hawbs.to_string(),
                "--seed".into(),
                seed.to_string(),
            ]
            .into_iter()
            .chain(extra.iter().map(|s| s.to_string())),
        );
        assert_eq!(
            o.status.code(),
            Some(0),
            "mawb samples failed\nstdout:\n{}\nstderr:\n{}",
            stdout(&o),
            stderr(&o)
        );
        out
    }

    /// The MAWB subfolders of a batch folder, sorted by name.
    pub fn mawb_dirs(&self, batch: &Path) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = fs::read_dir(batch)
            .expect("list the batch")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        dirs
    }

    /// A complete MAWB folder `rel`: `mawb.toml` (number "112-44995451"), `mawb.pdf`, and `sheet` as
    /// `hawbs.csv`. Returns the folder.
    pub fn mawb_folder(&self, rel: impl AsRef<Path>, sheet: &Sheet) -> PathBuf {
        let dir = self.mkdir(rel);
        write_mawb_toml(&dir, VALID_MAWB);
        write_pdf(&dir);
        sheet.write_csv(&dir, "hawbs.csv");
        dir
    }
}

/// stdout as text (lossy).
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text (lossy).
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The exit code; a process killed by a signal fails the test (a crash is never an answer).
pub fn exit_code(o: &Output) -> i32 {
    match o.status.code() {
        Some(c) => c,
        None => panic!(
            "mawb was killed by a signal ({:?})\nstderr:\n{}",
            o.status,
            stderr(o)
        ),
    }
}

/// Fails when the process panicked or crashed.
pub fn assert_no_panic(o: &Output) {
    let err = stderr(o);
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "mawb panicked:\n{err}"
    );
    exit_code(o);
}

/// Asserts the exit code (and that there was no panic), showing both streams when it differs.
pub fn assert_exit(o: &Output, expected: i32) {
    assert_no_panic(o);
    assert_eq!(
        exit_code(o),
        expected,
        "unexpected exit code\nstdout:\n{}\nstderr:\n{}",
        stdout(o),
        stderr(o)
    );
}

/// A MAWB number with a right check digit (4499545 mod 7 = 1).
pub const VALID_MAWB: &str = "112-44995451";

/// The text of a valid `mawb.toml` for `number`, with `extra` top-level lines (e.g. `label = 1`) before the
/// one LAX → JFK leg.
pub fn mawb_toml_text(number: &str, extra: &str) -> String {
    format!(
        r#"manifest_number = "{number}"
{extra}

[[leg]]
departure = "LAX"
departure_date = "2026-11-24T10:00:00-08:00"
arrival = "JFK"
arrival_date = "2026-11-24T18:40:00-05:00"
carrier = "AA"
trip = "123"
"#
    )
}

/// Writes a valid `mawb.toml` (one leg LAX → JFK, carrier AA, trip 123) into `dir`.
pub fn write_mawb_toml(dir: &Path, number: &str) -> PathBuf {
    write_file(
        &dir.join("mawb.toml"),
        mawb_toml_text(number, "").as_bytes(),
    )
}

/// Writes a `mawb.toml` with `extra` top-level keys (see [`mawb_toml_text`]).
pub fn write_mawb_toml_with(dir: &Path, number: &str, extra: &str) -> PathBuf {
    write_file(
        &dir.join("mawb.toml"),
        mawb_toml_text(number, extra).as_bytes(),
    )
}

/// A tiny but real one-page PDF.
pub const TINY_PDF: &[u8] = b"%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj
trailer << /Root 1 0 R >>
%%EOF
";

/// Writes [`TINY_PDF`] as `dir/mawb.pdf`.
pub fn write_pdf(dir: &Path) -> PathBuf {
    write_file(&dir.join("mawb.pdf"), TINY_PDF)
}

/// Writes a csv (RFC 4180 quoting where needed, `\n` line ends) and returns its path.
pub fn write_csv(dir: &Path, name: &str, rows: &[&[&str]]) -> PathBuf {
    write_file(&dir.join(name), csv_text(rows, "\n").as_bytes())
}

/// The csv text of `rows` with the given line end.
pub fn csv_text<R: AsRef<[S]>, S: AsRef<str>>(rows: &[R], line_end: &str) -> String {
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .as_ref()
            .iter()
            .map(|c| {
                let c = c.as_ref();
                if c.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.to_string()
                }
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str(line_end);
    }
    out
}

/// One cell of an xlsx fixture.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Blank,
    /// A formula with its cached result, e.g. `("=NA()", "#N/A")`.
    Formula(String, String),
    /// A number with a number format, e.g. `(2118.0, "00000")` or `(46024.0, "d-mmm")`.
    Formatted(f64, String),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        if s.is_empty() {
            Cell::Blank
        } else {
            Cell::Text(s.to_string())
        }
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::from(s.as_str())
    }
}

impl From<f64> for Cell {
    fn from(f: f64) -> Cell {
        Cell::Number(f)
    }
}

/// Writes a one-sheet ("Sheet1") xlsx of text cells and returns its path.
pub fn write_xlsx(dir: &Path, name: &str, rows: &[&[&str]]) -> PathBuf {
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| r.iter().map(|c| Cell::from(*c)).collect())
        .collect();
    write_xlsx_sheets(dir, name, &[("Sheet1", cells)])
}

/// Writes an xlsx with the given sheets (name, rows of cells) and returns its path.
pub fn write_xlsx_sheets(dir: &Path, name: &str, sheets: &[(&str, Vec<Vec<Cell>>)]) -> PathBuf {
    write_xlsx_hiding(dir, name, sheets, &[], &[])
}

/// Writes an xlsx like [`write_xlsx_sheets`], with the named sheets hidden and the given rows (as the
/// user numbers them) hidden in every sheet.
pub fn write_xlsx_hiding(
    dir: &Path,
    name: &str,
    sheets: &[(&str, Vec<Vec<Cell>>)],
    hidden_sheets: &[&str],
    hidden_rows: &[u32],
) -> PathBuf {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (sheet_name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*sheet_name).expect("sheet name");
        if hidden_sheets.contains(sheet_name) {
            ws.set_hidden(true);
        }
        for r in hidden_rows {
            ws.set_row_hidden(r - 1).expect("hide a row");
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    Cell::Text(t) => {
                        ws.write_string(r, c, t).expect("write a string cell");
                    }
                    Cell::Number(f) => {
                        ws.write_number(r, c, *f).expect("write a number cell");
                    }
                    Cell::Blank => {}
                    Cell::Formatted(f, code) => {
                        let format = rust_xlsxwriter::Format::new().set_num_format(code);
                        ws.write_number_with_format(r, c, *f, &format)
                            .expect("write a formatted number");
                    }
                    Cell::Formula(f, result) => {
                        ws.write_formula(
                            r,
                            c,
                            rust_xlsxwriter::Formula::new(f.as_str()).set_result(result.as_str()),
                        )
                        .expect("write a formula cell");
                    }
                }
            }
        }
    }
    let path = dir.join(name);
    fs::create_dir_all(dir).expect("create the folder");
    wb.save(&path)
        .unwrap_or_else(|e| panic!("save {}: {e}", path.display()));
    path
}

/// The text of one entry of a zip file (xlsx).
pub fn unzip_entry(path: &Path, entry: &str) -> String {
    use std::io::Read;
    let mut archive =
        zip::ZipArchive::new(fs::File::open(path).expect("open the zip")).expect("a zip");
    let mut text = String::new();
    archive
        .by_name(entry)
        .expect("the entry")
        .read_to_string(&mut text)
        .expect("UTF-8 entry");
    text
}

/// Rewrites one entry of a zip file (xlsx) through `edit`, keeping every other entry as it is.
pub fn rewrite_zip_entry(path: &Path, entry: &str, edit: impl Fn(String) -> String) {
    use std::io::Read;
    let bytes = fs::read(path).expect("read the zip");
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("open the zip to rewrite");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut found = false;
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).expect("zip entry");
        let name = f.name().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).expect("read a zip entry");
        if name == entry {
            found = true;
            let text = String::from_utf8(data).expect("entry is UTF-8 XML");
            data = edit(text).into_bytes();
        }
        out.start_file(name, opts).expect("start a zip entry");
        out.write_all(&data).expect("write a zip entry");
    }
    assert!(found, "{} has no entry {entry}", path.display());
    let cursor = out.finish().expect("finish the zip");
    fs::write(path, cursor.into_inner()).expect("write the zip back");
}

/// Writes a zip whose entry `xl/worksheets/sheet1.xml` inflates to `inflated` bytes of zeros, next to a
/// small `xl/workbook.xml` (so it is recognised as a workbook). Zeros are streamed in 1 MiB chunks, so
/// neither memory nor disk hold more than the compressed archive (about 1/1000 of `inflated`).
pub fn write_zip_bomb(path: &Path, inflated: u64) -> PathBuf {
    let file = fs::File::create(path).expect("create the zip bomb");
    let mut zw = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .large_file(inflated >= u32::MAX as u64);
    zw.start_file("[Content_Types].xml", opts).unwrap();
    zw.write_all(b"<?xml version=\"1.0\"?><Types/>").unwrap();
    zw.start_file("xl/workbook.xml", opts).unwrap();
    zw.write_all(b"<?xml version=\"1.0\"?><workbook><sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>").unwrap();
    zw.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    let chunk = vec![0u8; 1 << 20];
    let mut left = inflated;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        zw.write_all(&chunk[..n]).unwrap();
        left -= n as u64;
    }
    let mut w = zw.finish().expect("finish the zip bomb");
    w.flush().unwrap();
    path.to_path_buf()
}

/// Writes a real HAWB workbook whose worksheet holds the header and then the same valid data row `rows`
/// times: a zip bomb made of well-formed XML (about 350 bytes per row inflated, 1000:1 compressed),
/// streamed so the test holds neither the XML nor the archive in memory.
pub fn write_xlsx_bomb(path: &Path, rows: u64) -> PathBuf {
    use std::io::Read;
    let template = tempfile::tempdir().expect("temp dir");
    let small = Sheet::hawbs(1, 1).write_xlsx(template.path(), "t.xlsx");
    let mut archive = zip::ZipArchive::new(fs::File::open(small).unwrap()).unwrap();
    let file = fs::File::create(path).expect("create the xlsx bomb");
    let mut zw = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .large_file(false);
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let name = f.name().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        zw.start_file(name.as_str(), opts).unwrap();
        if name != "xl/worksheets/sheet1.xml" {
            zw.write_all(&data).unwrap();
            continue;
        }
        // Header row as written, then row 2 repeated with its cell references (r="…") dropped, which
        // spreadsheet readers then number in sequence.
        let xml = String::from_utf8(data).unwrap();
        let start = xml.find("<sheetData>").expect("sheetData") + "<sheetData>".len();
        let end1 = start + xml[start..].find("</row>").unwrap() + "</row>".len();
        let end2 = end1 + xml[end1..].find("</row>").unwrap() + "</row>".len();
        let mut row = String::new();
        let mut rest = &xml[end1..end2];
        while let Some(p) = rest.find(" r=\"") {
            row.push_str(&rest[..p]);
            let q = rest[p + 4..].find('"').unwrap();
            rest = &rest[p + 4 + q + 1..];
        }
        row.push_str(rest);
        zw.write_all(&xml.as_bytes()[..end1]).unwrap();
        let block = row.repeat(1000);
        for _ in 0..rows / 1000 {
            zw.write_all(block.as_bytes()).unwrap();
        }
        for _ in 0..rows % 1000 {
            zw.write_all(row.as_bytes()).unwrap();
        }
        zw.write_all(b"</sheetData></worksheet>").unwrap();
    }
    let mut w = zw.finish().expect("finish the xlsx bomb");
    w.flush().unwrap();
    path.to_path_buf()
}

/// Patches every local and central zip header of `path` to claim `size` uncompressed bytes: a zip bomb
/// that lies about its size (the data and CRCs stay as they are).
pub fn falsify_uncompressed_sizes(path: &Path, size: u32) {
    let mut b = fs::read(path).expect("read the zip");
    let mut i = 0;
    while i + 30 <= b.len() {
        match &b[i..i + 4] {
            [0x50, 0x4b, 0x03, 0x04] => b[i + 22..i + 26].copy_from_slice(&size.to_le_bytes()),
            [0x50, 0x4b, 0x01, 0x02] => b[i + 24..i + 28].copy_from_slice(&size.to_le_bytes()),
            _ => {}
        }
        i += 1;
    }
    fs::write(path, b).expect("write the zip back");
}

/// Writes `bytes` to `path`, creating its parent folders.
pub fn write_file(path: &Path, bytes: &[u8]) -> PathBuf {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir {}: {e}", parent.display()));
    }
    fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path.to_path_buf()
}

/// The columns of [`Sheet::hawbs`]: every required column plus email, state and unitValue.
pub const HAWB_COLUMNS: &[&str] = &[
    "trackingNumber",
    "shipperItemId",
    "consigneeName",
    "consigneeAddress1",
    "consigneeCity",
    "consigneeState",
    "consigneeZip",
    "consigneeCountry",
    "consigneeEmail",
    "value",
    "currency",
    "weight",
    "weightUnit",
    "productDescription",
    "hts",
    "quantity",
    "unitValue",
];

/// A HAWB table as text: a header row and data rows, edited column by name, written as csv or xlsx.
/// Data row `i` (0-based) is spreadsheet row `i + 2` (the header is row 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Sheet {
    /// A header only.
    pub fn with_header(cols: &[&str]) -> Sheet {
        Sheet {
            header: cols.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// `n` valid one-product items (1 kg, 10.00 USD each), tracking numbers `TN<first…>` and shipper
    /// item ids `SI<first…>`, so batches built from distinct `first` values never collide.
    pub fn hawbs(first: usize, n: usize) -> Sheet {
        let mut s = Sheet::with_header(HAWB_COLUMNS);
        for i in first..first + n {
            s.push(&[
                ("trackingNumber", &format!("TN{i:08}")),
                ("shipperItemId", &format!("SI{i:08}")),
                ("consigneeName", "Ann Lee"),
                ("consigneeAddress1", "1 Main St"),
                ("consigneeCity", "Boston"),
                ("consigneeState", "MA"),
                ("consigneeZip", "02134"),
                ("consigneeCountry", "US"),
                ("consigneeEmail", "ann@example.com"),
                ("value", "10.00"),
                ("currency", "USD"),
                ("weight", "1"),
                ("weightUnit", "kg"),
                ("productDescription", "Paperback book"),
                ("hts", "4901.99"),
                ("quantity", "1"),
                ("unitValue", "10.00"),
            ]);
        }
        s
    }

    /// The index of column `col`, added (blank in every row) when missing.
    pub fn col(&mut self, col: &str) -> usize {
        match self.header.iter().position(|h| h == col) {
            Some(i) => i,
            None => {
                self.header.push(col.to_string());
                for r in &mut self.rows {
                    r.push(String::new());
                }
                self.header.len() - 1
            }
        }
    }

    /// Appends a data row from (column, value) pairs; other columns stay blank.
    pub fn push(&mut self, cells: &[(&str, &str)]) -> &mut Sheet {
        let mut row = vec![String::new(); self.header.len()];
        for (c, v) in cells {
            let i = self.col(c);
            if row.len() <= i {
                row.resize(i + 1, String::new());
            }
            row[i] = v.to_string();
        }
        self.rows.push(row);
        self
    }

    /// Sets a cell of data row `row` (0-based), adding the column when missing.
    pub fn set(&mut self, row: usize, col: &str, value: &str) -> &mut Sheet {
        let i = self.col(col);
        self.rows[row][i] = value.to_string();
        self
    }

    /// Removes a column.
    pub fn drop_col(&mut self, col: &str) -> &mut Sheet {
        if let Some(i) = self.header.iter().position(|h| h == col) {
            self.header.remove(i);
            for r in &mut self.rows {
                r.remove(i);
            }
        }
        self
    }

    /// Renames a header cell (the data stay).
    pub fn rename(&mut self, from: &str, to: &str) -> &mut Sheet {
        let i = self
            .header
            .iter()
            .position(|h| h == from)
            .unwrap_or_else(|| panic!("no column {from}"));
        self.header[i] = to.to_string();
        self
    }

    /// Header and data rows.
    pub fn all_rows(&self) -> Vec<Vec<String>> {
        std::iter::once(self.header.clone())
            .chain(self.rows.iter().cloned())
            .collect()
    }

    pub fn csv_text(&self, line_end: &str) -> String {
        csv_text(&self.all_rows(), line_end)
    }

    pub fn write_csv(&self, dir: &Path, name: &str) -> PathBuf {
        write_file(&dir.join(name), self.csv_text("\n").as_bytes())
    }

    /// The table (header included) as text cells, for the workbook writers.
    pub fn cells(&self) -> Vec<Vec<Cell>> {
        self.all_rows()
            .into_iter()
            .map(|r| r.into_iter().map(Cell::from).collect())
            .collect()
    }

    /// Writes the table as a one-sheet xlsx of text cells.
    pub fn write_xlsx(&self, dir: &Path, name: &str) -> PathBuf {
        write_xlsx_sheets(dir, name, &[("Sheet1", self.cells())])
    }
}

/// Runs `mawb check --json - ARGS…` and parses the report.
pub fn check_json<S: AsRef<str>>(wd: &Workdir, args: &[S]) -> (Output, serde_json::Value) {
    let mut cmd = wd.mawb();
    cmd.args(["check", "--json", "-"]);
    cmd.args(args.iter().map(|a| a.as_ref()));
    let o = wd.run(&mut cmd);
    assert_no_panic(&o);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "--json - is not JSON ({e})\nstdout:\n{}\nstderr:\n{}",
            stdout(&o),
            stderr(&o)
        )
    });
    (o, v)
}

/// Every problem of a report: the path problems, then each MAWB's.
pub fn all_problems(report: &serde_json::Value) -> Vec<serde_json::Value> {
    let mut out: Vec<serde_json::Value> =
        report["problems"].as_array().cloned().unwrap_or_default();
    for m in report["mawbs"].as_array().into_iter().flatten() {
        out.extend(m["problems"].as_array().cloned().unwrap_or_default());
    }
    out
}

/// The problems of a report with the given code.
pub fn problems_with(report: &serde_json::Value, code: &str) -> Vec<serde_json::Value> {
    all_problems(report)
        .into_iter()
        .filter(|p| p["code"] == code)
        .collect()
}

/// `code @ file sheet row column` of every problem, for assertion messages.
pub fn problem_lines(report: &serde_json::Value) -> String {
    all_problems(report)
        .iter()
        .map(|p| {
            format!(
                "{} @ {} {} {} {}: {}",
                p["code"], p["file"], p["sheet"], p["row"], p["column"], p["message"]
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An in-process ACP sandbox on 127.0.0.1 (free port, in-memory state) accepting `api_key`; stopped when
/// the handle is dropped. Point `mawb` at it with `ACP_ENDPOINT=handle.endpoint()`.
pub fn start_sandbox(api_key: &str) -> mawb::sandbox::SandboxHandle {
    mawb::sandbox::start(mawb::sandbox::SandboxConfig::local(api_key))
        .unwrap_or_else(|e| panic!("cannot start the sandbox: {e}"))
}

/// `GET` an admin path (`_admin/objects`) of the sandbox at `endpoint`, as text.
pub fn sandbox_admin_get(endpoint: &str, path: &str) -> String {
    let url = format!("{endpoint}{}", path.trim_start_matches('/'));
    ureq::get(&url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .into_string()
        .unwrap_or_else(|e| panic!("GET {url}: unreadable body: {e}"))
}

/// `GET` an admin path answering JSON.
pub fn sandbox_admin_json(endpoint: &str, path: &str) -> serde_json::Value {
    let text = sandbox_admin_get(endpoint, path);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON ({e}): {text}"))
}

/// `POST` a JSON body to an admin path (`_admin/faults` with `["createMailing:http500"]`).
pub fn sandbox_admin_post(endpoint: &str, path: &str, json_body: &str) {
    let url = format!("{endpoint}{}", path.trim_start_matches('/'));
    ureq::post(&url)
        .set("Content-Type", "application/json")
        .send_string(json_body)
        .unwrap_or_else(|e| panic!("POST {url} {json_body}: {e}"));
}

/// `DELETE` an admin path (`_admin/faults`).
pub fn sandbox_admin_delete(endpoint: &str, path: &str) {
    let url = format!("{endpoint}{}", path.trim_start_matches('/'));
    ureq::delete(&url)
        .call()
        .unwrap_or_else(|e| panic!("DELETE {url}: {e}"));
}

/// The sandbox's request log (`GET /_admin/requests`), one JSON object per API request.
pub fn sandbox_requests(endpoint: &str) -> Vec<serde_json::Value> {
    sandbox_admin_get(endpoint, "_admin/requests")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("request log line ({e}): {l}")))
        .collect()
}

/// How many logged sandbox requests were `command`.
pub fn sandbox_count(requests: &[serde_json::Value], command: &str) -> usize {
    requests.iter().filter(|r| r["command"] == command).count()
}

/// Polls `probe` every 50 ms until it gives a value, failing after `timeout` with `what` (a generous
/// upper bound, never a timing assertion).
pub fn eventually<T>(
    timeout: std::time::Duration,
    what: &str,
    mut probe: impl FnMut() -> Option<T>,
) -> T {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        if std::time::Instant::now() >= deadline {
            panic!("gave up after {timeout:?} waiting for: {what}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Writes a minimal OpenDocument spreadsheet: one sheet of text cells (`Cell::Number` as float cells),
/// with the given rows (as the user numbers them) collapsed (hidden).
pub fn write_ods(dir: &Path, name: &str, rows: &[Vec<Cell>], hidden_rows: &[u32]) -> PathBuf {
    write_ods_hiding(dir, name, rows, hidden_rows, &[])
}

/// [`write_ods`] with the given columns (0-based) collapsed (hidden) too.
pub fn write_ods_hiding(
    dir: &Path,
    name: &str,
    rows: &[Vec<Cell>],
    hidden_rows: &[u32],
    hidden_columns: &[usize],
) -> PathBuf {
    use std::fmt::Write as _;
    let esc = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut content = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:body><office:spreadsheet><table:table table:name="Sheet1">"#,
    );
    for c in 0..rows.iter().map(Vec::len).max().unwrap_or(0) {
        content.push_str(if hidden_columns.contains(&c) {
            r#"<table:table-column table:visibility="collapse"/>"#
        } else {
            "<table:table-column/>"
        });
    }
    for (i, row) in rows.iter().enumerate() {
        let hidden = hidden_rows.contains(&(i as u32 + 1));
        content.push_str(if hidden {
            r#"<table:table-row table:visibility="collapse">"#
        } else {
            "<table:table-row>"
        });
        for cell in row {
            match cell {
                Cell::Text(t) => {
                    let _ = write!(
                        content,
                        r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
                        esc(t)
                    );
                }
                // An ods cell has a value type, not a format code: `percentage`, or a currency code
                // (`EUR`) for a currency cell; any other code is a float.
                Cell::Formatted(f, code) if code == "percentage" => {
                    let _ = write!(
                        content,
                        r#"<table:table-cell office:value-type="percentage" office:value="{f}"><text:p>{}%</text:p></table:table-cell>"#,
                        f * 100.0
                    );
                }
                Cell::Formatted(f, code)
                    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) =>
                {
                    let _ = write!(
                        content,
                        r#"<table:table-cell office:value-type="currency" office:currency="{code}" office:value="{f}"><text:p>{f} {code}</text:p></table:table-cell>"#
                    );
                }
                Cell::Number(f) | Cell::Formatted(f, _) => {
                    let _ = write!(
                        content,
                        r#"<table:table-cell office:value-type="float" office:value="{f}"><text:p>{f}</text:p></table:table-cell>"#
                    );
                }
                // A formula as a program writes it: without a stored result unless one is given.
                Cell::Formula(formula, result) if result.is_empty() => {
                    let _ = write!(
                        content,
                        r#"<table:table-cell table:formula="of:{}"/>"#,
                        esc(formula)
                    );
                }
                Cell::Formula(formula, result) => {
                    let _ = write!(
                        content,
                        r#"<table:table-cell table:formula="of:{}" office:value-type="float" office:value="{}"><text:p>{}</text:p></table:table-cell>"#,
                        esc(formula),
                        esc(result),
                        esc(result)
                    );
                }
                Cell::Blank => content.push_str("<table:table-cell/>"),
            }
        }
        content.push_str("</table:table-row>");
    }
    content.push_str("</table:table></office:spreadsheet></office:body></office:document-content>");
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    fs::create_dir_all(dir).expect("create the folder");
    let path = dir.join(name);
    let file = fs::File::create(&path).expect("create the ods");
    let mut z = zip::ZipWriter::new(file);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    z.start_file("mimetype", stored).expect("mimetype");
    z.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .expect("write mimetype");
    let deflated = zip::write::SimpleFileOptions::default();
    z.start_file("META-INF/manifest.xml", deflated)
        .expect("manifest");
    z.write_all(manifest.as_bytes()).expect("write manifest");
    z.start_file("content.xml", deflated).expect("content");
    z.write_all(content.as_bytes()).expect("write content");
    z.finish().expect("finish the ods");
    path
}
