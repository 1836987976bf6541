use super::*;

fn touch(p: &Path, bytes: &[u8]) {
    if let Some(d) = p.parent() {
        fs::create_dir_all(d).unwrap();
    }
    fs::write(p, bytes).unwrap();
}

#[test]
fn marker_and_in_flight_files_decide_readiness() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("m");
    touch(&d.join("mawb.toml"), b"x");
    let s = Snapshot::of(&d).unwrap();
    assert!(!s.ready_by_marker());
    assert!(s.settleable());
    touch(&d.join("hawbs.csv.part"), b"half");
    let s = Snapshot::of(&d).unwrap();
    assert!(!s.settleable());
    touch(&d.join("READY"), b"");
    let s = Snapshot::of(&d).unwrap();
    assert!(s.marker);
    assert!(
        !s.ready_by_marker(),
        "a .part file holds a READY folder back"
    );
    fs::remove_file(d.join("hawbs.csv.part")).unwrap();
    assert!(Snapshot::of(&d).unwrap().ready_by_marker());
}

#[test]
fn rsync_winscp_and_browser_partial_files_hold_a_ready_folder_back() {
    for partial in [
        ".hawbs-2.xlsx.Xy12Ab",
        ".mawb.pdf.a1B2c3",
        "hawbs.csv.filepart",
        "hawbs.xlsx.partial",
    ] {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("m");
        touch(&d.join("READY"), b"");
        touch(&d.join("mawb.toml"), b"x");
        touch(&d.join("hawbs-1.xlsx"), b"x");
        touch(&d.join(partial), b"half");
        let s = Snapshot::of(&d).unwrap();
        assert!(!s.ready_by_marker(), "{partial}");
        assert!(!s.settleable(), "{partial}");
        fs::remove_file(d.join(partial)).unwrap();
        assert!(Snapshot::of(&d).unwrap().ready_by_marker(), "{partial}");
    }
    for not_partial in [".DS_Store", ".hidden", "hawbs.2024.xlsx", ".x.abcde"] {
        assert!(!is_in_flight_name(not_partial), "{not_partial}");
    }
}

#[test]
fn temp_files_alone_never_make_a_folder_settleable() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("m");
    touch(&d.join(".DS_Store"), b"x");
    touch(&d.join("~$hawbs.xlsx"), b"x");
    let s = Snapshot::of(&d).unwrap();
    assert_eq!(s.data_files, 0);
    assert!(!s.settleable());
    fs::remove_file(d.join("~$hawbs.xlsx")).unwrap();
    assert!(!Snapshot::of(&d).unwrap().settleable());
}

#[test]
fn a_change_to_a_hidden_temp_file_is_a_change() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("m");
    touch(&d.join("mawb.toml"), b"x");
    touch(&d.join(".hawbs.csv.Ab12"), b"1");
    let a = Snapshot::of(&d).unwrap();
    touch(&d.join(".hawbs.csv.Ab12"), b"12");
    let b = Snapshot::of(&d).unwrap();
    assert_ne!(a, b);
    assert_eq!(a.data_files, b.data_files);
}

#[test]
fn a_copy_with_preserved_mtimes_still_looks_new() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("m");
    touch(&d.join("hawbs.csv"), b"x");
    let old = SystemTime::now() - Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(d.join("hawbs.csv"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    let s = Snapshot::of(&d).unwrap();
    let age = SystemTime::now()
        .duration_since(s.newest.unwrap())
        .unwrap_or_default();
    assert!(age < Duration::from_secs(60), "{age:?}");
}

#[test]
fn names_clash_into_numbered_suffixes() {
    let t = tempfile::tempdir().unwrap();
    assert_eq!(
        unique_destination(t.path(), "A").unwrap(),
        t.path().join("A")
    );
    fs::create_dir(t.path().join("A")).unwrap();
    fs::create_dir(t.path().join("A.1")).unwrap();
    assert_eq!(
        unique_destination(t.path(), "A").unwrap(),
        t.path().join("A.2")
    );
    let e = move_folder(&t.path().join("A"), &t.path().join("A.1")).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
}

#[test]
fn retry_delays_double_and_are_capped() {
    let mut c = WatchConfig::new("/x");
    c.retry_min = Duration::from_secs(10);
    c.retry_max = Duration::from_secs(60);
    assert_eq!(c.retry_delay(1), Duration::from_secs(10));
    assert_eq!(c.retry_delay(2), Duration::from_secs(20));
    assert_eq!(c.retry_delay(3), Duration::from_secs(40));
    assert_eq!(c.retry_delay(4), Duration::from_secs(60));
    assert_eq!(c.retry_delay(40), Duration::from_secs(60));
}
