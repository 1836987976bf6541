use super::*;

fn entry(id: &str, name: &str, aliases: &[&str], source: &str) -> Entry {
    let mut names = vec![name.to_string()];
    names.extend(aliases.iter().map(|a| a.to_string()));
    Entry {
        id: id.into(),
        name: name.into(),
        source: source.into(),
        names,
    }
}

fn list() -> ScreeningList {
    ScreeningList::from_entries(
        Path::new("csl.csv"),
        vec![
            entry(
                "e1",
                "ACME WIDGETS LTD",
                &["Acme W"],
                "Entity List (EL) - Bureau of Industry and Security",
            ),
            entry(
                "e2",
                "PETROV, Vasiliy",
                &["PETROFF, V.", "Vasily Petrov"],
                "Specially Designated Nationals (SDN) - Treasury Department",
            ),
            entry(
                "e3",
                "Mohammed Al Hassan Trading Co.",
                &[],
                "Specially Designated Nationals (SDN) - Treasury Department",
            ),
            entry(
                "e4",
                "Ann Lee",
                &[],
                "Denied Persons List (DPL) - Bureau of Industry and Security",
            ),
        ],
    )
    .expect("a list")
}

fn hits(list: &ScreeningList, name: &str) -> Vec<(String, f64)> {
    let key = normalize::key(name);
    screen_names(list, std::iter::once(key.as_str()), DEFAULT_THRESHOLD)
        .into_iter()
        .flat_map(|(_, h)| h)
        .map(|h| (list.entries[h.entry as usize].id.clone(), h.score))
        .collect()
}

#[test]
fn word_order_case_accents_and_suffixes_do_not_hide_a_party() {
    let l = list();
    for (name, id) in [
        ("Acme Widgets, Inc.", "e1"),
        ("acme widgets l.l.c.", "e1"),
        ("Vasiliy Petrov", "e2"),
        ("Vasily Petrov", "e2"),
        ("PETRÓV VASILIY", "e2"),
        ("Lee, Ann", "e4"),
        ("Mohammed Al-Hassan Trading Company", "e3"),
        ("Mohamed Al Hassan Trading", "e3"),
    ] {
        let found = hits(&l, name);
        assert!(found.iter().any(|(i, _)| i == id), "{name}: {found:?}");
    }
}

#[test]
fn a_shared_first_name_or_surname_alone_is_not_a_hit() {
    let l = list();
    for name in [
        "Ann Smith",
        "Anna Lopez",
        "Lee Trading",
        "Petra Vasquez",
        "Acme",
        "Mohammed Ali",
        "Hassan Trading Post",
        "Blue Harbor Trading Co.",
        "",
    ] {
        assert!(hits(&l, name).is_empty(), "{name}: {:?}", hits(&l, name));
    }
}

#[test]
fn scores_are_symmetric_and_order_free() {
    assert_eq!(index::score(&["ann", "lee"], &["lee", "ann"]), 1.0);
    let a = index::score(&["vasiliy", "petrov"], &["vasily", "petrov"]);
    let b = index::score(&["vasily", "petrov"], &["vasiliy", "petrov"]);
    assert!((a - b).abs() < 1e-12 && a > 0.95, "{a} {b}");
    assert!(index::score(&["ann"], &["ann", "lee", "trading"]) < 0.7);
    assert_eq!(index::score::<&str, &str>(&[], &[]), 0.0);
}

#[test]
fn the_allow_list_clears_a_reviewed_pair_only() {
    let mut allow = AllowList::default();
    allow.allow("LEE, Ann", "e4");
    assert!(allow.allows(&normalize::key("Ann Lee"), "e4"));
    assert!(!allow.allows(&normalize::key("Ann Lee"), "e1"));
    assert!(!allow.allows(&normalize::key("Ann Leeds"), "e4"));
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

#[test]
fn reads_the_consolidated_screening_list_as_published() {
    let dir = tempfile::tempdir().expect("tempdir");
    let header = "_id,source,entity_number,type,programs,name,title,addresses,federal_register_notice,start_date,end_date,standard_order,license_requirement,license_policy,call_sign,vessel_type,gross_tonnage,gross_registered_tonnage,vessel_flag,vessel_owner,remarks,source_list_url,alt_names,citizenships,dates_of_birth,nationalities,places_of_birth,source_information_url,ids";
    let text = format!(
        "\u{feff}{header}\n\
         e5a9eff6,Denied Persons List (DPL) - Bureau of Industry and Security,,,,MICKEY MOUSE,,\"123 S. TEST DRIVE, SCOTTSDALE, AZ, 85251\",82 F.R. 48792,2017-10-18,2020-10-15,Y,,,,,,,,,FR NOTICE ADDED,http://example.gov,\"M. MOUSE; MOUSE, MICKEY\",,,,,,\n\
         ab12,Entity List (EL) - Bureau of Industry and Security,,,,,,,,,,,,,,,,,,,,,,,,,,,\n"
    );
    let p = write(dir.path(), "consolidated.csv", &text);
    let l = ScreeningList::load(&p).expect("loads");
    assert_eq!(l.entries.len(), 1, "a row without a name is skipped");
    let e = &l.entries[0];
    assert_eq!(e.id, "e5a9eff6");
    assert_eq!(e.names, ["MICKEY MOUSE", "M. MOUSE", "MOUSE, MICKEY"]);
    assert!(e.source.starts_with("Denied Persons List"));
    assert_eq!(hits(&l, "Mickey Mouse").len(), 1);
}

#[test]
fn unusable_files_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.csv");
    let e = ScreeningList::load(&missing).unwrap_err().to_string();
    assert!(e.contains("nope.csv") && e.contains("cannot read"), "{e}");
    let p = write(dir.path(), "noname.csv", "id,title\n1,x\n");
    let e = ScreeningList::load(&p).unwrap_err().to_string();
    assert!(
        e.contains("no name column") && e.contains("id, title"),
        "{e}"
    );
    let p = write(dir.path(), "empty.csv", "name,source\n,x\n");
    let e = ScreeningList::load(&p).unwrap_err().to_string();
    assert!(e.contains("no name"), "{e}");
    let p = write(dir.path(), "allow.csv", "who,when\nx,y\n");
    let e = AllowList::load(&p).unwrap_err().to_string();
    assert!(e.contains("no name column"), "{e}");
}

#[test]
fn allow_list_files_are_read_with_comments_and_extra_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(
        dir.path(),
        "allow.csv",
        "# reviewed 2026-11-30\nname,entry_id,reviewed_by,note\n\"Lee, Ann\",e4,J. Doe,customer since 2019\n",
    );
    let a = AllowList::load(&p).expect("loads");
    assert!(a.allows(&normalize::key("ANN LEE"), "e4"));
}
