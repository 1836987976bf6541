use super::*;
use crate::ingest::numfmt::Shown;

const NS: &str = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" xmlns:loext="urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0""#;

/// The styles of `automatic` (as LibreOffice writes them in `content.xml`) and of `named` (`styles.xml`).
fn styles(named: &str, automatic: &str) -> OdsStyles {
    let mut s = OdsStyles::default();
    let styles_xml =
        format!("<office:document-styles {NS}><office:styles>{named}</office:styles></office:document-styles>");
    let content = format!(
        "<office:document-content {NS}><office:automatic-styles>{automatic}</office:automatic-styles>\
         <office:body><style:style style:name=\"late\" style:family=\"table-cell\" style:data-style-name=\"N9\"/></office:body></office:document-content>"
    );
    s.read_part(styles_xml.as_bytes()).expect("styles.xml");
    s.read_part(content.as_bytes()).expect("content.xml");
    s
}

fn cell_style(name: &str, data: &str) -> String {
    format!(
        r#"<style:style style:name="{name}" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="{data}"/>"#
    )
}

/// The format of a cell of style `ce1`, whose data style is `data` (an element named `N1`).
fn format_under(data: &str) -> NumFmt {
    styles("", &format!("{data}{}", cell_style("ce1", "N1"))).format_of(Some("ce1"))
}

#[test]
fn number_styles_become_the_format_codes_that_show_the_same_text() {
    for (number, code) in [
        (
            r#"<number:number number:decimal-places="2" number:min-integer-digits="1"/>"#,
            "0.00",
        ),
        (
            r#"<number:number number:decimal-places="3" number:min-decimal-places="3" number:min-integer-digits="1" number:grouping="true"/>"#,
            "#,##0.000",
        ),
        (
            r#"<number:number number:decimal-places="0" number:min-integer-digits="5"/>"#,
            "00000",
        ),
        (
            r#"<number:number number:decimal-places="3" loext:min-decimal-places="0" number:min-integer-digits="1"/>"#,
            "0.###",
        ),
        (
            r#"<number:number number:decimal-places="1" number:min-integer-digits="1"/><number:text> kg</number:text>"#,
            "0.0\" kg\"",
        ),
    ] {
        let s = styles(
            "",
            &format!(
                r#"<number:number-style style:name="N1">{number}</number:number-style>{}"#,
                cell_style("ce1", "N1")
            ),
        );
        assert_eq!(s.format_of(Some("ce1")).code(), code, "{number}");
    }
}

#[test]
fn a_style_shows_the_decimals_it_names() {
    let f = format_under(
        r#"<number:number-style style:name="N1"><number:number number:decimal-places="2" number:min-integer-digits="1"/></number:number-style>"#,
    );
    assert_eq!(f.shown(45.505), Shown::Decimals(2));
    assert_eq!(f, NumFmt::parse("0.00"));
}

#[test]
fn a_percentage_style_shows_another_number() {
    let f = format_under(
        r#"<number:percentage-style style:name="N1"><number:number number:decimal-places="2" number:min-integer-digits="1"/><number:text>%</number:text></number:percentage-style>"#,
    );
    assert_eq!(f.code(), "0.00%");
    assert_eq!(f.shown(0.5), Shown::Transformed);
}

#[test]
fn styles_this_module_does_not_turn_into_a_code_are_unknown() {
    for style in [
        // A condition: negative numbers in another style.
        r#"<number:number-style style:name="N1"><number:number number:decimal-places="2"/><style:map style:condition="value()&gt;=0" style:apply-style-name="N0P0"/></number:number-style>"#,
        r#"<number:number-style style:name="N1"><number:scientific-number number:decimal-places="2" number:min-exponent-digits="2"/></number:number-style>"#,
        r#"<number:number-style style:name="N1"><number:fraction number:min-numerator-digits="1" number:min-denominator-digits="1"/></number:number-style>"#,
        r#"<number:number-style style:name="N1"><number:number number:decimal-places="0" number:display-factor="1000"/></number:number-style>"#,
        r#"<number:number-style style:name="N1"><number:text>only text</number:text></number:number-style>"#,
        r#"<number:currency-style style:name="N1"><number:number number:decimal-places="2"/><number:text> </number:text><number:currency-symbol>€</number:currency-symbol></number:currency-style>"#,
        r#"<number:boolean-style style:name="N1"><number:boolean/></number:boolean-style>"#,
    ] {
        assert_eq!(format_under(style), NumFmt::Unknown, "{style}");
    }
}

#[test]
fn date_and_text_styles_are_dates_and_text() {
    let s = styles(
        "",
        &format!(
            r#"<number:date-style style:name="N36"><number:day/><number:text>.</number:text><number:month/></number:date-style><number:text-style style:name="N100"><number:text-content/></number:text-style>{}{}"#,
            cell_style("date", "N36"),
            cell_style("text", "N100")
        ),
    );
    assert_eq!(s.format_of(Some("date")), NumFmt::Date);
    assert_eq!(s.format_of(Some("text")), NumFmt::Text);
}

#[test]
fn a_cell_style_without_a_data_style_takes_its_parents_then_the_defaults() {
    let named = format!(
        r#"<style:default-style style:family="table-cell" style:data-style-name="N0"/><number:number-style style:name="N0"><number:number number:decimal-places="0" number:min-integer-digits="1"/></number:number-style><number:number-style style:name="N2"><number:number number:decimal-places="2" number:min-integer-digits="1"/></number:number-style><style:style style:name="Default" style:family="table-cell"/>{}"#,
        cell_style("Weights", "N2")
    );
    let automatic = r#"<style:style style:name="ce1" style:family="table-cell" style:parent-style-name="Weights"/><style:style style:name="ce2" style:family="table-cell" style:parent-style-name="Default"/><style:style style:name="loop" style:family="table-cell" style:parent-style-name="loop"/>"#;
    let s = styles(&named, automatic);
    assert_eq!(s.format_of(Some("ce1")).code(), "0.00");
    assert_eq!(s.format_of(Some("ce2")).code(), "0");
    assert_eq!(s.format_of(None).code(), "0");
    assert_eq!(s.format_of(Some("no such style")).code(), "0");
    assert_eq!(s.format_of(Some("loop")).code(), "0");
    // A style defined after the body starts is not one (the reading stops there).
    assert_eq!(s.format_of(Some("late")).code(), "0");
}

#[test]
fn libreoffices_standard_format_is_general() {
    // LibreOffice's `N0`, the data style of its Default cell style: a number without decimal places.
    let standard = r#"<number:number-style style:name="N0"><number:number number:min-integer-digits="1"/></number:number-style><style:style style:name="Default" style:family="table-cell" style:data-style-name="N0"/>"#;
    let s = styles(standard, "");
    assert_eq!(s.format_of(None), NumFmt::General);
    assert_eq!(s.format_of(Some("Default")), NumFmt::General);
    // With text around it, or as a percentage: not reproduced.
    for other in [
        r#"<number:number-style style:name="N0"><number:number number:min-integer-digits="1"/><number:text> kg</number:text></number:number-style>"#,
        r#"<number:percentage-style style:name="N0"><number:number number:min-integer-digits="1"/><number:text>%</number:text></number:percentage-style>"#,
    ] {
        let s = styles(&format!("{other}<style:style style:name=\"Default\" style:family=\"table-cell\" style:data-style-name=\"N0\"/>"), "");
        assert_eq!(s.format_of(None), NumFmt::Unknown, "{other}");
    }
}

#[test]
fn without_styles_numbers_are_general_and_a_missing_data_style_is_unknown() {
    assert_eq!(OdsStyles::default().format_of(None), NumFmt::General);
    let s = styles("", &cell_style("ce1", "N404"));
    assert_eq!(s.format_of(Some("ce1")), NumFmt::Unknown);
    assert_eq!(s.format_of(None), NumFmt::General);
}

#[test]
fn damaged_styles_are_an_error_not_a_panic() {
    for damaged in [
        r#"<number:number-style style:name="N1"><number:text>&bogus;</number:text></number:number-style>"#,
        r#"<number:number-style style:name="N1"><number:number></number:text></number:number-style>"#,
    ] {
        let mut s = OdsStyles::default();
        assert!(s.read_part(damaged.as_bytes()).is_err(), "{damaged}");
    }
}

/// LibreOffice's currency format `[$$-409]#,##0.00;[RED]-[$$-409]#,##0.00`: a volatile style for amounts
/// of 0 and more, and the style the cell names, which shows negative amounts and maps the others.
fn currency(positive_decimals: usize, negative_decimals: usize) -> OdsStyles {
    let number = |d: usize| {
        format!(
            r#"<number:number number:decimal-places="{d}" number:min-decimal-places="{d}" number:min-integer-digits="1" number:grouping="true"/>"#
        )
    };
    styles(
        "",
        &format!(
            r#"<number:currency-style style:name="N104P0" style:volatile="true"><number:currency-symbol number:language="en" number:country="US">$</number:currency-symbol>{}</number:currency-style><number:currency-style style:name="N104"><style:text-properties fo:color="red"/><number:text>-</number:text><number:currency-symbol number:language="en" number:country="US">$</number:currency-symbol>{}<style:map style:condition="value()&gt;=0" style:apply-style-name="N104P0"/></number:currency-style>{}"#,
            number(positive_decimals),
            number(negative_decimals),
            cell_style("ce1", "N104")
        ),
    )
}

#[test]
fn a_currency_style_tells_its_decimals_when_every_amount_shows_the_same() {
    assert_eq!(currency(2, 2).currency_decimals(Some("ce1")), Some(2));
    assert_eq!(currency(2, 3).currency_decimals(Some("ce1")), None);
    // Its format is still one mawb does not reproduce (a currency symbol, a condition).
    assert_eq!(currency(2, 2).format_of(Some("ce1")), NumFmt::Unknown);
    // No style: the decimals are not told.
    assert_eq!(OdsStyles::default().currency_decimals(None), None);
    let s = styles(
        "",
        &format!(
            r#"<number:currency-style style:name="N1"><number:currency-symbol>€</number:currency-symbol></number:currency-style>{}"#,
            cell_style("ce1", "N1")
        ),
    );
    assert_eq!(s.currency_decimals(Some("ce1")), None);
}
